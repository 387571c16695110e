"""`VerifiedToken`: what `request.auth` holds after a successful verification."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import FrozenInstanceError
from types import MappingProxyType
from typing import Any

from .core.claims import bound_certificate_of, bound_key_of, copy_json, permissions_of, scopes_of
from .core.delegation import get_current_actor, get_delegation_chain


class VerifiedToken:
    """A verified access token, read-only.

    The claims come from the verified-token cache, which serves the next
    request too: the derived attributes read them in place, and `claims`
    hands out a deep, read-only copy, made on first use only.
    """

    __slots__ = ("token", "scheme", "_claims", "_proof_claims", "_claims_view", "_proof_view")
    token: str
    scheme: str
    _claims: dict[str, Any]
    _proof_claims: dict[str, Any] | None
    _claims_view: Mapping[str, Any] | None
    _proof_view: Mapping[str, Any] | None

    def __init__(self, token: str, claims: Mapping[str, Any], scheme: str = "Bearer",
                 proof_claims: Mapping[str, Any] | None = None):
        # Each slot's own setter: `object.__setattr__` costs twice as much on
        # a class that overrides `__setattr__`, and this runs per request.
        _set_token(self, token)
        _set_scheme(self, scheme)
        _set_claims(self, dict(claims))
        _set_proof_claims(self, None if proof_claims is None else dict(proof_claims))
        _set_claims_view(self, None)
        _set_proof_view(self, None)

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}: VerifiedToken is read-only")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}: VerifiedToken is read-only")

    def __repr__(self) -> str:
        return f"VerifiedToken(sub={self.sub!r}, scheme={self.scheme!r})"

    @property
    def claims(self) -> Mapping[str, Any]:
        view = self._claims_view
        if view is None:
            view = MappingProxyType(copy_json(self._claims))
            _set_claims_view(self, view)
        return view

    def claims_dict(self) -> dict[str, Any]:
        """The claims as a new dict of the caller's own (deep: nested claims
        too), to change or to serialize; `claims` is the read-only view."""
        return copy_json(self._claims)

    @property
    def proof_claims(self) -> Mapping[str, Any] | None:
        if self._proof_claims is not None and self._proof_view is None:
            _set_proof_view(self, MappingProxyType(copy_json(self._proof_claims)))
        return self._proof_view

    @property
    def sub(self) -> str:
        return self._claims["sub"]

    @property
    def issuer(self) -> str:
        return self._claims["iss"]

    @property
    def scopes(self) -> frozenset[str]:
        return scopes_of(self._claims)

    @property
    def permissions(self) -> frozenset[str]:
        return permissions_of(self._claims)

    @property
    def delegation_chain(self) -> list[str]:
        """Every actor's `sub`, newest first."""
        return get_delegation_chain(self._claims)

    @property
    def actor(self) -> str | None:
        """The current actor (outermost `act.sub`): the one to authorize."""
        return get_current_actor(self._claims)

    @property
    def jkt(self) -> str | None:
        return bound_key_of(self._claims)

    @property
    def x5t_s256(self) -> str | None:
        """The certificate thumbprint the token is bound to (RFC 8705 §3.1), checked
        against the request's client certificate; None for a token not so bound."""
        return bound_certificate_of(self._claims)

    @property
    def org_id(self) -> str | None:
        """Auth0 Organizations: the organization the token was issued for."""
        value = self._claims.get("org_id")
        return value if isinstance(value, str) else None

    @property
    def org_name(self) -> str | None:
        value = self._claims.get("org_name")
        return value if isinstance(value, str) else None

    def claim(self, name: str, default: Any = None) -> Any:
        """One claim (a copy of it when it is an object or an array), without
        copying all of `claims`."""
        if name not in self._claims:
            return default
        return copy_json(self._claims[name])



def _slot_setter(name: str) -> Callable[[VerifiedToken, Any], None]:
    setter: Callable[[VerifiedToken, Any], None] = VerifiedToken.__dict__[name].__set__
    return setter


_set_token = _slot_setter("token")
_set_scheme = _slot_setter("scheme")
_set_claims = _slot_setter("_claims")
_set_proof_claims = _slot_setter("_proof_claims")
_set_claims_view = _slot_setter("_claims_view")
_set_proof_view = _slot_setter("_proof_view")


def verified_token(token: str, claims: dict[str, Any], scheme: str,
                   proof_claims: dict[str, Any] | None = None) -> VerifiedToken:
    """The `VerifiedToken` of claims this library verified: kept as they are,
    not copied (the verified-token cache never changes them, and a proof's
    claims are the request's own). Made once per request."""
    made: VerifiedToken = object.__new__(VerifiedToken)
    _set_token(made, token)
    _set_scheme(made, scheme)
    _set_claims(made, claims)
    _set_proof_claims(made, proof_claims)
    _set_claims_view(made, None)
    _set_proof_view(made, None)
    return made
