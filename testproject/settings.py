"""A runnable project that uses every feature of django_auth0_api."""

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
    "testproject.api",
]

MIDDLEWARE = [
    "django.middleware.common.CommonMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django_auth0_api.middleware.Auth0Middleware",
]

DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if os.environ.get("AUTH0_API_REDIS_URL"):
    CACHES["default"] = {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                         "LOCATION": os.environ["AUTH0_API_REDIS_URL"]}

AUTH0_API = {
    "DOMAIN": os.environ.get("AUTH0_DOMAIN", "tenant.example.auth0.com"),
    "AUDIENCE": os.environ.get("AUTH0_AUDIENCE", "https://api.example.com"),
    "CLIENT_ID": os.environ.get("AUTH0_CLIENT_ID", "test-client-id"),
    "CLIENT_SECRET": os.environ.get("AUTH0_CLIENT_SECRET", "test-client-secret"),
    "ALLOW_INSECURE_HTTP": os.environ.get("AUTH0_ALLOW_INSECURE_HTTP") == "1",
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["django_auth0_api.authentication.Auth0Authentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "django_auth0_api.drf.exception_handler",
    "UNAUTHENTICATED_USER": None,
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
