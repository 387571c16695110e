"""Verifying a Django request once, and answering its failures.

The middleware, the DRF and adrf classes, the decorator and ninja's `Auth0Bearer`
all come here; the outcome (token, nothing, or error) is kept on the
`HttpRequest` per `ApiClient`, so a request is verified once per client and
its DPoP proof consumed once however many of them run, sync or async.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, NoReturn

from asgiref.sync import sync_to_async
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import JsonResponse
from django.urls import Resolver404, resolve
from django.utils.functional import SimpleLazyObject

from . import signals
from .conf import get_api_client, settings_problem
from .core.challenges import build_challenge
from .core.credentials import parse_header_values
from .errors import ApiError, BaseAuthError, ConfigurationError, InvalidAuthSchemeError, MissingAuthorizationError
from .options import ApiClientOptions
from .users import TokenUser, resolve_user
from .view_scopes import required_scopes, view_instance

if TYPE_CHECKING:
    from typing import TypeAlias

    from django.http import HttpRequest, HttpResponseBase

    from .client import ApiClient
    from .core.credentials import Credentials
    from .verified_token import VerifiedToken

    # What verifying a request came to: its token, nothing (no credentials of ours), or the refusal.
    Outcome: TypeAlias = VerifiedToken | BaseAuthError | None

logger = logging.getLogger("django_auth0_api")

_OUTCOMES = "_auth0_outcomes"
_USERS = "_auth0_users"
_MISSING: Any = object()  # a sentinel, which mypy cannot narrow by identity


# -- a broken AUTH0_API: loud but contained (docs/deployment.md, "A broken AUTH0_API in production") ------

class MisconfiguredError(BaseAuthError):
    """AUTH0_API cannot be used: the request had credentials, so it is this
    server's failure (500), answered with a fixed description; the reason is
    logged once per process, never sent."""

    status_code = 500
    error_code = "server_error"
    default_description = "The server's authentication is misconfigured"

    def get_headers(self, scopes: Sequence[str] = ()) -> dict[str, str]:
        return {}  # not a challenge: the client's credentials are not the problem


class MisconfiguredClient:
    """What the faces use while AUTH0_API cannot make a client: a request
    without credentials (or with another scheme) passes as it would, one with
    Bearer or DPoP credentials is refused with `MisconfiguredError`. Challenges
    are built from the default options (realm "api", both schemes, ES256)."""

    def __init__(self, reason: str):
        self.reason = reason
        # Placeholders that only satisfy the options' own checks.
        self.options = ApiClientOptions(domain="misconfigured.invalid", audience="misconfigured")
        self.challenge = partial(build_challenge, self.options)

    def authenticate_credentials(self, *args: object, **kwargs: object) -> NoReturn:
        raise MisconfiguredError()

    async def aauthenticate_credentials(self, *args: object, **kwargs: object) -> NoReturn:
        raise MisconfiguredError()


_standins: dict[str, MisconfiguredClient] = {}


def face_client() -> ApiClient:
    """The settings' `ApiClient` for the middleware, the decorator and the
    DRF class; a `MisconfiguredClient` when AUTH0_API cannot make one (the
    reason logged once per process: the messages name settings keys, never
    their values)."""
    try:
        return get_api_client()
    except (BaseAuthError, TypeError, ValueError) as exc:  # ConfigurationError, or upstream's missing AUDIENCE
        reason = settings_problem(exc)
        standin = _standins.get(reason)
        if standin is None:
            standin = _standins[reason] = MisconfiguredClient(reason)
            logger.error("auth0: AUTH0_API is misconfigured (%s): requests with credentials answer 500 "
                         "until it is fixed; `manage.py check` says more", reason)
        return standin  # type: ignore[return-value]


@receiver(setting_changed)
def _forget_standins(*, setting: str, **kwargs: object) -> None:
    if setting == "AUTH0_API":  # new settings may be wrong anew: say so again
        _standins.clear()


def _http_request(request: HttpRequest) -> HttpRequest:
    return getattr(request, "_request", request)  # a DRF Request wraps the HttpRequest


def _outcomes(http_request: HttpRequest) -> dict[ApiClient, Outcome]:
    # Keyed by the client: two APIs served by one project verify a request
    # once each, with their own audience and challenge.
    outcomes = http_request.__dict__.get(_OUTCOMES)
    if outcomes is None:
        outcomes = http_request.__dict__[_OUTCOMES] = {}
    return outcomes


def _settle(outcome: Outcome) -> VerifiedToken | None:
    if isinstance(outcome, BaseAuthError):
        raise outcome
    return outcome


def authenticate_request(request: HttpRequest, client: ApiClient | None = None) -> VerifiedToken | None:
    """The `VerifiedToken`, None without credentials (or with a foreign
    scheme), or raises the `BaseAuthError`; once per request and client."""
    client = client or face_client()
    # `_http_request`, `_outcomes` and `_settle`, written out: this runs per request.
    http_request = getattr(request, "_request", request)
    outcomes = http_request.__dict__.get(_OUTCOMES)
    if outcomes is None:
        outcomes = http_request.__dict__[_OUTCOMES] = {}
    outcome = outcomes.get(client, _MISSING)
    if outcome is _MISSING:
        outcome = outcomes[client] = _verify(http_request, client)
    if isinstance(outcome, BaseAuthError):
        raise outcome
    return outcome


async def aauthenticate_request(request: HttpRequest, client: ApiClient | None = None) -> VerifiedToken | None:
    """`authenticate_request` for async code: it never blocks the event loop,
    and shares the once-per-request outcome with the sync faces."""
    client = client or face_client()
    http_request = _http_request(request)
    outcomes = _outcomes(http_request)
    outcome = outcomes.get(client, _MISSING)
    if outcome is _MISSING:
        outcome = outcomes[client] = await _averify(http_request, client)
    return _settle(outcome)


def failure_of(request: HttpRequest, client: ApiClient | None = None) -> BaseAuthError | None:
    outcome = _http_request(request).__dict__.get(_OUTCOMES, {}).get(client or face_client())
    return outcome if isinstance(outcome, BaseAuthError) else None


def _read(http_request: HttpRequest, client: ApiClient) -> tuple[Credentials, dict[str, object] | None]:
    """(credentials, resolver context) of the request; raises for none."""
    context: dict[str, object] | None = None
    options = client.options
    domains = options.domains
    if domains is not None and (callable(domains) or isinstance(domains, str)):  # a resolver's
        context = {"request_url": http_request.build_absolute_uri(), "request_headers": http_request.headers}
    if options.organization_resolver is not None:  # ORGANIZATION as f(request)
        context = dict(context or {}, request=http_request)
    # Only these headers matter: reading them from META skips building
    # `request.headers` out of every header of the request. The certificate
    # header is read only when MTLS_CLIENT_CERT_HEADER names it.
    meta = http_request.META
    certificate_key = options.mtls_meta_key
    credentials = parse_header_values(meta.get("HTTP_AUTHORIZATION"), meta.get("HTTP_DPOP"), options,
                                      meta.get(certificate_key) if certificate_key else None)
    return credentials, context


def _verify(http_request: HttpRequest, client: ApiClient) -> Outcome:
    # `signals.started()`, written out: nobody listens, nearly always.
    start = time.perf_counter() if signals.token_verified.receivers or signals.token_refused.receivers else None
    try:
        credentials, context = _read(http_request, client)
        token = client.authenticate_credentials(credentials, http_request.method, http_request.build_absolute_uri,
                                                context)
    except BaseAuthError as exc:
        return _refused(client, exc, start, http_request)
    if start is not None:
        signals.verified(client, token, start, http_request)
    return token


def _refused(client: ApiClient, exc: BaseAuthError, start: float | None, http_request: HttpRequest) -> Outcome:
    """The outcome of a request whose verification raised `exc` (sync and async alike)."""
    if isinstance(exc, (MissingAuthorizationError, InvalidAuthSchemeError)):
        return None  # no credentials of ours: other code may authenticate the request
    if isinstance(exc, ConfigurationError):  # e.g. a DOMAINS resolver that failed: a 500, refused all the same
        exc = configuration_failure(exc).with_scheme(exc.scheme)
    signals.refused(client, exc, start, http_request)
    return exc


# -- configuration errors ---------------------------------------------------

_logged_lock = threading.Lock()
_logged: set[tuple[str, str]] = set()
_MAX_LOGGED = 64


def configuration_failure(exc: BaseException) -> MisconfiguredError:
    """The 500 a face answers for `exc`, a configuration fault met while
    verifying or exchanging (a `DomainsResolverError`, an exchange's
    `invalid_configuration`), logged once per process and kind: a misconfigured
    API fails every request, and one log line says it as well as a million."""
    if isinstance(exc, MisconfiguredError):
        return exc
    what = (type(exc).__name__, str(exc) if isinstance(exc, BaseAuthError) else "")
    with _logged_lock:
        first = what not in _logged and len(_logged) < _MAX_LOGGED
        if first:
            _logged.add(what)
    if first:
        # The library's messages name settings, never their values, so they are
        # safe to log; other exceptions are logged by type only.
        logger.error("auth0: configuration error %s %s; answering 500 until it is fixed", *what)
    failure = MisconfiguredError()
    failure.__cause__ = exc
    return failure


async def _averify(http_request: HttpRequest, client: ApiClient) -> Outcome:
    # The signals' receivers are sync and quick (docs/operations.md): sent inline, as from _verify.
    start = signals.started()
    try:
        credentials, context = _read(http_request, client)
        token = await client.aauthenticate_credentials(credentials, http_request.method,
                                                       http_request.build_absolute_uri, context)
    except BaseAuthError as exc:
        return _refused(client, exc, start, http_request)
    if start is not None:
        signals.verified(client, token, start, http_request)
    return token


def user_for(request: HttpRequest, token: VerifiedToken, client: ApiClient | None = None) -> object:
    """The user of `token`: a `USER_RESOLVER`'s is resolved once per request and
    client (with the middleware and the DRF class both installed, it still runs
    once); a `TokenUser` is the token's alone, made on each call."""
    client = client or face_client()
    if client.options.user_resolver is None:  # equal to any other TokenUser of the token
        return TokenUser(token)
    kept = getattr(request, "_request", request).__dict__
    users = kept.get(_USERS)
    if users is None:
        users = kept[_USERS] = {}
    user = users.get(client)
    if user is None:
        user = users[client] = resolve_user(token, client.options)
    return user


