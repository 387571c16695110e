"""The errors the library raises, each knowing its HTTP face (RFC 6750 §3, RFC 9449 §7; docs/statuses.md).

Descriptions are fixed sentences chosen here: none of them ever quotes a
token, a proof, a claim value or a secret, so they are safe to send and log.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

# RFC 6749 §5.2 and RFC 6750 §3: `error` and `error_description` are printable
# ASCII without `"` and `\`, so they need no escaping and cannot break out of
# a quoted header parameter.
_NOT_ERROR_TEXT = re.compile(r'[^\x20-\x21\x23-\x5b\x5d-\x7e]')


def error_text(value: str) -> str:
    """`value` with every character an OAuth error text may not hold removed."""
    return _NOT_ERROR_TEXT.sub("", value)


class BaseAuthError(Exception):
    """An authentication or authorization failure with its HTTP answer.

    Plain data: the error knows its status, code and description; its
    `WWW-Authenticate` challenge comes from the `ApiClient` that raised it,
    which hands over its own challenge builder (`answered_by`). An error
    that no client raised has no challenge, so `get_headers()` never needs
    Django's settings.
    """

    status_code = 401
    error_code: str | None = None
    default_description = "Authentication failed"

    def __init__(self, description: str | None = None, *, scheme: str | None = None):
        self.description = description or self.default_description
        # The scheme the client used; the challenge puts the error on it.
        self.scheme = scheme
        # `challenge(error, scopes=()) -> header value`, set by the raising client.
        self.challenge: Callable[..., str] | None = None
        self.message = self.description  # upstream's name for it
        super().__init__(self.description)

    @property
    def name(self) -> str:
        return type(self).__name__

    def get_status_code(self) -> int:
        return self.status_code

    def get_error_code(self) -> str | None:
        return self.error_code

    def get_error_description(self) -> str:
        return self.description

    def get_headers(self, scopes: Sequence[str] = ()) -> dict[str, str]:
        """`WWW-Authenticate` from the raising client's options (and subclasses' extras);
        `scopes` are the view's, which a face passes: named when `RESOURCE` is set."""
        if self.challenge is None:
            return {}
        return {"WWW-Authenticate": self.challenge(self, scopes)}

    def answered_by(self, challenge: Callable[..., str] | None) -> BaseAuthError:
        """Keep the challenge builder of the client that raised this error (the first one wins)."""
        if self.challenge is None:
            self.challenge = challenge
        return self

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

    def get_headers(self, scopes: Sequence[str] = ()) -> dict[str, str]:
        headers = super().get_headers(scopes)
        headers["DPoP-Nonce"] = self.nonce
        return headers


class InsufficientScopeError(BaseAuthError):
    status_code = 403
    error_code = "insufficient_scope"
    default_description = "Token lacks the required scope"

    def __init__(self, scopes: Iterable[str] = (), description: str | None = None, *, scheme: str | None = None):
        self.scopes = tuple(scopes)
        super().__init__(description, scheme=scheme)


class InsufficientUserAuthenticationError(BaseAuthError):
    """The user's authentication is too weak or too old for this resource
    (RFC 9470 §3): 401 with `acr_values` and/or `max_age` in the challenge,
    so the client can ask the authorization server for a stronger or fresher one."""

    error_code = "insufficient_user_authentication"
    default_description = "A stronger or more recent authentication is required"

    def __init__(self, acr_values: Iterable[str] = (), max_age: int | None = None, description: str | None = None, *,
                 scheme: str | None = None):
        self.acr_values = tuple(acr_values)
        self.max_age = max_age
        super().__init__(description, scheme=scheme)


class ServiceUnavailableError(BaseAuthError):
    """Something verification needs is out of reach: the client may retry."""

    status_code = 503
    default_description = "Verification is temporarily unavailable"
    retry_after = 30

    def get_headers(self, scopes: Sequence[str] = ()) -> dict[str, str]:
        # Not an authentication challenge: the credentials may be fine.
        return {"Retry-After": str(self.retry_after)}


class KeysUnavailableError(ServiceUnavailableError):
    """Discovery or JWKS could not be had and no usable key is cached."""

    default_description = "Signing keys are temporarily unavailable"


class ConfigurationError(BaseAuthError, ValueError):
    """The settings or options are wrong: the server's fault, never the caller's.

    Raised loudly where options are built; a Django face that meets one
    answers 500 with a fixed description and logs it (docs/statuses.md).
    Still a `ValueError`, as it was before it became a `BaseAuthError`.
    """

    status_code = 500
    error_code = "invalid_configuration"
    default_description = "The server's authentication is misconfigured"

    def get_headers(self, scopes: Sequence[str] = ()) -> dict[str, str]:
        return {}  # not a challenge: no credentials would help


class DomainsResolverError(ConfigurationError):
    """The `DOMAINS` resolver raised, or returned something that is not a
    list of non-empty domain strings."""

    error_code = "domains_resolver_error"
    default_description = "The DOMAINS resolver failed"


class ApiError(BaseAuthError):
    """An outbound call to Auth0 failed (token exchange, discovery for it).

    `code` and `status_code` are the token endpoint's `error` and HTTP status
    when it answered with an OAuth error; otherwise `timeout_error` (504),
    `network_error` or `invalid_response` (502). Local refusals of bad
    arguments are `invalid_request` (400). `message` is safe to show and log.
    """

    def __init__(self, code: str, message: str, status_code: int = 502, *, retry_after: str | None = None,
                 cause: BaseException | None = None):
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

    def get_headers(self, scopes: Sequence[str] = ()) -> dict[str, str]:
        return {"Retry-After": self.retry_after} if self.retry_after else {}


class GetTokenByExchangeProfileError(ApiError):
    """An On-Behalf-Of or Custom Token Exchange failed."""


class GetAccessTokenForConnectionError(ApiError):
    """A Token Vault (connection) exchange failed."""


def _missing_argument(error: MissingExchangeArgumentError | MissingConnectionArgumentError, argument: str) -> None:
    # Both faces at once: upstream's MissingRequiredArgumentError (400
    # invalid_request, `argument`) and this exchange's ApiError, which the
    # DRF handler and the middleware answer.
    BaseAuthError.__init__(error, f"Missing required argument: {argument}")
    error.argument = argument
    error.code, error.status_code, error.retry_after, error.cause = "invalid_request", 400, None, None


class MissingExchangeArgumentError(GetTokenByExchangeProfileError, MissingRequiredArgumentError):
    """An On-Behalf-Of or Custom Token Exchange call lacks a required argument."""

    def __init__(self, argument: str):
        _missing_argument(self, argument)


class MissingConnectionArgumentError(GetAccessTokenForConnectionError, MissingRequiredArgumentError):
    """A Token Vault call lacks a required argument (`connection`, `access_token`)."""

    def __init__(self, argument: str):
        _missing_argument(self, argument)


MISSING_ARGUMENT_ERRORS: dict[type[ApiError], type[ApiError]] = {
    GetTokenByExchangeProfileError: MissingExchangeArgumentError,
    GetAccessTokenForConnectionError: MissingConnectionArgumentError,
}
