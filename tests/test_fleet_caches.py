"""What a fleet shares through the Django cache, on LocMem, Redis and Memcached.

Each `ApiClient` built here stands for another worker process: its in-process
state (parsed keys, verified tokens) starts empty, and all it has in common with
the others is the cache. Redis and Memcached are real servers on loopback;
Auth0 is the fake tenant mocked at the `requests` layer.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import caches

from django_auth0_api.client import ApiClient
from django_auth0_api.errors import InvalidDpopProofError, VerifyAccessTokenError
from django_auth0_api.options import ApiClientOptions
from django_auth0_api.testing import calls_to, clear_shared_cache

ALIAS = "fleet"
DOWNSTREAM = "https://calendar-api.example.com"
API_URL = "https://api.example.com/data"


# The real servers are the session fixtures `redis_port` and `memcached_port` (tests/conftest.py).
def _backend(request, name: str) -> dict:
    if name == "redis":
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": f"redis://127.0.0.1:{request.getfixturevalue('redis_port')}/0"}
    if name == "memcached":
        return {"BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
                "LOCATION": f"127.0.0.1:{request.getfixturevalue('memcached_port')}"}
    return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "fleet-caches"}


@pytest.fixture(params=[
    "locmem",
    pytest.param("redis", marks=pytest.mark.servers),
    pytest.param("memcached", marks=pytest.mark.servers),
])
def shared_cache(request, settings):
    """The cache alias `fleet` on one backend, empty before and after the test."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        ALIAS: _backend(request, request.param),
    }
    cache = caches[ALIAS]
    clear_shared_cache(ALIAS)
    yield cache
    cache.clear()


@pytest.fixture
def fleet(shared_cache, auth0_tenant, settings):
    """The fake tenant, with `AUTH0_API` keeping its state in the shared cache."""
    settings.AUTH0_API = auth0_tenant.settings(CACHE_ALIAS=ALIAS)
    return auth0_tenant


def worker(settings) -> ApiClient:
    """A fresh client: another process of the fleet, with nothing in memory."""
    return ApiClient(ApiClientOptions.from_settings(settings.AUTH0_API))


def jwks_calls(tenant) -> int:
    return calls_to(tenant.responses, tenant.jwks_url)


def fail_jwks(tenant) -> None:
    """From now on the tenant's JWKS endpoint answers 503."""
    tenant.responses.replace("GET", tenant.jwks_url, status=503, body="unavailable")


# -- keys ------------------------------------------------------------------------------------------
def test_second_process_verifies_with_the_shared_keys(fleet, settings):
    worker(settings).verify_access_token(fleet.mint_token(sub="first"))
    claims = worker(settings).verify_access_token(fleet.mint_token(sub="second"))
    assert (claims["sub"], jwks_calls(fleet), calls_to(fleet.responses, fleet.discovery_url)) == ("second", 1, 1)


def test_a_cold_fleet_fetches_the_keys_once(fleet, settings):
    clients = [worker(settings) for _ in range(8)]
    barrier = threading.Barrier(len(clients))

    def verify(index):
        barrier.wait(timeout=5)
        return clients[index].verify_access_token(fleet.mint_token(sub=f"cold-{index}"))["sub"]

    with ThreadPoolExecutor(len(clients)) as pool:
        subs = list(pool.map(verify, range(len(clients))))
    assert (subs, calls_to(fleet.responses, fleet.discovery_url), jwks_calls(fleet)) == (
        [f"cold-{index}" for index in range(8)], 1, 1)


def rotate_under_fire(fleet, clients) -> list:
    """Warm every client, rotate the tenant, then let all of them verify a token
    signed with the new key at once (one thread each); their outcomes."""
    warm = fleet.mint_token()
    for client in clients:
        client.verify_access_token(warm)
    fleet.rotate()
    rotated = fleet.mint_token(sub="rotated")
    barrier = threading.Barrier(len(clients))

    def verify(client):
        barrier.wait(timeout=5)
        try:
            return client.verify_access_token(rotated)["sub"]
        except VerifyAccessTokenError as refused:
            return refused.get_error_description()

    with ThreadPoolExecutor(len(clients)) as pool:
        return list(pool.map(verify, clients))


def test_unknown_kid_is_refetched_once_by_the_whole_fleet(fleet, settings):
    outcomes = rotate_under_fire(fleet, [worker(settings) for _ in range(8)])
    assert (outcomes, jwks_calls(fleet)) == (["rotated"] * 8, 2)


def test_unknown_kid_is_refetched_once_by_the_threads_of_a_process(fleet, settings):
    client = worker(settings)
    outcomes = rotate_under_fire(fleet, [client] * 8)
    assert (outcomes, jwks_calls(fleet)) == (["rotated"] * 8, 2)


