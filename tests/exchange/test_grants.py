"""Token exchange (the README, §6): the forms, the results, the cache and every error mapping.

Auth0 is the shared fake tenant at the HTTP layer (`auth0_tenant`); canned answers of the token
endpoint come from `queue_token_answer()`.
"""

import logging
import time
from urllib.parse import parse_qsl

import pytest
import requests
from asgiref.sync import async_to_sync
from django.core.cache import caches

from django_auth0_api import get_api_client
from django_auth0_api.client import ApiClient
from django_auth0_api.core import jws
from django_auth0_api.core.shared_cache import key as cache_key
from django_auth0_api.errors import (
    ApiError,
    BaseAuthError,
    ConfigurationError,
    GetAccessTokenForConnectionError,
    GetTokenByExchangeProfileError,
    MissingRequiredArgumentError,
)
from django_auth0_api.options import ApiClientOptions
from django_auth0_api.testing import calls_to

CALENDAR = "https://calendar-api.example.com"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
REFRESH_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:refresh_token"
EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
CONNECTION_GRANT = "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token"
CONNECTION_TOKEN_TYPE = "http://auth0.com/oauth/token-type/federated-connection-access-token"
LEGACY_TYPE = "urn:example:legacy-session"


def posts(tenant) -> int:
    return calls_to(tenant.responses, tenant.token_url)


def sent_pairs(tenant) -> list:
    """The form of the last POST to the token endpoint, repeated fields kept."""
    body = [c for c in tenant.responses.calls if c.request.url == tenant.token_url][-1].request.body
    return parse_qsl(body)


def claims_of(token: str) -> dict:
    return jws.decode_segment(jws.split(token)[1])


def obo(tenant, token=None, audience=CALENDAR, scope="calendar:read"):
    return get_api_client().get_token_on_behalf_of(token or tenant.mint_token(), audience=audience, scope=scope)


# -- On-Behalf-Of: the form and the result ---------------------------------------------------------

def test_obo_posts_the_rfc8693_form_to_the_discovered_token_endpoint(auth0_tenant):
    token = auth0_tenant.mint_token()
    obo(auth0_tenant, token)
    assert auth0_tenant.requests == [{
        "grant_type": EXCHANGE_GRANT, "subject_token": token, "subject_token_type": ACCESS_TOKEN_TYPE,
        "requested_token_type": ACCESS_TOKEN_TYPE, "audience": CALENDAR, "scope": "calendar:read",
    }]


def test_obo_without_scope_sends_no_scope(auth0_tenant):
    obo(auth0_tenant, scope=None)
    assert "scope" not in auth0_tenant.requests[-1]


def test_obo_returns_the_access_token_fields(auth0_tenant):
    before = int(time.time())
    result = obo(auth0_tenant)
    assert sorted(result) == ["access_token", "expires_at", "expires_in", "issued_token_type", "scope", "token_type"]
    assert (result["expires_in"], result["scope"], result["token_type"], result["issued_token_type"]) == (
        3600, "calendar:read", "Bearer", ACCESS_TOKEN_TYPE)
    assert before + 3600 <= result["expires_at"] <= int(time.time()) + 3600


def test_obo_issued_token_names_this_client_as_the_actor(auth0_tenant):
    result = obo(auth0_tenant, auth0_tenant.mint_token("auth0|alice", act={"sub": "agent-7"}))
    verifier = ApiClient(ApiClientOptions(domain=auth0_tenant.domain, audience=CALENDAR))
    claims = verifier.verify_access_token(result["access_token"])
    assert (claims["sub"], claims["aud"], claims["act"]) == (
        "auth0|alice", CALENDAR, {"sub": "test-client-id", "act": {"sub": "agent-7"}})


def test_obo_never_returns_id_token_or_refresh_token(auth0_tenant):
    auth0_tenant.queue_token_answer(200, {"access_token": "at", "expires_in": 600, "id_token": "a.b.c",
                                          "refresh_token": "rt", "scope": "openid offline_access"})
    result = obo(auth0_tenant, scope="openid offline_access")
    assert result == {"access_token": "at", "expires_in": 600, "expires_at": result["expires_at"],
                      "scope": "openid offline_access"}


def test_optional_fields_are_left_out_when_the_server_omits_them(auth0_tenant):
    auth0_tenant.queue_token_answer(200, {"access_token": "opaque-token", "expires_in": 60})
    result = obo(auth0_tenant)
    assert result == {"access_token": "opaque-token", "expires_in": 60, "expires_at": result["expires_at"]}


# -- arguments refused before any network call ---------------------------------------------------

