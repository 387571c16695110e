"""The arguments of a token exchange, checked before any network call.

A subject token must be a raw token (no `Bearer ` prefix, no whitespace);
`extra` form fields are scalars, or lists of at most 20 of them, under names
the exchange does not own (compared case-insensitively).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from ..errors import MISSING_ARGUMENT_ERRORS, ApiError, GetTokenByExchangeProfileError

# Form parameters that `extra` may not set (compared case-insensitively):
# the grant's own, the client's credentials, and Auth0's routing parameters.
# Those with an argument of their own (`audience`, `scope`, `organization`,
# ...) are set through it, so each reaches the form once.
RESERVED_PARAMETERS = frozenset({
    "grant_type", "client_id", "client_secret", "client_assertion", "client_assertion_type",
    "subject_token", "subject_token_type", "requested_token_type", "actor_token", "actor_token_type",
    "subject_issuer", "audience", "aud", "resource", "resources", "resource_indicator", "scope",
    "connection", "login_hint", "organization", "assertion",
})
MAX_EXTRA_VALUES = 20
_PARAMETER_NAME = re.compile(r"[A-Za-z0-9_.:-]{1,128}")
CONNECTION_OPTIONS = frozenset({"connection", "access_token", "refresh_token", "login_hint"})


def missing(name: str, error: type[ApiError]) -> ApiError:
    """The refusal of a missing argument: upstream's MissingRequiredArgumentError
    that is also this exchange's ApiError."""
    return MISSING_ARGUMENT_ERRORS[error](name)  # type: ignore[call-arg]


def require(value: object, name: str, error: type[ApiError]) -> None:
    if value is None or value == "":
        raise missing(name, error)


def check_subject_token(token: object, name: str, error: type[ApiError] = GetTokenByExchangeProfileError) -> None:
    """Refuse, before any network call, what cannot be a raw token."""
    require(token, name, error)
    if not isinstance(token, str):
        raise error("invalid_request", f"{name} must be a string", 400)
    if not token.strip():
        raise error("invalid_request", f"{name} cannot be blank or whitespace", 400)
    if token != token.strip():
        raise error("invalid_request", f"{name} must not have leading or trailing whitespace", 400)
    if token.lower().startswith("bearer "):
        raise error("invalid_request", f"{name} must be the raw token, without the 'Bearer ' prefix", 400)
    if len(token.split()) != 1:
        raise error("invalid_request", f"{name} must be a single token without whitespace", 400)


def extra_fields(extra: object, error: type[ApiError] = GetTokenByExchangeProfileError) -> list[tuple[str, str]]:
    """`extra` as form fields: scalars, or lists of at most 20 scalars, under
    names that are not reserved (case-insensitively)."""
    if extra is None:
        return []
    if not isinstance(extra, Mapping):
        raise error("invalid_request", "extra must be a mapping of parameter names to values", 400)
    fields: list[tuple[str, str]] = []
    for name, value in extra.items():
        if not isinstance(name, str) or not _PARAMETER_NAME.fullmatch(name):
            raise error("invalid_request", "extra parameter names must be 1-128 letters, digits or _.:-", 400)
        if name.lower() in RESERVED_PARAMETERS:
            raise error("invalid_request", f"Parameter '{name}' is reserved and cannot be set through extra", 400)
        if isinstance(value, (list, tuple)):
            if len(value) > MAX_EXTRA_VALUES:
                raise error("invalid_request", f"Parameter '{name}' has more than {MAX_EXTRA_VALUES} values", 400)
            fields += [(name, _scalar(name, item, error)) for item in value]
        else:
            fields.append((name, _scalar(name, value, error)))
    return fields


def _scalar(name: str, value: object, error: type[ApiError]) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
        return str(value)
    raise error("invalid_request", f"Parameter '{name}' must be a string, a number, a boolean "
                                   f"or a list of at most {MAX_EXTRA_VALUES} of them", 400)


def text_field(name: str, value: object, error: type[ApiError]) -> str:
    if not isinstance(value, str):
        raise error("invalid_request", f"{name} must be a string", 400)
    return value


def optional_field(name: str, value: object, error: type[ApiError]) -> list[tuple[str, str]]:
    return [(name, text_field(name, value, error))] if value else []