def attach(request: HttpRequest, token: VerifiedToken, client: ApiClient | None = None,
           get_user: Callable[[HttpRequest, VerifiedToken], object] | None = None) -> None:
    """`request.auth`, a lazily resolved `request.user` and its async twin
    `request.auser()` (as Django's `AuthenticationMiddleware` sets them)."""
    client = client or face_client()
    resolve = get_user or (lambda request, token: user_for(request, token, client))
    request.auth = token  # type: ignore[attr-defined]  # DRF's attribute, on a plain HttpRequest too
    # A TokenUser or USER_RESOLVER's user, which need not be a Django user model.
    request.user = SimpleLazyObject(lambda: resolve(request, token))  # type: ignore[assignment]

    async def auser() -> object:
        # A USER_RESOLVER may query the database: not on the event loop.
        return await sync_to_async(resolve)(request, token)

    request.auser = auser  # type: ignore[assignment]  # returns request.user's object, as above
    exempt_from_csrf(request)


def exempt_from_csrf(request: HttpRequest) -> None:
    """A request authenticated by a verified token is not subject to CSRF: the
    browser never adds a bearer token on its own, so a forged request cannot
    carry one (DRF exempts its views for the same reason). Called only once a
    token verified: a request without one keeps Django's CSRF protection."""
    _http_request(request)._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]  # read by CsrfViewMiddleware


