"""Certificate-bound access tokens (RFC 8705 §3): `cnf.x5t#S256` against the
client certificate a TLS-terminating proxy forwards in `MTLS_CLIENT_CERT_HEADER`.

Requests go through the test project: `/api/binding` (DRF) and `/plain/binding`
(middleware and `auth0_required`) answer with the token's bindings.
"""

from __future__ import annotations

import pytest
from helpers import aget

from django_auth0_api import ApiClient, ApiClientOptions, get_api_client
from django_auth0_api.core import mtls
from django_auth0_api.errors import ConfigurationError, VerifyAccessTokenError
from django_auth0_api.testing import ClientCertificate

HEADER = "X-Client-Cert"
META = "HTTP_X_CLIENT_CERT"
URL = "http://testserver/api/binding"
MISMATCH = "Client certificate does not match the token binding"


@pytest.fixture
def mtls_settings(settings, auth0_tenant):
    """The fake tenant's settings with the proxy's certificate header trusted."""
    settings.AUTH0_API = auth0_tenant.settings(MTLS_CLIENT_CERT_HEADER=HEADER)
    return settings


@pytest.fixture
def bound_token(auth0_tenant, client_certificate):
    return auth0_tenant.mint_token(x5t_s256=client_certificate.x5t_s256)


def get(client, token, certificate=None, path="/api/binding", scheme="Bearer", **extra):
    headers = {"HTTP_AUTHORIZATION": f"{scheme} {token}", **extra}
    if certificate is not None:
        headers[META] = certificate
    return client.get(path, **headers)


def bearer_error(description: str) -> str:
    return f'Bearer realm="api", error="invalid_token", error_description="{description}", DPoP algs="ES256"'


def assert_invalid_token(response, description, challenge=None):
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_token", "error_description": description}
    assert response["WWW-Authenticate"] == (challenge or bearer_error(description))


# -- the binding ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/binding", "/plain/binding"])
def test_a_bound_token_with_its_certificate_is_accepted(mtls_settings, client, bound_token, client_certificate,
                                                        path):
    response = get(client, bound_token, client_certificate.header_value, path=path)
    assert (response.status_code, response.json()) == (200, {
        "sub": "auth0|user-1", "scheme": "Bearer", "jkt": None, "x5t_s256": client_certificate.x5t_s256})


@pytest.mark.parametrize("path", ["/api/binding", "/plain/binding"])
def test_a_bound_token_without_a_certificate_is_invalid_token(mtls_settings, client, bound_token, path):
    assert_invalid_token(get(client, bound_token, path=path), MISMATCH)


def test_the_drf_class_alone_checks_the_certificate(mtls_settings, no_middleware, client, bound_token,
                                                    client_certificate):
    assert get(client, bound_token, client_certificate.header_value).status_code == 200
    refused = get(client, bound_token)  # DRF's own body: {"detail": ...}
    assert (refused.status_code, refused["WWW-Authenticate"]) == (401, bearer_error(MISMATCH))


def test_the_thumbprint_of_another_certificate_is_refused(mtls_settings, client, bound_token):
    assert_invalid_token(get(client, bound_token, ClientCertificate("someone-else").header_value), MISMATCH)


def test_the_alb_encoding_is_accepted(mtls_settings, client, auth0_tenant):
    # ALB keeps `+`, `=` and `/`: decoding `+` as a space would break the DER. A certificate is
    # random: take one whose base64 holds a `+` (about one in three hundred has none).
    certificate = next(c for c in (ClientCertificate(f"client-{i}") for i in range(50)) if "+" in c.alb_header_value)
    token = auth0_tenant.mint_token(x5t_s256=certificate.x5t_s256)
    assert get(client, token, certificate.alb_header_value).status_code == 200


def test_a_certificate_header_is_ignored_when_no_header_is_configured(client, auth0_tenant, bound_token,
                                                                      client_certificate):
    # No MTLS_CLIENT_CERT_HEADER: the request may not have come through the proxy, so the header proves nothing.
    assert_invalid_token(get(client, bound_token, client_certificate.header_value), MISMATCH)


def test_a_certificate_under_another_header_name_is_ignored(settings, client, auth0_tenant, bound_token,
                                                            client_certificate):
    settings.AUTH0_API = auth0_tenant.settings(MTLS_CLIENT_CERT_HEADER="X-Amzn-Mtls-Clientcert")
    assert_invalid_token(get(client, bound_token, client_certificate.header_value), MISMATCH)
    response = get(client, bound_token, HTTP_X_AMZN_MTLS_CLIENTCERT=client_certificate.alb_header_value)
    assert response.status_code == 200


