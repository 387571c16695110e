"""Helpers shared by the tests: raw JWS building, request kwargs, answers."""

import base64 as _base64
import json as _json

from cryptography.hazmat.primitives import hashes as _hashes
from cryptography.hazmat.primitives.asymmetric import padding as _padding

BARE_CHALLENGE = 'Bearer realm="api", DPoP algs="ES256"'


def b64url(data: bytes) -> str:
    return _base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def segment(part) -> str:
    """A JWS segment from raw bytes, or from anything JSON-serializable."""
    raw = part if isinstance(part, bytes) else _json.dumps(part, separators=(",", ":")).encode("utf-8")
    return b64url(raw)


def sign_rs256(header, payload, private_key) -> str:
    """A compact RS256 JWS made with `cryptography` alone (not the package's
    signer), so a token can carry any header or payload bytes (NaN, arrays...)."""
    signing_input = f"{segment(header)}.{segment(payload)}".encode("ascii")
    signature = private_key.sign(signing_input, _padding.PKCS1v15(), _hashes.SHA256())
    return f"{signing_input.decode('ascii')}.{b64url(signature)}"


def bearer(token: str) -> dict:
    """Django test-client kwargs for `Authorization: Bearer <token>`."""
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def tenant_claims(tenant, **overrides) -> dict:
    """A valid access-token payload for `tenant`, with overrides."""
    import time as _time

    now = int(_time.time())
    claims = {"iss": tenant.issuer, "sub": "auth0|user-1", "aud": tenant.audience, "iat": now, "exp": now + 3600}
    claims.update(overrides)
    return claims


def answer(response):
    """(status, JSON body, WWW-Authenticate) of a Django test-client response."""
    return response.status_code, _json.loads(response.content), response.get("WWW-Authenticate")


def aget(async_client, path: str, **headers):
    """GET `path` through Django's `AsyncClient` (the ASGI handler) from a sync
    test; header names as HTTP spells them."""
    from asgiref.sync import async_to_sync

    return async_to_sync(async_client.get)(path, headers=headers)


def dpop_headers(tenant, key, token: str, url: str, method: str = "GET") -> dict:
    """`Authorization` and `DPoP` headers for one fresh proof."""
    return {"Authorization": f"DPoP {token}",
            "DPoP": tenant.mint_dpop_proof(key, htm=method, htu=url, access_token=token)}
