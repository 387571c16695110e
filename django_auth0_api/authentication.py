"""`Auth0Authentication`: the DRF authentication class."""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from .conf import get_options
from .core.challenges import build_challenge
from .errors import BaseAuthError, ServiceUnavailableError
from .request_auth import authenticate_request, failure_of, user_for


class AuthenticationRefused(exceptions.AuthenticationFailed):
    """A refusal that keeps its own status (400 or 401) and challenge."""

    def __init__(self, error: BaseAuthError):
        super().__init__(error.get_error_description(), error.get_error_code() or "not_authenticated")
        self.status_code = error.get_status_code()
        headers = error.get_headers(get_options())
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
        super().__init__(error.get_error_description())
        self.wait = error.retry_after  # DRF turns this into Retry-After


def as_drf_exception(error: BaseAuthError) -> exceptions.APIException:
    if isinstance(error, ServiceUnavailableError):
        return VerificationUnavailable(error)
    return AuthenticationRefused(error)


class Auth0Authentication(BaseAuthentication):
    def authenticate(self, request):
        try:
            token = authenticate_request(request)
        except BaseAuthError as error:
            raise as_drf_exception(error) from None
        if token is None:
            return None  # no credentials or another scheme: other classes may run
        return user_for(request, token), token

    def authenticate_header(self, request):
        return build_challenge(get_options(), failure_of(request))
