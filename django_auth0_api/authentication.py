"""`Auth0Authentication`: the DRF authentication class (docs/faces/drf.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from .errors import BaseAuthError, ConfigurationError, ServiceUnavailableError
from .request_auth import (
    MisconfiguredError,
    authenticate_request,
    challenge_scopes,
    configuration_failure,
    face_client,
    failure_of,
    headers_of,
    user_for,
)

if TYPE_CHECKING:
    from rest_framework.request import Request

    from .client import ApiClient
    from .verified_token import VerifiedToken


def drf_detail(description: str, code: str | None) -> dict[str, str] | str:
    """DRF's `{"detail"}`, plus the `error` code of docs/statuses.md when there is one."""
    return {"detail": description, "error": code} if code else description


class AuthenticationRefused(exceptions.AuthenticationFailed):
    """A refusal that keeps its own status (400 or 401) and challenge."""

    def __init__(self, error: BaseAuthError, client: ApiClient | None = None, scopes: Sequence[str] = ()) -> None:
        code = error.get_error_code()
        super().__init__(drf_detail(error.get_error_description(), code), code or "not_authenticated")
        self.status_code = error.get_status_code()
        headers = headers_of(error, client, scopes)
        self._challenge = headers.get("WWW-Authenticate")
        self.dpop_nonce = headers.get("DPoP-Nonce")

    # DRF overwrites `auth_header` with the first authentication class's bare
    # challenge; the one built for this very error is the right one.
    @property
    def auth_header(self) -> str | None:
        return self._challenge

    @auth_header.setter
    def auth_header(self, value: str | None) -> None:
        pass


class VerificationUnavailable(exceptions.APIException):
    status_code = 503
    default_code = "temporarily_unavailable"

    def __init__(self, error: ServiceUnavailableError) -> None:
        super().__init__(drf_detail(error.get_error_description(), self.default_code))
        self.wait = error.retry_after  # DRF turns this into Retry-After


class AuthenticationMisconfigured(exceptions.APIException):
    """AUTH0_API is unusable: 500 with a fixed description (the reason is logged)."""

    status_code = 500
    default_code = "server_error"

    def __init__(self, error: MisconfiguredError) -> None:
        super().__init__(drf_detail(error.get_error_description(), self.default_code))


def as_drf_exception(error: BaseAuthError, client: ApiClient | None = None,
                     scopes: Sequence[str] = ()) -> exceptions.APIException:
    if isinstance(error, ConfigurationError):  # its text is for the log, not the client
        error = configuration_failure(error)
    if isinstance(error, MisconfiguredError):
        return AuthenticationMisconfigured(error)
    if isinstance(error, ServiceUnavailableError):
        return VerificationUnavailable(error)
    return AuthenticationRefused(error, client, scopes)


def refusal_of(request: Request, error: BaseAuthError, client: ApiClient) -> exceptions.APIException:
    """What the DRF and adrf classes raise for a refused request: a 401's
    challenge names the view's scopes (`challenge_scopes`)."""
    return as_drf_exception(error, client, challenge_scopes(request, error, client=client))


def client_of_view(request: Request, default: ApiClient | None = None) -> ApiClient:
    """The view's `api_client` attribute when it has one, else `default`, else
    the settings' client."""
    context = getattr(request, "parser_context", None)
    client = getattr(context.get("view"), "api_client", None) if context else None
    return client or default or face_client()


class Auth0Authentication(BaseAuthentication):
    """Set `api_client = ApiClient(...)` on a subclass or on the view (or
    override `get_api_client`) to verify for another API than
    `settings.AUTH0_API`; override `get_user` to choose `request.user`."""

    api_client: ApiClient | None = None

    def get_api_client(self, request: Request) -> ApiClient:
        return client_of_view(request, self.api_client)

    def get_user(self, request: Request, token: VerifiedToken) -> object:
        return user_for(request, token, self.get_api_client(request))

    def authenticate(self, request: Request) -> tuple[object, VerifiedToken] | None:
        # The default steps written out (this runs on every request), unless a
        # subclass or the instance sets its own.
        if getattr(self.get_api_client, "__func__", None) is _default_get_api_client:
            client = client_of_view(request, self.api_client)
        else:
            client = self.get_api_client(request)
        try:
            token = authenticate_request(request, client)
        except BaseAuthError as error:
            raise refusal_of(request, error, client) from None
        if token is None:
            return None  # no credentials or another scheme: other classes may run
        if getattr(self.get_user, "__func__", None) is _default_get_user:
            return user_for(request, token, client), token  # without looking up the client again
        return self.get_user(request, token), token

    def authenticate_header(self, request: Request) -> str | None:
        client = self.get_api_client(request)
        failure = failure_of(request, client)
        if isinstance(failure, (ConfigurationError, MisconfiguredError)):
            return None  # a 500, not a challenge
        scopes = challenge_scopes(request, client=client)
        if failure is not None and failure.challenge is not None:
            return failure.challenge(failure, scopes)
        return client.challenge(failure, scopes)


_default_get_api_client = Auth0Authentication.get_api_client
_default_get_user = Auth0Authentication.get_user
