"""Authorization rules: what a verified token must hold to reach a view
(docs/authorization.md).

Each rule is a small `Requirement` whose `check(token, request=None)` returns
None or raises the `BaseAuthError` the client should see:

- scopes and permissions, all of a list, any of a list, or per-method
  alternatives (each an all-of list): 403 `insufficient_scope` with the
  `scope` that would satisfy it (RFC 6750 §3.1);
- claim rules (equals, includes, a callable check) and Auth0 Organizations:
  403 `insufficient_scope` naming the claim, never its value: the token is
  good, but does not carry the privileges this resource needs (RFC 6750 §3.1);
- step-up: one of the `acr` values and/or an `auth_time` no older than a
  maximum age: 401 `insufficient_user_authentication` with `acr_values` and/or
  `max_age` (RFC 9470 §3).

`requirement(...)` combines them for `auth0_required`; the DRF permission
classes of `permissions` are thin adapters over the same objects. The
settings `REQUIRED_CLAIM_VALUES` and `ORGANIZATION` are enforced while the
token is verified (401 `invalid_token`), by `core.access_tokens`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeAlias, TypedDict

from django.utils.module_loading import import_string

from .core.claims import claim_equals, claim_has_one_of, claim_includes, is_numeric_date, organization_matches
from .errors import InsufficientScopeError, InsufficientUserAuthenticationError, error_text

if TYPE_CHECKING:
    from django.http import HttpRequest
    from rest_framework.request import Request

    from .verified_token import VerifiedToken

# A string is one name, never split into characters.
Names: TypeAlias = "str | Iterable[str]"
# `{"GET": [["read"]], "POST": [["write"], ["admin"]]}`: per method, an OR of ANDs.
MethodAlternatives: TypeAlias = "Mapping[str, Iterable[Names]]"
# An organization's id or name, a list of them, or `f(request)` naming them (as a dotted path too).
AcceptedOrganizations: TypeAlias = "str | Iterable[str] | Callable[[HttpRequest], Names | None]"
ClaimsCheck: TypeAlias = "Callable[[Mapping[str, Any]], bool]"


class Rules(TypedDict, total=False):
    """The keyword arguments of `requirement` other than `scopes`, as
    `auth0_required` and ninja's `Auth0Bearer` take them."""

    any_scopes: Names | None
    permissions: Names | None
    any_permissions: Names | None
    acr_values: Names | None
    max_age: int | None
    alternate_scopes: MethodAlternatives | None
    alternate_permissions: MethodAlternatives | None
    organization: AcceptedOrganizations | None
    claims: Mapping[str, Any] | None
    check: ClaimsCheck | Requirement | None

# Auth0's `acr` for multi-factor authentication (the OpenID PAPE policy it
# accepts in `acr_values`); Auth0 also lists `mfa` in the token's `amr`.
MFA_POLICY = "http://schemas.openid.net/pape/policies/2007/06/multi-factor"
MFA_METHOD = "mfa"

SCOPE_DESCRIPTION = "Token lacks the required scope"
PERMISSION_DESCRIPTION = "Token lacks the required permission"
ORGANIZATION_DESCRIPTION = "Token is not for an organization this resource accepts"
ACR_DESCRIPTION = "A stronger authentication is required"
AGE_DESCRIPTION = "A more recent authentication is required"


def names(value: Names | None) -> tuple[str, ...]:
    """A string as one name (never split into characters), or a list of names."""
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


class Requirement:
    """One authorization rule over a verified token."""

    def check(self, token: VerifiedToken, request: HttpRequest | Request | None = None) -> None:
        raise NotImplementedError

    def __and__(self, other: Requirement) -> Requirement:
        return AllOf(self, other)


class NoRequirement(Requirement):
    def check(self, token: VerifiedToken, request: HttpRequest | Request | None = None) -> None:
        return None


NOTHING = NoRequirement()


