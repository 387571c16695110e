"""Async plain views: `Auth0Middleware` under Django's async handler and
`auth0_required` on `async def` and async class-based views."""

import threading

import pytest
import requests
from asgiref.sync import SyncToAsync, async_to_sync
from django.http import JsonResponse
from django.test import AsyncRequestFactory
from helpers import BARE_CHALLENGE, aget, answer, dpop_headers

from django_auth0_api import aauthenticate, authenticate, get_api_client
from django_auth0_api.decorators import auth0_required

MISSING = {"error_description": "Authorization header is missing"}
INSUFFICIENT_CHALLENGE = ('Bearer realm="api", error="insufficient_scope", error_description="Token lacks the '
                          'required scope", scope="read:messages", DPoP algs="ES256"')


def bearer_header(token):
    return {"Authorization": f"Bearer {token}"}


# -- through the ASGI handler, middleware installed ---------------------------------------------------------
@pytest.mark.parametrize("path", ["/async/me", "/async/class-me"])
def test_a_valid_token_runs_the_async_view(auth0_tenant, async_client, path):
    response = aget(async_client, path, **bearer_header(auth0_tenant.mint_token(scope="a b")))
    assert (response.status_code, response.json()) == (200, {
        "sub": "auth0|user-1", "scheme": "Bearer", "scopes": ["a", "b"], "actor": None, "delegation_chain": []})


@pytest.mark.parametrize("path", ["/async/me", "/async/class-me"])
def test_no_credentials_on_an_async_view_is_the_bare_challenge(auth0_tenant, async_client, path):
    assert answer(aget(async_client, path)) == (401, MISSING, BARE_CHALLENGE)


def test_an_invalid_token_is_answered_by_the_async_middleware(auth0_tenant, async_client):
    response = aget(async_client, "/async/optional", Authorization="Bearer a.b.c")
    assert (answer(response), response["Vary"]) == ((
        401, {"error": "invalid_token", "error_description": "Access token is malformed"},
        'Bearer realm="api", error="invalid_token", error_description="Access token is malformed", '
        'DPoP algs="ES256"'), "Authorization")


def test_an_async_view_without_the_scope_is_403(auth0_tenant, async_client):
    response = aget(async_client, "/async/messages", **bearer_header(auth0_tenant.mint_token(scope="other")))
    assert answer(response) == (
        403, {"error": "insufficient_scope", "error_description": "Token lacks the required scope"},
        INSUFFICIENT_CHALLENGE)


def test_an_async_view_with_the_scope_runs(auth0_tenant, async_client):
    response = aget(async_client, "/async/messages", **bearer_header(auth0_tenant.mint_token(scope="read:messages")))
    assert response.json() == {"messages": ["hello"], "sub": "auth0|user-1"}


def test_dpop_on_an_async_view(auth0_tenant, async_client, dpop_key):
    token = auth0_tenant.mint_token(jkt=dpop_key.jkt)
    response = aget(async_client, "/async/me", **dpop_headers(auth0_tenant, dpop_key, token,
                                                              "http://testserver/async/me"))
    assert (response.status_code, response.json()["scheme"]) == (200, "DPoP")


def test_a_replayed_proof_is_refused_by_the_async_middleware(auth0_tenant, async_client, dpop_key):
    token = auth0_tenant.mint_token(jkt=dpop_key.jkt)
    headers = dpop_headers(auth0_tenant, dpop_key, token, "http://testserver/async/me")
    statuses = [aget(async_client, "/async/me", **headers).status_code for _ in range(2)]
    second = aget(async_client, "/async/me", **headers)
    assert (statuses, answer(second)[1]) == (
        [200, 401], {"error": "invalid_dpop_proof", "error_description": "DPoP proof has been used before"})


def test_a_key_outage_is_503_under_the_async_handler(auth0_tenant, async_client):
    auth0_tenant.responses.replace("GET", auth0_tenant.jwks_url, body=requests.ConnectionError("down"))
    response = aget(async_client, "/async/me", **bearer_header(auth0_tenant.mint_token()))
    assert (response.status_code, response["Retry-After"], response.json()["error"]) == (
        503, "30", "temporarily_unavailable")


