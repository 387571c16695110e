"""pytest fixtures for suites that test views protected by this library.

Registered through the `pytest11` entry point; needs pytest-django and
responses (`pip install "django-auth0-api[testing]"`). See
docs/testing.md.
"""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import Iterator

import pytest

from .tenant import ClientCertificate, DpopKey, FakeTenant

INSTALL_HINT = 'pip install "django-auth0-api[testing]"'


def _require(module: str, package: str) -> None:
    # Said before any fixture of theirs is asked for: "fixture 'settings' not
    # found" does not tell a new user what to install.
    if importlib.util.find_spec(module) is None:
        pytest.fail(f"auth0_tenant needs {package}: {INSTALL_HINT}", pytrace=False)


@pytest.fixture
def auth0_tenant(request: pytest.FixtureRequest) -> Iterator[FakeTenant]:
    """A `FakeTenant` served at the `requests` layer, swapped into the project's
    own `AUTH0_API`: its DOMAIN, keys and (when the project has none) client
    credentials replace the real tenant's; AUDIENCE, DPOP_*, REQUIRED_CLAIMS
    and every other policy stay the project's. The library's cache keys get a
    fresh generation for the test; the project's own keys are left alone.

    `auth0_tenant.responses` is the `responses.RequestsMock` serving it: add
    the downstream APIs your views call to it."""
    _require("pytest_django", "pytest-django")
    _require("responses", "responses")
    import responses
    from django.conf import settings as django_settings

    from ..core import shared_cache
    from ..core.documents import join_background_refreshes
    from .cache import remember_replays_from_the_start

    project = dict(getattr(django_settings, "AUTH0_API", None) or {})
    tenant = FakeTenant()
    settings = request.getfixturevalue("settings")
    # The generation first: the client rebuilt after the settings change makes its keys in it.
    previous = shared_cache.start_generation("test-" + uuid.uuid4().hex[:12])
    try:
        settings.AUTH0_API = tenant.settings_for(project)
        # A new generation is an empty replay state, which would refuse a proof minted a moment
        # before the first request (docs/deployment.md, "When the cache fails"): it remembers from the start.
        remember_replays_from_the_start(settings.AUTH0_API.get("CACHE_ALIAS", "default"))
        with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
            tenant.mock(rsps)
            tenant.responses = rsps
            yield tenant
            join_background_refreshes()  # before the mock goes: a refresh of this test ends on it
    finally:
        shared_cache.end_generation(previous)


@pytest.fixture
def dpop_key() -> DpopKey:
    """A fresh ES256 DPoP key pair."""
    return DpopKey()


@pytest.fixture
def client_certificate() -> ClientCertificate:
    """A fresh self-signed client certificate, for certificate-bound tokens (RFC 8705)."""
    return ClientCertificate()
