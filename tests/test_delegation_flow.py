"""The testproject's delegation flow (testproject/api/delegation_views.py): /api/mcp/calendar
verifies the caller, exchanges the token On-Behalf-Of the user and calls /api/calendar/events
over HTTP at DOWNSTREAM_API_URL, which reports the actor and the delegation chain.

Under `responses` the downstream URL is routed back into this project through Django's test
client, so the whole flow runs in one process exactly as it does over the network.
"""

import pytest
import requests
from django.test import Client

from django_auth0_api.core import jws
from django_auth0_api.testing import calls_to

CALENDAR = "https://calendar-api.example.com"
DOWNSTREAM = "https://calendar.internal.test"
EVENTS = [{"title": "Team sync", "start": "2030-01-07T09:00:00Z"}]


@pytest.fixture
def flow(auth0_tenant, settings):
    """The tenant, with this API and the calendar API as audiences, and the downstream routed here.
    `flow.downstream` collects the Authorization header of every downstream call."""
    settings.AUTH0_API = auth0_tenant.settings(AUDIENCE=[auth0_tenant.audience, CALENDAR])
    settings.CALENDAR_API_AUDIENCE = CALENDAR
    settings.DOWNSTREAM_API_URL = DOWNSTREAM
    auth0_tenant.downstream = []

    def route(request):
        auth0_tenant.downstream.append(request.headers["Authorization"])
        path = request.url[len(DOWNSTREAM):]
        response = Client().get(path, HTTP_AUTHORIZATION=request.headers["Authorization"])
        return response.status_code, {"Content-Type": response["Content-Type"]}, response.content

    auth0_tenant.responses.add_callback("GET", f"{DOWNSTREAM}/api/calendar/events", callback=route)
    return auth0_tenant


def call(client, token, path="/api/mcp/calendar"):
    return client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_the_calendar_sees_the_user_and_this_api_as_actor(flow, client):
    response = call(client, flow.mint_token("auth0|alice"))
    assert response.status_code == 200
    assert response.json() == {"user": "auth0|alice", "calendar": {
        "user": "auth0|alice", "actor": "test-client-id", "delegation_chain": ["test-client-id"], "events": EVENTS}}


def test_an_earlier_actor_stays_in_the_chain(flow, client):
    response = call(client, flow.mint_token("auth0|alice", act={"sub": "agent-7"}))
    assert response.json()["calendar"]["delegation_chain"] == ["test-client-id", "agent-7"]
    assert response.json()["calendar"]["actor"] == "test-client-id"


def test_the_downstream_call_carries_the_exchanged_token_not_the_callers(flow, client):
    incoming = flow.mint_token("auth0|alice")
    call(client, incoming)
    (authorization,) = flow.downstream
    scheme, exchanged = authorization.split(" ")
    claims = jws.decode_segment(jws.split(exchanged)[1])
    assert (scheme, claims["aud"], claims["scope"]) == ("Bearer", CALENDAR, "calendar:read")
    assert exchanged != incoming


def test_the_exchange_asks_for_the_calendar_audience_and_scope(flow, client):
    incoming = flow.mint_token()
    call(client, incoming)
    form = flow.requests[-1]
    assert (form["subject_token"], form["audience"], form["scope"]) == (incoming, CALENDAR, "calendar:read")


def test_repeated_calls_reuse_the_exchanged_token(flow, client):
    token = flow.mint_token()
    assert [call(client, token).status_code for _ in range(3)] == [200, 200, 200]
    assert (calls_to(flow.responses, flow.token_url), len(flow.downstream)) == (1, 3)


def test_a_refused_exchange_is_a_502_of_this_api(flow, client):
    flow.queue_token_answer(403, {"error": "unauthorized_client", "error_description": "Not allowed"})
    response = call(client, flow.mint_token())
    assert (response.status_code, response.json()) == (502, {
        "error": "token_exchange_failed", "error_description": "Not allowed", "exchange_error": "unauthorized_client"})
    assert flow.downstream == []


