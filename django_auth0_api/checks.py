"""System checks for `settings.AUTH0_API` (ids `django_auth0_api.E0xx/W0xx`)."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator, Mapping, Sequence
from numbers import Real
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from .conf import get_settings, settings_problem
from .errors import BaseAuthError, ConfigurationError
from .options import CLIENT_AUTH_METHODS, SETTING_NAMES, ApiClientOptions

if TYPE_CHECKING:
    from django.apps import AppConfig
    from django.urls import URLResolver

_P = "django_auth0_api."
_STRINGS = (str, list, tuple)
_LISTS = (list, tuple)
# As loose as the runtime: a string where a list goes is taken as a list of
# one there (`ALGORITHMS: "RS256"`), so it is not refused here either.
EXPECTED_TYPES = {
    "DOMAIN": (str,), "DOMAINS": (list, tuple, str), "AUDIENCE": _STRINGS, "ALGORITHMS": _STRINGS,
    "LEEWAY": (Real,), "REQUIRED_CLAIMS": _STRINGS, "REALM": (str,), "DPOP_ENABLED": (bool,),
    "DPOP_REQUIRED": (bool,), "DPOP_ALGORITHMS": _STRINGS, "DPOP_IAT_LEEWAY": (Real,),
    "DPOP_IAT_OFFSET": (Real,), "DPOP_REPLAY_CHECK": (bool,), "DPOP_NONCE": (bool,),
    "CLIENT_ID": (str,), "CLIENT_SECRET": (str,), "CLIENT_AUTH_METHOD": (str,),
    "CLIENT_ASSERTION_KEY": (str,), "CACHE_ALIAS": (str,), "CACHE_TTL": (Real,),
    "JWKS_REFETCH_COOLDOWN": (Real,), "HTTP_TIMEOUT": (Real,), "ALLOW_INSECURE_HTTP": (bool,),
    "USER_RESOLVER": (str,), "EXCHANGE_CACHE": (bool,), "CACHE_MAX_ENTRIES": (int,),
    "RESOURCE": (str,), "RESOURCE_METADATA": (dict,),
    "MTLS_CLIENT_CERT_HEADER": (str,), "MTLS_REQUIRED": (bool,), "DECRYPTION_KEYS": (dict,),
    "DECRYPTION_ALGORITHMS": _LISTS, "DECRYPTION_ENCRYPTIONS": _LISTS, "REQUIRE_ENCRYPTION": (bool,),
    "REQUIRED_CLAIM_VALUES": (dict,), "ORGANIZATION": (str, list, tuple),
}
_CALLABLE_OK = {"DOMAINS", "USER_RESOLVER", "ORGANIZATION"}
# What to write, for each key: the hints quote these.
EXAMPLES = {
    "DOMAIN": "'your-tenant.us.auth0.com'", "DOMAINS": "['your-tenant.us.auth0.com', 'login.example.com']",
    "AUDIENCE": "'https://api.example.com'", "ALGORITHMS": "['RS256']", "LEEWAY": "30",
    "REQUIRED_CLAIMS": "['email']", "REALM": "'api'", "DPOP_ENABLED": "True", "DPOP_REQUIRED": "False",
    "DPOP_ALGORITHMS": "['ES256']", "DPOP_IAT_LEEWAY": "30", "DPOP_IAT_OFFSET": "300",
    "DPOP_REPLAY_CHECK": "True", "DPOP_NONCE": "False", "CLIENT_ID": "'<AUTH0_CLIENT_ID>'",
    "CLIENT_SECRET": "os.environ['AUTH0_CLIENT_SECRET']", "CLIENT_AUTH_METHOD": "'client_secret_basic'",
    "CLIENT_ASSERTION_KEY": "'/run/secrets/auth0-client-key.pem'", "CACHE_ALIAS": "'default'",
    "CACHE_TTL": "600", "JWKS_REFETCH_COOLDOWN": "30", "HTTP_TIMEOUT": "5", "ALLOW_INSECURE_HTTP": "False",
    "USER_RESOLVER": "'myapp.users.user_for_token'", "EXCHANGE_CACHE": "True",
}
# Hints for the values E003 refuses, by the key its message names first.
VALUE_HINTS = {
    "DOMAIN": "Write 'DOMAIN': 'your-tenant.us.auth0.com': the host name of your tenant (or of its custom "
              "domain), without https:// or a path.",
    "DOMAINS": "Write 'DOMAINS': ['your-tenant.us.auth0.com', 'login.example.com'] (host names), a callable "
               "or the dotted path of one.",
    "AUDIENCE": "Write 'AUDIENCE': 'https://api.example.com': the Identifier of your API in the Auth0 "
                "dashboard (APIs > your API > Settings).",
    "ALGORITHMS": "Write 'ALGORITHMS': ['RS256'] (what Auth0 signs access tokens with); only asymmetric "
                  "algorithms are accepted.",
    "DPOP_ALGORITHMS": "Write 'DPOP_ALGORITHMS': ['ES256'] (asymmetric algorithms only).",
    "DPOP_REQUIRED": "Remove 'DPOP_ENABLED': False (DPoP is on by default) or set 'DPOP_REQUIRED': False.",
    "REQUIRED_CLAIMS": "Write 'REQUIRED_CLAIMS': ['email'] (a list of claim names).",
    "REALM": "Write 'REALM': 'api' (a non-empty string).",
    "CLIENT_AUTH_METHOD": "Write 'CLIENT_AUTH_METHOD': one of " + ", ".join(repr(m) for m in CLIENT_AUTH_METHODS)
                          + ".",
    "HTTP_TIMEOUT": "Write 'HTTP_TIMEOUT': 5 (seconds, more than 0).",
}


def _type_ok(key: str, value: object) -> bool:
    if value is None and key not in ("AUDIENCE",):
        return True
    if key in _CALLABLE_OK and callable(value):
        return True
    expected = EXPECTED_TYPES[key]
    if bool not in expected and isinstance(value, bool):
        return False
    return isinstance(value, expected)


@register(Tags.security)
def check_settings(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    raw = getattr(settings, "AUTH0_API", None)
    if not isinstance(raw, dict):
        return [Error("AUTH0_API is not set or not a dict.", hint="Set AUTH0_API = {'DOMAIN': ..., 'AUDIENCE': ...}.",
                      id=_P + "E001")]
    messages: list[CheckMessage] = []
    for key in sorted(raw, key=str):
        if key not in SETTING_NAMES:
            close = difflib.get_close_matches(str(key).upper(), sorted(SETTING_NAMES), n=1)
            hint = f"Did you mean {close[0]}?" if close else "Remove it; see the settings reference (docs/settings.md)."
            messages.append(Warning(f"AUTH0_API has an unknown key {key!r}.", hint=hint, id=_P + "W001"))
        elif not _type_ok(key, raw[key]):
            names = " or ".join(t.__name__ for t in EXPECTED_TYPES[key])
            example = f": '{key}': {EXAMPLES[key]}" if key in EXAMPLES else ""
            messages.append(Error(f"AUTH0_API[{key!r}] has the wrong type.", hint=f"Use {names}{example}.",
                                  id=_P + "E002"))
    if any(m.is_serious() for m in messages):  # an Error (CheckMessage classes have no `level`)
        return messages
    try:
        options = ApiClientOptions.from_settings(get_settings())
    except (BaseAuthError, TypeError) as exc:  # ConfigurationError, or upstream's missing AUDIENCE
        return messages + [_invalid_value(exc)]
    return (messages + _check_cache(options) + _check_nonce_handler(options) + _check_resolver(options)
            + _check_exchange_client(options) + _check_resource(options) + _check_decryption_keys(options))


def _invalid_value(exc: Exception) -> Error:
    """E003 in the settings' own words, with a hint that says what to write."""
    text = settings_problem(exc)
    named = [word.strip("(),:") for word in text.split()]
    hint = next((VALUE_HINTS[word] for word in named if word in VALUE_HINTS), None)
    if hint is None and "ALLOW_INSECURE_HTTP" in named:
        hint = ("Use https://; for a tenant on this machine (127.0.0.1, localhost) set "
                "'ALLOW_INSECURE_HTTP': True.")
    if hint is None and named and named[0] in EXAMPLES:
        hint = f"Write '{named[0]}': {EXAMPLES[named[0]]}."
    return Error(f"AUTH0_API is invalid: {text}", hint=hint or "See the settings reference (docs/settings.md).",
                 id=_P + "E003")


