"""django_auth0_api.errors: each error knows its status, code and headers (the README)."""

import pathlib
import subprocess
import sys

import pytest

from django_auth0_api import errors
from django_auth0_api.client import ApiClient
from django_auth0_api.options import ApiClientOptions

OPTIONS = ApiClientOptions(domain="tenant.example.auth0.com", audience="https://api.example.com")
CLIENT = ApiClient(OPTIONS)
ROOT = str(pathlib.Path(__file__).parent.parent)
BARE = 'Bearer realm="api", DPoP algs="ES256"'


def raised_by(client, error):
    """`error` as `client` hands it over: with the client's challenge."""
    return error.answered_by(client.challenge)


@pytest.mark.parametrize("error, status, code", [
    (errors.MissingAuthorizationError(), 401, None),
    (errors.InvalidAuthSchemeError(), 401, None),
    (errors.InvalidRequestError(), 400, "invalid_request"),
    (errors.MissingRequiredArgumentError("http_url"), 400, "invalid_request"),
    (errors.VerifyAccessTokenError(), 401, "invalid_token"),
    (errors.InvalidDpopProofError(), 401, "invalid_dpop_proof"),
    (errors.UseDpopNonceError("n0nce"), 401, "use_dpop_nonce"),
    (errors.InsufficientScopeError(["read:x"]), 403, "insufficient_scope"),
    (errors.ServiceUnavailableError(), 503, None),
    (errors.KeysUnavailableError(), 503, None),
    (errors.ConfigurationError("x"), 500, "invalid_configuration"),
    (errors.DomainsResolverError("x"), 500, "domains_resolver_error"),
])
def test_status_and_error_code(error, status, code):
    assert isinstance(error, errors.BaseAuthError)
    assert (error.get_status_code(), error.get_error_code()) == (status, code)


def test_missing_credentials_get_a_bare_challenge():
    assert raised_by(CLIENT, errors.MissingAuthorizationError()).get_headers() == {"WWW-Authenticate": BARE}


def test_invalid_token_challenge_names_the_error_on_the_scheme_used():
    error = errors.VerifyAccessTokenError("Token has expired", scheme="Bearer")
    assert raised_by(CLIENT, error).get_headers() == {"WWW-Authenticate": (
        'Bearer realm="api", error="invalid_token", error_description="Token has expired", DPoP algs="ES256"')}


def test_use_dpop_nonce_adds_the_nonce_header_and_targets_dpop():
    headers = raised_by(CLIENT, errors.UseDpopNonceError("n0nce")).get_headers()
    assert headers == {
        "WWW-Authenticate": 'Bearer realm="api", DPoP algs="ES256", error="use_dpop_nonce", '
                            'error_description="Authorization server requires nonce in DPoP proof"',
        "DPoP-Nonce": "n0nce",
    }


def test_service_unavailable_sends_retry_after_and_no_challenge():
    assert raised_by(CLIENT, errors.KeysUnavailableError()).get_headers() == {"Retry-After": "30"}


def test_insufficient_scope_lists_the_scopes():
    error = errors.InsufficientScopeError(["read:a", "write:b"], scheme="Bearer")
    assert raised_by(CLIENT, error).get_headers()["WWW-Authenticate"] == (
        'Bearer realm="api", error="insufficient_scope", error_description="Token lacks the required scope", '
        'scope="read:a write:b", DPoP algs="ES256"')


def test_missing_required_argument_names_the_argument():
    error = errors.MissingRequiredArgumentError("http_method")
    assert (error.argument, error.get_error_description()) == ("http_method", "Missing required argument: http_method")


def test_default_descriptions():
    assert [e().get_error_description() for e in (errors.MissingAuthorizationError, errors.VerifyAccessTokenError,
                                                 errors.KeysUnavailableError)] == [
        "Authorization header is missing", "Access token is invalid", "Signing keys are temporarily unavailable"]


def test_with_scheme_sets_the_scheme_once():
    error = errors.VerifyAccessTokenError(scheme="DPoP")
    assert error.with_scheme("Bearer").scheme == "DPoP"
    assert errors.VerifyAccessTokenError().with_scheme("Bearer").scheme == "Bearer"


def test_str_is_the_description():
    assert str(errors.VerifyAccessTokenError("Signature verification failed")) == "Signature verification failed"