class AllOf(Requirement):
    """Every requirement, in order: the first that fails is the answer."""

    requirements: tuple[Requirement, ...]

    def __init__(self, *requirements: Requirement) -> None:
        flat: list[Requirement] = []
        for item in requirements:
            if isinstance(item, AllOf):
                flat.extend(item.requirements)
            elif not isinstance(item, NoRequirement):
                flat.append(item)
        self.requirements = tuple(flat)

    def check(self, token: VerifiedToken, request: HttpRequest | Request | None = None) -> None:
        for item in self.requirements:
            item.check(token, request)


# -- scopes and permissions -------------------------------------------------------------------------

class Grants(Requirement):
    """The token holds every entry of at least one alternative.

    `alternatives` is an OR of ANDs (DOT's and Authlib's shape): `(("a", "b"),
    ("admin",))` is "a and b, or admin". No alternative at all refuses every
    token. The refusal names the first alternative, the one that would satisfy it.
    """

    kind = "scope"

    def __init__(self, alternatives: Iterable[Names]) -> None:
        self.alternatives = tuple(names(alternative) for alternative in alternatives)
        self._sets = tuple(frozenset(alternative) for alternative in self.alternatives)

    def granted(self, token: VerifiedToken) -> frozenset[str]:
        return token.scopes

    def check(self, token: VerifiedToken, request: HttpRequest | Request | None = None) -> None:
        granted = self.granted(token)
        for needed in self._sets:
            if needed <= granted:
                return
        raise self.refusal(self.alternatives[0] if self.alternatives else (), token)

    def refusal(self, satisfying: tuple[str, ...], token: VerifiedToken) -> InsufficientScopeError:
        return InsufficientScopeError(satisfying, SCOPE_DESCRIPTION, scheme=token.scheme)


class PermissionGrants(Grants):
    """`Grants` over Auth0 RBAC's `permissions` claim."""

    kind = "permission"

    def granted(self, token: VerifiedToken) -> frozenset[str]:
        return token.permissions

    def refusal(self, satisfying: tuple[str, ...], token: VerifiedToken) -> InsufficientScopeError:
        # `scope` still names what would do: with RBAC, Auth0 grants permissions as scopes.
        return InsufficientScopeError(satisfying, PERMISSION_DESCRIPTION, scheme=token.scheme)


def all_of(required: Names | None, kind: str = "scope") -> Requirement:
    required = names(required)
    if not required:
        return NOTHING
    return _grants(kind)((required,))


def any_of(accepted: Names | None, kind: str = "scope") -> Requirement:
    accepted = names(accepted)
    if not accepted:
        return NOTHING
    return _grants(kind)((item,) for item in accepted)


def _grants(kind: str) -> type[Grants]:
    return PermissionGrants if kind == "permission" else Grants


class PerMethod(Requirement):
    """Alternatives per HTTP method (DOT's `required_alternate_scopes`):
    `{"GET": [["read"]], "POST": [["write"], ["admin"]]}`, each combined with
    `also` (a list every alternative needs too). HEAD follows GET (RFC 9110
    §9.3.2); a method the mapping does not list is refused."""

    def __init__(self, alternatives: MethodAlternatives, kind: str = "scope", also: Names | None = ()) -> None:
        also = names(also)
        grants = _grants(kind)
        self.kind = kind
        self.by_method = {
            str(method).upper(): grants(tuple(dict.fromkeys((*also, *names(alternative))))
                                        for alternative in listed)
            for method, listed in alternatives.items()
        }
        self._unlisted = grants(())

    def for_method(self, method: str | None) -> Grants:
        method = (method or "").upper()
        found = self.by_method.get(method)
        if found is None and method == "HEAD":
            found = self.by_method.get("GET")
        return found if found is not None else self._unlisted

    def check(self, token: VerifiedToken, request: HttpRequest | Request | None = None) -> None:
        self.for_method(getattr(request, "method", None)).check(token, request)


# -- claim rules --------------------------------------------------------------------------------------

class ClaimRule(Requirement):
    """A claim the token must carry with the right value; a refusal names the
    claim (as the API wrote it), never the token's value."""

    def __init__(self, claim: str, description: str | None = None) -> None:
        if not isinstance(claim, str) or not claim:
            raise TypeError("a claim rule needs the claim's name")
        self.claim = claim
        self.description = error_text(description or f"Claim {claim} has a value this resource does not accept")

    def matches(self, claims: Mapping[str, Any]) -> bool:
        raise NotImplementedError

    def check(self, token: VerifiedToken, request: HttpRequest | Request | None = None) -> None:
        if not self.matches(token._claims):  # read in place: no copy per request
            raise InsufficientScopeError((), self.description, scheme=token.scheme)


