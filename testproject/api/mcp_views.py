"""The MCP endpoint: django-mcp-server's streamable HTTP view behind this library.

The authentication classes are the `DJANGO_MCP_AUTHENTICATION_CLASSES` setting
(`Auth0Authentication`); the permissions add what django-mcp-server's own URL
does not: tokens for this resource only, and a scope per tool, refused with
403 + `scope` so an MCP client steps up.
"""

from django.conf import settings
from django.utils.module_loading import import_string
from mcp_server.views import MCPServerStreamableHttpView
from rest_framework.permissions import IsAuthenticated

from django_auth0_api.conf import get_options
from django_auth0_api.contrib.mcp import McpToolScopes
from testproject.api.delegation_views import CALENDAR_SCOPE, TokenForThisApi


class McpEndpoint(MCPServerStreamableHttpView):
    permission_classes = [IsAuthenticated, TokenForThisApi, McpToolScopes]
    required_scopes = ["mcp:tools"]
    required_tool_scopes = {"calendar_events": [CALENDAR_SCOPE]}

    def accepted_audiences(self) -> tuple[str, ...]:
        return (get_options().resource,) if get_options().resource else ()


def mcp_endpoint():
    classes = [import_string(name) for name in settings.DJANGO_MCP_AUTHENTICATION_CLASSES]
    return McpEndpoint.as_view(authentication_classes=classes)
