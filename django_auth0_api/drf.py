"""DRF exception handler: DRF's own, plus the `DPoP-Nonce` header, plus an
answer for a token exchange that failed inside a view."""

from __future__ import annotations

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import ApiError


def exception_handler(exc, context):
    if isinstance(exc, ApiError):
        return exchange_failed(exc)
    response = drf_exception_handler(exc, context)
    nonce = getattr(exc, "dpop_nonce", None)
    if response is not None and nonce:
        response["DPoP-Nonce"] = nonce
    return response


def exchange_failed(exc: ApiError) -> Response:
    """Auth0 refused or could not be reached: a gateway failure of this API, not
    the caller's (their token was verified). A rate limit asks them to wait."""
    body = {"error": "token_exchange_failed", "error_description": exc.get_error_description(),
            "exchange_error": exc.get_error_code()}
    if exc.get_status_code() in (429, 503):
        return Response(body, status=503, headers={"Retry-After": exc.retry_after or "30"})
    return Response(body, status=504 if exc.get_status_code() == 504 else 502)