def _check_cache(options: ApiClientOptions) -> list[CheckMessage]:
    caches_conf = getattr(settings, "CACHES", {}) or {}
    conf = caches_conf.get(options.cache_alias)
    if conf is None:
        return [Error(f"CACHE_ALIAS {options.cache_alias!r} is not in CACHES.",
                      hint="Name a configured cache, shared by every worker.", id=_P + "E004")]
    backend = conf.get("BACKEND", "")
    if options.dpop_enabled and options.dpop_replay_check and backend.endswith("DummyCache"):
        return [Error("DPOP_REPLAY_CHECK is on but the cache is a DummyCache, which stores nothing.",
                      hint="Use Redis, Memcached or the database cache, or turn DPOP_REPLAY_CHECK off.",
                      id=_P + "E005")]
    if options.dpop_enabled and options.dpop_replay_check and backend.endswith("LocMemCache") and not settings.DEBUG:
        return [Warning("DPoP replay state lives in a LocMemCache: each process sees only its own proofs.",
                        hint="Use Redis or Memcached shared by the fleet.", id=_P + "W002")]
    return _check_cache_timeouts(options, conf)


# A cache client's options that bound its connect and its socket waits, where
# the default is to wait long (redis-py) or forever (pymemcache).
_TIMEOUT_OPTIONS = {
    "django.core.cache.backends.redis.RedisCache": ("socket_connect_timeout", "socket_timeout"),
    "django_redis.cache.RedisCache": ("SOCKET_CONNECT_TIMEOUT", "SOCKET_TIMEOUT"),
    "django.core.cache.backends.memcached.PyMemcacheCache": ("connect_timeout", "timeout"),
}


