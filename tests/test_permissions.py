"""django_auth0_api.permissions: TokenHasScope and TokenHasPermission (403 insufficient_scope)."""

import json

import pytest
from helpers import BARE_CHALLENGE, answer, bearer
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from django_auth0_api.authentication import Auth0Authentication
from django_auth0_api.permissions import (
    ClaimCheck,
    ClaimEquals,
    ClaimIncludes,
    InOrganization,
    TokenHasAcr,
    TokenHasAnyPermission,
    TokenHasPermission,
    TokenHasScope,
)


def insufficient(scope, scheme="Bearer", lacks="scope"):
    error = f'error="insufficient_scope", error_description="Token lacks the required {lacks}", scope="{scope}"'
    if scheme == "Bearer":
        return f'Bearer realm="api", {error}, DPoP algs="ES256"'
    return f'Bearer realm="api", DPoP algs="ES256", {error}'


# -- TokenHasScope -----------------------------------------------------------------------------------------

SCOPE_ERROR = {"error": "insufficient_scope"}
STEP_UP_ERROR = {"error": "insufficient_user_authentication"}


def test_a_token_with_the_scope_passes(auth0_tenant, client):
    response = client.get("/api/messages", **bearer(auth0_tenant.mint_token(scope="openid read:messages")))
    assert (response.status_code, response.json()) == (200, {"messages": ["hello"], "sub": "auth0|user-1"})


@pytest.mark.parametrize("scope", [None, "", "write:messages", "read:messages:all", "READ:MESSAGES"])
def test_a_token_without_the_scope_is_403_insufficient_scope(auth0_tenant, client, scope):
    response = client.get("/api/messages", **bearer(auth0_tenant.mint_token(scope=scope)))
    assert answer(response) == (403, {"detail": "Token lacks the required scope", **SCOPE_ERROR},
                                insufficient("read:messages"))


def test_without_a_token_the_scope_view_is_401(auth0_tenant, client):
    assert answer(client.get("/api/messages")) == (
        401, {"detail": "Authentication credentials were not provided."}, BARE_CHALLENGE)


def test_the_insufficient_scope_challenge_goes_on_dpop_for_a_dpop_request(auth0_tenant, client, dpop_key):
    token = auth0_tenant.mint_token(jkt=dpop_key.jkt, scope="other")
    proof = auth0_tenant.mint_dpop_proof(dpop_key, htu="http://testserver/api/messages", access_token=token)
    response = client.get("/api/messages", HTTP_AUTHORIZATION=f"DPoP {token}", HTTP_DPOP=proof)
    assert answer(response)[::2] == (403, insufficient("read:messages", "DPoP"))


class TwoScopesView(APIView):
    authentication_classes = [Auth0Authentication]
    permission_classes = [IsAuthenticated, TokenHasScope]
    required_scopes = ["read:a", "write:b"]

    def get(self, request):
        return Response({"ok": True})


def call(view, **headers):
    response = view.as_view()(APIRequestFactory().get("/x", **headers))
    response.render()
    return response.status_code, json.loads(response.content), response.get("WWW-Authenticate")


def test_every_required_scope_is_needed(auth0_tenant, no_middleware):
    assert call(TwoScopesView, **bearer(auth0_tenant.mint_token(scope="read:a"))) == (
        403, {"detail": "Token lacks the required scope", **SCOPE_ERROR},
        insufficient("read:a write:b"))


def test_all_required_scopes_pass(auth0_tenant, no_middleware):
    assert call(TwoScopesView, **bearer(auth0_tenant.mint_token(scope="write:b read:a")))[:2] == (200, {"ok": True})


# -- TokenHasPermission -------------------------------------------------------------------------------------------

def test_a_token_with_the_permission_passes(auth0_tenant, client):
    token = auth0_tenant.mint_token(claims={"permissions": ["read:x", "admin:all"]})
    assert (client.get("/api/admin", **bearer(token)).json()) == {"admin": True}


@pytest.mark.parametrize("permissions", [None, [], ["read:x"], "admin:all", {"admin:all": True}, [["admin:all"]]])
def test_a_token_without_the_permission_is_403_insufficient_scope(auth0_tenant, client, permissions):
    claims = {} if permissions is None else {"permissions": permissions}
    response = client.get("/api/admin", **bearer(auth0_tenant.mint_token(claims=claims)))
    assert answer(response) == (403, {"detail": "Token lacks the required permission", **SCOPE_ERROR},
                                insufficient("admin:all", lacks="permission"))


