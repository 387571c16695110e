"""drf-spectacular support: the OpenAPI security schemes of `Auth0Authentication`.

Imported by `AppConfig.ready()` only when drf-spectacular is installed (defining the
extension class registers it). The schemes follow the DPoP mode: allowed mode
declares `Auth0Bearer` (HTTP `bearer`, RFC 6750) and `Auth0DPoP` (HTTP `DPoP`,
RFC 9449, whose proof travels in the `DPoP` header) as alternatives, required mode
only `Auth0DPoP`, off mode only `Auth0Bearer`.

Each operation's requirement lists the scopes its view demands through
`TokenHasScope` (`required_scopes`, all of them), so generated clients and readers
see them. OpenAPI 3.1 allows such role lists on non-OAuth schemes; 3.0 validators
accept them too (the list is an array of strings either way).
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.permissions import AND

from .conf import get_options
from .core.challenges import offered_schemes
from .permissions import TokenHasScope

BEARER_SCHEME = "Auth0Bearer"
DPOP_SCHEME = "Auth0DPoP"

_DEFINITIONS = {
    "Bearer": (BEARER_SCHEME, {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "An Auth0 access token: `Authorization: Bearer <token>` (RFC 6750).",
    }),
    "DPoP": (DPOP_SCHEME, {
        "type": "http", "scheme": "DPoP", "bearerFormat": "JWT",
        "description": "A DPoP-bound Auth0 access token: `Authorization: DPoP <token>`, with a proof "
                       "for each request in the `DPoP` header (RFC 9449).",
    }),
}


def required_scopes(view) -> list[str]:
    """The scopes `TokenHasScope` makes the view require (none without it)."""
    def requires_scopes(permission) -> bool:
        if isinstance(permission, TokenHasScope):
            return True
        if isinstance(permission, AND):  # `IsAuthenticated & TokenHasScope`
            return any(requires_scopes(getattr(permission, name, None)) for name in ("op1", "op2"))
        return False

    try:
        permissions = view.get_permissions()
    except Exception:  # a view whose permissions need a real request: document no scopes
        return []
    if not any(requires_scopes(permission) for permission in permissions):
        return []
    return [str(scope) for scope in getattr(view, "required_scopes", ())]


class Auth0AuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "django_auth0_api.authentication.Auth0Authentication"
    match_subclasses = True
    name = [BEARER_SCHEME, DPOP_SCHEME]

    def __init__(self, target):
        super().__init__(target)
        self._schemes = offered_schemes(get_options())
        self.name = [_DEFINITIONS[scheme][0] for scheme in self._schemes]

    def get_security_definition(self, auto_schema):
        return [dict(_DEFINITIONS[scheme][1]) for scheme in self._schemes]

    def get_security_requirement(self, auto_schema):
        scopes = required_scopes(auto_schema.view)
        return [{name: list(scopes)} for name in self.name]  # alternatives: either scheme will do
