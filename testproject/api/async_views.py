"""The async faces: `async def` views, an async class-based view, adrf and
django-ninja, each behind django_auth0_api (served under ASGI by
testproject.asgi, and by the test client)."""

from adrf.views import APIView as AsyncAPIView
from django.conf import settings
from django.http import JsonResponse
from django.views import View
from ninja import NinjaAPI
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from django_auth0_api import aauthenticate, get_api_client
from django_auth0_api.adrf import Auth0Authentication, TokenHasPermission, TokenHasScope
from django_auth0_api.decorators import auth0_required
from django_auth0_api.ninja import AsyncAuth0Bearer, Auth0Bearer, install

from .views import describe


# -- plain async views ------------------------------------------------------------------------------------
@auth0_required
async def async_me(request):
    return JsonResponse(describe(request.auth))


@auth0_required(scopes=["read:messages"])
async def async_messages(request):
    return JsonResponse({"messages": ["hello"], "sub": request.auth.sub})


async def async_optional(request):
    """With or without credentials: what the middleware (or `aauthenticate`) verified."""
    token = await aauthenticate(request)
    return JsonResponse({"sub": token.sub if token else None, "same": token is request.auth})


async def async_open(request):
    """The bench's baseline: the same body with no auth at all."""
    return JsonResponse({"sub": None})


@auth0_required
async def async_echo(request):
    return JsonResponse({"sub": request.auth.sub})


@auth0_required
async def async_calendar_token(request):
    """A token exchange from async code, not blocking the loop."""
    result = await get_api_client().aget_token_on_behalf_of(request.auth.token,
                                                            audience=settings.CALENDAR_API_AUDIENCE)
    return JsonResponse({"sub": request.auth.sub, "expires_in": result["expires_in"]})


class AsyncMeView(View):
    async def get(self, request):
        return JsonResponse(describe(request.auth))


async_me_class = auth0_required(AsyncMeView.as_view())


# -- adrf -----------------------------------------------------------------------------------------------------
class AdrfMeView(AsyncAPIView):
    authentication_classes = [Auth0Authentication]
    permission_classes = [IsAuthenticated]

    async def get(self, request):
        return Response(describe(request.auth))


class AdrfMessagesView(AdrfMeView):
    permission_classes = [IsAuthenticated, TokenHasScope]
    required_scopes = ["read:messages"]

    async def get(self, request):
        return Response({"messages": ["hello"], "sub": request.auth.sub})


class AdrfAdminView(AdrfMeView):
    permission_classes = [IsAuthenticated, TokenHasPermission]
    required_permissions = ["admin:all"]

    async def get(self, request):
        return Response({"admin": True})


# -- django-ninja -------------------------------------------------------------------------------------------
ninja_api = NinjaAPI(urls_namespace="ninja-demo", docs_url=None)
install(ninja_api)


@ninja_api.get("/me", auth=Auth0Bearer())
def ninja_me(request):
    return describe(request.auth)


@ninja_api.get("/messages", auth=Auth0Bearer(scopes=["read:messages"]))
def ninja_messages(request):
    return {"messages": ["hello"], "sub": request.auth.sub}


@ninja_api.get("/async/me", auth=AsyncAuth0Bearer())
async def ninja_async_me(request):
    return describe(request.auth)


@ninja_api.get("/async/messages", auth=AsyncAuth0Bearer(scopes=["read:messages"]))
async def ninja_async_messages(request):
    return {"messages": ["hello"], "sub": request.auth.sub}


# The authorization rules: the decorator's arguments (docs/authorization.md).
MFA_POLICY = "http://schemas.openid.net/pape/policies/2007/06/multi-factor"


@ninja_api.get("/payments", auth=Auth0Bearer(acr_values=[MFA_POLICY], max_age=300))
def ninja_payments(request):
    return {"payments": []}


@ninja_api.get("/async/acme", auth=AsyncAuth0Bearer(organization="acme", any_scopes=["read:reports", "admin"]))
async def ninja_async_acme(request):
    return {"org_name": request.auth.org_name}


# Without `install`: ninja's own handler answers a refusal, with its status.
bare_ninja_api = NinjaAPI(urls_namespace="ninja-bare", docs_url=None)


@bare_ninja_api.get("/me", auth=Auth0Bearer())
def bare_ninja_me(request):
    return describe(request.auth)