def _check_cache_timeouts(options: ApiClientOptions, conf: Mapping[str, Any]) -> list[CheckMessage]:
    """The replay state is read on every DPoP request and the exchange cache on
    every exchange: a cache server that stalls holds those requests, and the
    workers that serve them, for as long as its client waits."""
    replay = options.dpop_enabled and options.dpop_replay_check
    exchange = options.exchange_cache and bool(options.client_id)
    names = _TIMEOUT_OPTIONS.get(conf.get("BACKEND", ""))
    if not (replay or exchange) or names is None:
        return []
    configured = conf.get("OPTIONS") or {}
    missing = [name for name in names if configured.get(name) is None]
    if not missing:
        return []
    held = " and ".join(what for what, used in (("DPoP replay state", replay), ("exchanged tokens", exchange))
                        if used)
    return [Warning(f"The cache {options.cache_alias!r} holds the {held} but sets no {' or '.join(missing)}: "
                    "a cache server that stalls holds every request waiting on it.",
                    hint=f"Set CACHES[{options.cache_alias!r}]['OPTIONS'] {', '.join(missing)} (half a second, "
                         "say), as in docs/deployment.md.", id=_P + "W007")]


def _check_nonce_handler(options: ApiClientOptions) -> list[CheckMessage]:
    if not options.dpop_nonce:
        return []
    middleware = "django_auth0_api.middleware.Auth0Middleware" in getattr(settings, "MIDDLEWARE", [])
    handler = (getattr(settings, "REST_FRAMEWORK", {}) or {}).get("EXCEPTION_HANDLER")
    if middleware or handler == "django_auth0_api.drf.exception_handler":
        return []
    return [Warning("DPOP_NONCE is on but nothing sends the DPoP-Nonce header.",
                    hint="Add Auth0Middleware or set REST_FRAMEWORK['EXCEPTION_HANDLER'] to "
                         "'django_auth0_api.drf.exception_handler'.", id=_P + "W003")]


def _check_resolver(options: ApiClientOptions) -> list[CheckMessage]:
    from django.utils.module_loading import import_string

    messages: list[CheckMessage] = []
    for key, value in (("USER_RESOLVER", options.user_resolver), ("DOMAINS", options.domains),
                       ("ORGANIZATION", options.organization_resolver)):
        if isinstance(value, str):
            try:
                import_string(value)
            except ImportError:
                messages.append(Error(f"AUTH0_API[{key!r}] cannot be imported.",
                                      hint="Give a dotted path to a callable.", id=_P + "E006"))
    return messages


def _check_exchange_client(options: ApiClientOptions) -> list[CheckMessage]:
    """A client configured for exchanges must be able to authenticate: find out
    now, not at the first exchange in production."""
    from .exchange.client_auth import ClientAuthentication

    if not (options.client_id or options.client_secret or options.client_assertion_key):
        return []
    try:
        ClientAuthentication(options)
    except ConfigurationError as exc:  # the messages name settings, never their values
        return [Error(f"AUTH0_API cannot authenticate at the token endpoint: {exc}",
                      hint="Set DOMAIN, CLIENT_ID and CLIENT_SECRET, or CLIENT_AUTH_METHOD 'private_key_jwt' "
                           "with CLIENT_ASSERTION_KEY.", id=_P + "E007")]
    return []


AUTH0_AUTHENTICATION = "django_auth0_api.authentication.Auth0Authentication"


