"""django_auth0_api.ninja: Auth0Bearer and AsyncAuth0Bearer as django-ninja `auth=`."""

import pytest
import requests
from helpers import BARE_CHALLENGE, aget, answer, dpop_headers

from django_auth0_api.ninja import AsyncAuth0Bearer, Auth0Bearer

MISSING = {"error_description": "Authorization header is missing"}
INSUFFICIENT = (403, {"error": "insufficient_scope", "error_description": "Token lacks the required scope"},
                'Bearer realm="api", error="insufficient_scope", error_description="Token lacks the required scope", '
                'scope="read:messages", DPoP algs="ES256"')
PATHS = ["/ninja/me", "/ninja/async/me"]


def bearer_header(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("path", PATHS)
def test_a_valid_token_reaches_the_operation(auth0_tenant, async_client, path):
    response = aget(async_client, path, **bearer_header(auth0_tenant.mint_token()))
    assert (response.status_code, response.json()["sub"]) == (200, "auth0|user-1")


@pytest.mark.parametrize("path", PATHS)
def test_no_credentials_is_401_with_the_bare_challenge(auth0_tenant, no_middleware, async_client, path):
    assert answer(aget(async_client, path)) == (401, MISSING, BARE_CHALLENGE)


@pytest.mark.parametrize("path", PATHS)
def test_an_invalid_token_is_401_invalid_token(auth0_tenant, no_middleware, async_client, path):
    assert answer(aget(async_client, path, Authorization="Bearer a.b.c")) == (
        401, {"error": "invalid_token", "error_description": "Access token is malformed"},
        'Bearer realm="api", error="invalid_token", error_description="Access token is malformed", DPoP algs="ES256"')


@pytest.mark.parametrize("path", PATHS)
def test_a_malformed_request_is_400(auth0_tenant, no_middleware, async_client, path):
    response = aget(async_client, path, Authorization="Bearer a b")
    assert (response.status_code, response.json()["error"]) == (400, "invalid_request")


@pytest.mark.parametrize("path", PATHS)
def test_an_outage_is_503(auth0_tenant, no_middleware, async_client, path):
    auth0_tenant.responses.replace("GET", auth0_tenant.jwks_url, body=requests.ConnectionError("down"))
    response = aget(async_client, path, **bearer_header(auth0_tenant.mint_token()))
    assert (response.status_code, response["Retry-After"], response.json()["error"]) == (
        503, "30", "temporarily_unavailable")


@pytest.mark.parametrize("path", ["/ninja/messages", "/ninja/async/messages"])
def test_scopes(auth0_tenant, no_middleware, async_client, path):
    granted = aget(async_client, path, **bearer_header(auth0_tenant.mint_token(scope="read:messages")))
    refused = aget(async_client, path, **bearer_header(auth0_tenant.mint_token(scope="write:messages")))
    assert (granted.status_code, answer(refused)) == (200, INSUFFICIENT)


@pytest.mark.parametrize("path", PATHS)
def test_a_dpop_proof_is_consumed_once_with_the_middleware(auth0_tenant, async_client, dpop_key, path):
    token = auth0_tenant.mint_token(jkt=dpop_key.jkt)
    response = aget(async_client, path, **dpop_headers(auth0_tenant, dpop_key, token, "http://testserver" + path))
    assert (response.status_code, response.json()["scheme"]) == (200, "DPoP")


def test_the_sync_handler_runs_both(auth0_tenant, client):
    statuses = [client.get(path, HTTP_AUTHORIZATION=f"Bearer {auth0_tenant.mint_token()}").status_code
                for path in PATHS]
    assert statuses == [200, 200]


def test_without_install_ninja_still_answers_the_status(auth0_tenant, no_middleware, client):
    response = client.get("/ninja-bare/me", HTTP_AUTHORIZATION="Bearer a.b.c")
    assert (response.status_code, response.json()) == (401, {"detail": "Access token is malformed"})


def test_the_openapi_document_names_the_security_scheme(auth0_tenant):
    from testproject.api.async_views import ninja_api

    schema = ninja_api.get_openapi_schema()
    assert (schema["components"]["securitySchemes"], schema["paths"]["/ninja/me"]["get"]["security"]) == ({
        "Auth0Bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                        "description": "An Auth0 access token (RFC 6750); a DPoP-bound one with the DPoP scheme and "
                                       "a proof (RFC 9449) is accepted too"},
        "AsyncAuth0Bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                             "description": "An Auth0 access token (RFC 6750); a DPoP-bound one with the DPoP scheme "
                                            "and a proof (RFC 9449) is accepted too"},
    }, [{"Auth0Bearer": []}])


def test_with_dpop_required_the_scheme_is_dpop(auth0_tenant, settings):
    settings.AUTH0_API = {**settings.AUTH0_API, "DPOP_REQUIRED": True}
    assert Auth0Bearer().openapi_security_schema["scheme"] == "DPoP"


def test_bad_scopes_are_a_type_error():
    with pytest.raises(TypeError, match="scopes takes a string or a list of strings"):
        AsyncAuth0Bearer(scopes=[1])
