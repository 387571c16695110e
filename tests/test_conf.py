"""django_auth0_api.conf: settings read lazily, forgotten on `setting_changed`."""

import os
import subprocess
import sys

from django.test import override_settings
from helpers import bearer

from django_auth0_api.conf import get_api_client, get_options, get_settings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_importing_the_package_touches_neither_settings_nor_network():
    # No DJANGO_SETTINGS_MODULE: reading a setting at import would raise ImproperlyConfigured.
    code = ("import django_auth0_api, django_auth0_api.client, django_auth0_api.conf, django_auth0_api.core.issuer, "
            "django_auth0_api.core.access_tokens, django_auth0_api.middleware, django_auth0_api.checks, "
            "django_auth0_api.testing; print(django_auth0_api.ApiClient.__name__)")
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout.strip()) == (0, "ApiClient")


def test_the_client_is_built_once(auth0_tenant):
    assert get_api_client() is get_api_client()


def test_the_client_is_rebuilt_when_auth0_api_changes(auth0_tenant, settings):
    before = get_api_client()
    settings.AUTH0_API = auth0_tenant.settings(REALM="other")
    assert get_api_client() is not before
    assert get_options().realm == "other"


def test_override_settings_changes_the_audience_between_two_requests(auth0_tenant, client):
    token = auth0_tenant.mint_token()
    assert client.get("/plain/me", **bearer(token)).status_code == 200
    with override_settings(AUTH0_API=auth0_tenant.settings(AUDIENCE="https://other.example.com")):
        response = client.get("/plain/me", **bearer(token))
        assert (response.status_code, response.json()["error_description"]) == (401, "Audience is not accepted")
    assert client.get("/plain/me", **bearer(token)).status_code == 200


def test_a_cache_change_drops_the_client(auth0_tenant, settings):
    before = get_api_client()
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "conf"}}
    assert get_api_client() is not before


def test_get_settings_without_auth0_api_is_empty(settings):
    del settings.AUTH0_API
    assert get_settings() == {}


def test_get_settings_is_a_copy(auth0_tenant, settings):
    get_settings()["AUDIENCE"] = "changed"
    assert settings.AUTH0_API["AUDIENCE"] == ["https://api.example.com", "https://calendar-api.example.com",
                                                "https://api.example.com/mcp"]
