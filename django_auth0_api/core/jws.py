"""Compact JWS pieces: the only module that touches pyjwt.

pyjwt's `jwt.decode` bundles parsing, policy and claim checks that are too
lenient for us (a string `exp` passes) and too slow to run per request; we
keep its algorithm objects and key loaders and do the rest ourselves.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import sys
from collections.abc import Callable
from typing import Any, TypeGuard

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm, RSAPSSAlgorithm

_B64URL = re.compile(r"[A-Za-z0-9_-]*")
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
MIN_RSA_BITS = 2048

_ALGORITHMS = {
    "RS256": RSAAlgorithm(RSAAlgorithm.SHA256),
    "RS384": RSAAlgorithm(RSAAlgorithm.SHA384),
    "RS512": RSAAlgorithm(RSAAlgorithm.SHA512),
    "PS256": RSAPSSAlgorithm(RSAPSSAlgorithm.SHA256),
    "PS384": RSAPSSAlgorithm(RSAPSSAlgorithm.SHA384),
    "PS512": RSAPSSAlgorithm(RSAPSSAlgorithm.SHA512),
    "ES256": ECAlgorithm(ECAlgorithm.SHA256),
    "ES384": ECAlgorithm(ECAlgorithm.SHA384),
    "ES512": ECAlgorithm(ECAlgorithm.SHA512),
    "EdDSA": OKPAlgorithm(),
    # RFC 9864's fully specified name for EdDSA over Ed25519.
    "Ed25519": OKPAlgorithm(),
}
_CURVES = {"ES256": ec.SECP256R1, "ES384": ec.SECP384R1, "ES512": ec.SECP521R1}
# The algorithms of nearly every token and proof are checked with
# `cryptography` directly, their padding and hash objects made once: pyjwt's
# `verify` builds them on every call. The rest go through pyjwt's objects.
_PKCS1 = padding.PKCS1v15()
_RSA_HASHES = {"RS256": hashes.SHA256(), "RS384": hashes.SHA384(), "RS512": hashes.SHA512()}
# RFC 7518 §3.4: an ECDSA signature is R and S, each as long as the curve's order.
_ECDSA = {"ES256": (ec.ECDSA(hashes.SHA256()), 32), "ES384": (ec.ECDSA(hashes.SHA384()), 48),
          "ES512": (ec.ECDSA(hashes.SHA512()), 66)}
_LOADERS = {"RSA": RSAAlgorithm.from_jwk, "EC": ECAlgorithm.from_jwk, "OKP": OKPAlgorithm.from_jwk}
# RFC 7638 §3.2: the required members of each key type, in lexical order.
_THUMBPRINT_MEMBERS = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x")}


class JWSError(ValueError):
    """The input is not a well-formed compact JWS (or JWK); no detail leaks."""


# base64url to base64 for `a2b_base64`'s strict mode, which refuses in C what
# is not the alphabet: `-` and `_` become `+` and `/`, and whatever was already
# `+`, `/` or `=` becomes `*`, which it refuses too. One pass over the segment.
_TO_STANDARD_ALPHABET = bytes.maketrans(b"-_+/=", b"+/***")
# The padding each length wants; a length of 4n+1 is no base64 at all (`*` is refused).
_PADDING = (b"", b"*", b"==", b"=")


def b64decode_checked(segment: str) -> bytes:
    """base64url without padding (RFC 7515 §2), the alphabet checked by a regex."""
    if not isinstance(segment, str) or not _B64URL.fullmatch(segment) or len(segment) % 4 == 1:
        raise JWSError("bad base64url")
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


if sys.version_info >= (3, 11):
    def b64decode(segment: str) -> bytes:
        """`b64decode_checked`, faster: Python 3.11's strict mode checks the
        alphabet in C (see `_TO_STANDARD_ALPHABET`)."""
        try:
            data = segment.encode("ascii")
            return binascii.a2b_base64(data.translate(_TO_STANDARD_ALPHABET) + _PADDING[len(data) % 4],
                                       strict_mode=True)
        except (UnicodeEncodeError, AttributeError, binascii.Error):
            raise JWSError("bad base64url") from None
else:
    b64decode = b64decode_checked


def b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _refuse_constant(name: str) -> Any:
    raise JWSError("NaN and Infinity are not JSON")


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)
# The decoder's C scanner, called directly: `raw_decode` is a Python frame around it.
_SCAN: Callable[[str, int], tuple[Any, int]] = _DECODER.scan_once  # type: ignore[attr-defined]  # set by __init__


def parse_json_object(data: bytes | str) -> dict[str, Any]:
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        # What a JWT holds (no whitespace around the object) in one scan; the
        # decoder's full path (whitespace allowed, and its errors) for anything else.
        try:
            value, end = _SCAN(text, 0)
        except (StopIteration, ValueError):
            end = -1
        if end != len(text):
            value = _DECODER.decode(text)
    except (ValueError, RecursionError, UnicodeDecodeError):
        raise JWSError("bad JSON") from None
    if not isinstance(value, dict):
        raise JWSError("not a JSON object")
    return value


def split(token: str) -> tuple[str, str, str]:
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        raise JWSError("not a compact JWS")
    return parts[0], parts[1], parts[2]


def decode_segment(segment: str) -> dict[str, Any]:
    """The JSON object a base64url segment holds (a JWS header or payload)."""
    return parse_json_object(b64decode(segment))


def is_supported(alg: object) -> TypeGuard[str]:
    return isinstance(alg, str) and alg in _ALGORITHMS


def load_public_jwk(jwk: object) -> object:
    """A public key object from a JWK dict; private or symmetric keys refused."""
    if not isinstance(jwk, dict) or PRIVATE_MEMBERS & jwk.keys():
        raise JWSError("not a public JWK")
    kty = jwk.get("kty")
    loader = _LOADERS.get(kty) if isinstance(kty, str) else None
    if loader is None:
        raise JWSError("unsupported key type")
    try:
        return loader(jwk)
    except Exception:  # pyjwt raises several types, some with the key in the text
        raise JWSError("unusable JWK") from None


def key_fits(alg: str, key: object) -> bool:
    """Whether `key` is the right kind (and size or curve) for `alg`."""
    if alg[:2] in ("RS", "PS"):
        return isinstance(key, rsa.RSAPublicKey) and key.key_size >= MIN_RSA_BITS
    if alg in _CURVES:
        return isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, _CURVES[alg])
    if alg == "Ed25519":
        return isinstance(key, ed25519.Ed25519PublicKey)
    if alg == "EdDSA":
        return isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey))
    return False


def jwk_verifies(jwk: dict[str, Any], key: object, alg: str) -> bool:
    """Whether a JWKS key may verify `alg`: its own `alg`, if it names one,
    must agree, and the key must be of the kind (and size or curve) `alg` needs."""
    return jwk.get("alg", alg) == alg and key_fits(alg, key)


def verify_signature(alg: str, key: Any, signing_input: bytes, signature: bytes) -> bool:
    """Whether `signature` is `key`'s over `signing_input` (`key` already fits `alg`)."""
    try:
        rsa_hash = _RSA_HASHES.get(alg)
        if rsa_hash is not None:
            key.verify(signature, signing_input, _PKCS1, rsa_hash)
            return True
        ecdsa = _ECDSA.get(alg)
        if ecdsa is not None:
            algorithm, size = ecdsa
            if len(signature) != 2 * size:
                return False
            r, s = int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
            key.verify(encode_dss_signature(r, s), signing_input, algorithm)
            return True
        return _ALGORITHMS[alg].verify(signing_input, key, signature)
    except Exception:  # InvalidSignature, or a malformed signature that raises instead
        return False


