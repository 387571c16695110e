"""The errors the library raises, each knowing its HTTP face (RFC 6750 §3, RFC 9449 §7; the README's status table).

Descriptions are fixed sentences chosen here: none of them ever quotes a
token, a proof, a claim value or a secret, so they are safe to send and log.
"""

from __future__ import annotations

import re

# RFC 6749 §5.2 and RFC 6750 §3: `error` and `error_description` are printable
# ASCII without `"` and `\`, so they need no escaping and cannot break out of
# a quoted header parameter.
_NOT_ERROR_TEXT = re.compile(r'[^\x20-\x21\x23-\x5b\x5d-\x7e]')


def error_text(value: str) -> str:
    """`value` with every character an OAuth error text may not hold removed."""
    return _NOT_ERROR_TEXT.sub("", value)


class BaseAuthError(Exception):
    """An authentication or authorization failure with its HTTP answer."""

    status_code = 401
    error_code: str | None = None
    default_description = "Authentication failed"

    def __init__(self, description: str | None = None, *, scheme: str | None = None):
        self.description = description or self.default_description
        # The scheme the client used; the challenge puts the error on it.
        self.scheme = scheme
        super().__init__(self.description)

    def get_status_code(self) -> int:
        return self.status_code

    def get_error_code(self) -> str | None:
        return self.error_code

    def get_error_description(self) -> str:
        return self.description

    def get_headers(self, options=None, scopes=()) -> dict[str, str]:
        """`WWW-Authenticate` (and subclasses' extras) for this error; `scopes`
        are the view's, named in the challenge when `RESOURCE` is set."""
        from .conf import get_options
        from .core.challenges import build_challenge

        return {"WWW-Authenticate": build_challenge(options or get_options(), self, scopes)}

    def with_scheme(self, scheme: str | None) -> BaseAuthError:
        if self.scheme is None:
            self.scheme = scheme
        return self


class MissingAuthorizationError(BaseAuthError):
    """No credentials: a bare challenge, no `error` (RFC 6750 §3.1)."""

    default_description = "Authorization header is missing"


class InvalidAuthSchemeError(BaseAuthError):
    """A scheme this API does not take: treated like no credentials."""

    default_description = "Authorization scheme is not accepted by this API"


class InvalidRequestError(BaseAuthError):
    status_code = 400
    error_code = "invalid_request"
    default_description = "Malformed authorization request"


class MissingRequiredArgumentError(InvalidRequestError):
    def __init__(self, argument: str):
        self.argument = argument
        super().__init__(f"Missing required argument: {argument}")


class VerifyAccessTokenError(BaseAuthError):
    error_code = "invalid_token"
    default_description = "Access token is invalid"


class InvalidDpopProofError(BaseAuthError):
    error_code = "invalid_dpop_proof"
    default_description = "DPoP proof is invalid"


class UseDpopNonceError(BaseAuthError):
    error_code = "use_dpop_nonce"
    default_description = "Authorization server requires nonce in DPoP proof"

    def __init__(self, nonce: str, description: str | None = None, *, scheme: str | None = "DPoP"):
        self.nonce = nonce
        super().__init__(description, scheme=scheme)

    def get_headers(self, options=None, scopes=()) -> dict[str, str]:
        headers = super().get_headers(options, scopes)
        headers["DPoP-Nonce"] = self.nonce
        return headers


class InsufficientScopeError(BaseAuthError):
    status_code = 403
    error_code = "insufficient_scope"
    default_description = "Token lacks the required scope"

    def __init__(self, scopes=(), description: str | None = None, *, scheme: str | None = None):
        self.scopes = tuple(scopes)
        super().__init__(description, scheme=scheme)


class InsufficientUserAuthenticationError(BaseAuthError):
    """The user's authentication is too weak or too old for this resource
    (RFC 9470 §3): 401 with `acr_values` and/or `max_age` in the challenge,
    so the client can ask the authorization server for a stronger or fresher one."""

    error_code = "insufficient_user_authentication"
    default_description = "A stronger or more recent authentication is required"

    def __init__(self, acr_values=(), max_age: int | None = None, description: str | None = None, *,
                 scheme: str | None = None):
        self.acr_values = tuple(acr_values)
        self.max_age = max_age
        super().__init__(description, scheme=scheme)


class ServiceUnavailableError(BaseAuthError):
    """Something verification needs is out of reach: the client may retry."""

    status_code = 503
    default_description = "Verification is temporarily unavailable"
    retry_after = 30

    def get_headers(self, options=None, scopes=()) -> dict[str, str]:
        # Not an authentication challenge: the credentials may be fine.
        return {"Retry-After": str(self.retry_after)}


class KeysUnavailableError(ServiceUnavailableError):
    """Discovery or JWKS could not be had and no usable key is cached."""

    default_description = "Signing keys are temporarily unavailable"


class ConfigurationError(ValueError):
    """The settings or options are wrong: a programming error, raised loudly."""


class ApiError(BaseAuthError):
    """An outbound call to Auth0 failed (token exchange, discovery for it).

    `code` and `status_code` are the token endpoint's `error` and HTTP status
    when it answered with an OAuth error; otherwise `timeout_error` (504),
    `network_error` or `invalid_response` (502). Local refusals of bad
    arguments are `invalid_request` (400). `message` is safe to show and log.
    """

    def __init__(self, code: str, message: str, status_code: int = 502, *, retry_after: str | None = None, cause=None):
        self.code = code
        self.message = message
        self.status_code = status_code
        self.retry_after = retry_after
        self.cause = cause
        super().__init__(message)

    def get_status_code(self) -> int:
        return self.status_code

    def get_error_code(self) -> str:
        return self.code

    def get_error_description(self) -> str:
        return self.message

    def get_headers(self, options=None, scopes=()) -> dict[str, str]:
        return {"Retry-After": self.retry_after} if self.retry_after else {}


class GetTokenByExchangeProfileError(ApiError):
    """An On-Behalf-Of or Custom Token Exchange failed."""


class GetAccessTokenForConnectionError(ApiError):
    """A Token Vault (connection) exchange failed."""
