"""DRF permissions: thin adapters over the rules of `policy` (docs/authorization.md).

A request without a verified token is left to DRF (401 with a challenge). A
token without what the view requires gets 403 `insufficient_scope` (scopes,
permissions, claims, organizations) or 401 `insufficient_user_authentication`
(step-up, RFC 9470), with the challenge built for that refusal.

The class-based rules read view attributes (`required_scopes`,
`required_alternate_scopes`, ..., as DOT's do, and overridable the same way:
`get_required_scopes(request, view)`); the claim and organization rules take
their arguments and are listed as instances:
`permission_classes = [IsAuthenticated, ClaimEquals("tier", "gold")]`.

Challenges are the view's client's (its `api_client`, else the settings').
Sync, so they serve adrf's async views as well (docs/faces/adrf.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, TypeAlias

from rest_framework import exceptions
from rest_framework.permissions import AND, NOT, OR, BasePermission, OperandHolder, SingleOperandHolder

from . import policy
from .conf import get_api_client
from .core.challenges import build_challenge
from .errors import BaseAuthError, InsufficientScopeError
from .verified_token import VerifiedToken

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView

    from .client import ApiClient
    from .options import ApiClientOptions

_Operand: TypeAlias = "type[BasePermission] | OperandHolder | SingleOperandHolder | RulePermission"


class InsufficientScope(exceptions.PermissionDenied):
    """A 403 refusal that carries its own challenge."""

    def __init__(self, error: InsufficientScopeError, options: ApiClientOptions | None = None) -> None:
        code = error.get_error_code()
        super().__init__({"detail": error.get_error_description(), "error": code}, code)
        # DRF's exception handler sends `auth_header` as WWW-Authenticate.
        self.auth_header = build_challenge(options or get_api_client().options, error)


def as_refusal(error: BaseAuthError, client: ApiClient | None = None) -> exceptions.APIException:
    """The DRF exception for a refused rule: 403 keeps its challenge; a 401
    (step-up) goes through DRF's authentication-failure path."""
    if error.get_status_code() == 403 and isinstance(error, InsufficientScopeError):
        return InsufficientScope(error, (client or get_api_client()).options)
    from .authentication import as_drf_exception

    return as_drf_exception(error, client)


def missing_from(granted: frozenset[str], required: Iterable[str]) -> list[str]:
    return [item for item in required if item not in granted]


class PolicyPermission(BasePermission):
    """A DRF permission that checks one `policy.Requirement`."""

    api_client: ApiClient | None = None

    def get_api_client(self, request: Request, view: APIView) -> ApiClient:
        return getattr(view, "api_client", None) or self.api_client or get_api_client()

    def get_requirement(self, request: Request, view: APIView) -> policy.Requirement:
        raise NotImplementedError

    def has_permission(self, request: Request, view: APIView) -> bool:
        token = request.auth
        if not isinstance(token, VerifiedToken):
            return False
        try:
            self.get_requirement(request, view).check(token, request)
        except BaseAuthError as error:
            raise as_refusal(error.with_scheme(token.scheme), self.get_api_client(request, view)) from None
        return True


class _TokenHas(PolicyPermission):
    kind = "scope"

    def get_required(self, request: Request, view: APIView) -> policy.Names:
        raise NotImplementedError

    def get_required_alternates(self, request: Request, view: APIView) -> policy.MethodAlternatives | None:
        raise NotImplementedError

    def get_requirement(self, request: Request, view: APIView) -> policy.Requirement:
        required = policy.names(self.get_required(request, view))
        alternates = self.get_required_alternates(request, view)
        if alternates:
            return policy.PerMethod(alternates, self.kind, also=required)
        return policy.all_of(required, self.kind)


class TokenHasScope(_TokenHas):
    """Every scope in the view's `required_scopes` must be in the token's
    `scope`; with `required_alternate_scopes` (`{"GET": [["read"]], "POST":
    [["write"], ["admin"]]}`), one alternative of the request's method too.
    Override `get_required_scopes(request, view)` (and
    `get_required_alternate_scopes`) to decide per request, as with DOT."""

    kind = "scope"

    def get_required_scopes(self, request: Request, view: APIView) -> policy.Names:
        return getattr(view, "required_scopes", ())

    def get_required_alternate_scopes(self, request: Request, view: APIView) -> policy.MethodAlternatives | None:
        return getattr(view, "required_alternate_scopes", None)

    def get_required(self, request: Request, view: APIView) -> policy.Names:
        return self.get_required_scopes(request, view)

    def get_required_alternates(self, request: Request, view: APIView) -> policy.MethodAlternatives | None:
        return self.get_required_alternate_scopes(request, view)

    # Read by `view_scopes`: a 401's challenge and the RFC 9728 metadata.
    @classmethod
    def scopes_required_by(cls, view: object) -> tuple[str, ...]:
        """The scopes every request to the view needs."""
        return policy.names(getattr(view, "required_scopes", ()))

    @classmethod
    def scopes_declared_by(cls, view: object) -> tuple[str, ...]:
        """Every scope the view's per-method alternatives may ask for."""
        alternates = getattr(view, "required_alternate_scopes", None) or {}
        return tuple(dict.fromkeys(scope for listed in alternates.values() for alternative in listed
                                   for scope in policy.names(alternative)))


