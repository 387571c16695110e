"""The `auth0_tenant` fixture keeps the project's own AUTH0_API policy and cache.

Each test gives the project its settings first, then asks for the fixture, as a
project's own suite would have them from its settings module.
"""

import importlib.util
import os
import textwrap

import pytest
from django.core.cache import cache
from helpers import answer, bearer

from django_auth0_api.testing import pytest_plugin

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROJECT = {"DOMAIN": "real-tenant.eu.auth0.com", "AUDIENCE": "https://orders.example.com"}


def tenant_for(request, settings, **policy):
    settings.AUTH0_API = {**PROJECT, **policy}
    return request.getfixturevalue("auth0_tenant")


def test_the_projects_dpop_required_applies(request, settings, client):
    tenant = tenant_for(request, settings, DPOP_REQUIRED=True)
    status, _, challenge = answer(client.get("/api/me", **bearer(tenant.mint_token())))
    assert (status, challenge) == (401, 'DPoP algs="ES256"')


def test_the_projects_required_claims_apply(request, settings, client):
    tenant = tenant_for(request, settings, REQUIRED_CLAIMS=["org_id"])
    assert client.get("/api/me", **bearer(tenant.mint_token())).status_code == 401
    assert client.get("/api/me", **bearer(tenant.mint_token(claims={"org_id": "o-1"}))).status_code == 200


def test_tokens_are_minted_for_the_projects_audience(request, settings, client):
    tenant = tenant_for(request, settings)
    assert (tenant.audience, settings.AUTH0_API["AUDIENCE"]) == ("https://orders.example.com",) * 2
    assert client.get("/api/me", **bearer(tenant.mint_token())).status_code == 200
    foreign = tenant.mint_token(audience="https://api.example.com")
    assert client.get("/api/me", **bearer(foreign)).status_code == 401


def test_only_the_tenant_is_swapped_in(request, settings):
    tenant = tenant_for(request, settings, LEEWAY=5, CLIENT_ID="orders-client", CLIENT_SECRET="orders-secret",
                        DOMAINS=["real-tenant.eu.auth0.com", "login.orders.example.com"])
    assert settings.AUTH0_API == {"DOMAIN": tenant.domain, "AUDIENCE": "https://orders.example.com", "LEEWAY": 5,
                                  "CLIENT_ID": "orders-client", "CLIENT_SECRET": "orders-secret",
                                  "ALLOW_INSECURE_HTTP": False}
    assert (tenant.client_id, tenant.client_secret) == ("orders-client", "orders-secret")


def test_client_credentials_are_filled_in_when_the_project_has_none(request, settings):
    tenant = tenant_for(request, settings)
    assert (settings.AUTH0_API["CLIENT_ID"], settings.AUTH0_API["CLIENT_SECRET"]) == (
        tenant.client_id, tenant.client_secret) == ("test-client-id", "test-client-secret")


def test_the_projects_own_cache_keys_survive(request, settings, client):
    cache.set("project:greeting", "hello", 600)
    tenant = tenant_for(request, settings)
    assert client.get("/api/me", **bearer(tenant.mint_token())).status_code == 200
    assert cache.get("project:greeting") == "hello"


@pytest.mark.parametrize("missing, package", [("pytest_django", "pytest-django"), ("responses", "responses")])
def test_a_missing_test_dependency_says_what_to_install(request, monkeypatch, missing, package):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(pytest_plugin.importlib.util, "find_spec",
                        lambda name, *args: None if name == missing else real_find_spec(name, *args))
    with pytest.raises(pytest.fail.Exception) as failed:
        request.getfixturevalue("auth0_tenant")
    assert str(failed.value) == f'auth0_tenant needs {package}: pip install "django-auth0-api[testing]"'


# -- a project's own suite, in its own pytest run -----------------------------------------------------

SUITE = '''
    import pytest
    from django.core.cache import cache

    def test_first_the_project_stores_a_key_of_its_own():
        cache.set("project:greeting", "hello", 600)

    def test_then_a_test_uses_the_tenant(auth0_tenant, client):
        token = auth0_tenant.mint_token()
        assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
        assert any(key.startswith(":1:auth0_api:") for key in cache._cache)

    def test_the_key_is_still_there_and_the_library_left_nothing():
        assert cache.get("project:greeting") == "hello"
        assert [key for key in cache._cache if key.startswith(":1:auth0_api:")] == []
'''


def test_a_projects_suite_keeps_its_key_and_leaves_no_library_state(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", ROOT)  # the project of this run: testproject
    pytester.makepyfile(test_project=textwrap.dedent(SUITE))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--ds", "testproject.settings")
    result.assert_outcomes(passed=3)
