"""Token exchange at the tenant's token endpoint (RFC 8693; the docs/token-exchange.md).

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

import json
import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .. import signals
from ..core import http
from ..core.shared_cache import SharedCache
from ..core.shared_cache import key as cache_key
from ..errors import (
    ApiError,
    ConfigurationError,
    GetAccessTokenForConnectionError,
    GetTokenByExchangeProfileError,
    KeysUnavailableError,
)
from ..options import is_allowed_endpoint
from .answers import public_result, token_answer
from .arguments import (
    CONNECTION_OPTIONS,
    check_subject_token,
    extra_fields,
    missing,
    optional_field,
    require,
    text_field,
)
from .client_auth import ClientAuthentication

if TYPE_CHECKING:
    from ..core.access_tokens import AccessTokenVerifier
    from ..options import ApiClientOptions

logger = logging.getLogger("django_auth0_api.exchange")

TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"  # noqa: S105 (a URI, not a secret)
CONNECTION_GRANT = "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"  # noqa: S105 (a URI, not a secret)
REFRESH_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:refresh_token"  # noqa: S105 (a URI, not a secret)
CONNECTION_TOKEN_TYPE = "http://auth0.com/oauth/token-type/federated-connection-access-token"  # noqa: S105

# An exchanged token is served from the cache until this many seconds before it expires.
CACHE_MARGIN = 30


class TokenExchanger:
    """The exchanges of one `ApiClient`; built on its first exchange."""

    def __init__(self, options: ApiClientOptions, token_verifier: AccessTokenVerifier) -> None:
        self.options = options
        self.issuer = options.issuer
        self._token_verifier = token_verifier
        self._client: ClientAuthentication | None = None

    def client_for(self, error: type[ApiError]) -> ClientAuthentication:
        """This API's client authentication; without DOMAIN or usable credentials
        the call's own error (500 `invalid_configuration`), before any network call."""
        client = self._client
        if client is None:
            try:
                if not self.options.domain:
                    raise ConfigurationError("Token exchange needs DOMAIN: the tenant whose token endpoint is used")
                client = self._client = ClientAuthentication(self.options)
            except ConfigurationError as exc:  # the messages name settings, never their values
                raise error("invalid_configuration", str(exc), 500) from None
        return client

    # -- the three grants ---------------------------------------------------
    def on_behalf_of(self, access_token: str, audience: str, scope: str | None = None) -> dict[str, Any]:
        """An access token for `audience`, for the user of `access_token` (RFC 8693)."""
        error = GetTokenByExchangeProfileError
        require(audience, "audience", error)  # upstream's order: the audience first
        check_subject_token(access_token, "access_token", error)
        fields = [("grant_type", TOKEN_EXCHANGE_GRANT), ("subject_token", access_token),
                  ("subject_token_type", ACCESS_TOKEN_TYPE), ("requested_token_type", ACCESS_TOKEN_TYPE),
                  ("audience", text_field("audience", audience, error))]
        fields += optional_field("scope", scope, error)
        return self._exchange(fields, error, "on_behalf_of")

    def by_profile(self, subject_token: str, subject_token_type: str, audience: str | None = None,
                   scope: str | None = None, requested_token_type: str | None = None,
                   extra: Mapping[str, object] | None = None, organization: str | None = None) -> dict[str, Any]:
        """Auth0 Custom Token Exchange: the profile is chosen by `subject_token_type`;
        `organization` (an Auth0 Organization's id or name) issues the token for it."""
        error = GetTokenByExchangeProfileError
        require(subject_token, "subject_token", error)
        require(subject_token_type, "subject_token_type", error)
        check_subject_token(subject_token, "subject_token", error)
        fields = [("grant_type", TOKEN_EXCHANGE_GRANT), ("subject_token", subject_token),
                  ("subject_token_type", text_field("subject_token_type", subject_token_type, error))]
        fields += optional_field("audience", audience, error)
        fields += optional_field("scope", scope, error)
        fields += optional_field("requested_token_type", requested_token_type, error)
        fields += optional_field("organization", organization, error)
        fields += extra_fields(extra, error)
        return self._exchange(fields, error, "exchange_profile")

    def for_connection(self, options: Mapping[str, str]) -> dict[str, Any]:
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
            raise missing("connection", error)
        if options.get("access_token") is not None and options.get("refresh_token") is not None:
            raise error("invalid_request", "Give access_token or refresh_token, not both", 400)
        if options.get("refresh_token") is not None:
            name, token_type = "refresh_token", REFRESH_TOKEN_TYPE
        else:
            name, token_type = "access_token", ACCESS_TOKEN_TYPE
        check_subject_token(options.get(name), name, error)
        fields = [("grant_type", CONNECTION_GRANT), ("subject_token", options[name]),
                  ("subject_token_type", token_type), ("requested_token_type", CONNECTION_TOKEN_TYPE),
                  ("connection", text_field("connection", options["connection"], error))]
        fields += optional_field("login_hint", options.get("login_hint"), error)
        return self._exchange(fields, error, "connection")

    # -- the shared path ----------------------------------------------------
    def _exchange(self, fields: list[tuple[str, str]], error: type[ApiError], grant: str) -> dict[str, Any]:
        """One exchange, announced (`signals.token_exchanged` / `token_exchange_failed`)."""
        start = time.perf_counter()
        client = self.client_for(error)
        key = self._cache_key(fields, client) if self.options.exchange_cache else None
        if key is not None:
            cached = self._cached(key)
            if cached is not None:
                signals.exchanged(self, grant, True, start)
                return cached
        try:
            result = self._issue(fields, error, client)
        except ApiError as exc:
            signals.exchange_failed(self, grant, exc, start)
            raise
        if key is not None:
            self._store(key, result)
        signals.exchanged(self, grant, False, start)
        return public_result(result)

    def _issue(self, fields: list[tuple[str, str]], error: type[ApiError],
               client: ClientAuthentication) -> dict[str, Any]:
        """A new token from the token endpoint (the cache not consulted)."""
        endpoint = self._token_endpoint(client.audience, error)
        auth_fields, headers = client.credentials()
        subject = dict(fields)["subject_token"]
        secrets = (subject, *client.secrets(), *(v for k, v in auth_fields if k == "client_assertion"))
        headers["Accept"] = "application/json"
        try:
            reply = http.request("POST", endpoint, self.options.timeout, data=fields + auth_fields, headers=headers)
        except http.FetchError as exc:
            logger.warning("auth0: exchange failed (reason=%s, timed_out=%s)", exc.reason, exc.timed_out,
                           extra={"event": "exchange_unreachable", "issuer": self.issuer, "reason": exc.reason})
            if exc.timed_out:
                raise error("timeout_error", "The token endpoint did not answer in time", 504, cause=exc) from None
            raise error("network_error", f"The token endpoint could not be reached: {exc.reason}", 502,
                        cause=exc) from None
        return token_answer(reply, error, secrets)

    def _token_endpoint(self, issuer: str, error: type[ApiError]) -> str:
        try:
            metadata = self._token_verifier.documents_for(issuer).metadata()
        except KeysUnavailableError as exc:
            cause = exc.__cause__  # the FetchError: where and why, for auth0_token_exchange
            if getattr(cause, "timed_out", False):
                raise error("timeout_error", "The tenant's discovery document did not arrive in time", 504,
                            cause=cause) from None
            raise error("network_error", "The tenant's discovery document is unavailable", 502, cause=cause) from None
        endpoint = metadata.get("token_endpoint") if isinstance(metadata, dict) else None
        if not is_allowed_endpoint(endpoint, self.options.allow_insecure_http):
            raise error("invalid_response", "The tenant's discovery document has no usable token_endpoint", 502)
        return endpoint

    # -- the shared cache ---------------------------------------------------
    def _cache_key(self, fields: list[tuple[str, str]], client: ClientAuthentication) -> str:
        # The subject token is part of the hash, never of the key itself.
        material = json.dumps([self.issuer, client.client_id, sorted(fields)], separators=(",", ":"))
        return cache_key("exchange", material)

    def _cached(self, key: str) -> dict[str, Any] | None:
        entry = SharedCache(self.options.cache_alias).get(key)  # an outage costs an exchange, not the request
        if not isinstance(entry, dict) or not isinstance(entry.get("access_token"), str):
            return None
        expires_at = entry.get("expires_at")
        if not isinstance(expires_at, int) or expires_at - time.time() <= CACHE_MARGIN:
            return None
        return public_result(entry)

    def _store(self, key: str, result: dict[str, Any]) -> None:
        ttl = int(result["expires_at"] - time.time()) - CACHE_MARGIN
        if ttl < 1:
            return
        entry = {name: value for name, value in result.items() if name != "expires_in"}
        SharedCache(self.options.cache_alias).set(key, entry, ttl)
