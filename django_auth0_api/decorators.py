"""`auth0_required`: a verified token (and the view's rules) for a plain Django view."""

from __future__ import annotations

from functools import wraps

from . import policy
from .errors import BaseAuthError, MissingAuthorizationError
from .request_auth import attach, authenticate_request, error_response


def auth0_required(view=None, *, scopes=(), **rules):
    """Use bare (`@auth0_required`) or with rules (`@auth0_required(scopes=["read:x"])`).

    The rules are `policy.requirement`'s (README "Authorization rules"):
    `scopes`, `any_scopes`, `permissions`, `any_permissions`, `alternate_scopes`,
    `alternate_permissions`, `organization`, `claims`, `check`, `acr_values`,
    `max_age`. A bad rule is a `TypeError` here, when the view is decorated.
    """
    requirement = policy.requirement(scopes=scopes, **rules)

    def decorate(view_func):
        @wraps(view_func)
        def wrapped(request, *args, **kwargs):
            try:
                token = authenticate_request(request)
            except BaseAuthError as error:
                return error_response(error)
            if token is None:
                return error_response(MissingAuthorizationError())
            try:
                requirement.check(token, request)
            except BaseAuthError as error:
                return error_response(error)
            if getattr(request, "auth", None) is not token:  # the middleware did not run
                attach(request, token)
            return view_func(request, *args, **kwargs)

        return wrapped

    return decorate(view) if view is not None else decorate
