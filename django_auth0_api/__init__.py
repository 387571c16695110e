"""Auth0 access tokens (Bearer and DPoP) for Django and DRF APIs.

Names are imported on first use, so importing the package touches neither
Django's settings nor the network. Type checkers see the real imports.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

_EXPORTS = {
    "ApiClient": "client",
    "ApiClientOptions": "options",
    "VerifiedToken": "verified_token",
    "TokenUser": "users",
    "authenticate": "request_auth",
    "aauthenticate": "request_auth",
    "get_api_client": "conf",
    "get_current_actor": "core.delegation",
    "get_delegation_chain": "core.delegation",
    # The errors, exported from the root as auth0-api-python does.
    **{name: "errors" for name in (
        "ApiError", "BaseAuthError", "ConfigurationError", "GetAccessTokenForConnectionError",
        "GetTokenByExchangeProfileError", "InsufficientScopeError", "InvalidAuthSchemeError",
        "InvalidDpopProofError", "InvalidRequestError", "MissingAuthorizationError",
        "MissingRequiredArgumentError", "ServiceUnavailableError", "VerifyAccessTokenError",
    )},
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from .client import ApiClient
    from .conf import get_api_client
    from .core.delegation import get_current_actor, get_delegation_chain
    from .errors import (
        ApiError,
        BaseAuthError,
        ConfigurationError,
        GetAccessTokenForConnectionError,
        GetTokenByExchangeProfileError,
        InsufficientScopeError,
        InvalidAuthSchemeError,
        InvalidDpopProofError,
        InvalidRequestError,
        MissingAuthorizationError,
        MissingRequiredArgumentError,
        ServiceUnavailableError,
        VerifyAccessTokenError,
    )
    from .options import ApiClientOptions
    from .request_auth import aauthenticate, authenticate
    from .users import TokenUser
    from .verified_token import VerifiedToken


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
