"""Delegation end to end: the seed's On-Behalf-Of example as two DRF views.

`/api/mcp/calendar` is an intermediary API (an MCP server, say): it verifies
the caller's token, exchanges it at the tenant for a token to the calendar
API on behalf of the same user, and calls the calendar API with it.
`/api/calendar/events` is that calendar API; it reports who is acting for the
user (`request.auth.actor`) and the whole delegation chain.

Both live in this project, so one process serves the whole flow: the
downstream call goes over HTTP to `DOWNSTREAM_API_URL` (this very project when
it runs for real; serve it with more than one worker or thread, or the call
waits on itself). `AUTH0_API["AUDIENCE"]` lists both APIs' identifiers; each
view accepts only tokens meant for it.
"""

from __future__ import annotations

import requests
from django.conf import settings
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from django_auth0_api import get_api_client
from django_auth0_api.authentication import AuthenticationRefused
from django_auth0_api.conf import get_options
from django_auth0_api.core.claims import audience_matches
from django_auth0_api.errors import VerifyAccessTokenError
from django_auth0_api.permissions import TokenHasScope

CALENDAR_SCOPE = "calendar:read"
DOWNSTREAM_TIMEOUT = 5


def calendar_audience() -> str:
    return getattr(settings, "CALENDAR_API_AUDIENCE", "https://calendar-api.example.com")


def downstream_url(path: str) -> str:
    return getattr(settings, "DOWNSTREAM_API_URL", "http://127.0.0.1:8000").rstrip("/") + path


class TokenForThisApi(BasePermission):
    """The token's `aud` names one of the view's `accepted_audiences()`: a token
    for the calendar API cannot call the MCP server, nor the other way round."""

    def has_permission(self, request, view):
        token = request.auth
        if not audience_matches(token.claims.get("aud"), view.accepted_audiences()):
            raise AuthenticationRefused(VerifyAccessTokenError("Audience is not accepted", scheme=token.scheme))
        return True


class McpCalendarView(APIView):
    permission_classes = [IsAuthenticated, TokenForThisApi]

    def accepted_audiences(self) -> tuple[str, ...]:
        return tuple(aud for aud in get_options().audience if aud != calendar_audience())

    def get(self, request):
        # The incoming token is verified already (Auth0Authentication); exchange the raw token.
        status, events = call_calendar_on_behalf_of(request.auth.token, CALENDAR_SCOPE)
        if events is None:
            return Response({"error": "downstream_failed", "error_description": "The calendar API did not answer",
                             "downstream_status": status}, status=502)
        return Response({"user": request.auth.sub, "calendar": events})


def call_calendar_on_behalf_of(token: str, scope: str) -> tuple[int | None, dict | None]:
    """(status, events) of the calendar API called with `token` exchanged On-Behalf-Of
    its user. A failed exchange (ApiError) becomes a 502/503/504 in
    django_auth0_api.drf.exception_handler."""
    exchanged = get_api_client().get_token_on_behalf_of(token, audience=calendar_audience(), scope=scope)
    try:
        reply = requests.get(downstream_url("/api/calendar/events"), timeout=DOWNSTREAM_TIMEOUT,
                             allow_redirects=False, headers={"Authorization": f"Bearer {exchanged['access_token']}"})
        return reply.status_code, (reply.json() if reply.status_code == 200 else None)
    except (requests.RequestException, ValueError):
        return None, None


class CalendarEventsView(APIView):
    permission_classes = [IsAuthenticated, TokenForThisApi, TokenHasScope]
    required_scopes = [CALENDAR_SCOPE]

    def accepted_audiences(self) -> tuple[str, ...]:
        return (calendar_audience(),)

    def get(self, request):
        token = request.auth
        return Response({
            "user": token.sub,
            "actor": token.actor,                       # authorize on this one
            "delegation_chain": token.delegation_chain,  # for audit: current actor first
            "events": [{"title": "Team sync", "start": "2030-01-07T09:00:00Z"}],
        })
