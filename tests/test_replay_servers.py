"""DPoP replay across real worker processes (the README: `cache.add`, fleet-wide).

A real `redis-server` and gunicorn with two workers serving `testproject.wsgi`
with the Redis cache; the Auth0 tenant is the local one (`testproject.tenant`,
also under gunicorn on loopback), so the workers fetch real discovery and JWKS.
Each proof is sent twice at the same moment, from two threads: exactly one
answer may be a 200. gunicorn's access log names the worker that answered
each request, so the test also shows that one proof did reach both workers.
"""

from __future__ import annotations

import os
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import pytest
import requests

from django_auth0_api.testing import DpopKey
from testproject import servers

pytestmark = pytest.mark.servers

ROUNDS = 40
REPLAYED = {"error": "invalid_dpop_proof", "error_description": "DPoP proof has been used before"}
# The testproject publishes its /mcp endpoint as an RFC 9728 resource: every challenge points there.
_METADATA = 'resource_metadata="https://api.example.com/.well-known/oauth-protected-resource/mcp"'
REPLAYED_CHALLENGE = (f'Bearer realm="api", {_METADATA}, DPoP algs="ES256", error="invalid_dpop_proof", '
                      f'error_description="DPoP proof has been used before", {_METADATA}')
_ACCESS_LINE = re.compile(r"^<(\d+)> (\S+) (\d{3})$")


class Api:
    def __init__(self, url: str, tenant, access_log: str):
        self.url = url
        self.tenant = tenant
        self.access_log = access_log
        self._local = threading.local()

    def get(self, path: str, probe: str, **headers):
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.trust_env = False  # loopback: no proxy from the environment
        return session.get(self.url + path, headers={"X-Probe": probe, **headers}, timeout=15)

    def workers_by_probe(self, expected) -> dict[str, str]:
        """Probe → pid of the worker that answered it, from gunicorn's access
        log (waiting a little for the `expected` probes' lines to land)."""
        deadline = time.monotonic() + 5
        while True:
            with open(self.access_log, encoding="ascii") as handle:
                lines = [_ACCESS_LINE.match(line.strip()) for line in handle]
            found = {m.group(2): m.group(1) for m in lines if m}
            if all(probe in found for probe in expected) or time.monotonic() > deadline:
                return found
            time.sleep(0.05)


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    missing = [name for name in ("redis-server",) if not servers.have(name)]
    if not os.path.exists(os.path.join(servers.BIN, "gunicorn")):
        missing.append("gunicorn (in the virtualenv)")
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (apt-get install redis-server; pip install -e '.[test]')")
    workdir = str(tmp_path_factory.mktemp("replay-servers"))
    with ExitStack() as stack:
        redis_port = servers.free_port()
        stack.enter_context(servers.redis(redis_port, workdir))
        tenant, tenant_env = stack.enter_context(servers.local_tenant(workdir))
        port = servers.free_port()
        access_log = os.path.join(workdir, "access.log")
        argv = [os.path.join(servers.BIN, "gunicorn"), "testproject.wsgi", "--bind", f"127.0.0.1:{port}",
                "--workers", "2", "--graceful-timeout", "2", "--log-level", "warning",
                "--access-logfile", access_log, "--access-logformat", "%(p)s %({x-probe}i)s %(s)s"]
        env = {"DJANGO_SETTINGS_MODULE": "testproject.settings", "PYTHONPATH": servers.ROOT, "DJANGO_DEBUG": "0",
               "AUTH0_API_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0", **tenant_env}
        log = stack.enter_context(open(os.path.join(workdir, "gunicorn.log"), "wb"))
        stack.enter_context(servers.running(argv, port, env, log))
        api = Api(f"http://127.0.0.1:{port}", tenant, access_log)
        start_replay_state(api)
        yield api


def start_replay_state(api) -> None:
    """One DPoP request: an empty Redis starts its replay watermark with it, and refuses the
    proofs issued before (README, "A fleet of workers"); those of the tests come after."""
    key = DpopKey()
    token = api.tenant.mint_token(jkt=key.jkt)
    proof = api.tenant.mint_dpop_proof(key, htu=api.url + "/api/me", access_token=token)
    assert api.get("/api/me", "start", Authorization=f"DPoP {token}", DPoP=proof).status_code in (200, 401)


def _both_workers_up(api) -> set[str]:
    """Pairs of parallel requests until two worker pids have answered."""
    pids: set[str] = set()
    deadline = time.monotonic() + 30
    with ThreadPoolExecutor(2) as pool:
        attempt = 0
        while len(pids) < 2 and time.monotonic() < deadline:
            probes = [f"warmup-{attempt}-{i}" for i in range(2)]
            list(pool.map(lambda probe: api.get("/api/public", probe), probes))
            found = api.workers_by_probe(probes)
            pids.update(found[p] for p in probes if p in found)
            attempt += 1
    return pids


def test_a_proof_sent_to_two_workers_at_once_is_accepted_once(api):
    assert len(_both_workers_up(api)) == 2
    key = DpopKey()
    token = api.tenant.mint_token(jkt=key.jkt)
    url = api.url + "/api/me"
    outcomes = {}
    barrier = threading.Barrier(2)

    def send(round_, index, proof):
        barrier.wait(timeout=15)
        response = api.get("/api/me", f"r{round_}-{index}", Authorization=f"DPoP {token}", DPoP=proof)
        return response.status_code, response.json(), response.headers.get("WWW-Authenticate")

    with ThreadPoolExecutor(2) as pool:
        for round_ in range(ROUNDS):
            proof = api.tenant.mint_dpop_proof(key, htu=url, access_token=token)
            outcomes[round_] = list(pool.map(send, [round_, round_], [0, 1], [proof, proof]))

    for round_, answers in outcomes.items():
        answers.sort(key=lambda answer: answer[0])
        (ok_status, ok_body, _), (refused_status, refused_body, challenge) = answers
        assert (ok_status, ok_body.get("scheme"), ok_body.get("sub")) == (200, "DPoP", "auth0|user-1"), (
            round_, ok_body)
        assert (refused_status, refused_body, challenge) == (401, REPLAYED, REPLAYED_CHALLENGE), round_

    workers = api.workers_by_probe([f"r{r}-{i}" for r in range(ROUNDS) for i in range(2)])
    per_round = {r: {workers.get(f"r{r}-{i}") for i in range(2)} for r in range(ROUNDS)}
    assert len({pid for pids in per_round.values() for pid in pids}) == 2
    # In some rounds the two copies of one proof went to different workers:
    # the replay was caught across processes, through Redis.
    assert any(len(pids) == 2 and None not in pids for pids in per_round.values())


def test_fresh_proofs_are_accepted_by_every_worker(api):
    key = DpopKey()
    token = api.tenant.mint_token(jkt=key.jkt)
    url = api.url + "/api/me"
    with ThreadPoolExecutor(2) as pool:
        statuses = list(pool.map(
            lambda i: api.get("/api/me", f"fresh-{i}", Authorization=f"DPoP {token}",
                              DPoP=api.tenant.mint_dpop_proof(key, htu=url, access_token=token)).status_code,
            range(20)))
    assert statuses == [200] * 20


def test_a_proof_replayed_later_is_refused_by_whichever_worker_answers(api):
    key = DpopKey()
    token = api.tenant.mint_token(jkt=key.jkt)
    proof = api.tenant.mint_dpop_proof(key, htu=api.url + "/api/me", access_token=token)
    headers = {"Authorization": f"DPoP {token}", "DPoP": proof}
    statuses = [api.get("/api/me", f"later-{i}", **headers).status_code for i in range(8)]
    assert statuses == [200] + [401] * 7
