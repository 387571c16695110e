"""Claim checks shared by access tokens and DPoP proofs.

Stricter than pyjwt: a NumericDate must be a finite JSON number, so a string
`exp`, a boolean or NaN never passes.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Mapping
from typing import Any, TypeGuard, TypeVar, cast

_Json = TypeVar("_Json")
# The largest integer a NumericDate may be: one that still adds to a float (`exp + leeway`).
LARGEST_TIME = int(sys.float_info.max)


def is_numeric_date(value: object) -> TypeGuard[float]:
    if type(value) is int:  # what JSON holds, checked without a float conversion
        return -LARGEST_TIME <= value <= LARGEST_TIME
    if type(value) is float:
        return math.isfinite(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large for a float (10**400)
        return False


def audience_matches(aud: object, accepted: tuple[str, ...]) -> bool:
    if isinstance(aud, str):
        return aud in accepted
    if isinstance(aud, list) and aud and all(isinstance(item, str) for item in aud):
        return any(item in accepted for item in aud)
    return False


def scopes_of(claims: Mapping[str, object]) -> frozenset[str]:
    scope = claims.get("scope")
    return frozenset(scope.split()) if isinstance(scope, str) else frozenset()


def permissions_of(claims: Mapping[str, object]) -> frozenset[str]:
    permissions = claims.get("permissions")
    if isinstance(permissions, list):
        return frozenset(p for p in permissions if isinstance(p, str))
    return frozenset()


def copy_json(value: _Json) -> _Json:
    """A deep copy of parsed JSON (dicts, lists, scalars), several times
    faster than `copy.deepcopy`: callers get claims of their own, so none
    can change what the verified-token cache serves to the next request."""
    parsed: Any = value
    kind = type(parsed)
    if kind is dict:
        copy = dict(parsed)
        for key, item in parsed.items():
            if type(item) in _CONTAINERS:  # most claims are flat: the copy above is the whole job
                copy[key] = copy_json(item)
        return cast(_Json, copy)
    if kind is list:
        return cast(_Json, [copy_json(item) if type(item) in _CONTAINERS else item for item in parsed])
    return value


_CONTAINERS = frozenset({dict, list})


def bound_key_of(claims: Mapping[str, object]) -> str | None:
    """The `cnf.jkt` a DPoP-bound token is bound to, or None."""
    cnf = claims.get("cnf")
    return cnf.get("jkt") if isinstance(cnf, dict) else None


def bound_certificate_of(claims: Mapping[str, object]) -> str | None:
    """The `cnf.x5t#S256` a certificate-bound token is bound to (RFC 8705 §3.1), or None."""
    cnf = claims.get("cnf")
    return cnf.get("x5t#S256") if isinstance(cnf, dict) else None


# The confirmation methods (RFC 7800 §3.1) this library can check: a DPoP key
# (RFC 9449 §6.1) and a client certificate (RFC 8705 §3.1).
CONFIRMATION_METHODS = frozenset({"jkt", "x5t#S256"})


def confirmation_problem(cnf: object) -> str | None:
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


def missing_claims(claims: Mapping[str, object], names: Iterable[str]) -> list[str]:
    return sorted(name for name in names if name not in claims)


def _same_value(claim: object, wanted: object) -> bool:
    # JSON equality: `true` is not `1`, and `1` is `1.0`.
    if isinstance(claim, bool) or isinstance(wanted, bool):
        return type(claim) is type(wanted) and claim == wanted
    return claim == wanted


def claim_has_one_of(claims: Mapping[str, object], name: str, accepted: tuple) -> bool:
    """`claims[name]` equals one of `accepted`, or, as an array, contains one
    (docs/authorization.md: `REQUIRED_CLAIM_VALUES`)."""
    if name not in claims:
        return False
    value = claims[name]
    if isinstance(value, list):
        return any(_same_value(item, wanted) for item in value for wanted in accepted)
    return any(_same_value(value, wanted) for wanted in accepted)


def claim_equals(claims: Mapping[str, object], name: str, wanted: object) -> bool:
    return name in claims and _json_equal(claims[name], wanted)


def _json_equal(value: object, wanted: object) -> bool:
    if isinstance(wanted, dict):
        return (isinstance(value, dict) and value.keys() == wanted.keys()
                and all(_json_equal(value[key], wanted[key]) for key in wanted))
    if isinstance(wanted, (list, tuple)):
        return (isinstance(value, list) and len(value) == len(wanted)
                and all(_json_equal(item, other) for item, other in zip(value, wanted, strict=True)))
    if isinstance(value, (dict, list)):
        return False
    return _same_value(value, wanted)


def claim_includes(claims: Mapping[str, object], name: str, wanted: tuple) -> bool:
    """Every value of `wanted` is in the array claim `name` (or in the
    space-delimited string, as `scope` is written)."""
    value = claims.get(name)
    if isinstance(value, str):
        present = value.split()
    elif isinstance(value, list):
        present = value
    else:
        return False
    return all(any(_same_value(item, one) for item in present) for one in wanted)


# Auth0 Organizations: an `org_...` value is an organization id, compared
# exactly with `org_id`; anything else is a name, compared with `org_name`
# case-insensitively (Auth0 stores organization names in lower case).
ORGANIZATION_ID_PREFIX = "org_"


def organization_matches(claims: Mapping[str, object], accepted: tuple[str, ...]) -> bool:
    org_id, org_name = claims.get("org_id"), claims.get("org_name")
    for wanted in accepted:
        if wanted.startswith(ORGANIZATION_ID_PREFIX):
            if isinstance(org_id, str) and org_id == wanted:
                return True
        elif isinstance(org_name, str) and org_name.lower() == wanted.lower():
            return True
    return False
