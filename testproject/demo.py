"""`make demo`: the library end to end against a local tenant, in about half a minute.

Starts the local tenant and the testproject API under gunicorn on 127.0.0.1,
walks through Bearer, DPoP, a replayed proof, a bound token sent as Bearer,
a missing scope and an On-Behalf-Of exchange, then stops both servers. Then
the MCP flow: the official MCP SDK client, knowing only the `/mcp` URL, finds
the tenant through RFC 9728 metadata, registers, authorizes with PKCE, calls
the tools, is refused a scope, steps up and refreshes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import requests  # noqa: E402

from django_auth0_api.testing import DpopKey  # noqa: E402
from testproject import mcp_stack, servers  # noqa: E402

DOWNSTREAM_AUDIENCE = "https://calendar-api.example.com"


def show(title: str, response: requests.Response) -> None:
    challenge = response.headers.get("WWW-Authenticate")
    print(f"\n== {title}")
    print(f"   {response.request.method} {response.request.path_url} -> {response.status_code}")
    if challenge and response.status_code >= 400:
        print(f"   WWW-Authenticate: {challenge}")
    print(f"   {response.text.strip()[:300]}")


def get(url: str, headers: dict) -> requests.Response:
    return requests.get(url, headers=headers, timeout=10)


def redact(token: str) -> str:
    return token[:12] + "…(redacted)"


def walk_through(tenant, api: str, env: dict) -> None:
    token = tenant.mint_token("auth0|alice", scope="read:messages")
    show("Bearer token", get(f"{api}/api/me", headers={"Authorization": f"Bearer {token}"}))

    key = DpopKey()
    bound = tenant.mint_token("auth0|alice", scope="read:messages", jkt=key.jkt)
    proof = tenant.mint_dpop_proof(key, htm="GET", htu=f"{api}/api/me", access_token=bound)
    headers = {"Authorization": f"DPoP {bound}", "DPoP": proof}
    show("DPoP-bound token with its proof", get(f"{api}/api/me", headers=headers))
    show("the same proof replayed", get(f"{api}/api/me", headers=headers))
    show("bound token sent as Bearer", get(f"{api}/api/me", headers={"Authorization": f"Bearer {bound}"}))

    no_scope = tenant.mint_token("auth0|alice", scope="profile")
    show("token without read:messages", get(f"{api}/api/messages",
                                                     headers={"Authorization": f"Bearer {no_scope}"}))

    print("\n== On-Behalf-Of exchange with `manage.py auth0_token_exchange`")
    command = [sys.executable, os.path.join(servers.ROOT, "testproject", "manage.py"), "auth0_token_exchange",
               "--subject-token", "-", "--audience", DOWNSTREAM_AUDIENCE, "--scope", "calendar:read"]
    shown = subprocess.run(command, input=token, capture_output=True, text=True, env={**os.environ, **env})
    print("   " + (shown.stdout or shown.stderr).strip().replace("\n", "\n   "))
    result = subprocess.run(command + ["--json", "--show-token"], input=token, capture_output=True, text=True,
                            env={**os.environ, **env}, check=True)
    exchanged = json.loads(result.stdout)["access_token"]
    show(f"downstream call with the exchanged token ({redact(exchanged)})",
         get(f"{api}/api/calendar/events", headers={"Authorization": f"Bearer {exchanged}"}))

    show("the same inside a view: /api/mcp/calendar exchanges and calls /api/calendar/events",
         get(f"{api}/api/mcp/calendar", headers={"Authorization": f"Bearer {token}"}))


def walk_through_mcp(workdir: str) -> None:
    with mcp_stack.mcp_servers(workdir) as (tenant, server_url):
        print(f"\n\nMCP: local tenant {tenant.issuer}   MCP server {server_url}", flush=True)
        base = server_url.rsplit("/mcp", 1)[0]
        metadata = requests.get(f"{base}/.well-known/oauth-protected-resource/mcp", timeout=10)
        print("\n== RFC 9728 metadata of the MCP server (no credentials needed)")
        print(f"   GET /.well-known/oauth-protected-resource/mcp -> {metadata.status_code}")
        print("   " + json.dumps(metadata.json(), indent=2).replace("\n", "\n   "))
        print("\n== the MCP SDK client, given only the server URL")
        if not os.path.exists(mcp_stack.client_python()):
            print("   (no .venv-mcp-client: run `make venv`)")
            return
        status, events, stderr = mcp_stack.run_client(server_url)
        for event in events:
            if event["event"] == "http":
                print(f"   {event['method']} {event['url']} -> {event['status']}")
                if event["www_authenticate"] and event["status"] >= 400:
                    print(f"      WWW-Authenticate: {event['www_authenticate']}")
            elif event["event"] == "callback":
                print(f"   (redirected to the client) {event['url']}")
            elif event["event"] == "tools":
                print(f"   tools: {', '.join(event['names'])}")
            elif event["event"] == "tool":
                print(f"   tool {event['name']} -> {json.dumps(event['result']['value'])}")
            elif event["event"] == "expired":
                print("   (the access token expires)")
        if status:
            print("   the client failed:\n" + stderr[-2000:])


def main() -> int:
    with tempfile.TemporaryDirectory() as workdir, servers.local_tenant(workdir) as (tenant, env):
        port = servers.free_port()
        env = {**env, "AUTH0_AUDIENCE": f"https://api.example.com {DOWNSTREAM_AUDIENCE}",
               "DOWNSTREAM_API_URL": f"http://127.0.0.1:{port}"}
        with servers.gunicorn(port, "testproject.settings", env, workers=1, threads=4):
            print(f"local tenant: {tenant.issuer}   API: http://127.0.0.1:{port}/", flush=True)
            walk_through(tenant, f"http://127.0.0.1:{port}", env)
    with tempfile.TemporaryDirectory() as workdir:
        walk_through_mcp(workdir)
    print("\ndemo finished; servers stopped")
    return 0


if __name__ == "__main__":
    servers.run_script(main)
