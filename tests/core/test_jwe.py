"""Encrypted access tokens (compact JWE nesting a signed JWT; RFC 7516, RFC 7519 §5.2).

Each rule with a passing and a failing case. Tokens come from the fake tenant
and, for the attacks, from `seal` below, which builds a JWE with
`cryptography` alone (not the package's encrypter), so any header, key
wrapping or segment can be had.
"""

from __future__ import annotations

import json
import os

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from helpers import b64url, segment, sign_rs256, tenant_claims

from django_auth0_api import ApiClient, ApiClientOptions
from django_auth0_api.core import jwe
from django_auth0_api.errors import ConfigurationError, VerifyAccessTokenError
from django_auth0_api.testing import rsa_key

INVALID = "Access token is invalid"
KID = "enc-0"


@pytest.fixture
def decryption_key(auth0_tenant):
    """The API's decryption key (PEM), registered with the tenant under `enc-0`."""
    return auth0_tenant.encryption_key(KID)


@pytest.fixture
def jwe_settings(settings, auth0_tenant, decryption_key):
    settings.AUTH0_API = auth0_tenant.settings(DECRYPTION_KEYS={KID: decryption_key})
    return settings


@pytest.fixture
def api(jwe_settings):
    from django_auth0_api.conf import get_api_client

    return get_api_client()


def public_key(pem: str):
    return serialization.load_pem_private_key(pem.encode(), password=None).public_key()


def seal(plaintext, pem: str, header: dict | None = None, *, wrap: str = "RSA-OAEP-256", cek: bytes | None = None,
         iv: bytes | None = None) -> str:
    """A compact JWE (RFC 7516 §7.1) of `plaintext` for the key of `pem`;
    `header` overrides the protected header (None removes a member)."""
    protected = {"alg": wrap, "enc": "A256GCM", "cty": "JWT", "kid": KID, **(header or {})}
    protected = {name: value for name, value in protected.items() if value is not None}
    header_b64 = segment(protected)
    cek = cek if cek is not None else os.urandom(32)
    paddings = {"RSA-OAEP-256": padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), None),
                "RSA-OAEP": padding.OAEP(padding.MGF1(hashes.SHA1()), hashes.SHA1(), None),  # noqa: S303
                "RSA1_5": padding.PKCS1v15()}
    encrypted_key = public_key(pem).encrypt(cek, paddings[wrap])
    iv = iv if iv is not None else os.urandom(12)
    data = plaintext.encode() if isinstance(plaintext, str) else plaintext
    sealed = AESGCM(cek).encrypt(iv, data, header_b64.encode())
    return ".".join((header_b64, b64url(encrypted_key), b64url(iv), b64url(sealed[:-16]), b64url(sealed[-16:])))


def refusal(api, token) -> str:
    with pytest.raises(VerifyAccessTokenError) as caught:
        api.verify_access_token(token)
    assert (caught.value.get_status_code(), caught.value.get_error_code()) == (401, "invalid_token")
    return caught.value.get_error_description()


def replace_segment(token: str, index: int, value: str) -> str:
    parts = token.split(".")
    parts[index] = value
    return ".".join(parts)


# -- accepted ------------------------------------------------------------------------------------------------

def test_an_encrypted_token_gives_the_claims_of_the_nested_token(auth0_tenant, api):
    token = auth0_tenant.mint_token(scope="read:messages", encrypt_for=KID)
    assert token.count(".") == 4
    claims = api.verify_access_token(token)
    assert (claims["sub"], claims["iss"], claims["scope"]) == ("auth0|user-1", auth0_tenant.issuer, "read:messages")


def test_a_jwe_built_independently_is_accepted(auth0_tenant, api, decryption_key):
    assert api.verify_access_token(seal(auth0_tenant.mint_token(), decryption_key))["sub"] == "auth0|user-1"


