"""django_auth0_api.core.issuer: discovery and JWKS through the Django cache, rotation, faults.

Auth0 is the fake tenant, mocked at the HTTP layer; faults are responses
replaced on that mock (or a real slow server on the loopback).
"""

import json
import time
from http.server import BaseHTTPRequestHandler

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from helpers import bearer
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from django_auth0_api.client import ApiClient
from django_auth0_api.conf import get_options
from django_auth0_api.core.shared_cache import key as cache_key
from django_auth0_api.testing import FakeTenant, calls_to

UNAVAILABLE = {"error": "temporarily_unavailable", "error_description": "Signing keys are temporarily unavailable"}


def get(client, token):
    return client.get("/plain/me", **bearer(token))


def jwks_calls(tenant):
    return calls_to(tenant.responses, tenant.jwks_url)


def discovery_calls(tenant):
    return calls_to(tenant.responses, tenant.discovery_url)


def cached(kind, tenant):
    return caches["default"].get(cache_key(kind, tenant.issuer))


def fail(tenant, url, **kwargs):
    kwargs = kwargs or {"body": requests.ConnectionError("down")}
    tenant.responses.replace("GET", url, **kwargs)


def error_of(response):
    return response.status_code, response.json()["error_description"]


# -- cold outages: 503 + Retry-After, no challenge ------------------------------------------------------

def test_a_cold_jwks_outage_is_503_with_retry_after_and_no_challenge(auth0_tenant, client):
    fail(auth0_tenant, auth0_tenant.jwks_url)
    response = get(client, auth0_tenant.mint_token())
    assert (response.status_code, response.json(), response["Retry-After"]) == (503, UNAVAILABLE, "30")
    assert "WWW-Authenticate" not in response


def test_a_cold_discovery_outage_is_503(auth0_tenant, client):
    fail(auth0_tenant, auth0_tenant.discovery_url, status=500, json={})
    response = get(client, auth0_tenant.mint_token())
    assert (response.status_code, response.json()) == (503, UNAVAILABLE)


def test_after_a_cold_outage_the_next_requests_fail_fast_without_fetching(auth0_tenant, client):
    fail(auth0_tenant, auth0_tenant.discovery_url)
    get(client, auth0_tenant.mint_token())
    started = time.monotonic()
    responses = [get(client, auth0_tenant.mint_token()).status_code for _ in range(5)]
    assert (responses, time.monotonic() - started < 1, discovery_calls(auth0_tenant), jwks_calls(auth0_tenant)) == (
        [503] * 5, True, 1, 0)


@pytest.mark.parametrize("status", [404, 500, 502, 503])
def test_a_jwks_error_status_is_503(auth0_tenant, client, status):
    fail(auth0_tenant, auth0_tenant.jwks_url, status=status, json={"keys": []})
    assert get(client, auth0_tenant.mint_token()).status_code == 503


def test_a_jwks_timeout_is_503(auth0_tenant, client):
    fail(auth0_tenant, auth0_tenant.jwks_url, body=requests.ReadTimeout("slow"))
    assert get(client, auth0_tenant.mint_token()).status_code == 503


