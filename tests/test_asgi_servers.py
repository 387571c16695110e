"""Every face under a real ASGI server: two uvicorn workers (processes) on
loopback serving `testproject.asgi`, sharing one `redis-server`; the tenant
is the local one, so the workers fetch real discovery and JWKS on the event
loop's worker threads. A DPoP proof sent to both workers at once is
accepted by exactly one of them."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import pytest
import requests

from django_auth0_api.testing import DpopKey
from testproject import servers

pytestmark = pytest.mark.servers

# The testproject is an MCP server too: its challenges name its RFC 9728 metadata.
METADATA = 'resource_metadata="https://api.example.com/.well-known/oauth-protected-resource/mcp"'
BARE_CHALLENGE = f'Bearer realm="api", {METADATA}, DPoP algs="ES256", {METADATA}'
REPLAYED = {"error": "invalid_dpop_proof", "error_description": "DPoP proof has been used before"}
# Async plain views, an async class-based view, adrf, ninja (sync and async
# operations), and the sync faces (DRF, a plain view) under the same server.
FACES = ["/async/me", "/async/class-me", "/adrf/me", "/ninja/me", "/ninja/async/me", "/api/me", "/plain/me"]
ROUNDS = 20


class Worker:
    def __init__(self, url: str):
        self.url = url
        self._local = threading.local()

    def get(self, path: str, **headers):
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.trust_env = False  # loopback: no proxy from the environment
        return session.get(self.url + path, headers=headers, timeout=15)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    missing = [name for name in ("redis-server",) if not servers.have(name)]
    for binary in ("uvicorn", "gunicorn"):
        if not os.path.exists(os.path.join(servers.BIN, binary)):
            missing.append(f"{binary} (in the virtualenv)")
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (apt-get install redis-server; pip install -e '.[test]')")
    workdir = str(tmp_path_factory.mktemp("asgi-servers"))
    with ExitStack() as stack:
        redis_port = servers.free_port()
        stack.enter_context(servers.redis(redis_port, workdir))
        tenant, tenant_env = stack.enter_context(servers.local_tenant(workdir))
        env = {"DJANGO_DEBUG": "0", "AUTH0_API_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0", **tenant_env}
        workers = []
        for index in range(2):
            port = servers.free_port()
            log = stack.enter_context(open(os.path.join(workdir, f"uvicorn-{index}.log"), "wb"))
            stack.enter_context(servers.uvicorn(port, "testproject.settings", env, log))
            workers.append(Worker(f"http://127.0.0.1:{port}"))
        yield tenant, workers


@pytest.mark.parametrize("path", FACES)
def test_bearer_on_every_face(fleet, path):
    tenant, workers = fleet
    response = workers[0].get(path, Authorization=f"Bearer {tenant.mint_token()}")
    assert (response.status_code, response.json()["sub"], response.json()["scheme"]) == (200, "auth0|user-1",
                                                                                          "Bearer")


@pytest.mark.parametrize("path", FACES)
def test_dpop_on_every_face(fleet, path):
    tenant, workers = fleet
    key = DpopKey()
    token = tenant.mint_token(jkt=key.jkt)
    proof = tenant.mint_dpop_proof(key, htu=workers[1].url + path, access_token=token)
    response = workers[1].get(path, Authorization=f"DPoP {token}", DPoP=proof)
    assert (response.status_code, response.json()["scheme"]) == (200, "DPoP")


@pytest.mark.parametrize("path", FACES)
def test_no_credentials_is_the_bare_challenge_on_every_face(fleet, path):
    _, workers = fleet
    response = workers[0].get(path)
    assert (response.status_code, response.headers["WWW-Authenticate"]) == (401, BARE_CHALLENGE)


@pytest.mark.parametrize("path", FACES)
def test_hostile_credentials_never_get_a_500(fleet, path):
    tenant, workers = fleet
    hostile = [{"Authorization": "Bearer " + "A" * 20000}, {"Authorization": "DPoP a.b.c", "DPoP": "x.y.z"},
               {"Authorization": "Bearer a.b.c"}, {"Authorization": "Bearer \u00e9".encode().decode("latin-1")},
               {"Authorization": f"Bearer {tenant.mint_token(kid='made-up')}"},
               {"Authorization": f"Bearer {tenant.mint_token()}", "DPoP": "proof"}]
    statuses = {workers[0].get(path, **headers).status_code for headers in hostile}
    assert statuses <= {400, 401}


# The two workers listen on two ports of one host; a proxy in front of them
# would send one Host. So does the test: each proof names the first worker's
# URL, and both workers see that URL as the request's (Host header).
PATH = "/ninja/async/me"


def test_a_proof_sent_to_two_workers_at_once_is_accepted_once(fleet):
    tenant, workers = fleet
    key = DpopKey()
    token = tenant.mint_token(jkt=key.jkt)
    host = workers[0].url.removeprefix("http://")
    barrier = threading.Barrier(2)

    def send(worker, proof):
        barrier.wait(timeout=15)
        response = worker.get(PATH, Host=host, Authorization=f"DPoP {token}", DPoP=proof)
        return response.status_code, response.json()

    outcomes = []
    with ThreadPoolExecutor(2) as pool:
        for _ in range(ROUNDS):
            proof = tenant.mint_dpop_proof(key, htu=workers[0].url + PATH, access_token=token)
            outcomes.append(sorted(pool.map(send, workers, [proof, proof]), key=lambda answer: answer[0]))
    assert [(ok[0], refused) for ok, refused in outcomes] == [(200, (401, REPLAYED))] * ROUNDS


@pytest.mark.parametrize("path", ["/async/me", "/adrf/me", "/ninja/me", PATH])
def test_a_proof_accepted_by_one_worker_is_refused_by_the_other(fleet, path):
    tenant, workers = fleet
    key = DpopKey()
    token = tenant.mint_token(jkt=key.jkt)
    host = workers[0].url.removeprefix("http://")
    proof = tenant.mint_dpop_proof(key, htu=workers[0].url + path, access_token=token)
    answers = [worker.get(path, Host=host, Authorization=f"DPoP {token}", DPoP=proof) for worker in workers]
    assert ([answer.status_code for answer in answers], answers[1].json()) == ([200, 401], REPLAYED)