def test_two_certificate_values_are_refused(mtls_settings, client, bound_token, client_certificate):
    # A proxy that overwrites the header sends one: a client-added second one is refused, whichever comes first.
    joined = f"{client_certificate.header_value},{ClientCertificate('other').header_value}"
    assert_invalid_token(get(client, bound_token, joined), MISMATCH)


@pytest.mark.parametrize("garbage", ["", "not a certificate", "-----BEGIN CERTIFICATE-----%%%-----END CERTIFICATE-----",
                                     "-----BEGIN CERTIFICATE-----AAAA-----END CERTIFICATE-----"])
def test_garbage_in_the_header_is_no_certificate(mtls_settings, client, auth0_tenant, bound_token, garbage):
    assert_invalid_token(get(client, bound_token, garbage), MISMATCH)
    assert get(client, auth0_tenant.mint_token(), garbage).status_code == 200  # an unbound token needs none


def test_an_unbound_token_passes_with_or_without_a_certificate(mtls_settings, client, auth0_tenant,
                                                               client_certificate):
    token = auth0_tenant.mint_token()
    for certificate in (None, client_certificate.header_value):
        response = get(client, token, certificate)
        assert (response.status_code, response.json()["x5t_s256"]) == (200, None)


# -- the async faces (Django's ASGI handler: the async middleware, `auth0_required`, adrf) ---------------

ASYNC_PATHS = ["/async/me", "/async/class-me", "/adrf/me"]


@pytest.fixture
def warm_keys(auth0_tenant):
    """The signing keys fetched already: an async face then verifies on the event loop."""
    get_api_client().verify_access_token(auth0_tenant.mint_token())


@pytest.mark.parametrize("path", ASYNC_PATHS)
def test_an_async_view_refuses_a_bound_token_without_its_certificate(mtls_settings, warm_keys, async_client,
                                                                     bound_token, path):
    response = aget(async_client, path, Authorization=f"Bearer {bound_token}")
    assert_invalid_token(response, MISMATCH)


@pytest.mark.parametrize("path", ASYNC_PATHS)
def test_an_async_view_accepts_a_bound_token_with_its_certificate(mtls_settings, warm_keys, async_client, bound_token,
                                                                  client_certificate, path):
    response = aget(async_client, path, Authorization=f"Bearer {bound_token}",
                    **{HEADER: client_certificate.header_value})
    assert (response.status_code, response.json()["sub"]) == (200, "auth0|user-1")


@pytest.mark.parametrize("path", ASYNC_PATHS)
def test_an_async_view_with_mtls_required_refuses_an_unbound_token(settings, async_client, auth0_tenant,
                                                                   client_certificate, path):
    settings.AUTH0_API = auth0_tenant.settings(MTLS_CLIENT_CERT_HEADER=HEADER, MTLS_REQUIRED=True)
    get_api_client().verify_access_token(auth0_tenant.mint_token(x5t_s256=client_certificate.x5t_s256))  # warm keys
    response = aget(async_client, path, Authorization=f"Bearer {auth0_tenant.mint_token()}",
                    **{HEADER: client_certificate.header_value})
    assert_invalid_token(response, "Access token is not certificate-bound")


# -- MTLS_REQUIRED --------------------------------------------------------------------------------------------

def test_mtls_required_refuses_an_unbound_token(settings, client, auth0_tenant, client_certificate):
    settings.AUTH0_API = auth0_tenant.settings(MTLS_CLIENT_CERT_HEADER=HEADER, MTLS_REQUIRED=True)
    assert_invalid_token(get(client, auth0_tenant.mint_token(), client_certificate.header_value),
                         "Access token is not certificate-bound")


def test_mtls_required_accepts_a_bound_token(settings, client, auth0_tenant, bound_token, client_certificate):
    settings.AUTH0_API = auth0_tenant.settings(MTLS_CLIENT_CERT_HEADER=HEADER, MTLS_REQUIRED=True)
    assert get(client, bound_token, client_certificate.header_value).status_code == 200


def test_mtls_required_refuses_a_dpop_only_token(settings, client, auth0_tenant, dpop_key, client_certificate):
    settings.AUTH0_API = auth0_tenant.settings(MTLS_CLIENT_CERT_HEADER=HEADER, MTLS_REQUIRED=True)
    token = auth0_tenant.mint_token(jkt=dpop_key.jkt)
    proof = auth0_tenant.mint_dpop_proof(dpop_key, htu=URL, access_token=token)
    response = get(client, token, client_certificate.header_value, scheme="DPoP", HTTP_DPOP=proof)
    assert_invalid_token(response, "Access token is not certificate-bound",
                         'Bearer realm="api", DPoP algs="ES256", error="invalid_token", '
                         'error_description="Access token is not certificate-bound"')


