"""django_auth0_api.core.shared_cache: "already there" told from "cannot store", and the replay
watermark, on LocMem, the database cache, and real Redis and Memcached servers that go down,
restart empty or are flushed.

Each server here is this module's own (tests/conftest.py's session servers are never stopped).
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from contextlib import ExitStack

import pytest
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache

from django_auth0_api.client import ApiClient
from django_auth0_api.core import shared_cache
from django_auth0_api.core.dpop import replay_watermark_key
from django_auth0_api.core.shared_cache import SharedCache
from django_auth0_api.errors import InvalidDpopProofError, ServiceUnavailableError
from django_auth0_api.options import ApiClientOptions
from django_auth0_api.testing import DpopKey, clear_shared_cache
from testproject import servers

ALIAS = "replay"
API_URL = "https://api.example.com/data"
# The README's cache options: bounded waits, and a failed Memcached server retried after a second.
MEMCACHED_OPTIONS = {"connect_timeout": 0.5, "timeout": 0.5, "retry_timeout": 1, "dead_timeout": 1}
REDIS_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}


class Server:
    """A Redis or Memcached server on a fixed port that the test stops and starts again (empty)."""

    def __init__(self, kind: str, workdir: str):
        self.kind, self.workdir = kind, workdir
        self.port = servers.free_port()
        self._running: ExitStack | None = None

    def start(self) -> None:
        self._running = ExitStack()
        self._running.enter_context(servers.redis(self.port, self.workdir) if self.kind == "redis"
                                    else servers.memcached(self.port))

    def stop(self) -> None:
        if self._running is not None:
            self._running.close()
            self._running = None

    def cache_settings(self) -> dict:
        if self.kind == "redis":
            return {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                    "LOCATION": f"redis://127.0.0.1:{self.port}/0", "OPTIONS": REDIS_OPTIONS}
        return {"BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
                "LOCATION": f"127.0.0.1:{self.port}", "OPTIONS": MEMCACHED_OPTIONS}


@pytest.fixture(params=["redis", "memcached"])
def server(request, settings):
    if not servers.have("redis-server" if request.param == "redis" else "memcached"):
        pytest.skip(f"{request.param} is not installed")
    with tempfile.TemporaryDirectory() as workdir:
        server = Server(request.param, workdir)
        server.start()
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
                           ALIAS: server.cache_settings()}
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture
def replay_tenant(auth0_tenant, settings):
    settings.AUTH0_API = auth0_tenant.settings(CACHE_ALIAS=ALIAS)
    return auth0_tenant


def new_process(settings) -> ApiClient:
    return ApiClient(ApiClientOptions.from_settings(settings.AUTH0_API))


def verify(process, tenant, key, proof=None, token=None):
    token = token or tenant.mint_token(jkt=key.jkt)
    proof = proof or tenant.mint_dpop_proof(key, htu=API_URL, access_token=token)
    try:
        process.verify_request({"authorization": f"DPoP {token}", "dpop": proof}, "GET", API_URL)
        return 200
    except ServiceUnavailableError as exc:
        return exc.status_code, exc.retry_after
    except InvalidDpopProofError as exc:
        return exc.status_code, exc.description


def wait_for(condition, seconds: float = 10.0):
    deadline = time.monotonic() + seconds
    while True:
        outcome = condition()
        if outcome or time.monotonic() > deadline:
            return outcome
        time.sleep(0.1)


# -- add: stored, already there, cannot store ---------------------------------------------------------

@pytest.mark.servers
def test_add_tells_stored_from_already_there_on_a_real_server(server):
    cache = SharedCache(ALIAS)
    assert (cache.add("auth0_api:test:k", 1, 30), cache.add("auth0_api:test:k", 1, 30)) == (True, False)


@pytest.mark.servers
def test_add_on_a_server_that_is_down_is_cannot_store_not_already_there(server):
    cache = SharedCache(ALIAS)
    cache.add("auth0_api:test:warm", 1, 30)
    server.stop()
    # pymemcache raises for the first call, then answers False while it waits to retry the
    # server: neither may read as "already there".
    assert [cache.add(f"auth0_api:test:{i}", 1, 30) for i in range(5)] == [None] * 5


@pytest.mark.servers
def test_a_fresh_proof_while_the_server_is_down_is_503_and_accepted_soon_after_it_is_back(
        server, replay_tenant, settings, dpop_key):
    process = new_process(settings)
    assert verify(process, replay_tenant, dpop_key) == 200
    server.stop()
    during = [verify(process, replay_tenant, dpop_key) for _ in range(20)]
    server.start()
    came_back = time.monotonic()
    recovered = wait_for(lambda: verify(process, replay_tenant, dpop_key) == 200)
    assert (set(during), recovered, time.monotonic() - came_back < 5) == ({(503, 30)}, True, True)


def test_the_database_cache_that_cannot_store_is_an_outage(settings, db):
    from django.core.management import call_command
    from django.db import connection

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
                       ALIAS: {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "auth0_cache"}}
    call_command("createcachetable", verbosity=0)
    with connection.cursor() as cursor:  # every INSERT fails, as on a full disk or a read-only replica
        cursor.execute("CREATE TRIGGER auth0_cache_full BEFORE INSERT ON auth0_cache "
                       "BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END")
    # Django's database cache swallows the DatabaseError of its INSERT and answers False, as if
    # the key were there.
    assert SharedCache(ALIAS).add("auth0_api:test:k", 1, 30) is None


def test_the_database_cache_tells_already_there(settings, db):
    from django.core.management import call_command

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
                       ALIAS: {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "auth0_cache"}}
    call_command("createcachetable", verbosity=0)
    cache = SharedCache(ALIAS)
    assert (cache.add("auth0_api:test:k", 1, 30), cache.add("auth0_api:test:k", 1, 30)) == (True, False)


def test_locmem_tells_already_there(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
                       ALIAS: {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "replay"}}
    caches[ALIAS].clear()
    cache = SharedCache(ALIAS)
    assert (cache.add("auth0_api:test:k", 1, 30), cache.add("auth0_api:test:k", 1, 30)) == (True, False)


# -- which backend object, in which thread or process ---------------------------------------------

LOCMEM = "django.core.cache.backends.locmem.LocMemCache"


def test_one_locmem_backend_serves_every_thread(settings):
    # Its dicts and lock are the process's whichever object reads them (docs/deployment.md).
    settings.CACHES = {"default": {"BACKEND": LOCMEM}, ALIAS: {"BACKEND": LOCMEM, "LOCATION": "threads"}}
    seen = []
    workers = [threading.Thread(target=lambda: seen.append(SharedCache(ALIAS).backend)) for _ in range(2)]
    for worker in workers:
        worker.start()
        worker.join()
    assert (seen[0] is seen[1], seen[0] is SharedCache(ALIAS).backend) == (True, True)


class ThreadOwnCache(LocMemCache):
    """A LocMem cache that Django, as for Memcached or Redis clients, makes per thread."""


def test_another_backend_is_still_looked_up_per_thread(settings):
    settings.CACHES = {"default": {"BACKEND": LOCMEM},
                       ALIAS: {"BACKEND": f"{__name__}.ThreadOwnCache", "LOCATION": "own"}}
    seen = []
    worker = threading.Thread(target=lambda: seen.append(SharedCache(ALIAS).backend))
    worker.start()
    worker.join()
    assert (seen[0] is SharedCache(ALIAS).backend, SharedCache(ALIAS).backend is caches[ALIAS]) == (False, True)


def test_a_changed_caches_setting_takes_effect_at_once(settings):
    settings.CACHES = {"default": {"BACKEND": LOCMEM}, ALIAS: {"BACKEND": LOCMEM, "LOCATION": "before"}}
    SharedCache(ALIAS).set("auth0_api:test:where", "before", 30)
    settings.CACHES = {"default": {"BACKEND": LOCMEM}, ALIAS: {"BACKEND": LOCMEM, "LOCATION": "after"}}
    SharedCache(ALIAS).set("auth0_api:test:where", "after", 30)
    assert (LocMemCache("before", {}).get("auth0_api:test:where"),
            LocMemCache("after", {}).get("auth0_api:test:where")) == ("before", "after")


class FailsInOneProcess(LocMemCache):
    """Down for the process that set `down_in` (the parent), up in its children."""

    down_in: int | None = None

    def add(self, *args, **kwargs):
        if os.getpid() == FailsInOneProcess.down_in:
            raise ConnectionError("down")
        return super().add(*args, **kwargs)


def test_a_forked_worker_does_not_inherit_its_parents_outage(settings):
    settings.CACHES = {"default": {"BACKEND": LOCMEM},
                       ALIAS: {"BACKEND": f"{__name__}.FailsInOneProcess", "LOCATION": "fork"}}
    FailsInOneProcess.down_in = os.getpid()
    cache = SharedCache(ALIAS)
    assert (cache.add("auth0_api:test:a", 1, 30), cache.add("auth0_api:test:b", 1, 30)) == (None, None)  # held off
    child = os.fork()
    if child == 0:  # the child: the cache is up for it, and it does not wait out the parent's hold
        os._exit(0 if cache.add("auth0_api:test:c", 1, 30) is True else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0


# -- a store that forgets -----------------------------------------------------------------------------

def accepted_proofs(process, tenant, key, token, count=5) -> list[str]:
    proofs = [tenant.mint_dpop_proof(key, htu=API_URL, access_token=token) for _ in range(count)]
    assert [verify(process, tenant, key, proof, token) for proof in proofs] == [200] * count
    return proofs


@pytest.mark.servers
@pytest.mark.parametrize("forget", ["restart", "flush"])
def test_proofs_accepted_before_the_store_forgot_are_refused_after(server, replay_tenant, settings, forget):
    key = DpopKey()
    token = replay_tenant.mint_token(jkt=key.jkt)
    clear_shared_cache(ALIAS)
    process = new_process(settings)
    proofs = accepted_proofs(process, replay_tenant, key, token)
    time.sleep(1.05)  # the watermark counts whole seconds
    if forget == "restart":
        server.stop()
        server.start()
    else:
        caches[ALIAS].clear()
    again = wait_for(lambda: [verify(process, replay_tenant, key, proof, token) for proof in proofs]
                     if verify(process, replay_tenant, key) == 200 else None)
    assert again == [(401, "DPoP proof is older than the replay state")] * 5


def test_proofs_accepted_before_a_locmem_cache_was_cleared_are_refused_after(replay_tenant, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
                       ALIAS: {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "replay"}}
    key = DpopKey()
    token = replay_tenant.mint_token(jkt=key.jkt)
    clear_shared_cache(ALIAS)
    process = new_process(settings)
    proofs = accepted_proofs(process, replay_tenant, key, token)
    time.sleep(1.05)
    caches[ALIAS].clear()
    assert verify(process, replay_tenant, key) == 200
    assert [verify(process, replay_tenant, key, proof, token) for proof in proofs] == [
        (401, "DPoP proof is older than the replay state")] * 5


def test_a_proof_issued_after_the_watermark_is_accepted(replay_tenant, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
                       ALIAS: {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "replay"}}
    caches[ALIAS].clear()
    caches[ALIAS].set(replay_watermark_key(), int(time.time()) - 1, None)
    key = DpopKey()
    assert verify(new_process(settings), replay_tenant, key) == 200


# -- the cost: one round trip per proof ---------------------------------------------------------------

@pytest.fixture
def round_trips(monkeypatch):
    """Requests sent to Redis (one per pipeline) and to Memcached, counted at the client's socket."""
    import pymemcache.client.base
    import redis.connection

    sent = {"count": 0}

    def counting(cls, name):
        original = getattr(cls, name)

        def wrapper(self, *args, **kwargs):
            sent["count"] += 1
            return original(self, *args, **kwargs)

        monkeypatch.setattr(cls, name, wrapper)

    counting(redis.connection.AbstractConnection, "send_packed_command")
    for name in ("_store_cmd", "_fetch_cmd", "_misc_cmd"):
        counting(pymemcache.client.base.Client, name)
    return sent


@pytest.mark.servers
def test_a_fresh_proof_costs_one_cache_round_trip(server, replay_tenant, settings, round_trips, monkeypatch):
    monkeypatch.setattr(shared_cache, "WATERMARK_RECHECK", 3600.0)  # the re-read: once a second, not counted
    key = DpopKey()
    token = replay_tenant.mint_token(jkt=key.jkt)
    process = new_process(settings)
    process.verify_access_token(token)  # keys and the verified token cached in the process
    proofs = [replay_tenant.mint_dpop_proof(key, htu=API_URL, access_token=token) for _ in range(21)]
    assert verify(process, replay_tenant, key, proofs[0], token) == 200  # the watermark, read once
    before = round_trips["count"]
    outcomes = [verify(process, replay_tenant, key, proof, token) for proof in proofs[1:]]
    assert (outcomes, round_trips["count"] - before) == ([200] * 20, 20)
