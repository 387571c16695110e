import functools
import os
import time

from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from django_auth0_api.testing import FakeTenant


@functools.cache
def tenant() -> FakeTenant:
    """The tenant of this process: its address and key come from the environment,
    so the demo script (which mints the user's tokens) shares them."""
    return FakeTenant.from_environment()


# Test and demo knobs, loopback only: FAKE_TENANT_REQUEST_LOG names a file that
# gets one line per request served ("discovery", "jwks", "token"), appended
# atomically so every worker and restart of the tenant counts; FAKE_TENANT_ADMIN=1
# opens the admin endpoints below; FAKE_TENANT_JWKS_DELAY (seconds) slows JWKS.
_jwks_delay: list = []


def _record(kind: str) -> None:
    path = os.environ.get("FAKE_TENANT_REQUEST_LOG")
    if path:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, f"{kind}\n".encode("ascii"))
        finally:
            os.close(fd)


@require_GET
def discovery(request):
    _record("discovery")
    return JsonResponse(tenant().discovery())


@require_GET
def jwks(request):
    _record("jwks")  # on arrival: a request still sleeping below is counted
    delay = _jwks_delay[-1] if _jwks_delay else float(os.environ.get("FAKE_TENANT_JWKS_DELAY") or 0)
    if delay:
        time.sleep(delay)
    return JsonResponse(tenant().jwks())


def _admin(request) -> None:
    if os.environ.get("FAKE_TENANT_ADMIN") != "1" or request.META.get("REMOTE_ADDR") not in ("127.0.0.1", "::1"):
        raise Http404()


@csrf_exempt
@require_POST
def admin_rotate(request):
    """A new current signing key (`kid`, PKCS#8 `pem`); the old ones stay published
    unless `keep_old` is `0`."""
    from cryptography.hazmat.primitives import serialization

    _admin(request)
    kid, pem = request.POST.get("kid"), request.POST.get("pem", "")
    if not kid:
        return JsonResponse({"error": "kid is required"}, status=400)
    current = tenant()
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    current.keys = {**(current.keys if request.POST.get("keep_old", "1") == "1" else {}), kid: key}
    current.kid = kid
    return JsonResponse({"kid": kid, "kids": list(current.keys)})


@csrf_exempt
@require_POST
def admin_jwks_delay(request):
    """From now on this process answers JWKS after `seconds`."""
    _admin(request)
    _jwks_delay.append(float(request.POST.get("seconds", "0")))
    return JsonResponse({"jwks_delay": _jwks_delay[-1]})


@csrf_exempt
@require_POST
def token(request):
    _record("token")
    status, body = tenant().token_response(request.POST.dict(), request.headers.get("Authorization"))
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"  # RFC 6749 §5.1
    return response
