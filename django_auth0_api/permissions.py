"""DRF permissions on the token's `scope` and Auth0 RBAC `permissions` claims.

A request without a verified token is left to DRF (401 with a challenge); a
token without what the view requires gets 403 `insufficient_scope`, with the
challenge of the view's client (its `api_client`, else the settings').
Sync, so they serve adrf's async views as well (README "adrf").
"""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from .conf import get_api_client
from .core.challenges import build_challenge
from .errors import InsufficientScopeError
from .verified_token import VerifiedToken


class InsufficientScope(exceptions.PermissionDenied):
    def __init__(self, error: InsufficientScopeError, options=None):
        code = error.get_error_code()
        super().__init__({"detail": error.get_error_description(), "error": code}, code)
        # DRF's exception handler sends `auth_header` as WWW-Authenticate.
        self.auth_header = build_challenge(options or get_api_client().options, error)


def missing_from(granted: frozenset[str], required) -> list[str]:
    return [item for item in required if item not in granted]


class _TokenHas(BasePermission):
    view_attribute = ""
    token_attribute = ""
    api_client = None
    missing = "Token lacks the required scope"

    def get_api_client(self, request, view):
        return getattr(view, "api_client", None) or self.api_client or get_api_client()

    def get_required(self, request, view) -> tuple[str, ...]:
        raise NotImplementedError

    def has_permission(self, request, view):
        token = request.auth
        if not isinstance(token, VerifiedToken):
            return False
        required = tuple(self.get_required(request, view))
        if missing_from(getattr(token, self.token_attribute), required):
            error = InsufficientScopeError(required, self.missing, scheme=token.scheme)
            raise InsufficientScope(error, self.get_api_client(request, view).options)
        return True


class TokenHasScope(_TokenHas):
    """Every scope of `get_required_scopes(request, view)` (the view's
    `required_scopes`) must be in the token's `scope`."""

    view_attribute = "required_scopes"
    token_attribute = "scopes"  # noqa: S105 (an attribute name, not a secret)

    def get_required_scopes(self, request, view):
        return getattr(view, self.view_attribute, ())

    def get_required(self, request, view):
        return self.get_required_scopes(request, view)

    @classmethod
    def scopes_required_by(cls, view) -> tuple[str, ...]:
        """The view's scopes, for the 401 challenge and the RFC 9728 metadata."""
        return tuple(getattr(view, cls.view_attribute, ()))


class TokenHasPermission(_TokenHas):
    """Every entry of `get_required_permissions(request, view)` (the view's
    `required_permissions`) must be in `permissions`."""

    view_attribute = "required_permissions"
    token_attribute = "permissions"  # noqa: S105 (an attribute name, not a secret)
    missing = "Token lacks the required permission"

    def get_required_permissions(self, request, view):
        return getattr(view, self.view_attribute, ())

    def get_required(self, request, view):
        return self.get_required_permissions(request, view)