def test_a_rate_limited_exchange_is_a_503_with_retry_after(flow, client):
    flow.queue_token_answer(429, {"error": "too_many_requests", "error_description": "Slow down"},
                            headers={"Retry-After": "9"})
    response = call(client, flow.mint_token())
    assert (response.status_code, response["Retry-After"]) == (503, "9")


def test_a_timed_out_exchange_is_a_504(flow, client):
    flow.queue_token_answer(error=requests.exceptions.ReadTimeout())
    assert call(client, flow.mint_token()).status_code == 504


def test_an_unreachable_calendar_is_a_502(flow, client):
    flow.responses.replace("GET", f"{DOWNSTREAM}/api/calendar/events", body=requests.exceptions.ConnectionError())
    response = call(client, flow.mint_token())
    assert (response.status_code, response.json()) == (502, {
        "error": "downstream_failed", "error_description": "The calendar API did not answer",
        "downstream_status": None})


def test_a_calendar_token_cannot_call_the_mcp_server(flow, client):
    response = call(client, flow.mint_token(audience=CALENDAR, scope="calendar:read"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == ('Bearer realm="api", error="invalid_token", '
                                            'error_description="Audience is not accepted", DPoP algs="ES256"')
    assert calls_to(flow.responses, flow.token_url) == 0


def test_a_token_for_the_mcp_server_cannot_call_the_calendar(flow, client):
    response = call(client, flow.mint_token(scope="calendar:read"), "/api/calendar/events")
    assert response.status_code == 401


def test_the_calendar_needs_calendar_read(flow, client):
    response = call(client, flow.mint_token(audience=CALENDAR, scope="calendar:write"), "/api/calendar/events")
    assert (response.status_code, response.json()["detail"]) == (403, "Token lacks the required scope")


@pytest.mark.servers
def test_the_flow_for_real_under_gunicorn(tmp_path):
    """The local tenant and the project under gunicorn; the MCP view calls the calendar view of the
    same server over loopback HTTP (one worker, several threads, so it does not wait on itself)."""
    from testproject import servers

    with servers.local_tenant(str(tmp_path)) as (tenant, env):
        port = servers.free_port()
        env = {**env, "AUTH0_AUDIENCE": f"{tenant.audience} {CALENDAR}",
               "DOWNSTREAM_API_URL": f"http://127.0.0.1:{port}"}
        with servers.gunicorn(port, "testproject.settings", env, workers=1, threads=4):
            token = tenant.mint_token("auth0|alice", act={"sub": "agent-7"})
            answers = [requests.get(f"http://127.0.0.1:{port}/api/mcp/calendar", timeout=10,
                                    headers={"Authorization": f"Bearer {token}"}) for _ in range(2)]
        served = servers.served(tenant)
    assert [answer.status_code for answer in answers] == [200, 200]
    assert answers[0].json() == {"user": "auth0|alice", "calendar": {
        "user": "auth0|alice", "actor": "test-client-id", "delegation_chain": ["test-client-id", "agent-7"],
        "events": EVENTS}}
    assert served["token"] == 1  # the second call reused the exchanged token


def test_an_exchange_with_an_empty_audience_in_a_drf_view_is_answered_not_a_500(flow, client, settings):
    settings.CALENDAR_API_AUDIENCE = ""  # the view's own mistake: get_token_on_behalf_of(token, audience="")
    response = call(client, flow.mint_token())
    assert (response.status_code, response.json()) == (502, {
        "error": "token_exchange_failed", "error_description": "Missing required argument: audience",
        "exchange_error": "invalid_request"})
    assert calls_to(flow.responses, flow.token_url) == 0


def test_an_exchange_without_client_credentials_in_a_drf_view_is_a_configuration_500(flow, client, settings, caplog):
    from django_auth0_api import request_auth

    request_auth._logged.clear()
    settings.AUTH0_API = dict(settings.AUTH0_API, CLIENT_SECRET=None)
    responses = [call(client, flow.mint_token()) for _ in range(2)]
    assert [(r.status_code, r.json()) for r in responses] == [(500, {
        "error": "server_error", "error_description": "The server's authentication is misconfigured"})] * 2
    assert len([r for r in caplog.records if r.name == "django_auth0_api" and r.levelname == "ERROR"]) == 1
