"""The RFC 8693 `act` claim: who is acting for the subject, newest first.

The outermost `act.sub` is the current actor, the only one to authorize on;
nested `act` members are earlier actors, for audit and attribution
(RFC 8693 §4.1).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import VerifyAccessTokenError

MAX_DEPTH = 10
INVALID_ACT_CLAIM = "Invalid act claim"


class MalformedActClaim(ValueError):
    pass


def _is_actor(sub: object) -> bool:
    # A blank `sub` names nobody: "   " is as empty as "".
    return isinstance(sub, str) and bool(sub.strip())


def validate_act(claims: Mapping[str, Any]) -> None:
    """Raise `MalformedActClaim` unless every level is an object with a non-blank string `sub`."""
    # A present `act` must be an object at every level: `"act": null` is
    # malformed whether it is the outermost member or a nested one.
    level, depth = claims, 0
    while "act" in level:
        act = level["act"]
        depth += 1
        if depth > MAX_DEPTH or not isinstance(act, dict) or not _is_actor(act.get("sub")):
            raise MalformedActClaim()
        level = act


def get_delegation_chain(claims: Mapping[str, Any]) -> list[str]:
    """Every actor's `sub`, the current actor first; `[]` without delegation.

    Raises `VerifyAccessTokenError` for claims that are not a mapping, an
    `act` that is not an object, or a missing, non-string or blank `sub` at
    any level, and for a chain deeper than verification accepts: the answer
    is the whole chain or an error, never part of it.
    """
    if not isinstance(claims, Mapping):
        raise VerifyAccessTokenError(INVALID_ACT_CLAIM)
    chain: list[str] = []
    act = claims.get("act")
    while act is not None:  # an absent or null `act` ends the chain
        if len(chain) == MAX_DEPTH or not isinstance(act, Mapping) or not _is_actor(act.get("sub")):
            raise VerifyAccessTokenError(INVALID_ACT_CLAIM)
        chain.append(act["sub"])
        act = act.get("act")
    return chain


def get_current_actor(claims: Mapping[str, Any]) -> str | None:
    """The outermost `act.sub`, or None when the token is not delegated.

    Raises `VerifyAccessTokenError` as `get_delegation_chain` does for the
    outermost level (claims not a mapping, `act` not an object, `sub` not a
    non-blank string); deeper levels are for audit and are not looked at.
    """
    if not isinstance(claims, Mapping):
        raise VerifyAccessTokenError(INVALID_ACT_CLAIM)
    act = claims.get("act")
    if act is None:
        return None
    if not isinstance(act, Mapping) or not _is_actor(act.get("sub")):
        raise VerifyAccessTokenError(INVALID_ACT_CLAIM)
    return act["sub"]
