"""DRF exception handler: DRF's own, plus the `DPoP-Nonce` header."""

from __future__ import annotations

from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    response = drf_exception_handler(exc, context)
    nonce = getattr(exc, "dpop_nonce", None)
    if response is not None and nonce:
        response["DPoP-Nonce"] = nonce
    return response
