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
import os
import threading
import time
from typing import Any

from asgiref.sync import sync_to_async
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.core.signals import setting_changed
from django.dispatch import receiver

logger = logging.getLogger("django_auth0_api.cache")

PREFIX = "auth0_api:v1:"
# Backends whose `add` raises when it cannot reach the store, so that False
# always means "already there". Memcached clients (pymemcache marks a failing
# server and answers False for a while; pylibmc) and the database cache (which
# swallows a DatabaseError) answer False for "could not store" as well.
_ADD_RAISES_WHEN_DOWN = (RedisCache, LocMemCache)
_MISSING = object()
# Outside Redis (Memcached, the database, LocMem) each process re-reads the
# replay watermark this often, and after any failure of the cache. A LocMem
# cache too small for the replay window culls the watermark as it culls the
# proofs it should remember: the proofs older than the new one are then refused
# (fail closed), which `MAX_ENTRIES` sized for the window avoids (docs/deployment.md).
WATERMARK_RECHECK = 1.0
_watermarks_lock = threading.Lock()
_watermarks: dict[tuple[str, str], tuple[int, float]] = {}

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


# After a call fails, the process leaves the cache alone this long: a stalled
# server costs each process one client timeout a second, not one per call.
OUTAGE_HOLD = 1.0
_down_until: dict[str, float] = {}
# LocMem backends by alias (see `SharedCache.backend`).
_process_backends: dict[str, LocMemCache] = {}


def _forget_what_the_parent_learnt() -> None:
    # A forked worker learns about the cache for itself: its parent's outage
    # and watermarks were observations of another process (and a lock some
    # thread of the parent held at the fork would stay held here).
    global _watermarks_lock
    _watermarks_lock = threading.Lock()
    _down_until.clear()
    _watermarks.clear()


os.register_at_fork(after_in_child=_forget_what_the_parent_learnt)


@receiver(setting_changed)
def _on_caches_changed(*, setting: str, **kwargs: Any) -> None:
    # What this process learnt about a cache (down, its watermark) was about
    # the servers of the old setting.
    if setting == "CACHES":
        _process_backends.clear()
        _down_until.clear()
        with _watermarks_lock:
            _watermarks.clear()


