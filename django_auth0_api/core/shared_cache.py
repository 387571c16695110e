"""The library's state in the Django cache: its keys, and calls that survive an outage.

Everything the fleet shares (discovery, JWKS, refetch cooldowns, fetch locks,
DPoP replay state, exchanged tokens) lives under one prefix, so it is told
apart from the project's own keys. A cache that is down must not turn into a
500: reads answer "nothing there", writes are skipped, and each caller says
what an unanswered `add` means for it (fetch anyway, or fail closed).
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.core.cache import caches

logger = logging.getLogger("django_auth0_api")

PREFIX = "auth0_api:v1:"


def key(kind: str, material: str = "") -> str:
    """The library's key for `kind` and `material` (an issuer, a digest...).

    Hashed: Memcached keys are short and may not hold spaces or controls, and a
    key must never carry a token."""
    if not material:
        return PREFIX + kind
    return f"{PREFIX}{kind}:{hashlib.sha256(material.encode('utf-8', 'surrogatepass')).hexdigest()[:40]}"


class SharedCache:
    """Best-effort calls on the Django cache named by `CACHE_ALIAS`."""

    def __init__(self, alias: str):
        self.alias = alias

    @property
    def backend(self) -> Any:
        # Looked up on every call: Django's `caches` is per thread, and a
        # changed CACHES setting must take effect.
        return caches[self.alias]

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self.backend.get(key, default)
        except Exception as exc:
            logger.warning("auth0: cache read failed (%s)", type(exc).__name__)
            return default

    def set(self, key: str, value: Any, timeout: float) -> bool:
        try:
            self.backend.set(key, value, int(timeout))
            return True
        except Exception as exc:
            logger.warning("auth0: cache write failed (%s)", type(exc).__name__)
            return False

    def add(self, key: str, value: Any, timeout: float) -> bool | None:
        """True when stored, False when the key was already there, None when
        the cache could not answer (the caller decides what that means)."""
        try:
            return bool(self.backend.add(key, value, int(timeout)))
        except Exception as exc:
            logger.warning("auth0: cache add failed (%s)", type(exc).__name__)
            return None

    async def aadd(self, key: str, value: Any, timeout: float) -> bool | None:
        """`add` through Django's async cache API, off the event loop."""
        try:
            return bool(await self.backend.aadd(key, value, int(timeout)))
        except Exception as exc:
            logger.warning("auth0: cache add failed (%s)", type(exc).__name__)
            return None

    def delete(self, key: str) -> None:
        try:
            self.backend.delete(key)
        except Exception as exc:
            logger.warning("auth0: cache delete failed (%s)", type(exc).__name__)
