"""django_auth0_api.urls / resource_metadata: RFC 9728 Protected Resource Metadata."""

import json

import pytest
from django.test import override_settings

from django_auth0_api.core.protected_resource import metadata_path, metadata_url

MCP = "https://api.example.com/mcp"
WELL_KNOWN_MCP = "/.well-known/oauth-protected-resource/mcp"
# What the testproject declares: TokenHasScope (read:messages, calendar:read), McpToolScopes (mcp:tools,
# calendar:read); sorted.
VIEW_SCOPES = ["calendar:read", "mcp:tools", "read:messages"]


@pytest.fixture
def resource(auth0_tenant, settings):
    def configure(**overrides):
        settings.AUTH0_API = auth0_tenant.settings(**{"RESOURCE": MCP, "AUDIENCE": [MCP], **overrides})
        return settings.AUTH0_API
    configure()
    return configure


@pytest.mark.parametrize(("identifier", "path"), [
    ("https://api.example.com/mcp", "/.well-known/oauth-protected-resource/mcp"),
    ("https://api.example.com/a/b/", "/.well-known/oauth-protected-resource/a/b/"),
    ("https://api.example.com/", "/.well-known/oauth-protected-resource"),
    ("https://api.example.com", "/.well-known/oauth-protected-resource"),
    ("https://api.example.com:8443/mcp", "/.well-known/oauth-protected-resource/mcp"),
])
def test_the_well_known_path_is_inserted_between_host_and_path(identifier, path):  # RFC 9728 §3.1
    assert metadata_path(identifier) == path


def test_the_metadata_url_keeps_scheme_host_and_port():
    assert metadata_url("https://API.example.com:8443/mcp") == \
        "https://API.example.com:8443/.well-known/oauth-protected-resource/mcp"


def test_the_document_byte_for_byte(resource, client):
    response = client.get(WELL_KNOWN_MCP)
    assert (response.status_code, response["Content-Type"]) == (200, "application/json")
    assert response.content == (
        b'{"resource": "https://api.example.com/mcp", "authorization_servers": ["https://tenant.example.auth0.com/"], '
        b'"scopes_supported": ["calendar:read", "mcp:tools", "read:messages"], "bearer_methods_supported": ["header"], '
        b'"dpop_signing_alg_values_supported": ["ES256"], "dpop_bound_access_tokens_required": false}')


def test_no_resource_signing_algorithms_are_claimed(resource, client):  # RFC 9728 §2: for signed responses
    assert "resource_signing_alg_values_supported" not in client.get(WELL_KNOWN_MCP).json()


def test_a_resource_without_a_path_is_served_at_the_root_form(resource, client):
    resource(RESOURCE="https://api.example.com/", AUDIENCE=["https://api.example.com/"])
    assert client.get("/.well-known/oauth-protected-resource").json()["resource"] == "https://api.example.com/"
    assert client.get(WELL_KNOWN_MCP).status_code == 404


def test_other_paths_under_the_well_known_prefix_are_not_found(resource, client):
    assert [client.get(path).status_code for path in (
        "/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp/",
        "/.well-known/oauth-protected-resource/other")] == [404, 404, 404]


def test_without_resource_the_first_https_audience_is_published(auth0_tenant, settings, client):
    settings.AUTH0_API = auth0_tenant.settings(AUDIENCE=["urn:my-api", "https://api.example.com/v1"])
    assert client.get("/.well-known/oauth-protected-resource/v1").json()["resource"] == "https://api.example.com/v1"


def test_without_resource_or_https_audience_nothing_is_published(auth0_tenant, settings, client):
    settings.AUTH0_API = auth0_tenant.settings(AUDIENCE=["urn:my-api"])
    assert client.get("/.well-known/oauth-protected-resource").status_code == 404


def test_authorization_servers_are_the_issuers_of_domains_exactly(resource, client):
    resource(DOMAINS=["tenant.example.auth0.com", "https://login.example.com"])
    assert client.get(WELL_KNOWN_MCP).json()["authorization_servers"] == [
        "https://tenant.example.auth0.com/", "https://login.example.com/"]


def domains_for_host(context):
    return ["login." + context["request_url"].split("/")[2]]


