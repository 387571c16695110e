"""django_auth0_api.core.jws: compact JWS pieces, JWK loading, RFC 7638 thumbprints."""

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import RSAAlgorithm

from django_auth0_api.core import jws
from django_auth0_api.testing import rsa_key

# RFC 7638 §3.1: the example key and its SHA-256 thumbprint.
RFC7638_JWK = {
    "kty": "RSA",
    "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3"
         "oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQ"
         "vRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnq"
         "DKgw",
    "e": "AQAB",
    "alg": "RS256",
    "kid": "2011-04-29",
}
RFC7638_THUMBPRINT = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


# -- base64url ----------------------------------------------------------------------------------

def test_b64_round_trip_without_padding():
    assert jws.b64encode(b"\xfb\xff") == "-_8"
    assert jws.b64decode("-_8") == b"\xfb\xff"


@pytest.mark.parametrize("segment", ["-_8=", "+/8", "ab cd", "abcde", "é"])
def test_b64decode_refuses_padding_standard_alphabet_and_bad_lengths(segment):
    with pytest.raises(jws.JWSError):
        jws.b64decode(segment)


B64_SEGMENTS = ["", "-_8", "AQAB", "AQA", "AQ", "A", "-_8=", "+/8", "ab cd", "abcde", "é", "AQ\n", "AQ==", "=AQ",
                "A\x00B", "Zm9v" * 100, "AQ*", "A*", "****", "AB=C", "AR", "AQB", "-" * 5, "_" * 6]


@pytest.mark.parametrize("segment", B64_SEGMENTS)
def test_both_base64url_decoders_agree(segment):
    # `b64decode` is the fast one on Python 3.11+, `b64decode_checked` the one 3.10 runs.
    def outcome(decode):
        try:
            return decode(segment)
        except jws.JWSError:
            return "refused"

    assert outcome(jws.b64decode) == outcome(jws.b64decode_checked)


@pytest.mark.parametrize("decode", [jws.b64decode, jws.b64decode_checked])
def test_base64url_decoders_refuse_what_is_not_a_string(decode):
    with pytest.raises(jws.JWSError):
        decode(b"AQAB")


# -- JSON -----------------------------------------------------------------------------------------

def test_parse_json_object_accepts_whitespace_around_the_object():
    assert jws.parse_json_object(b' \n{"a": 1}\t ') == {"a": 1}


def test_parse_json_object_refuses_trailing_data():
    with pytest.raises(jws.JWSError):
        jws.parse_json_object(b'{"a": 1}{"b": 2}')

def test_parse_json_object_accepts_an_object():
    assert jws.parse_json_object(b'{"a": 1}') == {"a": 1}


@pytest.mark.parametrize("literal", [b'{"exp": NaN}', b'{"exp": Infinity}', b'{"exp": -Infinity}'])
def test_parse_json_object_refuses_nan_and_infinity(literal):
    with pytest.raises(jws.JWSError):
        jws.parse_json_object(literal)


@pytest.mark.parametrize("data", [b"[1, 2]", b'"text"', b"1", b"null", b"{", b"\xff\xfe\x00", b""])
def test_parse_json_object_refuses_non_objects_and_garbage(data):
    with pytest.raises(jws.JWSError):
        jws.parse_json_object(data)


def test_parse_json_object_refuses_deep_nesting_without_recursion_error():
    with pytest.raises(jws.JWSError):
        jws.parse_json_object(b'{"a":' * 100_000 + b"1" + b"}" * 100_000)


# -- compact shape ---------------------------------------------------------------------------------

def test_split_returns_three_segments():
    assert jws.split("a.b.c") == ("a", "b", "c")


@pytest.mark.parametrize("token", ["a.b", "a.b.c.d", "a.b.c.d.e", "a..c", ".b.c", "a.b.", "abc", ""])
def test_split_refuses_every_other_shape(token):
    with pytest.raises(jws.JWSError):
        jws.split(token)


