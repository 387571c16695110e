"""Verifying a Django request once, and answering its failures.

The middleware, the DRF class and the decorator all come here; the outcome
(token, nothing, or error) is kept on the `HttpRequest`, so a request is
verified once and its DPoP proof consumed once however many of them run.
"""

from __future__ import annotations

import logging

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import JsonResponse
from django.urls import Resolver404, resolve
from django.utils.functional import SimpleLazyObject

from .conf import get_api_client, get_options, in_settings_words
from .core.credentials import parse_credentials, split_header
from .errors import ApiError, BaseAuthError, ConfigurationError, InvalidAuthSchemeError, MissingAuthorizationError
from .options import ApiClientOptions
from .users import resolve_user
from .view_scopes import required_scopes, view_instance

logger = logging.getLogger("django_auth0_api")

_OUTCOME = "_auth0_outcome"
_USER = "_auth0_user"
_MISSING = object()
_OUR_SCHEMES = ("bearer", "dpop")
_reported: set[str] = set()


class MisconfiguredError(BaseAuthError):
    """AUTH0_API cannot be used: the request had credentials, so it is this
    server's failure (500), answered with a fixed description; the reason is
    logged once per process, never sent."""

    status_code = 500
    error_code = "server_error"
    default_description = "The server's authentication is misconfigured"

    def get_headers(self, options=None, scopes=()) -> dict[str, str]:
        return {}  # not a challenge: the client's credentials are not the problem


def report_misconfiguration(exc: Exception) -> MisconfiguredError:
    """Log why AUTH0_API is unusable, once per reason and process (the
    messages name settings keys, never their values)."""
    reason = in_settings_words(str(exc))
    if reason not in _reported:
        _reported.add(reason)
        logger.error("auth0: AUTH0_API is misconfigured (%s): requests with credentials answer 500 "
                     "until it is fixed; `manage.py check` says more", reason)
    return MisconfiguredError()


@receiver(setting_changed)
def _forget_reports(*, setting, **kwargs):
    if setting == "AUTH0_API":  # new settings may be wrong anew: say so again
        _reported.clear()


def challenge_options():
    """The options a challenge is built from; the defaults when AUTH0_API is
    unusable, so a request without credentials still gets its 401."""
    try:
        return get_options()
    except (ConfigurationError, TypeError) as exc:
        report_misconfiguration(exc)
        # The default settings' challenge (realm "api", both schemes, ES256 proofs);
        # the placeholders only satisfy the options' own checks.
        return ApiClientOptions(domain="misconfigured.invalid", audience="misconfigured")


def _http_request(request):
    return getattr(request, "_request", request)  # a DRF Request wraps the HttpRequest


def authenticate_request(request):
    """The `VerifiedToken`, None without credentials (or with a foreign
    scheme), or raises the `BaseAuthError`."""
    http_request = _http_request(request)
    outcome = http_request.__dict__.get(_OUTCOME, _MISSING)
    if outcome is _MISSING:
        outcome = _verify(http_request)
        http_request.__dict__[_OUTCOME] = outcome
    if isinstance(outcome, BaseAuthError):
        raise outcome
    return outcome


def failure_of(request) -> BaseAuthError | None:
    outcome = _http_request(request).__dict__.get(_OUTCOME)
    return outcome if isinstance(outcome, BaseAuthError) else None


def _verify(http_request):
    # Only these headers matter: reading them from META skips building
    # `request.headers` out of every header of the request. The certificate
    # header is read only when MTLS_CLIENT_CERT_HEADER names it.
    meta = http_request.META
    authorization = meta.get("HTTP_AUTHORIZATION")
    if not _has_our_credentials(authorization):
        return None  # no configuration needed: a broken AUTH0_API leaves such requests alone
    try:
        client = get_api_client()
    except (ConfigurationError, TypeError) as exc:
        return report_misconfiguration(exc)
    context = None
    if callable(client.options.domains) or isinstance(client.options.domains, str):
        context = {"request_url": http_request.build_absolute_uri(), "request_headers": http_request.headers}
    certificate_key = client.options.mtls_meta_key
    try:
        credentials = parse_credentials(split_header(authorization), split_header(meta.get("HTTP_DPOP")),
                                        client.options,
                                        split_header(meta.get(certificate_key)) if certificate_key else [])
        return client.authenticate_credentials(credentials, http_request.method, http_request.build_absolute_uri,
                                               context)
    except (MissingAuthorizationError, InvalidAuthSchemeError):
        return None
    except ConfigurationError as exc:  # e.g. a DOMAINS resolver that does not import
        return report_misconfiguration(exc)
    except BaseAuthError as exc:
        return exc