def test_an_encrypted_token_through_a_view(jwe_settings, client, auth0_tenant):
    token = auth0_tenant.mint_token(encrypt_for=KID)
    response = client.get("/api/binding", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert (response.status_code, response.json()["sub"]) == (200, "auth0|user-1")


def test_an_encrypted_dpop_bound_token_with_its_proof(jwe_settings, client, auth0_tenant, dpop_key):
    # `ath` is the hash of the token as sent: the JWE.
    token = auth0_tenant.mint_token(jkt=dpop_key.jkt, encrypt_for=KID)
    proof = auth0_tenant.mint_dpop_proof(dpop_key, htu="http://testserver/api/binding", access_token=token)
    response = client.get("/api/binding", HTTP_AUTHORIZATION=f"DPoP {token}", HTTP_DPOP=proof)
    assert (response.status_code, response.json()["jkt"]) == (200, dpop_key.jkt)


def test_an_encrypted_certificate_bound_token_with_its_certificate(settings, client, auth0_tenant, decryption_key,
                                                                   client_certificate):
    settings.AUTH0_API = auth0_tenant.settings(DECRYPTION_KEYS={KID: decryption_key},
                                               MTLS_CLIENT_CERT_HEADER="X-Client-Cert")
    token = auth0_tenant.mint_token(x5t_s256=client_certificate.x5t_s256, encrypt_for=KID)
    ok = client.get("/api/binding", HTTP_AUTHORIZATION=f"Bearer {token}",
                    HTTP_X_CLIENT_CERT=client_certificate.header_value)
    assert (ok.status_code, ok.json()["x5t_s256"]) == (200, client_certificate.x5t_s256)
    assert client.get("/api/binding", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


def test_the_inner_token_is_verified_as_a_plain_one(auth0_tenant, api):
    expired = auth0_tenant.mint_token(expires_in=-10, encrypt_for=KID)
    assert refusal(api, expired) == "Token has expired"
    wrong_audience = auth0_tenant.mint_token(audience="https://other.example.com", encrypt_for=KID)
    assert refusal(api, wrong_audience) == "Audience is not accepted"


def test_an_inner_token_with_a_bad_signature_is_refused(auth0_tenant, api, decryption_key):
    head, payload, _ = auth0_tenant.mint_token().split(".")
    forged = f"{head}.{payload}.{b64url(b'x' * 256)}"
    assert refusal(api, seal(forged, decryption_key)) == "Signature verification failed"


# -- plain JWS, REQUIRE_ENCRYPTION ------------------------------------------------------------------------------

def test_a_plain_token_is_still_accepted(auth0_tenant, api):
    assert api.verify_access_token(auth0_tenant.mint_token())["sub"] == "auth0|user-1"


def test_require_encryption_refuses_a_plain_token(settings, auth0_tenant, decryption_key):
    settings.AUTH0_API = auth0_tenant.settings(DECRYPTION_KEYS={KID: decryption_key}, REQUIRE_ENCRYPTION=True)
    from django_auth0_api.conf import get_api_client

    api = get_api_client()
    assert refusal(api, auth0_tenant.mint_token()) == "Access token is not encrypted"
    assert api.verify_access_token(auth0_tenant.mint_token(encrypt_for=KID))["sub"] == "auth0|user-1"


def test_require_encryption_needs_decryption_keys(auth0_tenant):
    with pytest.raises(ConfigurationError, match="require_encryption needs decryption_keys"):
        ApiClientOptions(domain=auth0_tenant.domain, audience=auth0_tenant.audience, require_encryption=True)


def test_without_decryption_keys_a_jwe_is_malformed(auth0_tenant, api_client):
    auth0_tenant.encryption_key(KID)
    with pytest.raises(VerifyAccessTokenError) as caught:
        api_client.verify_access_token(auth0_tenant.mint_token(encrypt_for=KID))
    assert caught.value.get_error_description() == "Access token is malformed"


# -- keys: by kid, rotation, from a file ------------------------------------------------------------------------------

def test_each_of_several_keys_is_chosen_by_kid(settings, auth0_tenant):
    old, new = auth0_tenant.encryption_key("old"), auth0_tenant.encryption_key("new")
    settings.AUTH0_API = auth0_tenant.settings(DECRYPTION_KEYS={"old": old, "new": new})
    from django_auth0_api.conf import get_api_client

    api = get_api_client()
    for kid in ("old", "new"):
        assert api.verify_access_token(auth0_tenant.mint_token(sub=kid, encrypt_for=kid))["sub"] == kid
    # Encrypted to "new" but labelled "old": the old key cannot unwrap it.
    mislabelled = auth0_tenant.encrypt(auth0_tenant.mint_token(), "new", header={"kid": "old"})
    assert refusal(api, mislabelled) == INVALID


def test_an_unknown_kid_is_refused(auth0_tenant, api, decryption_key):
    assert refusal(api, seal(auth0_tenant.mint_token(), decryption_key, {"kid": "enc-9"})) == INVALID


def test_one_key_serves_a_token_without_kid(auth0_tenant, api):
    token = auth0_tenant.encrypt(auth0_tenant.mint_token(), KID, send_kid=False)
    assert api.verify_access_token(token)["sub"] == "auth0|user-1"


def test_with_several_keys_a_token_without_kid_is_refused(settings, auth0_tenant, decryption_key):
    settings.AUTH0_API = auth0_tenant.settings(DECRYPTION_KEYS={KID: decryption_key,
                                                                "enc-1": auth0_tenant.encryption_key("enc-1")})
    from django_auth0_api.conf import get_api_client

    token = auth0_tenant.encrypt(auth0_tenant.mint_token(), KID, send_kid=False)
    assert refusal(get_api_client(), token) == INVALID


def test_a_key_file_path_is_read(settings, auth0_tenant, decryption_key, tmp_path):
    path = tmp_path / "decryption.pem"
    path.write_text(decryption_key)
    settings.AUTH0_API = auth0_tenant.settings(DECRYPTION_KEYS={KID: str(path)})
    from django_auth0_api.conf import get_api_client

    assert get_api_client().verify_access_token(auth0_tenant.mint_token(encrypt_for=KID))["sub"] == "auth0|user-1"


def ec_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def small_rsa_pem() -> str:
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@pytest.mark.parametrize(("source", "problem"), [
    ("/nonexistent/key.pem", "is neither PEM text nor a readable file"),
    ("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "is not an unencrypted PEM private key"),
    (ec_pem(), "must be an RSA private key of 2048 bits or more"),
    (small_rsa_pem(), "must be an RSA private key of 2048 bits or more"),
    ("", "must be PEM text or a file path"),
])
def test_a_key_that_does_not_load_stops_the_client(auth0_tenant, source, problem):
    options = ApiClientOptions(domain=auth0_tenant.domain, audience=auth0_tenant.audience,
                               decryption_keys={"k1": source})
    with pytest.raises(ConfigurationError) as caught:
        ApiClient(options)
    assert str(caught.value) == f"DECRYPTION_KEYS['k1'] {problem}"


def test_the_keys_never_show_in_the_options_repr(auth0_tenant, decryption_key):
    options = ApiClientOptions(domain=auth0_tenant.domain, audience=auth0_tenant.audience,
                               decryption_keys={KID: decryption_key})
    assert "decryption_keys" not in repr(options) and "PRIVATE" not in repr(options)


# -- algorithms --------------------------------------------------------------------------------------------------------

def test_rsa1_5_is_refused(auth0_tenant, api, decryption_key):
    # PKCS #1 v1.5 key wrapping invites padding oracles (RFC 7516 §11.5).
    assert refusal(api, seal(auth0_tenant.mint_token(), decryption_key, wrap="RSA1_5")) == INVALID


def test_rsa_oaep_with_sha1_is_not_accepted_by_default(auth0_tenant, api, decryption_key):
    assert refusal(api, seal(auth0_tenant.mint_token(), decryption_key, wrap="RSA-OAEP")) == INVALID


def test_dir_is_refused(auth0_tenant, api, decryption_key):
    cek, iv = os.urandom(32), os.urandom(12)
    header_b64 = segment({"alg": "dir", "enc": "A256GCM", "cty": "JWT", "kid": KID})
    sealed = AESGCM(cek).encrypt(iv, auth0_tenant.mint_token().encode(), header_b64.encode())
    no_key = ".".join((header_b64, "", b64url(iv), b64url(sealed[:-16]), b64url(sealed[-16:])))
    assert refusal(api, no_key) == INVALID
    with_key = seal(auth0_tenant.mint_token(), decryption_key, {"alg": "dir"})
    assert refusal(api, with_key) == INVALID


@pytest.mark.parametrize("alg", ["RSA1_5", "dir", "RSA-OAEP", "ECDH-ES", "A256KW"])
def test_unsafe_or_unsupported_algorithms_cannot_be_allowed(auth0_tenant, alg):
    with pytest.raises(ConfigurationError, match="decryption_algorithms may list only"):
        ApiClientOptions(domain=auth0_tenant.domain, audience=auth0_tenant.audience, decryption_algorithms=[alg])


def test_an_encryption_not_allowed_is_refused_and_one_allowed_is_accepted(settings, auth0_tenant, api,
                                                                         decryption_key):
    token = auth0_tenant.encrypt(auth0_tenant.mint_token(), KID, enc="A128GCM")
    assert refusal(api, token) == INVALID
    settings.AUTH0_API = auth0_tenant.settings(DECRYPTION_KEYS={KID: decryption_key},
                                               DECRYPTION_ENCRYPTIONS=["A128GCM", "A256GCM"])
    from django_auth0_api.conf import get_api_client

    assert get_api_client().verify_access_token(token)["sub"] == "auth0|user-1"


def test_rsa_oaep_384_when_allowed(settings, auth0_tenant, decryption_key):
    settings.AUTH0_API = auth0_tenant.settings(DECRYPTION_KEYS={KID: decryption_key},
                                               DECRYPTION_ALGORITHMS=["RSA-OAEP-384"])
    from django_auth0_api.conf import get_api_client

    api = get_api_client()
    assert api.verify_access_token(auth0_tenant.encrypt(auth0_tenant.mint_token(), KID, alg="RSA-OAEP-384"))
    assert refusal(api, auth0_tenant.mint_token(encrypt_for=KID)) == INVALID  # RSA-OAEP-256 no longer listed


@pytest.mark.parametrize("encryption", ["A128CBC-HS256", "A256KW"])
def test_unsupported_encryptions_cannot_be_allowed(auth0_tenant, encryption):
    with pytest.raises(ConfigurationError, match="decryption_encryptions may list only"):
        ApiClientOptions(domain=auth0_tenant.domain, audience=auth0_tenant.audience,
                         decryption_encryptions=[encryption])


# -- header ------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cty", ["jwt", "JWT", "application/jwt"])
def test_cty_jwt_in_any_case_is_accepted(auth0_tenant, api, decryption_key, cty):
    assert api.verify_access_token(seal(auth0_tenant.mint_token(), decryption_key, {"cty": cty}))


@pytest.mark.parametrize("header", [{"cty": None}, {"cty": "json"}, {"cty": 1}, {"zip": "DEF"}, {"crit": ["exp"]},
                                    {"enc": None}, {"alg": None}])
def test_a_header_that_is_not_allowed_is_refused(auth0_tenant, api, decryption_key, header):
    assert refusal(api, seal(auth0_tenant.mint_token(), decryption_key, header)) == INVALID


def test_a_changed_protected_header_fails_authentication(auth0_tenant, api, decryption_key):
    # The header is the additional authenticated data (RFC 7516 §5.2 step 14).
    token = seal(auth0_tenant.mint_token(), decryption_key)
    changed = segment({"alg": "RSA-OAEP-256", "enc": "A256GCM", "cty": "JWT", "kid": KID, "x": 1})
    assert refusal(api, replace_segment(token, 0, changed)) == INVALID


# -- segments ----------------------------------------------------------------------------------------------------------

def test_a_truncated_tag_is_refused(auth0_tenant, api):
    token = auth0_tenant.mint_token(encrypt_for=KID)
    tag = token.rsplit(".", 1)[1]
    assert refusal(api, replace_segment(token, 4, tag[:-4])) == INVALID


@pytest.mark.parametrize("index", [1, 2, 3, 4])
def test_a_changed_segment_is_refused(auth0_tenant, api, index):
    token = auth0_tenant.mint_token(encrypt_for=KID)
    part = token.split(".")[index]
    flipped = ("A" if part[0] != "A" else "B") + part[1:]
    assert refusal(api, replace_segment(token, index, flipped)) == INVALID


def test_an_iv_of_another_length_is_refused(auth0_tenant, api, decryption_key):
    token = seal(auth0_tenant.mint_token(), decryption_key, iv=os.urandom(16))
    assert refusal(api, token) == INVALID


def test_a_cek_of_the_wrong_length_is_refused(auth0_tenant, api, decryption_key):
    # A 16-byte key unwraps fine but is not an A256GCM key.
    assert refusal(api, seal(auth0_tenant.mint_token(), decryption_key, cek=os.urandom(16))) == INVALID


@pytest.mark.parametrize("shape", [lambda t: t + ".x", lambda t: t.rsplit(".", 1)[0] + ".",
                                   lambda t: "." + t.split(".", 1)[1], lambda t: t.replace(".", "!", 1)])
def test_a_jwe_of_another_shape_is_refused(auth0_tenant, api, shape):
    with pytest.raises(VerifyAccessTokenError):
        api.verify_access_token(shape(auth0_tenant.mint_token(encrypt_for=KID)))


# -- what is nested ----------------------------------------------------------------------------------------------------

def test_a_jwe_wrapping_an_unsigned_token_is_refused(auth0_tenant, api, decryption_key):
    unsigned = f"{segment({'alg': 'none', 'typ': 'at+jwt'})}.{segment(tenant_claims(auth0_tenant))}."
    assert refusal(api, seal(unsigned, decryption_key)) == "Access token is malformed"
    none_signed = f"{segment({'alg': 'none', 'kid': auth0_tenant.kid})}.{segment(tenant_claims(auth0_tenant))}.c2ln"
    assert refusal(api, seal(none_signed, decryption_key)) == "Algorithm is not accepted"


def test_a_jwe_wrapping_bare_claims_is_refused(auth0_tenant, api, decryption_key):
    assert refusal(api, seal(json.dumps(tenant_claims(auth0_tenant)), decryption_key)) == "Access token is malformed"


def test_a_jwe_wrapping_another_jwe_is_refused(auth0_tenant, api, decryption_key):
    inner = auth0_tenant.mint_token(encrypt_for=KID)
    assert refusal(api, seal(inner, decryption_key)) == "Access token is malformed"


def test_a_jwe_wrapping_non_ascii_is_refused(auth0_tenant, api, decryption_key):
    assert refusal(api, seal("é".encode() + auth0_tenant.mint_token().encode(), decryption_key)) == INVALID


def test_a_nested_token_signed_by_another_key_is_refused(auth0_tenant, api, decryption_key):
    stranger = sign_rs256({"alg": "RS256", "kid": auth0_tenant.kid}, tenant_claims(auth0_tenant), rsa_key(7))
    assert refusal(api, seal(stranger, decryption_key)) == "Signature verification failed"


# -- sizes, before any RSA work ----------------------------------------------------------------------------------------

class CountingKey:
    """A decryption key that counts its RSA operations (a stand-in for
    `cryptography`'s key object, not for code under test)."""

    def __init__(self, key):
        self.key, self.key_size, self.operations = key, key.key_size, 0

    def decrypt(self, *args):
        self.operations += 1
        return self.key.decrypt(*args)


@pytest.fixture
def counted(decryption_key):
    key = CountingKey(serialization.load_pem_private_key(decryption_key.encode(), password=None))
    return key, jwe.Decrypter({KID: key}, jwe.DEFAULT_ALGORITHMS, jwe.DEFAULT_ENCRYPTIONS)


def test_the_decrypter_does_one_rsa_operation_for_a_good_token(auth0_tenant, counted):
    key, decrypter = counted
    signed = auth0_tenant.mint_token()
    assert decrypter.decrypt(auth0_tenant.encrypt(signed, KID)) == signed
    assert key.operations == 1


@pytest.mark.parametrize("attack", [
    lambda t, pem: t + "A" * jwe.MAX_ENCRYPTED_TOKEN_LENGTH,  # oversize
    lambda t, pem: replace_segment(t, 0, segment({"alg": "RSA-OAEP-256", "enc": "A256GCM", "cty": "JWT",
                                                  "kid": KID, "pad": "x" * 1024})),  # oversize header
    lambda t, pem: seal("a.b.c", pem, wrap="RSA1_5"),
    lambda t, pem: seal("a.b.c", pem, {"kid": "unknown"}),
    lambda t, pem: seal("a.b.c", pem, {"cty": "json"}),
    lambda t, pem: replace_segment(t, 4, t.rsplit(".", 1)[1][:-4]),  # truncated tag
    lambda t, pem: replace_segment(t, 1, t.split(".")[1][:-8]),  # encrypted key not the modulus' length
    lambda t, pem: seal("a.b.c", pem, iv=os.urandom(8)),
], ids=["oversize", "oversize-header", "rsa1_5", "unknown-kid", "cty", "truncated-tag", "short-key", "short-iv"])
def test_refusals_cost_no_rsa_operation(auth0_tenant, counted, decryption_key, attack):
    key, decrypter = counted
    token = attack(auth0_tenant.mint_token(encrypt_for=KID), decryption_key)
    key.operations = 0
    with pytest.raises(jwe.JWEError):
        decrypter.decrypt(token)
    assert key.operations == 0


def test_a_jwe_over_16_kib_is_refused_offline(auth0_tenant, api):
    token = auth0_tenant.mint_token(encrypt_for=KID) + "A" * jwe.MAX_ENCRYPTED_TOKEN_LENGTH
    assert refusal(api, token) == "Access token is too large"
    assert len(auth0_tenant.responses.calls) == 0


def test_a_plain_token_over_8_kib_stays_too_large_with_decryption_keys(auth0_tenant, api):
    token = auth0_tenant.mint_token(claims={"pad": "x" * 7000})
    assert 8192 < len(token) < jwe.MAX_ENCRYPTED_TOKEN_LENGTH
    assert refusal(api, token) == "Access token is too large"


def test_an_encrypted_token_nesting_nearly_8_kib_is_accepted(auth0_tenant, api):
    base = len(auth0_tenant.mint_token(claims={"pad": ""}))
    signed = auth0_tenant.mint_token(claims={"pad": "x" * ((8150 - base) * 3 // 4)})
    token = auth0_tenant.encrypt(signed, KID)
    assert len(signed) <= 8192 < len(token) <= jwe.MAX_ENCRYPTED_TOKEN_LENGTH
    assert api.verify_access_token(token)["sub"] == "auth0|user-1"


def test_every_decryption_failure_answers_the_same(jwe_settings, client, auth0_tenant, decryption_key):
    token = auth0_tenant.mint_token(encrypt_for=KID)
    attacks = [seal(auth0_tenant.mint_token(), decryption_key, wrap="RSA1_5"),
               replace_segment(token, 4, token.rsplit(".", 1)[1][:-4]),
               seal(auth0_tenant.mint_token(), decryption_key, {"kid": "nope"}),
               seal(auth0_tenant.mint_token(), decryption_key, cek=os.urandom(16))]
    answers = {(r.status_code, r.content, r["WWW-Authenticate"])
               for r in (client.get("/api/binding", HTTP_AUTHORIZATION=f"Bearer {t}") for t in attacks)}
    assert answers == {(401, b'{"error": "invalid_token", "error_description": "Access token is invalid"}',
                        'Bearer realm="api", error="invalid_token", error_description="Access token is invalid", '
                        'DPoP algs="ES256"')}


@pytest.mark.parametrize("index", [1, 2, 3, 4])
def test_a_segment_that_is_not_base64url_is_refused(auth0_tenant, api, index):
    token = auth0_tenant.mint_token(encrypt_for=KID)
    assert refusal(api, replace_segment(token, index, "*" + token.split(".")[index][1:])) == INVALID
