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
