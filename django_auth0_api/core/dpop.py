"""DPoP proof verification (RFC 9449 §4.3), replay included.

The checks, in order (each failure is `invalid_dpop_proof` unless noted):

1. one proof, at most `MAX_PROOF_LENGTH` characters, a compact JWS whose
   header and payload are JSON objects;
2. header: `typ` `dpop+jwt`, no `crit`, `alg` in `DPOP_ALGORITHMS`, a public
   `jwk` (no private members, not symmetric) of the kind, size or curve `alg`
   needs (RSA: 2048 to 8192 bits, a public exponent under 2**32);
3. the signature, by that `jwk`;
4. claims: `jti` (string, 1-256 characters), `htm` equal to the method (exact),
   `htu` equal to the request URL after normalization (`uris`), `iat` a
   finite number within [now - DPOP_IAT_OFFSET, now + DPOP_IAT_LEEWAY],
   `ath` the base64url SHA-256 of the access token;
5. binding: the jwk's RFC 7638 thumbprint equals the token's `cnf.jkt`
   (`invalid_token`: the token is presented by the wrong key);
6. nonce, with `DPOP_NONCE` (`use_dpop_nonce` with a fresh nonce);
7. replay: the (thumbprint, htu, jti) triple is stored with `cache.add`, so
   one proof is accepted once across every process sharing the cache; a
   proof issued before the cache started remembering (its watermark, set when
   it comes back empty after a restart or a flush) is refused as well, since
   the cache may have forgotten it (the client sends a fresh proof). A cache
   that cannot store the triple is an outage (503), never a replay.

Clients reuse their DPoP key, so the proof header (its `jwk`, `alg`, `typ`)
repeats: it is parsed, checked and thumbprinted once per process.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric import rsa

from ..errors import InvalidDpopProofError, ServiceUnavailableError, UseDpopNonceError, VerifyAccessTokenError
from . import jws
from .access_tokens import MAX_TOKEN_LENGTH
from .claims import is_numeric_date
from .memo import BoundedMemo
from .nonces import current_nonce, is_valid_nonce
from .shared_cache import SharedCache
from .shared_cache import key as cache_key
from .uris import normalize_htu

if TYPE_CHECKING:
    from ..options import ApiClientOptions

MAX_PROOF_LENGTH = MAX_TOKEN_LENGTH
MAX_JTI_LENGTH = 256
# A client picks its own proof key: an RSA key past these bounds costs the
# server milliseconds per signature check and serves no honest client.
MAX_RSA_BITS = 8192
MAX_RSA_EXPONENT = 2**32
_HEADER_CACHE_SIZE = 1024


def replay_watermark_key() -> str:
    """The replay state's watermark (in the current key generation)."""
    return cache_key("dpop-since")
_SCHEME = "DPoP"


def _refuse(description: str) -> InvalidDpopProofError:
    return InvalidDpopProofError(description, scheme=_SCHEME)


def _affordable(key: object) -> bool:
    if isinstance(key, rsa.RSAPublicKey):
        return key.key_size <= MAX_RSA_BITS and key.public_numbers().e < MAX_RSA_EXPONENT
    return True


