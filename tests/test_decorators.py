"""django_auth0_api.decorators: auth0_required for plain Django views."""

import json

import pytest
from django.http import JsonResponse
from django.test import RequestFactory
from helpers import BARE_CHALLENGE, answer, bearer

from django_auth0_api.decorators import auth0_required

MISSING = {"error_description": "Authorization header is missing"}
INSUFFICIENT = {"error": "insufficient_scope", "error_description": "Token lacks the required scope"}


def challenge(scope):
    return (f'Bearer realm="api", error="insufficient_scope", error_description="Token lacks the required scope", '
            f'scope="{scope}", DPoP algs="ES256"')


# -- through the test project (middleware installed) ---------------------------------------------------------

def test_bare_decorator_without_credentials_is_401(auth0_tenant, client):
    assert answer(client.get("/plain/me")) == (401, MISSING, BARE_CHALLENGE)


def test_bare_decorator_with_a_token_runs_the_view(auth0_tenant, client):
    assert client.get("/plain/me", **bearer(auth0_tenant.mint_token())).json()["sub"] == "auth0|user-1"


def test_scopes_without_the_scope_is_403_insufficient_scope(auth0_tenant, client):
    response = client.get("/plain/messages", **bearer(auth0_tenant.mint_token(scope="write:messages")))
    assert answer(response) == (403, INSUFFICIENT, challenge("read:messages"))


def test_scopes_with_the_scope_runs_the_view(auth0_tenant, client):
    response = client.get("/plain/messages", **bearer(auth0_tenant.mint_token(scope="read:messages")))
    assert (response.status_code, response.json()) == (200, {"messages": ["hello"], "sub": "auth0|user-1"})


def test_scopes_without_credentials_is_401_not_403(auth0_tenant, client):
    assert answer(client.get("/plain/messages")) == (401, MISSING, BARE_CHALLENGE)


# -- without the middleware ------------------------------------------------------------------------------------

def test_without_middleware_the_decorator_verifies_and_sets_request_auth(auth0_tenant, no_middleware, client):
    token = auth0_tenant.mint_token(act={"sub": "svc"})
    assert client.get("/plain/me", **bearer(token)).json() == {
        "sub": "auth0|user-1", "scheme": "Bearer", "scopes": [], "actor": "svc", "delegation_chain": ["svc"]}


def test_without_middleware_a_bad_token_is_401(auth0_tenant, no_middleware, client):
    assert answer(client.get("/plain/me", **bearer("a.b.c"))) == (
        401, {"error": "invalid_token", "error_description": "Access token is malformed"},
        'Bearer realm="api", error="invalid_token", error_description="Access token is malformed", DPoP algs="ES256"')


def test_without_middleware_no_credentials_is_401(auth0_tenant, no_middleware, client):
    assert answer(client.get("/plain/me")) == (401, MISSING, BARE_CHALLENGE)


def test_without_middleware_an_outage_is_503(auth0_tenant, no_middleware, client):
    import requests

    auth0_tenant.responses.replace("GET", auth0_tenant.jwks_url, body=requests.ConnectionError("down"))
    response = client.get("/plain/me", **bearer(auth0_tenant.mint_token()))
    assert (answer(response), response["Retry-After"]) == (
        (503, {"error": "temporarily_unavailable", "error_description": "Signing keys are temporarily unavailable"},
         None), "30")


# -- the decorator on its own --------------------------------------------------------------------------------------

@auth0_required(scopes="read:a")
def string_scope_view(request):
    """A docstring that @wraps keeps."""
    return JsonResponse({"user": request.user.username, "auth": type(request.auth).__name__})


@auth0_required(scopes=["read:a", "write:b"])
def two_scopes_view(request):
    return JsonResponse({"ok": True})


def test_a_single_scope_may_be_a_string(auth0_tenant):
    request = RequestFactory().get("/x", **bearer(auth0_tenant.mint_token(scope="read:a")))
    assert json.loads(string_scope_view(request).content) == {"user": "auth0|user-1", "auth": "VerifiedToken"}


