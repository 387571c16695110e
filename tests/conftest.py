"""Shared fixtures: the fake tenant comes from the package's own pytest plugin."""

# -- verifier-core helpers (tests/test_access_tokens.py, test_keys.py, ...) ----------------------

import base64 as _base64
import json as _json
import tempfile

import pytest
from cryptography.hazmat.primitives import hashes as _hashes
from cryptography.hazmat.primitives.asymmetric import padding as _padding

BARE_CHALLENGE = 'Bearer realm="api", DPoP algs="ES256"'


def b64url(data: bytes) -> str:
    return _base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def segment(part) -> str:
    """A JWS segment from raw bytes, or from anything JSON-serializable."""
    raw = part if isinstance(part, bytes) else _json.dumps(part, separators=(",", ":")).encode("utf-8")
    return b64url(raw)


def sign_rs256(header, payload, private_key) -> str:
    """A compact RS256 JWS made with `cryptography` alone (not the package's
    signer), so a token can carry any header or payload bytes (NaN, arrays...)."""
    signing_input = f"{segment(header)}.{segment(payload)}".encode("ascii")
    signature = private_key.sign(signing_input, _padding.PKCS1v15(), _hashes.SHA256())
    return f"{signing_input.decode('ascii')}.{b64url(signature)}"


def bearer(token: str) -> dict:
    """Django test-client kwargs for `Authorization: Bearer <token>`."""
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def tenant_claims(tenant, **overrides) -> dict:
    """A valid access-token payload for `tenant`, with overrides."""
    import time as _time

    now = int(_time.time())
    claims = {"iss": tenant.issuer, "sub": "auth0|user-1", "aud": tenant.audience, "iat": now, "exp": now + 3600}
    claims.update(overrides)
    return claims


@pytest.fixture
def api_client(auth0_tenant):
    """The process's `ApiClient` for the fake tenant's settings."""
    from django_auth0_api.conf import get_api_client

    return get_api_client()


@pytest.fixture
def no_middleware(settings):
    """The test project without `Auth0Middleware`: DRF and decorators alone."""
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != "django_auth0_api.middleware.Auth0Middleware"]
    return settings


@pytest.fixture
def local_server():
    """`start(handler_class) -> port`: a real HTTP server on 127.0.0.1, in a thread."""
    import threading
    from http.server import ThreadingHTTPServer

    servers = []

    def start(handler_class) -> int:
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return server.server_address[1]

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


# -- real servers, started once per session for the tests that are about them ---------------------
@pytest.fixture(scope="session")
def redis_port():
    from testproject import servers

    if not servers.have("redis-server"):
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = servers.free_port()
    with tempfile.TemporaryDirectory() as workdir, servers.redis(port, workdir):
        yield port


@pytest.fixture(scope="session")
def memcached_port():
    from testproject import servers

    if not servers.have("memcached"):
        pytest.skip("memcached is not installed (apt-get install memcached)")
    port = servers.free_port()
    with servers.memcached(port):
        yield port
