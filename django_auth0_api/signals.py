"""The library's events, as Django signals for code and log lines for operators.

Every signal is sent with `sender` the class that sends it and keyword
arguments only (docs/operations.md):

- `token_verified` — a request's credentials verified: `client` (the
  `ApiClient`), `token` (the `VerifiedToken`), `scheme`, `issuer`,
  `duration` (seconds), `request` (the `HttpRequest`, or None outside Django);
- `token_refused` — a request's credentials refused: `client`, `scheme`
  (None when the header could not be read), `reason` (a code of
  `django_auth0_api.reasons.REASONS`), `status`, `error` (the OAuth `error`
  code, or None), `duration`, `request`. Nothing of the token: a refused
  token is whatever the client sent;
- `keys_fetched` — one fetch of an issuer's `document` ("discovery" or
  "jwks"): `issuer`, `outcome` ("ok", "timeout", "unreachable",
  "http_error", "invalid"), `status` (the HTTP status, or None), `duration`;
- `keys_refreshed` — the key set of an issuer changed in this process (its
  first load included): `issuer`, `added`, `removed`, `key_ids` (tuples of
  `kid`s, sorted);
- `token_exchanged` / `token_exchange_failed` — an exchange at the token
  endpoint: `grant` ("on_behalf_of", "exchange_profile", "connection"),
  `cached` (served from the exchange cache), or `error` and `status`, and
  `duration`.

A request is announced once: by the faces (middleware, DRF class,
decorator), which verify it once, and by `ApiClient.verify_request`. The
building blocks (`verify_access_token`, `verify_dpop_proof`,
`authenticate_credentials`) announce nothing, so code that calls them inside
an already verified view does not count the request twice. A request without
credentials, or with another scheme, is not a refusal: no signal.

When nobody listens a send costs one attribute test (`signal.receivers`):
no clock is read and no argument is built. Receivers run with
`send_robust`: one that raises is logged by Django (`django.dispatch`) and
never turns a request into a 500.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection
from typing import TYPE_CHECKING

from django.dispatch import Signal

from .reasons import reason_of

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .client import ApiClient
    from .core.issuer import IssuerDocuments
    from .errors import ApiError, BaseAuthError
    from .exchange.grants import TokenExchanger
    from .verified_token import VerifiedToken

# use_caching: the receivers of a sender (always one of the library's classes) are looked up
# once, not under a lock on every send; connect and disconnect clear the cache.
token_verified = Signal(use_caching=True)
token_refused = Signal(use_caching=True)
keys_fetched = Signal(use_caching=True)
keys_refreshed = Signal(use_caching=True)
token_exchanged = Signal(use_caching=True)
token_exchange_failed = Signal(use_caching=True)

keys_logger = logging.getLogger("django_auth0_api.keys")
tokens_logger = logging.getLogger("django_auth0_api.tokens")
dpop_logger = logging.getLogger("django_auth0_api.dpop")
exchange_logger = logging.getLogger("django_auth0_api.exchange")

# Refusals an operator should look at: a stolen or replayed token, a forgery,
# a proxy that rewrites the URL. The others are what clients get wrong daily.
WORTH_A_LOOK = frozenset({"dpop_replay", "binding_mismatch", "bad_signature", "dpop_htu_mismatch"})
_DPOP_REASONS = frozenset({"invalid_dpop_proof", "dpop_htu_mismatch", "dpop_iat_window", "dpop_replay",
                           "dpop_nonce_required"})


def _send(signal: Signal, sender: type, **kwargs: object) -> None:
    try:
        signal.send_robust(sender, **kwargs)
    except Exception as exc:
        # send_robust catches what a receiver raises; this is Django failing to run an async
        # receiver from inside a running event loop (an async view): never the request's problem.
        logging.getLogger("django_auth0_api").error("auth0: a signal receiver could not run (error=%s)",
                                                    type(exc).__name__, extra={"event": "receiver_failed"})


def started() -> float | None:
    """The clock for a request's verification, or None when nobody listens."""
    if token_verified.receivers or token_refused.receivers:
        return time.perf_counter()
    return None


