"""Verifying a Django request once, and answering its failures.

The middleware, the DRF and adrf classes, the decorator and ninja's `Auth0Bearer`
all come here; the outcome (token, nothing, or error) is kept on the
`HttpRequest` per `ApiClient`, so a request is verified once per client and
its DPoP proof consumed once however many of them run, sync or async.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from asgiref.sync import sync_to_async
from django.http import JsonResponse
from django.urls import Resolver404, resolve
from django.utils.functional import SimpleLazyObject

from .conf import get_api_client
from .core.credentials import parse_credentials, split_header
from .errors import (
    ApiError,
    BaseAuthError,
    ConfigurationError,
    InvalidAuthSchemeError,
    MissingAuthorizationError,
)
from .users import resolve_user
from .view_scopes import required_scopes, view_instance

if TYPE_CHECKING:
    from .client import ApiClient

logger = logging.getLogger("django_auth0_api")

_OUTCOMES = "_auth0_outcomes"
_USERS = "_auth0_users"
_MISSING = object()


def _http_request(request):
    return getattr(request, "_request", request)  # a DRF Request wraps the HttpRequest


def _outcomes(http_request) -> dict:
    # Keyed by the client: two APIs served by one project verify a request
    # once each, with their own audience and challenge.
    outcomes = http_request.__dict__.get(_OUTCOMES)
    if outcomes is None:
        outcomes = http_request.__dict__[_OUTCOMES] = {}
    return outcomes


def _settle(outcome):
    if isinstance(outcome, BaseAuthError):
        raise outcome
    return outcome


def settings_client() -> ApiClient:
    """The settings' client; settings that make none (an empty AUDIENCE is
    upstream's MissingRequiredArgumentError) are the server's fault: a
    `ConfigurationError`, logged once, never the caller's 400 or 401."""
    try:
        return get_api_client()
    except (BaseAuthError, TypeError, ValueError) as exc:
        raise configuration_failure(exc) from None


def authenticate_request(request, client: ApiClient | None = None):
    """The `VerifiedToken`, None without credentials (or with a foreign
    scheme), or raises the `BaseAuthError`; once per request and client."""
    client = client or settings_client()
    http_request = _http_request(request)
    outcomes = _outcomes(http_request)
    outcome = outcomes.get(client, _MISSING)
    if outcome is _MISSING:
        outcome = outcomes[client] = _verify(http_request, client)
    return _settle(outcome)


async def aauthenticate_request(request, client: ApiClient | None = None):
    """`authenticate_request` for async code: it never blocks the event loop,
    and shares the once-per-request outcome with the sync faces."""
    client = client or settings_client()
    http_request = _http_request(request)
    outcomes = _outcomes(http_request)
    outcome = outcomes.get(client, _MISSING)
    if outcome is _MISSING:
        outcome = outcomes[client] = await _averify(http_request, client)
    return _settle(outcome)


def failure_of(request, client: ApiClient | None = None) -> BaseAuthError | None:
    outcome = _http_request(request).__dict__.get(_OUTCOMES, {}).get(client or get_api_client())
    return outcome if isinstance(outcome, BaseAuthError) else None


def _read(http_request, client: ApiClient):
    """(credentials, resolver context) of the request; raises for none."""
    context = None
    if callable(client.options.domains) or isinstance(client.options.domains, str):
        context = {"request_url": http_request.build_absolute_uri(), "request_headers": http_request.headers}
    # Only these headers matter: reading them from META skips building
    # `request.headers` out of every header of the request. The certificate
    # header is read only when MTLS_CLIENT_CERT_HEADER names it.
    meta = http_request.META
    certificate_key = client.options.mtls_meta_key
    credentials = parse_credentials(split_header(meta.get("HTTP_AUTHORIZATION")),
                                    split_header(meta.get("HTTP_DPOP")), client.options,
                                    split_header(meta.get(certificate_key)) if certificate_key else [])
    return credentials, context


def _verify(http_request, client: ApiClient):
    try:
        credentials, context = _read(http_request, client)
        return client.authenticate_credentials(credentials, http_request.method, http_request.build_absolute_uri,
                                               context)
    except (MissingAuthorizationError, InvalidAuthSchemeError):
        return None
    except ConfigurationError as exc:  # e.g. a DOMAINS resolver that failed
        return configuration_failure(exc)
    except BaseAuthError as exc:
        return exc


# -- configuration errors ---------------------------------------------------

_logged_lock = threading.Lock()
_logged: set[tuple[str, str]] = set()
_MAX_LOGGED = 64


def configuration_failure(exc: BaseException) -> ConfigurationError:
    """The 500 a face answers for `exc`, a configuration fault, logged once per
    process and kind: a misconfigured API fails every request, and one log
    line says it as well as a million."""
    failure = exc if isinstance(exc, ConfigurationError) else ConfigurationError()
    if failure is not exc:
        failure.__cause__ = exc
    what = (type(exc).__name__, str(exc) if isinstance(exc, BaseAuthError) else "")
    with _logged_lock:
        first = what not in _logged and len(_logged) < _MAX_LOGGED
        if first:
            _logged.add(what)
    if first:
        # The library's messages name settings, never their values, so they are
        # safe to log; other exceptions (a resolver's) are logged by type only.
        logger.error("auth0: configuration error %s %s; answering 500 until it is fixed", *what)
    return failure


def configuration_failure_body(error: BaseAuthError) -> dict:
    # A fixed description: what is wrong is for the server's log, not the client.
    return {"error": error.get_error_code() or "invalid_configuration",
            "error_description": ConfigurationError.default_description}


