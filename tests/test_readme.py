"""The README's snippets run, as written, against the fake tenant.

A snippet is a ```python block after a `<!-- snippet: NAME -->` line in README.md. Each test runs
one and calls what it defines.
"""

import os
import re

import pytest
import responses
from rest_framework.test import APIRequestFactory

from django_auth0_api.testing import FakeTenant, calls_to, clear_shared_cache

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
    tenant.apis.add("https://mcp-server.example.com")  # the obo-client snippet's API
    clear_shared_cache()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        tenant.mock(rsps)
        tenant.responses = rsps
        rsps.add("GET", f"{CALENDAR}/events", json=EVENTS)
        yield tenant


def test_every_snippet_is_found():
    assert sorted(snippets()) == [
        "bearer-verify-access-token", "bearer-verify-request", "connection", "delegation", "dpop-modes",
        "dpop-verify-proof", "dpop-verify-request", "errors", "obo-client", "obo-view", "profile",
        "testing-conftest", "testing-tests"]


# -- "Testing your API": the examples run as a project's own suite, in their own pytest -------------------

def test_the_testing_examples_pass_as_a_projects_suite(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", ROOT)  # the project of this run: testproject
    pytester.makeconftest(snippets()["testing-conftest"])
    pytester.makepyfile(test_views=snippets()["testing-tests"])
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--ds", "testproject.settings")
    result.assert_outcomes(passed=3)


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


# -- the verification examples of the upstream library --------------------------------------------------
API = "https://api.example.com"
DATA_URL = "https://api.example.com/data"


def test_delegation_snippet_reports_the_actor_and_chain(tenant):
    token = tenant.mint_token("auth0|alice", audience=CALENDAR,
                              act={"sub": "mcp_server_client_id", "act": {"sub": "agent"}})
    assert run("delegation")["inspect_delegated_token"](token) == {
        "user_sub": "auth0|alice", "current_actor": "mcp_server_client_id",
        "delegation_chain": ["mcp_server_client_id", "agent"]}


def test_delegation_snippet_refuses_another_actor(tenant):
    token = tenant.mint_token("auth0|alice", audience=CALENDAR, act={"sub": "someone-else"})
    with pytest.raises(PermissionError):
        run("delegation")["inspect_delegated_token"](token)


def test_bearer_verify_access_token_snippet(tenant):
    token = tenant.mint_token("auth0|alice", audience=API)
    validate = run("bearer-verify-access-token")["validate_bearer_token"]
    assert validate({"authorization": f"Bearer {token}"}) == {"success": True, "user": "auth0|alice"}


def test_bearer_verify_access_token_snippet_refuses_a_bad_token(tenant):
    token = tenant.mint_token("auth0|alice", audience="https://other.example.com")
    validate = run("bearer-verify-access-token")["validate_bearer_token"]
    assert validate({"authorization": f"Bearer {token}"}) == ({"error": "Audience is not accepted"}, 401)


def test_bearer_verify_request_snippet_returns_the_challenge(tenant):
    validate = run("bearer-verify-request")["validate_request"]
    assert validate({}) == ({"error": "Authorization header is missing"}, 401,
                            {"WWW-Authenticate": 'Bearer realm="api", DPoP algs="ES256"'})


def test_dpop_modes_snippet_offers_the_schemes_of_each_mode():
    namespace = run("dpop-modes")
    assert [namespace[mode].options.dpop_mode for mode in ("allowed", "required", "off")] == [
        "allowed", "required", "off"]


def test_dpop_verify_request_snippet(tenant, dpop_key):
    token = tenant.mint_token("auth0|alice", audience=API, jkt=dpop_key.jkt)
    proof = tenant.mint_dpop_proof(dpop_key, htm="GET", htu=DATA_URL, access_token=token)
    handle = run("dpop-verify-request")["handle_api_request"]
    assert handle({"authorization": f"DPoP {token}", "dpop": proof}, "GET", DATA_URL) == {
        "success": True, "user": "auth0|alice"}


def test_dpop_verify_proof_snippet(tenant, dpop_key):
    token = tenant.mint_token("auth0|alice", audience=API, jkt=dpop_key.jkt)
    proof = tenant.mint_dpop_proof(dpop_key, htm="POST", htu=DATA_URL, access_token=token)
    result = run("dpop-verify-proof")["verify_dpop_token"](token, proof, "POST", DATA_URL)
    assert (result["token_claims"]["sub"], result["proof_claims"]["htm"]) == ("auth0|alice", "POST")
