"""How this API proves who it is at the token endpoint (`CLIENT_AUTH_METHOD`).

- `client_secret_basic` (default): HTTP Basic with the client id and secret,
  each form-urlencoded first (RFC 6749 §2.3.1);
- `client_secret_post`: `client_id` and `client_secret` in the form;
- `private_key_jwt`: a short-lived assertion signed with `CLIENT_ASSERTION_KEY`
  (RFC 7523 §2.2, OIDC Core §9), no shared secret at all.

Nothing here ever logs or repeats a secret, a key or an assertion.
"""

from __future__ import annotations

import base64
import time
import uuid
from typing import TYPE_CHECKING
from urllib.parse import quote_plus

from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ..core import jws
from ..core.pem import pem_bytes, private_key
from ..errors import ConfigurationError

if TYPE_CHECKING:
    from ..options import ApiClientOptions

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# Seconds an assertion stays valid: one request's worth, and within the 60 s
# that authorization servers commonly accept.
ASSERTION_LIFETIME = 60
MIN_RSA_BITS = 2048


class ClientAuthentication:
    """The client credentials of `options`, checked once when built."""

    def __init__(self, options: ApiClientOptions) -> None:
        self.method = options.client_auth_method
        client_id, audience = options.client_id, options.issuer
        if not isinstance(client_id, str) or not client_id:
            raise ConfigurationError("Client credentials are required for token exchange: configure client_id and "
                                     "client_secret (CLIENT_ID, CLIENT_SECRET) of a confidential client")
        if not audience:
            raise ConfigurationError("Token exchange needs DOMAIN: the tenant whose token endpoint is used")
        self.client_id: str = client_id
        self.audience: str = audience
        if self.method == "private_key_jwt":
            self._secret = ""  # no shared secret
            self._key, self._alg = load_assertion_key(options.client_assertion_key)
        else:
            if not isinstance(options.client_secret, str) or not options.client_secret:
                raise ConfigurationError(
                    f"Client credentials are required for token exchange: CLIENT_AUTH_METHOD {self.method} needs "
                    "client_id and client_secret (CLIENT_SECRET), or use private_key_jwt with CLIENT_ASSERTION_KEY"
                )
            self._secret = options.client_secret

    def credentials(self) -> tuple[list[tuple[str, str]], dict[str, str]]:
        """The form fields and headers that authenticate one request."""
        if self.method == "client_secret_basic":
            pair = f"{quote_plus(self.client_id)}:{quote_plus(self._secret)}"
            return [], {"Authorization": "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")}
        if self.method == "client_secret_post":
            return [("client_id", self.client_id), ("client_secret", self._secret)], {}
        return [("client_id", self.client_id), ("client_assertion_type", ASSERTION_TYPE),
                ("client_assertion", self.assertion())], {}

    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in an error message."""
        return (self._secret,) if self._secret else ()

    def assertion(self) -> str:
        """A fresh `private_key_jwt` assertion: iss = sub = client id, aud = the issuer."""
        now = int(time.time())
        claims = {"iss": self.client_id, "sub": self.client_id, "aud": self.audience,
                  "jti": uuid.uuid4().hex, "iat": now, "exp": now + ASSERTION_LIFETIME}
        return jws.sign(self._alg, self._key, {"alg": self._alg, "typ": "JWT"}, claims)


def load_assertion_key(value: object) -> tuple[object, str]:
    """The private key of `CLIENT_ASSERTION_KEY` (a PEM string, or the path of
    a PEM file) and its algorithm: RS256 for RSA, ES256 for P-256."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError("CLIENT_AUTH_METHOD private_key_jwt needs CLIENT_ASSERTION_KEY")
    data = pem_bytes(value)
    if data is None:
        raise ConfigurationError("CLIENT_ASSERTION_KEY is neither a PEM key nor a readable PEM file")
    key = private_key(data)
    if key is None:
        raise ConfigurationError("CLIENT_ASSERTION_KEY is not an unencrypted PEM private key")
    if isinstance(key, rsa.RSAPrivateKey) and key.key_size >= MIN_RSA_BITS:
        return key, "RS256"
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
        return key, "ES256"
    raise ConfigurationError(
        "CLIENT_ASSERTION_KEY must be an RSA key of 2048 bits or more (RS256) or a P-256 key (ES256)")
