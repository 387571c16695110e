"""`Auth0Middleware`: Bearer and DPoP for plain Django views, under WSGI or ASGI.

Place it after `AuthenticationMiddleware`: a verified token then wins over
the session user. A request without credentials passes with `request.auth`
None; a bad one is answered here with its status and challenge.

Sync and async capable (docs/deployment.md, "ASGI"): under an async handler a warm
request is verified on the event loop, and blocking work (a key fetch, the
DPoP replay `add`) runs off it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.utils.cache import patch_vary_headers

from .core.nonces import current_nonce
from .core.protected_resource import WELL_KNOWN_PREFIX
from .errors import ApiError, BaseAuthError, ConfigurationError
from .request_auth import (
    aauthenticate_request,
    attach,
    authenticate_request,
    challenge_scopes,
    configuration_failure,
    error_response,
    exchange_failure_response,
    expose_challenge,
    face_client,
    user_for,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from django.http import HttpRequest, HttpResponseBase, JsonResponse

    from .client import ApiClient
    from .verified_token import VerifiedToken


class Auth0Middleware:
    """Subclass with `api_client = ApiClient(...)` (or override
    `get_api_client`) to verify for another API than `settings.AUTH0_API`."""

    sync_capable = True
    async_capable = True
    api_client: ApiClient | None = None

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase | Awaitable[HttpResponseBase]]) -> None:
        # A response, or an awaitable of one when is_async: mypy cannot tell which.
        self.get_response: Callable[[HttpRequest], Any] = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    # -- extension points ---------------------------------------------------
    def get_api_client(self, request: HttpRequest) -> ApiClient:
        return self.api_client or face_client()

    def get_user(self, request: HttpRequest, token: VerifiedToken) -> object:
        """`request.user` for a verified token (resolved lazily, once)."""
        return user_for(request, token, self.get_api_client(request))

    # -- the request ----------------------------------------------------------
    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self.__acall__(request)
        if request.path_info.startswith(WELL_KNOWN_PREFIX):
            # RFC 9728 metadata is how a client learns to get a token: never refuse it over a bad one.
            request.auth = None  # type: ignore[attr-defined]  # DRF's attribute, on a plain HttpRequest too
            return self.get_response(request)
        client = self.get_api_client(request)
        try:
            token = authenticate_request(request, client)
        except BaseAuthError as error:
            return self._refused(request, error, client)
        self._admit(request, token, client)
        return self._finish(self.get_response(request), token, client)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path_info.startswith(WELL_KNOWN_PREFIX):
            request.auth = None  # type: ignore[attr-defined]  # DRF's attribute, on a plain HttpRequest too
            return await self.get_response(request)
        client = self.get_api_client(request)
        try:
            token = await aauthenticate_request(request, client)
        except BaseAuthError as error:
            return self._refused(request, error, client)
        self._admit(request, token, client)
        return self._finish(await self.get_response(request), token, client)

    def _admit(self, request: HttpRequest, token: VerifiedToken | None, client: ApiClient) -> None:
        if token is None:
            request.auth = None  # type: ignore[attr-defined]  # DRF's attribute, on a plain HttpRequest too
        else:
            attach(request, token, client, self.get_user)

    def _refused(self, request: HttpRequest, error: BaseAuthError, client: ApiClient | None) -> JsonResponse:
        response = error_response(error, client, challenge_scopes(request, error, client=client))
        patch_vary_headers(response, ("Authorization",))
        return response

    def _finish(self, response: HttpResponseBase, token: VerifiedToken | None, client: ApiClient) -> HttpResponseBase:
        if token is not None and token.scheme == "DPoP" and client.options.dpop_nonce:
            # Hand out the next nonce before the client's one goes stale.
            response.headers.setdefault("DPoP-Nonce", current_nonce())
        patch_vary_headers(response, ("Authorization",))
        expose_challenge(response)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> JsonResponse | None:
        # A token exchange that failed inside a plain view: 502/503/504, as
        # `django_auth0_api.drf.exception_handler` answers for DRF views.
        if isinstance(exception, ApiError):
            return exchange_failure_response(exception)
        if isinstance(exception, ConfigurationError):  # e.g. get_api_client() in the view
            return error_response(configuration_failure(exception))
        return None