class ClaimEquals(ClaimRule):
    """The claim equals `value` (JSON equality: `true` is not `1`)."""

    def __init__(self, claim: str, value: object, description: str | None = None) -> None:
        super().__init__(claim, description)
        self.value = value

    def matches(self, claims: Mapping[str, Any]) -> bool:
        return claim_equals(claims, self.claim, self.value)


class ClaimIncludes(ClaimRule):
    """The claim, an array (or a space-delimited string), holds every value."""

    def __init__(self, claim: str, *values: object, description: str | None = None) -> None:
        super().__init__(claim, description)
        if not values:
            raise TypeError("ClaimIncludes needs at least one value")
        self.values = values

    def matches(self, claims: Mapping[str, Any]) -> bool:
        return claim_includes(claims, self.claim, self.values)


class ClaimOneOf(ClaimRule):
    """`REQUIRED_CLAIM_VALUES`' rule for one claim: equal to one of the values,
    or, as an array, containing one."""

    def __init__(self, claim: str, accepted: object, description: str | None = None) -> None:
        super().__init__(claim, description)
        self.accepted = tuple(accepted) if isinstance(accepted, (list, tuple)) else (accepted,)

    def matches(self, claims: Mapping[str, Any]) -> bool:
        return claim_has_one_of(claims, self.claim, self.accepted)


class ClaimCheck(ClaimRule):
    """`check(claims) -> bool` on a read-only copy of the claims. A check that
    raises refuses the token (it is the view's rule, not the client's fault, but
    failing closed is the safe answer)."""

    def __init__(self, check: ClaimsCheck, claim: str | None = None, description: str | None = None) -> None:
        if not callable(check):
            raise TypeError("ClaimCheck needs a callable")
        super().__init__(claim or "check", description or (None if claim else "Token claims are not accepted"))
        self.test = check

    def check(self, token: VerifiedToken, request: HttpRequest | Request | None = None) -> None:
        try:
            passed = bool(self.test(token.claims))
        except Exception:
            passed = False
        if not passed:
            raise InsufficientScopeError((), self.description, scheme=token.scheme)


def claim_values(rules: Mapping[str, Any] | None) -> Requirement:
    """`{"claim": value or [values]}`, the shape of `REQUIRED_CLAIM_VALUES`."""
    if not rules:
        return NOTHING
    return AllOf(*(ClaimOneOf(claim, accepted) for claim, accepted in rules.items()))


# -- Auth0 Organizations ---------------------------------------------------------------------------------

class Organization(Requirement):
    """The token is for one of the organizations: an `org_...` value matches
    `org_id` exactly, any other value `org_name` case-insensitively. `accepted`
    may be a string, a list, or a callable / dotted path `f(request) -> str or
    list`; a callable that fails or names none refuses every token."""

    def __init__(self, accepted: AcceptedOrganizations) -> None:
        if isinstance(accepted, str) and "." in accepted:
            accepted = import_string(accepted)
        self._resolve = accepted if callable(accepted) else None
        self._fixed = () if callable(accepted) else names(accepted)

    def accepted(self, request: HttpRequest | Request | None) -> tuple[str, ...]:
        if self._resolve is None:
            return self._fixed
        try:
            # The Django request; None only for a rule checked without one (a resolver that fails on it refuses).
            listed = names(self._resolve(getattr(request, "_request", request)))  # type: ignore[arg-type]
        except Exception:  # fail closed: a broken resolver lets no token through
            return ()
        return tuple(item for item in listed if isinstance(item, str) and item)

    def check(self, token: VerifiedToken, request: HttpRequest | Request | None = None) -> None:
        if not organization_matches(token._claims, self.accepted(request)):
            raise InsufficientScopeError((), ORGANIZATION_DESCRIPTION, scheme=token.scheme)