@pytest.mark.parametrize("token", ["Bearer abc.def.ghi", "bearer abc.def.ghi", "BEARER abc.def.ghi"])
def test_bearer_prefix_is_refused_without_a_network_call(auth0_tenant, token):
    with pytest.raises(GetTokenByExchangeProfileError) as caught:
        get_api_client().get_token_on_behalf_of(token, audience=CALENDAR)
    assert (caught.value.get_status_code(), caught.value.get_error_code()) == (400, "invalid_request")
    assert caught.value.get_error_description() == "access_token must be the raw token, without the 'Bearer ' prefix"
    assert len(auth0_tenant.responses.calls) == 0


@pytest.mark.parametrize("token", ["", None])
def test_empty_token_is_a_missing_argument_without_a_network_call(auth0_tenant, token):
    with pytest.raises(MissingRequiredArgumentError) as caught:
        get_api_client().get_token_on_behalf_of(token, audience=CALENDAR)
    assert caught.value.argument == "access_token"
    assert isinstance(caught.value, GetTokenByExchangeProfileError)
    assert len(auth0_tenant.responses.calls) == 0


@pytest.mark.parametrize("token", ["   ", "\t\n"])
def test_blank_token_is_the_exchanges_own_error_without_a_network_call(auth0_tenant, token):
    with pytest.raises(GetTokenByExchangeProfileError) as caught:
        get_api_client().get_token_on_behalf_of(token, audience=CALENDAR)
    error = caught.value
    assert (error.get_status_code(), error.get_error_code(), error.get_error_description()) == (
        400, "invalid_request", "access_token cannot be blank or whitespace")
    assert not isinstance(error, MissingRequiredArgumentError)
    assert len(auth0_tenant.responses.calls) == 0


def test_blank_subject_token_of_a_profile_exchange_is_its_own_error(auth0_tenant):
    with pytest.raises(GetTokenByExchangeProfileError) as caught:
        get_api_client().get_token_by_exchange_profile(" ", "urn:example:external-token")
    assert caught.value.get_error_description() == "subject_token cannot be blank or whitespace"


@pytest.mark.parametrize("token, description", [
    (" abc.def.ghi", "access_token must not have leading or trailing whitespace"),
    ("abc.def.ghi\n", "access_token must not have leading or trailing whitespace"),
    ("abc def", "access_token must be a single token without whitespace"),
    ("DPoP abc.def.ghi", "access_token must be a single token without whitespace"),
])
def test_token_with_whitespace_is_refused_without_a_network_call(auth0_tenant, token, description):
    with pytest.raises(GetTokenByExchangeProfileError) as caught:
        get_api_client().get_token_on_behalf_of(token, audience=CALENDAR)
    assert caught.value.get_error_description() == description
    assert len(auth0_tenant.responses.calls) == 0


def test_obo_without_audience_is_a_missing_argument(auth0_tenant):
    with pytest.raises(MissingRequiredArgumentError) as caught:
        get_api_client().get_token_on_behalf_of(auth0_tenant.mint_token(), audience="")
    assert caught.value.argument == "audience"
    assert len(auth0_tenant.responses.calls) == 0


def test_non_string_scope_is_refused(auth0_tenant):
    with pytest.raises(GetTokenByExchangeProfileError) as caught:
        get_api_client().get_token_on_behalf_of(auth0_tenant.mint_token(), audience=CALENDAR, scope=["a"])
    assert caught.value.get_error_description() == "scope must be a string"


# -- configuration ----------------------------------------------------------------------------

NEEDS_CREDENTIALS = ("Client credentials are required for token exchange: configure client_id and client_secret "
                     "(CLIENT_ID, CLIENT_SECRET) of a confidential client")


def needs_secret(method):
    return (f"Client credentials are required for token exchange: CLIENT_AUTH_METHOD {method} needs client_id and "
            "client_secret (CLIENT_SECRET), or use private_key_jwt with CLIENT_ASSERTION_KEY")


@pytest.mark.parametrize("overrides, message", [
    ({"CLIENT_ID": None}, NEEDS_CREDENTIALS),
    ({"CLIENT_SECRET": None}, needs_secret("client_secret_basic")),
    ({"CLIENT_SECRET": None, "CLIENT_AUTH_METHOD": "client_secret_post"}, needs_secret("client_secret_post")),
    ({"DOMAIN": None, "DOMAINS": ["tenant.example.auth0.com"], "CLIENT_ID": None},
     "Token exchange needs DOMAIN: the tenant whose token endpoint is used"),
])
def test_exchange_without_domain_or_credentials_is_the_exchanges_own_error(auth0_tenant, settings, overrides, message):
    settings.AUTH0_API = auth0_tenant.settings(**overrides)
    with pytest.raises(GetTokenByExchangeProfileError) as caught:
        obo(auth0_tenant, "abc.def.ghi")
    error = caught.value
    assert (error.get_status_code(), error.get_error_code(), str(error)) == (500, "invalid_configuration", message)
    assert len(auth0_tenant.responses.calls) == 0


