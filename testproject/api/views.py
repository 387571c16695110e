"""Views that show each face of django_auth0_api."""

import requests
from django.conf import settings
from django.http import JsonResponse
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from django_auth0_api import get_api_client
from django_auth0_api.authentication import Auth0Authentication
from django_auth0_api.decorators import auth0_required
from django_auth0_api.permissions import (
    ClaimEquals,
    InOrganization,
    TokenHasAcr,
    TokenHasAnyScope,
    TokenHasPermission,
    TokenHasScope,
)
from django_auth0_api.policy import MFA_POLICY

TIER_CLAIM = "https://example.com/tier"


def describe(token):
    return {
        "sub": token.sub,
        "scheme": token.scheme,
        "scopes": sorted(token.scopes),
        "actor": token.actor,
        "delegation_chain": token.delegation_chain,
    }


class MeView(APIView):
    """Any verified token."""

    def get(self, request):
        return Response(describe(request.auth))

    def post(self, request):
        return Response(describe(request.auth))


class MessagesView(APIView):
    """Needs the `read:messages` scope."""

    permission_classes = [IsAuthenticated, TokenHasScope]
    required_scopes = ["read:messages"]

    def get(self, request):
        return Response({"messages": ["hello"], "sub": request.auth.sub})


def binding(token):
    """What a sender-constrained token is bound to: a DPoP key, a client certificate."""
    return {"sub": token.sub, "scheme": token.scheme, "jkt": token.jkt, "x5t_s256": token.x5t_s256}


class BindingView(APIView):
    """Any verified token, with its bindings (RFC 9449, RFC 8705)."""

    def get(self, request):
        return Response(binding(request.auth))


class AdminView(APIView):
    """Needs the `admin:all` RBAC permission."""

    permission_classes = [IsAuthenticated, TokenHasPermission]
    required_permissions = ["admin:all"]

    def get(self, request):
        return Response({"admin": True})


class CalendarProxyView(APIView):
    """The On-Behalf-Of view of docs/token-exchange.md: exchange the caller's token, call the calendar API
    with the new one (its test, in docs/testing.md, mocks that API next to the tenant)."""

    def get(self, request):
        result = get_api_client().get_token_on_behalf_of(request.auth.token, audience=settings.CALENDAR_API_AUDIENCE,
                                                         scope="calendar:read")
        downstream = requests.get(f"{settings.CALENDAR_API_AUDIENCE}/events", timeout=5,
                                  headers={"Authorization": f"Bearer {result['access_token']}"})
        downstream.raise_for_status()
        return Response({"user": request.auth.sub, "data": downstream.json()})


class DocumentsView(APIView):
    """Per-method alternatives: read with `read:documents`; write with
    `write:documents` or with `admin`."""

    permission_classes = [IsAuthenticated, TokenHasScope]
    required_alternate_scopes = {"GET": [["read:documents"]], "POST": [["write:documents"], ["admin"]]}

    def get(self, request):
        return Response({"documents": []})

    def post(self, request):
        return Response({"created": True})


class ReportsView(APIView):
    """Any one of the scopes."""

    permission_classes = [IsAuthenticated, TokenHasAnyScope]
    required_scopes = ["read:reports", "admin"]

    def get(self, request):
        return Response({"reports": []})


class PaymentsView(APIView):
    """Step-up (RFC 9470): a multi-factor login at most five minutes old."""

    permission_classes = [IsAuthenticated, TokenHasAcr]
    required_acr_values = [MFA_POLICY]
    max_auth_age = 300

    def get(self, request):
        return Response({"payments": []})


class AcmeView(APIView):
    """Auth0 Organizations and a claim rule: members of `acme` on the gold tier."""

    permission_classes = [IsAuthenticated, InOrganization("acme"), ClaimEquals(TIER_CLAIM, "gold")]

    def get(self, request):
        return Response({"org_id": request.auth.org_id, "org_name": request.auth.org_name})


class PublicView(APIView):
    authentication_classes = []
    permission_classes = []

    def get(self, request):
        return Response({"public": True})


class EchoView(APIView):
    """`make load`: one view body, behind Bearer/DPoP here and open in `PublicEchoView`."""

    authentication_classes = [Auth0Authentication]
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"ok": True})


class PublicEchoView(EchoView):
    authentication_classes = []
    permission_classes = []


@auth0_required
def plain_me(request):
    return JsonResponse(describe(request.auth))


@auth0_required
def plain_binding(request):
    return JsonResponse(binding(request.auth))


@auth0_required(scopes=["read:messages"])
def plain_messages(request):
    return JsonResponse({"messages": ["hello"], "sub": request.auth.sub})


@auth0_required
def plain_calendar_token(request):
    """Exchanges the caller's token; a failed exchange is answered by Auth0Middleware."""
    result = get_api_client().get_token_on_behalf_of(request.auth.token, audience=settings.CALENDAR_API_AUDIENCE)
    return JsonResponse({"sub": request.auth.sub, "expires_in": result["expires_in"]})


@auth0_required
def plain_post(request):
    """A plain view that changes something: no CSRF token needed with a verified token."""
    return JsonResponse({"sub": request.auth.sub, "method": request.method})


def plain_optional(request):
    """Runs with or without credentials (the middleware leaves `auth` None)."""
    return JsonResponse({"sub": request.auth.sub if request.auth else None})


@auth0_required(acr_values=[MFA_POLICY], max_age=300)
def plain_transfer(request):
    """Step-up for a plain view."""
    return JsonResponse({"transferred": True})


@auth0_required(organization="acme", claims={TIER_CLAIM: ["gold", "platinum"]}, any_permissions=["read:x", "admin:all"])
def plain_acme(request):
    return JsonResponse({"org_name": request.auth.org_name})
