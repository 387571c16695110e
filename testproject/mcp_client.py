"""An MCP client that knows nothing but the server's URL: the official MCP Python
SDK (2.x) with its `OAuthClientProvider`, over streamable HTTP.

    .venv-mcp-client/bin/python testproject/mcp_client.py http://127.0.0.1:8000/mcp

It runs in its own venv (see the Makefile): django-mcp-server on the server
side still needs `mcp<2`. There is no browser: the redirect handler fetches
the authorization URL itself, takes the code from the redirect to the
callback URL and hands it back, as a user clicking "Allow" would.

Prints one JSON object a line: every HTTP exchange (`"event": "http"`,
authorization codes redacted, tokens never shown) and every tool result
(`"event": "tool"`); `testproject/demo.py` and the end-to-end test read them.
"""

from __future__ import annotations

import asyncio
import json
import sys
from urllib.parse import parse_qs, urlsplit

import httpx2
from mcp.client.auth import OAuthClientProvider
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

CALLBACK_URL = "http://127.0.0.1:9/callback"  # never listened on: the handler below reads the redirect


def emit(**event) -> None:
    print(json.dumps(event), flush=True)


def shown_url(url) -> str:
    """The URL without secrets: an authorization code is replaced."""
    parts = urlsplit(str(url))
    query = parse_qs(parts.query)
    if "code" in query:
        query["code"] = ["(redacted)"]
    text = "&".join(f"{name}={values[0]}" for name, values in query.items())
    return parts._replace(query=text).geturl()


class MemoryStorage:
    def __init__(self):
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens):
        self.tokens = tokens

    async def get_client_info(self):
        return self.client_info

    async def set_client_info(self, client_info):
        self.client_info = client_info


class Browser:
    """Follows the authorization URL to the callback and keeps what it carried."""

    def __init__(self):
        self.result: AuthorizationCodeResult | None = None

    async def redirect(self, authorization_url: str) -> None:
        async with httpx2.AsyncClient(event_hooks=HOOKS) as http:
            answer = await http.get(authorization_url, follow_redirects=False)
        location = answer.headers.get("Location", "")
        if answer.status_code != 302 or not location.startswith(CALLBACK_URL):
            raise RuntimeError(f"authorization refused: {answer.status_code}")
        query = {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}
        emit(event="callback", url=shown_url(location))
        if "code" not in query:
            raise RuntimeError(f"authorization error: {query.get('error')}")
        self.result = AuthorizationCodeResult(code=query["code"], state=query.get("state"), iss=query.get("iss"))

    async def callback(self) -> AuthorizationCodeResult:
        result, self.result = self.result, None
        if result is None:
            raise RuntimeError("the callback came before the redirect")
        return result


async def _on_response(response) -> None:
    request = response.request
    emit(event="http", method=request.method, url=shown_url(request.url), status=response.status_code,
         www_authenticate=response.headers.get("WWW-Authenticate"),
         scope=(parse_qs(urlsplit(str(request.url)).query).get("scope") or [None])[0])


HOOKS = {"response": [_on_response]}


def tool_result(result) -> dict:
    text = "".join(getattr(block, "text", "") for block in result.content)
    try:
        value = json.loads(text)
    except ValueError:
        value = text
    return {"is_error": bool(result.is_error if hasattr(result, "is_error") else result.isError), "value": value}


async def run(server_url: str) -> int:
    browser = Browser()
    auth = OAuthClientProvider(
        server_url=server_url,
        client_metadata=OAuthClientMetadata(
            client_name="django-auth0-api MCP demo client", redirect_uris=[CALLBACK_URL],
            grant_types=["authorization_code", "refresh_token"], response_types=["code"],
            token_endpoint_auth_method="none"),
        storage=MemoryStorage(), redirect_handler=browser.redirect, callback_handler=browser.callback)
    async with httpx2.AsyncClient(auth=auth, event_hooks=HOOKS, timeout=30) as http, \
            streamable_http_client(server_url, http_client=http) as (read, write), \
            ClientSession(read, write) as session:
        await session.initialize()
        tools = await session.list_tools()
        emit(event="tools", names=sorted(tool.name for tool in tools.tools))
        for name in ("whoami", "calendar_events"):
            emit(event="tool", name=name, result=tool_result(await session.call_tool(name, {})))
        # Let the access token expire (as an hour would): the provider refreshes it before the next call.
        auth.context.token_expiry_time = 1.0  # long past (0 would read as "no expiry")
        emit(event="expired")
        emit(event="tool", name="whoami", result=tool_result(await session.call_tool("whoami", {})))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(run(sys.argv[1])))
