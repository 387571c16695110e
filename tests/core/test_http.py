"""django_auth0_api.core.http: one session per process, bounded reads, every failure a FetchError."""

import gzip
import json
import time
from http.server import BaseHTTPRequestHandler

import pytest
import requests
import responses

from django_auth0_api.core import http

URL = "https://tenant.example.auth0.com/.well-known/jwks.json"


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def fetch_error(url=URL, timeout=5) -> http.FetchError:
    with pytest.raises(http.FetchError) as caught:
        http.get_json(url, timeout)
    return caught.value


class Handler(BaseHTTPRequestHandler):
    """Quiet, and tolerant of a client that hung up."""

    def log_message(self, *args):
        pass

    def answer(self, status, headers, body=b""):
        try:
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass


# -- with the requests layer mocked ----------------------------------------------------------------

def test_get_json_returns_the_document_and_headers(rsps):
    rsps.add("GET", URL, json={"keys": []}, headers={"Cache-Control": "max-age=60"})
    document, headers = http.get_json(URL, 5)
    assert (document, headers["Cache-Control"]) == ({"keys": []}, "max-age=60")


def test_get_json_asks_for_json(rsps):
    rsps.add("GET", URL, json={})
    http.get_json(URL, 5)
    assert rsps.calls[0].request.headers["Accept"] == "application/json"


@pytest.mark.parametrize("status", [201, 202, 301, 404, 500, 503])
def test_anything_but_200_is_a_fetch_error_with_the_status(rsps, status):
    rsps.add("GET", URL, json={"keys": []}, status=status)
    error = fetch_error()
    assert (error.reason, error.status, error.timed_out) == (f"HTTP {status}", status, False)


def test_redirects_are_not_followed(rsps):
    rsps.add("GET", URL, status=302, headers={"Location": "https://attacker.example.com/keys"})
    rsps.add("GET", "https://attacker.example.com/keys", json={"keys": []})
    assert fetch_error().reason == "HTTP 302"
    assert len(rsps.calls) == 1


@pytest.mark.parametrize("body", [b"<html>", b"", b'{"keys": NaN}', b"[" * 100_000 + b"]" * 100_000, b"\xff\xfe"])
def test_a_body_that_is_not_json_is_a_fetch_error(rsps, body):
    rsps.add("GET", URL, body=body)
    assert fetch_error().reason == "response is not JSON"


def test_a_body_over_1_mib_is_refused(rsps):
    rsps.add("GET", URL, body=b" " * (http.MAX_BODY + 1))
    assert fetch_error().reason == "response too large"


def test_a_body_of_1_mib_is_read(rsps):
    rsps.add("GET", URL, body=b"{}" + b" " * (http.MAX_BODY - 2))
    assert http.get_json(URL, 5)[0] == {}


def test_a_connection_failure_is_a_fetch_error(rsps):
    rsps.add("GET", URL, body=requests.ConnectionError("refused: secret detail"))
    error = fetch_error()
    assert (error.reason, error.timed_out, str(error)) == ("connection failed", False, "connection failed")


@pytest.mark.parametrize("exc", [requests.ReadTimeout("slow"), requests.ConnectTimeout("slow")])
def test_a_timeout_is_a_fetch_error_marked_timed_out(rsps, exc):
    rsps.add("GET", URL, body=exc)
    error = fetch_error()
    assert (error.reason, error.timed_out) == ("timed out", True)


def test_one_session_per_process():
    assert http.get_session() is http.get_session()


# -- against real servers on the loopback ---------------------------------------------------------------------

def test_a_server_that_does_not_answer_times_out_within_the_timeout(local_server):
    class Sleepy(Handler):
        def do_GET(self):
            time.sleep(3)
            self.answer(200, [("Content-Type", "application/json")], b"{}")

    port = local_server(Sleepy)
    started = time.monotonic()
    error = fetch_error(f"http://127.0.0.1:{port}/", timeout=0.5)
    assert (error.timed_out, time.monotonic() - started < 1.25) == (True, True)  # the server answers after 3 s


