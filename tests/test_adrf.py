"""django_auth0_api.adrf: async DRF views (adrf) with the statuses and
challenges of the DRF face, and TokenHasScope/TokenHasPermission there."""

import pytest
import requests
from helpers import BARE_CHALLENGE, aget, dpop_headers

NOT_PROVIDED = {"detail": "Authentication credentials were not provided."}


def bearer_header(token):
    return {"Authorization": f"Bearer {token}"}


def answer_of(response):
    return response.status_code, response.json(), response.get("WWW-Authenticate")


def test_a_valid_token_runs_the_async_view(auth0_tenant, async_client):
    response = aget(async_client, "/adrf/me", **bearer_header(auth0_tenant.mint_token(act={"sub": "svc"})))
    assert (response.status_code, response.json()) == (200, {
        "sub": "auth0|user-1", "scheme": "Bearer", "scopes": [], "actor": "svc", "delegation_chain": ["svc"]})


def test_no_credentials_is_401_with_the_bare_challenge(auth0_tenant, async_client):
    assert answer_of(aget(async_client, "/adrf/me")) == (401, NOT_PROVIDED, BARE_CHALLENGE)


def test_an_invalid_token_is_401_invalid_token(auth0_tenant, no_middleware, async_client):
    assert answer_of(aget(async_client, "/adrf/me", Authorization="Bearer a.b.c")) == (
        401, {"detail": "Access token is malformed", "error": "invalid_token"},
        'Bearer realm="api", error="invalid_token", error_description="Access token is malformed", DPoP algs="ES256"')


def test_a_malformed_request_is_400(auth0_tenant, no_middleware, async_client):
    response = aget(async_client, "/adrf/me", Authorization="DPoP abc")
    assert (response.status_code, response.json()["detail"]) == (400, "DPoP scheme without a DPoP proof header")


def test_an_outage_is_503_with_retry_after(auth0_tenant, no_middleware, async_client):
    auth0_tenant.responses.replace("GET", auth0_tenant.jwks_url, body=requests.ConnectionError("down"))
    response = aget(async_client, "/adrf/me", **bearer_header(auth0_tenant.mint_token()))
    assert (response.status_code, response["Retry-After"]) == (503, "30")


@pytest.mark.parametrize(("path", "token_kwargs", "status"), [
    ("/adrf/messages", {"scope": "read:messages"}, 200),
    ("/adrf/messages", {"scope": "write:messages"}, 403),
    ("/adrf/admin", {"claims": {"permissions": ["admin:all"]}}, 200),
    ("/adrf/admin", {"claims": {"permissions": ["read:all"]}}, 403),
])
def test_token_permissions_in_async_views(auth0_tenant, no_middleware, async_client, path, token_kwargs, status):
    response = aget(async_client, path, **bearer_header(auth0_tenant.mint_token(**token_kwargs)))
    assert response.status_code == status


def test_a_missing_scope_carries_its_challenge(auth0_tenant, no_middleware, async_client):
    response = aget(async_client, "/adrf/messages", **bearer_header(auth0_tenant.mint_token(scope="x")))
    assert answer_of(response) == (
        403, {"detail": "Token lacks the required scope", "error": "insufficient_scope"},
        'Bearer realm="api", error="insufficient_scope", error_description="Token lacks the required scope", '
        'scope="read:messages", DPoP algs="ES256"')


def test_dpop_behind_the_middleware_consumes_the_proof_once(auth0_tenant, async_client, dpop_key):
    token = auth0_tenant.mint_token(jkt=dpop_key.jkt)
    response = aget(async_client, "/adrf/me", **dpop_headers(auth0_tenant, dpop_key, token,
                                                             "http://testserver/adrf/me"))
    assert (response.status_code, response.json()["scheme"]) == (200, "DPoP")


def test_the_async_view_under_the_sync_handler(auth0_tenant, client):
    response = client.get("/adrf/me", HTTP_AUTHORIZATION=f"Bearer {auth0_tenant.mint_token()}")
    assert (response.status_code, response.json()["sub"]) == (200, "auth0|user-1")


def test_a_user_resolver_runs_for_the_async_class(auth0_tenant, no_middleware, settings):
    from asgiref.sync import async_to_sync
    from rest_framework.test import APIRequestFactory

    from django_auth0_api.adrf import Auth0Authentication
    from testproject.api.async_views import AdrfMeView

    settings.AUTH0_API = auth0_tenant.settings(USER_RESOLVER=lambda token: f"db-user:{token.sub}")
    view = AdrfMeView(authentication_classes=[Auth0Authentication])
    request = view.initialize_request(APIRequestFactory().get(
        "/adrf/me", HTTP_AUTHORIZATION=f"Bearer {auth0_tenant.mint_token()}"))
    user, token = async_to_sync(Auth0Authentication().authenticate)(request)
    assert (user, token.sub) == ("db-user:auth0|user-1", "auth0|user-1")


def test_get_user_set_on_an_async_authentication_instance_chooses_request_user(auth0_tenant, no_middleware):
    from asgiref.sync import async_to_sync
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from django_auth0_api.adrf import Auth0Authentication

    authentication = Auth0Authentication()
    authentication.get_user = lambda request, token: f"instance:{token.sub}"
    request = Request(APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {auth0_tenant.mint_token()}"))
    assert async_to_sync(authentication.authenticate)(request)[0] == "instance:auth0|user-1"
