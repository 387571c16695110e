"""`ApiClient`: the blocking counterpart of auth0-api-python's client, with async
twins (`a...`) for ASGI code (docs/deployment.md, "ASGI")."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from functools import partial, wraps
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from asgiref.sync import sync_to_async

from . import signals
from .core.access_tokens import AccessTokenVerifier
from .core.challenges import build_challenge
from .core.claims import bound_key_of, copy_json, missing_claims
from .core.credentials import Credentials, Headers, read_credentials
from .core.dpop import DpopVerifier
from .core.mtls import CertificateBinding
from .errors import (
    BaseAuthError,
    InvalidAuthSchemeError,
    InvalidRequestError,
    MissingAuthorizationError,
    MissingRequiredArgumentError,
    VerifyAccessTokenError,
)
from .options import ApiClientOptions
from .verified_token import VerifiedToken, verified_token

if TYPE_CHECKING:
    from .exchange.grants import TokenExchanger

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _with_challenge(method: Callable[Concatenate[ApiClient, _P], _R]) -> Callable[Concatenate[ApiClient, _P], _R]:
    """Every `BaseAuthError` the method raises answers with this client's challenge."""

    @wraps(method)
    def wrapper(self: ApiClient, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(self, *args, **kwargs)
        except BaseAuthError as exc:
            exc.answered_by(self.challenge)
            raise

    return wrapper


class ApiClient:
    def __init__(self, options: ApiClientOptions) -> None:
        if not isinstance(options, ApiClientOptions):
            raise TypeError("ApiClient needs ApiClientOptions")
        self.options = options
        # `challenge(error, scopes=())`: this client's WWW-Authenticate (its realm, DPoP
        # mode and algorithms), handed to each error it raises.
        self.challenge: Callable[..., str] = partial(build_challenge, options)
        self.token_verifier = AccessTokenVerifier(options)
        self.dpop_verifier = DpopVerifier(options)
        self.certificates = CertificateBinding(options)
        self._exchanger: TokenExchanger | None = None

    # -- verification -------------------------------------------------------
    def verify_access_token(self, access_token: str, required_claims: Sequence[str] | None = None) -> dict[str, Any]:
        """The verified claims (a fresh dict) of a raw access token."""
        try:  # (`_with_challenge`, written out on the two hot paths)
            claims = self.token_verifier.verify(access_token)
            missing = missing_claims(claims, required_claims) if required_claims else None
            if missing:
                raise VerifyAccessTokenError("Required claims are missing: " + " ".join(missing))
        except BaseAuthError as exc:
            exc.answered_by(self.challenge)
            raise
        return copy_json(claims)  # deep: nested claims must not alias the verified-token cache

    @_with_challenge
    def verify_dpop_proof(self, access_token: str, proof: str, http_method: str, http_url: str) -> dict[str, Any]:
        """The proof's claims, checked against the token (verified too) and its binding."""
        # `dpop_proof`: upstream's name for the missing proof.
        for name, value in (("access_token", access_token), ("dpop_proof", proof),
                            ("http_method", http_method), ("http_url", http_url)):
            if not value:
                raise MissingRequiredArgumentError(name)
        try:
            claims = self.token_verifier.verify(access_token)
            return dict(self._verify_bound(access_token, claims, proof, http_method, http_url))
        except BaseAuthError as exc:
            exc.with_scheme("DPoP")  # the token came with a proof: its challenge is DPoP's
            raise

    def verify_request(self, headers: Headers, http_method: str | None = None,
                       http_url: str | None = None) -> dict[str, Any]:
        """Bearer or DPoP, whichever the request carries; the token's claims."""
        # A DOMAINS resolver gets the same context as under Django (docs/settings.md, `DOMAINS`).
        context = {"request_url": http_url, "request_headers": headers}
        # `signals.started()`, written out: nobody listens, nearly always.
        start = time.perf_counter() if signals.token_verified.receivers or signals.token_refused.receivers else None
        try:
            token = self.authenticate(headers, http_method, http_url, context)
        except (MissingAuthorizationError, InvalidAuthSchemeError):
            raise  # no credentials: not a refusal (docs/operations.md)
        except BaseAuthError as exc:
            signals.refused(self, exc, start)
            raise
        if start is not None:
            signals.verified(self, token, start)
        return token.claims_dict()

    def authenticate(
        self,
        headers: Headers,
        http_method: str | None = None,
        http_url: str | Callable[[], str] | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> VerifiedToken:
        """Verify a request's credentials; `http_url` may be a callable so a
        Bearer request never builds it."""
        try:
            credentials = read_credentials(headers, self.options)
        except BaseAuthError as exc:
            exc.answered_by(self.challenge)
            raise
        # (Its own errors carry this client's challenge already.)
        return self.authenticate_credentials(credentials, http_method, http_url, context)

    def authenticate_credentials(
        self,
        credentials: Credentials,
        http_method: str | None = None,
        http_url: str | Callable[[], str] | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> VerifiedToken:
        scheme = credentials.scheme
        try:
            claims = self.token_verifier.verify(credentials.token, context)
            if "cnf" in claims or self.certificates.required:  # (the method's own test, first)
                self._check_certificate(claims, credentials)
            if scheme == "Bearer":
                if "cnf" in claims or credentials.proofs:  # (the checks of `_bearer`, the common case written out)
                    return self._bearer(credentials, claims)
                return verified_token(credentials.token, claims, scheme)
            proof, method, url, jkt = self._proof_inputs(claims, credentials, http_method, http_url)
            proof_claims = self.dpop_verifier.verify(proof, credentials.token, method, url, jkt)
        except BaseAuthError as exc:
            exc.with_scheme(scheme).answered_by(self.challenge)
            raise
        return verified_token(credentials.token, claims, scheme, proof_claims)

    async def aauthenticate_credentials(
        self,
        credentials: Credentials,
        http_method: str | None = None,
        http_url: str | Callable[[], str] | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> VerifiedToken:
        """`authenticate_credentials` for async code. A warm Bearer request is
        verified on the event loop (no thread hop); a DPoP proof's replay
        check goes through Django's async cache API; a key fetch, a shared
        cache read or a `DOMAINS` resolver runs in a worker thread, single
        flight as in sync code."""
        scheme = credentials.scheme
        try:
            claims = self.token_verifier.verify_offline(credentials.token, context)
            if claims is None:
                blocking = sync_to_async(self.authenticate_credentials, thread_sensitive=False)
                return await blocking(credentials, http_method, http_url, context)
            if "cnf" in claims or self.certificates.required:
                self._check_certificate(claims, credentials)
            if scheme == "Bearer":
                return self._bearer(credentials, claims)
            proof, method, url, jkt = self._proof_inputs(claims, credentials, http_method, http_url)
            proof_claims = await self.dpop_verifier.averify(proof, credentials.token, method, url, jkt)
        except BaseAuthError as exc:
            exc.with_scheme(scheme).answered_by(self.challenge)
            raise
        return verified_token(credentials.token, claims, scheme, proof_claims)

    def _check_certificate(self, claims: dict[str, Any], credentials: Credentials) -> None:
        """RFC 8705 §3: a certificate-bound token is accepted with its certificate
        only, and with `MTLS_REQUIRED` no other token is. Checked before the
        proof: a token presented without its certificate must not consume one."""
        # (`cnf` is an object: the verifier refuses any other.)
        if "cnf" in claims and "x5t#S256" in claims["cnf"] or self.certificates.required:
            self.certificates.check(claims, credentials.certificate)

    @staticmethod
    def _bearer(credentials: Credentials, claims: dict[str, Any]) -> VerifiedToken:
        if "cnf" in claims and bound_key_of(claims) is not None:
            raise VerifyAccessTokenError("DPoP-bound token sent as a Bearer token")
        if credentials.proofs:
            raise InvalidRequestError("DPoP proof sent with an unbound Bearer token")
        return verified_token(credentials.token, claims, credentials.scheme)

    @staticmethod
    def _proof_inputs(claims: Mapping[str, Any], credentials: Credentials, http_method: str | None,
                      http_url: str | Callable[[], str] | None) -> tuple[str, str, str, str]:
        """(proof, method, URL, cnf.jkt) of a DPoP request, checked before the proof is."""
        if not http_method or not http_url:
            raise MissingRequiredArgumentError("http_method" if not http_method else "http_url")
        jkt = bound_key_of(claims)
        if jkt is None:
            raise VerifyAccessTokenError("Access token is not DPoP-bound")
        url = http_url() if callable(http_url) else http_url
        return credentials.proofs[0], http_method, url, jkt

    def _verify_bound(self, token: str, claims: Mapping[str, Any], proof: str, http_method: str,
                      http_url: str) -> dict[str, Any]:
        """The proof's claims, for a token that must be DPoP-bound to the proof's key."""
        jkt = bound_key_of(claims)
        if jkt is None:
            raise VerifyAccessTokenError("Access token is not DPoP-bound")
        return self.dpop_verifier.verify(proof, token, http_method, http_url, jkt)

    # -- token exchange -------------------------------------------------------
    @property
    def exchanger(self) -> TokenExchanger:
        if self._exchanger is None:
            from .exchange.grants import TokenExchanger

            self._exchanger = TokenExchanger(self.options, self.token_verifier)
        return self._exchanger

    def get_token_on_behalf_of(self, access_token: str, audience: str, scope: str | None = None) -> dict[str, Any]:
        return self.exchanger.on_behalf_of(access_token, audience, scope)

    def get_token_by_exchange_profile(self, subject_token: str, subject_token_type: str, audience: str | None = None,
                                      scope: str | None = None, requested_token_type: str | None = None,
                                      extra: Mapping[str, object] | None = None,
                                      organization: str | None = None) -> dict[str, Any]:
        return self.exchanger.by_profile(subject_token, subject_token_type, audience, scope,
                                         requested_token_type, extra, organization)

    def get_access_token_for_connection(self, options: Mapping[str, str]) -> dict[str, Any]:
        return self.exchanger.for_connection(options)

    # The same exchanges for async code: the token endpoint call (and the
    # exchanged-token cache, shared with the calls above) run in a worker
    # thread, never on the event loop.
    async def aget_token_on_behalf_of(self, access_token: str, audience: str,
                                      scope: str | None = None) -> dict[str, Any]:
        return await sync_to_async(self.get_token_on_behalf_of, thread_sensitive=False)(access_token, audience, scope)

    async def aget_token_by_exchange_profile(self, subject_token: str, subject_token_type: str,
                                             audience: str | None = None, scope: str | None = None,
                                             requested_token_type: str | None = None,
                                             extra: Mapping[str, object] | None = None,
                                             organization: str | None = None) -> dict[str, Any]:
        exchange = sync_to_async(self.get_token_by_exchange_profile, thread_sensitive=False)
        return await exchange(subject_token, subject_token_type, audience, scope, requested_token_type, extra,
                              organization)

    async def aget_access_token_for_connection(self, options: Mapping[str, str]) -> dict[str, Any]:
        return await sync_to_async(self.get_access_token_for_connection, thread_sensitive=False)(options)
