"""Prometheus metrics for the library's signals (docs/operations.md).

Opt in by adding `"django_auth0_api.contrib.prometheus"` to `INSTALLED_APPS`
(needs `prometheus_client`); the metrics then join the default registry, which
your `/metrics` endpoint (prometheus_client's, django-prometheus's, or
`metrics_view` here) exposes. Nothing else in the package imports this module.

Every label has a fixed, small set of values: a scheme, a reason code of
`django_auth0_api.reasons.REASONS`, a document kind, an outcome, a grant.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

try:
    from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
    from prometheus_client.exposition import CONTENT_TYPE_LATEST
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("django_auth0_api.contrib.prometheus needs prometheus_client: pip install prometheus_client") \
        from exc

from ... import signals

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

# Verification is sub-millisecond when warm, up to HTTP_TIMEOUT when a key fetch is in the way.
VERIFICATION_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1.0, 5.0, 10.0)
# The exchange failures' `error` codes that are the library's own; any other is Auth0's refusal.
_EXCHANGE_OUTCOMES = {"timeout_error": "timeout", "network_error": "unreachable",
                      "invalid_response": "invalid_response", "invalid_request": "invalid_request"}

_lock = threading.Lock()
_default: Metrics | None = None


class Metrics:
    """The counters and the histogram, fed by receivers of the library's signals."""

    def __init__(self, registry: CollectorRegistry = REGISTRY, namespace: str = "auth0_api") -> None:
        def counter(name: str, documentation: str, labels: list[str]) -> Counter:
            return Counter(name, documentation, labels, namespace=namespace, registry=registry)

        self.registry = registry
        self.verified = counter("tokens_verified", "Requests whose credentials verified", ["scheme"])
        self.refused = counter("tokens_refused", "Requests whose credentials were refused", ["scheme", "reason"])
        self.verification_seconds = Histogram(
            "verification_seconds", "Time to verify a request's credentials", ["scheme", "outcome"],
            namespace=namespace, registry=registry, buckets=VERIFICATION_BUCKETS)
        self.key_fetches = counter("key_fetches", "Fetches of discovery documents and JWKS", ["document", "outcome"])
        self.key_set_changes = counter("key_set_changes", "Key sets loaded or rotated in this process", ["issuer"])
        self.exchanges = counter("token_exchanges", "Token exchanges at the token endpoint", ["grant", "outcome"])
        self._receivers = (
            (signals.token_verified, self.on_verified), (signals.token_refused, self.on_refused),
            (signals.keys_fetched, self.on_fetched), (signals.keys_refreshed, self.on_refreshed),
            (signals.token_exchanged, self.on_exchanged), (signals.token_exchange_failed, self.on_exchange_failed),
        )

    # -- wiring -------------------------------------------------------------------
    def connect(self) -> Metrics:
        for signal, receiver in self._receivers:
            signal.connect(receiver, weak=False, dispatch_uid=self._uid(receiver))
        return self

    def disconnect(self) -> None:
        for signal, receiver in self._receivers:
            signal.disconnect(receiver, dispatch_uid=self._uid(receiver))

    def _uid(self, receiver: Callable[..., None]) -> str:
        return f"auth0_api.prometheus.{id(self)}.{receiver.__name__}"

    # -- receivers ----------------------------------------------------------------
    def on_verified(self, sender: type, scheme: str, duration: float | None, **kwargs: object) -> None:
        self.verified.labels(scheme).inc()
        if duration is not None:
            self.verification_seconds.labels(scheme, "verified").observe(duration)

    def on_refused(self, sender: type, scheme: str | None, reason: str, duration: float | None,
                   **kwargs: object) -> None:
        scheme = scheme or "none"
        self.refused.labels(scheme, reason).inc()
        if duration is not None:
            self.verification_seconds.labels(scheme, "refused").observe(duration)

    def on_fetched(self, sender: type, document: str, outcome: str, **kwargs: object) -> None:
        self.key_fetches.labels(document, outcome).inc()

    def on_refreshed(self, sender: type, issuer: str, **kwargs: object) -> None:
        self.key_set_changes.labels(issuer).inc()

    def on_exchanged(self, sender: type, grant: str, cached: bool, **kwargs: object) -> None:
        self.exchanges.labels(grant, "cached" if cached else "issued").inc()

    def on_exchange_failed(self, sender: type, grant: str, error: str, status: int, **kwargs: object) -> None:
        outcome = "rate_limited" if status == 429 else _EXCHANGE_OUTCOMES.get(error, "refused")
        self.exchanges.labels(grant, outcome).inc()


def install(registry: CollectorRegistry | None = None) -> Metrics:
    """Connect the receivers. Without `registry`: the default registry, once
    per process (the app's `ready()` calls this); with one: new metrics there."""
    global _default
    if registry is not None:
        return Metrics(registry).connect()
    with _lock:
        if _default is None:
            _default = Metrics(REGISTRY).connect()
        return _default


def metrics_view(request: HttpRequest) -> HttpResponse:
    """The default registry in the text exposition format. Route it where only
    your scraper reaches it."""
    from django.http import HttpResponse

    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
