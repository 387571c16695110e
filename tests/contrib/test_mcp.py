"""django_auth0_api.contrib.mcp and the testproject's MCP endpoint (django-mcp-server),
in process: JSON-RPC over the Django test client."""

import json

import pytest

from django_auth0_api.contrib.mcp import called_tools

MCP = "https://api.example.com/mcp"
META = 'resource_metadata="https://api.example.com/.well-known/oauth-protected-resource/mcp"'
CALL_HEADERS = {"HTTP_ACCEPT": "application/json, text/event-stream", "content_type": "application/json"}


@pytest.fixture
def tenant(auth0_tenant, settings):
    settings.AUTH0_API = auth0_tenant.settings(AUDIENCE=[MCP, "https://calendar-api.example.com"], RESOURCE=MCP)
    return auth0_tenant


def call(client, tool, token=None, **arguments):
    message = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": arguments}}
    headers = dict(CALL_HEADERS, **({"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}))
    return client.post("/mcp", json.dumps(message), **headers)


def result_of(response) -> dict:
    return json.loads(response.json()["result"]["content"][0]["text"])


@pytest.mark.parametrize(("payload", "names"), [
    ({"method": "tools/call", "params": {"name": "a"}}, ["a"]),
    ([{"method": "tools/call", "params": {"name": "a"}}, {"method": "tools/list"}], ["a"]),
    ({"method": "tools/call", "params": "junk"}, []),
    ("not json-rpc", []),
])
def test_called_tools(payload, names):
    assert called_tools(payload) == names


def test_no_token_gets_a_401_naming_the_endpoint_scope(tenant, client):
    response = call(client, "whoami")
    assert (response.status_code, response["WWW-Authenticate"]) == (
        401, f'Bearer realm="api", scope="mcp:tools", {META}, DPoP algs="ES256", scope="mcp:tools", {META}')


def test_whoami_returns_the_actor_and_the_delegation_chain(tenant, client):
    token = tenant.mint_token("auth0|alice", audience=MCP, scope="mcp:tools",
                              act={"sub": "agent-1", "act": {"sub": "gateway"}})
    response = call(client, "whoami", token)
    assert (response.status_code, result_of(response)) == (200, {
        "sub": "auth0|alice", "actor": "agent-1", "delegation_chain": ["agent-1", "gateway"],
        "scopes": ["mcp:tools"], "client": None})


def test_a_tool_needing_a_scope_is_refused_with_403_before_it_runs(tenant, client):
    token = tenant.mint_token(audience=MCP, scope="mcp:tools")
    response = call(client, "calendar_events", token)
    assert (response.status_code, response["WWW-Authenticate"]) == (403, (
        'Bearer realm="api", error="insufficient_scope", error_description="Token lacks the required scope", '
        f'scope="mcp:tools calendar:read", {META}, DPoP algs="ES256", {META}'))
    assert not [form for form in tenant.requests if form.get("grant_type", "").endswith("token-exchange")]


def test_the_endpoint_scope_is_needed_for_any_call(tenant, client):
    token = tenant.mint_token(audience=MCP, scope="calendar:read")
    response = call(client, "whoami", token)
    assert (response.status_code, 'scope="mcp:tools"' in response["WWW-Authenticate"]) == (403, True)


def test_a_token_for_another_api_is_refused(tenant, client):
    token = tenant.mint_token(audience="https://calendar-api.example.com", scope="mcp:tools")
    assert call(client, "whoami", token).status_code == 401


def test_the_scoped_tool_exchanges_on_behalf_of_the_user(tenant, client, settings):
    settings.DOWNSTREAM_API_URL = "http://calendar.invalid"
    tenant.responses.add("GET", "http://calendar.invalid/api/calendar/events", json={"events": []})
    token = tenant.mint_token("auth0|alice", audience=MCP, scope="mcp:tools calendar:read")
    response = call(client, "calendar_events", token)
    exchange = [form for form in tenant.requests if form.get("grant_type", "").endswith("token-exchange")]
    assert (response.status_code, result_of(response), exchange[0]["audience"], exchange[0]["scope"]) == (
        200, {"downstream_status": 200, "calendar": {"events": []}}, "https://calendar-api.example.com",
        "calendar:read")