def challenge_scopes(request: HttpRequest, error: BaseAuthError | None = None, view: object = None,
                     client: ApiClient | None = None) -> tuple[str, ...]:
    """The scopes a 401 on this request names: those of `view`, of the DRF view
    handling it, or of the view its URL resolves to. Only with `RESOURCE` set
    (docs/mcp.md), and only for an answer with a challenge."""
    # The status first: a configuration error's settings may make no client at all.
    if error is not None and error.get_status_code() not in (400, 401, 403):
        return ()
    if not (client or face_client()).options.resource:
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


def expose_challenge(response: HttpResponseBase) -> None:
    """Let a browser client (the MCP Inspector, say) read the challenge: CORS
    hides every response header not listed in `Access-Control-Expose-Headers`."""
    if "WWW-Authenticate" not in response:
        return
    exposed = [name.strip() for name in response.get("Access-Control-Expose-Headers", "").split(",") if name.strip()]
    if not any(name.lower() in ("www-authenticate", "*") for name in exposed):
        response["Access-Control-Expose-Headers"] = ", ".join([*exposed, "WWW-Authenticate"])


def headers_of(error: BaseAuthError, client: ApiClient | None = None, scopes: Sequence[str] = ()) -> dict[str, str]:
    """The error's headers: its challenge is that of the client that raised it;
    one a face made itself (no credentials, a missing scope) answers with
    `client`'s (its realm and DPoP mode), else the settings' client; `scopes`
    are the view's."""
    if error.challenge is None and not isinstance(error, (ConfigurationError, ApiError, MisconfiguredError)):
        error.answered_by((client or face_client()).challenge)
    return error.get_headers(scopes)


