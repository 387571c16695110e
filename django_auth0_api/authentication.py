"""`Auth0Authentication`: the DRF authentication class."""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from .core.challenges import build_challenge
from .errors import BaseAuthError, ServiceUnavailableError
from .request_auth import (
    MisconfiguredError,
    authenticate_request,
    challenge_options,
    challenge_scopes,
    failure_of,
    user_for,
)


def drf_detail(description: str, code: str | None):
    """DRF's `{"detail"}`, plus the README table's `error` code when there is one."""
    return {"detail": description, "error": code} if code else description


class AuthenticationRefused(exceptions.AuthenticationFailed):
    """A refusal that keeps its own status (400 or 401) and challenge."""

    def __init__(self, error: BaseAuthError, scopes=()):
        code = error.get_error_code()
        super().__init__(drf_detail(error.get_error_description(), code), code or "not_authenticated")
        self.status_code = error.get_status_code()
        headers = error.get_headers(challenge_options(), scopes)
        self._challenge = headers.get("WWW-Authenticate")
        self.dpop_nonce = headers.get("DPoP-Nonce")

    # DRF overwrites `auth_header` with the first authentication class's bare
    # challenge; the one built for this very error is the right one.
    @property
    def auth_header(self):
        return self._challenge

    @auth_header.setter
    def auth_header(self, value):
        pass


class VerificationUnavailable(exceptions.APIException):
    status_code = 503
    default_code = "temporarily_unavailable"

    def __init__(self, error: ServiceUnavailableError):
        super().__init__(drf_detail(error.get_error_description(), self.default_code))
        self.wait = error.retry_after  # DRF turns this into Retry-After


class AuthenticationMisconfigured(exceptions.APIException):
    """AUTH0_API is unusable: 500 with a fixed description (the reason is logged)."""

    status_code = 500
    default_code = "server_error"

    def __init__(self, error: MisconfiguredError):
        super().__init__(drf_detail(error.get_error_description(), self.default_code))


def as_drf_exception(error: BaseAuthError, scopes=()) -> exceptions.APIException:
    if isinstance(error, MisconfiguredError):
        return AuthenticationMisconfigured(error)
    if isinstance(error, ServiceUnavailableError):
        return VerificationUnavailable(error)
    return AuthenticationRefused(error, scopes)


class Auth0Authentication(BaseAuthentication):
    def authenticate(self, request):
        try:
            token = authenticate_request(request)
        except BaseAuthError as error:
            raise as_drf_exception(error, challenge_scopes(request, error)) from None
        if token is None:
            return None  # no credentials or another scheme: other classes may run
        return user_for(request, token), token

    def authenticate_header(self, request):
        return build_challenge(challenge_options(), failure_of(request), challenge_scopes(request))
