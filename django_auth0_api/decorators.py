"""`auth0_required`: a verified token (and what else the view requires) for a
plain Django view, sync or `async def` (docs/faces/views.md)."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

from asgiref.sync import iscoroutinefunction

from . import policy
from .errors import BaseAuthError, MissingAuthorizationError
from .request_auth import aauthenticate_request, attach, authenticate_request, error_response, face_client
from .view_scopes import DECORATOR_SCOPES

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponseBase, JsonResponse
    from typing_extensions import Unpack

    from .client import ApiClient
    from .verified_token import VerifiedToken

_View = TypeVar("_View", bound="Callable[..., HttpResponseBase | Awaitable[HttpResponseBase]]")
# Read by CsrfViewMiddleware on the view it is about to run.
_CSRF_EXEMPT = "csrf_exempt"
_USAGE = "use @auth0_required, or @auth0_required(scopes=[...]) with keyword arguments"


def requirement(scopes: policy.Names = (), **rules: Unpack[policy.Rules]) -> policy.Requirement:
    """What a view requires of a token (`policy.requirement`,
    docs/authorization.md): an object with `check(token, request)` that raises
    the `BaseAuthError` to answer. Shared by the decorator and ninja's
    `Auth0Bearer`; a misspelt rule is a `TypeError` where the view is defined."""
    if isinstance(scopes, str):
        scopes = (scopes,)
    if not all(isinstance(scope, str) for scope in scopes):
        raise TypeError("scopes takes a string or a list of strings")
    return policy.requirement(scopes=tuple(scopes), **rules)


@overload
def auth0_required(view: _View, *, scopes: policy.Names = (), client: ApiClient | None = None,
                   **rules: Unpack[policy.Rules]) -> _View: ...
@overload
def auth0_required(view: None = None, *, scopes: policy.Names = (), client: ApiClient | None = None,
                   **rules: Unpack[policy.Rules]) -> Callable[[_View], _View]: ...
def auth0_required(view: _View | None = None, *, scopes: policy.Names = (), client: ApiClient | None = None,
                   **rules: Unpack[policy.Rules]) -> _View | Callable[[_View], _View]:
    """Use bare (`@auth0_required`) or with keywords
    (`@auth0_required(scopes=["read:x"], client=other_api)`).

    `client` verifies for another API than `settings.AUTH0_API`. Wrong use
    (`@auth0_required("read:x")`) is a `TypeError` where the view is defined."""
    if view is not None:
        _check_view(view)
    required = requirement(scopes, **rules)
    # The view's scopes, named by a 401's challenge and the RFC 9728 metadata.
    named = (scopes,) if isinstance(scopes, str) else tuple(scopes)

    def admit(request: HttpRequest, token: VerifiedToken | None, api_client: ApiClient) -> JsonResponse | None:
        """None to run the view, or the refusal's response."""
        if token is None:
            return error_response(MissingAuthorizationError(), api_client, named)
        try:
            required.check(token, request)
        except BaseAuthError as error:
            return error_response(error.with_scheme(token.scheme), api_client)
        if getattr(request, "auth", None) is not token:  # the middleware did not run (or for another client)
            attach(request, token, api_client)
        return None

    def decorate(view_func: _View) -> _View:
        _check_view(view_func)

        if iscoroutinefunction(view_func):
            @wraps(view_func)
            async def async_wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
                api_client = client or face_client()
                try:
                    token = await aauthenticate_request(request, api_client)
                except BaseAuthError as error:
                    return error_response(error, api_client, named)
                refusal = admit(request, token, api_client)
                return refusal if refusal is not None else await view_func(request, *args, **kwargs)

            setattr(async_wrapped, DECORATOR_SCOPES, named)
            setattr(async_wrapped, _CSRF_EXEMPT, True)  # as below
            return cast(_View, async_wrapped)

        @wraps(view_func)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase | Awaitable[HttpResponseBase]:
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
        setattr(wrapped, _CSRF_EXEMPT, True)
        return cast(_View, wrapped)

    return decorate(view) if view is not None else decorate


def _check_view(candidate: object) -> None:
    if inspect.isclass(candidate):
        raise TypeError(f"auth0_required() takes a view function: decorate {candidate.__name__}.as_view(), "
                        "or a method with method_decorator")
    if not callable(candidate):
        raise TypeError(f"auth0_required() takes a view, not {type(candidate).__name__}: {_USAGE}")
