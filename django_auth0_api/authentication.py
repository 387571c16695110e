"""`Auth0Authentication`: the DRF authentication class."""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from .conf import get_api_client
from .errors import BaseAuthError, ConfigurationError, ServiceUnavailableError
from .request_auth import (
    authenticate_request,
    challenge_scopes,
    configuration_failure_body,
    failure_of,
    headers_of,
    user_for,
)


class AuthenticationRefused(exceptions.AuthenticationFailed):
    """A refusal that keeps its own status (400 or 401) and challenge."""

    def __init__(self, error: BaseAuthError, scopes=()):
        super().__init__(error.get_error_description(), error.get_error_code() or "not_authenticated")
        self.status_code = error.get_status_code()
        headers = headers_of(error, scopes)
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


class ConfigurationFailure(exceptions.APIException):
    """The API is misconfigured: 500, with the fixed body of the README's "Configuration errors"."""

    status_code = 500
    default_code = "invalid_configuration"

    def __init__(self, error: ConfigurationError):
        body = configuration_failure_body(error)
        super().__init__(body["error_description"], body["error"])


def as_drf_exception(error: BaseAuthError, scopes=()) -> exceptions.APIException:
    if isinstance(error, ConfigurationError):
        return ConfigurationFailure(error)
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
        failure = failure_of(request)
        if isinstance(failure, ConfigurationError):
            return None  # a 500, not a challenge
        scopes = challenge_scopes(request)
        if failure is not None and failure.challenge is not None:
            return failure.challenge(failure, scopes)
        return get_api_client().challenge(failure, scopes)
