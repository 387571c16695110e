"""Claim checks shared by access tokens and DPoP proofs.

Stricter than pyjwt: a NumericDate must be a finite JSON number, so a string
`exp`, a boolean or NaN never passes.
"""

from __future__ import annotations

import math


def is_numeric_date(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


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