def test_a_connection_exchange_without_credentials_is_its_own_error(auth0_tenant, settings):
    settings.AUTH0_API = auth0_tenant.settings(CLIENT_ID=None)
    with pytest.raises(GetAccessTokenForConnectionError) as caught:
        get_api_client().get_access_token_for_connection({"connection": "google-oauth2", "access_token": "a.b.c"})
    assert (caught.value.get_error_code(), str(caught.value)) == ("invalid_configuration", NEEDS_CREDENTIALS)


def test_a_client_id_without_domain_is_a_configuration_error(auth0_tenant):
    with pytest.raises(ConfigurationError) as caught:
        ApiClientOptions(domains=[auth0_tenant.domain], audience=CALENDAR, client_id="c", client_secret="s")
    assert str(caught.value) == ("The 'domain' parameter is required when 'client_id' is configured "
                                 "(DOMAIN with CLIENT_ID)")


@pytest.mark.parametrize("call, error_class", [
    (lambda client, token: client.get_token_on_behalf_of(token, audience=""), GetTokenByExchangeProfileError),
    (lambda client, token: client.get_token_by_exchange_profile(token, ""), GetTokenByExchangeProfileError),
    (lambda client, token: client.get_token_by_exchange_profile("", "urn:x"), GetTokenByExchangeProfileError),
    (lambda client, token: client.get_access_token_for_connection({"access_token": token}),
     GetAccessTokenForConnectionError),
    (lambda client, token: client.get_access_token_for_connection({"connection": "github"}),
     GetAccessTokenForConnectionError),
])
def test_a_missing_argument_is_both_upstreams_error_and_the_exchanges(auth0_tenant, call, error_class):
    with pytest.raises(MissingRequiredArgumentError) as caught:
        call(get_api_client(), auth0_tenant.mint_token())
    assert isinstance(caught.value, error_class)
    assert (caught.value.get_status_code(), caught.value.get_error_code()) == (400, "invalid_request")


# -- the cache --------------------------------------------------------------------------------

def test_a_cache_hit_makes_no_post(auth0_tenant):
    token = auth0_tenant.mint_token()
    first = obo(auth0_tenant, token)
    second = obo(auth0_tenant, token)
    assert second["access_token"] == first["access_token"]
    assert posts(auth0_tenant) == 1


def test_the_cache_is_shared_by_every_client_of_the_fleet(auth0_tenant):
    token = auth0_tenant.mint_token()
    options = ApiClientOptions.from_settings(auth0_tenant.settings())
    first = ApiClient(options).get_token_on_behalf_of(token, audience=CALENDAR, scope="calendar:read")
    second = ApiClient(options).get_token_on_behalf_of(token, audience=CALENDAR, scope="calendar:read")
    assert (second["access_token"], posts(auth0_tenant)) == (first["access_token"], 1)


@pytest.mark.parametrize("audience, scope", [(CALENDAR, "calendar:write"),
                                             ("https://mail.example.com", "calendar:read")])
def test_another_audience_or_scope_is_another_exchange(auth0_tenant, audience, scope):
    token = auth0_tenant.mint_token()
    obo(auth0_tenant, token)
    obo(auth0_tenant, token, audience=audience, scope=scope)
    assert posts(auth0_tenant) == 2


def test_exchange_cache_off_posts_every_time(auth0_tenant, settings):
    settings.AUTH0_API = auth0_tenant.settings(EXCHANGE_CACHE=False)
    token = auth0_tenant.mint_token()
    obo(auth0_tenant, token)
    obo(auth0_tenant, token)
    assert posts(auth0_tenant) == 2


def test_a_token_expiring_within_30_seconds_is_not_cached(auth0_tenant):
    auth0_tenant.token_lifetime = 30
    token = auth0_tenant.mint_token()
    obo(auth0_tenant, token)
    obo(auth0_tenant, token)
    assert posts(auth0_tenant) == 2


def test_a_cache_hit_counts_expires_in_from_now(auth0_tenant):
    token = auth0_tenant.mint_token()
    first = obo(auth0_tenant, token)
    second = obo(auth0_tenant, token)
    assert second["expires_at"] == first["expires_at"]
    assert second["expires_in"] == second["expires_at"] - int(time.time())


def test_a_failed_exchange_is_not_cached(auth0_tenant):
    token = auth0_tenant.mint_token()
    auth0_tenant.queue_token_answer(503, {"error": "temporarily_unavailable"})
    with pytest.raises(ApiError):
        obo(auth0_tenant, token)
    obo(auth0_tenant, token)
    assert posts(auth0_tenant) == 2