def test_a_scope_is_not_a_permission(auth0_tenant, client):
    response = client.get("/api/admin", **bearer(auth0_tenant.mint_token(scope="admin:all")))
    assert response.status_code == 403


def test_without_a_token_the_permission_view_is_401(auth0_tenant, client):
    assert answer(client.get("/api/admin"))[::2] == (401, BARE_CHALLENGE)


# -- the permission classes on their own ---------------------------------------------------------------------------

class Anonymous:
    auth = None


@pytest.mark.parametrize("permission", [TokenHasScope, TokenHasPermission])
def test_without_a_verified_token_has_permission_is_false(permission):
    assert permission().has_permission(Anonymous(), TwoScopesView()) is False


def test_a_view_without_required_scopes_needs_none(auth0_tenant, no_middleware):
    class NoScopes(TwoScopesView):
        required_scopes = []

    assert call(NoScopes, **bearer(auth0_tenant.mint_token()))[0] == 200


def test_a_view_changing_request_auth_claims_does_not_grant_the_next_request(auth0_tenant, client, settings):
    from django.test import RequestFactory

    from django_auth0_api.request_auth import authenticate_request

    token = auth0_tenant.mint_token(claims={"permissions": ["read:x"]})
    verified = authenticate_request(RequestFactory().get("/", **bearer(token)))
    verified.claims["permissions"].append("admin:all")  # a careless view
    assert client.get("/api/admin", **bearer(token)).status_code == 403


# -- any-of and per-method alternatives (the test project's views) -----------------------------------------------

@pytest.mark.parametrize("scope", ["read:reports", "admin", "other admin"])
def test_any_scope_passes_with_one_of_them(auth0_tenant, client, scope):
    response = client.get("/api/reports", **bearer(auth0_tenant.mint_token(scope=scope)))
    assert (response.status_code, response.json()) == (200, {"reports": []})


def test_any_scope_without_one_is_403_naming_the_first(auth0_tenant, client):
    response = client.get("/api/reports", **bearer(auth0_tenant.mint_token(scope="read:messages")))
    assert answer(response) == (
        403, {"detail": "Token lacks the required scope", **SCOPE_ERROR}, insufficient("read:reports"))


@pytest.mark.parametrize("method, scope", [("get", "read:documents"), ("post", "write:documents"), ("post", "admin"),
                                           ("head", "read:documents")])
def test_alternate_scopes_per_method_pass(auth0_tenant, client, method, scope):
    response = getattr(client, method)("/api/documents", **bearer(auth0_tenant.mint_token(scope=scope)))
    assert response.status_code == 200


@pytest.mark.parametrize("method, scope, named", [("get", "write:documents admin", "read:documents"),
                                                  ("post", "read:documents", "write:documents")])
def test_alternate_scopes_per_method_refuse(auth0_tenant, client, method, scope, named):
    response = getattr(client, method)("/api/documents", **bearer(auth0_tenant.mint_token(scope=scope)))
    assert answer(response) == (403, {"detail": "Token lacks the required scope", **SCOPE_ERROR}, insufficient(named))


def test_a_method_without_alternatives_is_refused(auth0_tenant, client):
    response = client.put("/api/documents", **bearer(auth0_tenant.mint_token(scope="read:documents write:documents")))
    assert answer(response)[:2] == (403, {"detail": "Token lacks the required scope", **SCOPE_ERROR})
    assert 'scope="' not in response["WWW-Authenticate"]


class AnyPermissionView(TwoScopesView):
    permission_classes = [IsAuthenticated, TokenHasAnyPermission]
    required_permissions = ["read:a", "admin:all"]


class AlternatePermissionsView(TwoScopesView):
    permission_classes = [IsAuthenticated, TokenHasPermission]
    required_permissions = ["api"]
    required_alternate_permissions = {"GET": [["read:a"], ["admin:all"]]}


def test_any_permission_passes_with_one(auth0_tenant, no_middleware):
    assert call(AnyPermissionView, **bearer(auth0_tenant.mint_token(claims={"permissions": ["admin:all"]})))[0] == 200