# -- JWKs -----------------------------------------------------------------------------------------

def test_load_public_jwk_loads_an_rsa_key():
    key = jws.load_public_jwk(RFC7638_JWK)
    assert isinstance(key, rsa.RSAPublicKey) and key.key_size == 2048


def test_load_public_jwk_loads_ec_and_okp_keys():
    ec_jwk = jws.public_jwk(ec.generate_private_key(ec.SECP256R1()))
    okp_jwk = jws.public_jwk(ed25519.Ed25519PrivateKey.generate())
    assert isinstance(jws.load_public_jwk(ec_jwk), ec.EllipticCurvePublicKey)
    assert isinstance(jws.load_public_jwk(okp_jwk), ed25519.Ed25519PublicKey)


def test_load_public_jwk_refuses_a_private_key():
    private = RSAAlgorithm.to_jwk(rsa_key(0), as_dict=True)
    with pytest.raises(jws.JWSError):
        jws.load_public_jwk(private)


@pytest.mark.parametrize("jwk", [
    {"kty": "oct", "k": "c2VjcmV0"},
    {"kty": "oct"},
    {"kty": "XYZ", "n": "AQAB", "e": "AQAB"},
    {"kty": ["RSA"], "n": "AQAB", "e": "AQAB"},
    {"kty": {"RSA": 1}},
    {"n": "AQAB", "e": "AQAB"},
    {"kty": "RSA", "n": "!!!", "e": "AQAB"},
    {"kty": "RSA", "n": 5, "e": "AQAB"},
    {"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"},
    ["kty", "RSA"],
    "RSA",
    None,
])
def test_load_public_jwk_refuses_unusable_keys_with_jwserror_only(jwk):
    with pytest.raises(jws.JWSError):
        jws.load_public_jwk(jwk)


def test_key_fits_rsa_of_2048_bits_for_rs_and_ps():
    key = rsa_key(0).public_key()
    assert [jws.key_fits(alg, key) for alg in ("RS256", "PS256", "ES256", "EdDSA")] == [True, True, False, False]


def test_key_fits_refuses_rsa_under_2048_bits():
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()  # noqa: S505 (refused)
    assert jws.key_fits("RS256", small) is False


def test_key_fits_checks_the_curve():
    p256 = ec.generate_private_key(ec.SECP256R1()).public_key()
    assert [jws.key_fits(alg, p256) for alg in ("ES256", "ES384", "ES512", "RS256")] == [True, False, False, False]


def test_key_fits_ed25519_under_both_names():
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    assert [jws.key_fits(alg, key) for alg in ("EdDSA", "Ed25519", "ES256")] == [True, True, False]


def test_key_fits_unknown_algorithm_is_false():
    assert jws.key_fits("HS256", rsa_key(0).public_key()) is False


# -- signatures -------------------------------------------------------------------------------------

def test_sign_then_verify_signature_round_trip_es256():
    private = ec.generate_private_key(ec.SECP256R1())
    token = jws.sign("ES256", private, {"alg": "ES256"}, {"a": 1})
    header, payload, signature = jws.split(token)
    assert jws.verify_signature("ES256", private.public_key(), f"{header}.{payload}".encode(), jws.b64decode(signature))


SIGNING_KEYS = {
    "RS256": lambda: rsa_key(0), "RS384": lambda: rsa_key(0), "RS512": lambda: rsa_key(0),
    "PS256": lambda: rsa_key(0), "PS384": lambda: rsa_key(0), "PS512": lambda: rsa_key(0),
    "ES256": lambda: ec.generate_private_key(ec.SECP256R1()),
    "ES384": lambda: ec.generate_private_key(ec.SECP384R1()), "ES512": lambda: ec.generate_private_key(ec.SECP521R1()),
    "EdDSA": ed25519.Ed25519PrivateKey.generate,
}


