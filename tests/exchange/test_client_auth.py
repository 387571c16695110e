"""Client authentication at the token endpoint (CLIENT_AUTH_METHOD): what each method sends,
and that the fake tenant accepts it (it checks Basic, the form, and the assertion's signature)."""

import base64
import logging
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from django_auth0_api import get_api_client
from django_auth0_api.core import jws
from django_auth0_api.errors import ApiError, ConfigurationError, GetTokenByExchangeProfileError
from django_auth0_api.exchange.client_auth import ASSERTION_TYPE, ClientAuthentication
from django_auth0_api.options import ApiClientOptions

CALENDAR = "https://calendar-api.example.com"


def exchange(tenant):
    return get_api_client().get_token_on_behalf_of(tenant.mint_token(), audience=CALENDAR)


def last_post(tenant):
    return [c for c in tenant.responses.calls if c.request.url == tenant.token_url][-1].request


def pem(key, password=None) -> str:
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption).decode()


def assertion_parts(tenant):
    assertion = tenant.requests[-1]["client_assertion"]
    head, payload, _ = jws.split(assertion)
    return jws.decode_segment(head), jws.decode_segment(payload)


@pytest.fixture
def private_key_jwt(auth0_tenant, settings):
    settings.AUTH0_API = auth0_tenant.settings(CLIENT_AUTH_METHOD="private_key_jwt", CLIENT_SECRET=None,
                                               CLIENT_ASSERTION_KEY=auth0_tenant.client_assertion_key("RS256"))
    return auth0_tenant


# -- client_secret_basic (the default) ---------------------------------------------------------

def test_basic_sends_the_credentials_in_the_authorization_header(auth0_tenant):
    exchange(auth0_tenant)
    expected = "Basic " + base64.b64encode(b"test-client-id:test-client-secret").decode()
    assert last_post(auth0_tenant).headers["Authorization"] == expected


def test_basic_keeps_the_credentials_out_of_the_form(auth0_tenant):
    exchange(auth0_tenant)
    assert {"client_id", "client_secret", "client_assertion"} & set(auth0_tenant.requests[-1]) == set()


def test_basic_form_urlencodes_id_and_secret_first(auth0_tenant, settings):
    auth0_tenant.client_id, auth0_tenant.client_secret = "my client", "p@ss:w rd/+é"
    settings.AUTH0_API = auth0_tenant.settings()
    result = exchange(auth0_tenant)
    encoded = base64.b64encode(b"my+client:p%40ss%3Aw+rd%2F%2B%C3%A9").decode()
    assert last_post(auth0_tenant).headers["Authorization"] == f"Basic {encoded}"
    assert result["access_token"]  # the tenant decoded them back


def test_a_wrong_secret_is_the_tenants_invalid_client(auth0_tenant, settings):
    settings.AUTH0_API = auth0_tenant.settings(CLIENT_SECRET="not-the-secret")
    with pytest.raises(ApiError) as caught:
        exchange(auth0_tenant)
    assert (caught.value.get_status_code(), caught.value.get_error_code()) == (401, "invalid_client")
    assert "not-the-secret" not in str(caught.value)


# -- client_secret_post --------------------------------------------------------------------------

def test_post_sends_the_credentials_in_the_form(auth0_tenant, settings):
    settings.AUTH0_API = auth0_tenant.settings(CLIENT_AUTH_METHOD="client_secret_post")
    exchange(auth0_tenant)
    form = auth0_tenant.requests[-1]
    assert (form["client_id"], form["client_secret"]) == ("test-client-id", "test-client-secret")
    assert "Authorization" not in last_post(auth0_tenant).headers


# -- private_key_jwt -----------------------------------------------------------------------------

def test_private_key_jwt_sends_an_assertion_and_no_secret(private_key_jwt):
    exchange(private_key_jwt)
    form = private_key_jwt.requests[-1]
    assert (form["client_id"], form["client_assertion_type"]) == ("test-client-id", ASSERTION_TYPE)
    assert "client_secret" not in form and "Authorization" not in last_post(private_key_jwt).headers


def test_private_key_jwt_assertion_claims(private_key_jwt):
    before = int(time.time())
    exchange(private_key_jwt)
    header, claims = assertion_parts(private_key_jwt)
    assert header == {"alg": "RS256", "typ": "JWT"}
    assert sorted(claims) == ["aud", "exp", "iat", "iss", "jti", "sub"]
    assert (claims["iss"], claims["sub"], claims["aud"]) == (
        "test-client-id", "test-client-id", "https://tenant.example.auth0.com/")
    assert before <= claims["iat"] <= int(time.time()) and claims["exp"] - claims["iat"] == 60
    assert len(claims["jti"]) == 32


