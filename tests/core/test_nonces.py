"""Resource-server DPoP nonces (RFC 9449 §8, §9; the README, §5 "Nonces")."""

from __future__ import annotations

import re

import pytest
from django.test import override_settings

from django_auth0_api import ApiClient, ApiClientOptions
from django_auth0_api.core.nonces import WINDOW, current_nonce, is_valid_nonce
from django_auth0_api.errors import UseDpopNonceError

URL = "http://testserver/api/me"
NOW = 1_800_000_000.0  # a fixed instant, at the start of a window
DESCRIPTION = "Resource server requires a fresh nonce in the DPoP proof"
CHALLENGE = ('Bearer realm="api", DPoP algs="ES256", error="use_dpop_nonce", '
             f'error_description="{DESCRIPTION}"')


# -- the nonce itself ----------------------------------------------------------------------------


def test_nonce_is_24_base64url_characters():
    assert re.fullmatch(r"[A-Za-z0-9_-]{24}", current_nonce())


def test_nonce_is_stable_within_a_window():
    assert current_nonce(NOW) == current_nonce(NOW + WINDOW - 1)


def test_nonce_rotates_with_the_window():
    assert current_nonce(NOW) != current_nonce(NOW + WINDOW)


def test_nonce_depends_on_the_secret_key(settings):
    settings.SECRET_KEY = "first-secret"
    first = current_nonce(NOW)
    settings.SECRET_KEY = "second-secret"
    assert current_nonce(NOW) != first


def test_nonce_of_the_current_window_is_accepted():
    assert is_valid_nonce(current_nonce(NOW), NOW) is True


def test_nonce_of_the_previous_window_is_accepted():
    assert is_valid_nonce(current_nonce(NOW - WINDOW), NOW) is True


def test_nonce_two_windows_old_is_stale():
    assert is_valid_nonce(current_nonce(NOW - 2 * WINDOW), NOW) is False


def test_nonce_of_a_future_window_is_refused():
    assert is_valid_nonce(current_nonce(NOW + WINDOW), NOW) is False


def test_nonce_made_under_another_secret_is_refused(settings):
    settings.SECRET_KEY = "someone-else"
    foreign = current_nonce(NOW)
    settings.SECRET_KEY = "ours"
    assert is_valid_nonce(foreign, NOW) is False


def test_nonce_made_under_a_fallback_secret_is_accepted(settings):
    settings.SECRET_KEY = "old-secret"
    old = current_nonce(NOW)
    settings.SECRET_KEY = "new-secret"
    settings.SECRET_KEY_FALLBACKS = ["old-secret"]
    assert is_valid_nonce(old, NOW) is True


@pytest.mark.parametrize("nonce", [None, 42, b"x" * 24, ["nonce"], "", "A" * 24, "A" * 25, "é" * 24,
                                   "\ud800" * 24, "A" * 100_000])
def test_malformed_or_guessed_nonce_is_refused(nonce):
    assert is_valid_nonce(nonce, NOW) is False


def test_nonce_with_one_character_changed_is_refused():
    nonce = current_nonce(NOW)
    forged = ("B" if nonce[0] == "A" else "A") + nonce[1:]
    assert is_valid_nonce(forged, NOW) is False


def test_nonce_from_another_process_is_accepted_by_a_fresh_client(auth0_tenant, dpop_key):
    # Another process of the fleet (same SECRET_KEY) handed out the nonce; a
    # client that never issued anything accepts it: there is no shared state.
    with override_settings(SECRET_KEY="fleet-secret"):
        nonce = current_nonce()
    token = auth0_tenant.mint_token(jkt=dpop_key.jkt)
    proof = auth0_tenant.mint_dpop_proof(dpop_key, htu=URL, access_token=token, nonce=nonce)
    with override_settings(SECRET_KEY="fleet-secret"):
        client = ApiClient(ApiClientOptions(domain=auth0_tenant.domain, audience=auth0_tenant.audience,
                                            dpop_nonce=True))
        claims = client.verify_request({"Authorization": f"DPoP {token}", "DPoP": proof}, "GET", URL)
    assert claims["sub"] == "auth0|user-1"


def test_nonce_from_a_process_with_another_secret_is_refused(auth0_tenant, dpop_key):
    with override_settings(SECRET_KEY="other-fleet"):
        nonce = current_nonce()
    token = auth0_tenant.mint_token(jkt=dpop_key.jkt)
    proof = auth0_tenant.mint_dpop_proof(dpop_key, htu=URL, access_token=token, nonce=nonce)
    with override_settings(SECRET_KEY="fleet-secret"):
        client = ApiClient(ApiClientOptions(domain=auth0_tenant.domain, audience=auth0_tenant.audience,
                                            dpop_nonce=True))
        with pytest.raises(UseDpopNonceError) as caught:
            client.verify_request({"Authorization": f"DPoP {token}", "DPoP": proof}, "GET", URL)
        fresh = current_nonce()
    assert caught.value.get_headers() == {"WWW-Authenticate": CHALLENGE, "DPoP-Nonce": fresh}


# -- through the middleware ----------------------------------------------------------------------


