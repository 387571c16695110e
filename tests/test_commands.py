"""The management commands: `auth0_token_exchange` and `auth0_check` — output and exit status.

Through `call_command` with the fake tenant; a few runs of `manage.py` in a subprocess show the
exit status and that no traceback ever reaches the terminal.
"""

import json
import os
import socket
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from django_auth0_api import get_api_client
from django_auth0_api.core import jws
from django_auth0_api.testing import calls_to

CALENDAR = "https://calendar-api.example.com"
MANAGE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "testproject", "manage.py")
REDACTED = "[redacted; pass --show-token to print it]"


def run(name, *args, stdin=None):
    out, err = StringIO(), StringIO()
    options = {"stdout": out, "stderr": err}
    if stdin is not None:
        options["stdin"] = StringIO(stdin)
    call_command(name, *args, **options)
    return out.getvalue(), err.getvalue()


def exchange(tenant, *args, token=None, stdin=None):
    args = ("--audience", CALENDAR, "--scope", "calendar:read") + args
    if token is not None:
        args = ("--subject-token", token) + args
    return run("auth0_token_exchange", *args, stdin=stdin)


def failing(name, *args, stdin=None) -> CommandError:
    with pytest.raises(CommandError) as caught:
        run(name, *args, stdin=stdin)
    return caught.value


def manage(*args, stdin="", env=None):
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "testproject.settings", **(env or {})}
    return subprocess.run([sys.executable, MANAGE, *args], input=stdin, capture_output=True, text=True,
                          env=environment, timeout=60)


