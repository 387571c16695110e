"""The fake tenant's `/oauth/token`: client authentication (Basic,
`client_secret_post`, `private_key_jwt`), RFC 8693 token exchange
(On-Behalf-Of and Custom Token Exchange profiles) and Token Vault.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from cryptography.hazmat.primitives.asymmetric import ec

from ..core import jws
from ..exchange.client_auth import ASSERTION_TYPE
from ..exchange.grants import (
    ACCESS_TOKEN_TYPE,
    CONNECTION_GRANT,
    CONNECTION_TOKEN_TYPE,
    REFRESH_TOKEN_TYPE,
    TOKEN_EXCHANGE_GRANT,
)
from .keys import CURVES, rsa_key

if TYPE_CHECKING:
    from .authorization_server import AuthorizationServer


class TokenEndpoint:
    """What the tenant's token endpoint knows and answers (a mixin of `FakeTenant`)."""

    # Provided by `FakeTenant`.
    issuer: str
    audience: str
    client_id: str
    client_secret: str
    requests: list
    keys: dict
    mint_token: Callable[..., str]
    oauth: AuthorizationServer

    def __init__(self) -> None:
        # Lifetime of what it issues, public keys it trusts for
        # `private_key_jwt`, Token Vault connections (name -> granted scope), Custom
        # Token Exchange profiles (subject_token_type -> f(subject_token) -> sub or
        # None), and canned answers queued by `queue_token_answer()`.
        self.token_lifetime = 3600
        self.client_keys: list = []
        self.connections = {"google-oauth2": "https://www.googleapis.com/auth/calendar.readonly"}
        self.exchange_profiles: dict = {}
        self.token_answers: list = []
        self._assertion_jtis: set = set()
        # The tenant's APIs: once known (`settings_for` adds the project's
        # AUDIENCE), an On-Behalf-Of subject token must be for one of them or for
        # the tenant's audience. Empty: any audience (a tenant serving over HTTP
        # issues tokens for whatever resource its clients ask).
        self.apis: set[str] = set()

    @property
    def token_url(self) -> str:
        return self.issuer + "oauth/token"

    def client_assertion_key(self, alg: str = "RS256") -> str:
        """A PEM private key for `private_key_jwt` (`CLIENT_ASSERTION_KEY`); the
        tenant trusts its public half from now on."""
        from cryptography.hazmat.primitives import serialization

        key = rsa_key(50 + len(self.client_keys)) if alg == "RS256" else ec.generate_private_key(CURVES[alg]())
        self.client_keys.append(key.public_key())
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()).decode("ascii")

    def trust_client_key(self, value: str) -> None:
        """Trust the public half of a `CLIENT_ASSERTION_KEY` (a PEM or a PEM
        file's path) for `private_key_jwt`; an unusable one is left to the checks."""
        from ..errors import ConfigurationError
        from ..exchange.client_auth import load_assertion_key

        try:
            key, _ = load_assertion_key(value)
        except ConfigurationError:
            return
        self.client_keys.append(key.public_key())  # type: ignore[attr-defined]

    def queue_token_answer(self, status: int = 200, json_body: object = None, *, text: str | None = None,
                           headers: dict[str, str] | None = None, error: Exception | None = None) -> None:
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
        if answer is not None:  # authorization_code, refresh_token, client_credentials
            return answer
        refusal = self._authenticate_client(form, authorization)
        if refusal is not None:
            return refusal
        grant = form.get("grant_type")
        if grant == TOKEN_EXCHANGE_GRANT:
            return self._token_exchange(form, self.client_id)
        if grant == CONNECTION_GRANT:
            return self._connection_exchange(form)
        return 400, {"error": "unsupported_grant_type", "error_description": "Unsupported grant type"}

    def _authenticate_client(self, form: dict, authorization: str | None) -> tuple[int, dict] | None:
        """The refusal, or None when the client is the tenant's own."""
        used = [bool(authorization), "client_secret" in form, "client_assertion" in form]
        if sum(used) > 1:
            return 400, {"error": "invalid_request", "error_description": "Use only one client authentication method"}
        if authorization:
            client_id, secret = _basic_credentials(authorization)
        elif "client_assertion" in form:
            client_id, secret = self._assertion_client(form), self.client_secret
        else:
            client_id, secret = form.get("client_id"), form.get("client_secret")
        if client_id != self.client_id or secret != self.client_secret:
            return 401, {"error": "invalid_client", "error_description": "Client authentication failed"}
        return None

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
            subject = self.verified_subject(subject_token)
            if subject is None:
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
                                expires_in=self.token_lifetime, **_organization_claims(form.get("organization")))
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

    def verified_subject(self, token: str) -> dict | None:
        """The claims of an access token this tenant issued for one of its APIs
        and that has not expired, or None: what Auth0 accepts as an On-Behalf-Of
        `subject_token` (a token signed by another key, for a foreign audience
        or expired is refused)."""
        try:
            head_b64, payload_b64, signature_b64 = jws.split(token)
            header, claims = jws.decode_segment(head_b64), jws.decode_segment(payload_b64)
            signature = jws.b64decode(signature_b64)
        except jws.JWSError:
            return None
        key, alg = self.keys.get(header.get("kid")), header.get("alg")
        if key is None or alg != "RS256" or not jws.verify_signature(
                alg, key.public_key(), f"{head_b64}.{payload_b64}".encode("ascii"), signature):
            return None
        aud = claims.get("aud")
        audiences = set(aud) if isinstance(aud, list) else {aud}
        exp = claims.get("exp")
        foreign = bool(self.apis) and not audiences & (self.apis | {self.audience})
        if (claims.get("iss") != self.issuer or foreign
                or not isinstance(exp, (int, float)) or isinstance(exp, bool) or exp <= time.time()):
            return None
        return claims

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


def _organization_claims(organization: str | None) -> dict:
    """Like Auth0: a token issued for an organization (by id or by name)
    carries its `org_id`, and its `org_name` when the name was given."""
    if not organization:
        return {}
    if organization.startswith("org_"):
        return {"org_id": organization}
    digest = hashlib.sha256(organization.lower().encode("utf-8")).hexdigest()[:16]
    return {"org_id": f"org_{digest}", "org_name": organization.lower()}


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

