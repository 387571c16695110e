"""The fake tenant as an MCP-capable authorization server, for tests and demos.

What an MCP client meets at Auth0 with Dynamic Client Registration and the
Resource Parameter Compatibility Profile turned on:

- RFC 8414 metadata (also merged into the OpenID discovery document);
- RFC 7591 dynamic client registration at `/oidc/register`;
- `/authorize` with PKCE S256 (RFC 7636, required) and `resource` (RFC 8707),
  consent given at once for the tenant's demo user; the answer names the
  issuer (RFC 9207);
- the `authorization_code`, `refresh_token` (rotated, RFC 9700 §4.14.2) and
  `client_credentials` grants at `/oauth/token`; an access token's `aud` is the
  requested `resource` (or Auth0's `audience`), and a refresh token comes only
  with `offline_access`, as at Auth0.

HTTP-agnostic: every method takes the request's parameters and returns
(status, body); `FakeTenant.mock()` and `testproject.tenant` put them on the
wire. State (clients, codes, refresh tokens) lives in memory: serve it from
one process.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from ..core import jws
from ..exchange.grants import CONNECTION_GRANT, TOKEN_EXCHANGE_GRANT
from .token_endpoint import _basic_credentials

if TYPE_CHECKING:
    from .tenant import FakeTenant

AUTHORIZATION_CODE = "authorization_code"
REFRESH_TOKEN = "refresh_token"  # noqa: S105 (a grant type, not a secret)
CLIENT_CREDENTIALS = "client_credentials"
AUTH_METHODS = ("client_secret_basic", "client_secret_post", "none")
CODE_LIFETIME = 60
# Auth0's standard OpenID scopes; the resource's own scopes come from its metadata.
OPENID_SCOPES = ("openid", "profile", "email", "offline_access")


def _error(status: int, code: str, description: str) -> tuple[int, dict]:
    return status, {"error": code, "error_description": description}


def _absolute_uri(value: object) -> bool:
    """An absolute URI without a fragment (RFC 8707 §2, RFC 7591 §2 redirect URIs)."""
    if not isinstance(value, str) or "#" in value or any(c.isspace() for c in value):
        return False
    parts = urlsplit(value)
    return bool(parts.scheme and (parts.netloc or parts.scheme not in ("http", "https")))


def pkce_challenge(verifier: str) -> str:
    """RFC 7636 §4.2 S256: BASE64URL(SHA256(ASCII(code_verifier)))."""
    return jws.b64encode(hashlib.sha256(verifier.encode("ascii")).digest())


class AuthorizationServer:
    """The authorization-server half of a `FakeTenant` (its `oauth` attribute)."""

    def __init__(self, tenant: FakeTenant) -> None:
        self.tenant = tenant
        # sub of the user who consents to everything at /authorize
        self.demo_user = "auth0|mcp-demo-user"
        # resources (API identifiers) tokens may be asked for; None: any absolute URI
        self.resources: set[str] | None = None
        self.clients: dict[str, dict] = {}
        self._codes: dict[str, dict] = {}
        self._refresh_tokens: dict[str, dict] = {}
        self._lock = threading.Lock()

    # -- URLs and metadata (RFC 8414 §2) ----------------------------------------------
    @property
    def authorization_endpoint(self) -> str:
        return self.tenant.issuer + "authorize"

    @property
    def registration_endpoint(self) -> str:
        return self.tenant.issuer + "oidc/register"

    @property
    def metadata_url(self) -> str:
        return self.tenant.issuer + ".well-known/oauth-authorization-server"

    def metadata(self) -> dict:
        return {
            "issuer": self.tenant.issuer,
            "authorization_endpoint": self.authorization_endpoint,
            "token_endpoint": self.tenant.token_url,
            "registration_endpoint": self.registration_endpoint,
            "jwks_uri": self.tenant.jwks_url,
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": [AUTHORIZATION_CODE, REFRESH_TOKEN, CLIENT_CREDENTIALS,
                                      TOKEN_EXCHANGE_GRANT, CONNECTION_GRANT],
            "token_endpoint_auth_methods_supported": [*AUTH_METHODS, "private_key_jwt"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": list(OPENID_SCOPES),
            "authorization_response_iss_parameter_supported": True,
        }

    # -- RFC 7591 dynamic client registration ---------------------------------------------
    def register(self, body: Any) -> tuple[int, dict]:
        if not isinstance(body, dict):
            return _error(400, "invalid_client_metadata", "The body must be a JSON object")
        grant_types = body.get("grant_types", [AUTHORIZATION_CODE])
        method = body.get("token_endpoint_auth_method", "client_secret_basic")  # RFC 7591 §2 default
        redirect_uris = body.get("redirect_uris", [])
        if (not isinstance(grant_types, list) or not grant_types
                or not set(grant_types) <= {AUTHORIZATION_CODE, REFRESH_TOKEN, CLIENT_CREDENTIALS}):
            return _error(400, "invalid_client_metadata", "Unsupported grant_types")
        if method not in AUTH_METHODS:
            return _error(400, "invalid_client_metadata", "Unsupported token_endpoint_auth_method")
        if method == "none" and CLIENT_CREDENTIALS in grant_types:
            return _error(400, "invalid_client_metadata", "A public client cannot use client_credentials")
        if not isinstance(redirect_uris, list) or not all(_absolute_uri(uri) for uri in redirect_uris):
            return _error(400, "invalid_redirect_uri", "Each redirect URI must be absolute, without a fragment")
        if AUTHORIZATION_CODE in grant_types and not redirect_uris:
            return _error(400, "invalid_redirect_uri", "The authorization_code grant needs redirect_uris")
        if body.get("response_types", ["code"]) != ["code"]:
            return _error(400, "invalid_client_metadata", "Only the code response type is supported")
        client_id = secrets.token_urlsafe(16)
        client = {"client_id": client_id, "client_id_issued_at": int(time.time()),
                  "redirect_uris": redirect_uris, "grant_types": grant_types, "response_types": ["code"],
                  "token_endpoint_auth_method": method}
        for name in ("client_name", "client_uri", "scope", "software_id", "software_version"):
            if isinstance(body.get(name), str):
                client[name] = body[name]
        if method != "none":
            client["client_secret"] = secrets.token_urlsafe(32)
            client["client_secret_expires_at"] = 0  # RFC 7591 §3.2.1: never
        with self._lock:
            self.clients[client_id] = client
        return 201, dict(client)

    # -- /authorize (RFC 6749 §4.1.1, RFC 7636 §4.3, RFC 8707 §2) ----------------------------
    def authorize(self, params: dict) -> tuple[int, dict]:
        """(302, {"Location": ...}) back to the client, or (400, error) when the
        client or its redirect URI is unknown (RFC 6749 §4.1.2.1: no redirect then)."""
        client = self.clients.get(params.get("client_id", ""))
        if client is None:
            return _error(400, "invalid_client", "Unknown client_id")
        redirect_uri = params.get("redirect_uri") or (client["redirect_uris"][:1] or [""])[0]
        if redirect_uri not in client["redirect_uris"]:
            return _error(400, "invalid_request", "redirect_uri is not registered for this client")

        def back(answer: dict) -> tuple[int, dict]:
            answer = {**answer, "iss": self.tenant.issuer}  # RFC 9207
            if "state" in params:
                answer["state"] = params["state"]
            separator = "&" if urlsplit(redirect_uri).query else "?"
            return 302, {"Location": redirect_uri + separator + urlencode(answer)}

        if params.get("response_type") != "code":
            return back({"error": "unsupported_response_type", "error_description": "Only code is supported"})
        if AUTHORIZATION_CODE not in client["grant_types"]:
            return back({"error": "unauthorized_client", "error_description": "Not registered for this grant"})
        if not params.get("code_challenge") or params.get("code_challenge_method") != "S256":
            return back({"error": "invalid_request", "error_description": "PKCE with S256 is required"})
        resource, refusal = self._resource(params)
        if refusal:
            return back({"error": "invalid_target", "error_description": refusal})
        code = secrets.token_urlsafe(32)
        with self._lock:
            self._codes[code] = {"client_id": client["client_id"], "redirect_uri": params.get("redirect_uri"),
                                 "code_challenge": params["code_challenge"], "resource": resource,
                                 "scope": params.get("scope", ""), "sub": self.demo_user,
                                 "expires_at": time.time() + CODE_LIFETIME}
        return back({"code": code})

    def _resource(self, params: dict) -> tuple[str, str | None]:
        """The API a token is for: RFC 8707 `resource` (Auth0's compatibility
        profile), else Auth0's `audience`, else the tenant's default API."""
        resource = params.get("resource") or params.get("audience") or self.tenant.audience
        if not _absolute_uri(resource):
            return resource, "resource must be an absolute URI without a fragment"
        if self.resources is not None and resource not in self.resources:
            return resource, "No API has this identifier"
        return resource, None

    # -- /oauth/token -------------------------------------------------------------------
    def token_response(self, form: dict, authorization: str | None) -> tuple[int, dict] | None:
        """The answer for the grants this class serves, or None for the others."""
        grant = form.get("grant_type")
        if grant not in (AUTHORIZATION_CODE, REFRESH_TOKEN, CLIENT_CREDENTIALS):
            return None
        client, refusal = self._authenticate(form, authorization, grant)
        if client is None:
            return refusal
        if grant == AUTHORIZATION_CODE:
            return self._code_grant(form, client)
        if grant == REFRESH_TOKEN:
            return self._refresh_grant(form, client)
        return self._client_credentials_grant(form, client)

    def _authenticate(self, form: dict, authorization: str | None,
                      grant: str) -> tuple[dict[str, Any], None] | tuple[None, tuple[int, dict]]:
        """(client, None) or (None, refusal): RFC 6749 §2.3.1 Basic or post, or a
        public client naming itself (`none`)."""
        if authorization and "client_secret" in form:
            return None, _error(400, "invalid_request", "Use only one client authentication method")
        if authorization:
            client_id, secret = _basic_credentials(authorization)
        else:
            client_id, secret = form.get("client_id"), form.get("client_secret")
        client: dict[str, Any] | None
        if client_id == self.tenant.client_id:  # the tenant's own confidential client
            client = {"client_id": client_id, "client_secret": self.tenant.client_secret,
                      "grant_types": [CLIENT_CREDENTIALS], "token_endpoint_auth_method": "client_secret_basic"}
        else:
            client = self.clients.get(client_id or "")
        if client is None:
            return None, _error(401, "invalid_client", "Client authentication failed")
        expected = client.get("client_secret")
        if expected is None:
            if secret is not None:
                return None, _error(401, "invalid_client", "Client authentication failed")
        elif secret is None or not secrets.compare_digest(secret, expected):
            return None, _error(401, "invalid_client", "Client authentication failed")
        if grant not in client["grant_types"] and not (grant == REFRESH_TOKEN
                                                          and AUTHORIZATION_CODE in client["grant_types"]):
            return None, _error(400, "unauthorized_client", "The client may not use this grant")
        return client, None

    def _code_grant(self, form: dict, client: dict) -> tuple[int, dict]:
        with self._lock:
            code = self._codes.pop(form.get("code", ""), None)  # single use (RFC 6749 §4.1.2)
        if code is None or code["expires_at"] < time.time() or code["client_id"] != client["client_id"]:
            return _error(400, "invalid_grant", "Invalid or expired authorization code")
        if code["redirect_uri"] is not None and form.get("redirect_uri") != code["redirect_uri"]:
            return _error(400, "invalid_grant", "redirect_uri does not match the authorization request")
        verifier = form.get("code_verifier", "")
        if not (43 <= len(verifier) <= 128) or not secrets.compare_digest(pkce_challenge(verifier),
                                                                          code["code_challenge"]):
            return _error(400, "invalid_grant", "code_verifier does not match the code_challenge")
        if form.get("resource") and form["resource"] != code["resource"]:
            return _error(400, "invalid_target", "resource differs from the authorization request")
        return self._issue(client["client_id"], code["sub"], code["scope"], code["resource"], user=True)

    def _refresh_grant(self, form: dict, client: dict) -> tuple[int, dict]:
        with self._lock:
            grant = self._refresh_tokens.pop(form.get("refresh_token", ""), None)  # rotated: one use
        if grant is None or grant["client_id"] != client["client_id"]:
            return _error(400, "invalid_grant", "Invalid refresh token")
        scope = form.get("scope") or grant["scope"]
        if not set(scope.split()) <= set(grant["scope"].split()):
            return _error(400, "invalid_scope", "A refresh may not widen the scope")
        if form.get("resource") and form["resource"] != grant["resource"]:
            return _error(400, "invalid_target", "resource differs from the original grant")
        return self._issue(client["client_id"], grant["sub"], scope, grant["resource"], user=True,
                           refresh_scope=grant["scope"])

    def _client_credentials_grant(self, form: dict, client: dict) -> tuple[int, dict]:
        resource, refusal = self._resource(form)
        if refusal:
            return _error(400, "invalid_target", refusal)
        return self._issue(client["client_id"], f"{client['client_id']}@clients", form.get("scope", ""), resource,
                           user=False)

    def _issue(self, client_id: str, sub: str, scope: str, resource: str, *, user: bool,
               refresh_scope: str | None = None) -> tuple[int, dict]:
        lifetime = self.tenant.token_lifetime
        claims = {"azp": client_id} if user else {"azp": client_id, "gty": "client-credentials"}
        token = self.tenant.mint_token(sub, audience=resource, scope=scope or None, expires_in=lifetime,
                                       claims=claims)
        body: dict[str, Any] = {"access_token": token, "token_type": "Bearer", "expires_in": lifetime}
        if scope:
            body["scope"] = scope
        if user and "offline_access" in (refresh_scope or scope).split():
            refresh_token = secrets.token_urlsafe(32)
            with self._lock:
                self._refresh_tokens[refresh_token] = {"client_id": client_id, "sub": sub, "resource": resource,
                                                       "scope": refresh_scope or scope}
            body["refresh_token"] = refresh_token
        return 200, body
