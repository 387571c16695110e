"""django_auth0_api.errors: each error knows its status, code and headers (the README)."""

import pytest

from django_auth0_api import errors
from django_auth0_api.options import ApiClientOptions

OPTIONS = ApiClientOptions(domain="tenant.example.auth0.com", audience="https://api.example.com")
BARE = 'Bearer realm="api", DPoP algs="ES256"'


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
])
def test_status_and_error_code(error, status, code):
    assert isinstance(error, errors.BaseAuthError)
    assert (error.get_status_code(), error.get_error_code()) == (status, code)


def test_missing_credentials_get_a_bare_challenge():
    assert errors.MissingAuthorizationError().get_headers(OPTIONS) == {"WWW-Authenticate": BARE}


def test_invalid_token_challenge_names_the_error_on_the_scheme_used():
    error = errors.VerifyAccessTokenError("Token has expired", scheme="Bearer")
    assert error.get_headers(OPTIONS) == {"WWW-Authenticate": (
        'Bearer realm="api", error="invalid_token", error_description="Token has expired", DPoP algs="ES256"')}


def test_use_dpop_nonce_adds_the_nonce_header_and_targets_dpop():
    headers = errors.UseDpopNonceError("n0nce").get_headers(OPTIONS)
    assert headers == {
        "WWW-Authenticate": 'Bearer realm="api", DPoP algs="ES256", error="use_dpop_nonce", '
                            'error_description="Authorization server requires nonce in DPoP proof"',
        "DPoP-Nonce": "n0nce",
    }


def test_service_unavailable_sends_retry_after_and_no_challenge():
    assert errors.KeysUnavailableError().get_headers(OPTIONS) == {"Retry-After": "30"}


def test_insufficient_scope_lists_the_scopes():
    error = errors.InsufficientScopeError(["read:a", "write:b"], scheme="Bearer")
    assert error.get_headers(OPTIONS)["WWW-Authenticate"] == (
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


def test_configuration_error_is_a_value_error_not_an_auth_error():
    assert issubclass(errors.ConfigurationError, ValueError)
    assert not issubclass(errors.ConfigurationError, errors.BaseAuthError)


def test_get_headers_reads_the_settings_when_no_options_are_given(settings):
    settings.AUTH0_API = {"DOMAIN": "t.example.com", "AUDIENCE": "a", "REALM": "other"}
    assert errors.MissingAuthorizationError().get_headers() == {
        "WWW-Authenticate": 'Bearer realm="other", DPoP algs="ES256"'}
