"""Stateless DPoP nonces (RFC 9449 §9) that any process of the fleet can check.

A nonce is an HMAC of the current time window under a key derived from
`SECRET_KEY`: unpredictable without the key, rotating every window, and
accepted for the current and the previous window.
"""

from __future__ import annotations

import time

from django.utils.crypto import constant_time_compare, salted_hmac

from .jws import b64encode

WINDOW = 300
_SALT = "django_auth0_api.dpop-nonce"


def _nonce_for(window: int) -> str:
    return b64encode(salted_hmac(_SALT, str(window), algorithm="sha256").digest()[:18])


def current_nonce() -> str:
    return _nonce_for(int(time.time() // WINDOW))


def is_valid_nonce(nonce) -> bool:
    if not isinstance(nonce, str) or len(nonce) > 64:
        return False
    window = int(time.time() // WINDOW)
    return any(constant_time_compare(nonce, _nonce_for(w)) for w in (window, window - 1))
