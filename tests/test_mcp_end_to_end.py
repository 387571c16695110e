"""The MCP authorization flow end to end, against real servers: the official MCP
Python SDK client (2.x, from its own venv) starts with nothing but the server's
URL and meets gunicorn serving the testproject's `/mcp` (django-mcp-server on
this library) and the local tenant as the authorization server.

One run of the client; each test below reads one part of what it did.
"""

import os
import tempfile

import pytest

from testproject import mcp_stack

pytestmark = pytest.mark.servers


@pytest.fixture(scope="module")
def run():
    if not os.path.exists(mcp_stack.client_python()):
        pytest.fail(f"no MCP client venv at {mcp_stack.CLIENT_VENV}: run `make venv`")
    with tempfile.TemporaryDirectory() as workdir, mcp_stack.mcp_servers(workdir) as (tenant, server_url):
        status, events, stderr = mcp_stack.run_client(server_url)
        issuer = tenant.issuer
    assert status == 0, stderr[-2000:]
    return {"events": events, "server_url": server_url, "issuer": issuer}


def http(run, status=None, url_prefix=None):
    return [e for e in run["events"] if e["event"] == "http" and (status is None or e["status"] == status)
            and (url_prefix is None or e["url"].startswith(url_prefix))]


def tool(run, name):
    return [e["result"] for e in run["events"] if e["event"] == "tool" and e["name"] == name]


def test_the_first_request_gets_a_401_pointing_at_the_metadata(run):
    first = run["events"][0]
    base = run["server_url"].rsplit("/mcp", 1)[0]
    metadata = f"{base}/.well-known/oauth-protected-resource/mcp"
    assert (first["method"], first["url"], first["status"]) == ("POST", run["server_url"], 401)
    assert first["www_authenticate"] == (f'Bearer realm="api", scope="mcp:tools", resource_metadata="{metadata}", '
                                         f'DPoP algs="ES256", scope="mcp:tools", resource_metadata="{metadata}"')


def test_the_client_discovers_the_resource_then_the_authorization_server_then_registers(run):
    base = run["server_url"].rsplit("/mcp", 1)[0]
    steps = [(e["method"], e["url"], e["status"]) for e in run["events"][1:4]]
    assert steps == [("GET", f"{base}/.well-known/oauth-protected-resource/mcp", 200),
                     ("GET", f"{run['issuer']}.well-known/oauth-authorization-server", 200),
                     ("POST", f"{run['issuer']}oidc/register", 201)]


def test_authorization_asks_for_the_challenged_scope_with_pkce_and_the_resource(run):
    first = http(run, url_prefix=run["issuer"] + "authorize")[0]
    assert first["status"] == 302
    assert first["scope"] == "mcp:tools offline_access"
    assert "code_challenge_method=S256" in first["url"]
    assert f"resource={run['server_url']}" in first["url"]


def test_the_first_tool_sees_the_user_and_no_actor(run):
    assert tool(run, "whoami")[0]["value"] == {"sub": "auth0|mcp-demo-user", "actor": None, "delegation_chain": [],
                                                "scopes": ["mcp:tools", "offline_access"],
                                                "client": tool(run, "whoami")[0]["value"]["client"]}


def test_a_tool_needing_more_scope_is_refused_with_403_and_the_scope(run):
    refused = http(run, status=403)
    assert len(refused) == 1
    assert refused[0]["www_authenticate"].startswith(
        'Bearer realm="api", error="insufficient_scope", error_description="Token lacks the required scope", '
        'scope="mcp:tools calendar:read", resource_metadata=')


def test_the_client_steps_up_with_the_union_of_scopes_and_the_tool_runs_on_behalf_of_the_user(run):
    authorizations = http(run, url_prefix=run["issuer"] + "authorize")
    assert [a["scope"] for a in authorizations] == ["mcp:tools offline_access",
                                                   "mcp:tools offline_access calendar:read"]
    result = tool(run, "calendar_events")[0]
    assert result["is_error"] is False
    calendar = result["value"]["calendar"]
    assert (result["value"]["downstream_status"], calendar["user"], calendar["actor"],
            calendar["delegation_chain"]) == (200, "auth0|mcp-demo-user", "test-client-id", ["test-client-id"])


def test_an_expired_token_is_refreshed_and_keeps_the_stepped_up_scope(run):
    after = run["events"][[e["event"] for e in run["events"]].index("expired"):]
    token_calls = [e for e in after if e["event"] == "http" and e["url"] == run["issuer"] + "oauth/token"]
    assert [e["status"] for e in token_calls] == [200]
    assert not [e for e in after if e["event"] == "http" and "/authorize" in e["url"]]
    assert tool(run, "whoami")[1]["value"]["scopes"] == ["calendar:read", "mcp:tools", "offline_access"]