async def _averify(http_request, client: ApiClient):
    try:
        credentials, context = _read(http_request, client)
        return await client.aauthenticate_credentials(credentials, http_request.method,
                                                      http_request.build_absolute_uri, context)
    except (MissingAuthorizationError, InvalidAuthSchemeError):
        return None
    except ConfigurationError as exc:  # e.g. a DOMAINS resolver that failed
        return configuration_failure(exc)
    except BaseAuthError as exc:
        return exc


def user_for(request, token, client: ApiClient | None = None):
    """The user of `token`, resolved once per request and client: with the
    middleware and the DRF class both installed, a `USER_RESOLVER` still runs once."""
    client = client or get_api_client()
    users = _http_request(request).__dict__.setdefault(_USERS, {})
    user = users.get(client)
    if user is None:
        user = users[client] = resolve_user(token, client.options)
    return user


def attach(request, token, client: ApiClient | None = None, get_user=None) -> None:
    """`request.auth`, a lazily resolved `request.user` and its async twin
    `request.auser()` (as Django's `AuthenticationMiddleware` sets them)."""
    client = client or get_api_client()
    resolve = get_user or (lambda request, token: user_for(request, token, client))
    request.auth = token
    request.user = SimpleLazyObject(lambda: resolve(request, token))

    async def auser():
        # A USER_RESOLVER may query the database: not on the event loop.
        return await sync_to_async(resolve)(request, token)

    request.auser = auser


def challenge_scopes(request, error=None, view=None, client: ApiClient | None = None) -> tuple[str, ...]:
    """The scopes a 401 on this request names: those of `view`, of the DRF view
    handling it, or of the view its URL resolves to. Only with `RESOURCE` set
    (the README, "MCP servers"), and only for an answer with a challenge."""
    # The status first: a configuration error's settings may make no client at all.
    if error is not None and error.get_status_code() not in (400, 401, 403):
        return ()
    if not (client or get_api_client()).options.resource:
        return ()
    if view is None:
        view = (getattr(request, "parser_context", None) or {}).get("view")
    if view is None:
        http_request = _http_request(request)
        try:
            match = resolve(http_request.path_info, getattr(http_request, "urlconf", None))
        except Resolver404:
            return ()
        view = view_instance(match.func)
    return required_scopes(view)


def expose_challenge(response) -> None:
    """Let a browser client (the MCP Inspector, say) read the challenge: CORS
    hides every response header not listed in `Access-Control-Expose-Headers`."""
    if "WWW-Authenticate" not in response:
        return
    exposed = [name.strip() for name in response.get("Access-Control-Expose-Headers", "").split(",") if name.strip()]
    if not any(name.lower() in ("www-authenticate", "*") for name in exposed):
        response["Access-Control-Expose-Headers"] = ", ".join([*exposed, "WWW-Authenticate"])


def headers_of(error: BaseAuthError, client: ApiClient | None = None, scopes=()) -> dict[str, str]:
    """The error's headers: its challenge is that of the client that raised it;
    one a face made itself (no credentials, a missing scope) answers with
    `client`'s (its realm and DPoP mode), else the settings' client; `scopes`
    are the view's."""
    if error.challenge is None and not isinstance(error, (ConfigurationError, ApiError)):
        error.answered_by((client or get_api_client()).challenge)
    return error.get_headers(scopes)


def error_response(error: BaseAuthError, client: ApiClient | None = None, scopes=()) -> JsonResponse:
    """`{"error", "error_description"}` with the status and headers of the
    README's "Statuses and challenges"; `scopes` are the view's."""
    if isinstance(error, ConfigurationError):
        return JsonResponse(configuration_failure_body(error), status=500)
    code = error.get_error_code() or ("temporarily_unavailable" if error.get_status_code() == 503 else "unauthorized")
    response = JsonResponse({"error": code, "error_description": error.get_error_description()},
                            status=error.get_status_code())
    for name, value in headers_of(error, client, scopes).items():
        response[name] = value
    expose_challenge(response)
    return response


def exchange_failure(exc: ApiError) -> tuple[int, dict, dict]:
    """(status, body, headers) for a token exchange that failed inside a view:
    a gateway failure of this API, not the caller's (their token was
    verified). A rate limit asks them to wait; an exchange this API is not
    configured for is its own 500."""
    if exc.get_error_code() == "invalid_configuration":
        return 500, configuration_failure_body(configuration_failure(exc)), {}
    body = {"error": "token_exchange_failed", "error_description": exc.get_error_description(),
            "exchange_error": exc.get_error_code()}
    if exc.get_status_code() in (429, 503):
        return 503, body, {"Retry-After": exc.retry_after or "30"}
    return (504 if exc.get_status_code() == 504 else 502), body, {}


def exchange_failure_response(exc: ApiError) -> JsonResponse:
    status, body, headers = exchange_failure(exc)
    return JsonResponse(body, status=status, headers=headers)


def authenticate(request, client: ApiClient | None = None):
    """What `request` verified to (README "What a request verified to"): its
    `VerifiedToken`, or None without credentials; raises the `BaseAuthError`
    of bad ones. Once per request and client, whichever face asked first (the
    middleware, DRF, the decorator, ninja), so a DPoP proof is consumed once:
    call this, never `verify_request`, on a request Django has received."""
    return authenticate_request(request, client)


async def aauthenticate(request, client: ApiClient | None = None):
    """`authenticate` for async code (it never blocks the event loop)."""
    return await aauthenticate_request(request, client)