def test_a_slow_jwks_is_answered_within_http_timeout(client, settings, local_server):
    tenant = {}

    class SlowJwks(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            if self.path.endswith("jwks.json"):
                time.sleep(3)
            body = json.dumps(tenant["t"].discovery() if "openid" in self.path else tenant["t"].jwks()).encode()
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass

    port = local_server(SlowJwks)
    tenant["t"] = FakeTenant(domain=f"127.0.0.1:{port}", scheme="http")
    settings.AUTH0_API = tenant["t"].settings(HTTP_TIMEOUT=1)
    caches["default"].clear()
    started = time.monotonic()
    response = get(client, tenant["t"].mint_token())
    elapsed = time.monotonic() - started
    # The JWKS answers after 3 s: 503 well before, within HTTP_TIMEOUT plus a margin.
    assert (response.status_code, response["Retry-After"], elapsed < 2.0) == (503, "30", True)


def test_a_real_local_tenant_over_http_verifies(client, settings, local_server):
    tenant = {}

    class Tenant(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            body = json.dumps(tenant["t"].discovery() if "openid" in self.path else tenant["t"].jwks()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    tenant["t"] = FakeTenant(domain=f"127.0.0.1:{local_server(Tenant)}", scheme="http")
    settings.AUTH0_API = tenant["t"].settings()
    caches["default"].clear()
    assert get(client, tenant["t"].mint_token()).json()["sub"] == "auth0|user-1"


# -- warm keys through an outage -----------------------------------------------------------------------------

def test_warm_keys_serve_through_an_outage(auth0_tenant, client):
    assert get(client, auth0_tenant.mint_token()).status_code == 200
    fail(auth0_tenant, auth0_tenant.discovery_url)
    fail(auth0_tenant, auth0_tenant.jwks_url)
    assert get(client, auth0_tenant.mint_token()).status_code == 200


def test_stale_keys_serve_through_an_outage(auth0_tenant, client, settings):
    settings.AUTH0_API = auth0_tenant.settings(CACHE_TTL=0)  # every document is stale at once
    assert get(client, auth0_tenant.mint_token()).status_code == 200
    fail(auth0_tenant, auth0_tenant.discovery_url)
    fail(auth0_tenant, auth0_tenant.jwks_url)
    assert get(client, auth0_tenant.mint_token()).status_code == 200


def test_a_stale_copy_in_the_shared_cache_serves_a_new_process_through_an_outage(auth0_tenant, client, settings):
    settings.AUTH0_API = auth0_tenant.settings(CACHE_TTL=0)
    get(client, auth0_tenant.mint_token())
    fail(auth0_tenant, auth0_tenant.discovery_url)
    fail(auth0_tenant, auth0_tenant.jwks_url)
    other_process = ApiClient(get_options())
    assert other_process.verify_access_token(auth0_tenant.mint_token())["sub"] == "auth0|user-1"


# -- refused documents: never cached -------------------------------------------------------------------------

def test_a_discovery_document_of_another_issuer_is_refused(auth0_tenant, client):
    fail(auth0_tenant, auth0_tenant.discovery_url,
         json=dict(auth0_tenant.discovery(), issuer="https://attacker.example.com/"))
    assert error_of(get(client, auth0_tenant.mint_token())) == (503, UNAVAILABLE["error_description"])
    assert (jwks_calls(auth0_tenant), cached("discovery", auth0_tenant)) == (0, None)


@pytest.mark.parametrize("jwks_uri", ["http://tenant.example.auth0.com/.well-known/jwks.json",
                                      "file:///etc/passwd", None, 5, "https://[::1/keys"])
def test_a_jwks_uri_that_is_not_https_is_refused(auth0_tenant, client, jwks_uri):
    fail(auth0_tenant, auth0_tenant.discovery_url, json=dict(auth0_tenant.discovery(), jwks_uri=jwks_uri))
    assert get(client, auth0_tenant.mint_token()).status_code == 503
    assert cached("discovery", auth0_tenant) is None


@pytest.mark.parametrize("document", [["issuer"], "text", None])
def test_a_discovery_document_that_is_not_an_object_is_refused(auth0_tenant, client, document):
    fail(auth0_tenant, auth0_tenant.discovery_url, json=document)
    assert get(client, auth0_tenant.mint_token()).status_code == 503


@pytest.mark.parametrize("kwargs", [
    {"body": b"{" + b" " * (1024 * 1024) + b"}"},       # over 1 MiB
    {"body": b"<html>not json</html>"},
    {"body": b'{"keys": NaN}'},
    {"json": {"no_keys": []}},
    {"json": {"keys": {"kid": "key-0"}}},
    {"json": {"keys": None}},
    {"json": [{"kid": "key-0"}]},
], ids=["over-1-MiB", "not-json", "nan", "no-keys", "keys-object", "keys-null", "array"])
def test_a_bad_jwks_is_refused_and_not_cached(auth0_tenant, client, kwargs):
    fail(auth0_tenant, auth0_tenant.jwks_url, **kwargs)
    assert get(client, auth0_tenant.mint_token()).status_code == 503
    assert cached("jwks", auth0_tenant) is None


def test_the_next_good_jwks_after_the_backoff_is_used(auth0_tenant, client):
    fail(auth0_tenant, auth0_tenant.jwks_url, body=b"garbage")
    get(client, auth0_tenant.mint_token())
    fail(auth0_tenant, auth0_tenant.jwks_url, json=auth0_tenant.jwks())
    caches["default"].delete(cache_key("jwks", auth0_tenant.issuer) + ":lock")  # the back-off has run out
    assert get(client, auth0_tenant.mint_token()).status_code == 200


# -- individual keys -----------------------------------------------------------------------------------------

def with_keys(tenant, *extra, replace=False):
    keys = list(extra) + ([] if replace else tenant.jwks()["keys"])
    fail(tenant, tenant.jwks_url, json={"keys": keys})


def test_one_bad_key_in_a_good_set_is_skipped(auth0_tenant, client):
    private = RSAAlgorithm.to_jwk(rsa.generate_private_key(public_exponent=65537, key_size=2048), as_dict=True)
    with_keys(auth0_tenant,
              {"kid": "garbage", "kty": "RSA", "n": "!!!", "e": "AQAB"},
              dict(private, kid="private"),
              {"kid": "symmetric", "kty": "oct", "k": "c2VjcmV0"},
              {"kid": "weird-kty", "kty": ["RSA"]},
              {"kid": "no-kty"},
              {"kty": "RSA", "n": "AQAB", "e": "AQAB"},  # no kid
              {"kid": 5, "kty": "RSA"},
              "not-an-object", None, [1, 2])
    assert get(client, auth0_tenant.mint_token()).status_code == 200


@pytest.mark.parametrize("kid", ["garbage", "private", "symmetric"])
def test_a_skipped_key_verifies_nothing(auth0_tenant, client, kid):
    private = RSAAlgorithm.to_jwk(auth0_tenant.keys["key-0"], as_dict=True)
    with_keys(auth0_tenant,
              {"kid": "garbage", "kty": "RSA", "n": "!!!", "e": "AQAB"},
              dict(private, kid="private"),
              {"kid": "symmetric", "kty": "oct", "k": "c2VjcmV0"})
    assert error_of(get(client, auth0_tenant.mint_token(kid=kid, key=auth0_tenant.keys["key-0"]))) == (
        401, "Signing key not found")


def test_an_encryption_key_is_not_a_signing_key(auth0_tenant, client):
    key = dict(auth0_tenant.jwks()["keys"][0], use="enc")
    with_keys(auth0_tenant, key, replace=True)
    assert error_of(get(client, auth0_tenant.mint_token())) == (401, "Signing key not found")


def test_a_key_labelled_for_another_algorithm_is_refused(auth0_tenant, client):
    with_keys(auth0_tenant, dict(auth0_tenant.jwks()["keys"][0], alg="RS512"), replace=True)
    assert error_of(get(client, auth0_tenant.mint_token())) == (401, "Signing key does not fit the token's algorithm")


def test_a_key_without_alg_label_fits_by_its_type(auth0_tenant, client):
    key = auth0_tenant.jwks()["keys"][0]
    del key["alg"]
    with_keys(auth0_tenant, key, replace=True)
    assert get(client, auth0_tenant.mint_token()).status_code == 200


def test_an_rsa_key_under_2048_bits_is_refused(auth0_tenant, client):
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 (must be refused)
    with_keys(auth0_tenant, dict(RSAAlgorithm.to_jwk(small.public_key(), as_dict=True), kid="small", alg="RS256"))
    token = auth0_tenant.mint_token(kid="small", key=small)
    assert error_of(get(client, token)) == (401, "Signing key does not fit the token's algorithm")


def test_an_ec_key_does_not_verify_an_rs256_token(auth0_tenant, client):
    ec_key = ec.generate_private_key(ec.SECP256R1())
    with_keys(auth0_tenant, dict(ECAlgorithm.to_jwk(ec_key.public_key(), as_dict=True), kid="ec"))
    assert error_of(get(client, auth0_tenant.mint_token(kid="ec"))) == (
        401, "Signing key does not fit the token's algorithm")


# -- rotation and unknown kids -------------------------------------------------------------------------------

def test_a_rotation_costs_exactly_one_refetch(auth0_tenant, client):
    assert get(client, auth0_tenant.mint_token()).status_code == 200
    auth0_tenant.rotate()
    statuses = [get(client, auth0_tenant.mint_token()).status_code for _ in range(3)]
    assert (statuses, jwks_calls(auth0_tenant)) == ([200, 200, 200], 2)


def test_a_flood_of_unknown_kids_costs_one_fetch_per_cooldown(auth0_tenant, client):
    get(client, auth0_tenant.mint_token())
    statuses = {get(client, auth0_tenant.mint_token(kid=f"made-up-{i}")).status_code for i in range(50)}
    assert (statuses, jwks_calls(auth0_tenant), discovery_calls(auth0_tenant)) == ({401}, 2, 1)


def test_the_refetch_cooldown_is_fleet_wide(auth0_tenant, client):
    get(client, auth0_tenant.mint_token())
    get(client, auth0_tenant.mint_token(kid="made-up-1"))  # this process refetches
    other_process = ApiClient(get_options())
    with pytest.raises(Exception) as caught:
        other_process.verify_access_token(auth0_tenant.mint_token(kid="made-up-2"))
    assert (caught.value.get_error_description(), jwks_calls(auth0_tenant)) == ("Signing key not found", 2)


def test_a_new_process_uses_the_shared_keys_without_fetching(auth0_tenant, client):
    get(client, auth0_tenant.mint_token())
    other_process = ApiClient(get_options())
    assert other_process.verify_access_token(auth0_tenant.mint_token())["sub"] == "auth0|user-1"
    assert (discovery_calls(auth0_tenant), jwks_calls(auth0_tenant)) == (1, 1)


def test_a_new_key_fetched_by_another_process_is_picked_up_from_the_cache(auth0_tenant, client):
    get(client, auth0_tenant.mint_token())
    auth0_tenant.rotate()
    other_process = ApiClient(get_options())
    other_process.verify_access_token(auth0_tenant.mint_token(kid="key-1"))  # refetches: 2 JWKS calls
    # This process finds key-1 in the shared cache; the cooldown stops a refetch of its own.
    assert (get(client, auth0_tenant.mint_token()).status_code, jwks_calls(auth0_tenant)) == (200, 2)


def test_the_last_good_key_set_serves_when_a_refetch_fails(auth0_tenant, client):
    get(client, auth0_tenant.mint_token())
    fail(auth0_tenant, auth0_tenant.jwks_url, status=500, json={})
    assert error_of(get(client, auth0_tenant.mint_token(kid="new-key"))) == (401, "Signing key not found")
    assert get(client, auth0_tenant.mint_token()).status_code == 200


def test_a_refetch_returning_garbage_keeps_the_last_good_set(auth0_tenant, client):
    get(client, auth0_tenant.mint_token())
    fail(auth0_tenant, auth0_tenant.jwks_url, json={"keys": "garbage"})
    get(client, auth0_tenant.mint_token(kid="new-key"))
    assert (get(client, auth0_tenant.mint_token()).status_code, cached("jwks", auth0_tenant).value) == (
        200, auth0_tenant.jwks())


# -- TTLs ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cache_control, ttl", [("max-age=5", 30), ("max-age=120", 120), ("max-age=99999", 600),
                                                (None, 600)])
def test_cache_ttl_is_lowered_by_max_age_but_never_below_30(auth0_tenant, client, cache_control, ttl):
    headers = {"Cache-Control": cache_control} if cache_control else {}
    fail(auth0_tenant, auth0_tenant.jwks_url, json=auth0_tenant.jwks(), headers=headers)
    get(client, auth0_tenant.mint_token())
    entry = cached("jwks", auth0_tenant)
    assert round(entry.fresh_until - entry.fetched_at) == ttl


# -- a warm request makes no cache round trip ----------------------------------------------------------------

class CountingCache(LocMemCache):
    """LocMemCache that counts the calls it receives (the cache, not our code, is observed)."""

    counts = {"get": 0, "add": 0, "set": 0, "delete": 0, "get_many": 0}

    def get(self, *args, **kwargs):
        CountingCache.counts["get"] += 1
        return super().get(*args, **kwargs)

    def add(self, *args, **kwargs):
        CountingCache.counts["add"] += 1
        return super().add(*args, **kwargs)

    def set(self, *args, **kwargs):
        CountingCache.counts["set"] += 1
        return super().set(*args, **kwargs)

    def delete(self, *args, **kwargs):
        CountingCache.counts["delete"] += 1
        return super().delete(*args, **kwargs)

    def get_many(self, *args, **kwargs):
        CountingCache.counts["get_many"] += 1
        return super().get_many(*args, **kwargs)


def test_a_warm_bearer_request_makes_no_cache_round_trip(auth0_tenant, client, settings):
    settings.CACHES = {"default": {"BACKEND": f"{__name__}.CountingCache", "LOCATION": "counting"}}
    caches["default"].clear()
    assert get(client, auth0_tenant.mint_token()).status_code == 200
    assert CountingCache.counts["get"] > 0  # the cold request did use the cache
    for name in CountingCache.counts:
        CountingCache.counts[name] = 0
    statuses = [get(client, auth0_tenant.mint_token()).status_code for _ in range(5)]  # new tokens: full checks
    assert (statuses, CountingCache.counts) == ([200] * 5, {"get": 0, "add": 0, "set": 0, "delete": 0, "get_many": 0})


# -- upstream's options: custom_fetch, cache_ttl_seconds, cache_max_entries ------------------------------

class FetchedReply:
    """What a `custom_fetch` may return: anything with `.json()` (and `.headers`)."""

    def __init__(self, document, headers=None, status_code=200):
        self.document, self.headers, self.status_code = document, headers or {}, status_code

    def json(self):
        return self.document


def upstream_client(tenant, **options):
    from django_auth0_api.options import ApiClientOptions

    return ApiClient(ApiClientOptions(domain=tenant.domain, audience=tenant.audience, **options))


def test_custom_fetch_replaces_the_librarys_get_of_discovery_and_jwks(auth0_tenant):
    fetched = []

    def fetch(url):
        fetched.append(url)
        return auth0_tenant.discovery() if url == auth0_tenant.discovery_url else auth0_tenant.jwks()

    client = upstream_client(auth0_tenant, custom_fetch=fetch)
    assert client.verify_access_token(auth0_tenant.mint_token())["sub"] == "auth0|user-1"
    assert (fetched, discovery_calls(auth0_tenant), jwks_calls(auth0_tenant)) == (
        [auth0_tenant.discovery_url, auth0_tenant.jwks_url], 0, 0)


def test_custom_fetch_replies_with_headers_follow_the_min_of_max_age_and_cache_ttl_seconds(auth0_tenant):
    def fetch(url):
        document = auth0_tenant.discovery() if url == auth0_tenant.discovery_url else auth0_tenant.jwks()
        return FetchedReply(document, {"Cache-Control": "max-age=120"})

    client = upstream_client(auth0_tenant, custom_fetch=fetch, cache_ttl_seconds=600)
    client.verify_access_token(auth0_tenant.mint_token())
    entry = cached("jwks", auth0_tenant)
    assert round(entry.fresh_until - entry.fetched_at) == 120


def test_cache_ttl_seconds_below_max_age_wins(auth0_tenant):
    auth0_tenant.responses.replace("GET", auth0_tenant.jwks_url, json=auth0_tenant.jwks(),
                                   headers={"Cache-Control": "max-age=3600"})
    upstream_client(auth0_tenant, cache_ttl_seconds=45).verify_access_token(auth0_tenant.mint_token())
    entry = cached("jwks", auth0_tenant)
    assert round(entry.fresh_until - entry.fetched_at) == 45


@pytest.mark.parametrize("fetch", [
    lambda url: (_ for _ in ()).throw(OSError("down")),
    lambda url: FetchedReply({"error": "nope"}, status_code=500),
    lambda url: ["not", "a", "document"],
], ids=["raises", "http-500", "not-a-document"])
def test_a_failing_custom_fetch_is_503_keys_unavailable(auth0_tenant, fetch):
    from django_auth0_api.errors import KeysUnavailableError

    with pytest.raises(KeysUnavailableError) as caught:
        upstream_client(auth0_tenant, custom_fetch=fetch).verify_access_token(auth0_tenant.mint_token())
    assert (caught.value.get_status_code(), caught.value.get_headers()) == (503, {"Retry-After": "30"})


def test_cache_max_entries_bounds_the_clients_memos(auth0_tenant):
    client = upstream_client(auth0_tenant, cache_max_entries=2)
    for sub in ("a", "b", "c", "d"):
        client.verify_access_token(auth0_tenant.mint_token(sub))
    memos = client.token_verifier._verified, client.token_verifier._headers, client.dpop_verifier._headers
    assert (len(memos[0]), [memo.limit for memo in memos]) == (2, [2, 2, 2])


def test_without_cache_max_entries_the_memos_keep_the_librarys_sizes(auth0_tenant):
    from django_auth0_api.core.access_tokens import VERIFIED_CACHE_SIZE

    assert upstream_client(auth0_tenant).token_verifier._verified.limit == VERIFIED_CACHE_SIZE


# -- a cold start under concurrency -------------------------------------------------------------------

COLD_THREADS = 32


def cold_burst(client_, tokens):
    """`tokens` verified at the same moment by as many threads of one fresh process."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    barrier = Barrier(len(tokens))

    def verify(token):
        barrier.wait(timeout=10)
        try:
            return client_.verify_access_token(token)["sub"]
        except Exception as exc:  # noqa: BLE001 (the test counts what came back)
            return type(exc).__name__

    with ThreadPoolExecutor(len(tokens)) as pool:
        return list(pool.map(verify, tokens))


def serve_padded_jwks(tenant, padding=300):
    """The tenant's JWKS with `padding` more keys (copies of its current one under other kids): a
    set that takes a while to parse, as a busy process would take."""
    document = tenant.jwks()
    copy = dict(document["keys"][0])
    document["keys"] += [{**copy, "kid": f"padding-{i}"} for i in range(padding)]
    tenant.responses.replace("GET", tenant.jwks_url, json=document)


def test_a_cold_start_under_concurrency_fetches_once_and_keeps_the_refetch_for_a_rotation(auth0_tenant):
    rounds, outcomes = 10, []
    for _ in range(rounds):
        caches["default"].clear()
        serve_padded_jwks(auth0_tenant)
        before = jwks_calls(auth0_tenant)
        process = ApiClient(get_options())
        cold = cold_burst(process, [auth0_tenant.mint_token(f"auth0|{i}") for i in range(COLD_THREADS)])
        fetched = jwks_calls(auth0_tenant) - before
        auth0_tenant.rotate()
        serve_padded_jwks(auth0_tenant)
        rotated = cold_burst(process, [auth0_tenant.mint_token(f"auth0|new-{i}") for i in range(4)])
        outcomes.append((fetched, set(cold), set(rotated)))
    expected = (1, {f"auth0|{i}" for i in range(COLD_THREADS)}, {f"auth0|new-{i}" for i in range(4)})
    assert outcomes == [expected] * rounds
