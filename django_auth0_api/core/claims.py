"""Claim checks shared by access tokens and DPoP proofs.

Stricter than pyjwt: a NumericDate must be a finite JSON number, so a string
`exp`, a boolean or NaN never passes.
"""

from __future__ import annotations

import math


def is_numeric_date(value) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large for a float (10**400)
        return False


def audience_matches(aud, accepted: tuple[str, ...]) -> bool:
    if isinstance(aud, str):
        return aud in accepted
    if isinstance(aud, list) and aud and all(isinstance(item, str) for item in aud):
        return any(item in accepted for item in aud)
    return False


def scopes_of(claims) -> frozenset[str]:
    scope = claims.get("scope")
    return frozenset(scope.split()) if isinstance(scope, str) else frozenset()


def permissions_of(claims) -> frozenset[str]:
    permissions = claims.get("permissions")
    if isinstance(permissions, list):
        return frozenset(p for p in permissions if isinstance(p, str))
    return frozenset()


def copy_json(value):
    """A deep copy of parsed JSON (dicts, lists, scalars), several times
    faster than `copy.deepcopy`: callers get claims of their own, so none
    can change what the verified-token cache serves to the next request."""
    kind = type(value)
    if kind is dict:
        return {key: copy_json(item) if type(item) in _CONTAINERS else item for key, item in value.items()}
    if kind is list:
        return [copy_json(item) if type(item) in _CONTAINERS else item for item in value]
    return value


_CONTAINERS = (dict, list)


def bound_key_of(claims) -> str | None:
    """The `cnf.jkt` a DPoP-bound token is bound to, or None."""
    cnf = claims.get("cnf")
    return cnf.get("jkt") if isinstance(cnf, dict) else None


def bound_certificate_of(claims) -> str | None:
    """The `cnf.x5t#S256` a certificate-bound token is bound to (RFC 8705 §3.1), or None."""
    cnf = claims.get("cnf")
    return cnf.get("x5t#S256") if isinstance(cnf, dict) else None


# The confirmation methods (RFC 7800 §3.1) this library can check: a DPoP key
# (RFC 9449 §6.1) and a client certificate (RFC 8705 §3.1).
CONFIRMATION_METHODS = frozenset({"jkt", "x5t#S256"})


def confirmation_problem(cnf) -> str | None:
    """Why a `cnf` claim cannot be honoured, or None: it must be an object of
    one or more methods listed above, each a non-empty string. A method this
    library cannot check is refused: ignoring it would turn a sender-bound
    token back into a bearer token."""
    if not isinstance(cnf, dict) or not cnf:
        return "Claim cnf is malformed"
    for method, value in cnf.items():
        if method not in CONFIRMATION_METHODS:
            return "Claim cnf names a confirmation method this API cannot check"
        if not isinstance(value, str) or not value:
            return "Claim cnf is malformed"
    return None


def missing_claims(claims, names) -> list[str]:
    return sorted(name for name in names if name not in claims)