@pytest.mark.parametrize("alg", sorted(SIGNING_KEYS))
def test_verify_signature_accepts_the_signature_and_refuses_another_input(alg):
    private = SIGNING_KEYS[alg]()
    header, payload, signature = jws.split(jws.sign(alg, private, {"alg": alg}, {"a": 1}))
    signed, raw = f"{header}.{payload}".encode(), jws.b64decode(signature)
    assert [jws.verify_signature(alg, private.public_key(), data, raw) for data in (signed, signed + b"x")] == [
        True, False]


@pytest.mark.parametrize("alg", ["ES256", "ES384", "ES512"])
def test_verify_signature_refuses_an_ecdsa_signature_of_the_wrong_length(alg):
    # RFC 7518 §3.4: R and S of the curve's own size; a DER signature (what
    # `cryptography` itself would take) or one byte short is not a JWS signature.
    private = SIGNING_KEYS[alg]()
    header, payload, signature = jws.split(jws.sign(alg, private, {"alg": alg}, {"a": 1}))
    raw = jws.b64decode(signature)
    der = private.sign(f"{header}.{payload}".encode(), ec.ECDSA(jws._ECDSA[alg][0].algorithm))
    assert [jws.verify_signature(alg, private.public_key(), f"{header}.{payload}".encode(), bad)
            for bad in (raw[:-1], raw + b"\x00", der)] == [False, False, False]


@pytest.mark.parametrize(("signed_as", "checked_as"), [("RS256", "PS256"), ("PS256", "RS256"), ("RS256", "RS384"),
                                                       ("PS512", "PS384")])
def test_verify_signature_refuses_an_rsa_signature_of_another_algorithm(signed_as, checked_as):
    # The padding and the hash are the algorithm's own (RFC 7518 §3.3, §3.5).
    private = rsa_key(0)
    header, payload, signature = jws.split(jws.sign(signed_as, private, {"alg": signed_as}, {"a": 1}))
    assert jws.verify_signature(checked_as, private.public_key(), f"{header}.{payload}".encode(),
                                jws.b64decode(signature)) is False


def test_verify_signature_is_false_for_another_input():
    private = ed25519.Ed25519PrivateKey.generate()
    header, payload, signature = jws.split(jws.sign("EdDSA", private, {"alg": "EdDSA"}, {"a": 1}))
    assert jws.verify_signature("EdDSA", private.public_key(), b"other.input", jws.b64decode(signature)) is False


@pytest.mark.parametrize("signature", [b"", b"\x00", b"garbage" * 40])
def test_verify_signature_is_false_not_an_exception_for_garbage(signature):
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    assert jws.verify_signature("ES256", key, b"a.b", signature) is False


def test_is_supported_only_known_asymmetric_names():
    assert [jws.is_supported(a) for a in ("RS256", "Ed25519", "HS256", "none", ["RS256"], None)] == [
        True, True, False, False, False, False]


# -- thumbprints ------------------------------------------------------------------------------------

def test_thumbprint_matches_rfc7638_example():
    assert jws.thumbprint(RFC7638_JWK) == RFC7638_THUMBPRINT


def test_thumbprint_ignores_non_required_members():
    assert jws.thumbprint({"e": "AQAB", "n": RFC7638_JWK["n"], "kty": "RSA", "use": "sig"}) == RFC7638_THUMBPRINT


@pytest.mark.parametrize("jwk", [{"kty": "RSA", "e": "AQAB"}, {"kty": "EC", "crv": "P-256", "x": "a", "y": 1},
                                 {"kty": ["RSA"], "n": "a", "e": "b"}, {"kty": "oct", "k": "a"}])
def test_thumbprint_refuses_keys_without_their_required_members(jwk):
    with pytest.raises(jws.JWSError):
        jws.thumbprint(jwk)


def test_sha256_b64_of_empty_string():
    assert jws.sha256_b64("") == "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"