def test_any_permission_refuses_without_one(auth0_tenant, no_middleware):
    token = auth0_tenant.mint_token(scope="read:a admin:all", claims={"permissions": ["write:a"]})
    assert call(AnyPermissionView, **bearer(token)) == (
        403, {"detail": "Token lacks the required permission", **SCOPE_ERROR},
        insufficient("read:a", lacks="permission"))


def test_alternate_permissions_pass_with_one_alternative_and_the_common_ones(auth0_tenant, no_middleware):
    token = auth0_tenant.mint_token(claims={"permissions": ["api", "admin:all"]})
    assert call(AlternatePermissionsView, **bearer(token))[0] == 200


def test_alternate_permissions_refuse_without_the_common_ones(auth0_tenant, no_middleware):
    token = auth0_tenant.mint_token(claims={"permissions": ["admin:all"]})
    assert call(AlternatePermissionsView, **bearer(token))[::2] == (403, insufficient("api read:a", lacks="permission"))


class PerRequestScopes(TokenHasScope):
    def get_required_scopes(self, request, view):
        return [f"read:{request.query_params['kind']}"]


class PerRequestView(TwoScopesView):
    permission_classes = [IsAuthenticated, PerRequestScopes]


@pytest.mark.parametrize("kind, status", [("a", 200), ("b", 403)])
def test_get_required_scopes_may_decide_per_request(auth0_tenant, no_middleware, kind, status):
    request = APIRequestFactory().get(f"/x?kind={kind}", **bearer(auth0_tenant.mint_token(scope="read:a")))
    assert PerRequestView.as_view()(request).status_code == status


# -- claim rules and organizations --------------------------------------------------------------------------------

TIER = "https://example.com/tier"


def test_organization_and_claim_rule_pass(auth0_tenant, client):
    token = auth0_tenant.mint_token(org_id="org_123", org_name="acme", claims={TIER: "gold"})
    response = client.get("/api/acme", **bearer(token))
    assert (response.status_code, response.json()) == (200, {"org_id": "org_123", "org_name": "acme"})


@pytest.mark.parametrize("organization", [{}, {"org_id": "org_123", "org_name": "other"}, {"org_id": "acme"}])
def test_another_or_no_organization_is_403(auth0_tenant, client, organization):
    token = auth0_tenant.mint_token(claims={TIER: "gold", **organization})
    assert answer(client.get("/api/acme", **bearer(token))) == (
        403, {"detail": "Token is not for an organization this resource accepts", **SCOPE_ERROR},
        'Bearer realm="api", error="insufficient_scope", '
        'error_description="Token is not for an organization this resource accepts", DPoP algs="ES256"')


@pytest.mark.parametrize("tier", [None, "silver", ["gold"]])
def test_claim_equals_refusal_names_the_claim_never_the_value(auth0_tenant, client, tier):
    claims = {} if tier is None else {TIER: tier}
    response = client.get("/api/acme", **bearer(auth0_tenant.mint_token(org_name="acme", claims=claims)))
    description = f"Claim {TIER} has a value this resource does not accept"
    assert answer(response) == (403, {"detail": description, **SCOPE_ERROR},
                                f'Bearer realm="api", error="insufficient_scope", error_description="{description}", '
                                'DPoP algs="ES256"')


def rule_view(*permissions):
    class RuleView(TwoScopesView):
        permission_classes = [IsAuthenticated, *permissions]

    return RuleView


@pytest.mark.parametrize("roles, status", [(["editor", "viewer"], 200), (["viewer"], 403), (None, 403)])
def test_claim_includes(auth0_tenant, no_middleware, roles, status):
    claims = {} if roles is None else {"roles": roles}
    view = rule_view(ClaimIncludes("roles", "editor"))
    assert call(view, **bearer(auth0_tenant.mint_token(claims=claims)))[0] == status


@pytest.mark.parametrize("verified, status", [(True, 200), (False, 403), ("true", 403)])
def test_claim_check(auth0_tenant, no_middleware, verified, status):
    view = rule_view(ClaimCheck(lambda claims: claims.get("email_verified") is True, claim="email_verified"))
    assert call(view, **bearer(auth0_tenant.mint_token(claims={"email_verified": verified})))[0] == status


def test_rules_compose_like_permission_classes(auth0_tenant, no_middleware):
    view = rule_view(ClaimEquals("tier", "gold") & InOrganization(["org_1", "beta"]))
    assert [call(view, **bearer(auth0_tenant.mint_token(claims=claims)))[0] for claims in (
        {"tier": "gold", "org_name": "BETA"}, {"tier": "gold", "org_id": "org_2"})] == [200, 403]


