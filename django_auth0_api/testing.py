"""A fake Auth0 tenant for test suites: keys, tokens, DPoP proofs, and the
tenant's endpoints mocked at the `requests` layer with `responses`.

    def test_me(auth0_tenant, client):
        token = auth0_tenant.mint_token(scope="read:me")
        assert client.get("/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200

The pytest fixtures (`auth0_tenant`, `dpop_key`) come from the plugin in
`django_auth0_api.pytest_plugin`, registered as a pytest entry point.
"""

from __future__ import annotations

import functools
import time
import uuid
from urllib.parse import parse_qsl

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from . import jws

DEFAULT_DOMAIN = "tenant.example.auth0.com"
DEFAULT_AUDIENCE = "https://api.example.com"


@functools.lru_cache(maxsize=None)
def _rsa_key(index: int):
    # Generating RSA keys is slow; a test run needs only a few.
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


_CURVES = {"ES256": ec.SECP256R1, "ES384": ec.SECP384R1, "ES512": ec.SECP521R1}


class DpopKey:
    """A client's DPoP key pair, with its public JWK and RFC 7638 thumbprint."""

    def __init__(self, alg: str = "ES256", private_key=None):
        self.alg = alg
        if private_key is None:
            if alg in _CURVES:
                private_key = ec.generate_private_key(_CURVES[alg]())
            elif alg in ("EdDSA", "Ed25519"):
                private_key = ed25519.Ed25519PrivateKey.generate()
            else:
                private_key = _rsa_key(100)
        self.private_key = private_key
        self.jwk = jws.public_jwk(private_key)
        self.jkt = jws.thumbprint(self.jwk)


class FakeTenant:
    """An Auth0 tenant in a box: sign tokens with its keys and let `mock()`
    serve its discovery, JWKS and token endpoint."""

    def __init__(self, domain: str = DEFAULT_DOMAIN, audience: str = DEFAULT_AUDIENCE, scheme: str = "https"):
        self.domain = domain
        self.audience = audience
        self.issuer = f"{scheme}://{domain}/"
        self.client_id = "test-client-id"
        self.client_secret = "test-client-secret"
        self._key_index = 0
        self.keys = {self._new_kid(): _rsa_key(0)}
        self.kid = next(iter(self.keys))
        self.requests: list = []

    # -- settings -----------------------------------------------------------
    def settings(self, **overrides) -> dict:
        """An `AUTH0_API` dict for this tenant."""
        conf = {"DOMAIN": self.issuer if self.issuer.startswith("http:") else self.domain,
                "AUDIENCE": self.audience, "CLIENT_ID": self.client_id,
                "CLIENT_SECRET": self.client_secret, "ALLOW_INSECURE_HTTP": self.issuer.startswith("http:")}
        conf.update(overrides)
        return conf

    # -- documents ------------------------------------------------------------
    @property
    def discovery_url(self) -> str:
        return self.issuer + ".well-known/openid-configuration"

    @property
    def jwks_url(self) -> str:
        return self.issuer + ".well-known/jwks.json"

    @property
    def token_url(self) -> str:
        return self.issuer + "oauth/token"

    def discovery(self) -> dict:
        return {"issuer": self.issuer, "jwks_uri": self.jwks_url, "token_endpoint": self.token_url,
                "id_token_signing_alg_values_supported": ["RS256"]}

    def jwks(self) -> dict:
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
        new = {kid: _rsa_key(self._key_index)}
        self.keys = {**self.keys, **new} if keep_old else new
        self.kid = kid
        return kid

    def _new_kid(self) -> str:
        return f"key-{self._key_index}"

    # -- tokens ----------------------------------------------------------------
    def mint_token(self, sub: str = "auth0|user-1", *, audience=None, scope: str | None = None,
                   expires_in: int = 3600, jkt: str | None = None, act: dict | None = None,
                   claims: dict | None = None, header: dict | None = None, drop=(), kid: str | None = None,
                   alg: str = "RS256", key=None) -> str:
        """A signed access token; `claims`/`header` override, `drop` removes."""
        now = int(time.time())
        payload = {"iss": self.issuer, "sub": sub, "aud": audience or self.audience,
                   "iat": now, "exp": now + expires_in, "jti": uuid.uuid4().hex}
        if scope is not None:
            payload["scope"] = scope
        if jkt is not None:
            payload["cnf"] = {"jkt": jkt}
        if act is not None:
            payload["act"] = act
        payload.update(claims or {})
        kid = kid or self.kid
        head = {"alg": alg, "typ": "at+jwt", "kid": kid}
        head.update(header or {})
        for name in drop:
            payload.pop(name, None)
            head.pop(name, None)
        return jws.sign(alg, key or self.keys.get(kid) or _rsa_key(0), head, payload)

    def mint_dpop_proof(self, dpop_key: DpopKey, *, htm: str = "GET", htu: str = "http://testserver/",
                        access_token: str | None = None, nonce: str | None = None, claims: dict | None = None,
                        header: dict | None = None, drop=()) -> str:
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

    # -- token endpoint -------------------------------------------------------------
    def token_response(self, form: dict, authorization: str | None) -> tuple[int, dict]:
        """What the tenant's `/oauth/token` answers (status, JSON body)."""
        self.requests.append(form)
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:token-exchange":
            return 400, {"error": "unsupported_grant_type", "error_description": "Unsupported grant type"}
        try:
            subject = jws.decode_segment(jws.split(form.get("subject_token", ""))[1])
        except jws.JWSError:
            return 400, {"error": "invalid_grant", "error_description": "Invalid subject token"}
        actor = {"sub": form.get("client_id") or self.client_id}
        if isinstance(subject.get("act"), dict):
            actor["act"] = subject["act"]
        token = self.mint_token(subject.get("sub", "unknown"), audience=form.get("audience"),
                                scope=form.get("scope"), act=actor)
        body = {"access_token": token, "expires_in": 3600, "token_type": "Bearer",
                "issued_token_type": "urn:ietf:params:oauth:token-type:access_token"}
        if form.get("scope"):
            body["scope"] = form["scope"]
        return 200, body

    # -- HTTP mocking ---------------------------------------------------------------
    def mock(self, rsps) -> "FakeTenant":
        """Serve discovery, JWKS and the token endpoint on a `responses.RequestsMock`."""
        import json

        def answer(builder):
            def callback(request):
                return 200, {"Content-Type": "application/json"}, json.dumps(builder())
            return callback

        def token(request):
            form = dict(parse_qsl(request.body or ""))
            status, body = self.token_response(form, request.headers.get("Authorization"))
            return status, {"Content-Type": "application/json"}, json.dumps(body)

        rsps.add_callback("GET", self.discovery_url, callback=answer(self.discovery))
        rsps.add_callback("GET", self.jwks_url, callback=answer(self.jwks))
        rsps.add_callback("POST", self.token_url, callback=token)
        return self


def calls_to(rsps, url: str) -> int:
    """How many requests a `responses` mock saw for `url`."""
    return sum(1 for call in rsps.calls if call.request.url == url)
