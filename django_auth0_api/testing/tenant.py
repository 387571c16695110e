"""A fake Auth0 tenant for test suites: its keys, the tokens and DPoP proofs
it mints, and its documents (discovery, JWKS).

    def test_me(auth0_tenant, client):
        token = auth0_tenant.mint_token(scope="read:me")
        assert client.get("/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200

Its token endpoint is `token_endpoint.TokenEndpoint`; `mock()` serves it all
at the `requests` layer (`mocking`). The pytest fixtures (`auth0_tenant`,
`dpop_key`) come from `pytest_plugin`, registered as a pytest entry point.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from ..core import jwe, jws
from .authorization_server import AuthorizationServer
from .keys import CURVES, rsa_key
from .token_endpoint import TokenEndpoint

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
    from responses import RequestsMock

DEFAULT_DOMAIN = "tenant.example.auth0.com"
DEFAULT_AUDIENCE = "https://api.example.com"

class DpopKey:
    """A client's DPoP key pair, with its public JWK and RFC 7638 thumbprint."""

    def __init__(self, alg: str = "ES256", private_key: PrivateKeyTypes | None = None) -> None:
        self.alg = alg
        if private_key is None:
            if alg in CURVES:
                private_key = ec.generate_private_key(CURVES[alg]())
            elif alg in ("EdDSA", "Ed25519"):
                private_key = ed25519.Ed25519PrivateKey.generate()
            else:
                private_key = rsa_key(100)
        self.private_key = private_key
        self.jwk = jws.public_jwk(private_key)
        self.jkt = jws.thumbprint(self.jwk)


class ClientCertificate:
    """A client's self-signed TLS certificate (RFC 8705 §2.2), as a proxy would
    forward it: `header_value` is the URL-encoded PEM of nginx's
    `$ssl_client_escaped_cert`, `alb_header_value` that of an AWS ALB's
    `X-Amzn-Mtls-Clientcert` (`+`, `=`, `/` left as they are); `x5t_s256`
    is the thumbprint a bound token carries in `cnf`."""

    def __init__(self, common_name: str = "client-1") -> None:
        import datetime
        import hashlib
        from urllib.parse import quote

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.x509.oid import NameOID

        self.private_key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        now = datetime.datetime.now(datetime.timezone.utc)
        self.certificate = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(self.private_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .sign(self.private_key, hashes.SHA256())
        )
        self.der = self.certificate.public_bytes(serialization.Encoding.DER)
        self.pem = self.certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")
        self.x5t_s256 = jws.b64encode(hashlib.sha256(self.der).digest())
        self.header_value = quote(self.pem, safe="")
        self.alb_header_value = quote(self.pem, safe="+=/")


