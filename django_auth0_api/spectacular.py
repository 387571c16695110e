"""drf-spectacular support: the OpenAPI security schemes of `Auth0Authentication`.

Imported by `AppConfig.ready()` only when drf-spectacular is installed (defining the
extension class registers it). The schemes follow the DPoP mode: allowed mode
declares `Auth0Bearer` (HTTP `bearer`, RFC 6750) and `Auth0DPoP` (HTTP `DPoP`,
RFC 9449, whose proof travels in the `DPoP` header) as alternatives, required mode
only `Auth0DPoP`, off mode only `Auth0Bearer`. `bearerFormat` goes on the bearer
scheme only: OpenAPI defines it for `bearer` alone.

Where a Bearer token is taken and `DOMAIN` names the tenant, `Auth0Login`
(`openIdConnect`, the tenant's discovery document) is a third alternative: Swagger
UI logs in through Auth0 with it (docs/faces/drf.md, "OpenAPI").

Each operation's requirements list what its view demands: the scopes of
`TokenHasScope` (`required_scopes`, all of them), `TokenHasAnyScope` (one of them)
or `required_alternate_scopes` (per method), one requirement per alternative, each
with the permissions of `TokenHasPermission` (`required_permissions`), so generated
clients and readers see them. OpenAPI 3.1 allows such role lists on non-OAuth
schemes; 3.0 validators accept them too (the list is an array of strings either way).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.permissions import AND

from . import policy
from .conf import get_options
from .core.challenges import offered_schemes
from .permissions import TokenHasPermission, TokenHasScope

if TYPE_CHECKING:
    from drf_spectacular.openapi import AutoSchema
    from rest_framework.views import APIView

    from .authentication import Auth0Authentication
    from .options import ApiClientOptions

BEARER_SCHEME = "Auth0Bearer"
DPOP_SCHEME = "Auth0DPoP"
LOGIN_SCHEME = "Auth0Login"

_DEFINITIONS = {
    "Bearer": (BEARER_SCHEME, {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "An Auth0 access token: `Authorization: Bearer <token>` (RFC 6750).",
    }),
    "DPoP": (DPOP_SCHEME, {
        "type": "http", "scheme": "DPoP",
        "description": "A DPoP-bound Auth0 access token: `Authorization: DPoP <token>`, with a proof "
                       "for each request in the `DPoP` header (RFC 9449).",
    }),
}


def _scope_permissions(permission: object) -> Iterator[TokenHasScope]:
    """The scope rules among a view's permissions, through `A & B`."""
    if isinstance(permission, TokenHasScope):
        yield permission
    elif isinstance(permission, AND):  # `IsAuthenticated & TokenHasScope`
        for name in ("op1", "op2"):
            yield from _scope_permissions(getattr(permission, name, None))


def _alternatives(rule: policy.Requirement, method: str | None) -> list[tuple[str, ...]]:
    if isinstance(rule, policy.PerMethod):
        rule = rule.for_method(method)
    if isinstance(rule, policy.Grants) and not isinstance(rule, policy.PermissionGrants):
        return list(rule.alternatives)
    return [()]


def scope_alternatives(view: APIView, method: str | None = None) -> list[tuple[str, ...]]:
    """The scope sets, any one of which lets a request through the view's
    `TokenHasScope` rules (`TokenHasAnyScope` and `required_alternate_scopes`
    included) for `method`; `[()]` when they require none."""
    try:
        permissions = view.get_permissions()
        # None when the generator gave the view no request; a rule that reads it fails into the except.
        rules = [p.get_requirement(getattr(view, "request", None), view)  # type: ignore[arg-type]
                 for permission in permissions for p in _scope_permissions(permission)]
    except Exception:  # permissions that need a real request: document no scopes
        return [()]
    combined: list[tuple[str, ...]] = [()]
    for rule in rules:  # every rule must pass: each alternative of one with each of the next
        combined = [tuple(dict.fromkeys((*left, *right))) for left in combined for right in _alternatives(rule, method)]
    return combined or [()]


def required_scopes(view: APIView, method: str | None = None) -> list[str]:
    """The scopes of the first alternative (all of them, for `TokenHasScope`)."""
    return [str(scope) for scope in scope_alternatives(view, method)[0]]


def required_permissions(view: APIView) -> list[str]:
    """The Auth0 RBAC permissions `TokenHasPermission` makes the view require."""
    def applies(permission: object) -> bool:
        if isinstance(permission, TokenHasPermission):
            return True
        if isinstance(permission, AND):  # `IsAuthenticated & TokenHasPermission`
            return any(applies(getattr(permission, name, None)) for name in ("op1", "op2"))
        return False

    try:
        permissions = view.get_permissions()
    except Exception:  # a view whose permissions need a real request: document nothing
        return []
    if not any(applies(permission) for permission in permissions):
        return []
    return [str(item) for item in getattr(view, "required_permissions", ())]


def login_scheme(options: ApiClientOptions) -> dict[str, str] | None:
    """`openIdConnect` at the tenant's discovery document, for a tool such as
    Swagger UI to get a Bearer token from Auth0; None without a single DOMAIN or
    when Bearer tokens are refused (required DPoP mode)."""
    if not options.issuer or "Bearer" not in offered_schemes(options):
        return None
    return {"type": "openIdConnect", "openIdConnectUrl": options.issuer + ".well-known/openid-configuration",
            "description": "Log in through the Auth0 tenant (authorization code with PKCE); ask for this "
                           "API's audience to get an access token for it."}


class Auth0AuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "django_auth0_api.authentication.Auth0Authentication"
    match_subclasses = True
    name = [BEARER_SCHEME, DPOP_SCHEME]

    def __init__(self, target: Auth0Authentication) -> None:
        super().__init__(target)
        options = get_options()
        self._schemes = offered_schemes(options)
        self._login = login_scheme(options)
        self.name = [_DEFINITIONS[scheme][0] for scheme in self._schemes] + ([LOGIN_SCHEME] if self._login else [])

    def get_security_definition(self, auto_schema: AutoSchema) -> list[dict[str, str]]:
        definitions = [dict(_DEFINITIONS[scheme][1]) for scheme in self._schemes]
        return definitions + ([dict(self._login)] if self._login else [])

    def get_security_requirement(self, auto_schema: AutoSchema) -> list[dict[str, list[str]]]:
        # Alternatives (OpenAPI security requirements are ORed): any scheme, with
        # any one of the scope sets the operation accepts, and its permissions.
        alternatives = scope_alternatives(auto_schema.view, getattr(auto_schema, "method", None))
        permissions = required_permissions(auto_schema.view)
        return [{name: [*scopes, *permissions]} for scopes in alternatives for name in self.name]