def test_a_domains_resolver_is_asked_for_the_request(resource, client):
    resource(DOMAINS="tests.test_resource_metadata.domains_for_host")
    assert client.get(WELL_KNOWN_MCP, HTTP_HOST="api.example.com").json()["authorization_servers"] == [
        "https://login.api.example.com/", "https://tenant.example.auth0.com/"]


def failing_resolver(context):
    raise RuntimeError("down")


def test_a_failing_domains_resolver_leaves_domain_alone(resource, client):
    resource(DOMAINS=failing_resolver)
    response = client.get(WELL_KNOWN_MCP)
    assert (response.status_code, response.json()["authorization_servers"]) == (
        200, ["https://tenant.example.auth0.com/"])


def test_settings_scopes_come_first_then_the_views(resource, client):
    resource(RESOURCE_METADATA={"scopes_supported": ["openid", "read:messages"]})
    assert client.get(WELL_KNOWN_MCP).json()["scopes_supported"] == ["openid", "read:messages", "calendar:read",
                                                                     "mcp:tools"]


@override_settings(ROOT_URLCONF="tests.urls_scopes")
def test_auth0_required_and_and_composed_permissions_declare_scopes(resource, client):
    assert client.get(WELL_KNOWN_MCP).json()["scopes_supported"] == ["a:and", "b:and", "plain:read"]


@pytest.mark.parametrize(("overrides", "members"), [
    ({"DPOP_REQUIRED": True}, {"dpop_signing_alg_values_supported": ["ES256"],
                               "dpop_bound_access_tokens_required": True}),
    ({"DPOP_ALGORITHMS": ["ES256", "EdDSA"]}, {"dpop_signing_alg_values_supported": ["ES256", "EdDSA"],
                                               "dpop_bound_access_tokens_required": False}),
    ({"DPOP_ENABLED": False}, {}),
])
def test_dpop_members_follow_the_mode(resource, client, overrides, members):
    resource(**overrides)
    document = client.get(WELL_KNOWN_MCP).json()
    assert {k: v for k, v in document.items() if k.startswith("dpop_")} == members


def test_extra_members_are_merged(resource, client):
    resource(RESOURCE_METADATA={"resource_name": "Calendar MCP", "resource_documentation": "https://example.com/d"})
    document = client.get(WELL_KNOWN_MCP).json()
    assert (document["resource_name"], document["resource_documentation"]) == ("Calendar MCP", "https://example.com/d")


def test_bad_credentials_do_not_block_the_metadata(resource, client):
    response = client.get(WELL_KNOWN_MCP, HTTP_AUTHORIZATION="Bearer not-a-token", HTTP_DPOP="junk")
    assert (response.status_code, "WWW-Authenticate" in response) == (200, False)


def test_it_may_be_cached_and_read_from_any_origin(resource, client):
    response = client.get(WELL_KNOWN_MCP, HTTP_ORIGIN="http://localhost:6274")
    assert (response["Cache-Control"], response["Access-Control-Allow-Origin"]) == ("public, max-age=3600", "*")


def test_a_cors_preflight_is_answered(resource, client):
    response = client.options(WELL_KNOWN_MCP, HTTP_ORIGIN="http://localhost:6274",
                              HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
                              HTTP_ACCESS_CONTROL_REQUEST_HEADERS="mcp-protocol-version")
    assert (response.status_code, response["Access-Control-Allow-Methods"], response["Access-Control-Allow-Headers"],
            response["Access-Control-Allow-Origin"], response.content) == (204, "GET, OPTIONS", "*", "*", b"")


def test_other_methods_are_not_allowed(resource, client):
    assert client.post(WELL_KNOWN_MCP).status_code == 405


def test_a_settings_change_moves_the_url(resource, client):
    resource(RESOURCE="https://api.example.com/tools", AUDIENCE=["https://api.example.com/tools"])
    assert [client.get(path).status_code for path in (WELL_KNOWN_MCP, "/.well-known/oauth-protected-resource/tools")] \
        == [404, 200]


def test_the_answer_is_json_parseable_and_resource_is_exact(resource, client):
    resource(RESOURCE="https://API.example.com/mcp", AUDIENCE=["https://API.example.com/mcp"])
    assert json.loads(client.get(WELL_KNOWN_MCP).content)["resource"] == "https://API.example.com/mcp"