def _has_our_credentials(authorization: str | None) -> bool:
    """Whether the Authorization header may hold Bearer or DPoP credentials;
    a request without any, or with one value of another scheme, is decided
    here without the settings."""
    if not authorization or not authorization.strip():
        return False
    if "," in authorization:
        return True  # several values: parse_credentials refuses them (400)
    return authorization.strip().partition(" ")[0].lower() in _OUR_SCHEMES


def user_for(request, token):
    """The user of `token`, resolved once per request: with the middleware and
    the DRF class both installed, a `USER_RESOLVER` still runs once."""
    http_request = _http_request(request)
    user = http_request.__dict__.get(_USER)
    if user is None:
        user = http_request.__dict__[_USER] = resolve_user(token, get_options())
    return user


def attach(request, token) -> None:
    """`request.auth` and a lazily resolved `request.user` for a plain view."""
    request.auth = token
    request.user = SimpleLazyObject(lambda: user_for(request, token))
    exempt_from_csrf(request)


def exempt_from_csrf(request) -> None:
    """A request authenticated by a verified token is not subject to CSRF: the
    browser never adds a bearer token on its own, so a forged request cannot
    carry one (DRF exempts its views for the same reason). Called only once a
    token verified: a request without one keeps Django's CSRF protection."""
    _http_request(request)._dont_enforce_csrf_checks = True


def error_body(error: BaseAuthError) -> dict:
    """`{"error", "error_description"}` as the README's status table says:
    `error` is the table's code, absent where it has none (no credentials)."""
    code = error.get_error_code() or ("temporarily_unavailable" if error.get_status_code() == 503 else None)
    body = {"error": code} if code else {}
    body["error_description"] = error.get_error_description()
    return body


def challenge_scopes(request, error=None, view=None) -> tuple[str, ...]:
    """The scopes a 401 on this request names: those of `view`, of the DRF view
    handling it, or of the view its URL resolves to. Only with `RESOURCE` set
    (the README, "MCP servers"), and only for an answer with a challenge."""
    if not challenge_options().resource or (error is not None and error.get_status_code() not in (400, 401, 403)):
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


def error_response(error: BaseAuthError, scopes=()) -> JsonResponse:
    """The body of `error_body` with the status and headers of the README's
    "Statuses and challenges"; `scopes` are the view's."""
    response = JsonResponse(error_body(error), status=error.get_status_code())
    for name, value in error.get_headers(challenge_options(), scopes).items():
        response[name] = value
    expose_challenge(response)
    return response


def exchange_failure(exc: ApiError) -> tuple[int, dict, dict]:
    """(status, body, headers) for a token exchange that failed inside a view:
    a gateway failure of this API, not the caller's (their token was
    verified). A rate limit asks them to wait."""
    body = {"error": "token_exchange_failed", "error_description": exc.get_error_description(),
            "exchange_error": exc.get_error_code()}
    if exc.get_status_code() in (429, 503):
        return 503, body, {"Retry-After": exc.retry_after or "30"}
    return (504 if exc.get_status_code() == 504 else 502), body, {}


def exchange_failure_response(exc: ApiError) -> JsonResponse:
    status, body, headers = exchange_failure(exc)
    return JsonResponse(body, status=status, headers=headers)


def authenticate(request):
    """What `request` verified to, once per request (the README's "Any other
    code"): its `VerifiedToken`, None without credentials, or the
    `BaseAuthError` raised. Call this rather than `verify_request` on a request
    the middleware or DRF may already have verified: a DPoP proof is consumed once."""
    return authenticate_request(request)
