"""django_auth0_api.permissions: TokenHasScope and TokenHasPermission (403 insufficient_scope)."""

import json

import pytest
from helpers import BARE_CHALLENGE, answer, bearer
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from django_auth0_api.authentication import Auth0Authentication
from django_auth0_api.permissions import TokenHasPermission, TokenHasScope


def insufficient(scope, scheme="Bearer", lacks="scope"):
    error = f'error="insufficient_scope", error_description="Token lacks the required {lacks}", scope="{scope}"'
    if scheme == "Bearer":
        return f'Bearer realm="api", {error}, DPoP algs="ES256"'
    return f'Bearer realm="api", DPoP algs="ES256", {error}'


# -- TokenHasScope -----------------------------------------------------------------------------------------

def test_a_token_with_the_scope_passes(auth0_tenant, client):
    response = client.get("/api/messages", **bearer(auth0_tenant.mint_token(scope="openid read:messages")))
    assert (response.status_code, response.json()) == (200, {"messages": ["hello"], "sub": "auth0|user-1"})


@pytest.mark.parametrize("scope", [None, "", "write:messages", "read:messages:all", "READ:MESSAGES"])
def test_a_token_without_the_scope_is_403_insufficient_scope(auth0_tenant, client, scope):
    response = client.get("/api/messages", **bearer(auth0_tenant.mint_token(scope=scope)))
    assert answer(response) == (403, {"detail": "Token lacks the required scope", "error": "insufficient_scope"},
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
        403, {"detail": "Token lacks the required scope", "error": "insufficient_scope"},
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
    assert answer(response) == (403, {"detail": "Token lacks the required permission", "error": "insufficient_scope"},
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