def test_a_server_that_drips_its_body_times_out_within_the_timeout(local_server):
    class Drip(Handler):
        def do_GET(self):
            self.answer(200, [("Content-Type", "application/json"), ("Content-Length", "200")])
            for _ in range(200):
                try:
                    self.wfile.write(b" ")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(0.1)

    port = local_server(Drip)
    started = time.monotonic()
    error = fetch_error(f"http://127.0.0.1:{port}/", timeout=0.5)
    assert (error.reason, time.monotonic() - started < 1.25) == ("timed out", True)  # the drip lasts 20 s


def test_a_body_without_content_length_over_1_mib_is_refused(local_server):
    class Flood(Handler):
        protocol_version = "HTTP/1.0"  # the body ends when the connection closes

        def do_GET(self):
            self.answer(200, [("Content-Type", "application/json")], b" " * (3 * http.MAX_BODY))

    assert fetch_error(f"http://127.0.0.1:{local_server(Flood)}/").reason == "response too large"


@pytest.mark.parametrize("declared, outcome", [
    ("\u00b2", {}),                          # "²".isdigit() is true, int() refuses it: read to the end
    ("9" * 5000, "response too large"),      # int() refuses more than 4300 digits
    ("99999999999999999999", "response too large"),
])
def test_an_absurd_content_length_never_escapes_as_another_exception(local_server, declared, outcome):
    class Liar(Handler):
        def do_GET(self):
            self.answer(200, [("Content-Type", "application/json"), ("Content-Length", declared)], b"{}")

    try:
        result = http.get_json(f"http://127.0.0.1:{local_server(Liar)}/", 1)[0]
    except http.FetchError as error:
        result = error.reason
    assert result == outcome


def test_a_gzip_body_is_decoded(local_server):
    body = gzip.compress(json.dumps({"keys": ["k" * 5000]}).encode())

    class Gzip(Handler):
        def do_GET(self):
            self.answer(200, [("Content-Encoding", "gzip"), ("Content-Length", str(len(body)))], body)

    assert http.get_json(f"http://127.0.0.1:{local_server(Gzip)}/", 5)[0] == {"keys": ["k" * 5000]}


def test_a_gzip_bomb_is_refused_by_its_decoded_size(local_server):
    body = gzip.compress(b" " * (8 * http.MAX_BODY))

    class Bomb(Handler):
        def do_GET(self):
            self.answer(200, [("Content-Encoding", "gzip"), ("Content-Length", str(len(body)))], body)

    assert fetch_error(f"http://127.0.0.1:{local_server(Bomb)}/").reason == "response too large"


def test_a_closed_port_is_a_connection_failure(local_server):
    class Nothing(Handler):
        pass

    port = local_server(Nothing)
    import socket

    with socket.socket() as probe:  # find a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    assert (port != free, fetch_error(f"http://127.0.0.1:{free}/", timeout=1).reason) == (True, "connection failed")


class DripHeaders(Handler):
    """The status line and headers one byte every 0.2 s (about 20 s in all)."""

    def _drip(self):
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + b"X-Pad: " + b"p" * 60 + b"\r\n\r\n{}"
        for index in range(len(head)):
            try:
                self.wfile.write(head[index:index + 1])
                self.wfile.flush()
            except OSError:
                return
            time.sleep(0.2)

    def do_GET(self):
        self._drip()

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._drip()


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_server_that_drips_its_headers_times_out_within_the_timeout(local_server, method):
    port = local_server(DripHeaders)
    started = time.monotonic()
    with pytest.raises(http.FetchError) as caught:
        http.request(method, f"http://127.0.0.1:{port}/", 0.5, data={"grant_type": "x"} if method == "POST" else None)
    # Each byte comes well within the 0.5 s; only a deadline on the whole call ends it.
    assert (caught.value.timed_out, time.monotonic() - started < 0.75) == (True, True)


def test_a_connection_that_is_never_accepted_times_out_within_the_timeout_retry_included():
    import socket

    # A listening socket whose backlog is full and that never accepts: the kernel drops the
    # SYNs, so every connect (the first and urllib3's one retry) waits for its timeout.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = []
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            fillers.append(filler)
        time.sleep(0.1)
        started = time.monotonic()
        try:
            error = fetch_error(f"http://127.0.0.1:{port}/", timeout=0.5)
        finally:
            for filler in fillers:
                filler.close()
    assert (error.timed_out, time.monotonic() - started < 0.75) == (True, True)
