"""JSON documents (discovery, JWKS) shared by every process through the Django cache.

Each process keeps the parsed document in memory until it goes stale, so a
warm request makes no cache round trip. A stale copy keeps serving while one
thread refreshes it in the background; one process fetches at a time,
fleet-wide (`cache.add` lock), and the others keep serving the stale copy or,
when they have none, wait for the fetcher's result. A failed fetch never
replaces a good copy.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .http import FetchError
from .shared_cache import SharedCache

if TYPE_CHECKING:
    from ..options import ApiClientOptions

logger = logging.getLogger("django_auth0_api.keys")

# Stale copies stay in the shared cache this long, to serve through an outage.
KEEP_STALE = 24 * 3600
# After a failed fetch nobody in the fleet tries again for this long.
FAILURE_BACKOFF = 30
MIN_TTL = 30
_POLL = 0.05
# The background refreshes in flight in this process (`join_background_refreshes`).
_background: set[threading.Thread] = set()
_background_lock = threading.Lock()


def join_background_refreshes(timeout: float = 10.0) -> None:
    """Until every background refresh of this process has ended: a test that
    empties the cache must not have a refresh of the test before write to it."""
    deadline = time.monotonic() + timeout
    with _background_lock:
        threads = list(_background)
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    with _background_lock:
        _background.difference_update([thread for thread in threads if not thread.is_alive()])


@dataclass(frozen=True)
class Entry:
    value: Any
    fetched_at: float
    fresh_until: float


def ttl_for(options: ApiClientOptions, headers: Mapping[str, str] | None) -> float:
    """`CACHE_TTL`, lowered by the server's `max-age`, but not below 30 s."""
    ttl = options.cache_ttl
    for directive in (headers or {}).get("Cache-Control", "").split(","):
        name, _, value = directive.strip().partition("=")
        # isascii: "²".isdigit() is true but int() refuses it; the length cap:
        # int() refuses more than 4300 digits (and no TTL needs 10).
        if name.lower() == "max-age" and value.isascii() and value.isdigit() and len(value) <= 10:
            ttl = min(ttl, max(int(value), min(MIN_TTL, ttl)))
    return ttl