class FakeTenant(TokenEndpoint):
    """An Auth0 tenant in a box: sign tokens with its keys and let `mock()`
    serve its discovery, JWKS and token endpoint."""

    # The mock serving it, set by the `auth0_tenant` fixture.
    responses: RequestsMock

    def __init__(self, domain: str = DEFAULT_DOMAIN, audience: str = DEFAULT_AUDIENCE, scheme: str = "https",
                 signing_key: PrivateKeyTypes | None = None) -> None:
        self.domain = domain
        self.audience = audience
        self.issuer = f"{scheme}://{domain}/"
        self.client_id = "test-client-id"
        self.client_secret = "test-client-secret"  # noqa: S105 (the fake tenant's, public by design)
        self._key_index = 0
        self.keys = {self._new_kid(): signing_key or rsa_key(0)}
        self.kid = next(iter(self.keys))
        self.requests: list = []
        # The API's token encryption keys (kid -> PEM private key): `mint_token`
        # encrypts to the public half of one of them with `encrypt_for=kid`.
        self.encryption_keys: dict[str, str] = {}
        TokenEndpoint.__init__(self)
        # Dynamic registration, /authorize and the user grants (MCP clients).
        self.oauth = AuthorizationServer(self)

    # -- sharing one tenant between processes ------------------------------------
    ENVIRONMENT = ("FAKE_TENANT_DOMAIN", "FAKE_TENANT_SCHEME", "FAKE_TENANT_AUDIENCE", "FAKE_TENANT_KEY_FILE")

    def environment(self, key_file: str) -> dict[str, str]:
        """Environment variables that let `from_environment()` rebuild this
        tenant in another process; writes the signing key to `key_file`."""
        from cryptography.hazmat.primitives import serialization

        pem = self.keys[self.kid].private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        with open(key_file, "wb") as handle:
            handle.write(pem)
        scheme = self.issuer.split("://", 1)[0]
        return dict(zip(self.ENVIRONMENT, (self.domain, scheme, self.audience, key_file), strict=True))

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> FakeTenant:
        import os

        from cryptography.hazmat.primitives import serialization

        environ = os.environ if environ is None else environ
        domain, scheme, audience, key_file = (environ[name] for name in cls.ENVIRONMENT)
        with open(key_file, "rb") as handle:
            key = serialization.load_pem_private_key(handle.read(), password=None)
        return cls(domain, audience, scheme, signing_key=key)

    # -- settings -----------------------------------------------------------
    def settings(self, **overrides: Any) -> dict[str, Any]:
        """An `AUTH0_API` dict for this tenant."""
        conf = {"DOMAIN": self.issuer if self.issuer.startswith("http:") else self.domain,
                "AUDIENCE": self.audience, "CLIENT_ID": self.client_id,
                "CLIENT_SECRET": self.client_secret, "ALLOW_INSECURE_HTTP": self.issuer.startswith("http:")}
        conf.update(overrides)
        audience = overrides.get("AUDIENCE")
        self.apis |= {audience} if isinstance(audience, str) else set(audience or ())
        return conf

    def settings_for(self, project: Mapping[str, Any]) -> dict[str, Any]:
        """The project's `AUTH0_API` with this tenant swapped in for the real one.

        The tenant part changes: DOMAIN (DOMAINS is dropped: every token comes
        from this tenant), ALLOW_INSECURE_HTTP, and CLIENT_ID/CLIENT_SECRET when
        the project has none. The project's policy stays: AUDIENCE, ALGORITHMS,
        DPOP_*, REQUIRED_CLAIMS, CACHE_ALIAS... Tokens are minted for the
        project's first AUDIENCE, and the tenant accepts the project's client
        credentials (and its CLIENT_ASSERTION_KEY) as its own."""
        conf = {key: value for key, value in project.items() if key != "DOMAINS"}
        audience = conf.get("AUDIENCE")
        if isinstance(audience, str) and audience:
            self.audience = audience
        elif isinstance(audience, (list, tuple)) and audience and isinstance(audience[0], str):
            self.audience = audience[0]
        else:
            conf["AUDIENCE"] = self.audience
        self.apis = set(audience) if isinstance(audience, (list, tuple)) else {self.audience}
        if isinstance(conf.get("CLIENT_ID"), str) and conf["CLIENT_ID"]:
            self.client_id = conf["CLIENT_ID"]
        else:
            conf["CLIENT_ID"] = self.client_id
        if isinstance(conf.get("CLIENT_SECRET"), str) and conf["CLIENT_SECRET"]:
            self.client_secret = conf["CLIENT_SECRET"]
        elif not conf.get("CLIENT_ASSERTION_KEY"):
            conf["CLIENT_SECRET"] = self.client_secret
        if conf.get("CLIENT_ASSERTION_KEY"):
            self.trust_client_key(conf["CLIENT_ASSERTION_KEY"])
        conf.update(DOMAIN=self.issuer if self.issuer.startswith("http:") else self.domain,
                    ALLOW_INSECURE_HTTP=self.issuer.startswith("http:"))
        return conf

    # -- documents ------------------------------------------------------------
    @property
    def discovery_url(self) -> str:
        return self.issuer + ".well-known/openid-configuration"

    @property
    def jwks_url(self) -> str:
        return self.issuer + ".well-known/jwks.json"

    def discovery(self) -> dict[str, Any]:
        """OpenID discovery: Auth0's lists the authorization-server members too."""
        return {**self.oauth.metadata(), "id_token_signing_alg_values_supported": ["RS256"]}

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        keys = []
        for kid, key in self.keys.items():
            jwk = jws.public_jwk(key)
            jwk.pop("key_ops", None)
            keys.append(dict(jwk, kid=kid, use="sig", alg="RS256"))
        return {"keys": keys}

    def rotate(self, keep_old: bool = True) -> str:
        """A new signing key becomes current; returns its kid."""
        self._key_index += 1
        kid = self._new_kid()
        new = {kid: rsa_key(self._key_index)}
        self.keys = {**self.keys, **new} if keep_old else new
        self.kid = kid
        return kid

    def _new_kid(self) -> str:
        return f"key-{self._key_index}"

    # -- tokens ----------------------------------------------------------------
    def mint_token(self, sub: str = "auth0|user-1", *, audience: str | list[str] | None = None,
                   scope: str | None = None, expires_in: int = 3600, jkt: str | None = None,
                   x5t_s256: str | None = None, act: dict[str, Any] | None = None,
                   claims: dict[str, Any] | None = None, header: dict[str, Any] | None = None,
                   drop: Iterable[str] = (), kid: str | None = None, alg: str = "RS256",
                   key: PrivateKeyTypes | None = None, encrypt_for: str | None = None, org_id: str | None = None,
                   org_name: str | None = None, acr: str | None = None, amr: list[str] | None = None,
                   auth_age: float | None = None) -> str:
        """A signed access token; `claims`/`header` override, `drop` removes.

        `jkt` binds it to a DPoP key, `x5t_s256` to a client certificate
        (`ClientCertificate.x5t_s256`); `encrypt_for` (a kid of
        `encryption_key()`) makes it a JWE nesting the signed token. As Auth0
        issues them: `org_id` / `org_name` (Organizations), `acr`, `amr` (a
        list; `["mfa"]` after a multi-factor login) and `auth_time`, given as
        `auth_age`, the seconds since the user authenticated."""
        now = int(time.time())
        payload: dict[str, Any] = {"iss": self.issuer, "sub": sub, "aud": audience or self.audience,
                                   "iat": now, "exp": now + expires_in, "jti": uuid.uuid4().hex}
        for name, value in (("org_id", org_id), ("org_name", org_name), ("acr", acr), ("amr", amr)):
            if value is not None:
                payload[name] = value
        if auth_age is not None:
            payload["auth_time"] = int(now - auth_age)
        if scope is not None:
            payload["scope"] = scope
        if jkt is not None or x5t_s256 is not None:
            payload["cnf"] = {name: value for name, value in (("jkt", jkt), ("x5t#S256", x5t_s256))
                              if value is not None}
        if act is not None:
            payload["act"] = act
        payload.update(claims or {})
        kid = kid or self.kid
        head = {"alg": alg, "typ": "at+jwt", "kid": kid}
        head.update(header or {})
        for name in drop:
            payload.pop(name, None)
            head.pop(name, None)
        signed = jws.sign(alg, key or self.keys.get(kid) or rsa_key(0), head, payload)
        return signed if encrypt_for is None else self.encrypt(signed, encrypt_for)

    def encryption_key(self, kid: str | None = None) -> str:
        """A new RSA private key (PEM) for the API's `DECRYPTION_KEYS`, under `kid`
        (`enc-0`, `enc-1`, ... by default); the tenant encrypts to it from now on."""
        from cryptography.hazmat.primitives import serialization

        kid = kid or f"enc-{len(self.encryption_keys)}"
        key = rsa_key(200 + len(self.encryption_keys))
        self.encryption_keys[kid] = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode("ascii")
        return self.encryption_keys[kid]

    def encrypt(self, signed_token: str, kid: str, *, alg: str = "RSA-OAEP-256", enc: str = "A256GCM",
                header: dict[str, Any] | None = None, send_kid: bool = True) -> str:
        """`signed_token` as a compact JWE for encryption key `kid`, as Auth0
        issues it (RSA-OAEP-256 + A256GCM, `cty` `JWT`); `header` overrides."""
        from cryptography.hazmat.primitives import serialization

        private_key = serialization.load_pem_private_key(self.encryption_keys[kid].encode("ascii"), password=None)
        return jwe.encrypt(signed_token, private_key.public_key(), kid=kid if send_kid else None,
                           alg=alg, enc=enc, header=header)


    def mint_dpop_proof(self, dpop_key: DpopKey, *, htm: str = "GET", htu: str = "http://testserver/",
                        access_token: str | None = None, nonce: str | None = None,
                        claims: dict[str, Any] | None = None, header: dict[str, Any] | None = None,
                        drop: Iterable[str] = ()) -> str:
        """A DPoP proof signed by `dpop_key` for one request."""
        payload = {"jti": uuid.uuid4().hex, "htm": htm, "htu": htu, "iat": int(time.time())}
        if access_token is not None:
            payload["ath"] = jws.sha256_b64(access_token)
        if nonce is not None:
            payload["nonce"] = nonce
        payload.update(claims or {})
        head = {"typ": "dpop+jwt", "alg": dpop_key.alg, "jwk": dpop_key.jwk}
        head.update(header or {})
        for name in drop:
            payload.pop(name, None)
            head.pop(name, None)
        return jws.sign(dpop_key.alg, dpop_key.private_key, head, payload)

    # -- HTTP mocking ---------------------------------------------------------------
    def mock(self, rsps: RequestsMock) -> FakeTenant:
        """Serve discovery, JWKS and the token endpoint on a `responses.RequestsMock`."""
        from .mocking import mock_tenant

        mock_tenant(self, rsps)
        return self