def test_configuration_errors_are_auth_errors_and_still_value_errors():
    assert issubclass(errors.ConfigurationError, errors.BaseAuthError)
    assert issubclass(errors.ConfigurationError, ValueError)
    assert issubclass(errors.DomainsResolverError, errors.ConfigurationError)


def test_a_configuration_error_has_no_challenge():
    assert raised_by(CLIENT, errors.ConfigurationError("audience is required")).get_headers() == {}


def test_an_error_no_client_raised_has_no_challenge_and_never_reads_the_settings(settings):
    settings.AUTH0_API = {"DOMAIN": "t.example.com", "AUDIENCE": "a", "REALM": "other"}
    assert errors.MissingAuthorizationError().get_headers() == {}


def test_the_first_client_to_hand_over_its_challenge_keeps_it():
    other = ApiClient(ApiClientOptions(domain="t.example.com", audience="a", realm="other"))
    error = raised_by(other, raised_by(CLIENT, errors.MissingAuthorizationError()))
    assert error.get_headers() == {"WWW-Authenticate": BARE}


@pytest.mark.parametrize("options, challenge", [
    ({"realm": "second", "dpop_enabled": False}, 'Bearer realm="second"'),
    ({"realm": "second", "dpop_required": True, "dpop_algorithms": ["ES256", "EdDSA"]}, 'DPoP algs="ES256 EdDSA"'),
])
def test_an_error_answers_with_the_challenge_of_the_client_that_raised_it(settings, options, challenge):
    settings.AUTH0_API = {"DOMAIN": "t.example.com", "AUDIENCE": "a", "REALM": "settings"}
    second = ApiClient(ApiClientOptions(domain="tenant.example.auth0.com", audience="https://api.example.com",
                                        **options))
    with pytest.raises(errors.MissingAuthorizationError) as caught:
        second.verify_request({})
    assert caught.value.get_headers() == {"WWW-Authenticate": challenge}


def test_an_invalid_token_carries_its_clients_realm(settings):
    settings.AUTH0_API = {"DOMAIN": "t.example.com", "AUDIENCE": "a"}
    second = ApiClient(ApiClientOptions(domain="tenant.example.auth0.com", audience="b", realm="second"))
    with pytest.raises(errors.VerifyAccessTokenError) as caught:
        second.verify_access_token("not-a-jwt")
    assert caught.value.get_headers()["WWW-Authenticate"].startswith(
        'Bearer realm="second", error="invalid_token", error_description="Access token is malformed"')


OUTSIDE_DJANGO = """
import sys
from django_auth0_api import ApiClient, ApiClientOptions
from django_auth0_api.errors import BaseAuthError
client = ApiClient(ApiClientOptions(domain="tenant.example.auth0.com", audience="https://api.example.com"))
try:
    client.verify_request({"authorization": "Basic abc"}, "GET", "https://api.example.com/data")
except BaseAuthError as error:
    print(error.get_status_code(), error.get_headers()["WWW-Authenticate"])
"""


def test_get_headers_works_outside_django():
    # No DJANGO_SETTINGS_MODULE: the seed's verify_request example in a plain script.
    env = {"PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", OUTSIDE_DJANGO], capture_output=True, text=True, env=env,
                         check=True, cwd=ROOT)
    assert out.stdout.strip() == '401 Bearer realm="api", DPoP algs="ES256"'


def test_the_errors_module_imports_nothing_of_the_package():
    code = ("import sys, django_auth0_api.errors; "
            "print(sorted(m for m in sys.modules if m.startswith('django_auth0_api.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT)
    assert out.stdout.strip() == "['django_auth0_api.errors']"


def test_an_async_verification_error_carries_its_clients_challenge():
    import asyncio

    from django_auth0_api.core.credentials import Credentials

    second = ApiClient(ApiClientOptions(domain="tenant.example.auth0.com", audience="b", realm="second"))
    with pytest.raises(errors.VerifyAccessTokenError) as caught:
        asyncio.run(second.aauthenticate_credentials(Credentials("Bearer", "not-a-jwt")))
    assert caught.value.get_headers()["WWW-Authenticate"].startswith('Bearer realm="second", error="invalid_token"')