def error_body(error: BaseAuthError) -> dict[str, str]:
    """`{"error", "error_description"}` as the table of docs/statuses.md says:
    `error` is the table's code, absent where it has none (no credentials)."""
    code = error.get_error_code() or ("temporarily_unavailable" if error.get_status_code() == 503 else None)
    body = {"error": code} if code else {}
    body["error_description"] = error.get_error_description()
    return body


def error_response(error: BaseAuthError, client: ApiClient | None = None, scopes: Sequence[str] = ()) -> JsonResponse:
    """The body of `error_body` with the status and headers of
    docs/statuses.md; `scopes` are the view's."""
    if isinstance(error, ConfigurationError):  # its text is for the log, not the client
        error = configuration_failure(error)
    response = JsonResponse(error_body(error), status=error.get_status_code())
    for name, value in headers_of(error, client, scopes).items():
        response[name] = value
    expose_challenge(response)
    return response


def exchange_failure(exc: ApiError) -> tuple[int, dict[str, str], dict[str, str]]:
    """(status, body, headers) for a token exchange that failed inside a view:
    a gateway failure of this API, not the caller's (their token was
    verified). A rate limit asks them to wait; an exchange this API is not
    configured for is its own 500."""
    if exc.get_error_code() == "invalid_configuration":
        return 500, error_body(configuration_failure(exc)), {}
    body = {"error": "token_exchange_failed", "error_description": exc.get_error_description(),
            "exchange_error": exc.get_error_code()}
    if exc.get_status_code() in (429, 503):
        return 503, body, {"Retry-After": exc.retry_after or "30"}
    return (504 if exc.get_status_code() == 504 else 502), body, {}


def exchange_failure_response(exc: ApiError) -> JsonResponse:
    status, body, headers = exchange_failure(exc)
    return JsonResponse(body, status=status, headers=headers)


def authenticate(request: HttpRequest, client: ApiClient | None = None) -> VerifiedToken | None:
    """What `request` verified to (docs/faces/drf.md, "What a request verified to"): its
    `VerifiedToken`, or None without credentials; raises the `BaseAuthError`
    of bad ones. Once per request and client, whichever face asked first (the
    middleware, DRF, the decorator, ninja), so a DPoP proof is consumed once:
    call this, never `verify_request`, on a request Django has received."""
    return authenticate_request(request, client)


async def aauthenticate(request: HttpRequest, client: ApiClient | None = None) -> VerifiedToken | None:
    """`authenticate` for async code (it never blocks the event loop)."""
    return await aauthenticate_request(request, client)
