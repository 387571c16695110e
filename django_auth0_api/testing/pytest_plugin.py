"""pytest fixtures for suites that test views protected by this library.

Registered through the `pytest11` entry point; needs pytest-django and responses.
"""

from __future__ import annotations

import pytest

from .tenant import ClientCertificate, DpopKey, FakeTenant


@pytest.fixture
def auth0_tenant(settings):
    """A `FakeTenant` whose endpoints are mocked and whose `AUTH0_API` is active."""
    import responses
    from django.core.cache import caches

    tenant = FakeTenant()
    settings.AUTH0_API = tenant.settings()
    caches[settings.AUTH0_API.get("CACHE_ALIAS", "default")].clear()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        tenant.mock(rsps)
        tenant.responses = rsps
        yield tenant


@pytest.fixture
def dpop_key():
    """A fresh ES256 DPoP key pair."""
    return DpopKey()


@pytest.fixture
def client_certificate():
    """A fresh self-signed client certificate, for certificate-bound tokens (RFC 8705)."""
    return ClientCertificate()
