"""`VerifiedToken`: what `request.auth` holds after a successful verification."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

from .claims import copy_json, permissions_of, scopes_of
from .delegation import get_delegation_chain


@dataclass(frozen=True, eq=False)
class VerifiedToken:
    token: str = field(repr=False)
    claims: Mapping[str, Any]
    scheme: str = "Bearer"
    proof_claims: Mapping[str, Any] | None = None

    def __post_init__(self):
        # Deep copies: a view that changes a nested claim (`permissions`,
        # `act`) changes its own copy, not the verified-token cache.
        object.__setattr__(self, "claims", MappingProxyType(copy_json(dict(self.claims))))
        if self.proof_claims is not None:
            object.__setattr__(self, "proof_claims", MappingProxyType(copy_json(dict(self.proof_claims))))

    @property
    def sub(self) -> str:
        return self.claims["sub"]

    @property
    def issuer(self) -> str:
        return self.claims["iss"]

    @property
    def scopes(self) -> frozenset[str]:
        return scopes_of(self.claims)

    @property
    def permissions(self) -> frozenset[str]:
        return permissions_of(self.claims)

    @property
    def delegation_chain(self) -> list[str]:
        """Every actor's `sub`, newest first."""
        return get_delegation_chain(self.claims)

    @property
    def actor(self) -> str | None:
        """The current actor (outermost `act.sub`): the one to authorize."""
        chain = self.delegation_chain
        return chain[0] if chain else None

    @property
    def jkt(self) -> str | None:
        cnf = self.claims.get("cnf")
        return cnf.get("jkt") if isinstance(cnf, Mapping) else None