@pytest.fixture
def refusing_port():
    """A loopback port that refuses connections: bound (so nobody else takes it) but not listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


# -- auth0_token_exchange ------------------------------------------------------------------------

def test_exchange_prints_a_readable_summary_without_the_token(auth0_tenant):
    token = auth0_tenant.mint_token("auth0|alice")
    out, _ = exchange(auth0_tenant, token=token)
    lines = out.splitlines()
    assert lines[0] == "Token exchange succeeded."
    assert lines[1] == f"  access_token:      {REDACTED}"
    assert lines[2:4] == ["  token_type:        Bearer",
                          "  issued_token_type: urn:ietf:params:oauth:token-type:access_token"]
    assert lines[4].startswith("  expires_in:        3600 s (at ")
    assert lines[5:] == ["  scope:             calendar:read",
                         "Issued token (claims read without verification):",
                         "  sub:   auth0|alice",
                         f"  aud:   {CALENDAR}",
                         "  scope: calendar:read",
                         "  delegation chain (current actor first): test-client-id"]
    assert token not in out and "eyJ" not in out


def test_exchange_shows_the_whole_delegation_chain(auth0_tenant):
    token = auth0_tenant.mint_token(act={"sub": "agent-7", "act": {"sub": "agent-1"}})
    out, _ = exchange(auth0_tenant, token=token)
    assert out.splitlines()[-1] == "  delegation chain (current actor first): test-client-id <- agent-7 <- agent-1"


def test_exchange_prints_the_token_with_show_token(auth0_tenant):
    out, _ = exchange(auth0_tenant, "--show-token", token=auth0_tenant.mint_token())
    issued = out.splitlines()[1].split()[-1]
    assert jws.decode_segment(jws.split(issued)[1])["aud"] == CALENDAR


def test_exchange_json_output(auth0_tenant):
    out, _ = exchange(auth0_tenant, "--json", token=auth0_tenant.mint_token("auth0|alice"))
    result = json.loads(out)
    assert result == {
        "access_token": REDACTED, "expires_in": 3600, "expires_at": result["expires_at"], "scope": "calendar:read",
        "token_type": "Bearer", "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
        "unverified_claims": {"sub": "auth0|alice", "aud": CALENDAR, "scope": "calendar:read",
                              "delegation_chain": ["test-client-id"]},
    }


def test_exchange_json_with_show_token_carries_the_issued_token(auth0_tenant):
    out, _ = exchange(auth0_tenant, "--json", "--show-token", token=auth0_tenant.mint_token())
    issued = json.loads(out)["access_token"]
    assert jws.decode_segment(jws.split(issued)[1])["act"] == {"sub": "test-client-id"}


@pytest.mark.parametrize("args", [(), ("--subject-token", "-")])
def test_exchange_reads_the_token_from_stdin(auth0_tenant, args):
    token = auth0_tenant.mint_token()
    exchange(auth0_tenant, *args, stdin=token + "\n")
    assert auth0_tenant.requests[-1]["subject_token"] == token


def test_exchange_of_an_opaque_token_says_there_are_no_claims(auth0_tenant):
    auth0_tenant.queue_token_answer(200, {"access_token": "opaque-123", "expires_in": 60})
    out, _ = exchange(auth0_tenant, token=auth0_tenant.mint_token())
    assert out.splitlines()[-1] == "The issued token is not a JWT: no claims to show."


def test_a_refused_exchange_exits_1_with_the_servers_error(auth0_tenant):
    auth0_tenant.queue_token_answer(403, {"error": "unauthorized_client",
                                          "error_description": "Client is not allowed to exchange tokens"})
    error = failing("auth0_token_exchange", "--subject-token", auth0_tenant.mint_token(), "--audience", CALENDAR)
    assert (error.returncode, str(error)) == (
        1, "token exchange failed (HTTP 403): unauthorized_client: Client is not allowed to exchange tokens")


def test_missing_client_credentials_exit_1(auth0_tenant, settings):
    settings.AUTH0_API = auth0_tenant.settings(CLIENT_ID=None)
    error = failing("auth0_token_exchange", "--subject-token", auth0_tenant.mint_token(), "--audience", CALENDAR)
    assert (error.returncode, str(error)) == (
        1, "token exchange is not possible: Client credentials are required for token exchange: configure "
           "client_id and client_secret (CLIENT_ID, CLIENT_SECRET) of a confidential client")


@pytest.mark.parametrize("args, stdin, message", [
    (("--subject-token", "Bearer abc.def.ghi"), None,
     "subject token must be the raw token, without the 'Bearer ' prefix"),
    (("--subject-token", ""), None, "Missing required argument: subject token"),
    ((), "", "Missing required argument: subject token"),
    ((), "two tokens\n", "subject token must be a single token without whitespace"),
    ((), "x" * (64 * 1024 + 1), "the subject token on stdin is too large"),
])
def test_usage_errors_exit_2_without_a_network_call(auth0_tenant, args, stdin, message):
    error = failing("auth0_token_exchange", *args, "--audience", CALENDAR, stdin=stdin)
    assert (error.returncode, str(error)) == (2, message)
    assert len(auth0_tenant.responses.calls) == 0


def test_a_missing_audience_is_a_usage_error(auth0_tenant):
    error = failing("auth0_token_exchange", "--subject-token", "abc")
    assert (error.returncode, str(error)) == (2, "Error: the following arguments are required: --audience")


def test_manage_py_usage_error_exits_2_without_a_traceback():
    shown = manage("auth0_token_exchange", "--audience", CALENDAR, stdin="Bearer abc.def.ghi")
    assert shown.returncode == 2
    assert shown.stderr == "CommandError: subject token must be the raw token, without the 'Bearer ' prefix\n"


def test_manage_py_unreachable_tenant_exits_1_without_a_traceback(refusing_port):
    env = {"AUTH0_DOMAIN": f"http://127.0.0.1:{refusing_port}", "AUTH0_ALLOW_INSECURE_HTTP": "1"}
    shown = manage("auth0_token_exchange", "--audience", CALENDAR, stdin="abc.def.ghi", env=env)
    assert shown.returncode == 1
    discovery = f"http://127.0.0.1:{refusing_port}/.well-known/openid-configuration"
    assert shown.stderr == ("CommandError: token exchange failed (HTTP 502): network_error: The tenant's discovery "
                            f"document is unavailable ({discovery}: connection refused)\n")
    assert "Traceback" not in shown.stderr and "abc.def.ghi" not in shown.stderr


# -- auth0_check ------------------------------------------------------------------------------

def test_check_reports_issuer_endpoints_keys_and_algorithms(auth0_tenant):
    out, err = run("auth0_check")
    issuer = auth0_tenant.issuer
    assert out.splitlines() == [
        "AUTH0_API: audience https://api.example.com https://calendar-api.example.com https://api.example.com/mcp; "
        "algorithms RS256; DPoP allowed",
        f"Issuer {issuer}",
        f"  discovery:      {issuer}.well-known/openid-configuration",
        f"  token_endpoint: {issuer}oauth/token",
        f"  jwks_uri:       {issuer}.well-known/jwks.json",
        "  key key-0: RSA RS256: verifies RS256",
        "Token exchange: client test-client-id, client_secret_basic (credentials not tried: pass --exchange with "
        "an access token on stdin)",
        "All checks passed.",
    ]
    assert err == ""


def test_check_fetches_now_not_from_the_cache(auth0_tenant):
    run("auth0_check")
    run("auth0_check")
    assert sum(1 for c in auth0_tenant.responses.calls if c.request.url == auth0_tenant.discovery_url) == 2


def test_check_lists_every_key_after_a_rotation(auth0_tenant):
    auth0_tenant.rotate()
    out, _ = run("auth0_check")
    assert [line for line in out.splitlines() if line.startswith("  key ")] == [
        "  key key-0: RSA RS256: verifies RS256", "  key key-1: RSA RS256: verifies RS256"]


def check_problem(*args) -> tuple[int, str]:
    err = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("auth0_check", *args, stdout=StringIO(), stderr=err)
    return caught.value.returncode, err.getvalue()


def test_check_exits_1_when_discovery_fails(auth0_tenant):
    auth0_tenant.responses.replace("GET", auth0_tenant.discovery_url, status=500, body="down")
    assert check_problem() == (1, f"problem: discovery {auth0_tenant.discovery_url}: HTTP 500\n")


def test_check_exits_1_when_discovery_names_another_issuer(auth0_tenant):
    document = dict(auth0_tenant.discovery(), issuer="https://evil.example/")
    auth0_tenant.responses.replace("GET", auth0_tenant.discovery_url, json=document)
    assert check_problem() == (
        1, f"problem: {auth0_tenant.issuer}: discovery names another issuer (https://evil.example/)\n")


def test_check_exits_1_when_the_jwks_has_no_keys(auth0_tenant):
    auth0_tenant.responses.replace("GET", auth0_tenant.jwks_url, json={"nothing": []})
    assert check_problem() == (1, f"problem: {auth0_tenant.issuer}: the JWKS has no keys list\n")


def test_check_exits_1_when_no_key_fits_the_algorithms(auth0_tenant, settings):
    settings.AUTH0_API = auth0_tenant.settings(ALGORITHMS=["ES256"])
    assert check_problem() == (
        1, f"problem: {auth0_tenant.issuer}: no key in the JWKS verifies any of ALGORITHMS (ES256)\n")


def test_check_exits_1_when_the_exchange_client_is_misconfigured(auth0_tenant, settings):
    settings.AUTH0_API = auth0_tenant.settings(CLIENT_AUTH_METHOD="private_key_jwt")
    assert check_problem() == (
        1, "problem: token exchange: CLIENT_AUTH_METHOD private_key_jwt needs CLIENT_ASSERTION_KEY\n")


def test_check_exits_1_on_invalid_settings(auth0_tenant, settings):
    settings.AUTH0_API = {"DOMAIN": auth0_tenant.domain}
    error = failing("auth0_check")
    assert (error.returncode, str(error)) == (1, "AUTH0_API is invalid: AUDIENCE is required")


def test_check_with_only_a_domains_resolver_needs_domain_arguments(auth0_tenant, settings):
    settings.AUTH0_API = auth0_tenant.settings(DOMAIN=None, DOMAINS=lambda context: [auth0_tenant.domain],
                                               CLIENT_ID=None)
    error = failing("auth0_check")
    assert (error.returncode, str(error)) == (2, "DOMAINS is a resolver: name the domains to check with --domain")
    out, _ = run("auth0_check", "--domain", auth0_tenant.domain)
    assert out.splitlines()[-2:] == ["Token exchange: off (no CLIENT_ID)", "All checks passed."]


def test_check_reports_an_exchange_client_without_domain(auth0_tenant, settings):
    settings.AUTH0_API = auth0_tenant.settings(DOMAIN=None, DOMAINS=[auth0_tenant.domain])
    error = failing("auth0_check")
    assert (error.returncode, str(error)) == (
        1, "AUTH0_API is invalid: The 'domain' parameter is required when 'client_id' is configured "
           "(DOMAIN with CLIENT_ID)")


def test_manage_py_check_of_an_unreachable_tenant_exits_1_without_a_traceback(refusing_port):
    env = {"AUTH0_DOMAIN": f"http://127.0.0.1:{refusing_port}", "AUTH0_ALLOW_INSECURE_HTTP": "1"}
    shown = manage("auth0_check", env=env)
    assert shown.returncode == 1
    assert shown.stderr == (f"problem: discovery http://127.0.0.1:{refusing_port}/.well-known/openid-configuration: "
                            "connection refused\nCommandError: auth0_check found 1 problem(s)\n")


# -- commands that tell the truth ----------------------------------------------------------------

def test_exchange_asks_the_tenant_even_when_the_exchange_is_cached(auth0_tenant, settings):
    token = auth0_tenant.mint_token("auth0|alice")
    get_api_client().get_token_on_behalf_of(token, audience=CALENDAR, scope="calendar:read")  # now cached
    settings.AUTH0_API = {**settings.AUTH0_API, "CLIENT_SECRET": "a-wrong-secret"}
    error = failing("auth0_token_exchange", "--subject-token", token, "--audience", CALENDAR,
                    "--scope", "calendar:read")
    assert (error.returncode, str(error)) == (
        1, "token exchange failed (HTTP 401): invalid_client: Client authentication failed")


def test_exchange_leaves_nothing_in_the_exchange_cache(auth0_tenant):
    token = auth0_tenant.mint_token()
    exchange(auth0_tenant, token=token)
    exchange(auth0_tenant, token=token)
    assert calls_to(auth0_tenant.responses, auth0_tenant.token_url) == 2


def test_check_tries_the_client_credentials_with_exchange(auth0_tenant):
    out, _ = run("auth0_check", "--exchange", stdin=auth0_tenant.mint_token() + "\n")
    assert out.splitlines()[-2:] == [
        "Token exchange: client test-client-id, client_secret_basic: tried an On-Behalf-Of exchange for "
        "https://api.example.com: issued a token (expires in 3600 s)", "All checks passed."]
    assert auth0_tenant.requests[-1]["audience"] == "https://api.example.com"


def test_check_reports_refused_client_credentials(auth0_tenant, settings):
    settings.AUTH0_API = {**settings.AUTH0_API, "CLIENT_SECRET": "a-wrong-secret"}
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("auth0_check", "--exchange", "--audience", CALENDAR, stdout=StringIO(), stderr=err,
                     stdin=StringIO(auth0_tenant.mint_token()))
    assert err.getvalue() == (f"problem: token exchange: tried an On-Behalf-Of exchange for {CALENDAR}: refused "
                              "(HTTP 401): invalid_client: Client authentication failed\n")


def test_check_exchange_without_a_token_is_a_usage_error(auth0_tenant):
    error = failing("auth0_check", "--exchange", stdin="")
    assert (error.returncode, str(error)) == (2, "Missing required argument: access token")


@pytest.fixture
def silent_port():
    """A loopback port that accepts connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


