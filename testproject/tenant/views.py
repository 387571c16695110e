import functools
import os

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from django_auth0_api.testing import FakeTenant


@functools.lru_cache(maxsize=None)
def tenant() -> FakeTenant:
    """The tenant of this process: its address and key come from the environment,
    so the demo script (which mints the user's tokens) shares them."""
    return FakeTenant.from_environment()


@require_GET
def discovery(request):
    return JsonResponse(tenant().discovery())


@require_GET
def jwks(request):
    return JsonResponse(tenant().jwks())


@csrf_exempt
@require_POST
def token(request):
    status, body = tenant().token_response(request.POST.dict(), request.headers.get("Authorization"))
    return JsonResponse(body, status=status)
