"""The testproject's MCP tools (django-mcp-server finds this module by its name).

`whoami` reports who calls and for whom (`request.auth.actor` and the
delegation chain); `calendar_events` needs the `calendar:read` scope (see
`mcp_views.McpEndpoint`) and calls the calendar API On-Behalf-Of the user.
"""

from mcp_server import MCPToolset

from testproject.api.delegation_views import CALENDAR_SCOPE, call_calendar_on_behalf_of


class DemoTools(MCPToolset):
    def whoami(self) -> dict:
        """The verified caller: user, current actor and delegation chain."""
        token = self.request.auth
        return {"sub": token.sub, "actor": token.actor, "delegation_chain": token.delegation_chain,
                "scopes": sorted(token.scopes), "client": token.claims.get("azp")}

    def calendar_events(self) -> dict:
        """The user's calendar, read from the calendar API with a token exchanged On-Behalf-Of the user."""
        status, body = call_calendar_on_behalf_of(self.request.auth.token, CALENDAR_SCOPE)
        return {"downstream_status": status, "calendar": body}
