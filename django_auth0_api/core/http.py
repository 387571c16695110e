"""Outbound HTTP: one `requests.Session` per process, bounded calls.

`request(..., timeout)` ends within `timeout` seconds, whatever the server
does: each connect waits at most what is left of the call, and each read of
the status line, the headers and the body too (a socket timeout alone restarts
at every byte, so a server that drips one byte a second would hold the call for
as long as it drips). urllib3 retries a failed connection once (the request
never left, so even a POST is safe to resend) inside that same budget, and
never retries an HTTP answer. Not bounded: the name lookup, and a TLS
handshake that the server drips (the connect timeout applies per read there).
"""

from __future__ import annotations

import http.client
import io
import json
import os
import socket
import ssl
import threading
import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn

import requests
from requests.adapters import DEFAULT_POOLBLOCK, HTTPAdapter
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool
from urllib3 import exceptions as urllib3_exceptions
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import ConnectTimeoutError, ReadTimeoutError
from urllib3.util.retry import Retry

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

MAX_BODY = 1024 * 1024

_lock = threading.Lock()
_sessions: dict[int, requests.Session] = {}
# The deadline (time.monotonic()) of the call this thread is making, if any.
_call = threading.local()


def _deadline() -> float | None:
    return getattr(_call, "deadline", None)


class _DeadlineReader(io.RawIOBase):
    """The socket's reads, each waiting at most until the call's deadline."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        super().__init__()
        self._sock = sock
        # The socket's own file, so that it stays open while the response is
        # read even if the connection lets go of it (`Connection: close`).
        self._raw = sock.makefile("rb", buffering=0)
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int | None:
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("timed out")
        self._sock.settimeout(remaining)
        return self._raw.readinto(buffer)

    def fileno(self) -> int:
        return self._raw.fileno()

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


class _DeadlineSocket:
    """What `http.client.HTTPResponse` reads from: the socket, through `_DeadlineReader`."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self._sock, self._deadline = sock, deadline

    def makefile(self, mode: str = "rb", *args: object, **kwargs: object) -> io.BufferedReader:
        return io.BufferedReader(_DeadlineReader(self._sock, self._deadline))


class _DeadlineResponse(http.client.HTTPResponse):
    def __init__(self, sock: socket.socket, debuglevel: int = 0, method: str | None = None,
                 url: str | None = None) -> None:
        deadline = _deadline()
        # http.client reads the socket through `makefile("rb")` alone: a `_DeadlineSocket` serves it.
        reader = sock if deadline is None else _DeadlineSocket(sock, deadline)
        super().__init__(reader, debuglevel, method, url)  # type: ignore[arg-type]


class _DeadlineConnectionMixin(HTTPConnection):
    response_class = _DeadlineResponse

    def _new_conn(self) -> socket.socket:
        deadline = _deadline()
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ConnectTimeoutError(self, "no time left to connect")
            if not isinstance(self.timeout, (int, float)) or self.timeout > remaining:
                self.timeout = remaining
        return super()._new_conn()


class _HTTPConnection(_DeadlineConnectionMixin, HTTPConnection):
    pass


class _HTTPSConnection(_DeadlineConnectionMixin, HTTPSConnection):
    pass


class _HTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class _DeadlineAdapter(HTTPAdapter):
    def init_poolmanager(self, connections: int, maxsize: int, block: bool = DEFAULT_POOLBLOCK,
                         **pool_kwargs: Any) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPConnectionPool, "https": _HTTPSConnectionPool}


class FetchError(Exception):
    """A fetch failed; `reason` is a short phrase fit for logs. A connection
    that failed also says where (`url`) and why in a word a person can act on
    (`cause`: connection refused, DNS lookup failed, TLS failed, timed out)."""

    def __init__(self, reason: str, status: int | None = None, *, timed_out: bool = False,
                 url: str | None = None, cause: str | None = None) -> None:
        self.reason = reason
        self.status = status
        self.timed_out = timed_out
        self.url = url
        self.cause = cause
        super().__init__(reason)

    def explain(self) -> str:
        """`<url>: <cause>`, for the management commands' one line per problem."""
        return f"{self.url}: {self.cause or self.reason}" if self.url else self.cause or self.reason


def get_session() -> requests.Session:
    # Keyed by pid: a session created before a fork must not share its
    # pooled sockets with the children.
    pid = os.getpid()
    session = _sessions.get(pid)
    if session is None:
        with _lock:
            session = _sessions.get(pid)
            if session is None:
                session = requests.Session()
                retry = Retry(total=None, connect=1, read=0, redirect=0, status=0, other=0, allowed_methods=None)
                adapter = _DeadlineAdapter(max_retries=retry, pool_maxsize=16)
                session.mount("https://", adapter)
                session.mount("http://", adapter)
                _sessions.clear()
                _sessions[pid] = session
    return session


