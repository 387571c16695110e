"""Stateless DPoP nonces (RFC 9449 §9) that any process of the fleet can check.

A nonce is an HMAC of the current time window under a key derived from
`SECRET_KEY`: unpredictable without the key, rotating every window, and
accepted for the current and the previous window. Nonces made under a key in
`SECRET_KEY_FALLBACKS` stay valid while the secret is being rotated.
"""

from __future__ import annotations

import hmac
import re
import time

from django.conf import settings
from django.utils.crypto import salted_hmac

from .jws import b64encode

WINDOW = 300
_SALT = "django_auth0_api.core.dpop-nonce"
_NONCE_LENGTH = 24  # base64url of 18 bytes
_NONCE = re.compile(rf"[A-Za-z0-9_-]{{{_NONCE_LENGTH}}}")


def _window(now: float | None) -> int:
    return int((time.time() if now is None else now) // WINDOW)


def _nonce_for(window: int, secret: str | bytes | None = None) -> str:
    return b64encode(salted_hmac(_SALT, str(window), secret, algorithm="sha256").digest()[:18])


def current_nonce(now: float | None = None) -> str:
    """The nonce to hand out now (the `DPoP-Nonce` header)."""
    return _nonce_for(_window(now))


def is_valid_nonce(nonce: object, now: float | None = None) -> bool:
    """Whether `nonce` was issued, by any process with this `SECRET_KEY`
    (or one of its fallbacks), in the current or the previous window."""
    if not isinstance(nonce, str) or not _NONCE.fullmatch(nonce):
        return False
    window = _window(now)
    secrets = [None, *getattr(settings, "SECRET_KEY_FALLBACKS", ())]
    matched = False
    for secret in secrets:
        for w in (window, window - 1):
            # Every candidate is compared (no early exit): the time taken
            # does not tell which window or secret a guess came close to.
            matched |= hmac.compare_digest(nonce.encode("ascii"), _nonce_for(w, secret).encode("ascii"))
    return matched
