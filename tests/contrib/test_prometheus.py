"""The Prometheus metrics, counted from real requests and exchanges against the fake tenant."""

import os
import subprocess
import sys

import pytest
import requests
from helpers import bearer
from prometheus_client import CollectorRegistry

from django_auth0_api.contrib.prometheus import Metrics, install

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def metrics():
    installed = install(CollectorRegistry())
    yield installed
    installed.disconnect()


def value(metrics: Metrics, name: str, **labels) -> float:
    return metrics.registry.get_sample_value(f"auth0_api_{name}", labels) or 0.0


def test_verified_and_refused_requests_are_counted_by_scheme_and_reason(auth0_tenant, client, metrics):
    client.get("/plain/me", **bearer(auth0_tenant.mint_token()))
    client.get("/plain/me", **bearer(auth0_tenant.mint_token()))
    client.get("/plain/me", **bearer(auth0_tenant.mint_token(expires_in=-1)))
    client.get("/plain/me", HTTP_AUTHORIZATION="Bearer a, Bearer b")
    assert (value(metrics, "tokens_verified_total", scheme="Bearer"),
            value(metrics, "tokens_refused_total", scheme="Bearer", reason="expired"),
            value(metrics, "tokens_refused_total", scheme="none", reason="malformed_request")) == (2, 1, 1)


def test_verification_time_is_a_histogram_by_outcome(auth0_tenant, client, metrics):
    client.get("/plain/me", **bearer(auth0_tenant.mint_token()))
    client.get("/plain/me", **bearer(auth0_tenant.mint_token(audience="https://other.example.com")))
    assert (value(metrics, "verification_seconds_count", scheme="Bearer", outcome="verified"),
            value(metrics, "verification_seconds_count", scheme="Bearer", outcome="refused"),
            value(metrics, "verification_seconds_bucket", scheme="Bearer", outcome="verified", le="+Inf")) == (1, 1, 1)
    assert 0 < value(metrics, "verification_seconds_sum", scheme="Bearer", outcome="verified") < 5


def test_key_fetches_are_counted_by_document_and_outcome(auth0_tenant, client, metrics):
    client.get("/plain/me", **bearer(auth0_tenant.mint_token()))
    auth0_tenant.responses.replace("GET", auth0_tenant.jwks_url, body=requests.ConnectionError("down"))
    client.get("/plain/me", **bearer(auth0_tenant.mint_token(kid="rotated")))
    assert (value(metrics, "key_fetches_total", document="discovery", outcome="ok"),
            value(metrics, "key_fetches_total", document="jwks", outcome="ok"),
            value(metrics, "key_fetches_total", document="jwks", outcome="unreachable"),
            value(metrics, "key_set_changes_total", issuer=auth0_tenant.issuer)) == (1, 1, 1, 1)


def test_exchanges_are_counted_by_grant_and_outcome(auth0_tenant, api_client, metrics):
    token = auth0_tenant.mint_token()
    api_client.get_token_on_behalf_of(token, audience="https://calendar-api.example.com")
    api_client.get_token_on_behalf_of(token, audience="https://calendar-api.example.com")
    auth0_tenant.queue_token_answer(429, {"error": "too_many_requests"}, headers={"Retry-After": "5"})
    auth0_tenant.queue_token_answer(403, {"error": "unauthorized_client"})
    for _ in range(2):
        with pytest.raises(Exception):
            api_client.get_token_on_behalf_of(token, audience="https://other-api.example.com")
    assert [value(metrics, "token_exchanges_total", grant="on_behalf_of", outcome=outcome)
            for outcome in ("issued", "cached", "rate_limited", "refused")] == [1, 1, 1, 1]


def test_the_app_installs_the_default_metrics_once(monkeypatch):
    from django_auth0_api.contrib import prometheus
    from django_auth0_api.contrib.prometheus.apps import PrometheusConfig

    monkeypatch.setattr(prometheus, "REGISTRY", CollectorRegistry())
    monkeypatch.setattr(prometheus, "_default", None)
    PrometheusConfig("django_auth0_api.contrib.prometheus", prometheus).ready()
    installed = prometheus._default
    try:
        assert (install() is installed, installed.registry is prometheus.REGISTRY) == (True, True)
    finally:
        installed.disconnect()


def test_nothing_imports_prometheus_client_unless_asked():
    code = ("import sys, django; django.setup()\n"
            "from django_auth0_api import ApiClient, ApiClientOptions, signals\n"
            "import django_auth0_api.middleware, django_auth0_api.authentication, django_auth0_api.exchange.grants\n"
            "print('prometheus_client' in sys.modules)\n")
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="testproject.settings", PYTHONPATH=ROOT)
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, check=True)
    assert shown.stdout == "False\n"


def test_without_prometheus_client_the_opt_in_says_what_to_install():
    code = ("import sys; sys.modules['prometheus_client'] = None\n"
            "try:\n    import django_auth0_api.contrib.prometheus\n"
            "except ImportError as exc:\n    print(exc)\n")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert shown.stdout == ("django_auth0_api.contrib.prometheus needs prometheus_client: "
                            "pip install prometheus_client\n")


def test_the_view_exposes_the_default_registry(rf):
    from django_auth0_api.contrib.prometheus import metrics_view

    response = metrics_view(rf.get("/metrics"))
    assert (response.status_code, response["Content-Type"].split(";")[0]) == (200, "text/plain")