def read_bounded(response: requests.Response, deadline: float) -> bytes:
    """The body, refused past `MAX_BODY` bytes or past the deadline."""
    declared = response.headers.get("Content-Length", "")
    # isascii: "²".isdigit() is true; the length cap: int() refuses > 4300 digits.
    if declared.isascii() and declared.isdigit() and (len(declared) > 12 or int(declared) > MAX_BODY):
        raise FetchError("response too large")
    chunks, size = [], 0
    for chunk in _chunks(response):
        size += len(chunk)
        if size > MAX_BODY:
            raise FetchError("response too large")
        if time.monotonic() > deadline:
            raise FetchError("timed out", timed_out=True)
        chunks.append(chunk)
    return b"".join(chunks)


def _chunks(response: requests.Response) -> Iterator[bytes]:
    # `iter_content` fills each chunk before yielding it, so a server that
    # drips a byte now and then never reaches the deadline check; `read1`
    # returns after one socket read (urllib3 >= 2.3).
    read1 = getattr(response.raw, "read1", None)
    if read1 is None:
        yield from response.iter_content(64 * 1024)
        return
    try:
        while True:
            chunk = read1(64 * 1024, decode_content=True)
            if not chunk:
                return
            yield chunk
    except ReadTimeoutError:
        raise FetchError("timed out", timed_out=True) from None
    except (urllib3_exceptions.HTTPError, OSError):
        raise FetchError("connection failed") from None


def parse_json(body: bytes) -> Any:
    try:
        return json.loads(body, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise FetchError("response is not JSON") from None


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


class Reply(NamedTuple):
    status: int
    headers: Mapping[str, str]
    body: bytes


def request(method: str, url: str, timeout: float, **kwargs: Any) -> Reply:
    """Send and read a whole bounded response within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    response = None
    _call.deadline = deadline
    try:
        response = get_session().request(
            method, url, timeout=(timeout, timeout), stream=True, allow_redirects=False, **kwargs
        )
        return Reply(response.status_code, response.headers, read_bounded(response, deadline))
    except requests.RequestException as exc:
        raise _as_fetch_error(exc, url) from None
    except FetchError as exc:
        exc.url = exc.url or url
        raise
    finally:
        _call.deadline = None
        if response is not None:
            response.close()


def _cause(exc: BaseException, timed_out: bool) -> str:
    """What went wrong with a connection, in words: the exception chain of
    requests and urllib3 holds the socket's own error."""
    found: list[BaseException] = []
    todo: list[object] = [exc]
    while todo and len(found) < 20:
        item = todo.pop()
        if not isinstance(item, BaseException) or any(item is seen for seen in found):
            continue
        found.append(item)
        todo += [item.__cause__, item.__context__, getattr(item, "reason", None), *item.args[:1]]
    name_resolution = getattr(urllib3_exceptions, "NameResolutionError", socket.gaierror)
    if any(isinstance(item, (socket.gaierror, name_resolution)) for item in found):
        return "DNS lookup failed"
    if any(isinstance(item, ConnectionRefusedError) for item in found):
        return "connection refused"
    if any(isinstance(item, (ssl.SSLError, urllib3_exceptions.SSLError, requests.exceptions.SSLError))
           for item in found):
        return "TLS failed"
    return "timed out" if timed_out else "connection failed"


def _as_fetch_error(exc: requests.RequestException, url: str | None = None) -> FetchError:
    # A read timeout while streaming surfaces as a ConnectionError that
    # wraps urllib3's ReadTimeoutError; one while waiting for the headers as
    # a ConnectionError wrapping a MaxRetryError (read=0) whose reason it is.
    cause = exc.args[0] if exc.args else None
    cause = getattr(cause, "reason", cause)
    # (urllib3's NewConnectionError, a refused connection, subclasses its TimeoutError.)
    timed_out = isinstance(exc, requests.Timeout) or (
        isinstance(cause, urllib3_exceptions.TimeoutError)
        and not isinstance(cause, urllib3_exceptions.NewConnectionError)
    )
    return FetchError("timed out" if timed_out else "connection failed", timed_out=timed_out, url=url,
                      cause=_cause(exc, timed_out))


def get_json(url: str, timeout: float) -> tuple[Any, Mapping[str, str]]:
    """GET a JSON document; anything but a 200 with JSON is a `FetchError`."""
    reply = request("GET", url, timeout, headers={"Accept": "application/json"})
    if reply.status != 200:
        raise FetchError(f"HTTP {reply.status}", reply.status, url=url)
    try:
        return parse_json(reply.body), reply.headers
    except FetchError as exc:
        exc.url = url
        raise