def test_refetched_keys_reach_a_new_process_without_a_fetch(fleet, settings):
    worker(settings).verify_access_token(fleet.mint_token())
    fleet.rotate()
    rotated = fleet.mint_token(sub="rotated")
    worker(settings).verify_access_token(rotated)  # this one refetches
    claims = worker(settings).verify_access_token(rotated)
    assert (claims["sub"], jwks_calls(fleet)) == ("rotated", 2)


def test_made_up_kids_within_the_cooldown_cost_no_fetch(fleet, settings):
    clients = [worker(settings) for _ in range(4)]
    clients[0].verify_access_token(fleet.mint_token())
    for index, client in enumerate(clients * 3):
        with pytest.raises(VerifyAccessTokenError):
            client.verify_access_token(fleet.mint_token(kid=f"made-up-{index}"))
    assert jwks_calls(fleet) == 2  # the first fetch, then one refetch for the whole fleet


def test_failed_refetch_keeps_the_last_good_keys(fleet, settings):
    worker(settings).verify_access_token(fleet.mint_token())
    fail_jwks(fleet)
    with pytest.raises(VerifyAccessTokenError):
        worker(settings).verify_access_token(fleet.mint_token(kid="unknown-kid"))  # refetch fails
    claims = worker(settings).verify_access_token(fleet.mint_token(sub="after-outage"))
    assert (claims["sub"], jwks_calls(fleet)) == ("after-outage", 2)


def test_expired_key_set_is_served_when_its_refetch_fails(fleet, settings):
    settings.AUTH0_API = {**settings.AUTH0_API, "CACHE_TTL": 1}
    worker(settings).verify_access_token(fleet.mint_token())
    fail_jwks(fleet)
    time.sleep(1.05)  # CACHE_TTL passes: the key set is stale everywhere
    # The refetch runs in the background and fails: the stale keys serve meanwhile and after.
    process = worker(settings)
    first = process.verify_access_token(fleet.mint_token(sub="stale-1"))
    process.token_verifier._issuers[fleet.issuer].jwks.wait_for_revalidation()
    second = worker(settings).verify_access_token(fleet.mint_token(sub="stale-2"))  # fleet backs off: no fetch
    assert (first["sub"], second["sub"], jwks_calls(fleet)) == ("stale-1", "stale-2", 2)


# -- DPoP replay -------------------------------------------------------------------------------------
def test_dpop_proof_replayed_to_another_process_is_refused(fleet, settings, dpop_key):
    token = fleet.mint_token(jkt=dpop_key.jkt)
    proof = fleet.mint_dpop_proof(dpop_key, htm="GET", htu=API_URL, access_token=token)
    headers = {"authorization": f"DPoP {token}", "dpop": proof}
    worker(settings).verify_request(headers, "GET", API_URL)
    with pytest.raises(InvalidDpopProofError) as refused:
        worker(settings).verify_request(headers, "GET", API_URL)
    assert (refused.value.get_error_code(), refused.value.get_error_description()) == (
        "invalid_dpop_proof", "DPoP proof has been used before")


def test_fresh_proofs_are_accepted_by_every_process(fleet, settings, dpop_key):
    token = fleet.mint_token(jkt=dpop_key.jkt)
    subs = []
    for client in [worker(settings) for _ in range(3)]:
        proof = fleet.mint_dpop_proof(dpop_key, htm="GET", htu=API_URL, access_token=token)
        subs.append(client.verify_request({"authorization": f"DPoP {token}", "dpop": proof}, "GET", API_URL)["sub"])
    assert subs == ["auth0|user-1"] * 3


# -- exchanged tokens --------------------------------------------------------------------------------
def test_exchanged_token_is_reused_by_another_process(fleet, settings):
    token = fleet.mint_token(scope="read:messages")
    first = worker(settings).get_token_on_behalf_of(token, DOWNSTREAM, "calendar:read")
    second = worker(settings).get_token_on_behalf_of(token, DOWNSTREAM, "calendar:read")
    assert (second["access_token"], calls_to(fleet.responses, fleet.token_url)) == (first["access_token"], 1)


def test_exchange_for_another_scope_is_not_shared(fleet, settings):
    token = fleet.mint_token(scope="read:messages")
    first = worker(settings).get_token_on_behalf_of(token, DOWNSTREAM, "calendar:read")
    other = worker(settings).get_token_on_behalf_of(token, DOWNSTREAM, "calendar:write")
    assert (other["access_token"] != first["access_token"], calls_to(fleet.responses, fleet.token_url)) == (True, 2)