@pytest.fixture
def nonce_required(settings, auth0_tenant):
    settings.AUTH0_API = auth0_tenant.settings(DPOP_NONCE=True)
    return auth0_tenant


@pytest.fixture
def token(auth0_tenant, dpop_key):
    return auth0_tenant.mint_token(jkt=dpop_key.jkt)


def get(client, token, proof, path="/plain/me"):
    return client.get(path, HTTP_AUTHORIZATION=f"DPoP {token}", HTTP_DPOP=proof)


def test_middleware_asks_for_a_nonce(client, nonce_required, dpop_key, token):
    proof = nonce_required.mint_dpop_proof(dpop_key, htu="http://testserver/plain/me", access_token=token)
    response = get(client, token, proof)
    assert response.status_code == 401
    assert response.json() == {"error": "use_dpop_nonce", "error_description": DESCRIPTION}
    assert response["WWW-Authenticate"] == CHALLENGE
    assert response["DPoP-Nonce"] == current_nonce()


def test_middleware_accepts_the_nonce_it_handed_out(client, nonce_required, dpop_key, token):
    htu = "http://testserver/plain/me"
    first = get(client, token, nonce_required.mint_dpop_proof(dpop_key, htu=htu, access_token=token))
    proof = nonce_required.mint_dpop_proof(dpop_key, htu=htu, access_token=token, nonce=first["DPoP-Nonce"])
    response = get(client, token, proof)
    assert response.status_code == 200
    assert response["DPoP-Nonce"] == current_nonce()  # the next one, handed out ahead of time


def test_middleware_refuses_a_stale_nonce(client, nonce_required, dpop_key, token):
    import time

    stale = current_nonce(time.time() - 2 * WINDOW)
    proof = nonce_required.mint_dpop_proof(dpop_key, htu="http://testserver/plain/me", access_token=token,
                                           nonce=stale)
    response = get(client, token, proof)
    assert (response.status_code, response.json()["error"]) == (401, "use_dpop_nonce")
    assert response["DPoP-Nonce"] == current_nonce()


def test_nonce_is_asked_for_only_once_the_proof_is_otherwise_valid(client, nonce_required, dpop_key, token):
    proof = nonce_required.mint_dpop_proof(dpop_key, htm="POST", htu="http://testserver/plain/me",
                                           access_token=token)
    response = get(client, token, proof)
    assert (response.status_code, response.json()["error"]) == (401, "invalid_dpop_proof")
    assert "DPoP-Nonce" not in response


def test_proof_refused_for_its_nonce_is_not_consumed(settings, client, nonce_required, dpop_key, token):
    htu = "http://testserver/plain/me"
    proof = nonce_required.mint_dpop_proof(dpop_key, htu=htu, access_token=token, claims={"nonce": "A" * 24})
    assert get(client, token, proof).status_code == 401
    settings.AUTH0_API = nonce_required.settings(DPOP_NONCE=False)
    assert get(client, token, proof).status_code == 200


def test_nonces_are_not_asked_for_when_off(client, auth0_tenant, dpop_key, token):
    proof = auth0_tenant.mint_dpop_proof(dpop_key, htu="http://testserver/plain/me", access_token=token)
    response = get(client, token, proof)
    assert response.status_code == 200
    assert "DPoP-Nonce" not in response


def test_bearer_requests_need_no_nonce(client, nonce_required):
    response = client.get("/plain/me", HTTP_AUTHORIZATION=f"Bearer {nonce_required.mint_token()}")
    assert response.status_code == 200
    assert "DPoP-Nonce" not in response


# -- through DRF alone, with the package's exception handler ------------------------------------------


def test_drf_exception_handler_sends_the_nonce(settings, client, nonce_required, dpop_key, token):
    settings.MIDDLEWARE = []
    assert settings.REST_FRAMEWORK["EXCEPTION_HANDLER"] == "django_auth0_api.drf.exception_handler"
    proof = nonce_required.mint_dpop_proof(dpop_key, htu=URL, access_token=token)
    response = get(client, token, proof, path="/api/me")
    assert response.status_code == 401
    assert response.json() == {"detail": DESCRIPTION, "error": "use_dpop_nonce"}
    assert response["WWW-Authenticate"] == CHALLENGE
    assert response["DPoP-Nonce"] == current_nonce()


def test_drf_accepts_the_nonce(settings, client, nonce_required, dpop_key, token):
    settings.MIDDLEWARE = []
    proof = nonce_required.mint_dpop_proof(dpop_key, htu=URL, access_token=token, nonce=current_nonce())
    assert get(client, token, proof, path="/api/me").status_code == 200


def test_drf_default_handler_drops_the_nonce(settings, client, nonce_required, dpop_key, token):
    # Why the package ships its handler: DRF's own sends only WWW-Authenticate.
    settings.MIDDLEWARE = []
    settings.REST_FRAMEWORK = dict(settings.REST_FRAMEWORK,
                                   EXCEPTION_HANDLER="rest_framework.views.exception_handler")
    proof = nonce_required.mint_dpop_proof(dpop_key, htu=URL, access_token=token)
    response = get(client, token, proof, path="/api/me")
    assert (response.status_code, response["WWW-Authenticate"]) == (401, CHALLENGE)
    assert "DPoP-Nonce" not in response
