"""Plain views and CSRF: a verified token exempts a request, a request without one keeps Django's protection.

The test client skips CSRF checks unless asked: these tests ask, as a browser's request meets them.
"""

import pytest
from django.test import Client
from helpers import bearer


@pytest.fixture
def browser():
    return Client(enforce_csrf_checks=True)


@pytest.mark.parametrize("path", ["/plain/post", "/plain/optional"])
def test_a_post_with_a_verified_token_needs_no_csrf_token(auth0_tenant, browser, path):
    response = browser.post(path, **bearer(auth0_tenant.mint_token("auth0|alice")))
    assert (response.status_code, response.json()["sub"]) == (200, "auth0|alice")


def test_a_post_with_a_verified_token_through_the_decorator_alone(auth0_tenant, browser, no_middleware):
    response = browser.post("/plain/post", **bearer(auth0_tenant.mint_token("auth0|alice")))
    assert (response.status_code, response.json()) == (200, {"sub": "auth0|alice", "method": "POST"})


def test_a_post_without_a_token_keeps_csrf_protection(auth0_tenant, browser):
    response = browser.post("/plain/optional")
    assert (response.status_code, b"CSRF verification failed" in response.content) == (403, True)


def test_a_post_with_a_bad_token_is_refused_and_not_exempted(auth0_tenant, browser):
    response = browser.post("/plain/optional", **bearer(auth0_tenant.mint_token(expires_in=-60)))
    assert (response.status_code, response.json()["error"]) == (401, "invalid_token")


def test_a_dpop_request_needs_no_csrf_token(auth0_tenant, browser, dpop_key):
    token = auth0_tenant.mint_token(jkt=dpop_key.jkt)
    proof = auth0_tenant.mint_dpop_proof(dpop_key, htm="POST", htu="http://testserver/plain/post", access_token=token)
    response = browser.post("/plain/post", HTTP_AUTHORIZATION=f"DPoP {token}", HTTP_DPOP=proof)
    assert response.status_code == 200
