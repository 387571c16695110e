"""drf-spectacular support: the OpenAPI security schemes of `Auth0Authentication`.

Imported by `AppConfig.ready()` only when drf-spectacular is installed (defining the
extension class registers it). The schemes follow the DPoP mode: allowed mode
declares `Auth0Bearer` (HTTP `bearer`, RFC 6750) and `Auth0DPoP` (HTTP `DPoP`,
RFC 9449, whose proof travels in the `DPoP` header) as alternatives, required mode
only `Auth0DPoP`, off mode only `Auth0Bearer`. `bearerFormat` goes on the bearer
scheme only: OpenAPI defines it for `bearer` alone.

Where a Bearer token is taken and `DOMAIN` names the tenant, `Auth0Login`
(`openIdConnect`, the tenant's discovery document) is a third alternative: Swagger
UI logs in through Auth0 with it (README "OpenAPI").

Each operation's requirement lists what its view demands: the scopes of
`TokenHasScope` (`required_scopes`) and the permissions of `TokenHasPermission`
(`required_permissions`), all of them, so generated clients and readers see them.
OpenAPI 3.1 allows such role lists on non-OAuth schemes; 3.0 validators accept them
too (the list is an array of strings either way).
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.permissions import AND

from .conf import get_options
from .core.challenges import offered_schemes
from .permissions import TokenHasPermission, TokenHasScope

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


def _required(view, permission_class, attribute: str) -> list[str]:
    """What `permission_class` makes the view require, from `attribute` (none without it)."""
    def applies(permission) -> bool:
        if isinstance(permission, permission_class):
            return True
        if isinstance(permission, AND):  # `IsAuthenticated & TokenHasScope`
            return any(applies(getattr(permission, name, None)) for name in ("op1", "op2"))
        return False

    try:
        permissions = view.get_permissions()
    except Exception:  # a view whose permissions need a real request: document nothing
        return []
    if not any(applies(permission) for permission in permissions):
        return []
    return [str(item) for item in getattr(view, attribute, ())]


def required_scopes(view) -> list[str]:
    """The scopes `TokenHasScope` makes the view require (none without it)."""
    return _required(view, TokenHasScope, "required_scopes")


def required_permissions(view) -> list[str]:
    """The Auth0 RBAC permissions `TokenHasPermission` makes the view require."""
    return _required(view, TokenHasPermission, "required_permissions")


def login_scheme(options) -> dict | None:
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

    def __init__(self, target):
        super().__init__(target)
        options = get_options()
        self._schemes = offered_schemes(options)
        self._login = login_scheme(options)
        self.name = [_DEFINITIONS[scheme][0] for scheme in self._schemes] + ([LOGIN_SCHEME] if self._login else [])

    def get_security_definition(self, auto_schema):
        definitions = [dict(_DEFINITIONS[scheme][1]) for scheme in self._schemes]
        return definitions + ([dict(self._login)] if self._login else [])

    def get_security_requirement(self, auto_schema):
        roles = required_scopes(auto_schema.view) + required_permissions(auto_schema.view)
        return [{name: list(roles)} for name in self.name]  # alternatives: any scheme will do