def _since(start: float | None) -> float | None:
    return None if start is None else time.perf_counter() - start


# -- requests -----------------------------------------------------------------
def verified(client: ApiClient, token: VerifiedToken, start: float | None, request: HttpRequest | None = None) -> None:
    if token_verified.receivers:
        _send(token_verified, type(client), client=client, token=token, scheme=token.scheme,
                            issuer=token.issuer, duration=_since(start), request=request)


def refused(client: ApiClient, error: BaseAuthError, start: float | None, request: HttpRequest | None = None) -> None:
    """Log the refusal (one line, no token) and send `token_refused`."""
    reason = reason_of(error)
    logger = dpop_logger if reason in _DPOP_REASONS else tokens_logger
    level = logging.WARNING if reason in WORTH_A_LOOK else logging.INFO
    status, code, scheme = error.get_status_code(), error.get_error_code(), error.scheme
    if logger.isEnabledFor(level):
        logger.log(level, "auth0: token refused (reason=%s, scheme=%s, status=%s)", reason, scheme, status,
                   extra={"event": "token_refused", "reason": reason, "scheme": scheme, "status": status})
    if token_refused.receivers:
        _send(token_refused, type(client), client=client, scheme=scheme, reason=reason, status=status,
                           error=code, duration=_since(start), request=request)


# -- keys -----------------------------------------------------------------------
def fetched(documents: IssuerDocuments, document: str, outcome: str, status: int | None, duration: float,
            reason: str = "", url: str | None = None) -> None:
    """One fetch of `document`; a failure is a WARNING line (an outage, or
    one in the making) naming the issuer, the outcome and its cause."""
    issuer = documents.issuer
    if outcome != "ok":
        keys_logger.warning("auth0: %s fetch failed (issuer=%s, outcome=%s, reason=%s)", document, issuer,
                            outcome, reason, extra={"event": "keys_fetch_failed", "issuer": issuer,
                                                    "document": document, "outcome": outcome,
                                                    "reason": reason, "status": status, "url": url})
    if keys_fetched.receivers:
        _send(keys_fetched, type(documents), issuer=issuer, document=document, outcome=outcome, status=status,
                          duration=duration)


def key_set_changed(documents: IssuerDocuments, previous: Collection[str], current: Collection[str]) -> None:
    """The parsed key set of an issuer changed: an INFO line and `keys_refreshed`."""
    added = tuple(sorted(set(current) - set(previous)))
    removed = tuple(sorted(set(previous) - set(current)))
    if not added and not removed:
        return
    issuer, key_ids = documents.issuer, tuple(sorted(current))
    event = "keys_rotated" if previous else "keys_loaded"
    keys_logger.info("auth0: signing keys %s (issuer=%s, added=%s, removed=%s)",
                     "rotated" if previous else "loaded", issuer, ",".join(added) or "-",
                     ",".join(removed) or "-", extra={"event": event, "issuer": issuer, "kid": key_ids,
                                                      "added": added, "removed": removed})
    if keys_refreshed.receivers:
        _send(keys_refreshed, type(documents), issuer=issuer, added=added, removed=removed, key_ids=key_ids)


# -- token exchange -------------------------------------------------------------
def exchanged(exchanger: TokenExchanger, grant: str, cached: bool, start: float) -> None:
    if exchange_logger.isEnabledFor(logging.DEBUG):
        exchange_logger.debug("auth0: token exchanged (grant=%s, cached=%s)", grant, cached,
                              extra={"event": "token_exchanged", "grant": grant, "cached": cached,
                                     "issuer": exchanger.issuer})
    if token_exchanged.receivers:
        _send(token_exchanged, type(exchanger), grant=grant, cached=cached, issuer=exchanger.issuer,
                             duration=time.perf_counter() - start)


def exchange_failed(exchanger: TokenExchanger, grant: str, error: ApiError, start: float) -> None:
    # The failure itself was logged where it was understood (answers, grants).
    if token_exchange_failed.receivers:
        _send(token_exchange_failed, type(exchanger), grant=grant, error=error.get_error_code(),
                                   status=error.get_status_code(), issuer=exchanger.issuer,
                                   duration=time.perf_counter() - start)