def test_the_cache_key_does_not_contain_the_subject_token(auth0_tenant):
    token = auth0_tenant.mint_token()
    obo(auth0_tenant, token)
    keys = [key for key in caches["default"]._cache if cache_key("exchange") in key]
    assert len(keys) == 1
    assert token not in keys[0] and jws.split(token)[2] not in keys[0]


# -- error mapping (the README) ------------------------------------------------------------------

def test_an_oauth_error_keeps_the_servers_code_status_and_description(auth0_tenant):
    auth0_tenant.queue_token_answer(403, {"error": "unauthorized_client",
                                          "error_description": "Client is not allowed to exchange tokens"})
    with pytest.raises(GetTokenByExchangeProfileError) as caught:
        obo(auth0_tenant)
    error = caught.value
    assert isinstance(error, ApiError) and isinstance(error, BaseAuthError)
    assert (error.get_status_code(), error.get_error_code(), error.get_error_description()) == (
        403, "unauthorized_client", "Client is not allowed to exchange tokens")


def test_an_oauth_error_without_description_gets_a_fixed_one(auth0_tenant):
    auth0_tenant.queue_token_answer(400, {"error": "invalid_grant"})
    with pytest.raises(ApiError) as caught:
        obo(auth0_tenant)
    assert caught.value.get_error_description() == "The token endpoint answered invalid_grant"


def test_the_servers_description_never_carries_the_subject_token(auth0_tenant):
    token = auth0_tenant.mint_token()
    auth0_tenant.queue_token_answer(400, {"error": "invalid_grant",
                                          "error_description": f'Bad "subject" token {token} \\ rejected'})
    with pytest.raises(ApiError) as caught:
        obo(auth0_tenant, token)
    assert caught.value.get_error_description() == "Bad subject token [redacted]  rejected"
    assert token not in str(caught.value)


def test_a_token_shaped_description_is_redacted_even_when_it_is_not_ours(auth0_tenant):
    other = auth0_tenant.mint_token("someone-else")
    auth0_tenant.queue_token_answer(400, {"error": "invalid_grant", "error_description": f"expired: {other}"})
    with pytest.raises(ApiError) as caught:
        obo(auth0_tenant)
    assert caught.value.get_error_description() == "expired: [redacted]"


def test_a_5xx_oauth_error_keeps_its_status(auth0_tenant):
    auth0_tenant.queue_token_answer(503, {"error": "temporarily_unavailable", "error_description": "Try later"},
                                    headers={"Retry-After": "12"})
    with pytest.raises(ApiError) as caught:
        obo(auth0_tenant)
    assert (caught.value.get_status_code(), caught.value.get_error_code(), caught.value.retry_after) == (
        503, "temporarily_unavailable", "12")


@pytest.mark.parametrize("error", [requests.exceptions.ReadTimeout(), requests.exceptions.ConnectTimeout()])
def test_a_timeout_is_504_timeout_error(auth0_tenant, error):
    auth0_tenant.queue_token_answer(error=error)
    with pytest.raises(ApiError) as caught:
        obo(auth0_tenant)
    assert (caught.value.get_status_code(), caught.value.get_error_code(), caught.value.get_error_description()) == (
        504, "timeout_error", "The token endpoint did not answer in time")


def test_a_network_failure_is_502_network_error(auth0_tenant):
    auth0_tenant.queue_token_answer(error=requests.exceptions.ConnectionError("refused"))
    with pytest.raises(ApiError) as caught:
        obo(auth0_tenant)
    assert (caught.value.get_status_code(), caught.value.get_error_code(), caught.value.get_error_description()) == (
        502, "network_error", "The token endpoint could not be reached: connection failed")


@pytest.mark.parametrize("status", [500, 502, 504])
def test_a_5xx_without_json_is_502(auth0_tenant, status):
    auth0_tenant.queue_token_answer(status, text="<html>Bad gateway</html>")
    with pytest.raises(ApiError) as caught:
        obo(auth0_tenant)
    assert (caught.value.get_status_code(), caught.value.get_error_code(), caught.value.get_error_description()) == (
        502, "invalid_response", f"The token endpoint answered HTTP {status} without an OAuth error")


def test_a_redirect_is_not_followed_and_is_502(auth0_tenant):
    auth0_tenant.queue_token_answer(302, text="", headers={"Location": "https://elsewhere.example/"})
    with pytest.raises(ApiError) as caught:
        obo(auth0_tenant)
    assert (caught.value.get_status_code(), caught.value.get_error_code()) == (502, "invalid_response")
    assert posts(auth0_tenant) == 1 and len(auth0_tenant.responses.calls) == 2  # discovery + the POST