def test_mtls_required_needs_the_header_setting(auth0_tenant):
    with pytest.raises(ConfigurationError, match="mtls_required needs mtls_client_cert_header"):
        ApiClientOptions(domain=auth0_tenant.domain, audience=auth0_tenant.audience, mtls_required=True)


@pytest.mark.parametrize("name", ["X Client Cert", "", "X-Client-Cert:", "Authorization", "dpop", 5])
def test_the_header_setting_must_be_a_header_name(auth0_tenant, name):
    with pytest.raises(ConfigurationError, match="mtls_client_cert_header must be an HTTP header name"):
        ApiClientOptions(domain=auth0_tenant.domain, audience=auth0_tenant.audience, mtls_client_cert_header=name)


# -- in every DPoP mode; bound both ways ----------------------------------------------------------------------

@pytest.mark.parametrize("dpop", [{}, {"DPOP_ENABLED": False}], ids=["allowed", "off"])
def test_a_certificate_bound_bearer_token_in_each_bearer_mode(settings, client, auth0_tenant, bound_token,
                                                              client_certificate, dpop):
    settings.AUTH0_API = auth0_tenant.settings(MTLS_CLIENT_CERT_HEADER=HEADER, **dpop)
    assert get(client, bound_token, client_certificate.header_value).status_code == 200
    assert get(client, bound_token).status_code == 401


@pytest.mark.parametrize("dpop", [{}, {"DPOP_REQUIRED": True}], ids=["allowed", "required"])
def test_a_token_bound_both_ways_needs_its_proof_and_its_certificate(settings, client, auth0_tenant, dpop_key,
                                                                     client_certificate, dpop):
    settings.AUTH0_API = auth0_tenant.settings(MTLS_CLIENT_CERT_HEADER=HEADER, **dpop)
    token = auth0_tenant.mint_token(jkt=dpop_key.jkt, x5t_s256=client_certificate.x5t_s256)

    def proof():
        return auth0_tenant.mint_dpop_proof(dpop_key, htu=URL, access_token=token)

    response = get(client, token, client_certificate.header_value, scheme="DPoP", HTTP_DPOP=proof())
    assert (response.status_code, response.json()) == (200, {
        "sub": "auth0|user-1", "scheme": "DPoP", "jkt": dpop_key.jkt, "x5t_s256": client_certificate.x5t_s256})
    without_certificate = get(client, token, scheme="DPoP", HTTP_DPOP=proof())
    assert (without_certificate.status_code, without_certificate.json()["error_description"]) == (401, MISMATCH)
    other_certificate = get(client, token, ClientCertificate("other").header_value, scheme="DPoP", HTTP_DPOP=proof())
    assert (other_certificate.status_code, other_certificate.json()["error"]) == (401, "invalid_token")


def test_a_token_bound_both_ways_sent_as_bearer_with_its_certificate_is_refused(mtls_settings, client, auth0_tenant,
                                                                               dpop_key, client_certificate):
    token = auth0_tenant.mint_token(jkt=dpop_key.jkt, x5t_s256=client_certificate.x5t_s256)
    assert_invalid_token(get(client, token, client_certificate.header_value), "DPoP-bound token sent as a Bearer token")


def test_a_missing_certificate_does_not_consume_the_proof(mtls_settings, client, auth0_tenant, dpop_key,
                                                          client_certificate):
    token = auth0_tenant.mint_token(jkt=dpop_key.jkt, x5t_s256=client_certificate.x5t_s256)
    proof = auth0_tenant.mint_dpop_proof(dpop_key, htu=URL, access_token=token)
    assert get(client, token, scheme="DPoP", HTTP_DPOP=proof).status_code == 401
    assert get(client, token, client_certificate.header_value, scheme="DPoP", HTTP_DPOP=proof).status_code == 200


def test_a_certificate_only_token_on_the_dpop_scheme_is_not_dpop_bound(mtls_settings, client, auth0_tenant,
                                                                       bound_token, client_certificate, dpop_key):
    proof = auth0_tenant.mint_dpop_proof(dpop_key, htu=URL, access_token=bound_token)
    response = get(client, bound_token, client_certificate.header_value, scheme="DPoP", HTTP_DPOP=proof)
    assert (response.status_code, response.json()["error_description"]) == (401, "Access token is not DPoP-bound")


# -- verify_request(headers=...) ---------------------------------------------------------------------------------

def client_for(tenant, **options) -> ApiClient:
    return ApiClient(ApiClientOptions(domain=tenant.domain, audience=tenant.audience, **options))


@pytest.mark.parametrize("name", ["X-Client-Cert", "x-client-cert", "X-CLIENT-CERT"])
def test_verify_request_reads_the_configured_header_in_any_case(auth0_tenant, bound_token, client_certificate, name):
    api = client_for(auth0_tenant, mtls_client_cert_header=HEADER)
    claims = api.verify_request({"authorization": f"Bearer {bound_token}", name: client_certificate.header_value})
    assert claims["cnf"] == {"x5t#S256": client_certificate.x5t_s256}


