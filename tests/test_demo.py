"""`make demo` end to end: the local tenant and the API under gunicorn, for real."""

import os
import re
import signal
import socket
import subprocess
import sys

import pytest

from testproject import servers

pytestmark = pytest.mark.servers

DEMO = os.path.join(servers.ROOT, "testproject", "demo.py")


@pytest.fixture(scope="module")
def demo_output():
    result = subprocess.run([sys.executable, DEMO], capture_output=True, text=True, timeout=180,
                            env={**os.environ, "PYTHONPATH": servers.ROOT})
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def step(output: str, title: str) -> str:
    """The lines the demo printed for one step."""
    match = re.search(rf"^== {re.escape(title)}.*?(?=^== |\Z)", output, re.M | re.S)
    assert match, f"no step {title!r} in:\n{output}"
    return match.group(0)


def test_bearer_call_succeeds(demo_output):
    assert "GET /api/me -> 200" in step(demo_output, "Bearer token")


def test_dpop_call_succeeds(demo_output):
    assert '"scheme":"DPoP"' in step(demo_output, "DPoP-bound token with its proof")


def test_replayed_proof_is_refused(demo_output):
    assert 'error="invalid_dpop_proof"' in step(demo_output, "the same proof replayed")


def test_bound_token_as_bearer_is_refused(demo_output):
    assert 'Bearer realm="api", error="invalid_token"' in step(demo_output, "bound token sent as Bearer")


def test_missing_scope_is_forbidden(demo_output):
    assert "GET /api/messages -> 403" in step(demo_output, "token without read:messages")


def test_exchange_command_redacts_the_token(demo_output):
    assert "redacted" in step(demo_output, "On-Behalf-Of exchange")


def test_downstream_call_reports_the_actor(demo_output):
    assert '"actor":"test-client-id"' in step(demo_output, "downstream call")


def test_view_exchanges_on_behalf_of_the_user(demo_output):
    assert '"actor":"test-client-id"' in step(demo_output, "the same inside a view")


def test_demo_stops_its_servers(demo_output):
    assert demo_output.rstrip().endswith("demo finished; servers stopped")


def test_ctrl_c_leaves_no_server_behind():
    demo = subprocess.Popen([sys.executable, DEMO], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": servers.ROOT})
    first = demo.stdout.readline()  # printed once both servers listen
    ports = [int(port) for port in re.findall(r"127\.0\.0\.1:(\d+)", first)]
    demo.send_signal(signal.SIGINT)
    demo.communicate(timeout=30)
    assert (len(ports), [listening(port) for port in ports]) == (2, [False, False])


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def test_mcp_metadata_names_the_tenant(demo_output):
    assert '"resource_name": "django-auth0-api demo MCP server"' in step(demo_output, "RFC 9728 metadata")


def test_mcp_client_is_refused_a_scope_then_calls_the_tool(demo_output):
    shown = step(demo_output, "the MCP SDK client")
    assert 'error="insufficient_scope"' in shown
    assert 'tool calendar_events -> {"downstream_status": 200' in shown