class SharedDocument:
    def __init__(self, key: str, fetch: Callable[[], tuple[Any, float]], options: ApiClientOptions,
                 on_change: Callable[[Entry], None] | None = None, name: str | None = None) -> None:
        self.key = key
        self.name = name or key  # for log lines: what is fetched, not the cache key's hash
        self.lock_key = key + ":lock"
        self._fetch = fetch
        self._options = options
        self._on_change = on_change
        self._adopting = threading.Lock()
        self._revalidating_lock = threading.Lock()
        self._revalidating: threading.Thread | None = None
        self.local: Entry | None = None

    @property
    def cache(self) -> SharedCache:
        return SharedCache(self._options.cache_alias)

    def get(self) -> Entry:
        """A fresh entry if possible, else the stale one while a refresh runs
        in the background; only a process with no copy at all waits."""
        local = self.local
        if local is not None and time.time() < local.fresh_until:
            return local
        local = self.sync()
        if local is not None and time.time() < local.fresh_until:
            return local
        if local is None:
            return self._fetch_once(stale=None)
        self._revalidate(local)
        return local

    def _revalidate(self, stale: Entry) -> None:
        """Stale while revalidate (RFC 5861 §3, in spirit): one thread of this
        process refreshes, and of the fleet one process fetches (the lock of
        `_fetch_once`); meanwhile requests go on with the stale copy, taken as
        fresh for a second so that they do not ask the shared cache each time."""
        with self._revalidating_lock:
            if self._revalidating is not None and self._revalidating.is_alive():
                return
            self.local = Entry(stale.value, stale.fetched_at, time.time() + 1)
            thread = threading.Thread(target=self._revalidate_now, args=(stale,), daemon=True,
                                      name="auth0-api-revalidate")
            self._revalidating = thread
        thread.start()
        with _background_lock:
            if thread.is_alive():  # (it removes itself when done; a join needs it started)
                _background.add(thread)

    def _revalidate_now(self, stale: Entry) -> None:
        try:
            self._fetch_once(stale)
        except Exception:  # the stale copy keeps serving; the next request after it tries again
            logger.warning("auth0: background refresh of %s failed", self.key, exc_info=True)
        finally:
            with _background_lock:
                _background.discard(threading.current_thread())

    def wait_for_revalidation(self, timeout: float = 10.0) -> None:
        """Until a background refresh in progress has ended (tests, shutdown)."""
        thread = self._revalidating
        if thread is not None:
            thread.join(timeout)

    def sync(self) -> Entry | None:
        """Adopt the shared copy when another process fetched a newer one."""
        shared = self.cache.get(self.key)  # an outage reads as nothing shared
        if isinstance(shared, Entry) and (self.local is None or shared.fetched_at > self.local.fetched_at):
            self._adopt(shared)
        return self.local

    def refresh(self) -> Entry | None:
        """Fetch now (the caller rations this); None when the fetch fails."""
        try:
            return self._store(*self._fetch())
        except FetchError as exc:
            logger.debug("auth0: refetch failed, keeping the copy (%s)", exc.url or self.name,
                         extra={"event": "refetch_failed"})
            return None

    def _fetch_once(self, stale: Entry | None) -> Entry:
        cache = self.cache
        if self._try_lock(cache, "fetching", self._options.timeout * 2 + 1):
            # Another process may have stored a fresh copy and released the lock
            # between our read and our lock: look again before fetching.
            current = self.sync()
            if (current is not None and (stale is None or current.fetched_at > stale.fetched_at)
                    and time.time() < current.fresh_until):
                self._delete_lock(cache)
                return current
            try:
                entry = self._store(*self._fetch())
            except FetchError as exc:
                logger.debug("auth0: fetch failed, backing off (%s)", exc.url or self.name,
                             extra={"event": "fetch_failed"})
                self._set_lock(cache, "failed", FAILURE_BACKOFF)
                return self._serve_stale(stale, exc)
            self._delete_lock(cache)
            return entry
        if stale is not None:
            # Someone else is fetching: the old copy serves meanwhile, and we
            # look for the new one again in a second, not on every request.
            self.local = Entry(stale.value, stale.fetched_at, time.time() + 1)
            return self.local
        return self._wait_for_fetcher(cache)

    def _wait_for_fetcher(self, cache: SharedCache) -> Entry:
        # As long as the fetcher may take: a JWKS fetch may fetch discovery
        # first, each call within HTTP_TIMEOUT (the lock's lifetime says so too).
        deadline = time.monotonic() + self._options.timeout * 2
        while time.monotonic() < deadline:
            if self._read_lock(cache) == "failed":
                raise FetchError("a recent fetch failed")
            entry = self.sync()
            if entry is not None:
                return entry
            time.sleep(_POLL)
        raise FetchError("timed out waiting for another process's fetch", timed_out=True)

    def _serve_stale(self, stale: Entry | None, exc: FetchError) -> Entry:
        if stale is None:
            raise exc
        # Serve the old copy and come back after the back-off, not on every request.
        self.local = Entry(stale.value, stale.fetched_at, time.time() + FAILURE_BACKOFF)
        return self.local

    def _store(self, value: object, ttl: float) -> Entry:
        now = time.time()
        entry = Entry(value, now, now + ttl)
        self.cache.set(self.key, entry, KEEP_STALE)
        self._adopt(entry)
        return entry

    def _adopt(self, entry: Entry) -> None:
        # `on_change` (parsing the keys) runs before the entry is published: a
        # thread that finds a fresh `local` must find its parsed keys too, or it
        # takes the first key set for a rotation and spends the refetch on it.
        with self._adopting:
            changed = self.local is None or self.local.value != entry.value
            if changed and self._on_change is not None:
                self._on_change(entry)
            self.local = entry

    def _try_lock(self, cache: SharedCache, state: str, timeout: float) -> bool:
        # No answer from the shared cache: every process fetches for itself.
        return cache.add(self.lock_key, state, int(timeout) + 1) is not False

    def _set_lock(self, cache: SharedCache, state: str, timeout: float) -> None:
        cache.set(self.lock_key, state, timeout)

    def _delete_lock(self, cache: SharedCache) -> None:
        cache.delete(self.lock_key)

    def _read_lock(self, cache: SharedCache) -> object:
        return cache.get(self.lock_key)