def test_a_string_scope_is_not_split_into_characters(auth0_tenant):
    request = RequestFactory().get("/x", **bearer(auth0_tenant.mint_token(scope="r e a d : a")))
    assert answer(string_scope_view(request))[::2] == (403, challenge("read:a"))


def test_every_scope_is_required(auth0_tenant):
    request = RequestFactory().get("/x", **bearer(auth0_tenant.mint_token(scope="read:a")))
    assert answer(two_scopes_view(request)) == (403, INSUFFICIENT, challenge("read:a write:b"))


def test_wraps_keeps_the_view_name_and_docstring():
    assert (string_scope_view.__name__, string_scope_view.__doc__) == (
        "string_scope_view", "A docstring that @wraps keeps.")


@pytest.mark.parametrize("mode, expected", [({"DPOP_REQUIRED": True}, 'DPoP algs="ES256"'),
                                            ({"DPOP_ENABLED": False}, 'Bearer realm="api"')])
def test_the_challenge_follows_the_mode(auth0_tenant, settings, mode, expected):
    settings.AUTH0_API = auth0_tenant.settings(**mode)
    assert answer(two_scopes_view(RequestFactory().get("/x")))[::2] == (401, expected)


# -- the authorization rules (README "Authorization rules") ------------------------------------------------------

MFA = "http://schemas.openid.net/pape/policies/2007/06/multi-factor"


def ruled(**rules):
    @auth0_required(**rules)
    def view(request):
        return JsonResponse({"ok": True})

    return view


def run(view, token, method="get"):
    return answer(view(getattr(RequestFactory(), method)("/x", **bearer(token))))


def scope_refusal(scope, lacks="scope"):
    return (403, {"error": "insufficient_scope", "error_description": f"Token lacks the required {lacks}"},
            f'Bearer realm="api", error="insufficient_scope", error_description="Token lacks the required {lacks}", '
            f'scope="{scope}", DPoP algs="ES256"')


@pytest.mark.parametrize("rules, claims, expected", [
    ({"any_scopes": ["read:a", "admin"]}, {"scope": "admin"}, None),
    ({"any_scopes": ["read:a", "admin"]}, {"scope": "write:a"}, scope_refusal("read:a")),
    ({"permissions": ["p:1", "p:2"]}, {"permissions": ["p:2", "p:1"]}, None),
    ({"permissions": ["p:1", "p:2"]}, {"permissions": ["p:1"], "scope": "p:2"}, scope_refusal("p:1 p:2", "permission")),
    ({"any_permissions": ["p:1", "p:2"]}, {"permissions": ["p:2"]}, None),
    ({"any_permissions": ["p:1", "p:2"]}, {"permissions": []}, scope_refusal("p:1", "permission")),
    ({"alternate_scopes": {"GET": [["r"], ["admin"]]}}, {"scope": "admin"}, None),
    ({"alternate_scopes": {"GET": [["r"], ["admin"]]}}, {"scope": "w"}, scope_refusal("r")),
    ({"alternate_permissions": {"GET": [["p:r"]]}}, {"permissions": ["p:r"]}, None),
    ({"alternate_permissions": {"POST": [["p:r"]]}}, {"permissions": ["p:r"]},
     (403, {"error": "insufficient_scope", "error_description": "Token lacks the required permission"},
      'Bearer realm="api", error="insufficient_scope", error_description="Token lacks the required permission", '
      'DPoP algs="ES256"')),
])
def test_scope_and_permission_rules(auth0_tenant, rules, claims, expected):
    result = run(ruled(**rules), auth0_tenant.mint_token(claims=claims))
    assert result == (expected or (200, {"ok": True}, None))


