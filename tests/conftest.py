"""Shared fixtures (the fake tenant itself comes from the package's own pytest plugin);
shared helpers live in tests/helpers.py."""

import tempfile

import pytest

pytest_plugins = ["pytester"]  # tests/testing runs a project's own suite in its own pytest


@pytest.fixture(autouse=True)
def suite_policy(settings):
    """`auth0_tenant` keeps the project's AUTH0_API, and testproject's is an MCP server's (RESOURCE, for
    its /mcp endpoint); this suite's tests are written for a plain API and set RESOURCE where they are
    about it. Autouse fixtures come first, so the tenant swaps itself into this policy."""
    settings.AUTH0_API = {key: value for key, value in settings.AUTH0_API.items()
                          if key not in ("RESOURCE", "RESOURCE_METADATA")}


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
