"""`auth0_required`: a verified token (and what else the view requires) for a
plain Django view, sync or `async def` (README "Plain Django views")."""

from __future__ import annotations

import importlib.util
import inspect
from functools import wraps
from typing import TYPE_CHECKING

from asgiref.sync import iscoroutinefunction

from .errors import BaseAuthError, InsufficientScopeError, MissingAuthorizationError
from .permissions import missing_from
from .request_auth import aauthenticate_request, attach, authenticate_request, error_response, face_client
from .view_scopes import DECORATOR_SCOPES

if TYPE_CHECKING:
    from .client import ApiClient

_USAGE = "use @auth0_required, or @auth0_required(scopes=[...]) with keyword arguments"


class _Scopes:
    """Every scope in `required` must be in the token's `scope`."""

    def __init__(self, required: tuple[str, ...]):
        self.required = required

    def check(self, token) -> None:
        if missing_from(token.scopes, self.required):
            raise InsufficientScopeError(self.required, scheme=token.scheme)


def requirement(scopes=(), **rules):
    """What a view requires of a token, as an object with `check(token)` that
    raises a `BaseAuthError` (shared by the decorator and ninja's `Auth0Bearer`)."""
    if isinstance(scopes, str):
        scopes = (scopes,)
    if not all(isinstance(scope, str) for scope in scopes):
        raise TypeError("scopes takes a string or a list of strings")
    scopes = tuple(scopes)
    # `django_auth0_api.policy`, when present, knows the richer rules
    # (any-of scopes, permissions, acr, max_age, claims); without it only
    # scopes are understood.
    if importlib.util.find_spec(f"{__package__}.policy") is not None:
        policy = importlib.import_module(f"{__package__}.policy")
        return policy.requirement(scopes=scopes, **rules)
    if rules:
        raise TypeError(f"unexpected keyword arguments: {', '.join(sorted(rules))}")
    return _Scopes(scopes)


def auth0_required(view=None, *, scopes=(), client: ApiClient | None = None, **rules):
    """Use bare (`@auth0_required`) or with keywords
    (`@auth0_required(scopes=["read:x"], client=other_api)`).

    `client` verifies for another API than `settings.AUTH0_API`. Wrong use
    (`@auth0_required("read:x")`) is a `TypeError` where the view is defined."""
    if view is not None:
        _check_view(view)
    required = requirement(scopes, **rules)
    # The view's scopes, named by a 401's challenge and the RFC 9728 metadata.
    named = (scopes,) if isinstance(scopes, str) else tuple(scopes)

    def admit(request, token, api_client):
        """None to run the view, or the refusal's response."""
        if token is None:
            return error_response(MissingAuthorizationError(), api_client, named)
        try:
            required.check(token)
        except BaseAuthError as error:
            return error_response(error.with_scheme(token.scheme), api_client)
        if getattr(request, "auth", None) is not token:  # the middleware did not run (or for another client)
            attach(request, token, api_client)
        return None

    def decorate(view_func):
        _check_view(view_func)

        if iscoroutinefunction(view_func):
            @wraps(view_func)
            async def async_wrapped(request, *args, **kwargs):
                api_client = client or face_client()
                try:
                    token = await aauthenticate_request(request, api_client)
                except BaseAuthError as error:
                    return error_response(error, api_client, named)
                refusal = admit(request, token, api_client)
                return refusal if refusal is not None else await view_func(request, *args, **kwargs)

            setattr(async_wrapped, DECORATOR_SCOPES, named)
            async_wrapped.csrf_exempt = True  # as below
            return async_wrapped

        @wraps(view_func)
        def wrapped(request, *args, **kwargs):
            api_client = client or face_client()
            try:
                token = authenticate_request(request, api_client)
            except BaseAuthError as error:
                return error_response(error, api_client, named)
            refusal = admit(request, token, api_client)
            return refusal if refusal is not None else view_func(request, *args, **kwargs)

        setattr(wrapped, DECORATOR_SCOPES, named)
        # CsrfViewMiddleware looks before the view runs: a request reaches the view
        # only with a verified token, which no forged request carries (request_auth.exempt_from_csrf).
        wrapped.csrf_exempt = True
        return wrapped

    return decorate(view) if view is not None else decorate


def _check_view(candidate) -> None:
    if inspect.isclass(candidate):
        raise TypeError(f"auth0_required() takes a view function: decorate {candidate.__name__}.as_view(), "
                        "or a method with method_decorator")
    if not callable(candidate):
        raise TypeError(f"auth0_required() takes a view, not {type(candidate).__name__}: {_USAGE}")