def test_private_key_jwt_assertion_is_fresh_for_every_request(private_key_jwt):
    exchange(private_key_jwt)
    first = assertion_parts(private_key_jwt)[1]["jti"]
    exchange(private_key_jwt)
    assert assertion_parts(private_key_jwt)[1]["jti"] != first


def test_private_key_jwt_with_an_es256_key_from_a_file(auth0_tenant, settings, tmp_path):
    path = tmp_path / "client-key.pem"
    path.write_text(auth0_tenant.client_assertion_key("ES256"))
    settings.AUTH0_API = auth0_tenant.settings(CLIENT_AUTH_METHOD="private_key_jwt", CLIENT_SECRET=None,
                                               CLIENT_ASSERTION_KEY=str(path))
    assert exchange(auth0_tenant)["access_token"]
    assert assertion_parts(auth0_tenant)[0] == {"alg": "ES256", "typ": "JWT"}


def test_an_assertion_signed_by_an_unknown_key_is_the_tenants_invalid_client(auth0_tenant, settings):
    stranger = pem(ec.generate_private_key(ec.SECP256R1()))
    settings.AUTH0_API = auth0_tenant.settings(CLIENT_AUTH_METHOD="private_key_jwt", CLIENT_ASSERTION_KEY=stranger)
    with pytest.raises(ApiError) as caught:
        exchange(auth0_tenant)
    assert (caught.value.get_status_code(), caught.value.get_error_code()) == (401, "invalid_client")


@pytest.mark.parametrize("key, message", [
    (None, "CLIENT_AUTH_METHOD private_key_jwt needs CLIENT_ASSERTION_KEY"),
    ("/no/such/file.pem", "CLIENT_ASSERTION_KEY is neither a PEM key nor a readable PEM file"),
    ("-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n",
     "CLIENT_ASSERTION_KEY is not an unencrypted PEM private key"),
])
def test_unusable_assertion_keys_are_configuration_errors(auth0_tenant, settings, key, message):
    settings.AUTH0_API = auth0_tenant.settings(CLIENT_AUTH_METHOD="private_key_jwt", CLIENT_ASSERTION_KEY=key)
    with pytest.raises(GetTokenByExchangeProfileError) as caught:
        exchange(auth0_tenant)
    error = caught.value
    assert (error.get_status_code(), error.get_error_code(), str(error)) == (500, "invalid_configuration", message)
    assert len(auth0_tenant.responses.calls) == 0


def test_an_encrypted_key_is_refused_without_quoting_it(auth0_tenant):
    text = pem(ec.generate_private_key(ec.SECP256R1()), password=b"pw")
    options = ApiClientOptions(domain=auth0_tenant.domain, audience=CALENDAR, client_id="c",
                               client_auth_method="private_key_jwt", client_assertion_key=text)
    with pytest.raises(ConfigurationError) as caught:
        ClientAuthentication(options)
    assert str(caught.value) == "CLIENT_ASSERTION_KEY is not an unencrypted PEM private key"


@pytest.mark.parametrize("key", [
    rsa.generate_private_key(public_exponent=65537, key_size=1024),  # noqa: S505 (refused, as it should be)
    ec.generate_private_key(ec.SECP384R1()),
])
def test_only_rsa_2048_and_p256_keys_sign_assertions(auth0_tenant, key):
    options = ApiClientOptions(domain=auth0_tenant.domain, audience=CALENDAR, client_id="c",
                               client_auth_method="private_key_jwt", client_assertion_key=pem(key))
    with pytest.raises(ConfigurationError) as caught:
        ClientAuthentication(options)
    assert str(caught.value) == (
        "CLIENT_ASSERTION_KEY must be an RSA key of 2048 bits or more (RS256) or a P-256 key (ES256)")


def test_no_secret_or_assertion_in_logs(private_key_jwt, caplog):
    caplog.set_level(logging.DEBUG)
    private_key_jwt.queue_token_answer(401, {"error": "invalid_client", "error_description": "bad assertion"})
    with pytest.raises(ApiError):
        exchange(private_key_jwt)
    assertion = private_key_jwt.requests[-1]["client_assertion"]
    for record in caplog.records:
        assert assertion not in record.getMessage() and "PRIVATE KEY" not in record.getMessage()