class SharedCache:
    """Best-effort calls on the Django cache named by `CACHE_ALIAS`."""

    def __init__(self, alias: str):
        self.alias = alias

    @property
    def backend(self) -> Any:
        # Django's `caches` is per thread (and per async context), and looked
        # up on every call: a client of Memcached or Redis may not be shared.
        # A LocMem backend is a view of the process's own dicts under their own
        # lock, whichever object reads them: one serves every thread, and saves
        # the per-context lookup (a few microseconds) on each DPoP proof.
        shared = _process_backends.get(self.alias)
        if shared is not None:
            return shared
        backend = caches[self.alias]
        if type(backend) is LocMemCache:
            _process_backends[self.alias] = backend
        return backend

    def _down(self) -> bool:
        until = _down_until.get(self.alias)
        return until is not None and time.monotonic() < until

    def _failed(self, what: str, exc: BaseException | None = None) -> None:
        # The exception's type only: its text may quote a key or the server's address.
        error = type(exc).__name__ if exc else "the cache did not store it"
        logger.warning("auth0: cache %s failed (alias=%s, error=%s)", what, self.alias, error,
                       extra={"event": "cache_failed", "alias": self.alias, "operation": what, "error": error})
        _down_until[self.alias] = time.monotonic() + OUTAGE_HOLD

    def get(self, key: str, default: Any = None) -> Any:
        return self._get(self.backend, key, default)

    def _get(self, backend: Any, key: str, default: Any) -> Any:
        if _down_until and self._down():  # (no outage seen, nearly always: no call)
            return default
        try:
            return backend.get(key, default)
        except Exception as exc:
            self._failed("read", exc)
            return default

    def set(self, key: str, value: Any, timeout: float | None) -> bool:
        _record(self.alias, key)
        if self._down():
            return False
        try:
            self.backend.set(key, value, None if timeout is None else int(timeout))
            return True
        except Exception as exc:
            self._failed("write", exc)
            return False

    def add(self, key: str, value: Any, timeout: float | None) -> bool | None:
        """True when stored, False when the key was already there, None when
        the cache could not answer or could not store it (the caller decides
        what that means). `timeout` None: no expiry."""
        return self._add(self.backend, key, value, timeout)

    def _add(self, backend: Any, key: str, value: Any, timeout: float | None) -> bool | None:
        if _generation:
            _record(self.alias, key)
        if _down_until and self._down():
            return None
        # Twice at most: a key that was there at the add may be gone at the
        # read-back (a fetch lock released meanwhile), which is no outage.
        for _attempt in range(2):
            try:
                if backend.add(key, value, None if timeout is None else int(timeout)):
                    return True
            except Exception as exc:
                self._failed("add", exc)
                return None
            if isinstance(backend, _ADD_RAISES_WHEN_DOWN):
                return False
            # "Not stored" may mean "cannot store": the key is there only if it
            # reads back (a second round trip, on this path only).
            try:
                there = backend.get(key, _MISSING) is not _MISSING
            except Exception as exc:
                self._failed("read", exc)
                return None
            if there:
                return False
        self._failed("add")
        return None

    async def aadd_since(self, key: str, value: Any, timeout: float,
                         watermark_key: str) -> tuple[bool | None, int | None]:
        """`add_since` off the event loop (as Django's own async cache methods run)."""
        return await sync_to_async(self.add_since, thread_sensitive=True)(key, value, timeout, watermark_key)

    def delete(self, key: str) -> None:
        if self._down():
            return
        try:
            self.backend.delete(key)
        except Exception as exc:
            self._failed("delete", exc)

    def add_since(self, key: str, value: Any, timeout: float, watermark_key: str) -> tuple[bool | None, int | None]:
        """`add`, and since when (whole seconds, `time.time()`) the cache has
        been remembering: the value of `watermark_key`, which the first call
        after the cache started empty (a restart, a flush) sets to now, and
        which never expires. (None, None) when the cache cannot answer.

        On Redis both come in one round trip (a script); elsewhere each
        process re-reads the watermark every `WATERMARK_RECHECK` seconds and
        after any failure, so the add stays the one round trip of most calls
        and a flush is noticed within that time."""
        if _generation:  # (the test kit's: `_record` is a no-op in production)
            _record(self.alias, key)
            _record(self.alias, watermark_key)
        backend = self.backend
        if isinstance(backend, RedisCache):
            if self._down():
                return None, None
            return self._redis_add_since(backend, key, value, timeout, watermark_key)
        added = self._add(backend, key, value, timeout)
        slot = (self.alias, watermark_key)
        if added is None:
            with _watermarks_lock:
                _watermarks.pop(slot, None)  # the cache may come back empty
            return None, None
        known = _watermarks.get(slot)
        if known is not None and time.monotonic() < known[1]:
            return added, known[0]
        since = self._read_watermark(backend, watermark_key)
        with _watermarks_lock:
            if since is None:
                _watermarks.pop(slot, None)
            else:
                _watermarks[slot] = (since, time.monotonic() + WATERMARK_RECHECK)
        return (added, since) if since is not None else (None, None)

    def _read_watermark(self, backend: Any, watermark_key: str) -> int | None:
        since = self._get(backend, watermark_key, _MISSING)
        if since is _MISSING:  # the cache started empty (or cannot answer): from now on
            if self._add(backend, watermark_key, int(time.time()), None) is None:
                return None
            since = self._get(backend, watermark_key, _MISSING)
        return since if isinstance(since, int) and not isinstance(since, bool) else None

    def _redis_add_since(self, backend: RedisCache, key: str, value: Any, timeout: float,
                         watermark_key: str) -> tuple[bool | None, int | None]:
        # One script, not a pipeline: redis-py retries a pipeline that timed
        # out (with back-off, seconds in all) but not a single command.
        try:
            names = backend.make_and_validate_key(key), backend.make_and_validate_key(watermark_key)
            client = backend._cache.get_client(names[0], write=True)
            # Django's private serializer (stubs omit it): the value as the backend itself would store it.
            serialized = backend._cache._serializer.dumps(value)  # type: ignore[attr-defined]
            added, since = client.eval(_REDIS_ADD_SINCE, 2, *names, serialized, max(1, int(timeout)), int(time.time()))
            return bool(added), int(since)
        except Exception as exc:
            self._failed("add", exc)
            return None, None


# KEYS: the key to add, the watermark; ARGV: the value, its lifetime in
# seconds, now. Returns {1 if added else 0, the watermark}.
_REDIS_ADD_SINCE = """
local added = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2])
redis.call('SET', KEYS[2], ARGV[3], 'NX')
return {added and 1 or 0, redis.call('GET', KEYS[2])}
"""
