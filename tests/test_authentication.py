"""django_auth0_api.authentication: the DRF authentication class, alone and behind the middleware."""

import json

import pytest
import requests
from helpers import BARE_CHALLENGE, answer, bearer
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from django_auth0_api import VerifiedToken
from django_auth0_api.authentication import Auth0Authentication, AuthenticationRefused
from django_auth0_api.drf import exception_handler
from django_auth0_api.errors import UseDpopNonceError
from django_auth0_api.users import TokenUser


class ApiKeyUser:
    is_authenticated = True

    def __str__(self):
        return "api-key-user"


class ApiKeyAuthentication(BaseAuthentication):
    """Another class after Auth0Authentication: `Basic` or an `X-Api-Key` header."""

    def authenticate(self, request):
        if request.headers.get("Authorization", "").startswith("Basic ") or "X-Api-Key" in request.headers:
            return (ApiKeyUser(), "api-key")
        return None


class TwoClassesView(APIView):
    authentication_classes = [Auth0Authentication, ApiKeyAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"user": str(request.user), "auth": type(request.auth).__name__,
                         "authenticator": type(request.successful_authenticator).__name__})


def call(view, **headers):
    response = view.as_view()(APIRequestFactory().get("/two", **headers))
    response.render()
    return response.status_code, json.loads(response.content)



# -- Auth0Authentication alone (no middleware) ---------------------------------------------------------------

@pytest.fixture
def drf_only(auth0_tenant, no_middleware):
    return auth0_tenant


def test_no_credentials_is_a_401_with_the_bare_challenge(drf_only, client):
    assert answer(client.get("/api/me")) == (
        401, {"detail": "Authentication credentials were not provided."}, BARE_CHALLENGE)


