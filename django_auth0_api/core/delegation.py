"""The RFC 8693 `act` claim: who is acting for the subject, newest first.

The outermost `act.sub` is the current actor, the only one to authorize on;
nested `act` members are earlier actors, for audit and attribution.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_DEPTH = 10


class MalformedActClaim(ValueError):
    pass


def validate_act(claims: Mapping[str, Any]) -> None:
    """Raise `MalformedActClaim` unless every level is an object with a non-empty string `sub`."""
    # A present `act` must be an object at every level: `"act": null` is
    # malformed whether it is the outermost member or a nested one.
    level, depth = claims, 0
    while "act" in level:
        act = level["act"]
        depth += 1
        if depth > MAX_DEPTH or not isinstance(act, dict):
            raise MalformedActClaim()
        sub = act.get("sub")
        if not isinstance(sub, str) or not sub:
            raise MalformedActClaim()
        level = act


def get_delegation_chain(claims: Mapping[str, Any]) -> list[str]:
    """Every actor's `sub`, the current actor first; `[]` without delegation."""
    chain: list[str] = []
    act = claims.get("act") if isinstance(claims, Mapping) else None
    while isinstance(act, Mapping) and isinstance(act.get("sub"), str) and len(chain) < MAX_DEPTH:
        chain.append(act["sub"])
        act = act.get("act")
    return chain


def get_current_actor(claims: Mapping[str, Any]) -> str | None:
    """The outermost `act.sub`, or None when the token is not delegated."""
    chain = get_delegation_chain(claims)
    return chain[0] if chain else None
