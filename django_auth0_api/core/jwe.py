"""Encrypted access tokens: a compact JWE (RFC 7516 §7.1) nesting a signed JWT
(RFC 7519 §5.2, `cty` `JWT`), as Auth0 issues them for APIs with token
encryption on.

Built on `cryptography`'s primitives, which pyjwt already brings: RSA-OAEP
key unwrapping (RFC 7518 §4.3) and AES-GCM (RFC 7518 §5.3) with the
protected header as additional authenticated data (RFC 7516 §5.2 step 14).
Compact nested tokens need no more, and no second JOSE library.

What is refused, before any RSA work: anything but five segments, a token
over `MAX_ENCRYPTED_TOKEN_LENGTH`, a header over `MAX_HEADER_LENGTH`, an
`alg` or `enc` not allowed (`RSA1_5` and `dir` never are), `zip`, `crit`,
a `cty` other than `JWT`, a `kid` without a configured key, an IV that is
not 96 bits, a tag that is not 128 bits, an encrypted key that is not the
length of the RSA modulus. Every failure is the same `JWEError`: a caller
learns "invalid token", never which step failed (RFC 7516 §11.4, §11.5).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..errors import ConfigurationError
from . import jws
from .memo import BoundedMemo
from .pem import pem_bytes, private_key

if TYPE_CHECKING:
    from ..options import ApiClientOptions

# Key management algorithms (RFC 7518 §4.3 and the IANA JOSE registry) and the
# hash of their OAEP padding. RSA1_5 (padding oracles, RFC 7516 §11.5) and
# `dir` (a shared secret this library has no setting for) are not here.
KEY_ALGORITHMS: dict[str, type[hashes.HashAlgorithm]] = {
    "RSA-OAEP-256": hashes.SHA256, "RSA-OAEP-384": hashes.SHA384, "RSA-OAEP-512": hashes.SHA512}
# Content encryption algorithms (RFC 7518 §5.3) and their key length in bytes.
CONTENT_ENCRYPTIONS = {"A128GCM": 16, "A192GCM": 24, "A256GCM": 32}
DEFAULT_ALGORITHMS = ("RSA-OAEP-256",)
DEFAULT_ENCRYPTIONS = ("A256GCM",)

# The nested JWS may be up to 8 KiB; its ciphertext in base64url is 4/3 of
# that, plus a 4096-bit encrypted key, the header, IV and tag.
MAX_ENCRYPTED_TOKEN_LENGTH = 16 * 1024
MAX_HEADER_LENGTH = 1024
MAX_SIGNED_TOKEN_LENGTH = 8 * 1024
IV_BYTES = 12  # RFC 7518 §5.3: a 96-bit IV
TAG_BYTES = 16  # RFC 7518 §5.3: a 128-bit tag
MIN_RSA_BITS = 2048
_HEADER_CACHE_SIZE = 256


class JWEError(ValueError):
    """The token cannot be decrypted; deliberately without detail."""


def is_compact_jwe(token: str) -> bool:
    return token.count(".") == 4


class Decrypter:
    """Decrypts compact JWE access tokens with `DECRYPTION_KEYS`."""

    def __init__(self, keys: Mapping[str, rsa.RSAPrivateKey], algorithms: Iterable[str],
                 encryptions: Iterable[str]) -> None:
        self.keys = dict(keys)
        self.algorithms = frozenset(algorithms)
        self.encryptions = frozenset(encryptions)
        self._headers = BoundedMemo(_HEADER_CACHE_SIZE)

    @classmethod
    def from_options(cls, options: ApiClientOptions) -> Decrypter:
        """`DECRYPTION_KEYS`, `DECRYPTION_ALGORITHMS`, `DECRYPTION_ENCRYPTIONS`;
        `ConfigurationError` for a key that does not load."""
        return cls(load_decryption_keys(options.decryption_keys), options.decryption_algorithms,
                   options.decryption_encryptions)

    def decrypt(self, token: str) -> str:
        """The nested compact JWS of `token`, or `JWEError`."""
        if len(token) > MAX_ENCRYPTED_TOKEN_LENGTH:
            raise JWEError()
        parts = token.split(".")
        if len(parts) != 5 or not all(parts):
            raise JWEError()
        header_b64, key_b64, iv_b64, ciphertext_b64, tag_b64 = parts
        try:
            key, oaep_hash, cek_length = self._header(header_b64)
            encrypted_key, iv = jws.b64decode(key_b64), jws.b64decode(iv_b64)
            ciphertext, tag = jws.b64decode(ciphertext_b64), jws.b64decode(tag_b64)
        except jws.JWSError:
            raise JWEError() from None
        if len(iv) != IV_BYTES or len(tag) != TAG_BYTES or len(encrypted_key) != (key.key_size + 7) // 8:
            raise JWEError()
        cek = _unwrap(key, oaep_hash, encrypted_key, cek_length)
        try:
            plaintext = AESGCM(cek).decrypt(iv, ciphertext + tag, header_b64.encode("ascii"))
        except InvalidTag:
            raise JWEError() from None
        if len(plaintext) > MAX_SIGNED_TOKEN_LENGTH or not plaintext.isascii():
            raise JWEError()
        return plaintext.decode("ascii")

    def _header(self, header_b64: str) -> tuple[rsa.RSAPrivateKey, type[hashes.HashAlgorithm], int]:
        # One tenant's encrypted tokens share a handful of headers.
        known = self._headers.get(header_b64)
        if known is not None:
            return known
        if len(header_b64) > MAX_HEADER_LENGTH:
            raise JWEError()
        header = jws.decode_segment(header_b64)
        alg, enc, cty, kid = header.get("alg"), header.get("enc"), header.get("cty"), header.get("kid")
        if (alg not in self.algorithms or alg not in KEY_ALGORITHMS
                or enc not in self.encryptions or enc not in CONTENT_ENCRYPTIONS):
            raise JWEError()
        if "zip" in header or "crit" in header:  # no compression, no extensions (RFC 7516 §4.1.3, §4.1.13)
            raise JWEError()
        # RFC 7519 §5.2: a nested JWT says so; media types compare case-insensitively.
        if not isinstance(cty, str) or cty.upper() not in ("JWT", "APPLICATION/JWT"):
            raise JWEError()
        key = self._key_for(kid)
        known = (key, KEY_ALGORITHMS[alg], CONTENT_ENCRYPTIONS[enc])
        self._headers.put(header_b64, known)
        return known

    def _key_for(self, kid: object) -> rsa.RSAPrivateKey:
        if kid is None and len(self.keys) == 1:
            # Auth0's encryption key `kid` is optional: one key needs none.
            return next(iter(self.keys.values()))
        key = self.keys.get(kid) if isinstance(kid, str) else None
        if key is None:  # no trial decryption with every key: one RSA operation at most
            raise JWEError()
        return key


def _unwrap(key: rsa.RSAPrivateKey, oaep_hash: type[hashes.HashAlgorithm], encrypted_key: bytes,
            cek_length: int) -> bytes:
    """The content encryption key; a random one when unwrapping fails, so the
    failure shows only as the authentication tag's (RFC 7516 §11.5)."""
    try:
        cek = key.decrypt(encrypted_key, padding.OAEP(padding.MGF1(oaep_hash()), oaep_hash(), None))
    except ValueError:
        cek = b""
    if len(cek) != cek_length:
        cek = os.urandom(cek_length)
    return cek


