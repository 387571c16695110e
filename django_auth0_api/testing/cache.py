"""A test's fresh start for the library's state in the Django cache."""

from __future__ import annotations

from django.core.cache import caches

from ..core.dpop import REPLAY_WATERMARK_KEY


def clear_shared_cache(alias: str = "default") -> None:
    """Empty the cache `alias` (keys, replay state, exchanged tokens), and let
    its replay state remember since the epoch.

    A cache that comes back empty refuses the DPoP proofs issued before it did
    (README, "A fleet of workers"); a test that clears the cache and then sends
    a proof minted a moment earlier would be refused at a second boundary."""
    cache = caches[alias]
    cache.clear()
    cache.set(REPLAY_WATERMARK_KEY, 0, None)
