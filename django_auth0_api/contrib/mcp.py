"""Per-tool scopes for an MCP server behind DRF (django-mcp-server, say).

    class McpEndpoint(MCPServerStreamableHttpView):
        permission_classes = [IsAuthenticated, McpToolScopes]
        required_scopes = ["mcp:tools"]                      # every request
        required_tool_scopes = {"calendar_events": ["calendar:read"]}

A `tools/call` of a listed tool without its scopes is refused before the
MCP server runs it, with HTTP 403 and `insufficient_scope` naming them: what
the MCP authorization spec asks for, so a client steps up (re-authorizes
with those scopes added) and retries. A tool error inside the JSON-RPC answer
would not make it do that. `required_scopes` go into the 401 challenge, all
of them into the RFC 9728 `scopes_supported`. See the docs/mcp.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.permissions import BasePermission

from ..errors import InsufficientScopeError
from ..permissions import InsufficientScope, missing_from
from ..verified_token import VerifiedToken

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView


def called_tools(payload: object) -> list[str]:
    """The names of the tools a JSON-RPC message (or batch) calls."""
    messages = payload if isinstance(payload, list) else [payload]
    names = []
    for message in messages:
        if isinstance(message, dict) and message.get("method") == "tools/call":
            params = message.get("params")
            name = params.get("name") if isinstance(params, dict) else None
            if isinstance(name, str):
                names.append(name)
    return names


class McpToolScopes(BasePermission):
    """The view's `required_scopes` for every request, and for each called
    tool its entry of `required_tool_scopes` (all of them)."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        token = request.auth
        if not isinstance(token, VerifiedToken):
            return False
        required = list(self.scopes_required_by(view))
        tool_scopes = getattr(view, "required_tool_scopes", {}) or {}
        for name in called_tools(request.data):
            required.extend(tool_scopes.get(name, ()))
        required = list(dict.fromkeys(required))
        if missing_from(token.scopes, required):  # named in full, as TokenHasScope does (RFC 6750 §3)
            raise InsufficientScope(InsufficientScopeError(required, scheme=token.scheme))
        return True

    @classmethod
    def scopes_required_by(cls, view: object) -> tuple[str, ...]:
        return tuple(getattr(view, "required_scopes", ()) or ())

    @classmethod
    def scopes_declared_by(cls, view: object) -> tuple[str, ...]:
        tool_scopes = getattr(view, "required_tool_scopes", {}) or {}
        return tuple(scope for scopes in tool_scopes.values() for scope in scopes)
