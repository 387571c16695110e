"""A test's fresh start for the library's state in the Django cache."""

from __future__ import annotations

import time

from django.core.cache import caches
from django.core.cache.backends.memcached import BaseMemcachedCache

from ..core.documents import join_background_refreshes
from ..core.dpop import replay_watermark_key
from ..core.shared_cache import SharedCache


def clear_shared_cache(alias: str = "default") -> None:
    """Empty the cache `alias` (keys, replay state, exchanged tokens), and let
    its replay state remember since the epoch.

    A cache that comes back empty refuses the DPoP proofs issued before it did
    (docs/deployment.md, "When the cache fails"); a test that clears the cache and then sends
    a proof minted a moment earlier would be refused at a second boundary. A
    background refresh still running (of the test before) ends first, so that
    it cannot write to the emptied cache."""
    join_background_refreshes()
    cache = caches[alias]
    cache.clear()
    if isinstance(cache, BaseMemcachedCache):
        # Memcached's flush_all also drops what is stored within the same
        # second, after it: start in the next one.
        time.sleep(1 - time.time() % 1 + 0.01)
    remember_replays_from_the_start(alias)


def remember_replays_from_the_start(alias: str = "default") -> None:
    """Let the replay state of the cache `alias` (in the current key generation)
    remember since the epoch, so that no proof is refused as older than it."""
    SharedCache(alias).set(replay_watermark_key(), 0, None)
