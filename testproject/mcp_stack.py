"""The MCP end to end on loopback: the local tenant (an authorization server with
dynamic registration), the testproject under gunicorn with its `/mcp` endpoint
as the protected resource, and the SDK client (`testproject/mcp_client.py`) run
from its own venv. Used by `make demo` and tests/test_mcp_end_to_end.py."""

from __future__ import annotations

import json
import os
import subprocess
from contextlib import contextmanager

from testproject import servers

CALENDAR_AUDIENCE = "https://calendar-api.example.com"
CLIENT_VENV = os.environ.get("MCP_CLIENT_VENV", os.path.join(servers.ROOT, ".venv-mcp-client"))
CLIENT_SCRIPT = os.path.join(servers.ROOT, "testproject", "mcp_client.py")


def client_python() -> str:
    return os.path.join(CLIENT_VENV, "bin", "python")


@contextmanager
def mcp_servers(workdir: str):
    """Yields (tenant, the MCP server URL). The API has threads to spare: a tool
    calls the calendar API, which is this very project."""
    with servers.local_tenant(workdir) as (tenant, env):
        port = servers.free_port()
        api = f"http://127.0.0.1:{port}"
        resource = f"{api}/mcp"
        env = {**env, "AUTH0_AUDIENCE": f"{resource} {CALENDAR_AUDIENCE}", "AUTH0_RESOURCE": resource,
               "DOWNSTREAM_API_URL": api}
        with servers.gunicorn(port, "testproject.settings", env, workers=1, threads=4):
            yield tenant, resource


def run_client(server_url: str, timeout: float = 120) -> tuple[int, list[dict], str]:
    """(exit status, the client's events, its stderr)."""
    done = subprocess.run([client_python(), CLIENT_SCRIPT, server_url], capture_output=True, text=True,
                          timeout=timeout, cwd=servers.ROOT, env={**os.environ, "PYTHONPATH": ""})
    events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return done.returncode, events, done.stderr