# -- step-up (RFC 9470) --------------------------------------------------------------------------------------

class StepUp(Requirement):
    """One of `acr_values` (in order of preference) and/or an `auth_time` at
    most `max_age` seconds old (RFC 9470 §3, OpenID Connect Core §2). Auth0's
    MFA policy value is met by that `acr`, or by `mfa` in `amr`, which Auth0
    issues after a multi-factor login."""

    def __init__(self, acr_values: Names | None = (), max_age: int | None = None, leeway: float = 0) -> None:
        self.acr_values = names(acr_values)
        if not all(isinstance(value, str) and value and len(value.split()) == 1 for value in self.acr_values):
            raise TypeError("acr_values must be non-empty strings without spaces (they are sent space-separated)")
        if max_age is not None and (isinstance(max_age, bool) or not isinstance(max_age, int) or max_age < 0):
            raise TypeError("max_age must be a non-negative number of seconds")
        self.max_age = max_age
        self.leeway = leeway

    def acr_met(self, claims: Mapping[str, Any]) -> bool:
        acr = claims.get("acr")
        if isinstance(acr, str) and acr in self.acr_values:
            return True
        if MFA_POLICY in self.acr_values:
            amr = claims.get("amr")
            return isinstance(amr, list) and MFA_METHOD in amr
        return False

    def age_met(self, claims: Mapping[str, Any], max_age: int) -> bool:
        auth_time = claims.get("auth_time")
        return is_numeric_date(auth_time) and time.time() - auth_time <= max_age + self.leeway

    def check(self, token: VerifiedToken, request: HttpRequest | Request | None = None) -> None:
        claims = token._claims
        if self.acr_values and not self.acr_met(claims):
            description = ACR_DESCRIPTION
        elif self.max_age is not None and not self.age_met(claims, self.max_age):
            description = AGE_DESCRIPTION
        else:
            return
        # Both parameters when the rule has both: the new token must meet them all.
        raise InsufficientUserAuthenticationError(self.acr_values, self.max_age, description, scheme=token.scheme)


def step_up(acr_values: Names | None = (), max_age: int | None = None) -> Requirement:
    if not names(acr_values) and max_age is None:
        return NOTHING
    return StepUp(acr_values, max_age)


# -- the combination ------------------------------------------------------------------------------------------

def requirement(scopes: Names | None = (), any_scopes: Names | None = (), permissions: Names | None = (),
                any_permissions: Names | None = (), acr_values: Names | None = (), max_age: int | None = None, *,
                alternate_scopes: MethodAlternatives | None = None,
                alternate_permissions: MethodAlternatives | None = None,
                organization: AcceptedOrganizations | None = None, claims: Mapping[str, Any] | None = None,
                check: ClaimsCheck | Requirement | None = None) -> Requirement:
    """Everything `auth0_required(...)` was asked for, as one `Requirement`.

    `scopes` / `permissions`: all of them; `any_scopes` / `any_permissions`:
    one of them; `alternate_scopes` / `alternate_permissions`: per-method
    alternatives; `organization`: as `ORGANIZATION`; `claims`: as
    `REQUIRED_CLAIM_VALUES`; `check`: `f(claims) -> bool` or a `Requirement`;
    `acr_values` / `max_age`: step-up. Organization and claims are checked
    first, then scopes and permissions, then the user's authentication.
    """
    rules: list[Requirement] = []
    if organization is not None:
        rules.append(Organization(organization))
    rules.append(claim_values(claims))
    if check is not None:
        rules.append(check if isinstance(check, Requirement) else ClaimCheck(check))
    for kind, all_listed, any_listed, per_method in (("scope", scopes, any_scopes, alternate_scopes),
                                                     ("permission", permissions, any_permissions,
                                                      alternate_permissions)):
        if per_method:
            rules.append(PerMethod(per_method, kind, also=all_listed))
        else:
            rules.append(all_of(all_listed, kind))
        rules.append(any_of(any_listed, kind))
    rules.append(step_up(acr_values, max_age))
    combined = AllOf(*rules)
    if not combined.requirements:
        return NOTHING
    return combined.requirements[0] if len(combined.requirements) == 1 else combined