@pytest.fixture
def plain_http_port(local_server):
    """A loopback port speaking plain HTTP, where TLS is expected."""
    from http.server import BaseHTTPRequestHandler

    class Plain(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    return local_server(Plain)


@pytest.mark.parametrize("where, cause", [
    ("refused", "connection refused"), ("dns", "DNS lookup failed"), ("tls", "TLS failed"), ("silent", "timed out")])
def test_manage_py_check_names_the_url_and_the_cause_in_one_line(request, where, cause):
    if where == "refused":
        domain = f"http://127.0.0.1:{request.getfixturevalue('refusing_port')}"
    elif where == "dns":
        domain = "https://no-such-tenant.invalid"
    elif where == "tls":
        domain = f"https://127.0.0.1:{request.getfixturevalue('plain_http_port')}"
    else:
        domain = f"http://127.0.0.1:{request.getfixturevalue('silent_port')}"
    env = {"AUTH0_DOMAIN": domain, "AUTH0_ALLOW_INSECURE_HTTP": "1", "AUTH0_HTTP_TIMEOUT": "0.5"}
    shown = manage("auth0_check", env=env)
    assert (shown.returncode, shown.stderr) == (
        1, f"problem: discovery {domain}/.well-known/openid-configuration: {cause}\n"
           "CommandError: auth0_check found 1 problem(s)\n")


# -- auth0_check: certificate-bound and encrypted tokens ------------------------------------------------------

def test_check_decrypts_with_each_decryption_key(settings, auth0_tenant):
    keys = {kid: auth0_tenant.encryption_key(kid) for kid in ("enc-0", "enc-1")}
    settings.AUTH0_API = auth0_tenant.settings(DECRYPTION_KEYS=keys, MTLS_CLIENT_CERT_HEADER="X-Client-Cert")
    out, _ = run("auth0_check")
    assert out.splitlines()[-6:] == [
        "Token exchange: client test-client-id, client_secret_basic (credentials not tried: pass --exchange with "
        "an access token on stdin)",
        "Certificate-bound tokens: checked when bound, certificate from the X-Client-Cert header",
        "Encrypted tokens: accepted, plain JWS too; RSA-OAEP-256 with A256GCM",
        "  key enc-0: RSA 2048: decrypts", "  key enc-1: RSA 2048: decrypts", "All checks passed."]


def test_check_reports_a_decryption_key_that_does_not_load(settings, auth0_tenant):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    settings.AUTH0_API = auth0_tenant.settings(DECRYPTION_KEYS={"enc-0": auth0_tenant.encryption_key("enc-0"),
                                                                "bad": ec_pem})
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("auth0_check", stdout=out, stderr=err)
    assert caught.value.returncode == 1
    assert out.getvalue().splitlines()[-2:] == ["  key enc-0: RSA 2048: decrypts", "  key bad: does not load"]
    assert err.getvalue() == "problem: DECRYPTION_KEYS['bad'] must be an RSA private key of 2048 bits or more\n"
    assert "PRIVATE KEY" not in out.getvalue() + err.getvalue()
