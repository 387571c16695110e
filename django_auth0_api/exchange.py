"""Token exchange at the tenant's token endpoint (SPEC §6).

Three grants share one path:

- On-Behalf-Of: an Auth0 access token for another Auth0 access token, to a
  downstream API, for the same user (RFC 8693);
- Custom Token Exchange: any subject token that one of the tenant's Token
  Exchange Profiles accepts, selected by `subject_token_type`;
- Token Vault: an Auth0 access (or refresh) token for the access token of a
  federated connection (Google, GitHub, ...).

Bad arguments are refused before any network call. The form goes to the
discovery document's `token_endpoint` with the client authentication of
`CLIENT_AUTH_METHOD`, through the process's one `requests.Session`. An issued
token is kept in the Django cache (shared by the fleet) until 30 s before it
expires, so repeated downstream calls do not spend Auth0's rate limit.

Only access-token fields come back: never an `id_token` or a `refresh_token`.
No token, secret or assertion reaches a log line or an exception message.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import logging
import math
import re
import time
from collections.abc import Mapping

from django.core.cache import caches

from . import http
from .claims import is_numeric_date
from .client_auth import ClientAuthentication
from .errors import (
    ApiError,
    ConfigurationError,
    GetAccessTokenForConnectionError,
    GetTokenByExchangeProfileError,
    KeysUnavailableError,
    MissingRequiredArgumentError,
)
from .options import is_allowed_endpoint

logger = logging.getLogger("django_auth0_api")

TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"  # noqa: S105 (a URI, not a secret)
CONNECTION_GRANT = "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"  # noqa: S105 (a URI, not a secret)
REFRESH_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:refresh_token"  # noqa: S105 (a URI, not a secret)
CONNECTION_TOKEN_TYPE = "http://auth0.com/oauth/token-type/federated-connection-access-token"  # noqa: S105

# Form parameters that `extra` may not set (compared case-insensitively):
# the grant's own, the client's credentials, and Auth0's routing parameters.
RESERVED_PARAMETERS = frozenset({
    "grant_type", "client_id", "client_secret", "client_assertion", "client_assertion_type",
    "subject_token", "subject_token_type", "requested_token_type", "actor_token", "actor_token_type",
    "subject_issuer", "audience", "aud", "resource", "resources", "resource_indicator", "scope",
    "connection", "login_hint", "organization", "assertion",
})
MAX_EXTRA_VALUES = 20
_PARAMETER_NAME = re.compile(r"[A-Za-z0-9_.:-]{1,128}")
CONNECTION_OPTIONS = frozenset({"connection", "access_token", "refresh_token", "login_hint"})

# An exchanged token is served from the cache until this many seconds before it expires.
CACHE_MARGIN = 30
_CACHE_PREFIX = "auth0_api:v1:exchange:"
OPTIONAL_RESULT_FIELDS = ("scope", "token_type", "issued_token_type")
# A lifetime beyond ten years is garbage, not a token to keep.
MAX_EXPIRES_IN = 10 * 365 * 24 * 3600

# An issued token goes into Authorization headers: visible ASCII only.
_TOKEN_CHARS = re.compile(r"[\x21-\x7e]+")
# RFC 6749 §5.2: `error` and `error_description` are printable ASCII without `"` and `\`.
_UNSAFE_TEXT = re.compile(r'[^\x20-\x21\x23-\x5b\x5d-\x7e]')
_JWT_LIKE = re.compile(r"eyJ[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*)*")
# An opaque token is a long run of mixed-case letters and digits; error codes are not.
_LONG_RUN = re.compile(r"[A-Za-z0-9_.~+/=-]{32,}")
_MAX_CODE = 64
_MAX_DESCRIPTION = 200
_REDACTED = "[redacted]"


class TokenExchanger:
    """The exchanges of one `ApiClient`; built on its first exchange."""

    def __init__(self, options, token_verifier):
        if not options.domain:
            raise ConfigurationError("Token exchange needs DOMAIN: the tenant whose token endpoint is used")
        self.options = options
        self.issuer = options.issuer
        self.client = ClientAuthentication(options)
        self._keys = token_verifier.keys_for(self.issuer)

    # -- the three grants ---------------------------------------------------
    def on_behalf_of(self, access_token, audience, scope=None) -> dict:
        """An access token for `audience`, for the user of `access_token` (RFC 8693)."""
        error = GetTokenByExchangeProfileError
        check_subject_token(access_token, "access_token", error)
        if not audience:
            raise MissingRequiredArgumentError("audience")
        fields = [("grant_type", TOKEN_EXCHANGE_GRANT), ("subject_token", access_token),
                  ("subject_token_type", ACCESS_TOKEN_TYPE), ("requested_token_type", ACCESS_TOKEN_TYPE),
                  ("audience", _text("audience", audience, error))]
        fields += _optional("scope", scope, error)
        return self._exchange(fields, error)

    def by_profile(self, subject_token, subject_token_type, audience=None, scope=None,
                   requested_token_type=None, extra=None) -> dict:
        """Auth0 Custom Token Exchange: the profile is chosen by `subject_token_type`."""
        error = GetTokenByExchangeProfileError
        check_subject_token(subject_token, "subject_token", error)
        if not subject_token_type:
            raise MissingRequiredArgumentError("subject_token_type")
        fields = [("grant_type", TOKEN_EXCHANGE_GRANT), ("subject_token", subject_token),
                  ("subject_token_type", _text("subject_token_type", subject_token_type, error))]
        fields += _optional("audience", audience, error)
        fields += _optional("scope", scope, error)
        fields += _optional("requested_token_type", requested_token_type, error)
        fields += extra_fields(extra, error)
        return self._exchange(fields, error)

    def for_connection(self, options) -> dict:
        """Token Vault: the access token of a federated connection for the user of
        `options["access_token"]` (or `options["refresh_token"]`)."""
        error = GetAccessTokenForConnectionError
        if not isinstance(options, Mapping):
            raise error("invalid_request", "options must be a dict with connection and access_token", 400)
        unknown = [key for key in options if key not in CONNECTION_OPTIONS]
        if unknown:
            raise error("invalid_request", "options may only hold connection, access_token, refresh_token "
                                           "and login_hint", 400)
        if not options.get("connection"):
            raise MissingRequiredArgumentError("connection")
        if options.get("access_token") is not None and options.get("refresh_token") is not None:
            raise error("invalid_request", "Give access_token or refresh_token, not both", 400)
        if options.get("refresh_token") is not None:
            name, token_type = "refresh_token", REFRESH_TOKEN_TYPE
        else:
            name, token_type = "access_token", ACCESS_TOKEN_TYPE
        check_subject_token(options.get(name), name, error)
        fields = [("grant_type", CONNECTION_GRANT), ("subject_token", options[name]),
                  ("subject_token_type", token_type), ("requested_token_type", CONNECTION_TOKEN_TYPE),
                  ("connection", _text("connection", options["connection"], error))]
        fields += _optional("login_hint", options.get("login_hint"), error)
        return self._exchange(fields, error)

    # -- the shared path ----------------------------------------------------
    def _exchange(self, fields: list[tuple[str, str]], error: type[ApiError]) -> dict:
        key = self._cache_key(fields) if self.options.exchange_cache else None
        if key is not None:
            cached = self._cached(key)
            if cached is not None:
                return cached
        endpoint = self._token_endpoint(error)
        auth_fields, headers = self.client.credentials()
        subject = dict(fields)["subject_token"]
        secrets = (subject, *self.client.secrets(), *(v for k, v in auth_fields if k == "client_assertion"))
        headers["Accept"] = "application/json"
        try:
            reply = http.request("POST", endpoint, self.options.timeout, data=fields + auth_fields, headers=headers)
        except http.FetchError as exc:
            logger.warning("auth0: exchange request failed: %s", exc.reason)
            if exc.timed_out:
                raise error("timeout_error", "The token endpoint did not answer in time", 504) from None
            raise error("network_error", f"The token endpoint could not be reached: {exc.reason}", 502) from None
        result = self._result(reply, error, secrets)
        if key is not None:
            self._store(key, result)
        return _public(result)

    def _token_endpoint(self, error) -> str:
        try:
            metadata = self._keys.metadata()
        except KeysUnavailableError as exc:
            timed_out = getattr(exc.__cause__, "timed_out", False)
            if timed_out:
                raise error("timeout_error", "The tenant's discovery document did not arrive in time", 504) from None
            raise error("network_error", "The tenant's discovery document is unavailable", 502) from None
        endpoint = metadata.get("token_endpoint") if isinstance(metadata, dict) else None
        if not is_allowed_endpoint(endpoint, self.options.allow_insecure_http):
            raise error("invalid_response", "The tenant's discovery document has no usable token_endpoint", 502)
        return endpoint

    def _result(self, reply: http.Reply, error, secrets) -> dict:
        try:
            body = http.parse_json(reply.body)
        except http.FetchError:
            body = None
        if reply.status != 200:
            raise _server_error(reply, body, error, secrets)
        if not isinstance(body, dict):
            raise _invalid("The token endpoint's answer is not a JSON object", error)
        access_token = body.get("access_token")
        if not isinstance(access_token, str) or not _TOKEN_CHARS.fullmatch(access_token):
            raise _invalid("The token endpoint's answer has no usable access_token", error)
        expires_in = body.get("expires_in")
        if not (isinstance(expires_in, (int, float)) and is_numeric_date(expires_in)
                and 0 <= expires_in <= MAX_EXPIRES_IN):
            raise _invalid("The token endpoint's answer has no usable expires_in", error)
        expires_in = int(expires_in)
        result = {"access_token": access_token, "expires_in": expires_in, "expires_at": int(time.time()) + expires_in}
        for name in OPTIONAL_RESULT_FIELDS:
            if isinstance(body.get(name), str):
                result[name] = body[name]
        return result

    # -- the shared cache ---------------------------------------------------
    def _cache_key(self, fields) -> str:
        # The subject token is part of the hash, never of the key itself.
        material = json.dumps([self.issuer, self.client.client_id, sorted(fields)], separators=(",", ":"))
        return _CACHE_PREFIX + hashlib.sha256(material.encode("utf-8")).hexdigest()

    def _cached(self, key: str) -> dict | None:
        try:
            entry = caches[self.options.cache_alias].get(key)
        except Exception as exc:  # a cache outage costs an exchange, not the request
            logger.warning("auth0: exchange cache read failed: %s", type(exc).__name__)
            return None
        if not isinstance(entry, dict) or not isinstance(entry.get("access_token"), str):
            return None
        expires_at = entry.get("expires_at")
        if not isinstance(expires_at, int) or expires_at - time.time() <= CACHE_MARGIN:
            return None
        return _public(entry)

    def _store(self, key: str, result: dict) -> None:
        ttl = int(result["expires_at"] - time.time()) - CACHE_MARGIN
        if ttl < 1:
            return
        entry = {name: value for name, value in result.items() if name != "expires_in"}
        try:
            caches[self.options.cache_alias].set(key, entry, ttl)
        except Exception as exc:
            logger.warning("auth0: exchange cache write failed: %s", type(exc).__name__)


# -- arguments --------------------------------------------------------------
def check_subject_token(token, name: str, error: type[ApiError] = GetTokenByExchangeProfileError) -> None:
    """Refuse, before any network call, what cannot be a raw token."""
    if token is None or token == "":
        raise MissingRequiredArgumentError(name)
    if not isinstance(token, str):
        raise error("invalid_request", f"{name} must be a string", 400)
    if not token.strip():
        raise MissingRequiredArgumentError(name)
    if token.lower().startswith("bearer "):
        raise error("invalid_request", f"{name} must be the raw token, without the 'Bearer ' prefix", 400)
    if len(token.split()) != 1 or token != token.strip():
        raise error("invalid_request", f"{name} must be a single token without whitespace", 400)


def extra_fields(extra, error: type[ApiError] = GetTokenByExchangeProfileError) -> list[tuple[str, str]]:
    """`extra` as form fields: scalars, or lists of at most 20 scalars, under
    names that are not reserved (case-insensitively)."""
    if extra is None:
        return []
    if not isinstance(extra, Mapping):
        raise error("invalid_request", "extra must be a mapping of parameter names to values", 400)
    fields = []
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


def _scalar(name: str, value, error) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
        return str(value)
    raise error("invalid_request", f"Parameter '{name}' must be a string, a number, a boolean "
                                   f"or a list of at most {MAX_EXTRA_VALUES} of them", 400)


def _text(name: str, value, error) -> str:
    if not isinstance(value, str):
        raise error("invalid_request", f"{name} must be a string", 400)
    return value


def _optional(name: str, value, error) -> list[tuple[str, str]]:
    return [(name, _text(name, value, error))] if value else []


# -- answers ----------------------------------------------------------------
def _public(entry: dict) -> dict:
    """What a caller gets: a fresh dict, `expires_in` counted from now."""
    result = {"access_token": entry["access_token"],
              "expires_in": max(0, entry["expires_at"] - int(time.time())),
              "expires_at": entry["expires_at"]}
    result.update((name, entry[name]) for name in OPTIONAL_RESULT_FIELDS if name in entry)
    return result


def _invalid(message: str, error) -> ApiError:
    logger.warning("auth0: exchange got an unusable answer: %s", message)
    return error("invalid_response", message, 502)


def _server_error(reply: http.Reply, body, error, secrets) -> ApiError:
    retry_after = retry_after_seconds(reply.headers.get("Retry-After")) if reply.status in (429, 503) else None
    code = _clean(body.get("error"), secrets, _MAX_CODE) if isinstance(body, dict) else ""
    if code:
        description = _clean(body.get("error_description"), secrets, _MAX_DESCRIPTION)
        logger.warning("auth0: exchange refused: HTTP %s %s", reply.status, code)
        return error(code, description or f"The token endpoint answered {code}", reply.status, retry_after=retry_after)
    if reply.status == 429:
        logger.warning("auth0: exchange rate limited")
        return error("too_many_requests", "The token endpoint is rate limiting this client", 429,
                     retry_after=retry_after)
    logger.warning("auth0: exchange got HTTP %s without an OAuth error", reply.status)
    return error("invalid_response", f"The token endpoint answered HTTP {reply.status} without an OAuth error",
                 502, retry_after=retry_after)


def _clean(text, secrets, limit: int) -> str:
    """Server text made safe to show: printable ASCII without `"` and `\\`,
    no token, secret or anything token-shaped, bounded."""
    if not isinstance(text, str):
        return ""
    text = _UNSAFE_TEXT.sub("", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, _REDACTED)
    text = _LONG_RUN.sub(_redact_random, _JWT_LIKE.sub(_REDACTED, text))
    return text[:limit].strip()


def _redact_random(match: re.Match) -> str:
    run = match.group()
    mixed = any(c.isupper() for c in run) and any(c.islower() for c in run) and any(c.isdigit() for c in run)
    return _REDACTED if mixed else run


def retry_after_seconds(value) -> str | None:
    """`Retry-After` (delta-seconds or an HTTP date) as whole seconds, or None."""
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return str(int(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return str(max(0, math.ceil(when.timestamp() - time.time())))
