"""Auth0 access tokens (Bearer and DPoP) for Django and DRF APIs.

Names are imported on first use, so importing the package touches neither
Django's settings nor the network.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "ApiClient": "client",
    "ApiClientOptions": "options",
    "VerifiedToken": "verified_token",
    "TokenUser": "users",
    "get_api_client": "conf",
    "get_current_actor": "delegation",
    "get_delegation_chain": "delegation",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