def test_aauthenticate_in_a_view_is_the_middlewares_outcome(auth0_tenant, async_client):
    response = aget(async_client, "/async/optional", **bearer_header(auth0_tenant.mint_token()))
    assert response.json() == {"sub": "auth0|user-1", "same": True}


def test_an_async_exchange_in_a_view(auth0_tenant, async_client):
    response = aget(async_client, "/async/calendar-token", **bearer_header(auth0_tenant.mint_token()))
    assert (response.status_code, response.json()["sub"]) == (200, "auth0|user-1")


# -- blocking work off the loop, none on the warm path -----------------------------------------------------
@pytest.fixture
def hops(monkeypatch):
    """How many times `sync_to_async` handed work to a thread."""
    calls = []
    original = SyncToAsync.__call__

    async def counting(self, *args, **kwargs):
        calls.append(self.func)
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(SyncToAsync, "__call__", counting)
    return calls


def test_a_warm_bearer_request_is_verified_without_a_thread_hop(auth0_tenant, hops):
    request = AsyncRequestFactory().get("/", headers=bearer_header(auth0_tenant.mint_token(sub="warm")))
    get_api_client().verify_access_token(auth0_tenant.mint_token())  # the keys, fetched once
    token = async_to_sync(aauthenticate)(request)
    assert (token.sub, hops) == ("warm", [])


def test_a_cold_key_fetch_runs_off_the_event_loop(auth0_tenant):
    fetched_on = []
    jwks = auth0_tenant.jwks()

    def jwks_answer(request):
        fetched_on.append(threading.get_ident())
        import json

        return 200, {"Content-Type": "application/json"}, json.dumps(jwks)

    auth0_tenant.responses.remove("GET", auth0_tenant.jwks_url)
    auth0_tenant.responses.add_callback("GET", auth0_tenant.jwks_url, callback=jwks_answer)
    loop_thread = []

    async def verify():
        loop_thread.append(threading.get_ident())
        request = AsyncRequestFactory().get("/", headers=bearer_header(auth0_tenant.mint_token()))
        return await aauthenticate(request)

    token = async_to_sync(verify)()
    assert (token.sub, len(fetched_on), fetched_on[0] != loop_thread[0]) == ("auth0|user-1", 1, True)


def test_the_dpop_replay_add_goes_through_the_async_cache_api(auth0_tenant, dpop_key, hops):
    token = auth0_tenant.mint_token(jkt=dpop_key.jkt)
    get_api_client().verify_access_token(token)
    request = AsyncRequestFactory().get("/data", headers=dpop_headers(auth0_tenant, dpop_key, token,
                                                                       "http://testserver/data"))
    verified = async_to_sync(aauthenticate)(request)
    # One hop: the replay record and its watermark (one cache round trip on Redis).
    assert (verified.scheme, [func.__name__ for func in hops]) == ("DPoP", ["add_since"])


def test_sync_and_async_share_the_outcome_of_a_request(auth0_tenant, dpop_key):
    token = auth0_tenant.mint_token(jkt=dpop_key.jkt)
    request = AsyncRequestFactory().get("/data", headers=dpop_headers(auth0_tenant, dpop_key, token,
                                                                       "http://testserver/data"))
    first = async_to_sync(aauthenticate)(request)
    assert authenticate(request) is first  # the proof is not checked (and refused as replayed) again


# -- auth0_required applied wrongly fails where the view is defined -------------------------------------------
@pytest.mark.parametrize("argument", ["read:messages", ["read:messages"], 3])
def test_positional_scopes_are_a_type_error(argument):
    with pytest.raises(TypeError, match=r"auth0_required\(\) takes a view"):
        auth0_required(argument)


def test_decorating_a_class_is_a_type_error():
    from django.views import View

    with pytest.raises(TypeError, match="as_view"):
        auth0_required(View)


def test_an_unknown_rule_is_a_type_error():
    with pytest.raises(TypeError, match="unexpected keyword argument .colour."):
        auth0_required(scopes=["a"], colour="red")


def test_a_decorated_async_view_is_still_a_coroutine_function():
    from asgiref.sync import iscoroutinefunction

    @auth0_required(scopes=["a"])
    async def view(request):
        return JsonResponse({})

    assert iscoroutinefunction(view)


