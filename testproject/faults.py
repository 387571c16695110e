"""`make faults`: the fault scenarios of the docs/deployment.md, "When the cache fails", on real servers.

Everything runs on loopback, every loop is bounded in count and time, and every server this script
starts is stopped when it ends (Ctrl-C included):

- drip: a server that drips its answer one byte a second (status line and headers, or the body) as
  discovery, JWKS or the token endpoint, for a cold start, a warm unknown kid and an exchange; every
  call must end within HTTP_TIMEOUT (`drip_max_ms`, the slowest of them);
- cold start: a fleet (gunicorn, 4 workers x 32 threads, Redis) starts cold under 128 simultaneous
  requests; the tenant must serve one JWKS (`cold_double_fetch`, the extra fetches over the rounds),
  and a key rotated right after is accepted at once (`cold_rotation_401`);
- Memcached outage: fresh DPoP proofs while Memcached is down are 503 + Retry-After, never 401
  (`memcached_outage_401`), and the fleet answers 200 again soon after it is back (`recovery_s`);
- replay after restart: proofs accepted before Redis or Memcached restarted empty are sent again
  (`replay_after_restart`, how many were accepted);
- stalled cache: Redis frozen with SIGSTOP; the longest a DPoP or Bearer request waited (`stalled_s`)
  with the cache timeouts of docs/deployment.md (AUTH0_API_CACHE_TIMEOUT, 0.5 s here).

Last line: `faults: drip_max_ms=... cold_double_fetch=... memcached_outage_401=... replay_after_restart=...
stalled_s=...`. Targets: drip_max_ms <= 1.2 x HTTP_TIMEOUT x 1000, cold_double_fetch=0,
memcached_outage_401=0, replay_after_restart=0. Environment: FAULTS_HTTP_TIMEOUT (1.0), FAULTS_ROUNDS (4).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "testproject.settings")

import requests  # noqa: E402

from testproject import servers  # noqa: E402

HTTP_TIMEOUT = float(os.environ.get("FAULTS_HTTP_TIMEOUT", "1.0"))
ROUNDS = int(os.environ.get("FAULTS_ROUNDS", "4"))
CACHE_TIMEOUT = 0.5
DRIP_LIMIT = 10  # seconds a drip lasts at most, whoever listens
COLD_WORKERS, COLD_THREADS = 4, 32
CLIENT_TIMEOUT = 30


# -- drip ------------------------------------------------------------------------------------------
class DripServer:
    """Discovery, JWKS and the token endpoint of `tenant`, each answered normally or dripped one
    byte a second: `modes[path] = "headers" | "body" | None`."""

    def __init__(self, tenant_factory):
        self.modes: dict[str, str | None] = {}
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                self._answer()

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self._answer()

            def _answer(self):
                tenant = owner.tenant
                path = self.path.split("?")[0]
                if path == "/.well-known/openid-configuration":
                    body = tenant.discovery()
                elif path == "/.well-known/jwks.json":
                    body = tenant.jwks()
                elif path == "/oauth/token":
                    body = {"access_token": "x", "token_type": "Bearer", "expires_in": 60,
                            "issued_token_type": "urn:ietf:params:oauth:token-type:access_token"}
                else:
                    body = {}
                payload = json.dumps(body).encode()
                head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        f"Content-Length: {len(payload)}\r\n\r\n").encode()
                mode = owner.modes.get(path)
                try:
                    if mode == "headers":
                        self._drip(head + payload)
                    elif mode == "body":
                        self.wfile.write(head)
                        self.wfile.flush()
                        self._drip(payload)
                    else:
                        self.wfile.write(head + payload)
                except OSError:
                    pass  # the client gave up, as it should

            def _drip(self, data: bytes):
                deadline = time.monotonic() + DRIP_LIMIT
                for index in range(len(data)):
                    if time.monotonic() > deadline:
                        return
                    self.wfile.write(data[index:index + 1])
                    self.wfile.flush()
                    time.sleep(1)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.tenant = tenant_factory(f"127.0.0.1:{self.port}")

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def drip() -> tuple[float, list[str]]:
    import django

    django.setup()
    from django.core.cache import caches

    from django_auth0_api.client import ApiClient
    from django_auth0_api.errors import ApiError, KeysUnavailableError, VerifyAccessTokenError
    from django_auth0_api.options import ApiClientOptions
    from django_auth0_api.testing import FakeTenant

    lines, worst = [], 0.0
    with DripServer(lambda domain: FakeTenant(domain, "https://api.example.com", scheme="http")) as server:
        tenant = server.tenant

        def client() -> ApiClient:
            caches["default"].clear()
            return ApiClient(ApiClientOptions.from_settings(tenant.settings(HTTP_TIMEOUT=HTTP_TIMEOUT)))

        def timed(label, call, expected):
            nonlocal worst
            started = time.monotonic()
            try:
                call()
                outcome = "accepted"
            except expected as exc:
                outcome = type(exc).__name__
            except ApiError as exc:
                outcome = f"unexpected {type(exc).__name__}"
            elapsed = (time.monotonic() - started) * 1000
            worst = max(worst, elapsed)
            lines.append(f"  drip {label:38s} {elapsed:7.0f} ms  {outcome}")

        token = tenant.mint_token()
        for path, mode, label in (("/.well-known/openid-configuration", "headers", "cold, discovery headers"),
                                  ("/.well-known/jwks.json", "headers", "cold, JWKS headers"),
                                  ("/.well-known/jwks.json", "body", "cold, JWKS body")):
            server.modes = {path: mode}
            fresh = client()
            timed(label, lambda fresh=fresh: fresh.verify_access_token(token), KeysUnavailableError)

        server.modes = {}
        warm = client()
        warm.verify_access_token(token)
        tenant.rotate()
        server.modes = {"/.well-known/jwks.json": "headers"}
        rotated = tenant.mint_token()
        timed("warm unknown kid, JWKS headers", lambda: warm.verify_access_token(rotated), VerifyAccessTokenError)

        for mode in ("headers", "body"):
            server.modes = {}
            exchanging = client()
            exchanging.verify_access_token(rotated)
            server.modes = {"/oauth/token": mode}
            timed(f"token endpoint {mode}", lambda c=exchanging: c.get_token_on_behalf_of(
                rotated, audience="https://calendar-api.example.com"), ApiError)
    return worst, lines


# -- fleets ----------------------------------------------------------------------------------------
def get(url: str, token: str, proof: str | None = None):
    headers = {"Authorization": f"{'DPoP' if proof else 'Bearer'} {token}"}
    if proof:
        headers["DPoP"] = proof
    started = time.monotonic()
    try:
        answer = requests.get(url, headers=headers, timeout=CLIENT_TIMEOUT)
        return answer.status_code, answer.headers.get("Retry-After"), time.monotonic() - started
    except requests.RequestException:
        return None, None, time.monotonic() - started


@contextmanager
def api(env: dict, workers: int = 2, threads: int = 1):
    port = servers.free_port()
    env = {**env, "DJANGO_DEBUG": "0", "GUNICORN_CMD_ARGS": "--preload",
           "AUTH0_HTTP_TIMEOUT": str(HTTP_TIMEOUT), "AUTH0_API_CACHE_TIMEOUT": str(CACHE_TIMEOUT)}
    with servers.gunicorn(port, "testproject.settings", env, workers=workers, threads=threads):
        url = f"http://127.0.0.1:{port}"
        knock_all(url, env, workers * max(threads, 1))
        yield url


def knock_all(url: str, env: dict, count: int) -> None:
    """Every worker has built its client (a foreign issuer is refused before any network call)."""
    from django_auth0_api.testing import FakeTenant

    foreign = FakeTenant().mint_token(claims={"iss": "https://elsewhere.example.com/"})
    with ThreadPoolExecutor(min(count, 32)) as pool:
        list(pool.map(lambda _: get(url + "/api/echo", foreign), range(count * 2)))


def cold_start(workdir: str, redis_port: int) -> tuple[int, int, list[str]]:
    import redis

    extra, refused, lines = 0, 0, []
    with servers.local_tenant(workdir, env={"FAKE_TENANT_ADMIN": "1"}) as (tenant, env):
        env = {**env, "AUTH0_API_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0"}
        clients = COLD_WORKERS * COLD_THREADS
        for round_ in range(ROUNDS):
            with redis.Redis(port=redis_port) as connection:
                connection.flushdb()
            with api(env, workers=COLD_WORKERS, threads=COLD_THREADS) as url:
                before = servers.served(tenant)["jwks"]
                tokens = [tenant.mint_token(f"auth0|cold-{round_}-{i}") for i in range(clients)]
                cold = burst(url + "/api/echo", tokens)
                fetched = servers.served(tenant)["jwks"] - before
                servers.rotate(tenant)
                rotated = burst(url + "/api/echo", [tenant.mint_token(f"auth0|new-{round_}-{i}")
                                                    for i in range(clients)])
                extra += max(0, fetched - 1)
                refused += rotated.get(401, 0)
                lines.append(f"  cold round {round_}: {cold} with {fetched} JWKS fetch(es); "
                             f"right after a rotation: {rotated}")
    return extra, refused, lines


def burst(url: str, tokens: list[str]) -> dict:
    barrier = threading.Barrier(len(tokens))

    def send(token):
        barrier.wait(timeout=30)
        return get(url, token)[0]

    with ThreadPoolExecutor(len(tokens)) as pool:
        statuses = list(pool.map(send, tokens))
    return {status: statuses.count(status) for status in sorted(set(statuses), key=str)}


class DpopClient:
    def __init__(self, tenant, url: str):
        from django_auth0_api.testing import DpopKey

        self.tenant, self.url = tenant, url + "/api/me"
        self.key = DpopKey()
        self.token = tenant.mint_token(jkt=self.key.jkt)

    def proof(self) -> str:
        return self.tenant.mint_dpop_proof(self.key, htu=self.url, access_token=self.token)

    def send(self, proof: str | None = None):
        return get(self.url, self.token, proof or self.proof())


def memcached_outage(workdir: str) -> tuple[int, float, list[str]]:
    port = servers.free_port()
    with servers.local_tenant(workdir) as (tenant, env):
        env = {**env, "AUTH0_API_MEMCACHED_LOCATION": f"127.0.0.1:{port}"}
        memcached = ExitStack()
        memcached.enter_context(servers.memcached(port))
        with api(env) as url:
            client = DpopClient(tenant, url)
            client.send()  # the empty store starts its watermark: earlier proofs are refused
            before = [client.send()[0] for _ in range(10)]
            memcached.close()
            during = []
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline and len(during) < 500:
                status, retry_after, _ = client.send()
                during.append((status, retry_after))
            with servers.memcached(port):
                back = time.monotonic()
                recovered = None
                while time.monotonic() < back + 60:
                    if client.send()[0] == 200:
                        recovered = time.monotonic() - back
                        break
                    time.sleep(0.1)
    outage_401 = sum(1 for status, _ in during if status == 401)
    counted = {f"{s} Retry-After={r}": during.count((s, r)) for s, r in sorted(set(during), key=str)}
    recovery = recovered if recovered is not None else float("inf")
    up = {status: before.count(status) for status in set(before)}
    return outage_401, recovery, [f"  memcached: up {up}, down {counted}, 200 again {recovery:.1f} s after it is back"]


def replay_after_restart(workdir: str) -> tuple[int, list[str]]:
    total, lines = 0, []
    with servers.local_tenant(workdir) as (tenant, env):
        for kind in ("redis", "memcached"):
            port = servers.free_port()
            store = ExitStack()
            if kind == "redis":
                store.enter_context(servers.redis(port, workdir))
                store_env = {"AUTH0_API_REDIS_URL": f"redis://127.0.0.1:{port}/0"}
            else:
                store.enter_context(servers.memcached(port))
                store_env = {"AUTH0_API_MEMCACHED_LOCATION": f"127.0.0.1:{port}"}
            with api({**env, **store_env}) as url:
                client = DpopClient(tenant, url)
                client.send()  # the empty store starts its watermark: earlier proofs are refused
                proofs = [client.proof() for _ in range(20)]
                first = [client.send(proof)[0] for proof in proofs]
                store.close()  # restarts empty: no persistence
                time.sleep(1.1)  # a second boundary between the last accepted proof and the restart
                store.enter_context(servers.redis(port, workdir) if kind == "redis" else servers.memcached(port))
                again = [client.send(proof)[0] for proof in proofs]
                fresh = client.send()[0]
                store.close()
            accepted_again = again.count(200)
            total += accepted_again
            lines.append(f"  {kind} restart: first {first.count(200)}/20 accepted; sent again after the restart "
                         f"{ {s: again.count(s) for s in set(again)} }; a fresh proof then: {fresh}")
    return total, lines


def stalled(workdir: str, redis_port: int) -> tuple[float, list[str]]:
    with servers.local_tenant(workdir) as (tenant, env), \
            api({**env, "AUTH0_API_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0"}, workers=2, threads=4) as url:
        client = DpopClient(tenant, url)
        bearer = tenant.mint_token("auth0|bearer")
        with ThreadPoolExecutor(8) as pool:  # keys cached in every worker
            list(pool.map(lambda _: (client.send(), get(url + "/api/echo", bearer)), range(16)))
        pid = redis_pid(redis_port)
        os.kill(pid, signal.SIGSTOP)
        try:
            with ThreadPoolExecutor(8) as pool:
                dpop = [pool.submit(client.send) for _ in range(8)]
                plain = [pool.submit(get, url + "/api/echo", bearer) for _ in range(8)]
                answers = ([(f.result()[0], f.result()[2]) for f in dpop],
                           [(f.result()[0], f.result()[2]) for f in plain])
        finally:
            os.kill(pid, signal.SIGCONT)
    worst = max(elapsed for group in answers for _, elapsed in group)
    line = (f"  Redis frozen: DPoP {sorted({s for s, _ in answers[0]}, key=str)}, "
            f"Bearer {sorted({s for s, _ in answers[1]}, key=str)}, slowest {worst:.2f} s "
            f"(cache timeouts {CACHE_TIMEOUT} s)")
    return worst, [line]


def replay_cost(workdir: str, redis_port: int) -> list[str]:
    """Cache round trips and time per fresh DPoP proof, in this process, on Redis and Memcached."""
    import django

    django.setup()
    import pymemcache.client.base
    import redis.connection
    from django.conf import settings
    from django.test.utils import override_settings

    from django_auth0_api.client import ApiClient
    from django_auth0_api.options import ApiClientOptions
    from django_auth0_api.testing import DpopKey, FakeTenant, clear_shared_cache

    sent = {"count": 0}

    def counted(cls, name):
        original = getattr(cls, name)

        def wrapper(self, *args, **kwargs):
            sent["count"] += 1
            return original(self, *args, **kwargs)

        setattr(cls, name, wrapper)
        return lambda: setattr(cls, name, original)

    lines = []
    port = servers.free_port()
    with servers.memcached(port), DripServer(lambda domain: FakeTenant(domain, "https://api.example.com",
                                                                          scheme="http")) as tenant_server:
        tenant = tenant_server.tenant
        undo = [counted(redis.connection.AbstractConnection, "send_packed_command")]
        undo += [counted(pymemcache.client.base.Client, name) for name in ("_store_cmd", "_fetch_cmd", "_misc_cmd")]
        try:
            for kind, conf in (("redis", {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                          "LOCATION": f"redis://127.0.0.1:{redis_port}/1"}),
                               ("memcached", {"BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
                                              "LOCATION": f"127.0.0.1:{port}"})):
                with override_settings(CACHES={**settings.CACHES, "replay": conf}):
                    clear_shared_cache("replay")
                    process = ApiClient(ApiClientOptions.from_settings(tenant.settings(CACHE_ALIAS="replay")))
                    key = DpopKey()
                    token = tenant.mint_token(jkt=key.jkt)
                    url = "https://api.example.com/data"

                    def headers(key=key, token=token, url=url):
                        return {"authorization": f"DPoP {token}",
                                "dpop": tenant.mint_dpop_proof(key, htu=url, access_token=token)}

                    process.verify_request(headers(), "GET", url)  # keys, token and watermark in the process
                    batch = [headers() for _ in range(200)]
                    before, started = sent["count"], time.perf_counter()
                    for request in batch:
                        process.verify_request(request, "GET", url)
                    elapsed = time.perf_counter() - started
                    trips = (sent["count"] - before) / len(batch)
                    plain, watermarked = add_timings("replay")
                    lines.append(f"  replay check on {kind}: {trips:.2f} cache round trips per fresh proof, "
                                 f"{elapsed / len(batch) * 1e6:.0f} us per DPoP request; the record alone "
                                 f"{watermarked:.0f} us with the watermark, {plain:.0f} us as a bare cache.add")
        finally:
            for restore in undo:
                restore()
    return lines


def add_timings(alias: str, count: int = 500) -> tuple[float, float]:
    """Microseconds per bare `cache.add` and per watermarked add (`add_since`), in alternation."""
    import uuid

    from django.core.cache import caches

    from django_auth0_api.core.dpop import replay_watermark_key
    from django_auth0_api.core.shared_cache import SharedCache

    cache, shared = caches[alias], SharedCache(alias)
    plain = watermarked = 0.0
    for _ in range(count):
        started = time.perf_counter()
        cache.add(f"auth0_api:bench:{uuid.uuid4().hex}", 1, 30)
        plain += time.perf_counter() - started
        started = time.perf_counter()
        shared.add_since(f"auth0_api:bench:{uuid.uuid4().hex}", 1, 30, replay_watermark_key())
        watermarked += time.perf_counter() - started
    return plain / count * 1e6, watermarked / count * 1e6


def redis_pid(port: int) -> int:
    import redis

    with redis.Redis(port=port) as connection:
        return int(connection.info("server")["process_id"])


def main() -> int:
    missing = [name for name in ("redis-server", "memcached") if not servers.have(name)]
    if missing:
        print(f"faults: needs {' and '.join(missing)} (apt-get install redis-server memcached)", file=sys.stderr)
        return 2
    started = time.monotonic()
    drip_max_ms, lines = drip()
    print(*lines, sep="\n", flush=True)
    with tempfile.TemporaryDirectory() as workdir:
        redis_port = servers.free_port()
        with servers.redis(redis_port, workdir):
            double, rotation_401, lines = cold_start(workdir, redis_port)
            print(*lines, sep="\n", flush=True)
            stalled_s, lines = stalled(workdir, redis_port)
            print(*lines, sep="\n", flush=True)
            print(*replay_cost(workdir, redis_port), sep="\n", flush=True)
        outage_401, recovery_s, lines = memcached_outage(workdir)
        print(*lines, sep="\n", flush=True)
        replayed, lines = replay_after_restart(workdir)
        print(*lines, sep="\n", flush=True)
    met = {f"drip_max_ms<={1.2 * HTTP_TIMEOUT * 1000:.0f}": drip_max_ms <= 1.2 * HTTP_TIMEOUT * 1000,
           "cold_double_fetch=0": double == 0, "cold_rotation_401=0": rotation_401 == 0,
           "memcached_outage_401=0": outage_401 == 0, "replay_after_restart=0": replayed == 0}
    print(f"  HTTP_TIMEOUT {HTTP_TIMEOUT:g} s; memcached recovery {recovery_s:.1f} s; "
          f"{time.monotonic() - started:.0f} s in all")
    print("  targets: " + ", ".join(f"{name} {'met' if ok else 'MISSED'}" for name, ok in met.items()))
    print(f"faults: drip_max_ms={drip_max_ms:.0f} cold_double_fetch={double} memcached_outage_401={outage_401} "
          f"replay_after_restart={replayed} stalled_s={stalled_s:.2f}")
    return 0


if __name__ == "__main__":
    servers.run_script(main)