def _check_resource(options: ApiClientOptions) -> list[CheckMessage]:
    """RFC 9728 and Auth0's Resource Parameter Compatibility Profile: the token's
    `aud` is the `resource` the client sent, which is `RESOURCE` exactly."""
    audiences = cast("tuple[str, ...]", options.audience)  # as __post_init__ leaves it
    if options.resource is None or options.resource in audiences:
        return []
    return [Error(f"RESOURCE {options.resource!r} is not one of AUDIENCE.",
                  hint="Auth0 issues aud = the resource URL: list it in AUDIENCE exactly as in RESOURCE "
                       "(scheme, host, path and trailing slash), and make it the API identifier.", id=_P + "E008")]


@register(Tags.security, Tags.urls)
def check_protected_resource(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """The URLconf against `RESOURCE`: its metadata is served, and an MCP
    endpoint has a resource to point clients at (RFC 9728 §5.1)."""
    try:
        options = ApiClientOptions.from_settings(get_settings())
    except (BaseAuthError, TypeError):  # ConfigurationError, or a missing AUDIENCE
        return []  # E003 of check_settings
    if options.resource is None:
        if _protects_mcp_paths():
            return [Warning("An MCP endpoint is protected but RESOURCE is not set: MCP clients find the "
                            "authorization server only through resource_metadata in the challenge.",
                            hint="Set AUTH0_API['RESOURCE'] to the endpoint's URL and add "
                                 "path('', include('django_auth0_api.urls')).", id=_P + "W005")]
        return []
    if not _metadata_served(options.resource):
        return [Warning("RESOURCE is set but its metadata URL is not served.",
                        hint="Add path('', include('django_auth0_api.urls')) to the root URLconf.", id=_P + "W006")]
    return []


def _metadata_served(resource: str) -> bool:
    from django.urls import Resolver404, resolve

    from .core.protected_resource import metadata_path
    from .resource_metadata import protected_resource_metadata

    try:
        return resolve(metadata_path(resource)).func is protected_resource_metadata
    except Resolver404:
        return False
    except Exception:  # a broken URLconf is Django's own check to report
        return True


def _protects_mcp_paths() -> bool:
    """django-mcp-server guarded by this library, or a URL with an `mcp` segment
    whose view needs an Auth0 token."""
    from django.urls import URLPattern, URLResolver, get_resolver
    from django.utils.module_loading import import_string

    from .authentication import Auth0Authentication
    from .view_scopes import DECORATOR_SCOPES, view_instance

    def is_ours(entry: object) -> bool:
        try:
            cls = import_string(entry) if isinstance(entry, str) else entry
        except ImportError:
            return False
        return isinstance(cls, type) and issubclass(cls, Auth0Authentication)

    if any(is_ours(entry) for entry in getattr(settings, "DJANGO_MCP_AUTHENTICATION_CLASSES", None) or ()):
        return True

    def walk(resolver: URLResolver, prefix: str) -> Iterator[tuple[str, Callable[..., Any]]]:
        for pattern in resolver.url_patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern, route)
            elif isinstance(pattern, URLPattern):
                yield route, pattern.callback

    try:
        routes = list(walk(get_resolver(), ""))
    except Exception:  # a broken URLconf is Django's own check to report
        return False
    for route, callback in routes:
        if route.lower().replace("^", "").replace("$", "").replace("\\", "").strip("/").split("/")[-1] != "mcp":
            continue  # the streamable HTTP endpoint's usual name
        view = view_instance(callback)
        if hasattr(view, DECORATOR_SCOPES) or any(
                is_ours(cls) for cls in getattr(view, "authentication_classes", None) or ()):
            return True
    return False


def _check_decryption_keys(options: ApiClientOptions) -> list[CheckMessage]:
    """Every DECRYPTION_KEYS entry must load: an unreadable file or a wrong key
    type found now, not at the first encrypted token."""
    from .core.jwe import load_decryption_key

    messages: list[CheckMessage] = []
    for kid, source in options.decryption_keys.items():
        try:
            load_decryption_key(kid, source)
        except ConfigurationError as exc:  # names the kid, never the key
            messages.append(Error(str(exc), hint="Give the PEM text of an RSA private key, or the path of its file.",
                                  id=_P + "E009"))
    return messages


@register(Tags.security, deploy=True)
def check_deploy(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    raw = getattr(settings, "AUTH0_API", None)  # not get_settings(): E001 reports a non-dict
    if isinstance(raw, dict) and raw.get("ALLOW_INSECURE_HTTP"):
        return [Warning("ALLOW_INSECURE_HTTP is on: tokens may be verified with keys fetched over plain HTTP.",
                        hint="Turn it off outside local development and tests.", id=_P + "W004")]
    return []
