"""django-ninja: `Auth0Bearer` and `AsyncAuth0Bearer` for `auth=` on a
`NinjaAPI`, a router or an operation (docs/faces/ninja.md). Needs
`pip install django-ninja`.

    api = NinjaAPI(auth=Auth0Bearer())
    install(api)  # refusals answered with this library's body and challenge

    @api.get("/messages", auth=Auth0Bearer(scopes=["read:messages"]))

Bearer and DPoP, with the statuses and `WWW-Authenticate` of
docs/statuses.md; the outcome is shared with `Auth0Middleware` and the other faces,
so a DPoP proof is consumed once. The security scheme (Bearer, or DPoP when
required) appears in ninja's OpenAPI document.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ninja.errors import AuthenticationError
from ninja.security.base import AuthBase

from .decorators import requirement
from .errors import BaseAuthError, ConfigurationError, MissingAuthorizationError
from .request_auth import aauthenticate_request, attach, authenticate_request, error_response, face_client

if TYPE_CHECKING:
    from django.http import HttpRequest, JsonResponse
    from ninja import NinjaAPI
    from typing_extensions import Unpack

    from . import policy
    from .client import ApiClient
    from .verified_token import VerifiedToken

__all__ = ["AsyncAuth0Bearer", "Auth0Bearer", "Auth0Refusal", "install"]


class Auth0Refusal(AuthenticationError):
    """A refusal with its own status. ninja's default handler already answers
    it with that status; `install(api)` adds the body and the challenge."""

    def __init__(self, error: BaseAuthError, client: ApiClient | None) -> None:
        # A configuration error's text is for the server's log, not the client.
        message = (ConfigurationError.default_description if isinstance(error, ConfigurationError)
                   else error.get_error_description())
        super().__init__(status_code=error.get_status_code(), message=message)
        self.error = error
        self.client = client


def refusal_response(request: HttpRequest, exc: Auth0Refusal) -> JsonResponse:
    return error_response(exc.error, exc.client)


def install(api: NinjaAPI) -> None:
    """Answer `Auth0Bearer`'s refusals on `api` as every face of this library
    does: `{"error", "error_description"}`, `WWW-Authenticate`, `DPoP-Nonce`."""
    # ninja's type has a handler take the exception class or an instance; it is given the instance.
    api.add_exception_handler(Auth0Refusal, refusal_response)  # type: ignore[arg-type]


class Auth0Bearer(AuthBase):
    """`Auth0Bearer(scopes=[...], client=ApiClient(...), **rules)`.

    Without credentials (or with another scheme) it refuses with a bare
    challenge: combined with other `auth=` callbacks, put it last."""

    openapi_type = "http"
    api_client: ApiClient | None = None

    def __init__(self, scopes: policy.Names = (), *, client: ApiClient | None = None,
                 **rules: Unpack[policy.Rules]) -> None:
        self.requirement = requirement(scopes, **rules)
        if client is not None:
            self.api_client = client
        super().__init__()
        self.is_async = False

    # -- extension points ---------------------------------------------------
    def get_api_client(self, request: HttpRequest | None) -> ApiClient:
        return self.api_client or face_client()

    # ninja builds the OpenAPI scheme from this attribute: read it from the
    # client's DPoP mode when the document is built, not at import.
    @property  # type: ignore[override]
    def openapi_security_schema(self) -> dict[str, str]:
        options = self.get_api_client(None).options
        if options.dpop_enabled and options.dpop_required:
            return {"type": "http", "scheme": "DPoP",
                    "description": "An Auth0 access token bound to a DPoP proof (RFC 9449)"}
        description = "An Auth0 access token (RFC 6750)"
        if options.dpop_enabled:
            description += "; a DPoP-bound one with the DPoP scheme and a proof (RFC 9449) is accepted too"
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": description}

    @openapi_security_schema.setter
    def openapi_security_schema(self, value: dict[str, Any]) -> None:
        pass  # AuthBase.__init__ assigns one built at import time

    # -- the request ----------------------------------------------------------
    def __call__(self, request: HttpRequest) -> VerifiedToken:
        client = self.get_api_client(request)
        try:
            return self._admit(request, authenticate_request(request, client), client)
        except BaseAuthError as error:
            raise Auth0Refusal(error, client) from None

    def _admit(self, request: HttpRequest, token: VerifiedToken | None, client: ApiClient) -> VerifiedToken:
        if token is None:
            raise MissingAuthorizationError()
        try:
            self.requirement.check(token, request)
        except BaseAuthError as error:
            raise error.with_scheme(token.scheme) from None
        # `object`: mypy would narrow `token` to the `Any | None` of a bare getattr compared with `is not`.
        attached: object = getattr(request, "auth", None)
        if attached is not token:
            attach(request, token, client)
        return token


class AsyncAuth0Bearer(Auth0Bearer):
    """`Auth0Bearer` for async operations: verifies without blocking the loop."""

    def __init__(self, scopes: policy.Names = (), *, client: ApiClient | None = None,
                 **rules: Unpack[policy.Rules]) -> None:
        super().__init__(scopes, client=client, **rules)
        self.is_async = True

    # ninja awaits the callback of an `is_async` auth.
    async def __call__(self, request: HttpRequest) -> VerifiedToken:  # type: ignore[override]
        client = self.get_api_client(request)
        try:
            return self._admit(request, await aauthenticate_request(request, client), client)
        except BaseAuthError as error:
            raise Auth0Refusal(error, client) from None
