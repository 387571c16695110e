"""DPoP-bound tokens and their proofs (RFC 9449 §4.3, §7; the README, §5).

Requests go through the test project, where `/api/me` sits behind both the
middleware and the DRF class, and `/plain/me` behind the middleware and
`auth0_required`. Every check has a passing and a failing case, with the exact
status, body and challenge.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed448, rsa

from django_auth0_api import ApiClient, ApiClientOptions
from django_auth0_api.core import jws
from django_auth0_api.errors import (
    InvalidDpopProofError,
    InvalidRequestError,
    MissingRequiredArgumentError,
    VerifyAccessTokenError,
)
from django_auth0_api.testing import DpopKey

URL = "http://testserver/api/me"
BOTH = 'Bearer realm="api", DPoP algs="ES256"'


def dpop_error(description: str, error: str = "invalid_dpop_proof", algs: str = "ES256") -> str:
    """The allowed-mode challenge with an error on the DPoP scheme."""
    return f'Bearer realm="api", DPoP algs="{algs}", error="{error}", error_description="{description}"'


def get(client, token, proof=None, path="/api/me", scheme="DPoP", **extra):
    headers = {"HTTP_AUTHORIZATION": f"{scheme} {token}"}
    if proof is not None:
        headers["HTTP_DPOP"] = proof
    return client.get(path, **headers, **extra)


def raw_jws(header, payload, signature: bytes = b"not-a-signature") -> str:
    """A compact JWS from any JSON values (or raw bytes), signature as given."""
    def segment(part):
        return jws.b64encode(part if isinstance(part, bytes) else json.dumps(part).encode())
    return f"{segment(header)}.{segment(payload)}.{jws.b64encode(signature)}"


def assert_refused(response, description, error="invalid_dpop_proof", status=401, challenge=None):
    assert response.status_code == status
    assert response.json() == {"error": error, "error_description": description}
    assert response["WWW-Authenticate"] == (challenge or dpop_error(description, error))


@pytest.fixture
def token(auth0_tenant, dpop_key):
    """An access token bound to `dpop_key`."""
    return auth0_tenant.mint_token(jkt=dpop_key.jkt)


@pytest.fixture
def proof_for(auth0_tenant, dpop_key, token):
    """`proof_for(**kwargs)`: a proof for GET /api/me by `dpop_key` with `token`."""
    def make(key=None, **kwargs):
        kwargs.setdefault("htu", URL)
        kwargs.setdefault("access_token", token)
        return auth0_tenant.mint_dpop_proof(key or dpop_key, **kwargs)
    return make


# -- the happy path and the faces ---------------------------------------------------------


def test_valid_proof_is_accepted_through_middleware_and_drf(client, token, proof_for):
    response = get(client, token, proof_for())
    assert response.status_code == 200
    assert response.json() == {"sub": "auth0|user-1", "scheme": "DPoP", "scopes": [], "actor": None,
                               "delegation_chain": []}


def test_middleware_and_drf_consume_the_proof_once(client, token, proof_for):
    # Verified twice, the second pass would see a replay and answer 401.
    proof = proof_for()
    assert get(client, token, proof).status_code == 200
    assert_refused(get(client, token, proof), "DPoP proof has been used before")


def test_valid_proof_through_auth0_required_view(client, token, proof_for):
    response = get(client, token, proof_for(htu="http://testserver/plain/me"), path="/plain/me")
    assert response.status_code == 200
    assert response.json()["scheme"] == "DPoP"


def test_valid_proof_through_drf_alone(settings, client, token, proof_for):
    settings.MIDDLEWARE = []
    assert get(client, token, proof_for()).status_code == 200


def test_drf_alone_answers_a_refused_proof_with_the_dpop_challenge(settings, client, token, proof_for):
    settings.MIDDLEWARE = []
    response = get(client, token, proof_for(htm="POST"))
    assert response.status_code == 401
    assert response.json() == {"detail": "DPoP proof htm does not match the request method",
                               "error": "invalid_dpop_proof"}
    assert response["WWW-Authenticate"] == dpop_error("DPoP proof htm does not match the request method")


def test_request_auth_carries_the_proof_and_the_binding(rf, auth0_tenant, dpop_key, token, proof_for):
    from django_auth0_api.request_auth import authenticate_request

    proof = proof_for()
    request = rf.get("/api/me", HTTP_AUTHORIZATION=f"DPoP {token}", HTTP_DPOP=proof)
    verified = authenticate_request(request)
    assert (verified.scheme, verified.jkt, verified.proof_claims["jti"]) == (
        "DPoP", dpop_key.jkt, jws.decode_segment(proof.split(".")[1])["jti"])


def test_scheme_name_is_case_insensitive(client, token, proof_for):
    assert get(client, token, proof_for(), scheme="dpop").status_code == 200


def test_post_with_post_proof_is_accepted(client, token, proof_for):
    response = client.post("/api/me", HTTP_AUTHORIZATION=f"DPoP {token}", HTTP_DPOP=proof_for(htm="POST"))
    assert response.status_code == 200


# -- request shape (the README) --------------------------------------------------------------------


def test_dpop_scheme_without_dpop_header_is_invalid_request(client, token):
    response = get(client, token)
    assert_refused(response, "DPoP scheme without a DPoP proof header", error="invalid_request", status=400)


def test_dpop_scheme_with_empty_dpop_header_is_invalid_request(client, token):
    response = get(client, token, "")
    assert_refused(response, "DPoP scheme without a DPoP proof header", error="invalid_request", status=400)


def test_several_dpop_headers_are_refused(client, token, proof_for):
    # A server joins repeated header fields with commas (RFC 9110 §5.3).
    response = get(client, token, f"{proof_for()}, {proof_for()}")
    assert_refused(response, "Multiple DPoP proofs")


def test_several_dpop_headers_as_separate_fields_are_refused(auth0_tenant, token, proof_for):
    client = ApiClient(ApiClientOptions(domain=auth0_tenant.domain, audience=auth0_tenant.audience))
    headers = [("Authorization", f"DPoP {token}"), ("DPoP", proof_for()), ("dpop", proof_for())]
    with pytest.raises(InvalidDpopProofError) as caught:
        client.verify_request(headers, "GET", URL)
    assert (caught.value.get_status_code(), caught.value.get_error_description()) == (401, "Multiple DPoP proofs")


def test_dpop_scheme_with_unbound_token_is_invalid_token(client, auth0_tenant, proof_for):
    unbound = auth0_tenant.mint_token()
    response = get(client, unbound, proof_for(access_token=unbound))
    assert_refused(response, "Access token is not DPoP-bound", error="invalid_token")


def test_bound_token_sent_as_bearer_is_invalid_token(client, token):
    response = get(client, token, scheme="Bearer")
    assert_refused(response, "DPoP-bound token sent as a Bearer token", error="invalid_token",
                   challenge='Bearer realm="api", error="invalid_token", '
                             'error_description="DPoP-bound token sent as a Bearer token", DPoP algs="ES256"')


def test_bound_token_sent_as_bearer_with_its_proof_is_invalid_token(client, token, proof_for):
    response = get(client, token, proof_for(), scheme="Bearer")
    assert_refused(response, "DPoP-bound token sent as a Bearer token", error="invalid_token",
                   challenge='Bearer realm="api", error="invalid_token", '
                             'error_description="DPoP-bound token sent as a Bearer token", DPoP algs="ES256"')


def test_dpop_header_on_unbound_bearer_request_is_invalid_request(client, auth0_tenant, proof_for):
    unbound = auth0_tenant.mint_token()
    response = get(client, unbound, proof_for(access_token=unbound), scheme="Bearer")
    assert_refused(response, "DPoP proof sent with an unbound Bearer token", error="invalid_request", status=400,
                   challenge='Bearer realm="api", error="invalid_request", '
                             'error_description="DPoP proof sent with an unbound Bearer token", DPoP algs="ES256"')


def test_unbound_bearer_token_without_proof_is_accepted(client, auth0_tenant):
    response = get(client, auth0_tenant.mint_token(), scheme="Bearer")
    assert (response.status_code, response.json()["scheme"]) == (200, "Bearer")


def test_invalid_token_with_valid_proof_is_invalid_token(client, auth0_tenant, dpop_key, proof_for):
    expired = auth0_tenant.mint_token(jkt=dpop_key.jkt, expires_in=-10)
    response = get(client, expired, proof_for(access_token=expired))
    assert_refused(response, "Token has expired", error="invalid_token")


# -- modes (the README, §4) ------------------------------------------------------------------------


def test_bare_challenge_in_allowed_mode_offers_both_schemes(client, auth0_tenant):
    response = client.get("/api/me")
    assert (response.status_code, response["WWW-Authenticate"]) == (401, BOTH)


def test_required_mode_accepts_dpop(settings, client, auth0_tenant, token, proof_for):
    settings.AUTH0_API = auth0_tenant.settings(DPOP_REQUIRED=True)
    assert get(client, token, proof_for()).status_code == 200


def test_required_mode_treats_bearer_as_no_credentials(settings, client, auth0_tenant):
    settings.AUTH0_API = auth0_tenant.settings(DPOP_REQUIRED=True)
    response = get(client, auth0_tenant.mint_token(), scheme="Bearer")
    assert (response.status_code, response["WWW-Authenticate"]) == (401, 'DPoP algs="ES256"')


def test_required_mode_puts_errors_on_the_only_scheme(settings, client, auth0_tenant, token, proof_for):
    settings.AUTH0_API = auth0_tenant.settings(DPOP_REQUIRED=True)
    response = get(client, token, proof_for(htm="PUT"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == (
        'DPoP algs="ES256", error="invalid_dpop_proof", '
        'error_description="DPoP proof htm does not match the request method"')


def test_off_mode_treats_dpop_scheme_as_no_credentials(settings, client, auth0_tenant, token, proof_for):
    settings.AUTH0_API = auth0_tenant.settings(DPOP_ENABLED=False)
    response = get(client, token, proof_for())
    assert (response.status_code, response["WWW-Authenticate"]) == (401, 'Bearer realm="api"')


def test_off_mode_refuses_bound_token_as_bearer(settings, client, auth0_tenant, token):
    settings.AUTH0_API = auth0_tenant.settings(DPOP_ENABLED=False)
    response = get(client, token, scheme="Bearer")
    assert_refused(response, "DPoP-bound token sent as a Bearer token", error="invalid_token",
                   challenge='Bearer realm="api", error="invalid_token", '
                             'error_description="DPoP-bound token sent as a Bearer token"')


# -- header: typ, crit, alg, jwk --------------------------------------------------------------------


@pytest.mark.parametrize("typ", ["dpop+jwt", "DPoP+JWT"])
def test_typ_dpop_jwt_is_accepted(client, token, proof_for, typ):
    assert get(client, token, proof_for(header={"typ": typ})).status_code == 200


@pytest.mark.parametrize("typ", ["JWT", "at+jwt", "application/dpop+jwt", "", ["dpop+jwt"], None])
def test_other_typ_is_refused(client, token, proof_for, typ):
    assert_refused(get(client, token, proof_for(header={"typ": typ})), "DPoP proof typ must be dpop+jwt")


def test_missing_typ_is_refused(client, token, proof_for):
    assert_refused(get(client, token, proof_for(drop=["typ"])), "DPoP proof typ must be dpop+jwt")


def test_crit_header_is_refused(client, token, proof_for):
    response = get(client, token, proof_for(header={"crit": ["exp"], "exp": 1}))
    assert_refused(response, "DPoP proof has critical header parameters")


@pytest.mark.parametrize("alg", ["ES256", "ES384", "ES512", "EdDSA", "Ed25519", "RS256", "PS256"])
def test_each_selectable_algorithm_is_accepted_when_listed(settings, client, auth0_tenant, alg):
    settings.AUTH0_API = auth0_tenant.settings(DPOP_ALGORITHMS=[alg])
    key = DpopKey(alg)
    token = auth0_tenant.mint_token(jkt=key.jkt)
    proof = auth0_tenant.mint_dpop_proof(key, htu=URL, access_token=token)
    assert get(client, token, proof).status_code == 200


@pytest.mark.parametrize("alg", ["ES384", "ES512", "EdDSA", "Ed25519", "RS256", "PS256"])
def test_algorithm_not_listed_is_refused(client, auth0_tenant, alg):
    key = DpopKey(alg)  # correctly signed, but the default list is ["ES256"]
    token = auth0_tenant.mint_token(jkt=key.jkt)
    proof = auth0_tenant.mint_dpop_proof(key, htu=URL, access_token=token)
    assert_refused(get(client, token, proof), "DPoP proof algorithm is not accepted")


def test_challenge_lists_every_configured_algorithm(settings, client, auth0_tenant):
    settings.AUTH0_API = auth0_tenant.settings(DPOP_ALGORITHMS=["ES256", "Ed25519", "EdDSA"])
    response = client.get("/api/me")
    assert response["WWW-Authenticate"] == 'Bearer realm="api", DPoP algs="ES256 Ed25519 EdDSA"'


def test_alg_none_is_refused(client, token, dpop_key):
    proof = raw_jws({"typ": "dpop+jwt", "alg": "none", "jwk": dpop_key.jwk},
                    {"jti": "j", "htm": "GET", "htu": URL, "iat": int(time.time()), "ath": jws.sha256_b64(token)})
    assert_refused(get(client, token, proof), "DPoP proof algorithm is not accepted")


def test_alg_hs256_keyed_with_the_public_jwk_is_refused(client, token, dpop_key):
    header = {"typ": "dpop+jwt", "alg": "HS256", "jwk": dpop_key.jwk}
    payload = {"jti": "j", "htm": "GET", "htu": URL, "iat": int(time.time()), "ath": jws.sha256_b64(token)}
    signing_input = ".".join(jws.b64encode(json.dumps(p).encode()) for p in (header, payload))
    secret = json.dumps(dpop_key.jwk).encode()
    proof = f"{signing_input}.{jws.b64encode(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())}"
    assert_refused(get(client, token, proof), "DPoP proof algorithm is not accepted")


@pytest.mark.parametrize("alg", [None, ["ES256"], {"alg": "ES256"}, 256])
def test_alg_of_wrong_type_is_refused(client, token, proof_for, alg):
    assert_refused(get(client, token, proof_for(header={"alg": alg})), "DPoP proof algorithm is not accepted")


def test_missing_jwk_is_refused(client, token, proof_for):
    assert_refused(get(client, token, proof_for(drop=["jwk"])), "DPoP proof jwk is not a usable public key")


@pytest.mark.parametrize("member", ["d", "p", "q", "dp", "dq", "qi", "k"])
def test_jwk_with_private_members_is_refused(client, token, proof_for, dpop_key, member):
    jwk = dict(dpop_key.jwk, **{member: "AAAA"})
    assert_refused(get(client, token, proof_for(header={"jwk": jwk})), "DPoP proof jwk is not a usable public key")


def test_jwk_with_the_real_private_scalar_is_refused(client, token, proof_for, dpop_key):
    d = dpop_key.private_key.private_numbers().private_value.to_bytes(32, "big")
    jwk = dict(dpop_key.jwk, d=jws.b64encode(d))
    assert_refused(get(client, token, proof_for(header={"jwk": jwk})), "DPoP proof jwk is not a usable public key")


def test_symmetric_jwk_is_refused(client, token, proof_for):
    response = get(client, token, proof_for(header={"jwk": {"kty": "oct", "k": "c2VjcmV0"}}))
    assert_refused(response, "DPoP proof jwk is not a usable public key")


@pytest.mark.parametrize("jwk", [
    ["EC"],
    "jwk",
    {"kty": ["EC"], "crv": "P-256", "x": "AA", "y": "AA"},
    {"kty": "EC", "crv": "P-256"},
    {"kty": "EC", "crv": "P-256", "x": 1, "y": 2},
    {"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"},  # not a point on the curve
    {"kty": "XYZ"},
])
def test_malformed_jwk_is_refused(client, token, proof_for, jwk):
    assert_refused(get(client, token, proof_for(header={"jwk": jwk})), "DPoP proof jwk is not a usable public key")


def test_ec_jwk_on_another_curve_than_alg_is_refused(client, auth0_tenant):
    p384 = DpopKey("ES256", private_key=ec.generate_private_key(ec.SECP384R1()))
    token = auth0_tenant.mint_token(jkt=p384.jkt)
    response = get(client, token, auth0_tenant.mint_dpop_proof(p384, htu=URL, access_token=token))
    assert_refused(response, "DPoP proof jwk does not fit its algorithm")


def test_rsa_jwk_for_ec_alg_is_refused(client, auth0_tenant):
    rsa_key = DpopKey("RS256")
    token = auth0_tenant.mint_token(jkt=rsa_key.jkt)
    proof = auth0_tenant.mint_dpop_proof(rsa_key, htu=URL, access_token=token, header={"alg": "ES256"})
    assert_refused(get(client, token, proof), "DPoP proof jwk does not fit its algorithm")


def test_rsa_jwk_under_2048_bits_is_refused(settings, client, auth0_tenant):
    settings.AUTH0_API = auth0_tenant.settings(DPOP_ALGORITHMS=["RS256"])
    weak = DpopKey("RS256", private_key=rsa.generate_private_key(public_exponent=65537, key_size=1024))
    token = auth0_tenant.mint_token(jkt=weak.jkt)
    response = get(client, token, auth0_tenant.mint_dpop_proof(weak, htu=URL, access_token=token))
    assert_refused(response, "DPoP proof jwk does not fit its algorithm",
                   challenge=dpop_error("DPoP proof jwk does not fit its algorithm", algs="RS256"))


def test_ed448_key_is_accepted_as_eddsa(settings, client, auth0_tenant):
    settings.AUTH0_API = auth0_tenant.settings(DPOP_ALGORITHMS=["EdDSA"])
    key = DpopKey("EdDSA", private_key=ed448.Ed448PrivateKey.generate())
    token = auth0_tenant.mint_token(jkt=key.jkt)
    assert get(client, token, auth0_tenant.mint_dpop_proof(key, htu=URL, access_token=token)).status_code == 200


def test_ed448_key_is_refused_as_ed25519(settings, client, auth0_tenant):
    # RFC 9864: "Ed25519" names exactly EdDSA over Ed25519.
    settings.AUTH0_API = auth0_tenant.settings(DPOP_ALGORITHMS=["Ed25519"])
    key = DpopKey("Ed25519", private_key=ed448.Ed448PrivateKey.generate())
    token = auth0_tenant.mint_token(jkt=key.jkt)
    proof = auth0_tenant.mint_dpop_proof(key, htu=URL, access_token=token, header={"alg": "Ed25519"})
    assert_refused(get(client, token, proof), "DPoP proof jwk does not fit its algorithm",
                   challenge=dpop_error("DPoP proof jwk does not fit its algorithm", algs="Ed25519"))


# -- signature -----------------------------------------------------------------------------------------


def test_signature_by_another_key_is_refused(client, token, proof_for, dpop_key):
    other = DpopKey()
    # The header carries dpop_key's public jwk; the signature is other's.
    response = get(client, token, proof_for(key=other, header={"jwk": dpop_key.jwk}))
    assert_refused(response, "DPoP proof signature is invalid")


def test_tampered_payload_is_refused(client, token, proof_for):
    header, _, signature = proof_for().split(".")
    forged = jws.b64encode(json.dumps({"jti": "x", "htm": "GET", "htu": URL, "iat": int(time.time()),
                                       "ath": jws.sha256_b64(token)}).encode())
    assert_refused(get(client, token, f"{header}.{forged}.{signature}"), "DPoP proof signature is invalid")


def test_truncated_signature_is_refused(client, token, proof_for):
    assert_refused(get(client, token, proof_for()[:-6]), "DPoP proof signature is invalid")


def test_signature_not_base64url_is_refused(client, token, proof_for):
    header, payload, _ = proof_for().split(".")
    assert_refused(get(client, token, f"{header}.{payload}.!!"), "DPoP proof is malformed")


@pytest.mark.parametrize("proof", ["abc", "a.b", "a.b.c.d", "..", "a..c", "%%%.eyJ9.AAAA", "e.e30.AAAA"])
def test_not_a_compact_jws_is_refused(client, token, proof):
    assert_refused(get(client, token, proof), "DPoP proof is malformed")


# -- claims: jti -------------------------------------------------------------------------------------


@pytest.mark.parametrize("jti", ["a", "j" * 256, "é-ü-ü"])
def test_jti_of_1_to_256_characters_is_accepted(client, token, proof_for, jti):
    assert get(client, token, proof_for(claims={"jti": jti})).status_code == 200


@pytest.mark.parametrize("jti", ["", "j" * 257, 42, None, ["a"], {"a": 1}, True])
def test_bad_jti_is_refused(client, token, proof_for, jti):
    assert_refused(get(client, token, proof_for(claims={"jti": jti})), "DPoP proof jti is missing or malformed")


def test_missing_jti_is_refused(client, token, proof_for):
    assert_refused(get(client, token, proof_for(drop=["jti"])), "DPoP proof jti is missing or malformed")


# -- claims: htm -----------------------------------------------------------------------------------


@pytest.mark.parametrize("htm", ["POST", "get", "Get", "GET ", "", None, ["GET"]])
def test_htm_other_than_the_method_is_refused(client, token, proof_for, htm):
    response = get(client, token, proof_for(htm=htm))
    assert_refused(response, "DPoP proof htm does not match the request method")


def test_missing_htm_is_refused(client, token, proof_for):
    response = get(client, token, proof_for(drop=["htm"]))
    assert_refused(response, "DPoP proof htm does not match the request method")


# -- claims: htu -----------------------------------------------------------------------------------


@pytest.mark.parametrize("htu", [
    "http://testserver/api/me",
    "http://testserver/api/me?x=1",
    "http://testserver/api/me#fragment",
    "http://testserver/api/me?other=query#and-fragment",
    "HTTP://TestServer/api/me",
    "http://testserver:80/api/me",
    "http://testserver/api/%6De",
    "http://testserver/api/./me",
    "http://testserver/api/x/../me",
    "http://testserver/%61pi/me",
])
def test_htu_equal_after_normalization_is_accepted(client, token, proof_for, htu):
    assert get(client, token, proof_for(htu=htu)).status_code == 200


def test_request_query_is_ignored(client, token, proof_for):
    response = get(client, token, proof_for(htu="http://testserver/api/me"), path="/api/me?page=2")
    assert response.status_code == 200


@pytest.mark.parametrize("htu", [
    "http://testserver/api/other",
    "http://testserver/api/me/",
    "http://testserver/API/me",
    "https://testserver/api/me",
    "http://testserver:8080/api/me",
    "http://evil.example/api/me",
    "http://user@testserver/api/me",
    "http://testserver/api/m%65%2F",
    "http://test server/api/me",
    "http://testserver/api/\tme",
    "/api/me",
    "testserver/api/me",
    "ftp://testserver/api/me",
    "http://testserver:99999/api/me",
    "http://[::1/api/me",
    "",
    None,
    42,
    ["http://testserver/api/me"],
])
def test_htu_other_than_the_request_url_is_refused(client, token, proof_for, htu):
    response = get(client, token, proof_for(htu=htu))
    assert_refused(response, "DPoP proof htu does not match the request URL")


def test_missing_htu_is_refused(client, token, proof_for):
    assert_refused(get(client, token, proof_for(drop=["htu"])), "DPoP proof htu does not match the request URL")


def test_non_ascii_htu_matches_the_percent_encoded_request_path(client, auth0_tenant, dpop_key, token):
    # Django builds the request URL with the path percent-encoded as UTF-8.
    proof = auth0_tenant.mint_dpop_proof(dpop_key, htu="http://testserver/api/caf\u00e9", access_token=token)
    response = get(client, token, proof, path="/api/caf%C3%A9")
    assert response.status_code == 404  # verified by the middleware, then no such route


def test_htu_is_built_from_the_proxy_headers_django_trusts(settings, client, token, proof_for):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.USE_X_FORWARDED_HOST = True
    response = get(client, token, proof_for(htu="https://api.example.com/api/me"),
                   HTTP_X_FORWARDED_PROTO="https", HTTP_X_FORWARDED_HOST="api.example.com")
    assert response.status_code == 200


def test_proxy_headers_are_ignored_unless_django_trusts_them(client, token, proof_for):
    response = get(client, token, proof_for(htu="https://api.example.com/api/me"),
                   HTTP_X_FORWARDED_PROTO="https", HTTP_X_FORWARDED_HOST="api.example.com")
    assert_refused(response, "DPoP proof htu does not match the request URL")


def test_proof_for_the_public_url_is_refused_on_the_internal_one(settings, client, token, proof_for):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = get(client, token, proof_for(htu="https://testserver/api/me"), HTTP_X_FORWARDED_PROTO="http")
    assert_refused(response, "DPoP proof htu does not match the request URL")


def test_a_host_with_a_trailing_dot_matches_the_htu_without_it(client, token, proof_for):
    response = get(client, token, proof_for(htu="http://testserver/api/me"), HTTP_HOST="testserver.")
    assert (response.status_code, response.json()["scheme"]) == (200, "DPoP")


@pytest.mark.parametrize("middleware", [
    None,  # the test project's: CommonMiddleware refuses the host first
    ["django_auth0_api.middleware.Auth0Middleware"],
    [],  # DRF alone
])
def test_hostile_host_header_is_a_400(settings, client, token, proof_for, middleware):
    if middleware is not None:
        settings.MIDDLEWARE = middleware
    response = get(client, token, proof_for(htu="http://evil.example/api/me"), HTTP_HOST="evil.example")
    assert response.status_code == 400


def test_hostile_forwarded_host_is_a_400(settings, client, token, proof_for):
    settings.USE_X_FORWARDED_HOST = True
    settings.MIDDLEWARE = ["django_auth0_api.middleware.Auth0Middleware"]
    response = get(client, token, proof_for(htu="http://evil.example/api/me"), HTTP_X_FORWARDED_HOST="evil.example")
    assert response.status_code == 400


# -- claims: iat -----------------------------------------------------------------------------------


@pytest.mark.parametrize("offset", [0, -290, 25, 0.5])
def test_iat_within_the_window_is_accepted(client, token, proof_for, offset):
    assert get(client, token, proof_for(claims={"iat": time.time() + offset})).status_code == 200


# A few seconds past each bound: the request itself takes time, and must not carry iat back inside.
@pytest.mark.parametrize("offset", [-301, -3600, 35, 3600])
def test_iat_outside_the_window_is_refused(client, token, proof_for, offset):
    response = get(client, token, proof_for(claims={"iat": time.time() + offset}))
    assert_refused(response, "DPoP proof iat is outside the acceptable window")


def test_iat_window_follows_the_settings(settings, client, auth0_tenant, token, proof_for):
    settings.AUTH0_API = auth0_tenant.settings(DPOP_IAT_OFFSET=10, DPOP_IAT_LEEWAY=0)
    assert get(client, token, proof_for(claims={"iat": int(time.time()) - 5})).status_code == 200
    for offset in (-20, 5):
        response = get(client, token, proof_for(claims={"iat": int(time.time()) + offset}))
        assert response.json()["error_description"] == "DPoP proof iat is outside the acceptable window"


@pytest.mark.parametrize("iat", [str(int(time.time())), True, False, None, [1], {"t": 1}, 10**400])
def test_iat_not_a_finite_number_is_refused(client, token, proof_for, iat):
    response = get(client, token, proof_for(claims={"iat": iat}))
    assert_refused(response, "DPoP proof iat is missing or malformed")


def test_missing_iat_is_refused(client, token, proof_for):
    assert_refused(get(client, token, proof_for(drop=["iat"])), "DPoP proof iat is missing or malformed")


@pytest.mark.parametrize("iat, written", [(float("nan"), b"NaN"), (float("inf"), b"Infinity"),
                                          (float("-inf"), b"-Infinity")])
def test_nan_and_infinite_iat_are_refused(client, token, dpop_key, iat, written):
    # json.dumps writes NaN and Infinity, which are not JSON: the proof does not parse.
    payload = json.dumps({"jti": "j", "htm": "GET", "htu": URL, "iat": iat, "ath": jws.sha256_b64(token)}).encode()
    assert written in payload
    proof = raw_jws({"typ": "dpop+jwt", "alg": "ES256", "jwk": dpop_key.jwk}, payload)
    assert_refused(get(client, token, proof), "DPoP proof is malformed")


# -- claims: ath -----------------------------------------------------------------------------------


def test_missing_ath_is_refused(client, token, proof_for):
    assert_refused(get(client, token, proof_for(access_token=None)), "DPoP proof ath does not match the access token")


@pytest.mark.parametrize("ath", ["", "AAAA", 1, ["x"]])
def test_malformed_ath_is_refused(client, token, proof_for, ath):
    response = get(client, token, proof_for(claims={"ath": ath}))
    assert_refused(response, "DPoP proof ath does not match the access token")


def test_ath_of_another_token_is_refused(client, auth0_tenant, dpop_key, token, proof_for):
    other = auth0_tenant.mint_token(jkt=dpop_key.jkt)
    response = get(client, token, proof_for(access_token=other))
    assert_refused(response, "DPoP proof ath does not match the access token")


# -- binding (cnf.jkt) ---------------------------------------------------------------------------


def test_proof_by_another_key_breaks_the_binding(client, auth0_tenant, token):
    thief = DpopKey()  # a valid proof, by a key the token is not bound to
    response = get(client, token, auth0_tenant.mint_dpop_proof(thief, htu=URL, access_token=token))
    assert_refused(response, "DPoP proof key does not match the token binding", error="invalid_token")


def test_binding_uses_the_rfc7638_thumbprint(client, auth0_tenant, dpop_key):
    # RFC 7638 §3.1's canonical form, computed here by hand.
    canonical = json.dumps({m: dpop_key.jwk[m] for m in ("crv", "kty", "x", "y")}, separators=(",", ":"))
    jkt = jws.b64encode(hashlib.sha256(canonical.encode()).digest())
    token = auth0_tenant.mint_token(jkt=jkt)
    proof = auth0_tenant.mint_dpop_proof(dpop_key, htu=URL, access_token=token)
    assert get(client, token, proof).status_code == 200


def test_extra_jwk_members_do_not_change_the_thumbprint(client, token, proof_for, dpop_key):
    jwk = dict(dpop_key.jwk, kid="my-key", use="sig", alg="ES256")
    assert get(client, token, proof_for(header={"jwk": jwk})).status_code == 200


# -- replay ----------------------------------------------------------------------------------------


def test_replayed_proof_is_refused(client, token, proof_for):
    proof = proof_for()
    assert get(client, token, proof).status_code == 200
    assert_refused(get(client, token, proof), "DPoP proof has been used before")


def test_replay_is_detected_by_a_fresh_client_sharing_the_cache(auth0_tenant, token, proof_for):
    options = ApiClientOptions(domain=auth0_tenant.domain, audience=auth0_tenant.audience)
    proof = proof_for()
    headers = {"Authorization": f"DPoP {token}", "DPoP": proof}
    assert ApiClient(options).verify_request(headers, "GET", URL)["sub"] == "auth0|user-1"
    with pytest.raises(InvalidDpopProofError) as caught:
        ApiClient(options).verify_request(headers, "GET", URL)
    assert caught.value.get_error_description() == "DPoP proof has been used before"


def test_same_jti_with_another_key_is_not_a_replay(client, auth0_tenant, token, proof_for):
    other = DpopKey()
    other_token = auth0_tenant.mint_token(jkt=other.jkt)
    assert get(client, token, proof_for(claims={"jti": "shared"})).status_code == 200
    proof = auth0_tenant.mint_dpop_proof(other, htu=URL, access_token=other_token, claims={"jti": "shared"})
    assert get(client, other_token, proof).status_code == 200


def test_replay_check_can_be_turned_off(settings, client, auth0_tenant, token, proof_for):
    settings.AUTH0_API = auth0_tenant.settings(DPOP_REPLAY_CHECK=False)
    proof = proof_for()
    assert [get(client, token, proof).status_code for _ in range(2)] == [200, 200]


def test_refused_proof_is_not_remembered(client, token, proof_for):
    # A proof refused before the replay check (here: a broken binding is
    # not reached, htm is wrong) must not burn its jti for a correct one.
    assert get(client, token, proof_for(htm="POST", claims={"jti": "once"})).status_code == 401
    assert get(client, token, proof_for(claims={"jti": "once"})).status_code == 200


def test_unreachable_replay_cache_is_a_503(settings, client, token, proof_for):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0",
                                   "OPTIONS": {"socket_connect_timeout": 0.2}}}
    response = get(client, token, proof_for())
    # Keys survive a cache outage (fetched, kept in process); the replay
    # store cannot, and fails closed.
    assert response.status_code == 503
    assert response["Retry-After"] == "30"


# -- hostile proofs: 401, fast, never a 500 ------------------------------------------------------------


def _timed(client, token, proof):
    start = time.perf_counter()
    response = get(client, token, proof)
    return response, time.perf_counter() - start


def test_100kb_dpop_header_is_refused_fast(client, token):
    response, elapsed = _timed(client, token, "A" * 100_000)
    assert_refused(response, "DPoP proof is missing or too large")
    assert elapsed < 0.5


def test_100kb_proof_of_many_parts_is_refused_fast(client, token):
    response, elapsed = _timed(client, token, ".".join(["eyJ9"] * 25_000))
    assert_refused(response, "DPoP proof is missing or too large")
    assert elapsed < 0.5


def test_100kb_of_commas_is_refused_fast(client, token):
    response, elapsed = _timed(client, token, "a," * 50_000)
    assert_refused(response, "Multiple DPoP proofs")
    assert elapsed < 0.5


def test_10kb_jti_is_refused(client, token, proof_for):
    response, elapsed = _timed(client, token, proof_for(claims={"jti": "j" * 10_000}))
    assert_refused(response, "DPoP proof is missing or too large")
    assert elapsed < 0.5


NOT_OBJECTS = [[], ["typ", "dpop+jwt"], "dpop+jwt", 1, None, b"\xff\xfe", b"[" * 2000 + b"]" * 2000]


@pytest.mark.parametrize("header", NOT_OBJECTS)
def test_header_that_is_not_a_json_object_is_refused(client, token, header):
    assert_refused(get(client, token, raw_jws(header, {})), "DPoP proof is malformed")


@pytest.mark.parametrize("payload", NOT_OBJECTS)
def test_payload_that_is_not_a_json_object_is_refused(client, token, dpop_key, payload):
    header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": dpop_key.jwk}
    assert_refused(get(client, token, raw_jws(header, payload)), "DPoP proof is malformed")


def test_deeply_nested_claims_are_refused(client, token, dpop_key):
    header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": dpop_key.jwk}
    payload = b'{"x":' + b"[" * 2000 + b"]" * 2000 + b"}"
    response = get(client, token, raw_jws(header, payload))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_dpop_proof"


def test_lone_surrogate_in_jti_is_handled(client, token, proof_for):
    # JSON may escape a lone surrogate; the replay key must still be computable.
    assert get(client, token, proof_for(claims={"jti": "\ud800"})).status_code == 200


def test_lone_surrogate_in_htu_is_refused(client, token, proof_for):
    response = get(client, token, proof_for(htu="http://testserver/api/\ud800"))
    assert_refused(response, "DPoP proof htu does not match the request URL")


@pytest.mark.parametrize("bits, exponent", [(2048, 2**2047 + 1), (2048, 2**32 + 1), (16384, 65537)])
def test_expensive_rsa_jwk_is_refused_fast(settings, client, auth0_tenant, token, bits, exponent):
    # A client picks its own proof key; one that costs milliseconds to check is refused.
    settings.AUTH0_API = auth0_tenant.settings(DPOP_ALGORITHMS=["RS256"])
    n = (1 << (bits - 1)) | int.from_bytes(b"\x5a" * (bits // 8), "big") | 1
    jwk = {"kty": "RSA", "n": jws.b64encode(n.to_bytes(bits // 8, "big")),
           "e": jws.b64encode(exponent.to_bytes((exponent.bit_length() + 7) // 8, "big"))}
    proof = raw_jws({"typ": "dpop+jwt", "alg": "RS256", "jwk": jwk}, {"jti": "j"}, b"\x01" * (bits // 8))
    response, elapsed = _timed(client, token, proof)
    assert_refused(response, "DPoP proof jwk does not fit its algorithm",
                   challenge=dpop_error("DPoP proof jwk does not fit its algorithm", algs="RS256"))
    assert elapsed < 0.5


def test_larger_rsa_key_within_bounds_is_accepted(settings, client, auth0_tenant):
    settings.AUTH0_API = auth0_tenant.settings(DPOP_ALGORITHMS=["PS256"])
    key = DpopKey("PS256", private_key=rsa.generate_private_key(public_exponent=65537, key_size=3072))
    token = auth0_tenant.mint_token(jkt=key.jkt)
    assert get(client, token, auth0_tenant.mint_dpop_proof(key, htu=URL, access_token=token)).status_code == 200


# -- ApiClient (the README) ----------------------------------------------------------------------------


@pytest.fixture
def api_client(auth0_tenant):
    return ApiClient(ApiClientOptions(domain=auth0_tenant.domain, audience=auth0_tenant.audience))


def test_verify_dpop_proof_returns_the_proof_claims(api_client, token, proof_for, dpop_key):
    proof = proof_for()
    claims = api_client.verify_dpop_proof(access_token=token, proof=proof, http_method="GET", http_url=URL)
    assert claims == jws.decode_segment(proof.split(".")[1])


@pytest.mark.parametrize("missing", ["access_token", "proof", "http_method", "http_url"])
def test_verify_dpop_proof_needs_every_argument(api_client, token, proof_for, missing):
    arguments = {"access_token": token, "proof": proof_for(), "http_method": "GET", "http_url": URL}
    arguments[missing] = ""
    with pytest.raises(MissingRequiredArgumentError) as caught:
        api_client.verify_dpop_proof(**arguments)
    named = "dpop_proof" if missing == "proof" else missing  # upstream's name for the proof
    assert (caught.value.argument, caught.value.get_error_description()) == (
        named, f"Missing required argument: {named}")


def test_verify_dpop_proof_errors_challenge_on_the_dpop_scheme(api_client, token, proof_for):
    with pytest.raises(InvalidDpopProofError) as caught:
        api_client.verify_dpop_proof(access_token=token, proof=proof_for(), http_method="POST", http_url=URL)
    assert caught.value.get_headers()["WWW-Authenticate"] == dpop_error(
        "DPoP proof htm does not match the request method")


def test_verify_dpop_proof_refuses_an_unbound_token(api_client, auth0_tenant, proof_for):
    unbound = auth0_tenant.mint_token()
    with pytest.raises(VerifyAccessTokenError) as caught:
        api_client.verify_dpop_proof(access_token=unbound, proof=proof_for(access_token=unbound),
                                     http_method="GET", http_url=URL)
    assert caught.value.get_headers()["WWW-Authenticate"] == dpop_error("Access token is not DPoP-bound",
                                                                        error="invalid_token")


def test_verify_dpop_proof_refuses_another_key(api_client, auth0_tenant, token):
    proof = auth0_tenant.mint_dpop_proof(DpopKey(), htu=URL, access_token=token)
    with pytest.raises(VerifyAccessTokenError) as caught:
        api_client.verify_dpop_proof(access_token=token, proof=proof, http_method="GET", http_url=URL)
    assert caught.value.get_error_description() == "DPoP proof key does not match the token binding"


def test_verify_request_with_dpop_headers(api_client, token, proof_for):
    claims = api_client.verify_request(headers={"authorization": f"DPoP {token}", "dpop": proof_for()},
                                       http_method="GET", http_url=URL + "?q=1")
    assert claims["cnf"]["jkt"] == jws.decode_segment(token.split(".")[1])["cnf"]["jkt"]


def test_verify_request_with_dpop_needs_the_url(api_client, token, proof_for):
    with pytest.raises(MissingRequiredArgumentError) as caught:
        api_client.verify_request(headers={"authorization": f"DPoP {token}", "dpop": proof_for()},
                                  http_method="GET")
    assert caught.value.get_error_description() == "Missing required argument: http_url"


def test_verify_request_with_dpop_scheme_and_no_proof(api_client, token):
    with pytest.raises(InvalidRequestError) as caught:
        api_client.verify_request(headers={"authorization": f"DPoP {token}"}, http_method="GET", http_url=URL)
    assert (caught.value.get_status_code(), caught.value.get_error_code()) == (400, "invalid_request")


def test_two_apis_accepting_one_token_each_consume_the_proof_once(auth0_tenant, dpop_key, proof_for):
    # RFC 9449 §11.1: each resource server remembers the jti it has seen. A
    # project serving two APIs whose token names both verifies the request once
    # per API; a replay is refused by each.
    other = "https://other-api.example.com"
    token = auth0_tenant.mint_token(jkt=dpop_key.jkt, audience=[auth0_tenant.audience, other])
    apis = [ApiClient(ApiClientOptions(domain=auth0_tenant.domain, audience=audience))
            for audience in (auth0_tenant.audience, other)]
    headers = {"Authorization": f"DPoP {token}", "DPoP": proof_for(access_token=token)}

    def outcome(api):
        try:
            return api.verify_request(headers, "GET", URL)["sub"]
        except InvalidDpopProofError as exc:
            return exc.get_error_description()

    assert [outcome(api) for api in apis + apis] == ["auth0|user-1", "auth0|user-1",
                                                    "DPoP proof has been used before",
                                                    "DPoP proof has been used before"]
