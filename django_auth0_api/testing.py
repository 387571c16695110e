"""A fake Auth0 tenant for test suites: keys, tokens, DPoP proofs, and the
tenant's endpoints mocked at the `requests` layer with `responses`.

    def test_me(auth0_tenant, client):
        token = auth0_tenant.mint_token(scope="read:me")
        assert client.get("/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200

The pytest fixtures (`auth0_tenant`, `dpop_key`) come from the plugin in
`django_auth0_api.pytest_plugin`, registered as a pytest entry point.
"""

from __future__ import annotations

import base64
import functools
import json
import re
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from . import jws
from .authorization_server import AuthorizationServer

DEFAULT_DOMAIN = "tenant.example.auth0.com"
DEFAULT_AUDIENCE = "https://api.example.com"

TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"  # noqa: S105 (a URI, not a secret)
CONNECTION_GRANT = "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"  # noqa: S105 (a URI, not a secret)
REFRESH_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:refresh_token"  # noqa: S105 (a URI, not a secret)
CONNECTION_TOKEN_TYPE = "http://auth0.com/oauth/token-type/federated-connection-access-token"  # noqa: S105
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@functools.cache
def _rsa_key(index: int):
    # Generating RSA keys is slow; a test run needs only a few.
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


_CURVES: dict[str, Callable[[], ec.EllipticCurve]] = {
    "ES256": ec.SECP256R1, "ES384": ec.SECP384R1, "ES512": ec.SECP521R1}


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

    def __init__(self, domain: str = DEFAULT_DOMAIN, audience: str = DEFAULT_AUDIENCE, scheme: str = "https",
                 signing_key=None):
        self.domain = domain
        self.audience = audience
        self.issuer = f"{scheme}://{domain}/"
        self.client_id = "test-client-id"
        self.client_secret = "test-client-secret"  # noqa: S105 (the fake tenant's, public by design)
        self._key_index = 0
        self.keys = {self._new_kid(): signing_key or _rsa_key(0)}
        self.kid = next(iter(self.keys))
        self.requests: list = []
        # The token endpoint: lifetime of what it issues, public keys it trusts for
        # `private_key_jwt`, Token Vault connections (name -> granted scope), Custom
        # Token Exchange profiles (subject_token_type -> f(subject_token) -> sub or
        # None), and canned answers queued by `queue_token_answer()`.
        self.token_lifetime = 3600
        self.client_keys: list = []
        self.connections = {"google-oauth2": "https://www.googleapis.com/auth/calendar.readonly"}
        self.exchange_profiles: dict = {}
        self.token_answers: list = []
        self._assertion_jtis: set = set()
        # Dynamic registration, /authorize and the user grants (MCP clients).
        self.oauth = AuthorizationServer(self)

    # -- sharing one tenant between processes ------------------------------------
    ENVIRONMENT = ("FAKE_TENANT_DOMAIN", "FAKE_TENANT_SCHEME", "FAKE_TENANT_AUDIENCE", "FAKE_TENANT_KEY_FILE")

    def environment(self, key_file: str) -> dict:
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
    def from_environment(cls, environ=None) -> FakeTenant:
        import os

        from cryptography.hazmat.primitives import serialization

        environ = os.environ if environ is None else environ
        domain, scheme, audience, key_file = (environ[name] for name in cls.ENVIRONMENT)
        with open(key_file, "rb") as handle:
            key = serialization.load_pem_private_key(handle.read(), password=None)
        return cls(domain, audience, scheme, signing_key=key)

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
        """OpenID discovery: Auth0's lists the authorization-server members too."""
        return {**self.oauth.metadata(), "id_token_signing_alg_values_supported": ["RS256"]}

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
    def client_assertion_key(self, alg: str = "RS256") -> str:
        """A PEM private key for `private_key_jwt` (`CLIENT_ASSERTION_KEY`); the
        tenant trusts its public half from now on."""
        from cryptography.hazmat.primitives import serialization

        key = _rsa_key(50 + len(self.client_keys)) if alg == "RS256" else ec.generate_private_key(_CURVES[alg]())
        self.client_keys.append(key.public_key())
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()).decode("ascii")

    def queue_token_answer(self, status: int = 200, json_body=None, *, text: str | None = None,
                           headers: dict | None = None, error: Exception | None = None) -> None:
        """Under `mock()`, the next POST to the token endpoint gets this answer
        (JSON, or `text`, with `headers`), or raises `error` (e.g. a timeout)."""
        if error is not None:
            self.token_answers.append(error)
            return
        content_type = "application/json" if text is None else "text/html"
        body = json.dumps(json_body) if text is None else text
        self.token_answers.append((status, {"Content-Type": content_type, **(headers or {})}, body))

    def token_response(self, form: dict, authorization: str | None) -> tuple[int, dict]:
        """What the tenant's `/oauth/token` answers (status, JSON body): the client
        is authenticated first (Basic, `client_secret_post` or `private_key_jwt`)."""
        self.requests.append(form)
        answer = self.oauth.token_response(form, authorization)
        if answer is not None:
            return answer
        client_id, refusal = self._authenticate_client(form, authorization)
        if refusal is not None:
            return refusal
        grant = form.get("grant_type")
        if grant == TOKEN_EXCHANGE_GRANT:
            return self._token_exchange(form, client_id)
        if grant == CONNECTION_GRANT:
            return self._connection_exchange(form)
        return 400, {"error": "unsupported_grant_type", "error_description": "Unsupported grant type"}

    def _authenticate_client(self, form: dict, authorization: str | None):
        used = [bool(authorization), "client_secret" in form, "client_assertion" in form]
        if sum(used) > 1:
            return None, (400, {"error": "invalid_request",
                                "error_description": "Use only one client authentication method"})
        if authorization:
            client_id, secret = _basic_credentials(authorization)
        elif "client_assertion" in form:
            client_id, secret = self._assertion_client(form), self.client_secret
        else:
            client_id, secret = form.get("client_id"), form.get("client_secret")
        if client_id != self.client_id or secret != self.client_secret:
            return None, (401, {"error": "invalid_client", "error_description": "Client authentication failed"})
        return client_id, None

    def _assertion_client(self, form: dict) -> str | None:
        """The client id a `private_key_jwt` assertion proves, or None."""
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            return None
        try:
            head_b64, payload_b64, signature_b64 = jws.split(form["client_assertion"])
            header, claims = jws.decode_segment(head_b64), jws.decode_segment(payload_b64)
            signature = jws.b64decode(signature_b64)
        except jws.JWSError:
            return None
        alg, signing_input = header.get("alg"), f"{head_b64}.{payload_b64}".encode("ascii")
        if alg not in ("RS256", "ES256") or not any(
            jws.key_fits(alg, key) and jws.verify_signature(alg, key, signing_input, signature)
            for key in self.client_keys
        ):
            return None
        now = time.time()
        iat: Any = claims.get("iat")
        exp: Any = claims.get("exp")
        jti = claims.get("jti")
        aud = claims.get("aud")
        audience: list = aud if isinstance(aud, list) else [aud]
        if (claims.get("iss") != self.client_id or claims.get("sub") != self.client_id
                or not {self.issuer, self.token_url} & set(audience)
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (iat, exp))
                or not (iat <= now + 5 and now < exp <= iat + 60)
                or not isinstance(jti, str) or not jti or jti in self._assertion_jtis
                or form.get("client_id", self.client_id) != self.client_id):
            return None
        self._assertion_jtis.add(jti)
        return self.client_id

    def _token_exchange(self, form: dict, client_id: str) -> tuple[int, dict]:
        subject_type, subject_token = form.get("subject_token_type"), form.get("subject_token", "")
        requested = form.get("requested_token_type", ACCESS_TOKEN_TYPE)
        if requested != ACCESS_TOKEN_TYPE:
            return 400, {"error": "invalid_request", "error_description": "Unsupported requested_token_type"}
        if subject_type == ACCESS_TOKEN_TYPE:  # On-Behalf-Of: the client becomes the current actor
            try:
                subject = jws.decode_segment(jws.split(subject_token)[1])
            except jws.JWSError:
                return 400, {"error": "invalid_grant", "error_description": "Invalid subject token"}
            sub, actor = subject.get("sub", "unknown"), {"sub": client_id}
            if isinstance(subject.get("act"), dict):
                actor["act"] = subject["act"]
        else:  # Custom Token Exchange: the profile of subject_token_type says who the user is
            profile = self.exchange_profiles.get(subject_type)
            if profile is None:
                return 400, {"error": "invalid_request",
                             "error_description": "No Token Exchange Profile matches subject_token_type"}
            sub, actor = profile(subject_token), None
            if not sub:
                return 400, {"error": "invalid_grant", "error_description": "The subject token was refused"}
        scope = form.get("scope")
        token = self.mint_token(sub, audience=form.get("audience"), scope=scope, act=actor,
                                expires_in=self.token_lifetime)
        body = {"access_token": token, "expires_in": self.token_lifetime, "token_type": "Bearer",
                "issued_token_type": ACCESS_TOKEN_TYPE}
        if scope:
            body["scope"] = scope
            # Like Auth0: `openid` adds an ID token, `offline_access` a refresh token.
            if "openid" in scope.split():
                body["id_token"] = self.mint_token(sub, audience=client_id, claims={"typ": "ID"})
            if "offline_access" in scope.split():
                body["refresh_token"] = "fake-refresh-" + uuid.uuid4().hex
        return 200, body

    def _connection_exchange(self, form: dict) -> tuple[int, dict]:
        """Token Vault: the stored access token of a federated connection."""
        subject_type, subject_token = form.get("subject_token_type"), form.get("subject_token", "")
        if form.get("requested_token_type") != CONNECTION_TOKEN_TYPE or not form.get("connection"):
            return 400, {"error": "invalid_request",
                         "error_description": "connection and the federated requested_token_type are required"}
        if subject_type not in (ACCESS_TOKEN_TYPE, REFRESH_TOKEN_TYPE) or not subject_token:
            return 400, {"error": "invalid_request", "error_description": "Unsupported subject_token_type"}
        if subject_type == ACCESS_TOKEN_TYPE:
            try:
                jws.decode_segment(jws.split(subject_token)[1])
            except jws.JWSError:
                return 400, {"error": "invalid_grant", "error_description": "Invalid subject token"}
        scope = self.connections.get(form["connection"])
        if scope is None:
            return 401, {"error": "federated_connection_refresh_token_not_found",
                         "error_description": "Federated connection Refresh Token not found."}
        return 200, {"access_token": f"fake-{form['connection']}-{uuid.uuid4().hex}", "expires_in": 3599,
                     "scope": scope, "token_type": "Bearer", "issued_token_type": CONNECTION_TOKEN_TYPE}

    # -- HTTP mocking ---------------------------------------------------------------
    def mock(self, rsps) -> FakeTenant:
        """Serve discovery, JWKS and the token endpoint on a `responses.RequestsMock`."""
        def answer(builder):
            def callback(request):
                return 200, {"Content-Type": "application/json"}, json.dumps(builder())
            return callback

        def token(request):
            raw = request.body or ""
            form = dict(parse_qsl(raw.decode("utf-8") if isinstance(raw, bytes) else raw))
            if self.token_answers:
                self.requests.append(form)
                return self.token_answers.pop(0)
            status, body = self.token_response(form, request.headers.get("Authorization"))
            return status, {"Content-Type": "application/json"}, json.dumps(body)

        def register(request):
            try:
                body = json.loads(request.body or b"")
            except ValueError:
                body = None
            status, answer_body = self.oauth.register(body)
            return status, {"Content-Type": "application/json"}, json.dumps(answer_body)

        def authorize(request):
            from urllib.parse import urlsplit

            status, answer_body = self.oauth.authorize(dict(parse_qsl(urlsplit(request.url).query)))
            if status == 302:
                return 302, answer_body, ""
            return status, {"Content-Type": "application/json"}, json.dumps(answer_body)

        rsps.add_callback("GET", self.discovery_url, callback=answer(self.discovery))
        rsps.add_callback("GET", self.oauth.metadata_url, callback=answer(self.oauth.metadata))
        rsps.add_callback("GET", self.jwks_url, callback=answer(self.jwks))
        rsps.add_callback("POST", self.token_url, callback=token)
        rsps.add_callback("POST", self.oauth.registration_endpoint, callback=register)
        rsps.add_callback("GET", re.compile(re.escape(self.oauth.authorization_endpoint) + r"(\?.*)?$"),
                          callback=authorize)
        return self


def _basic_credentials(authorization: str) -> tuple[str | None, str | None]:
    """Client id and secret of an RFC 6749 §2.3.1 Basic header (form-urlencoded each)."""
    scheme, _, value = authorization.partition(" ")
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except ValueError:
        return None, None
    client_id, colon, secret = decoded.partition(":")
    if scheme.lower() != "basic" or not colon:
        return None, None
    return unquote_plus(client_id), unquote_plus(secret)


def calls_to(rsps, url: str) -> int:
    """How many requests a `responses` mock saw for `url`."""
    return sum(1 for call in rsps.calls if call.request.url == url)