@pytest.mark.parametrize("body", [
    {"expires_in": 3600},
    {"access_token": "", "expires_in": 3600},
    {"access_token": 12345, "expires_in": 3600},
    {"access_token": "two words", "expires_in": 3600},
    ["not", "an", "object"],
])
def test_a_200_without_a_usable_access_token_is_502(auth0_tenant, body):
    auth0_tenant.queue_token_answer(200, body)
    with pytest.raises(ApiError) as caught:
        obo(auth0_tenant)
    assert (caught.value.get_status_code(), caught.value.get_error_code()) == (502, "invalid_response")


@pytest.mark.parametrize("expires_in", ["3600", True, -1, None, [3600], 10**400, 1e300])
def test_a_200_with_a_bad_expires_in_is_502(auth0_tenant, expires_in):
    auth0_tenant.queue_token_answer(200, {"access_token": "abc", "expires_in": expires_in})
    with pytest.raises(ApiError) as caught:
        obo(auth0_tenant)
    assert (caught.value.get_status_code(), caught.value.get_error_code(), caught.value.get_error_description()) == (
        502, "invalid_response", "The token endpoint's answer has no usable expires_in")


def test_a_200_with_nan_expires_in_is_502(auth0_tenant):
    auth0_tenant.queue_token_answer(200, text='{"access_token": "abc", "expires_in": NaN}')
    with pytest.raises(ApiError) as caught:
        obo(auth0_tenant)
    # NaN is not JSON (RFC 8259 §6).
    assert (caught.value.get_status_code(), caught.value.get_error_code()) == (502, "invalid_json")


def test_a_200_without_json_is_502_invalid_json(auth0_tenant):
    auth0_tenant.queue_token_answer(200, text="<html>hello</html>")
    with pytest.raises(ApiError) as caught:
        obo(auth0_tenant)
    assert (caught.value.get_status_code(), caught.value.get_error_code(), caught.value.get_error_description()) == (
        502, "invalid_json", "The token endpoint returned invalid JSON")


@pytest.mark.parametrize("status", [400, 401, 404])
def test_a_4xx_without_an_oauth_error_keeps_its_status(auth0_tenant, status):
    auth0_tenant.queue_token_answer(status, text="Bad Request")
    with pytest.raises(ApiError) as caught:
        obo(auth0_tenant)
    assert (caught.value.get_status_code(), caught.value.get_error_code(), caught.value.get_error_description()) == (
        status, "token_exchange_error", f"The token endpoint answered HTTP {status} without an OAuth error")


def test_a_429_carries_retry_after(auth0_tenant):
    auth0_tenant.queue_token_answer(429, {"error": "too_many_requests", "error_description": "Rate limit exceeded"},
                                    headers={"Retry-After": "17"})
    with pytest.raises(ApiError) as caught:
        obo(auth0_tenant)
    error = caught.value
    assert (error.get_status_code(), error.get_error_code(), error.retry_after, error.get_headers()) == (
        429, "too_many_requests", "17", {"Retry-After": "17"})


def test_a_429_with_an_http_date_retry_after_counts_seconds(auth0_tenant):
    from email.utils import formatdate

    auth0_tenant.queue_token_answer(429, {"error": "too_many_requests"},
                                    headers={"Retry-After": formatdate(time.time() + 120, usegmt=True)})
    with pytest.raises(ApiError) as caught:
        obo(auth0_tenant)
    assert 118 <= int(caught.value.retry_after) <= 121


def test_a_429_without_json_is_still_a_rate_limit(auth0_tenant):
    auth0_tenant.queue_token_answer(429, text="slow down", headers={"Retry-After": "5"})
    with pytest.raises(ApiError) as caught:
        obo(auth0_tenant)
    assert (caught.value.get_status_code(), caught.value.get_error_code(), caught.value.retry_after) == (
        429, "too_many_requests", "5")


def test_unreachable_discovery_is_502(auth0_tenant):
    auth0_tenant.responses.replace("GET", auth0_tenant.discovery_url, status=500, body="down")
    with pytest.raises(ApiError) as caught:
        obo(auth0_tenant)
    assert (caught.value.get_status_code(), caught.value.get_error_code()) == (502, "network_error")
    assert posts(auth0_tenant) == 0


def test_discovery_without_token_endpoint_is_502(auth0_tenant):
    document = {k: v for k, v in auth0_tenant.discovery().items() if k != "token_endpoint"}
    auth0_tenant.responses.replace("GET", auth0_tenant.discovery_url, json=document)
    with pytest.raises(ApiError) as caught:
        obo(auth0_tenant)
    assert (caught.value.get_status_code(), caught.value.get_error_description()) == (
        502, "The tenant's discovery document has no usable token_endpoint")


