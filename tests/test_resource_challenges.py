"""With RESOURCE set, challenges lead a client to the metadata (RFC 9728 §5.1) and
name the view's scopes on a 401 (RFC 6750 §3; the MCP spec's scope selection)."""

import pytest

from django_auth0_api.core.challenges import build_challenge
from django_auth0_api.errors import InsufficientScopeError, VerifyAccessTokenError
from django_auth0_api.options import ApiClientOptions

MCP = "https://api.example.com/mcp"
META = 'resource_metadata="https://api.example.com/.well-known/oauth-protected-resource/mcp"'


@pytest.fixture
def resource(auth0_tenant, settings):
    def configure(**overrides):
        settings.AUTH0_API = auth0_tenant.settings(**{"RESOURCE": MCP, "AUDIENCE": [MCP], **overrides})
    configure()
    return configure


def options(**overrides):
    return ApiClientOptions(domain="tenant.example.auth0.com", audience=MCP, resource=MCP, **overrides)


def test_a_bare_challenge_carries_the_metadata_on_each_scheme():
    assert build_challenge(options()) == f'Bearer realm="api", {META}, DPoP algs="ES256", {META}'


def test_a_bare_challenge_names_the_view_scopes_on_each_scheme():
    assert build_challenge(options(), None, ("read:a", "read:b")) == (
        f'Bearer realm="api", scope="read:a read:b", {META}, DPoP algs="ES256", scope="read:a read:b", {META}')


def test_an_insufficient_scope_challenge_keeps_its_own_scope():
    error = InsufficientScopeError(("calendar:read",), scheme="Bearer")
    assert build_challenge(options(), error, ("mcp:tools",)) == (
        'Bearer realm="api", error="insufficient_scope", error_description="Token lacks the required scope", '
        f'scope="calendar:read", {META}, DPoP algs="ES256", {META}')


def test_required_mode_offers_dpop_alone_with_the_metadata():
    error = VerifyAccessTokenError("Access token has expired", scheme="DPoP")
    assert build_challenge(options(dpop_required=True), error) == (
        f'DPoP algs="ES256", error="invalid_token", error_description="Access token has expired", {META}')


def test_without_resource_challenges_are_unchanged():
    plain = ApiClientOptions(domain="tenant.example.auth0.com", audience=MCP)
    assert build_challenge(plain, None, ("read:a",)) == 'Bearer realm="api", DPoP algs="ES256"'


def test_drf_401_without_credentials_names_the_view_scopes(resource, client):
    response = client.get("/api/messages")
    assert (response.status_code, response["WWW-Authenticate"]) == (
        401, f'Bearer realm="api", scope="read:messages", {META}, DPoP algs="ES256", scope="read:messages", {META}')


def test_drf_401_on_a_view_without_scopes_names_none(resource, client):
    response = client.get("/api/me")
    assert response["WWW-Authenticate"] == f'Bearer realm="api", {META}, DPoP algs="ES256", {META}'


def test_middleware_401_for_a_bad_token_names_the_resolved_view_scopes(resource, client):
    response = client.get("/plain/messages", HTTP_AUTHORIZATION="Bearer junk")
    assert (response.status_code, response["WWW-Authenticate"]) == (401, (
        'Bearer realm="api", error="invalid_token", error_description="Access token is malformed", '
        f'scope="read:messages", {META}, DPoP algs="ES256", scope="read:messages", {META}'))


def test_decorator_401_without_the_middleware_names_its_scopes(resource, no_middleware, client):
    response = client.get("/plain/messages")
    assert response["WWW-Authenticate"] == (
        f'Bearer realm="api", scope="read:messages", {META}, DPoP algs="ES256", scope="read:messages", {META}')


def test_403_carries_the_metadata(resource, auth0_tenant, client):
    token = auth0_tenant.mint_token(audience=MCP, scope="profile")
    response = client.get("/api/messages", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert (response.status_code, response["WWW-Authenticate"]) == (403, (
        'Bearer realm="api", error="insufficient_scope", error_description="Token lacks the required scope", '
        f'scope="read:messages", {META}, DPoP algs="ES256", {META}'))


@pytest.mark.parametrize("path", ["/api/messages", "/plain/messages"])
def test_a_browser_client_may_read_the_challenge(resource, client, path):
    assert client.get(path)["Access-Control-Expose-Headers"] == "WWW-Authenticate"


def test_an_exposed_header_list_is_extended_not_replaced(resource):
    from django.http import HttpResponse

    from django_auth0_api.request_auth import expose_challenge

    response = HttpResponse(headers={"WWW-Authenticate": "Bearer", "Access-Control-Expose-Headers": "Mcp-Session-Id"})
    expose_challenge(response)
    assert response["Access-Control-Expose-Headers"] == "Mcp-Session-Id, WWW-Authenticate"


def test_the_mcp_client_reads_the_metadata_url_from_the_challenge(resource, client):
    # The SDK's own pattern (mcp.client.auth.utils.extract_field_from_www_auth) on our header.
    import re

    header = client.get("/api/messages")["WWW-Authenticate"]
    match = re.search(r'resource_metadata=(?:"([^"]+)"|([^\s,]+))', header)
    assert match.group(1) == "https://api.example.com/.well-known/oauth-protected-resource/mcp"


def test_adrf_401_for_a_bad_token_names_the_view_scopes(resource, no_middleware, async_client):
    from helpers import aget

    response = aget(async_client, "/adrf/messages", Authorization="Bearer junk")
    assert (response.status_code, response["WWW-Authenticate"]) == (401, (
        'Bearer realm="api", error="invalid_token", error_description="Access token is malformed", '
        f'scope="read:messages", {META}, DPoP algs="ES256", scope="read:messages", {META}'))