def load_decryption_keys(value: Mapping[str, object] | None) -> dict[str, rsa.RSAPrivateKey]:
    """`DECRYPTION_KEYS` as private key objects, or `ConfigurationError` naming
    the kid (never the key)."""
    keys = {}
    for kid, source in (value or {}).items():
        keys[kid] = load_decryption_key(kid, source)
    return keys


def load_decryption_key(kid: str, source: object) -> rsa.RSAPrivateKey:
    """One decryption key: PEM text, or the path of a PEM file; RSA, 2048 bits or more."""
    if not isinstance(source, str) or not source.strip():
        raise ConfigurationError(f"DECRYPTION_KEYS[{kid!r}] must be PEM text or a file path")
    data = pem_bytes(source)
    if data is None:
        raise ConfigurationError(f"DECRYPTION_KEYS[{kid!r}] is neither PEM text nor a readable file")
    key = private_key(data)
    if key is None:
        raise ConfigurationError(f"DECRYPTION_KEYS[{kid!r}] is not an unencrypted PEM private key")
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < MIN_RSA_BITS:
        raise ConfigurationError(f"DECRYPTION_KEYS[{kid!r}] must be an RSA private key of {MIN_RSA_BITS} bits or more")
    return key


def encrypt(plaintext: str, public_key: Any, *, kid: str | None = None, alg: str = "RSA-OAEP-256",
            enc: str = "A256GCM", header: dict[str, object] | None = None) -> str:
    """A compact JWE of `plaintext` for `public_key` (RSA-OAEP and AES-GCM
    only): the fake tenant's, and `auth0_check`'s round trip."""
    protected = {"alg": alg, "enc": enc, "cty": "JWT", **({"kid": kid} if kid else {}), **(header or {})}
    header_b64 = jws.b64encode(json.dumps(protected, separators=(",", ":")).encode("utf-8"))
    cek = os.urandom(CONTENT_ENCRYPTIONS[enc])
    oaep_hash = KEY_ALGORITHMS[alg]
    encrypted_key = public_key.encrypt(cek, padding.OAEP(padding.MGF1(oaep_hash()), oaep_hash(), None))
    iv = os.urandom(IV_BYTES)
    sealed = AESGCM(cek).encrypt(iv, plaintext.encode("ascii"), header_b64.encode("ascii"))
    ciphertext, tag = sealed[:-TAG_BYTES], sealed[-TAG_BYTES:]
    return ".".join((header_b64, *(jws.b64encode(part) for part in (encrypted_key, iv, ciphertext, tag))))