def test_a_plain_http_token_endpoint_is_refused(auth0_tenant):
    document = dict(auth0_tenant.discovery(), token_endpoint="http://tenant.example.auth0.com/oauth/token")
    auth0_tenant.responses.replace("GET", auth0_tenant.discovery_url, json=document)
    with pytest.raises(ApiError) as caught:
        obo(auth0_tenant)
    assert caught.value.get_error_code() == "invalid_response"
    assert len(auth0_tenant.responses.calls) == 1


# -- Custom Token Exchange (get_token_by_exchange_profile) -------------------------------------------

@pytest.fixture
def legacy_profile(auth0_tenant):
    auth0_tenant.exchange_profiles[LEGACY_TYPE] = lambda token: "auth0|legacy-42" if token == "legacy-abc" else None
    return auth0_tenant


def test_profile_exchange_posts_its_form_with_extra(legacy_profile):
    get_api_client().get_token_by_exchange_profile(
        "legacy-abc", LEGACY_TYPE, audience=CALENDAR, scope="calendar:read",
        requested_token_type=ACCESS_TOKEN_TYPE,
        extra={"device": "kiosk-7", "region": ["eu", "us"], "trusted": True, "level": 3, "ratio": 0.5})
    assert sent_pairs(legacy_profile) == [
        ("grant_type", EXCHANGE_GRANT), ("subject_token", "legacy-abc"), ("subject_token_type", LEGACY_TYPE),
        ("audience", CALENDAR), ("scope", "calendar:read"), ("requested_token_type", ACCESS_TOKEN_TYPE),
        ("device", "kiosk-7"), ("region", "eu"), ("region", "us"), ("trusted", "true"), ("level", "3"),
        ("ratio", "0.5"),
    ]


def test_profile_exchange_returns_the_profiles_user(legacy_profile):
    result = get_api_client().get_token_by_exchange_profile("legacy-abc", LEGACY_TYPE, audience=CALENDAR)
    assert claims_of(result["access_token"])["sub"] == "auth0|legacy-42"


def test_profile_exchange_never_returns_id_token_or_refresh_token(legacy_profile):
    result = get_api_client().get_token_by_exchange_profile("legacy-abc", LEGACY_TYPE, audience=CALENDAR,
                                                            scope="openid offline_access")
    assert sorted(result) == ["access_token", "expires_at", "expires_in", "issued_token_type", "scope", "token_type"]


def test_profile_exchange_refused_by_the_tenant_is_its_error(legacy_profile):
    with pytest.raises(GetTokenByExchangeProfileError) as caught:
        get_api_client().get_token_by_exchange_profile("legacy-abc", "urn:example:unknown")
    assert (caught.value.get_status_code(), caught.value.get_error_code(), caught.value.get_error_description()) == (
        400, "invalid_request", "No Token Exchange Profile matches subject_token_type")


def test_profile_exchange_needs_a_subject_token_type(legacy_profile):
    with pytest.raises(MissingRequiredArgumentError) as caught:
        get_api_client().get_token_by_exchange_profile("legacy-abc", "")
    assert caught.value.argument == "subject_token_type"


@pytest.mark.parametrize("name", ["scope", "SCOPE", "Audience", "client_secret", "Client_Assertion", "grant_type",
                                  "subject_token", "subject_token_type", "requested_token_type", "actor_token",
                                  "actor_token_type", "client_id", "client_assertion_type", "resource",
                                  "connection", "login_hint", "organization"])
def test_extra_may_not_set_a_reserved_parameter(legacy_profile, name):
    with pytest.raises(GetTokenByExchangeProfileError) as caught:
        get_api_client().get_token_by_exchange_profile("legacy-abc", LEGACY_TYPE, extra={name: "x"})
    assert (caught.value.get_status_code(), caught.value.get_error_description()) == (
        400, f"Parameter '{name}' is reserved and cannot be set through extra")
    assert len(legacy_profile.responses.calls) == 0


@pytest.mark.parametrize("value", [None, {"a": 1}, {"a"}, b"bytes", float("nan"), float("inf"), ["ok", None],
                                   [["nested"]], list(range(21))])
def test_extra_values_are_scalars_or_short_lists_of_scalars(legacy_profile, value):
    with pytest.raises(GetTokenByExchangeProfileError) as caught:
        get_api_client().get_token_by_exchange_profile("legacy-abc", LEGACY_TYPE, extra={"custom": value})
    assert caught.value.get_error_code() == "invalid_request"
    assert len(legacy_profile.responses.calls) == 0


def test_extra_list_of_twenty_values_is_accepted(legacy_profile):
    get_api_client().get_token_by_exchange_profile("legacy-abc", LEGACY_TYPE, extra={"tag": list(range(20))})
    assert [value for name, value in sent_pairs(legacy_profile) if name == "tag"] == [str(i) for i in range(20)]


