"""drf-spectacular support: the OpenAPI security schemes of `Auth0Authentication`.

Imported by `AppConfig.ready()` only when drf-spectacular is installed (defining the
extension class registers it). The schemes follow the DPoP mode: allowed mode
declares `Auth0Bearer` (HTTP `bearer`, RFC 6750) and `Auth0DPoP` (HTTP `DPoP`,
RFC 9449, whose proof travels in the `DPoP` header) as alternatives, required mode
only `Auth0DPoP`, off mode only `Auth0Bearer`.

Each operation's requirement lists the scopes its view demands through
`TokenHasScope` (`required_scopes`, all of them), `TokenHasAnyScope` (one of
them) or `required_alternate_scopes` (per method), one requirement per
alternative, so generated clients and readers see them. OpenAPI 3.1 allows
such role lists on non-OAuth schemes; 3.0 validators accept them too (the list is an array of strings either way).
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.permissions import AND

from . import policy
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


def _scope_permissions(permission):
    """The scope rules among a view's permissions, through `A & B`."""
    if isinstance(permission, TokenHasScope):
        yield permission
    elif isinstance(permission, AND):  # `IsAuthenticated & TokenHasScope`
        for name in ("op1", "op2"):
            yield from _scope_permissions(getattr(permission, name, None))


def _alternatives(rule, method) -> list[tuple[str, ...]]:
    if isinstance(rule, policy.PerMethod):
        rule = rule.for_method(method)
    if isinstance(rule, policy.Grants) and not isinstance(rule, policy.PermissionGrants):
        return list(rule.alternatives)
    return [()]


def scope_alternatives(view, method: str | None = None) -> list[tuple[str, ...]]:
    """The scope sets, any one of which lets a request through the view's
    `TokenHasScope` rules (`TokenHasAnyScope` and `required_alternate_scopes`
    included) for `method`; `[()]` when they require none."""
    try:
        permissions = view.get_permissions()
        rules = [p.get_requirement(getattr(view, "request", None), view)
                 for permission in permissions for p in _scope_permissions(permission)]
    except Exception:  # permissions that need a real request: document no scopes
        return [()]
    combined: list[tuple[str, ...]] = [()]
    for rule in rules:  # every rule must pass: each alternative of one with each of the next
        combined = [tuple(dict.fromkeys((*left, *right))) for left in combined for right in _alternatives(rule, method)]
    return combined or [()]


def required_scopes(view, method: str | None = None) -> list[str]:
    """The scopes of the first alternative (all of them, for `TokenHasScope`)."""
    return [str(scope) for scope in scope_alternatives(view, method)[0]]


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
        # Alternatives (OpenAPI security requirements are ORed): either scheme, with
        # any one of the scope sets the operation accepts.
        alternatives = scope_alternatives(auto_schema.view, getattr(auto_schema, "method", None))
        return [{name: list(scopes)} for scopes in alternatives for name in self.name]
