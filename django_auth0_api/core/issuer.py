"""An issuer's documents: its discovery document, then its JWKS, parsed once per process.

An unknown `kid` may mean the tenant rotated its keys: the set is fetched
again, but at most once per `JWKS_REFETCH_COOLDOWN` across the whole fleet,
so a flood of made-up kids cannot turn into a flood of fetches.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from .. import signals
from ..errors import KeysUnavailableError, VerifyAccessTokenError
from ..options import is_allowed_endpoint
from . import http, jws
from .documents import Entry, SharedDocument, ttl_for
from .shared_cache import SharedCache
from .shared_cache import key as cache_key

if TYPE_CHECKING:
    from ..options import ApiClientOptions

logger = logging.getLogger("django_auth0_api.keys")

# How often one process may look in the shared cache for a newer key set.
_SYNC_INTERVAL = 1.0
# The fleet-wide cooldown key's states: a refetch in flight, then done.
_REFETCHING, _REFETCHED = "refetching", "refetched"
_REFETCH_POLL = 0.05

_Args = ParamSpec("_Args")
_Fetched = TypeVar("_Fetched")
_Fetch = Callable[Concatenate["IssuerDocuments", _Args], _Fetched]


def _announced(document: str) -> Callable[[_Fetch[_Args, _Fetched]], _Fetch[_Args, _Fetched]]:
    """Time one fetch of `document` and announce its outcome (`signals.fetched`)."""

    def decorate(fetch: _Fetch[_Args, _Fetched]) -> _Fetch[_Args, _Fetched]:
        @functools.wraps(fetch)
        def announced(self: IssuerDocuments, *args: _Args.args, **kwargs: _Args.kwargs) -> _Fetched:
            start = time.perf_counter()
            try:
                result = fetch(self, *args, **kwargs)
            except http.FetchError as exc:
                outcome = ("timeout" if exc.timed_out else "http_error" if exc.status
                           else "unreachable" if exc.reason == "connection failed" else "invalid")
                signals.fetched(self, document, outcome, exc.status, time.perf_counter() - start,
                                exc.cause or exc.reason, exc.url)
                raise
            signals.fetched(self, document, "ok", 200, time.perf_counter() - start)
            return result

        return announced

    return decorate


class IssuerDocuments:
    def __init__(self, issuer: str, options: ApiClientOptions, on_rotate: Callable[[], None] | None = None) -> None:
        self.issuer = issuer
        self.options = options
        self._on_rotate = on_rotate
        self.discovery = SharedDocument(cache_key("discovery", issuer), self._fetch_discovery, options,
                                        name=f"the discovery document of {issuer}")
        self.jwks = SharedDocument(cache_key("jwks", issuer), self._fetch_jwks, options, self._parse,
                                   name=f"the JWKS of {issuer}")
        self._cooldown_key = cache_key("jwks-cooldown", issuer)
        self._keys: dict[str, tuple[dict[str, Any], object]] = {}
        # (kid, alg) -> key, for keys of `_keys` already found to fit `alg`;
        # replaced, never emptied, with `_keys`, so a reader keeps a whole one.
        self._fitting: dict[tuple[str, str], object] = {}
        self._next_sync = 0.0
        self._next_refetch = 0.0
        self._lock = threading.Lock()

    # -- public -----------------------------------------------------------
    def get_key(self, kid: str, alg: str) -> object:
        """The public key for `kid`, checked to fit `alg`."""
        local = self.jwks.local
        if local is None or time.time() >= local.fresh_until:
            self._load(self.jwks.get)
        fitting = self._fitting
        key = fitting.get((kid, alg))
        if key is not None:
            return key
        found = self._keys.get(kid)
        if found is None:
            found = self._after_rotation(kid)
        if found is None:
            raise VerifyAccessTokenError("Signing key not found")
        jwk, key = found
        if not jws.jwk_verifies(jwk, key, alg):
            raise VerifyAccessTokenError("Signing key does not fit the token's algorithm")
        if self._keys.get(kid) is found:  # bounded: only the keys of the set, each with its algorithms
            fitting[(kid, alg)] = key
        return key

    def warm_key(self, kid: str, alg: str) -> object | None:
        """`get_key` when it needs neither the network nor the shared cache
        (a fresh key set in this process that holds `kid`), else None."""
        local = self.jwks.local
        if local is None or time.time() >= local.fresh_until or kid not in self._keys:
            return None
        return self.get_key(kid, alg)

    def metadata(self) -> dict[str, Any]:
        """The discovery document (for exchanges and `auth0_check`)."""
        return self._load(self.discovery.get).value

    def key_ids(self) -> list[str]:
        self._load(self.jwks.get)
        return list(self._keys)

    # -- internals --------------------------------------------------------
    def _load(self, getter: Callable[[], Entry]) -> Entry:
        try:
            return getter()
        except http.FetchError as exc:
            raise KeysUnavailableError() from exc

    def _after_rotation(self, kid: str) -> tuple[dict[str, Any], object] | None:
        now = time.monotonic()
        if now >= self._next_sync:
            self._next_sync = now + _SYNC_INTERVAL
            self.jwks.sync()
            if kid in self._keys:
                return self._keys[kid]
        # Single flight: the other threads of this process wait for its refetch
        # (bounded by the fetch's own timeout), the other processes for the
        # fleet's (`_wait_for_refetch`), so the first tokens signed with a new
        # key are not refused while it is being fetched.
        with self._lock:
            if kid in self._keys:
                return self._keys[kid]
            now = time.monotonic()
            if now < self._next_refetch:
                return None
            cooldown = max(1, int(self.options.jwks_refetch_cooldown))
            self._next_refetch = now + cooldown
            cache = self.jwks.cache
            # No answer from the shared cache: this process refetches for itself.
            if cache.add(self._cooldown_key, _REFETCHING, cooldown) is not False:
                self.jwks.refresh()
                cache.set(self._cooldown_key, _REFETCHED, cooldown)
            else:
                self._wait_for_refetch(cache)
            return self._keys.get(kid)

    def _wait_for_refetch(self, cache: SharedCache) -> None:
        """Another process holds the cooldown: while it is still fetching, wait
        (at most `HTTP_TIMEOUT`) and adopt what it stored."""
        deadline = time.monotonic() + self.options.timeout
        while time.monotonic() < deadline:
            if cache.get(self._cooldown_key) != _REFETCHING:
                break
            time.sleep(_REFETCH_POLL)
        self.jwks.sync()

    def _check_url(self, url: object) -> str:
        if not is_allowed_endpoint(url, self.options.allow_insecure_http):
            raise http.FetchError("endpoint is not an https URL")
        return url

    def _get_json(self, url: str) -> tuple[object, Mapping[str, str]]:
        """(document, headers) of a GET: the library's own, or `custom_fetch`'s."""
        custom_fetch = self.options.custom_fetch
        if custom_fetch is None:
            return http.get_json(url, self.options.timeout)
        try:
            reply = custom_fetch(url)
            if isinstance(reply, dict):  # the document itself, as upstream allows
                return reply, {}
            status = getattr(reply, "status_code", 200)
            if status != 200:
                raise http.FetchError(f"HTTP {status}", status)
            return reply.json(), getattr(reply, "headers", None) or {}
        except http.FetchError:
            raise
        except Exception as exc:  # the callable's failure is a failed fetch, logged by type only
            raise http.FetchError(f"custom_fetch raised {type(exc).__name__}") from None

    @_announced("discovery")
    def _fetch_discovery(self) -> tuple[dict[str, Any], float]:
        url = self.issuer + ".well-known/openid-configuration"
        document, headers = self._get_json(url)
        if not isinstance(document, dict) or document.get("issuer") != self.issuer:
            raise http.FetchError("discovery issuer does not match")
        self._check_url(document.get("jwks_uri"))
        return document, ttl_for(self.options, headers)

    def _fetch_jwks(self) -> tuple[dict[str, Any], float]:
        # discovery.get, not metadata(): a discovery outage must surface as a
        # FetchError here, so the JWKS fetch lock is marked failed, not left held.
        return self._get_jwks(self._check_url(self.discovery.get().value.get("jwks_uri")))

    @_announced("jwks")
    def _get_jwks(self, url: str) -> tuple[dict[str, Any], float]:
        document, headers = self._get_json(url)
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise http.FetchError("JWKS has no keys list")
        return document, ttl_for(self.options, headers)

    def _parse(self, entry: Entry) -> None:
        keys = {}
        for jwk in entry.value["keys"]:
            kid = jwk.get("kid") if isinstance(jwk, dict) else None
            if not isinstance(kid, str) or jwk.get("use", "sig") != "sig":
                continue
            try:
                keys[kid] = (jwk, jws.load_public_jwk(jwk))
            except jws.JWSError:
                logger.warning("auth0: unusable key skipped (issuer=%s, kid=%s)", self.issuer, kid,
                               extra={"event": "key_skipped", "issuer": self.issuer, "kid": kid})
        previous, self._keys = self._keys, keys
        self._fitting = {}
        signals.key_set_changed(self, previous, keys)
        if previous and self._on_rotate is not None:
            self._on_rotate()
