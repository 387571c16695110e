"""DRF permissions on the token's `scope` and Auth0 RBAC `permissions` claims.

A request without a verified token is left to DRF (401 with a challenge); a
token without what the view requires gets 403 `insufficient_scope`.
"""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from .conf import get_options
from .core.challenges import build_challenge
from .errors import InsufficientScopeError
from .verified_token import VerifiedToken


class InsufficientScope(exceptions.PermissionDenied):
    def __init__(self, error: InsufficientScopeError):
        super().__init__(error.get_error_description(), error.get_error_code())
        # DRF's exception handler sends `auth_header` as WWW-Authenticate.
        self.auth_header = build_challenge(get_options(), error)


def missing_from(granted: frozenset[str], required) -> list[str]:
    return [item for item in required if item not in granted]


class _TokenHas(BasePermission):
    view_attribute = ""
    token_attribute = ""

    def has_permission(self, request, view):
        token = request.auth
        if not isinstance(token, VerifiedToken):
            return False
        required = tuple(getattr(view, self.view_attribute, ()))
        if missing_from(getattr(token, self.token_attribute), required):
            raise InsufficientScope(InsufficientScopeError(required, scheme=token.scheme))
        return True


class TokenHasScope(_TokenHas):
    """Every scope in the view's `required_scopes` must be in the token's `scope`."""

    view_attribute = "required_scopes"
    token_attribute = "scopes"  # noqa: S105 (an attribute name, not a secret)

    @classmethod
    def scopes_required_by(cls, view) -> tuple[str, ...]:
        """The view's scopes, for the 401 challenge and the RFC 9728 metadata."""
        return tuple(getattr(view, cls.view_attribute, ()))


class TokenHasPermission(_TokenHas):
    """Every entry of the view's `required_permissions` must be in `permissions`."""

    view_attribute = "required_permissions"
    token_attribute = "permissions"  # noqa: S105 (an attribute name, not a secret)
