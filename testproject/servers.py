"""Start and stop real servers on loopback: the local tenant, the API under
gunicorn (WSGI) or uvicorn (ASGI), Redis and Memcached. Used by `make demo`, `make load` and the
server tests; every process is started in its own session and its whole
group is stopped, so nothing outlives its owner."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack, contextmanager

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


@contextmanager
def _signals_deferred():
    """Ctrl-C while a child is being spawned would orphan it: hold SIGINT and
    SIGTERM until the child is ours to stop, then deliver them."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {sig: signal.signal(sig, lambda number, frame: caught.append(number))
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for sig in caught[:1]:
            os.kill(os.getpid(), sig)


@contextmanager
def running(argv: list[str], port: int, env: dict | None = None, log=None):
    process = None
    try:
        with _signals_deferred():
            process = subprocess.Popen(
                argv, cwd=ROOT, env={**os.environ, **(env or {})}, start_new_session=True,
                stdout=log or subprocess.DEVNULL, stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
            )
        wait_for_port(port, process)
        yield process
    finally:
        if process is not None:
            stop(process)


def gunicorn(port: int, settings: str, env: dict | None = None, workers: int = 1, threads: int = 1, log=None):
    argv = [os.path.join(BIN, "gunicorn"), "testproject.wsgi", "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers), "--threads", str(threads), "--graceful-timeout", "2",
            "--log-level", "warning"]
    return running(argv, port, {"DJANGO_SETTINGS_MODULE": settings, "PYTHONPATH": ROOT, **(env or {})}, log)


def uvicorn(port: int, settings: str, env: dict | None = None, log=None):
    """`testproject.asgi` under uvicorn (one worker process) on loopback."""
    argv = [os.path.join(BIN, "uvicorn"), "testproject.asgi:application", "--host", "127.0.0.1",
            "--port", str(port), "--lifespan", "off", "--log-level", "warning", "--no-access-log"]
    return running(argv, port, {"DJANGO_SETTINGS_MODULE": settings, "PYTHONPATH": ROOT, **(env or {})}, log)


def redis(port: int, workdir: str):
    return running(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                    "--appendonly", "no", "--dir", workdir], port)


def memcached(port: int):
    return running(["memcached", "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-u", "root"], port)


def run_script(main) -> None:
    """Exit with `main()`'s status. Ctrl-C and SIGTERM unwind through its `with`
    blocks, which stop the servers, and exit with 130."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)


def have(binary: str) -> bool:
    return shutil.which(binary) is not None


@contextmanager
def local_tenant(workdir: str | None = None, audience: str = "https://api.example.com", env: dict | None = None):
    """A `FakeTenant` served by `testproject.tenant` under gunicorn; yields
    (tenant, the environment that points `testproject.settings` at it).
    `env` adds tenant knobs (`FAKE_TENANT_ADMIN`, `FAKE_TENANT_JWKS_DELAY`);
    `served(tenant)` counts the requests it answered."""
    from django_auth0_api.testing import FakeTenant

    port = free_port()
    with ExitStack() as stack:
        workdir = workdir or stack.enter_context(tempfile.TemporaryDirectory())
        tenant = FakeTenant(f"127.0.0.1:{port}", audience, scheme="http")
        tenant_env = tenant.environment(os.path.join(workdir, "tenant-key.pem"))
        tenant.request_log = tenant_env["FAKE_TENANT_REQUEST_LOG"] = os.path.join(workdir, f"tenant-{port}.log")
        stack.enter_context(gunicorn(port, "testproject.tenant_settings", {**tenant_env, **(env or {})}))
        _boot(tenant.issuer + "_tenant/ping")  # Auth0 is always up: its worker has loaded before a test's first fetch
        api_env = {"AUTH0_DOMAIN": tenant.issuer.rstrip("/"), "AUTH0_AUDIENCE": audience,
                   "AUTH0_ALLOW_INSECURE_HTTP": "1", "AUTH0_CLIENT_ID": tenant.client_id,
                   "AUTH0_CLIENT_SECRET": tenant.client_secret}
        yield tenant, api_env


def _boot(url: str) -> None:
    """One request for no endpoint (a 404, not in the request log), so the worker has loaded."""
    import requests

    try:
        requests.get(url, timeout=30)
    except requests.RequestException:
        pass


def served(tenant) -> dict:
    """How many requests of each kind (`discovery`, `jwks`, `token`) the local
    tenant has received so far, across all its workers."""
    try:
        with open(tenant.request_log, encoding="ascii") as handle:
            lines = handle.read().split()
    except FileNotFoundError:
        lines = []
    return {kind: lines.count(kind) for kind in ("discovery", "jwks", "token")}


def rotate(tenant, keep_old: bool = True) -> str:
    """Rotate the local tenant's signing key in this process and in the served
    one (started with `FAKE_TENANT_ADMIN=1`); returns the new kid."""
    import requests
    from cryptography.hazmat.primitives import serialization

    kid = tenant.rotate(keep_old=keep_old)
    pem = tenant.keys[kid].private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()).decode("ascii")
    form = {"kid": kid, "pem": pem, "keep_old": "1" if keep_old else "0"}
    answer = requests.post(tenant.issuer + "_tenant/rotate", data=form, timeout=5)
    answer.raise_for_status()
    return kid