@pytest.mark.parametrize("rules, claims, passed", [
    ({"organization": "org_1"}, {"org_id": "org_1"}, True),
    ({"organization": "org_1"}, {"org_id": "org_2"}, False),
    ({"organization": ["acme", "beta"]}, {"org_name": "Beta"}, True),
    ({"organization": "acme"}, {}, False),
    ({"claims": {"tier": ["gold", "platinum"]}}, {"tier": "platinum"}, True),
    ({"claims": {"tier": ["gold", "platinum"]}}, {"tier": ["bronze", "gold"]}, True),
    ({"claims": {"tier": ["gold", "platinum"]}}, {"tier": "bronze"}, False),
    ({"check": lambda claims: claims.get("email_verified") is True}, {"email_verified": True}, True),
    ({"check": lambda claims: claims.get("email_verified") is True}, {}, False),
])
def test_claim_and_organization_rules(auth0_tenant, rules, claims, passed):
    status, body, _ = run(ruled(**rules), auth0_tenant.mint_token(claims=claims))
    assert (status, body.get("error")) == ((200, None) if passed else (403, "insufficient_scope"))


def test_an_organization_refusal_is_403_with_a_fixed_description(auth0_tenant):
    assert run(ruled(organization="acme"), auth0_tenant.mint_token(org_name="other")) == (
        403, {"error": "insufficient_scope",
              "error_description": "Token is not for an organization this resource accepts"},
        'Bearer realm="api", error="insufficient_scope", '
        'error_description="Token is not for an organization this resource accepts", DPoP algs="ES256"')


def test_a_claim_refusal_names_the_claim_not_the_value(auth0_tenant):
    status, body, challenge = run(ruled(claims={"tier": "gold"}), auth0_tenant.mint_token(claims={"tier": "s3cret"}))
    assert (status, body["error_description"], "s3cret" in challenge) == (
        403, "Claim tier has a value this resource does not accept", False)


@pytest.mark.parametrize("claims", [{"acr": MFA, "auth_age": 10}, {"amr": ["mfa"], "auth_age": 299}])
def test_step_up_passes(auth0_tenant, claims):
    assert run(ruled(acr_values=[MFA], max_age=300), auth0_tenant.mint_token(**claims))[0] == 200


@pytest.mark.parametrize("claims, description", [
    ({"amr": ["pwd"], "auth_age": 10}, "A stronger authentication is required"),
    ({"acr": MFA, "auth_age": 400}, "A more recent authentication is required"),
    ({"acr": MFA}, "A more recent authentication is required"),
])
def test_step_up_refuses_with_rfc_9470_parameters(auth0_tenant, claims, description):
    assert run(ruled(acr_values=MFA, max_age=300), auth0_tenant.mint_token(**claims)) == (
        401, {"error": "insufficient_user_authentication", "error_description": description},
        f'Bearer realm="api", error="insufficient_user_authentication", error_description="{description}", '
        f'acr_values="{MFA}", max_age="300", DPoP algs="ES256"')


def test_step_up_through_the_test_project(auth0_tenant, client):
    token = auth0_tenant.mint_token(acr=MFA, auth_age=600)
    assert answer(client.get("/plain/transfer", **bearer(token)))[0] == 401
    assert client.get("/plain/transfer", **bearer(auth0_tenant.mint_token(acr=MFA, auth_age=5))).json() == {
        "transferred": True}


@pytest.mark.parametrize("claims, status", [
    ({"org_name": "acme", "permissions": ["admin:all"], "https://example.com/tier": "gold"}, 200),
    ({"org_name": "acme", "permissions": ["write:x"], "https://example.com/tier": "gold"}, 403),
    ({"org_name": "acme", "permissions": ["read:x"], "https://example.com/tier": "silver"}, 403),
    ({"permissions": ["read:x"], "https://example.com/tier": "gold"}, 403),
])
def test_combined_rules_through_the_test_project(auth0_tenant, client, claims, status):
    assert client.get("/plain/acme", **bearer(auth0_tenant.mint_token(claims=claims))).status_code == status


def test_a_misspelt_rule_fails_when_the_view_is_decorated():
    with pytest.raises(TypeError):
        auth0_required(scope=["read:a"])