def thumbprint(jwk: object) -> str:
    """RFC 7638 SHA-256 thumbprint, base64url."""
    if not isinstance(jwk, dict):
        raise JWSError("JWK is not an object")
    kty = jwk.get("kty")
    members = _THUMBPRINT_MEMBERS.get(kty) if isinstance(kty, str) else None
    if members is None or not all(isinstance(jwk.get(m), str) for m in members):
        raise JWSError("JWK lacks thumbprint members")
    canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    return b64encode(hashlib.sha256(canonical.encode("utf-8")).digest())


def sha256_b64(value: str) -> str:
    return b64encode(hashlib.sha256(value.encode("utf-8")).digest())


def sign(alg: str, private_key: Any, header: dict[str, Any], payload: dict[str, Any]) -> str:
    """A compact JWS (for the test tenant and `private_key_jwt` assertions)."""
    signing_input = ".".join(
        b64encode(json.dumps(part, separators=(",", ":")).encode("utf-8")) for part in (header, payload)
    )
    signature = _ALGORITHMS[alg].sign(signing_input.encode("ascii"), private_key)
    return f"{signing_input}.{b64encode(signature)}"


def public_jwk(private_key: Any) -> dict[str, Any]:
    """The public JWK of a private key object."""
    for loader in (RSAAlgorithm, ECAlgorithm, OKPAlgorithm):
        try:
            return json.loads(loader.to_jwk(private_key.public_key()))
        except Exception:
            continue
    raise JWSError("unsupported key type")
