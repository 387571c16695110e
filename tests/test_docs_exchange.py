"""The token-exchange snippets of the docs run, as written, against the fake tenant.

A snippet is a ```python block after a `<!-- snippet: NAME -->` line in README.md. Each test runs
one and calls what it defines.
"""

import os
import re

import pytest
import responses
from django.core.cache import cache
from rest_framework.test import APIRequestFactory

from django_auth0_api.testing import FakeTenant, calls_to

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOMAIN = "your-tenant.auth0.com"
CALENDAR = "https://calendar-api.example.com"
EVENTS = [{"title": "Team sync"}]


def snippets() -> dict:
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as handle:
        return dict(re.findall(r"<!-- snippet: ([\w-]+) -->\n```python\n(.*?)```", handle.read(), re.S))


def run(name: str) -> dict:
    namespace: dict = {"__name__": f"snippet_{name.replace('-', '_')}"}
    exec(compile(snippets()[name], f"<snippet {name}>", "exec"), namespace)  # noqa: S102 (our own docs)
    return namespace


@pytest.fixture
def tenant(settings):
    """The docs' tenant (your-tenant.auth0.com), its client id and secret the docs' placeholders."""
    tenant = FakeTenant(domain=DOMAIN, audience="https://mcp.example.com")
    tenant.client_id, tenant.client_secret = "<AUTH0_CLIENT_ID>", "<AUTH0_CLIENT_SECRET>"
    settings.AUTH0_API = tenant.settings()
    cache.clear()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        tenant.mock(rsps)
        tenant.responses = rsps
        rsps.add("GET", f"{CALENDAR}/events", json=EVENTS)
        yield tenant


def test_every_snippet_is_found():
    assert sorted(snippets()) == ["connection", "errors", "obo-client", "obo-view", "profile"]


def test_obo_view_snippet(tenant):
    view = run("obo-view")["CalendarProxyView"].as_view()
    token = tenant.mint_token("auth0|alice")
    response = view(APIRequestFactory().get("/calendar", HTTP_AUTHORIZATION=f"Bearer {token}"))
    assert (response.status_code, response.data) == (200, {"user": "auth0|alice", "data": EVENTS})
    downstream = [c for c in tenant.responses.calls if c.request.url == f"{CALENDAR}/events"]
    assert downstream[0].request.headers["Authorization"] != f"Bearer {token}"


def test_obo_view_snippet_answers_502_when_auth0_refuses(tenant):
    tenant.queue_token_answer(403, {"error": "unauthorized_client", "error_description": "Not allowed"})
    view = run("obo-view")["CalendarProxyView"].as_view()
    response = view(APIRequestFactory().get("/calendar", HTTP_AUTHORIZATION=f"Bearer {tenant.mint_token()}"))
    assert (response.status_code, response.data) == (
        502, {"error": "unauthorized_client", "error_description": "Not allowed"})


def test_obo_client_snippet(tenant):
    exchange_on_behalf_of = run("obo-client")["exchange_on_behalf_of"]
    token = tenant.mint_token("auth0|alice", audience="https://mcp-server.example.com")
    assert exchange_on_behalf_of(token) == {"user": "auth0|alice", "data": EVENTS}


def test_profile_snippet(tenant):
    tenant.exchange_profiles["urn:example:legacy-session"] = lambda token: "auth0|legacy-42"
    result = run("profile")["auth0_token_for_legacy_session"]("session-abc")
    assert (result["scope"], tenant.requests[-1]["device_id"]) == ("calendar:read", "kiosk-7")


def test_connection_snippet(tenant):
    tenant.responses.add("GET", "https://www.googleapis.com/calendar/v3/calendars/primary/events",
                         json={"items": EVENTS})
    view = run("connection")["google_calendar_events"]

    class Request:  # what the snippet reads of a DRF request
        class auth:
            token = tenant.mint_token("auth0|alice")
            sub = "auth0|alice"

    assert view(Request) == {"items": EVENTS}
    assert tenant.requests[-1]["login_hint"] == "auth0|alice"


def test_errors_snippet_returns_retry_after(tenant):
    tenant.queue_token_answer(429, {"error": "too_many_requests"}, headers={"Retry-After": "20"})
    assert run("errors")["calendar_token_or_wait"](tenant.mint_token()) == {"retry_after": "20"}
    assert calls_to(tenant.responses, tenant.token_url) == 1