@pytest.mark.parametrize("extra", [{"": "x"}, {"bad name": "x"}, {7: "x"}, ["device", "x"]])
def test_extra_names_and_shape_are_checked(legacy_profile, extra):
    with pytest.raises(GetTokenByExchangeProfileError):
        get_api_client().get_token_by_exchange_profile("legacy-abc", LEGACY_TYPE, extra=extra)
    assert len(legacy_profile.responses.calls) == 0


def test_profile_exchange_refuses_a_bearer_prefix(legacy_profile):
    with pytest.raises(GetTokenByExchangeProfileError) as caught:
        get_api_client().get_token_by_exchange_profile("Bearer legacy-abc", LEGACY_TYPE)
    assert caught.value.get_error_description() == (
        "subject_token must be the raw token, without the 'Bearer ' prefix")
    assert len(legacy_profile.responses.calls) == 0


def test_profile_exchanges_are_cached_with_their_extra(legacy_profile):
    client = get_api_client()
    for extra in ({"device": "a"}, {"device": "a"}, {"device": "b"}):
        client.get_token_by_exchange_profile("legacy-abc", LEGACY_TYPE, audience=CALENDAR, extra=extra)
    assert posts(legacy_profile) == 2


# -- Token Vault (get_access_token_for_connection) ------------------------------------------------

def test_connection_exchange_posts_auth0s_form(auth0_tenant):
    token = auth0_tenant.mint_token()
    get_api_client().get_access_token_for_connection(
        {"connection": "google-oauth2", "access_token": token, "login_hint": "auth0|user-1"})
    assert auth0_tenant.requests == [{
        "grant_type": CONNECTION_GRANT, "subject_token": token, "subject_token_type": ACCESS_TOKEN_TYPE,
        "requested_token_type": CONNECTION_TOKEN_TYPE, "connection": "google-oauth2", "login_hint": "auth0|user-1",
    }]


def test_connection_exchange_returns_the_connections_token(auth0_tenant):
    result = get_api_client().get_access_token_for_connection(
        {"connection": "google-oauth2", "access_token": auth0_tenant.mint_token()})
    assert result["access_token"].startswith("fake-google-oauth2-")
    assert (result["expires_in"], result["scope"], result["token_type"], result["issued_token_type"]) == (
        3599, "https://www.googleapis.com/auth/calendar.readonly", "Bearer", CONNECTION_TOKEN_TYPE)


def test_connection_exchange_with_a_refresh_token(auth0_tenant):
    get_api_client().get_access_token_for_connection({"connection": "google-oauth2", "refresh_token": "v1.rt-abc"})
    assert (auth0_tenant.requests[-1]["subject_token"], auth0_tenant.requests[-1]["subject_token_type"]) == (
        "v1.rt-abc", REFRESH_TOKEN_TYPE)


def test_connection_without_a_stored_token_is_the_tenants_401(auth0_tenant):
    with pytest.raises(GetAccessTokenForConnectionError) as caught:
        get_api_client().get_access_token_for_connection(
            {"connection": "github", "access_token": auth0_tenant.mint_token()})
    assert (caught.value.get_status_code(), caught.value.get_error_code(), caught.value.get_error_description()) == (
        401, "federated_connection_refresh_token_not_found", "Federated connection Refresh Token not found.")


@pytest.mark.parametrize("options, argument", [
    ({"access_token": "abc.def.ghi"}, "connection"),
    ({"connection": "google-oauth2"}, "access_token"),
    ({"connection": "google-oauth2", "access_token": ""}, "access_token"),
])
def test_connection_exchange_missing_arguments(auth0_tenant, options, argument):
    with pytest.raises(MissingRequiredArgumentError) as caught:
        get_api_client().get_access_token_for_connection(options)
    assert caught.value.argument == argument
    assert len(auth0_tenant.responses.calls) == 0


@pytest.mark.parametrize("options, message", [
    ({"connection": "google-oauth2", "access_token": "Bearer abc"},
     "access_token must be the raw token, without the 'Bearer ' prefix"),
    ({"connection": "google-oauth2", "access_token": "a.b.c", "refresh_token": "rt"},
     "Give access_token or refresh_token, not both"),
    ({"connection": "google-oauth2", "access_token": "a.b.c", "loginhint": "x"},
     "options may only hold connection, access_token, refresh_token and login_hint"),
    ("google-oauth2", "options must be a dict with connection and access_token"),
])
def test_connection_exchange_refuses_bad_options_without_a_network_call(auth0_tenant, options, message):
    with pytest.raises(GetAccessTokenForConnectionError) as caught:
        get_api_client().get_access_token_for_connection(options)
    assert (caught.value.get_status_code(), caught.value.get_error_description()) == (400, message)
    assert len(auth0_tenant.responses.calls) == 0


