"""The tenant misbehaves while a fleet is under load.

A fleet: the test project under gunicorn (several sync workers, one Redis cache) against the local
tenant (`testproject/tenant`, its own gunicorn). A pool of client threads sends Bearer requests to
`/api/echo` while the tenant goes down, rotates its key or answers slowly. Every loop is bounded in
time and count, every server is stopped by the fixtures, whatever happens.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass

import pytest
import requests

from testproject import servers

pytestmark = pytest.mark.servers

WORKERS = 3
CLIENT_THREADS = 6
MAX_REQUESTS = 4000


@dataclass
class Fleet:
    tenant: object
    url: str
    stop_tenant: object

    def served(self) -> dict:
        return servers.served(self.tenant)


@pytest.fixture
def start_fleet(redis_port, tmp_path):
    """start_fleet(tenant_env=..., api_env=...) -> Fleet; everything stops at teardown."""
    import redis

    stacks: list[ExitStack] = []

    def start(tenant_env=None, api_env=None, workers=WORKERS) -> Fleet:
        with redis.Redis(port=redis_port) as connection:
            connection.flushdb()
        tenant_stack = ExitStack()
        stacks.append(tenant_stack)
        tenant, env = tenant_stack.enter_context(servers.local_tenant(str(tmp_path), env=tenant_env))
        api_stack = ExitStack()
        stacks.append(api_stack)
        port = servers.free_port()
        # --preload: the app is imported once, before the port opens, so the workers are ready
        # as soon as they are forked and no request of the test waits for one to boot.
        env = {**env, "AUTH0_API_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0", "DJANGO_DEBUG": "0",
               "GUNICORN_CMD_ARGS": "--preload", **(api_env or {})}
        api_stack.enter_context(servers.gunicorn(port, "testproject.settings", env, workers=workers))
        fleet = Fleet(tenant, f"http://127.0.0.1:{port}/api/echo", tenant_stack.close)
        warm_up_workers(fleet, workers)
        return fleet

    yield start
    for stack in reversed(stacks):
        stack.close()


def warm_up_workers(fleet: Fleet, workers: int) -> None:
    """Every worker answers, and has run the verifier once, without touching the
    tenant: a token of a foreign issuer is refused before any network call."""
    foreign = fleet.tenant.mint_token(claims={"iss": "https://elsewhere.example.com/"})

    def knock(_):
        answer = requests.get(fleet.url, headers={"Authorization": f"Bearer {foreign}"}, timeout=10)
        assert answer.status_code == 401, answer.text

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(knock, range(4 * workers)))
    assert fleet.served() == {"discovery": 0, "jwks": 0, "token": 0}


@dataclass(frozen=True)
class Outcome:
    label: str
    status: int | None  # None: no answer (connection error or client timeout)
    elapsed: float
    retry_after: str | None


class Load:
    """`threads` threads sending GET `url` with the tokens of `self.pool`
    (label, tokens), which the test may swap while it runs."""

    def __init__(self, url: str, label: str, tokens: list[str], deadline: float = 20.0,
                 threads: int = CLIENT_THREADS):
        self.url = url
        self.pool = (label, tokens)
        self.outcomes: list[Outcome] = []
        self._stop = threading.Event()
        self._deadline = time.monotonic() + deadline
        self._threads = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(threads)]

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=15)

    def run_for(self, seconds: float) -> None:
        self._stop.wait(seconds)

    def _run(self, n: int) -> None:
        with requests.Session() as session:
            i = n
            while not self._stop.is_set() and len(self.outcomes) < MAX_REQUESTS and time.monotonic() < self._deadline:
                label, tokens = self.pool
                token = tokens[i % len(tokens)]
                i += 1
                started = time.monotonic()
                try:
                    answer = session.get(self.url, headers={"Authorization": f"Bearer {token}"}, timeout=(2, 10))
                    status, retry_after = answer.status_code, answer.headers.get("Retry-After")
                except requests.RequestException:
                    status, retry_after = None, None
                self.outcomes.append(Outcome(label, status, time.monotonic() - started, retry_after))

    def count(self, label: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.label == label)

    def statuses(self, label: str) -> dict:
        counted: dict = {}
        for outcome in self.outcomes:
            if outcome.label == label:
                counted[outcome.status] = counted.get(outcome.status, 0) + 1
        return counted


def tokens(tenant, prefix: str, count: int = 30) -> list[str]:
    return [tenant.mint_token(f"auth0|{prefix}-{i}") for i in range(count)]


def warm(fleet: Fleet, token: str) -> None:
    """One verified request: the fleet's shared cache now holds discovery and JWKS."""
    answer = requests.get(fleet.url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert (answer.status_code, fleet.served()["jwks"]) == (200, 1)


def test_jwks_outage_fails_no_request_while_keys_are_cached(start_fleet):
    fleet = start_fleet()
    before = tokens(fleet.tenant, "before")
    during = tokens(fleet.tenant, "during")  # first seen during the outage: verified with the cached key
    warm(fleet, before[0])
    with Load(fleet.url, "before", before) as load:
        load.run_for(0.5)
        fleet.stop_tenant()
        load.pool = ("during", during)
        load.run_for(1.5)
    assert (load.statuses("before"), load.statuses("during")) == ({200: load.count("before")},
                                                                  {200: load.count("during")})


def test_rotation_is_accepted_with_one_refetch_for_the_fleet(start_fleet):
    fleet = start_fleet(tenant_env={"FAKE_TENANT_ADMIN": "1"})
    old = tokens(fleet.tenant, "old")
    warm(fleet, old[0])
    with Load(fleet.url, "old", old) as load:
        load.run_for(0.5)
        servers.rotate(fleet.tenant)
        load.pool = ("new", tokens(fleet.tenant, "new"))  # signed with the new key only
        load.run_for(2.0)
    assert (load.statuses("new"), fleet.served()["jwks"]) == ({200: load.count("new")}, 2)


def test_slow_tenant_holds_no_request_past_the_timeout(start_fleet):
    timeout, delay = 2.0, 8  # HTTP_TIMEOUT, and how long the tenant takes to answer JWKS
    fleet = start_fleet(tenant_env={"FAKE_TENANT_JWKS_DELAY": str(delay)},
                        api_env={"AUTH0_HTTP_TIMEOUT": str(timeout)}, workers=4)
    with Load(fleet.url, "cold", tokens(fleet.tenant, "cold"), threads=4) as load:
        load.run_for(3.0)
    slowest = max(outcome.elapsed for outcome in load.outcomes)
    # No cached key: 503 + Retry-After. A request that waited for the slow answer would take
    # 8 s; the fetcher makes two calls (discovery, then JWKS), each within HTTP_TIMEOUT, and the
    # others wait for it; the bound leaves one HTTP_TIMEOUT of room for a busy machine. One fetch.
    assert ({(o.status, o.retry_after) for o in load.outcomes}, slowest < 3 * timeout, fleet.served()["jwks"]) == (
        {(503, "30")}, True, 1)