class TokenHasPermission(_TokenHas):
    """Every entry of the view's `required_permissions` must be in Auth0's
    `permissions` claim; `required_alternate_permissions` as for scopes."""

    kind = "permission"

    def get_required_permissions(self, request: Request, view: APIView) -> policy.Names:
        return getattr(view, "required_permissions", ())

    def get_required_alternate_permissions(self, request: Request,
                                           view: APIView) -> policy.MethodAlternatives | None:
        return getattr(view, "required_alternate_permissions", None)

    def get_required(self, request: Request, view: APIView) -> policy.Names:
        return self.get_required_permissions(request, view)

    def get_required_alternates(self, request: Request, view: APIView) -> policy.MethodAlternatives | None:
        return self.get_required_alternate_permissions(request, view)


class TokenHasAnyScope(TokenHasScope):
    """One scope of the view's `required_scopes` is enough."""

    def get_requirement(self, request: Request, view: APIView) -> policy.Requirement:
        return policy.any_of(self.get_required_scopes(request, view), "scope")

    @classmethod
    def scopes_required_by(cls, view: object) -> tuple[str, ...]:
        return ()  # one of them will do: none is needed by every request

    @classmethod
    def scopes_declared_by(cls, view: object) -> tuple[str, ...]:
        return policy.names(getattr(view, "required_scopes", ()))


class TokenHasAnyPermission(TokenHasPermission):
    """One entry of the view's `required_permissions` is enough."""

    def get_requirement(self, request: Request, view: APIView) -> policy.Requirement:
        return policy.any_of(self.get_required_permissions(request, view), "permission")


class TokenHasAcr(PolicyPermission):
    """Step-up (RFC 9470): one of the view's `required_acr_values` and/or an
    `auth_time` at most `max_auth_age` seconds old; 401
    `insufficient_user_authentication` otherwise."""

    def get_required_acr_values(self, request: Request, view: APIView) -> policy.Names:
        return getattr(view, "required_acr_values", ())

    def get_max_auth_age(self, request: Request, view: APIView) -> int | None:
        return getattr(view, "max_auth_age", None)

    def get_requirement(self, request: Request, view: APIView) -> policy.Requirement:
        return policy.step_up(self.get_required_acr_values(request, view), self.get_max_auth_age(request, view))


# -- rules with arguments, listed as instances -------------------------------------------------------------

class RulePermission(PolicyPermission):
    """A permission built with its arguments. DRF instantiates each entry of
    `permission_classes`; an instance answers that call with itself, and
    composes with `&`, `|` and `~` like a permission class."""

    requirement: policy.Requirement

    def __call__(self) -> RulePermission:
        return self

    def get_requirement(self, request: Request, view: APIView) -> policy.Requirement:
        return self.requirement

    # drf-stubs take the operator for an instance and each operand for a class; DRF
    # calls both to instantiate them, which this instance answers with itself.
    def __and__(self, other: _Operand) -> OperandHolder:
        return OperandHolder(AND, self, other)  # type: ignore[arg-type]

    def __or__(self, other: _Operand) -> OperandHolder:
        return OperandHolder(OR, self, other)  # type: ignore[arg-type]

    def __rand__(self, other: _Operand) -> OperandHolder:
        return OperandHolder(AND, other, self)  # type: ignore[arg-type]

    def __ror__(self, other: _Operand) -> OperandHolder:
        return OperandHolder(OR, other, self)  # type: ignore[arg-type]

    def __invert__(self) -> SingleOperandHolder:
        return SingleOperandHolder(NOT, self)  # type: ignore[arg-type]


class ClaimEquals(RulePermission):
    """The claim equals the value: `ClaimEquals("https://example.com/tier", "gold")`."""

    def __init__(self, claim: str, value: object, description: str | None = None) -> None:
        self.requirement = policy.ClaimEquals(claim, value, description)


class ClaimIncludes(RulePermission):
    """The array claim holds every value: `ClaimIncludes("roles", "editor")`."""

    def __init__(self, claim: str, *values: object, description: str | None = None) -> None:
        self.requirement = policy.ClaimIncludes(claim, *values, description=description)


class ClaimCheck(RulePermission):
    """`check(claims) -> bool`: `ClaimCheck(lambda claims: claims.get("email_verified") is True)`."""

    def __init__(self, check: policy.ClaimsCheck, claim: str | None = None, description: str | None = None) -> None:
        self.requirement = policy.ClaimCheck(check, claim, description)


class InOrganization(RulePermission):
    """Auth0 Organizations: `InOrganization("org_abc123")`, a list, or a
    callable / dotted path `f(request) -> str or list`."""

    def __init__(self, organization: policy.AcceptedOrganizations) -> None:
        self.requirement = policy.Organization(organization)
