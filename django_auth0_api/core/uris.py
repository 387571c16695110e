"""`htu` comparison: RFC 3986 §6.2.2 syntax-based and §6.2.3 scheme-based
normalization, without query and fragment (RFC 9449 §4.3).

- scheme and host are case-insensitive: lower-cased; a host's trailing dot
  (a fully qualified name) is dropped;
- a port equal to the scheme's default (or empty) is dropped;
- percent-encodings are upper-cased, and those of unreserved characters decoded;
- dot segments are removed (RFC 3986 §5.2.4), an empty path becomes `/`;
- non-ASCII characters of the path are percent-encoded as UTF-8 (the IRI to
  URI mapping of RFC 3987 §3.1, as Django does for the request's own URL).

A URL with userinfo, with whitespace or control characters (which
`urlsplit` would silently drop), or that is not http(s) is refused.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from .memo import BoundedMemo

MAX_URL_LENGTH = 4096
_DEFAULT_PORTS = {"http": 80, "https": 443}
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_CONTROLS = re.compile(r"[\x00-\x20\x7f]")
# Every printable ASCII character: `quote` then encodes only non-ASCII ones.
_ASCII_SAFE = "".join(chr(c) for c in range(0x21, 0x7f))

# A server answers a handful of URLs and a client reuses its htu: both sides
# are normalized once per process.
_normalized = BoundedMemo(1024)


def _normalize_escape(match: re.Match[str]) -> str:
    char = chr(int(match.group(1), 16))
    return char if char in _UNRESERVED else "%" + match.group(1).upper()


def _remove_dot_segments(path: str) -> str:
    segments = path.split("/")
    kept: list[str] = []
    for segment in segments:
        if segment == ".":
            continue
        if segment == "..":
            if len(kept) > 1:
                kept.pop()
            continue
        kept.append(segment)
    if segments[-1] in (".", ".."):
        kept.append("")
    return "/".join(kept)


def normalize_htu(url: object) -> str:
    """The comparable form of an http(s) URL; `ValueError` if it is not one."""
    if not isinstance(url, str):
        raise ValueError("not a string")
    known = _normalized.get(url)
    if known is None:
        known = _normalize(url)
        _normalized.put(url, known)
    return known


def _normalize(url: str) -> str:
    if len(url) > MAX_URL_LENGTH or _CONTROLS.search(url):
        raise ValueError("not a URL")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc:
        raise ValueError("not an http(s) URL")
    host = parts.hostname  # already lower-cased, IPv6 without brackets
    # A fully qualified name's trailing dot names the same host (Django accepts
    # `Host: api.example.com.` and builds the request's URL with it).
    if host.endswith(".") and len(host) > 1:
        host = host[:-1]
    if ":" in host:
        host = f"[{host}]"
    port = parts.port  # ValueError when not a number in range
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = parts.path
    if not path.isascii():
        path = quote(path, safe=_ASCII_SAFE)  # UnicodeEncodeError (a ValueError) for lone surrogates
    path = _remove_dot_segments(_PERCENT.sub(_normalize_escape, path)) or "/"
    return f"{scheme}://{netloc}{path}"