# -- a DOMAINS resolver may block: the verification runs in a worker thread --------------------------------
def test_with_a_domains_resolver_verification_runs_off_the_loop(auth0_tenant, settings):
    resolved_on = []

    def resolver(context):
        resolved_on.append(threading.get_ident())
        return [auth0_tenant.domain]

    settings.AUTH0_API = auth0_tenant.settings(DOMAIN=None, DOMAINS=resolver, CLIENT_ID=None)  # no exchanges
    loop_thread = []

    async def verify():
        loop_thread.append(threading.get_ident())
        return await aauthenticate(AsyncRequestFactory().get("/", headers=bearer_header(auth0_tenant.mint_token())))

    token = async_to_sync(verify)()
    assert (token.sub, bool(resolved_on), loop_thread[0] not in resolved_on) == ("auth0|user-1", True, True)


# -- request.auser() for async views ---------------------------------------------------------------------------
def test_auser_resolves_the_user_off_the_loop(auth0_tenant, settings):
    resolved_on = []

    def user_resolver(token):
        resolved_on.append(threading.get_ident())
        return f"db-user:{token.sub}"

    settings.AUTH0_API = auth0_tenant.settings(USER_RESOLVER=user_resolver)

    @auth0_required
    async def view(request):
        return JsonResponse({"user": await request.auser(), "loop": threading.get_ident() not in resolved_on})

    response = async_to_sync(view)(AsyncRequestFactory().get("/", headers=bearer_header(auth0_tenant.mint_token())))
    assert json_of(response) == {"user": "db-user:auth0|user-1", "loop": True}


def json_of(response):
    import json

    return json.loads(response.content)


# -- the authorization rules on async views ------------------------------------------------------------------

MFA = "http://schemas.openid.net/pape/policies/2007/06/multi-factor"


@auth0_required(acr_values=[MFA], max_age=60, organization=lambda request: request.GET.get("org", ""))
async def stepped_up_view(request):
    return JsonResponse({"org": request.auth.org_name})


@pytest.mark.parametrize("query, claims, expected", [
    ("org=acme", {"org_name": "acme", "amr": ["mfa"], "auth_age": 5}, (200, None)),
    ("org=beta", {"org_name": "acme", "amr": ["mfa"], "auth_age": 5}, (403, "insufficient_scope")),
    ("org=acme", {"org_name": "acme", "amr": ["mfa"], "auth_age": 90}, (401, "insufficient_user_authentication")),
    ("org=acme", {"org_name": "acme", "amr": ["pwd"], "auth_age": 5}, (401, "insufficient_user_authentication")),
])
def test_rules_on_an_async_decorated_view(auth0_tenant, no_middleware, query, claims, expected):
    token = auth0_tenant.mint_token(**claims)
    request = AsyncRequestFactory().get(f"/x?{query}", headers={"Authorization": f"Bearer {token}"})
    status, body, _ = answer(async_to_sync(stepped_up_view)(request))
    assert (status, body.get("error")) == expected


def organization_from_query(request):
    return request.GET.get("org") if request is not None else None


@pytest.mark.parametrize("org, status", [("acme", 200), ("beta", 401)])
def test_an_organization_setting_from_the_request_under_the_async_handler(auth0_tenant, settings, async_client,
                                                                          org, status):
    settings.AUTH0_API = auth0_tenant.settings(ORGANIZATION=f"{__name__}.organization_from_query")
    response = aget(async_client, f"/async/me?org={org}", **bearer_header(auth0_tenant.mint_token(org_name="acme")))
    assert response.status_code == status


# -- configuration errors: a 500 with a fixed description, async faces included -----------------------------
@pytest.mark.parametrize("path", ["/async/optional"])
def test_a_configuration_error_under_the_async_middleware_is_a_500(auth0_tenant, async_client, settings, path):
    from django_auth0_api import request_auth

    request_auth._logged.clear()
    settings.AUTH0_API = auth0_tenant.settings(AUDIENCE="")
    response = aget(async_client, path, **bearer_header(auth0_tenant.mint_token()))
    assert (response.status_code, response.json(), "WWW-Authenticate" in response) == (500, {
        "error": "server_error", "error_description": "The server's authentication is misconfigured"}, False)