class DpopVerifier:
    def __init__(self, options: ApiClientOptions) -> None:
        self.options = options
        self._headers = BoundedMemo(options.cache_max_entries or _HEADER_CACHE_SIZE)
        # A client sends its token with every proof: its `ath` is hashed once.
        self._token_hashes = BoundedMemo(options.cache_max_entries or _HEADER_CACHE_SIZE)
        # A proof is used once per API (RFC 9449 §11.1: the resource server
        # remembers its jti): two APIs of one project that both accept the
        # token each consume it once, the same API in every worker only once.
        self._replay_scope = json.dumps(options.audience)  # no raw NUL in it: see the key below
        self._replay_cache = SharedCache(options.cache_alias)
        # A proof is refused by its iat once older than the offset (or, from
        # the future, after the leeway): remembering it that long suffices.
        self._replay_window = int(options.dpop_iat_offset + options.dpop_iat_leeway) + 1

    def verify(self, proof: str, access_token: str, http_method: str, http_url: str,
               expected_jkt: str | None) -> dict[str, Any]:
        """The proof's claims; binding to `expected_jkt` checked when given."""
        claims, replay_key = self._check(proof, access_token, http_method, http_url, expected_jkt)
        if replay_key is not None:
            self._settle_replay(*self._replay_cache.add_since(
                replay_key, 1, self._replay_window, replay_watermark_key()), claims["iat"])
        return claims

    async def averify(self, proof: str, access_token: str, http_method: str, http_url: str,
                      expected_jkt: str | None) -> dict[str, Any]:
        """`verify` for async code: the checks run here, the replay `add` (a
        cache round trip) through Django's async cache API."""
        claims, replay_key = self._check(proof, access_token, http_method, http_url, expected_jkt)
        if replay_key is not None:
            self._settle_replay(*await self._replay_cache.aadd_since(
                replay_key, 1, self._replay_window, replay_watermark_key()), claims["iat"])
        return claims

    def _check(self, proof: str, access_token: str, http_method: str, http_url: str,
               expected_jkt: str | None) -> tuple[dict[str, Any], str | None]:
        """Every check but the replay one; the claims and the replay key to add."""
        if not isinstance(proof, str) or not proof or len(proof) > MAX_PROOF_LENGTH:
            raise _refuse("DPoP proof is missing or too large")
        try:
            header_b64, payload_b64, signature_b64 = jws.split(proof)
            # A client reuses its key, so its proofs share a header: each is parsed once.
            alg, key, jkt = self._headers.get(header_b64) or self._header(header_b64)
            claims = jws.decode_segment(payload_b64)
            signature = jws.b64decode(signature_b64)
        except jws.JWSError:
            raise _refuse("DPoP proof is malformed") from None
        if not jws.verify_signature(alg, key, f"{header_b64}.{payload_b64}".encode("ascii"), signature):
            raise _refuse("DPoP proof signature is invalid")
        htu = self._check_claims(claims, access_token, http_method, http_url)
        if expected_jkt is not None and jkt != expected_jkt:
            raise VerifyAccessTokenError("DPoP proof key does not match the token binding", scheme=_SCHEME)
        if self.options.dpop_nonce and not is_valid_nonce(claims.get("nonce")):
            raise UseDpopNonceError(current_nonce(), "Resource server requires a fresh nonce in the DPoP proof",
                                    scheme=_SCHEME)
        replay_key = None
        if self.options.dpop_replay_check:
            # The key hashes the proof key's thumbprint, the URL, this API's
            # audiences and the jti. Only the jti, last, may hold a NUL (the
            # others are base64url, a URL without controls and JSON), so the
            # join is one-to-one; surrogatepass keeps it total for a lone
            # surrogate ("\ud800") a JSON string may hold.
            replay_key = cache_key("dpop-jti", "\x00".join((jkt, htu, self._replay_scope, claims["jti"])))
        return claims, replay_key

    def _header(self, header_b64: str) -> tuple[str, object, str]:
        """The (alg, key, thumbprint) of a proof header not seen before, checked, and remembered."""
        header = jws.decode_segment(header_b64)
        typ, alg, jwk = header.get("typ"), header.get("alg"), header.get("jwk")
        # Media types compare case-insensitively (RFC 7515 §4.1.9).
        if not isinstance(typ, str) or typ.lower() != "dpop+jwt":
            raise _refuse("DPoP proof typ must be dpop+jwt")
        if "crit" in header:  # RFC 7515 §4.1.11: no extension is understood here
            raise _refuse("DPoP proof has critical header parameters")
        if not jws.is_supported(alg) or alg not in self.options.dpop_algorithms:
            raise _refuse("DPoP proof algorithm is not accepted")
        try:
            key = jws.load_public_jwk(jwk)
            jkt = jws.thumbprint(jwk)
        except jws.JWSError:
            raise _refuse("DPoP proof jwk is not a usable public key") from None
        if not jws.key_fits(alg, key) or not _affordable(key):
            raise _refuse("DPoP proof jwk does not fit its algorithm")
        known = (alg, key, jkt)
        self._headers.put(header_b64, known)
        return known

    def _check_claims(self, claims: dict[str, Any], access_token: str, http_method: str, http_url: str) -> str:
        jti, htm, htu, iat, ath = (claims.get("jti"), claims.get("htm"), claims.get("htu"), claims.get("iat"),
                                   claims.get("ath"))
        if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI_LENGTH:
            raise _refuse("DPoP proof jti is missing or malformed")
        if not isinstance(htm, str) or htm != http_method:
            raise _refuse("DPoP proof htm does not match the request method")
        try:
            normalized = normalize_htu(htu)
            matches = htu == http_url or normalized == normalize_htu(http_url)  # (the same URL, nearly always)
        except ValueError:
            matches = False
        if not matches:
            raise _refuse("DPoP proof htu does not match the request URL")
        if not is_numeric_date(iat):
            raise _refuse("DPoP proof iat is missing or malformed")
        now = time.time()
        if iat > now + self.options.dpop_iat_leeway or iat < now - self.options.dpop_iat_offset:
            raise _refuse("DPoP proof iat is outside the acceptable window")
        if not isinstance(ath, str) or ath != (self._token_hashes.get(access_token) or self._ath_of(access_token)):
            raise _refuse("DPoP proof ath does not match the access token")
        return normalized

    def _ath_of(self, access_token: str) -> str:
        """RFC 9449 §4.2: the base64url SHA-256 of a token not hashed before, remembered."""
        ath = jws.sha256_b64(access_token)
        self._token_hashes.put(access_token, ath)
        return ath

    def _settle_replay(self, first: bool | None, since: int | None, iat: float) -> None:
        # cache.add is atomic on every real backend: of two workers that see
        # the same proof, exactly one stores the key. The watermark says since
        # when the cache has been remembering: a cache that restarted empty or
        # was flushed has forgotten the proofs it saw before, so a proof issued
        # before then may be one of them.
        if first is None or since is None:  # fail closed, but as an outage, not a 500
            raise ServiceUnavailableError("Replay state is temporarily unavailable")
        if not first:
            raise _refuse("DPoP proof has been used before")
        if iat < since:
            raise _refuse("DPoP proof is older than the replay state")
