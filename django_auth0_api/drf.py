"""DRF exception handler: DRF's own, plus the `DPoP-Nonce` header, plus an
answer for a token exchange that failed inside a view."""

from __future__ import annotations

from typing import Any

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import ApiError, ConfigurationError
from .request_auth import configuration_failure, error_body, exchange_failure, expose_challenge


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApiError):
        return exchange_failed(exc)
    if isinstance(exc, ConfigurationError):  # e.g. get_api_client() in the view
        return Response(error_body(configuration_failure(exc)), status=500)
    response = drf_exception_handler(exc, context)
    nonce = getattr(exc, "dpop_nonce", None)
    if response is not None and nonce:
        response["DPoP-Nonce"] = nonce
    if response is not None:
        expose_challenge(response)
    return response


def exchange_failed(exc: ApiError) -> Response:
    status, body, headers = exchange_failure(exc)
    return Response(body, status=status, headers=headers)