def test_an_organization_from_the_request(auth0_tenant, no_middleware):
    view = rule_view(InOrganization(lambda request: request.GET.get("org", "")))
    token = auth0_tenant.mint_token(org_id="org_9")
    assert [view.as_view()(APIRequestFactory().get(f"/x?org={org}", **bearer(token))).status_code
            for org in ("org_9", "org_8")] == [200, 403]


# -- step-up (RFC 9470) ----------------------------------------------------------------------------------------------

MFA = "http://schemas.openid.net/pape/policies/2007/06/multi-factor"


def step_up(scheme="Bearer", description="A stronger authentication is required"):
    error = (f'error="insufficient_user_authentication", error_description="{description}", '
             f'acr_values="{MFA}", max_age="300"')
    if scheme == "Bearer":
        return f'Bearer realm="api", {error}, DPoP algs="ES256"'
    return f'Bearer realm="api", DPoP algs="ES256", {error}'


@pytest.mark.parametrize("claims", [{"acr": MFA}, {"amr": ["mfa"]}])
def test_a_recent_mfa_login_passes_step_up(auth0_tenant, client, claims):
    token = auth0_tenant.mint_token(auth_age=60, **claims)
    assert client.get("/api/payments", **bearer(token)).json() == {"payments": []}


def test_a_login_without_mfa_is_401_insufficient_user_authentication(auth0_tenant, client):
    response = client.get("/api/payments", **bearer(auth0_tenant.mint_token(amr=["pwd"], auth_age=60)))
    assert answer(response) == (401, {"detail": "A stronger authentication is required", **STEP_UP_ERROR}, step_up())


def test_an_old_mfa_login_is_401_with_max_age(auth0_tenant, client):
    response = client.get("/api/payments", **bearer(auth0_tenant.mint_token(acr=MFA, auth_age=301)))
    assert answer(response) == (401, {"detail": "A more recent authentication is required", **STEP_UP_ERROR},
                                step_up(description="A more recent authentication is required"))


def test_step_up_goes_on_dpop_for_a_dpop_request(auth0_tenant, client, dpop_key):
    token = auth0_tenant.mint_token(jkt=dpop_key.jkt, acr="urn:other", auth_age=0)
    proof = auth0_tenant.mint_dpop_proof(dpop_key, htu="http://testserver/api/payments", access_token=token)
    response = client.get("/api/payments", HTTP_AUTHORIZATION=f"DPoP {token}", HTTP_DPOP=proof)
    assert answer(response)[::2] == (401, step_up("DPoP"))


def test_step_up_without_a_token_is_the_bare_401(auth0_tenant, client):
    assert answer(client.get("/api/payments"))[::2] == (401, BARE_CHALLENGE)


class MaxAgeOnlyView(TwoScopesView):
    permission_classes = [IsAuthenticated, TokenHasAcr]
    max_auth_age = 30


@pytest.mark.parametrize("age, status", [(10, 200), (40, 401)])
def test_max_auth_age_alone(auth0_tenant, no_middleware, age, status):
    status_code, _, challenge = call(MaxAgeOnlyView, **bearer(auth0_tenant.mint_token(auth_age=age)))
    assert (status_code, challenge if status == 401 else None) == (status, (
        'Bearer realm="api", error="insufficient_user_authentication", '
        'error_description="A more recent authentication is required", max_age="30", DPoP algs="ES256"'
        if status == 401 else None))


def test_a_view_without_step_up_attributes_needs_none(auth0_tenant, no_middleware):
    assert call(rule_view(TokenHasAcr), **bearer(auth0_tenant.mint_token()))[0] == 200


# -- what the views declare (a 401's scope and the RFC 9728 metadata read these) ---------------------------------

def test_scopes_required_and_declared_by_the_rule_classes():
    from django_auth0_api.permissions import TokenHasAnyScope
    from testproject.api.views import DocumentsView, ReportsView

    assert (TokenHasScope.scopes_required_by(DocumentsView), TokenHasScope.scopes_declared_by(DocumentsView),
            TokenHasAnyScope.scopes_required_by(ReportsView), TokenHasAnyScope.scopes_declared_by(ReportsView)) == (
        (), ("read:documents", "write:documents", "admin"), (), ("read:reports", "admin"))
