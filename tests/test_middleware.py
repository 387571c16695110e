"""django_auth0_api.middleware: Bearer for plain Django views, the status table over HTTP (the README),
and hostile input that must never yield a 500."""

import json
import re

import pytest
import requests
from helpers import BARE_CHALLENGE, answer, b64url, bearer, segment, sign_rs256, tenant_claims

# A WWW-Authenticate value made of challenges whose parameters are all quoted
# printable ASCII without `"` or `\` (RFC 6750 §3).
_PARAM = r'[a-z_]+="[\x20\x21\x23-\x5b\x5d-\x7e]*"'
_CHALLENGE = rf"(Bearer|DPoP) {_PARAM}(, {_PARAM})*"
WELL_FORMED = re.compile(rf"{_CHALLENGE}(, {_CHALLENGE})*")



# -- no credentials --------------------------------------------------------------------------------------

def test_no_credentials_lets_an_optional_view_run(auth0_tenant, client):
    response = client.get("/plain/optional")
    assert (response.status_code, response.json(), response["Vary"]) == (200, {"sub": None}, "Authorization")


def test_a_foreign_scheme_lets_an_optional_view_run(auth0_tenant, client):
    response = client.get("/plain/optional", HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")
    assert (response.status_code, response.json()) == (200, {"sub": None})


def test_no_credentials_on_a_protected_view_is_a_bare_challenge(auth0_tenant, client):
    assert answer(client.get("/plain/me")) == (
        401, {"error_description": "Authorization header is missing"}, BARE_CHALLENGE)


def test_a_foreign_scheme_on_a_protected_view_is_a_bare_challenge(auth0_tenant, client):
    assert answer(client.get("/plain/me", HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")) == (
        401, {"error_description": "Authorization header is missing"}, BARE_CHALLENGE)


# -- a valid token -------------------------------------------------------------------------------------------

def test_a_valid_token_sets_request_auth(auth0_tenant, client):
    response = client.get("/plain/optional", **bearer(auth0_tenant.mint_token()))
    assert (response.status_code, response.json(), response["Vary"]) == (200, {"sub": "auth0|user-1"}, "Authorization")


def test_request_auth_carries_the_delegation(auth0_tenant, client):
    token = auth0_tenant.mint_token(scope="read:messages", act={"sub": "svc-b", "act": {"sub": "svc-a"}})
    assert client.get("/plain/me", **bearer(token)).json() == {
        "sub": "auth0|user-1", "scheme": "Bearer", "scopes": ["read:messages"], "actor": "svc-b",
        "delegation_chain": ["svc-b", "svc-a"]}


def test_vary_authorization_is_added_to_an_existing_vary(auth0_tenant, client):
    response = client.get("/plain/optional", HTTP_ACCEPT_ENCODING="gzip")
    assert "Authorization" in [part.strip() for part in response["Vary"].split(",")]


# -- refusals answered by the middleware ---------------------------------------------------------------------

def test_an_invalid_token_is_answered_with_json_and_a_challenge(auth0_tenant, client):
    response = client.get("/plain/optional", **bearer(auth0_tenant.mint_token(expires_in=-1)))
    assert answer(response) == (
        401, {"error": "invalid_token", "error_description": "Token has expired"},
        'Bearer realm="api", error="invalid_token", error_description="Token has expired", DPoP algs="ES256"')
    assert (response["Content-Type"], response["Vary"]) == ("application/json", "Authorization")


def test_a_public_drf_view_still_refuses_a_bad_token(auth0_tenant, client):
    assert client.get("/api/public", **bearer("not-a-token")).status_code == 401


def test_bearer_without_a_token_is_400(auth0_tenant, client):
    assert answer(client.get("/plain/optional", HTTP_AUTHORIZATION="Bearer")) == (
        400, {"error": "invalid_request", "error_description": "Bearer scheme needs exactly one token"},
        'Bearer realm="api", error="invalid_request", error_description="Bearer scheme needs exactly one token", '
        'DPoP algs="ES256"')


def test_several_authorization_values_are_400(auth0_tenant, client):
    token = auth0_tenant.mint_token()
    response = client.get("/plain/optional", HTTP_AUTHORIZATION=f"Bearer {token}, Bearer {token}")
    assert answer(response) == (
        400, {"error": "invalid_request", "error_description": "Several Authorization header values"},
        'Bearer realm="api", error="invalid_request", error_description="Several Authorization header values", '
        'DPoP algs="ES256"')


def test_dpop_scheme_without_a_dpop_header_is_400(auth0_tenant, client):
    response = client.get("/plain/optional", HTTP_AUTHORIZATION=f"DPoP {auth0_tenant.mint_token(jkt='thumb')}")
    assert answer(response) == (
        400, {"error": "invalid_request", "error_description": "DPoP scheme without a DPoP proof header"},
        'Bearer realm="api", DPoP algs="ES256", error="invalid_request", '
        'error_description="DPoP scheme without a DPoP proof header"')


def test_a_dpop_header_on_a_bearer_request_with_an_unbound_token_is_400(auth0_tenant, client):
    response = client.get("/plain/optional", HTTP_DPOP="a.b.c", **bearer(auth0_tenant.mint_token()))
    assert answer(response)[:2] == (
        400, {"error": "invalid_request", "error_description": "DPoP proof sent with an unbound Bearer token"})


def test_dpop_scheme_with_an_unbound_token_is_401_invalid_token(auth0_tenant, client):
    response = client.get("/plain/optional", HTTP_AUTHORIZATION=f"DPoP {auth0_tenant.mint_token()}", HTTP_DPOP="a.b.c")
    assert answer(response) == (
        401, {"error": "invalid_token", "error_description": "Access token is not DPoP-bound"},
        'Bearer realm="api", DPoP algs="ES256", error="invalid_token", '
        'error_description="Access token is not DPoP-bound"')


def test_a_bound_token_sent_as_bearer_is_401_invalid_token(auth0_tenant, client):
    response = client.get("/plain/optional", **bearer(auth0_tenant.mint_token(jkt="thumb")))
    assert answer(response) == (
        401, {"error": "invalid_token", "error_description": "DPoP-bound token sent as a Bearer token"},
        'Bearer realm="api", error="invalid_token", error_description="DPoP-bound token sent as a Bearer token", '
        'DPoP algs="ES256"')


def test_several_dpop_proofs_are_401_invalid_dpop_proof(auth0_tenant, client):
    response = client.get("/plain/optional", HTTP_AUTHORIZATION=f"DPoP {auth0_tenant.mint_token(jkt='thumb')}",
                          HTTP_DPOP="a.b.c, d.e.f")
    assert answer(response) == (
        401, {"error": "invalid_dpop_proof", "error_description": "Multiple DPoP proofs"},
        'Bearer realm="api", DPoP algs="ES256", error="invalid_dpop_proof", error_description="Multiple DPoP proofs"')


def test_a_keys_outage_is_503_with_retry_after_and_no_challenge(auth0_tenant, client):
    auth0_tenant.responses.replace("GET", auth0_tenant.jwks_url, body=requests.ConnectionError("down"))
    response = client.get("/plain/optional", **bearer(auth0_tenant.mint_token()))
    assert (answer(response), response["Retry-After"]) == (
        (503, {"error": "temporarily_unavailable", "error_description": "Signing keys are temporarily unavailable"},
         None), "30")


# -- modes -----------------------------------------------------------------------------------------------------

def test_required_mode_offers_only_dpop(auth0_tenant, client, settings):
    settings.AUTH0_API = auth0_tenant.settings(DPOP_REQUIRED=True)
    assert answer(client.get("/plain/me"))[2] == 'DPoP algs="ES256"'


def test_required_mode_refuses_bearer_as_a_foreign_scheme(auth0_tenant, client, settings):
    settings.AUTH0_API = auth0_tenant.settings(DPOP_REQUIRED=True)
    token = auth0_tenant.mint_token()
    assert answer(client.get("/plain/me", **bearer(token))) == (
        401, {"error_description": "Authorization header is missing"}, 'DPoP algs="ES256"')
    assert client.get("/plain/optional", **bearer(token)).json() == {"sub": None}
    assert len(auth0_tenant.responses.calls) == 0


def test_off_mode_offers_only_bearer(auth0_tenant, client, settings):
    settings.AUTH0_API = auth0_tenant.settings(DPOP_ENABLED=False)
    assert answer(client.get("/plain/me"))[2] == 'Bearer realm="api"'


def test_off_mode_refuses_dpop_as_a_foreign_scheme(auth0_tenant, client, settings):
    settings.AUTH0_API = auth0_tenant.settings(DPOP_ENABLED=False)
    response = client.get("/plain/me", HTTP_AUTHORIZATION=f"DPoP {auth0_tenant.mint_token(jkt='t')}", HTTP_DPOP="p")
    assert answer(response)[::2] == (401, 'Bearer realm="api"')


def test_off_mode_errors_go_on_bearer(auth0_tenant, client, settings):
    settings.AUTH0_API = auth0_tenant.settings(DPOP_ENABLED=False)
    assert answer(client.get("/plain/me", **bearer("x.y.z")))[2] == (
        'Bearer realm="api", error="invalid_token", error_description="Access token is malformed"')


def test_the_realm_setting_is_used_and_sanitized(auth0_tenant, client, settings):
    settings.AUTH0_API = auth0_tenant.settings(REALM='orders "v2" \\ api')
    assert answer(client.get("/plain/me"))[2] == 'Bearer realm="orders v2  api", DPoP algs="ES256"'


# -- error_description is always a safe quoted string ------------------------------------------------------------

def test_every_challenge_is_well_formed_and_never_echoes_the_token(auth0_tenant, client):
    evil = 'a"b\\c'
    requests_ = [
        {"HTTP_AUTHORIZATION": "Bearer"},
        {"HTTP_AUTHORIZATION": f'Bearer {evil}'},
        {"HTTP_AUTHORIZATION": f'Bearer {evil}.{evil}.{evil}'},
        {"HTTP_AUTHORIZATION": 'Bearer a, Bearer "b"'},
        {"HTTP_AUTHORIZATION": f"DPoP {evil}"},
        {"HTTP_AUTHORIZATION": f"DPoP {evil}", "HTTP_DPOP": evil},
        bearer(auth0_tenant.mint_token(claims={"iss": 'https://evil"\\/'})),
        bearer(auth0_tenant.mint_token(claims={"aud": 'x"y'})),
        bearer(auth0_tenant.mint_token(kid='k"\\')),
        bearer(auth0_tenant.mint_token(header={"typ": 'a"b'})),
        bearer(auth0_tenant.mint_token(claims={"act": {"sub": ""}})),
        bearer(auth0_tenant.mint_token(expires_in=-1)),
        bearer(auth0_tenant.mint_token(jkt="thumb")),
    ]
    challenges = []
    for kwargs in requests_:
        response = client.get("/plain/me", **kwargs)
        assert response.status_code in (400, 401)
        challenges.append(response["WWW-Authenticate"])
    assert [c for c in challenges if not WELL_FORMED.fullmatch(c)] == []
    assert [c for c in challenges if "evil" in c or 'x"y' in c or "a.b" in c] == []


# -- verified once -------------------------------------------------------------------------------------------------

RESOLVED = []


def counting_resolver(context):
    RESOLVED.append(context["unverified_iss"])
    return ["tenant.example.auth0.com"]


@pytest.mark.parametrize("path", ["/api/me", "/api/messages", "/plain/me", "/plain/messages"])
def test_with_middleware_and_drf_or_decorator_a_request_is_verified_once(auth0_tenant, client, settings, path):
    settings.AUTH0_API = auth0_tenant.settings(DOMAINS=f"{__name__}.counting_resolver")
    RESOLVED.clear()
    response = client.get(path, **bearer(auth0_tenant.mint_token(scope="read:messages")))
    assert (response.status_code, RESOLVED) == (200, [auth0_tenant.issuer])


def test_with_middleware_and_drf_a_dpop_proof_is_consumed_once(auth0_tenant, client, dpop_key):
    token = auth0_tenant.mint_token(jkt=dpop_key.jkt)
    proof = auth0_tenant.mint_dpop_proof(dpop_key, htu="http://testserver/api/me", access_token=token)
    response = client.get("/api/me", HTTP_AUTHORIZATION=f"DPoP {token}", HTTP_DPOP=proof)
    assert (response.status_code, response.json()["scheme"]) == (200, "DPoP")


# -- hostile input never yields a 500 ---------------------------------------------------------------------------------

def _hostile(tenant):
    key = tenant.keys[tenant.kid]
    head = {"alg": "RS256", "typ": "at+jwt", "kid": tenant.kid}
    claims = tenant_claims(tenant)
    nan_payload = json.dumps(dict(claims, exp=0)).encode().replace(b'"exp": 0', b'"exp": NaN')
    return {
        "huge-authorization": ("Bearer " + "A" * 100_000, 401, "invalid_token"),
        "huge-list-of-values": ("Bearer a," * 15_000, 400, "invalid_request"),
        "binary": ("Bearer \x00\x01\x7f\xff\xfe", 401, "invalid_token"),
        "binary-scheme": ("\x00\xff garbage", None, None),
        "non-ascii-token": ("Bearer ключ.токен.подпись", 401, "invalid_token"),
        "latin-1-token": ("Bearer \xe9\xe8.\xe0.\xf9", 401, "invalid_token"),
        "json-array-header": (f"Bearer {segment([1, 2])}.{segment(claims)}.AAAA", 401, "invalid_token"),
        "json-array-payload": ("Bearer " + sign_rs256(head, [claims], key), 401, "invalid_token"),
        "deep-nesting-header": (f"Bearer {b64url(b'[' * 2500 + b']' * 2500)}.{segment(claims)}.AAAA", 401,
                                "invalid_token"),
        "deep-nesting-payload": ("Bearer " + sign_rs256(head, b"[" * 2500 + b"]" * 2500, key), 401, "invalid_token"),
        "nan-payload": ("Bearer " + sign_rs256(head, nan_payload, key), 401, "invalid_token"),
        "huge-int-exp": ("Bearer " + sign_rs256(head, dict(claims, exp=10 ** 400), key), 401, "invalid_token"),
        "huge-int-nbf": ("Bearer " + sign_rs256(head, dict(claims, nbf=-10 ** 400), key), 401, "invalid_token"),
        "unhashable-alg": (f"Bearer {segment(dict(head, alg=['RS256']))}.{segment(claims)}.AAAA", 401,
                           "invalid_token"),
        "unhashable-kid": ("Bearer " + sign_rs256(dict(head, kid={"a": 1}), claims, key), 401, "invalid_token"),
        "object-iss": ("Bearer " + sign_rs256(head, dict(claims, iss={"a": 1}), key), 401, "invalid_token"),
        "lone-surrogate-claim": ("Bearer " + sign_rs256(head, b'{"iss": "\\ud800", "exp": 1}', key), 401,
                                 "invalid_token"),
        "dots-only": ("Bearer ...", 401, "invalid_token"),
        "many-dots": ("Bearer " + "." * 5000, 401, "invalid_token"),
        "tab-separated": ("Bearer\tabc", None, None),
    }


HOSTILE_CASES = [
    "huge-authorization", "huge-list-of-values", "binary", "binary-scheme", "non-ascii-token", "latin-1-token",
    "json-array-header", "json-array-payload", "deep-nesting-header", "deep-nesting-payload", "nan-payload",
    "huge-int-exp", "huge-int-nbf", "unhashable-alg", "unhashable-kid", "object-iss", "lone-surrogate-claim",
    "dots-only", "many-dots", "tab-separated"]


@pytest.mark.parametrize("case", HOSTILE_CASES)
@pytest.mark.parametrize("path", ["/plain/me", "/api/me"])
def test_hostile_authorization_never_yields_a_500(auth0_tenant, client, case, path):
    value, status, error = _hostile(auth0_tenant)[case]
    response = client.get(path, HTTP_AUTHORIZATION=value)
    if status is None:  # not a scheme we take: a bare challenge
        assert (response.status_code, response["WWW-Authenticate"]) == (401, BARE_CHALLENGE)
    else:
        assert (response.status_code, response.json()["error"]) == (status, error)


@pytest.mark.parametrize("proof", ["A" * 100_000, "\x00\xff", "ключ", f"{segment([1])}.{segment([2])}.AAAA",
                                   f"{b64url(b'[' * 2500 + b']' * 2500)}.{segment({})}.AAAA"])
def test_a_hostile_dpop_header_never_yields_a_500(auth0_tenant, client, proof):
    token = auth0_tenant.mint_token(jkt="thumb")
    response = client.get("/plain/me", HTTP_AUTHORIZATION=f"DPoP {token}", HTTP_DPOP=proof)
    assert (response.status_code, response.json()["error"]) == (401, "invalid_dpop_proof")


@pytest.mark.parametrize("jwks", [
    {"keys": [{"kid": "key-0", "kty": ["RSA"]}]},
    {"keys": [{"kid": ["key-0"], "kty": "RSA"}]},
    {"keys": [{"kid": "key-0", "kty": "RSA", "n": 5, "e": None}]},
    {"keys": [{"kid": "key-0", "kty": "EC", "crv": ["P-256"], "x": 1, "y": 2}]},
    {"keys": [{"kid": "key-0", "use": ["sig"], "kty": "RSA"}]},
    {"keys": [[], "", 0]},
])
def test_a_hostile_jwks_never_yields_a_500(auth0_tenant, client, jwks):
    auth0_tenant.responses.replace("GET", auth0_tenant.jwks_url, json=jwks)
    response = client.get("/plain/me", **bearer(auth0_tenant.mint_token()))
    assert (response.status_code, response.json()["error_description"]) == (401, "Signing key not found")


@pytest.mark.parametrize("discovery", [
    {"issuer": ["https://tenant.example.auth0.com/"]},
    {"issuer": "https://tenant.example.auth0.com/", "jwks_uri": ["https://x/"]},
    {"issuer": "https://tenant.example.auth0.com/", "jwks_uri": "https://[::1"},
    {"issuer": "https://tenant.example.auth0.com/", "jwks_uri": "https://\x00/keys"},
])
def test_a_hostile_discovery_document_never_yields_a_500(auth0_tenant, client, discovery):
    auth0_tenant.responses.replace("GET", auth0_tenant.discovery_url, json=discovery)
    assert client.get("/plain/me", **bearer(auth0_tenant.mint_token())).status_code == 503


def test_a_hostile_cache_control_never_yields_a_500(auth0_tenant, client):
    auth0_tenant.responses.replace("GET", auth0_tenant.jwks_url, json=auth0_tenant.jwks(),
                                   headers={"Cache-Control": "max-age=" + "9" * 5000})
    assert client.get("/plain/me", **bearer(auth0_tenant.mint_token())).status_code == 200


def test_the_hostile_cases_are_all_listed(auth0_tenant):
    assert sorted(HOSTILE_CASES) == sorted(_hostile(auth0_tenant))


# -- a token exchange that fails inside a plain view ---------------------------------------------------
def test_a_plain_view_exchanges_the_callers_token(client, auth0_tenant):
    response = client.get("/plain/calendar-token", HTTP_AUTHORIZATION=f"Bearer {auth0_tenant.mint_token()}")
    assert (response.status_code, response.json()) == (200, {"sub": "auth0|user-1", "expires_in": 3600})


def test_a_rate_limited_exchange_in_a_plain_view_is_503_with_retry_after(client, auth0_tenant):
    auth0_tenant.queue_token_answer(429, {"error": "too_many_requests", "error_description": "Slow down"},
                                    headers={"Retry-After": "7"})
    response = client.get("/plain/calendar-token", HTTP_AUTHORIZATION=f"Bearer {auth0_tenant.mint_token()}")
    assert (response.status_code, response["Retry-After"], response.json()) == (503, "7", {
        "error": "token_exchange_failed", "error_description": "Slow down", "exchange_error": "too_many_requests"})


def test_a_refused_exchange_in_a_plain_view_is_502(client, auth0_tenant):
    auth0_tenant.queue_token_answer(403, {"error": "unauthorized_client", "error_description": "Not allowed"})
    response = client.get("/plain/calendar-token", HTTP_AUTHORIZATION=f"Bearer {auth0_tenant.mint_token()}")
    assert (response.status_code, response.json()["exchange_error"]) == (502, "unauthorized_client")


def test_an_exchange_with_an_empty_audience_in_a_plain_view_is_answered_not_a_500(client, auth0_tenant, settings):
    settings.CALENDAR_API_AUDIENCE = ""
    response = client.get("/plain/calendar-token", HTTP_AUTHORIZATION=f"Bearer {auth0_tenant.mint_token()}")
    assert (response.status_code, response.json()) == (502, {
        "error": "token_exchange_failed", "error_description": "Missing required argument: audience",
        "exchange_error": "invalid_request"})