def test_a_foreign_scheme_is_a_401_with_the_bare_challenge(drf_only, client):
    assert answer(client.get("/api/me", HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")) == (
        401, {"detail": "Authentication credentials were not provided."}, BARE_CHALLENGE)


def test_a_valid_token_authenticates(drf_only, client):
    response = client.get("/api/me", **bearer(drf_only.mint_token(scope="read:messages")))
    assert (response.status_code, response.json()) == (200, {
        "sub": "auth0|user-1", "scheme": "Bearer", "scopes": ["read:messages"], "actor": None,
        "delegation_chain": []})


def test_an_invalid_token_is_401_invalid_token(drf_only, client):
    assert answer(client.get("/api/me", **bearer(drf_only.mint_token(audience="https://other")))) == (
        401, {"detail": "Audience is not accepted", "error": "invalid_token"},
        'Bearer realm="api", error="invalid_token", error_description="Audience is not accepted", DPoP algs="ES256"')


def test_a_malformed_request_is_400_invalid_request(drf_only, client):
    assert answer(client.get("/api/me", HTTP_AUTHORIZATION="Bearer")) == (
        400, {"detail": "Bearer scheme needs exactly one token", "error": "invalid_request"},
        'Bearer realm="api", error="invalid_request", error_description="Bearer scheme needs exactly one token", '
        'DPoP algs="ES256"')


def test_dpop_scheme_without_a_proof_is_400(drf_only, client):
    response = client.get("/api/me", HTTP_AUTHORIZATION=f"DPoP {drf_only.mint_token(jkt='thumb')}")
    assert answer(response)[:2] == (400, {"detail": "DPoP scheme without a DPoP proof header",
                                         "error": "invalid_request"})


def test_a_bound_token_as_bearer_is_401_invalid_token(drf_only, client):
    response = client.get("/api/me", **bearer(drf_only.mint_token(jkt="thumb")))
    assert answer(response)[:2] == (401, {"detail": "DPoP-bound token sent as a Bearer token",
                                         "error": "invalid_token"})


def test_a_keys_outage_is_503_with_retry_after_and_no_challenge(drf_only, client):
    drf_only.responses.replace("GET", drf_only.jwks_url, body=requests.ConnectionError("down"))
    response = client.get("/api/me", **bearer(drf_only.mint_token()))
    assert (answer(response), response["Retry-After"]) == (
        (503, {"detail": "Signing keys are temporarily unavailable", "error": "temporarily_unavailable"}, None), "30")


def test_request_auth_is_a_verified_token_with_the_delegation(drf_only, client):
    token = drf_only.mint_token(act={"sub": "agent", "act": {"sub": "gateway"}})
    body = client.get("/api/me", **bearer(token)).json()
    assert (body["actor"], body["delegation_chain"]) == ("agent", ["agent", "gateway"])


# -- next to another authentication class --------------------------------------------------------------------

def test_a_foreign_scheme_is_left_to_the_next_class(auth0_tenant):
    assert call(TwoClassesView, HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz") == (
        200, {"user": "api-key-user", "auth": "str", "authenticator": "ApiKeyAuthentication"})


def test_no_credentials_are_left_to_the_next_class(auth0_tenant):
    status, body = call(TwoClassesView, HTTP_X_API_KEY="k")
    assert (status, body["authenticator"]) == (200, "ApiKeyAuthentication")


def test_a_bearer_token_is_taken_by_auth0_authentication(auth0_tenant):
    assert call(TwoClassesView, **bearer(auth0_tenant.mint_token())) == (
        200, {"user": "auth0|user-1", "auth": "VerifiedToken", "authenticator": "Auth0Authentication"})


def test_a_bad_bearer_token_is_not_left_to_the_next_class(auth0_tenant):
    assert call(TwoClassesView, HTTP_X_API_KEY="k", **bearer("bad")) == (
        401, {"detail": "Access token is malformed", "error": "invalid_token"})


def test_authenticate_returns_user_and_verified_token(auth0_tenant):
    request = APIView().initialize_request(APIRequestFactory().get("/", **bearer(auth0_tenant.mint_token())))
    user, token = Auth0Authentication().authenticate(request)
    assert (type(user), type(token), user.username, token.scheme) == (
        TokenUser, VerifiedToken, "auth0|user-1", "Bearer")


def test_authenticate_returns_none_without_credentials(auth0_tenant):
    request = APIView().initialize_request(APIRequestFactory().get("/"))
    assert Auth0Authentication().authenticate(request) is None


def test_authenticate_header_is_the_bare_challenge(auth0_tenant):
    request = APIView().initialize_request(APIRequestFactory().get("/"))
    assert Auth0Authentication().authenticate_header(request) == BARE_CHALLENGE


def test_authenticate_header_in_required_mode(auth0_tenant, settings):
    settings.AUTH0_API = auth0_tenant.settings(DPOP_REQUIRED=True)
    request = APIView().initialize_request(APIRequestFactory().get("/"))
    assert Auth0Authentication().authenticate_header(request) == 'DPoP algs="ES256"'


# -- with the middleware as well -----------------------------------------------------------------------------

def test_with_the_middleware_a_bad_token_is_answered_by_the_middleware(auth0_tenant, client):
    assert answer(client.get("/api/me", **bearer(auth0_tenant.mint_token(expires_in=-1)))) == (
        401, {"error": "invalid_token", "error_description": "Token has expired"},
        'Bearer realm="api", error="invalid_token", error_description="Token has expired", DPoP algs="ES256"')


def test_with_the_middleware_no_credentials_is_drfs_401(auth0_tenant, client):
    assert answer(client.get("/api/me")) == (
        401, {"detail": "Authentication credentials were not provided."}, BARE_CHALLENGE)


def test_with_the_middleware_a_valid_token_authenticates(auth0_tenant, client):
    assert client.get("/api/me", **bearer(auth0_tenant.mint_token())).json()["sub"] == "auth0|user-1"


# -- DRF's exception handler and the nonce -------------------------------------------------------------------

def test_the_package_exception_handler_adds_the_dpop_nonce(auth0_tenant):
    refused = AuthenticationRefused(UseDpopNonceError("n0nce"))
    response = exception_handler(refused, {"request": None, "view": None})
    assert (response.status_code, response["DPoP-Nonce"], response["WWW-Authenticate"]) == (
        401, "n0nce", 'Bearer realm="api", DPoP algs="ES256", error="use_dpop_nonce", '
                      'error_description="Authorization server requires nonce in DPoP proof"')


def test_with_the_middleware_a_malformed_request_is_400(auth0_tenant, client):
    assert answer(client.get("/api/me", HTTP_AUTHORIZATION="Bearer a b")) == (
        400, {"error": "invalid_request", "error_description": "Bearer scheme needs exactly one token"},
        'Bearer realm="api", error="invalid_request", error_description="Bearer scheme needs exactly one token", '
        'DPoP algs="ES256"')


def test_with_the_middleware_a_keys_outage_is_503(auth0_tenant, client):
    auth0_tenant.responses.replace("GET", auth0_tenant.jwks_url, body=requests.ConnectionError("down"))
    response = client.get("/api/me", **bearer(auth0_tenant.mint_token()))
    assert (answer(response), response["Retry-After"]) == (
        (503, {"error": "temporarily_unavailable", "error_description": "Signing keys are temporarily unavailable"},
         None), "30")
