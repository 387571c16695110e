"""Reading credentials out of request headers (RFC 6750 §2.1, RFC 9449 §7.1)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .challenges import offered_schemes
from .errors import (
    InvalidAuthSchemeError,
    InvalidDpopProofError,
    InvalidRequestError,
    MissingAuthorizationError,
)

_SCHEMES = {"bearer": "Bearer", "dpop": "DPoP"}


@dataclass(frozen=True)
class Credentials:
    scheme: str
    token: str = field(repr=False)
    proofs: tuple[str, ...] = field(default=(), repr=False)


def header_values(headers, name: str) -> list:
    """Every value of header `name` (case-insensitive) in a mapping or a list
    of pairs; a server that joined repeated headers left commas behind."""
    items = headers.items() if hasattr(headers, "items") else headers or ()
    values: list = []
    for key, value in items:
        if isinstance(key, str) and key.lower() == name:
            values.extend(value if isinstance(value, (list, tuple)) else [value])
    if not all(isinstance(v, str) for v in values):
        raise InvalidRequestError("Header values must be strings")
    return [part.strip() for value in values for part in value.split(",")]


def read_credentials(headers, options) -> Credentials:
    authorization = header_values(headers, "authorization")
    if not authorization or authorization == [""]:
        raise MissingAuthorizationError()
    if len(authorization) > 1:
        raise InvalidRequestError("Several Authorization header values")
    raw_scheme, _, token = authorization[0].partition(" ")
    scheme = _SCHEMES.get(raw_scheme.lower())
    if scheme not in offered_schemes(options):
        raise InvalidAuthSchemeError()
    token = token.strip()
    if not token or len(token.split()) != 1:
        raise InvalidRequestError(f"{scheme} scheme needs exactly one token", scheme=scheme)
    proofs = tuple(header_values(headers, "dpop")) if options.dpop_enabled else ()
    if scheme == "DPoP":
        if not proofs or proofs == ("",):
            raise InvalidRequestError("DPoP scheme without a DPoP proof header", scheme=scheme)
        if len(proofs) > 1:
            raise InvalidDpopProofError("Several DPoP proofs", scheme=scheme)
    return Credentials(scheme, token, proofs)
