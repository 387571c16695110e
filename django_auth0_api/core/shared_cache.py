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

# A generation inside the prefix: the test kit starts a new one for each test,
# so a test sees none of the library's earlier state and the project's own
# keys are never touched (no `cache.clear()`). Empty in production.
_generation = ""
# What was written in a generation, by cache alias: `end_generation` deletes
# exactly those keys, so a test run leaves no state behind either.
_written: dict[str, set[str]] = {}


def key(kind: str, material: str = "") -> str:
    """The library's key for `kind` and `material` (an issuer, a digest...).

    Hashed: Memcached keys are short and may not hold spaces or controls, and a
    key must never carry a token."""
    prefix = PREFIX + _generation
    if not material:
        return prefix + kind
    return f"{prefix}{kind}:{hashlib.sha256(material.encode('utf-8', 'surrogatepass')).hexdigest()[:40]}"


def start_generation(name: str) -> str:
    """Make every key from now on fresh (`name` goes into the prefix); returns
    the previous generation, for `end_generation`. Built objects keep the keys
    they made: reset the client (a changed `AUTH0_API` does) after calling this."""
    global _generation
    previous, _generation = _generation, f"{name}:" if name else ""
    return previous


def end_generation(previous: str) -> None:
    """Delete every key written since `start_generation`, and go back to `previous`."""
    global _generation
    written = dict(_written)
    _written.clear()
    _generation = previous
    for alias, keys in written.items():
        try:
            caches[alias].delete_many(list(keys))
        except Exception as exc:
            logger.warning("auth0: cache delete failed (%s)", type(exc).__name__)


def _record(alias: str, key: str) -> None:
    if _generation and key.startswith(PREFIX + _generation):
        _written.setdefault(alias, set()).add(key)


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
        _record(self.alias, key)
        try:
            self.backend.set(key, value, int(timeout))
            return True
        except Exception as exc:
            logger.warning("auth0: cache write failed (%s)", type(exc).__name__)
            return False

    def add(self, key: str, value: Any, timeout: float) -> bool | None:
        """True when stored, False when the key was already there, None when
        the cache could not answer (the caller decides what that means)."""
        _record(self.alias, key)
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
