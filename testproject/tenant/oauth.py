"""The local tenant's authorization-server endpoints (RFC 8414 metadata, RFC 7591
registration, `/authorize`), on the `FakeTenant.oauth` of this process. One
process holds the clients, codes and refresh tokens: serve it with one worker."""

import json

from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from .views import _record, tenant


def _no_store(response):
    # RFC 6749 §5.1 and RFC 7591 §3.2.1: credentials in the answer must not be cached.
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def metadata(request):
    _record("metadata")
    return JsonResponse(tenant().oauth.metadata())


@csrf_exempt
@require_POST
def register(request):
    _record("register")
    try:
        body = json.loads(request.body or b"")
    except ValueError:
        body = None
    status, answer = tenant().oauth.register(body)
    return _no_store(JsonResponse(answer, status=status))


@require_GET
def authorize(request):
    """No login page: the tenant's demo user consents to whatever is asked."""
    _record("authorize")
    status, answer = tenant().oauth.authorize(request.GET.dict())
    if status == 302:
        response = HttpResponse(status=302)
        response["Location"] = answer["Location"]
        return response
    return JsonResponse(answer, status=status)