def test_connection_tokens_are_cached(auth0_tenant):
    options = {"connection": "google-oauth2", "access_token": auth0_tenant.mint_token()}
    first = get_api_client().get_access_token_for_connection(options)
    second = get_api_client().get_access_token_for_connection(dict(options))
    assert (second["access_token"], posts(auth0_tenant)) == (first["access_token"], 1)


# -- nothing secret in logs or messages -----------------------------------------------------------

def test_no_token_or_secret_in_any_log_record_or_message(auth0_tenant, caplog):
    caplog.set_level(logging.DEBUG)
    token = auth0_tenant.mint_token()
    answers = [
        dict(status=400, json_body={"error": "invalid_grant", "error_description": f"{token} test-client-secret"}),
        dict(error=requests.exceptions.ReadTimeout(f"read timed out for {token}")),
        dict(error=requests.exceptions.ConnectionError(f"refused {token}")),
        dict(status=500, text=f"<html>{token}</html>"),
        dict(status=200, json_body={"access_token": "abc", "expires_in": token}),
        dict(status=429, json_body={"error": "too_many_requests", "error_description": token}),
    ]
    messages = []
    for answer in answers:
        auth0_tenant.queue_token_answer(**answer)
        with pytest.raises(ApiError) as caught:
            obo(auth0_tenant, token)
        messages += [str(caught.value), caught.value.get_error_description(), repr(caught.value.args)]
    logged = [record.getMessage() for record in caplog.records]
    assert len(logged) >= len(answers)
    for text in messages + logged:
        assert token not in text and "test-client-secret" not in text


# -- organization (Auth0 Organizations) ---------------------------------------------------------------------------

def test_profile_exchange_for_an_organization_id(legacy_profile):
    result = get_api_client().get_token_by_exchange_profile("legacy-abc", LEGACY_TYPE, audience=CALENDAR,
                                                            organization="org_abc123")
    assert (sent_pairs(legacy_profile)[-1], claims_of(result["access_token"]).get("org_id")) == (
        ("organization", "org_abc123"), "org_abc123")


def test_profile_exchange_for_an_organization_name(legacy_profile):
    result = get_api_client().get_token_by_exchange_profile("legacy-abc", LEGACY_TYPE, organization="Acme")
    claims = claims_of(result["access_token"])
    assert (sent_pairs(legacy_profile)[-1], claims["org_name"], claims["org_id"].startswith("org_")) == (
        ("organization", "Acme"), "acme", True)


def test_profile_exchange_without_an_organization_sends_none(legacy_profile):
    get_api_client().get_token_by_exchange_profile("legacy-abc", LEGACY_TYPE, audience=CALENDAR)
    assert "organization" not in dict(sent_pairs(legacy_profile))


@pytest.mark.parametrize("organization", [5, ["org_a"], {"id": "org_a"}])
def test_profile_exchange_refuses_an_organization_that_is_not_a_string(legacy_profile, organization):
    with pytest.raises(GetTokenByExchangeProfileError) as caught:
        get_api_client().get_token_by_exchange_profile("legacy-abc", LEGACY_TYPE, organization=organization)
    assert ((caught.value.get_status_code(), caught.value.get_error_description()), len(legacy_profile.responses.calls)
            ) == ((400, "organization must be a string"), 0)


# -- the async twins: the same exchanges, off the event loop ------------------------------------------------------

def test_async_obo_posts_the_same_form(auth0_tenant):
    token = auth0_tenant.mint_token()
    result = async_to_sync(get_api_client().aget_token_on_behalf_of)(token, CALENDAR, "calendar:read")
    assert (auth0_tenant.requests, result["scope"]) == ([{
        "grant_type": EXCHANGE_GRANT, "subject_token": token, "subject_token_type": ACCESS_TOKEN_TYPE,
        "requested_token_type": ACCESS_TOKEN_TYPE, "audience": CALENDAR, "scope": "calendar:read",
    }], "calendar:read")


def test_async_profile_exchange_passes_the_organization(legacy_profile):
    result = async_to_sync(get_api_client().aget_token_by_exchange_profile)(
        "legacy-abc", LEGACY_TYPE, audience=CALENDAR, organization="org_abc123")
    assert (sent_pairs(legacy_profile)[-1], claims_of(result["access_token"]).get("org_id")) == (
        ("organization", "org_abc123"), "org_abc123")


def test_async_connection_exchange_posts_auth0s_form(auth0_tenant):
    token = auth0_tenant.mint_token()
    async_to_sync(get_api_client().aget_access_token_for_connection)(
        {"connection": "google-oauth2", "access_token": token})
    assert [(form["grant_type"], form["connection"]) for form in auth0_tenant.requests] == [
        (CONNECTION_GRANT, "google-oauth2")]
