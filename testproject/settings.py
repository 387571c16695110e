"""A runnable project that uses every feature of django_auth0_api."""

import importlib.util
import os

BASE_DIR = os.path.dirname(os.path.abspath(__file__))
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "testproject-not-secret")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1", "api.example.com"]
ROOT_URLCONF = "testproject.urls"
USE_TZ = True

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "django_auth0_api",
    "mcp_server",
    "testproject.api",
]

MIDDLEWARE = [
    "django.middleware.common.CommonMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",  # a verified token exempts a request; without one, CSRF holds
    "django_auth0_api.middleware.Auth0Middleware",
]

DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}

CACHES: dict[str, dict] = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The server tests and scripts point the cache at a real Redis or Memcached; AUTH0_API_CACHE_TIMEOUT
# (seconds) bounds its connect and socket waits as the cache example of docs/deployment.md does.
_cache_timeout = float(os.environ.get("AUTH0_API_CACHE_TIMEOUT") or 0)
if os.environ.get("AUTH0_API_REDIS_URL"):
    CACHES["default"] = {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                         "LOCATION": os.environ["AUTH0_API_REDIS_URL"]}
    if _cache_timeout:
        CACHES["default"]["OPTIONS"] = {"socket_connect_timeout": _cache_timeout, "socket_timeout": _cache_timeout}
elif os.environ.get("AUTH0_API_MEMCACHED_LOCATION"):
    CACHES["default"] = {"BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
                         "LOCATION": os.environ["AUTH0_API_MEMCACHED_LOCATION"]}
    if _cache_timeout:
        CACHES["default"]["OPTIONS"] = {"connect_timeout": _cache_timeout, "timeout": _cache_timeout,
                                        "retry_timeout": 1, "dead_timeout": 1}

# Several audiences, space-separated: this API and the downstream one it calls. The MCP endpoint (/mcp) is
# an RFC 9728 protected resource: its URL is an API identifier, so one of the audiences too (Auth0 issues
# aud = resource).
RESOURCE = os.environ.get("AUTH0_RESOURCE", "https://api.example.com/mcp")
AUDIENCES = os.environ.get("AUTH0_AUDIENCE", "https://api.example.com https://calendar-api.example.com").split()
AUTH0_API = {
    "DOMAIN": os.environ.get("AUTH0_DOMAIN", "tenant.example.auth0.com"),
    "AUDIENCE": AUDIENCES + ([RESOURCE] if RESOURCE not in AUDIENCES else []),
    "RESOURCE": RESOURCE,
    "RESOURCE_METADATA": {"resource_name": "django-auth0-api demo MCP server"},
    "CLIENT_ID": os.environ.get("AUTH0_CLIENT_ID", "test-client-id"),
    "CLIENT_SECRET": os.environ.get("AUTH0_CLIENT_SECRET", "test-client-secret"),
    "ALLOW_INSECURE_HTTP": os.environ.get("AUTH0_ALLOW_INSECURE_HTTP") == "1",
}
if os.environ.get("AUTH0_HTTP_TIMEOUT"):  # the server fault tests shorten it
    AUTH0_API["HTTP_TIMEOUT"] = float(os.environ["AUTH0_HTTP_TIMEOUT"])

# The delegation demo (testproject/api/delegation_views.py): /api/mcp/calendar exchanges the caller's
# token for one to the calendar API (an AUDIENCE above) and calls it at DOWNSTREAM_API_URL, this very
# project when it runs for real (serve it with more than one worker or thread).
CALENDAR_API_AUDIENCE = os.environ.get("CALENDAR_API_AUDIENCE", "https://calendar-api.example.com")
DOWNSTREAM_API_URL = os.environ.get("DOWNSTREAM_API_URL", "http://127.0.0.1:8000")

# django-mcp-server: stateless (no Django sessions), tools verified by this library.
DJANGO_MCP_AUTHENTICATION_CLASSES = ["django_auth0_api.authentication.Auth0Authentication"]
DJANGO_MCP_GLOBAL_SERVER_CONFIG = {"name": "django-auth0-api demo", "stateless": True}
DJANGO_MCP_GET_SERVER_INSTRUCTIONS_TOOL = False

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["django_auth0_api.authentication.Auth0Authentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "django_auth0_api.drf.exception_handler",
    "UNAUTHENTICATED_USER": None,
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# OpenAPI (drf-spectacular, when installed): `manage.py spectacular --validate`, and Swagger UI at
# /api/docs logging in through the tenant (docs/faces/drf.md, "OpenAPI").
if importlib.util.find_spec("drf_spectacular") is not None:
    INSTALLED_APPS.append("drf_spectacular")
    REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] = "drf_spectacular.openapi.AutoSchema"
    SPECTACULAR_SETTINGS = {
        "TITLE": "testproject",
        "SWAGGER_UI_OAUTH2_CONFIG": {
            "clientId": os.environ.get("AUTH0_SPA_CLIENT_ID", "<AUTH0_SPA_CLIENT_ID>"),
            "usePkceWithAuthorizationCodeGrant": True,
            # Auth0 issues an access token for the API only when asked for its audience.
            "additionalQueryStringParams": {"audience": os.environ.get("AUTH0_AUDIENCE", "https://api.example.com").split()[0]},
        },
    }