def test_verify_request_refuses_a_bound_token_without_the_header(auth0_tenant, bound_token, client_certificate):
    api = client_for(auth0_tenant, mtls_client_cert_header=HEADER)
    with pytest.raises(VerifyAccessTokenError) as caught:
        api.verify_request({"authorization": f"Bearer {bound_token}", "x-other": client_certificate.header_value})
    assert (caught.value.get_status_code(), caught.value.get_error_description()) == (401, MISMATCH)


def test_verify_request_ignores_the_header_when_none_is_configured(auth0_tenant, bound_token, client_certificate):
    with pytest.raises(VerifyAccessTokenError) as caught:
        client_for(auth0_tenant).verify_request(
            {"authorization": f"Bearer {bound_token}", HEADER: client_certificate.header_value})
    assert caught.value.get_error_description() == MISMATCH


def test_verify_request_reads_the_header_from_a_list_of_pairs(auth0_tenant, bound_token, client_certificate):
    api = client_for(auth0_tenant, mtls_client_cert_header=HEADER)
    headers = [("Authorization", f"Bearer {bound_token}"), (HEADER, client_certificate.header_value)]
    assert api.verify_request(headers)["sub"] == "auth0|user-1"


# -- cnf: which confirmation methods a token may carry ---------------------------------------------------------

def test_a_certificate_only_cnf_is_a_well_formed_claim(auth0_tenant, api_client, client_certificate):
    # Refused as "Claim cnf is malformed" before certificate-bound tokens were understood.
    token = auth0_tenant.mint_token(x5t_s256=client_certificate.x5t_s256)
    assert api_client.verify_access_token(token)["cnf"] == {"x5t#S256": client_certificate.x5t_s256}


@pytest.mark.parametrize("cnf", [{"x5t#S256": ""}, {"x5t#S256": 5}, {"jkt": "k", "x5t#S256": None}])
def test_a_malformed_certificate_binding_is_refused(auth0_tenant, api_client, cnf):
    with pytest.raises(VerifyAccessTokenError) as caught:
        api_client.verify_access_token(auth0_tenant.mint_token(claims={"cnf": cnf}))
    assert caught.value.get_error_description() == "Claim cnf is malformed"


@pytest.mark.parametrize("cnf", [{"jwk": {"kty": "EC"}}, {"x5t": "abc"}, {"jkt": "k", "kid": "k"}])
def test_a_confirmation_method_that_cannot_be_checked_is_refused(auth0_tenant, api_client, cnf):
    # Ignoring it would turn a sender-constrained token back into a bearer token.
    with pytest.raises(VerifyAccessTokenError) as caught:
        api_client.verify_access_token(auth0_tenant.mint_token(claims={"cnf": cnf}))
    assert caught.value.get_error_description() == "Claim cnf names a confirmation method this API cannot check"


# -- the thumbprint -------------------------------------------------------------------------------------------------

def test_the_thumbprint_is_sha256_of_the_der_base64url(client_certificate):
    import base64
    import hashlib

    expected = base64.urlsafe_b64encode(hashlib.sha256(client_certificate.der).digest()).rstrip(b"=").decode()
    assert mtls.certificate_thumbprint(client_certificate.header_value) == expected


def test_a_pem_whose_newlines_became_spaces_is_read(client_certificate):
    flattened = client_certificate.pem.replace("\n", " ")
    assert mtls.certificate_thumbprint(flattened) == client_certificate.x5t_s256


def test_the_leaf_of_a_chain_counts(client_certificate):
    chain = client_certificate.pem + ClientCertificate("ca").pem
    assert mtls.certificate_thumbprint(chain) == client_certificate.x5t_s256


def test_an_oversize_header_is_not_parsed(client_certificate):
    padded = client_certificate.header_value + "%20" * mtls.MAX_CERTIFICATE_HEADER_LENGTH
    assert mtls.certificate_thumbprint(padded) is None


# -- for the resource metadata (RFC 9728 §2) -------------------------------------------------------------------------

def test_metadata_says_certificate_bound_tokens_are_supported_when_a_header_is_configured(auth0_tenant):
    with_header = ApiClientOptions(domain=auth0_tenant.domain, audience=auth0_tenant.audience,
                                   mtls_client_cert_header=HEADER)
    without = ApiClientOptions(domain=auth0_tenant.domain, audience=auth0_tenant.audience)
    assert mtls.resource_metadata_members(with_header) == {"tls_client_certificate_bound_access_tokens": True}
    assert mtls.resource_metadata_members(without) == {}
