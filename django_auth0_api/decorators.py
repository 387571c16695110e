"""`auth0_required`: a verified token (and scopes) for a plain Django view."""

from __future__ import annotations

from functools import wraps

from .errors import BaseAuthError, InsufficientScopeError, MissingAuthorizationError
from .permissions import missing_from
from .request_auth import attach, authenticate_request, error_response
from .view_scopes import DECORATOR_SCOPES


def auth0_required(view=None, *, scopes=()):
    """Use bare (`@auth0_required`) or with scopes (`@auth0_required(scopes=["read:x"])`)."""
    required = tuple([scopes] if isinstance(scopes, str) else scopes)

    def decorate(view_func):
        @wraps(view_func)
        def wrapped(request, *args, **kwargs):
            try:
                token = authenticate_request(request)
            except BaseAuthError as error:
                return error_response(error, required)
            if token is None:
                return error_response(MissingAuthorizationError(), required)
            if missing_from(token.scopes, required):
                return error_response(InsufficientScopeError(required, scheme=token.scheme))
            if getattr(request, "auth", None) is not token:  # the middleware did not run
                attach(request, token)
            return view_func(request, *args, **kwargs)

        setattr(wrapped, DECORATOR_SCOPES, required)  # read by the 401 challenge and the RFC 9728 metadata
        return wrapped

    return decorate(view) if view is not None else decorate
