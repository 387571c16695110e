"""Reading credentials out of request headers (RFC 6750 §2.1, RFC 9449 §7.1),
and the client certificate a TLS-terminating proxy forwards (RFC 8705 §3)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple, TypeAlias

from ..errors import (
    InvalidAuthSchemeError,
    InvalidDpopProofError,
    InvalidRequestError,
    MissingAuthorizationError,
)
from .challenges import offered_schemes
from .memo import BoundedMemo

if TYPE_CHECKING:
    from ..options import ApiClientOptions

# Request headers: a mapping of names to a value (or several), or a list of (name, value) pairs.
Headers: TypeAlias = Mapping[str, str | Sequence[str]] | Sequence[tuple[str, str]]

_SCHEMES = {"bearer": "Bearer", "dpop": "DPoP"}


class Credentials(NamedTuple):
    scheme: str
    token: str
    proofs: tuple[str, ...] = ()
    # The raw value of the `MTLS_CLIENT_CERT_HEADER` header; None when that
    # setting is unset (no header is trusted then) or the header is absent.
    certificate: str | None = None

    def __repr__(self) -> str:  # never the token or the proof
        return f"Credentials(scheme={self.scheme!r})"


def header_values(headers: Headers | None, name: str) -> list[str]:
    """Every value of header `name` (case-insensitive) in a mapping or a list
    of pairs; a server that joined repeated headers left commas behind."""
    return _collect(headers, (name,))[name]


_NOT_HEADERS = "Headers must be a mapping or a list of (name, value) pairs"


def _items(headers: object) -> Iterable[object]:
    """The (name, value) pairs of a mapping or a list of pairs; anything else is
    a malformed request, never a TypeError out of the verification."""
    if headers is None:
        return ()
    if hasattr(headers, "items"):
        try:
            return headers.items()
        except TypeError:
            raise InvalidRequestError(_NOT_HEADERS) from None
    if isinstance(headers, (list, tuple)):
        return headers
    raise InvalidRequestError(_NOT_HEADERS)


def _collect(headers: object, names: tuple[str, ...]) -> dict[str, list[str]]:
    # One pass over the headers for every name wanted: this runs per request.
    found: dict[str, list[str]] = {}
    for name in names:  # (a loop: a comprehension is a call of its own before Python 3.12)
        found[name] = []
    for pair in headers.items() if type(headers) is dict else _items(headers):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise InvalidRequestError(_NOT_HEADERS)
        key, value = pair
        values = found.get(key.lower()) if isinstance(key, str) else None
        if values is None:
            continue
        for one in value if isinstance(value, (list, tuple)) else (value,):
            if not isinstance(one, str):
                raise InvalidRequestError("Header values must be strings")
            values.extend(split_header(one))
    return found


def split_header(value: str | None) -> list[str]:
    """One header's values: a server that joined repeated headers left commas
    behind (a token or a proof never holds one)."""
    if value is None:
        return []
    if "," not in value:  # one value, nearly always: a search is cheaper than a split
        return [value.strip()]
    return [part.strip() for part in value.split(",")]


def read_credentials(headers: Headers | None, options: ApiClientOptions) -> Credentials:
    """The credentials in `headers`, a mapping or a list of pairs."""
    certificate_header = options.mtls_client_cert_header
    if not certificate_header:
        found = _collect(headers, ("authorization", "dpop"))
        return parse_credentials(found["authorization"], found["dpop"], options)
    found = _collect(headers, ("authorization", "dpop", certificate_header.lower()))
    return parse_credentials(found["authorization"], found["dpop"], options, found[certificate_header.lower()])


def parse_header_values(authorization: str | None, dpop: str | None, options: ApiClientOptions,
                        certificate: str | None = None) -> Credentials:
    """`parse_credentials` of one value (or None) per header, as a WSGI or ASGI
    server hands them over. The request of nearly every call (a Bearer token
    sent before, no proof, no certificate) is answered from the memo of
    Authorization values without splitting anything."""
    if dpop is None and certificate is None:
        bare: Credentials | None = _AUTHORIZATIONS.get(authorization)
        if bare is not None and bare.scheme == "Bearer":
            if options.dpop_enabled and options.dpop_required:  # Bearer is not among `offered_schemes`
                raise InvalidAuthSchemeError()
            return bare
    return parse_credentials(split_header(authorization), split_header(dpop), options, split_header(certificate))


def parse_credentials(authorization: list[str], dpop: list[str], options: ApiClientOptions,
                      certificates: Sequence[str] = ()) -> Credentials:
    """The credentials in the values of the Authorization and DPoP headers,
    and of the certificate header (read only when it is configured)."""
    if not authorization or (len(authorization) == 1 and not authorization[0]):
        raise MissingAuthorizationError()
    if len(authorization) > 1:
        raise InvalidRequestError("Several Authorization header values")
    bare: Credentials | None = _AUTHORIZATIONS.get(authorization[0])
    if bare is None:
        bare = _read_authorization(authorization[0], options)
    elif bare.scheme not in offered_schemes(options):
        raise InvalidAuthSchemeError()
    scheme = bare.scheme
    proofs = tuple(dpop) if dpop and options.dpop_enabled else ()
    if scheme == "DPoP":
        if not proofs or proofs == ("",):
            raise InvalidRequestError("DPoP scheme without a DPoP proof header", scheme=scheme)
        if len(proofs) > 1:
            raise InvalidDpopProofError("Multiple DPoP proofs", scheme=scheme)
    # A proxy that overwrites the header sends one value: several cannot be told apart.
    certificate = certificates[0] if len(certificates) == 1 and certificates[0] else None
    if proofs or certificate is not None:
        return Credentials(scheme, bare.token, proofs, certificate)  # (`_replace` is several times dearer)
    return bare


# Clients reuse their tokens: the same Authorization value comes back request
# after request, and is split once. Only well-formed values are kept (a scheme
# of ours, one token), and none over 4 KiB (an Auth0 access token is 1-2 KiB),
# so the memo holds some 8 MiB at most whatever it is sent. It is the process's:
# what it holds depends on the value alone, the scheme is checked against each
# API's options on every read.
_AUTHORIZATIONS = BoundedMemo(1024)
_LONGEST_REMEMBERED = 4 * 1024


def _read_authorization(value: str, options: ApiClientOptions) -> Credentials:
    """The credentials (no proof, no certificate) of one Authorization value
    not read before: a foreign scheme is refused first, then all but one token."""
    raw_scheme, _, token = value.partition(" ")
    scheme = _SCHEMES.get(raw_scheme.lower())
    if scheme not in offered_schemes(options):
        raise InvalidAuthSchemeError()
    token = token.strip()
    if not token or len(token.split()) != 1:
        raise InvalidRequestError(f"{scheme} scheme needs exactly one token", scheme=scheme)
    credentials = Credentials(scheme, token)
    if len(value) <= _LONGEST_REMEMBERED:
        _AUTHORIZATIONS.put(value, credentials)
    return credentials
