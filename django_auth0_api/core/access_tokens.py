"""Access-token verification (RFC 9068 where it applies; the rules of docs/security.md).

Everything that can be refused without the network is refused first: the
shape, the size, the header, the algorithm and the issuer. A token already
verified is served from a bounded in-process cache, with its time claims
checked again on every hit.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, cast

from django.utils.module_loading import import_string

from ..errors import ConfigurationError, DomainsResolverError, VerifyAccessTokenError, error_text
from ..options import ApiClientOptions, issuer_for
from . import jwe, jws
from .claims import (
    LARGEST_TIME,
    audience_matches,
    claim_has_one_of,
    confirmation_problem,
    is_numeric_date,
    missing_claims,
    organization_matches,
)
from .delegation import MalformedActClaim, validate_act
from .issuer import IssuerDocuments
from .memo import BoundedMemo

MAX_TOKEN_LENGTH = 8 * 1024
ACCEPTED_TYP = frozenset({"jwt", "at+jwt", "application/at+jwt"})
VERIFIED_CACHE_SIZE = 4096
_HEADER_CACHE_SIZE = 256
_MISSING = object()

logger = logging.getLogger("django_auth0_api.tokens")


def _callable(setting: object) -> Callable[..., Any]:
    """A setting's callable, given as itself or as its dotted path."""
    return cast("Callable[..., Any]", import_string(setting) if isinstance(setting, str) else setting)


class _WouldBlock(Exception):
    """Raised inside `verify_offline` where `verify` would go to the network
    or the shared cache."""


# What the memo of verified tokens holds for one: its claims, `exp` plus the
# leeway, and its `nbf` (or None), so that a hit reads no claim to check them.
_Remembered = tuple[dict[str, Any], float, Any]
# A public key for (issuer, kid, alg): fetched if need be, or only if warm.
KeyLookup = Callable[[str, str, str], object]
# What a `DOMAINS` or `ORGANIZATION` callable is given.
Context = Mapping[str, Any]


class AccessTokenVerifier:
    def __init__(self, options: ApiClientOptions) -> None:
        self.options = options
        # Normalized by the options: a non-empty tuple, and (name, accepted values) pairs.
        self._audiences = cast("tuple[str, ...]", options.audience)
        self._required_values = cast("tuple[tuple[str, tuple[Any, ...]], ...]", options.required_claim_values)
        self._fixed_issuers = options.domains is None or isinstance(options.domains, tuple)
        self._issuers: dict[str, IssuerDocuments] = {}
        self._issuers_lock = threading.Lock()
        # `cache_max_entries` bounds each memo of this client (upstream's knob).
        self._verified = BoundedMemo(options.cache_max_entries or VERIFIED_CACHE_SIZE)
        self._headers = BoundedMemo(options.cache_max_entries or _HEADER_CACHE_SIZE)
        self._resolver: Callable[[dict[str, Any]], Any] | None = None
        # Built now: a key that cannot be loaded is a configuration error, raised loudly.
        self._decrypter = jwe.Decrypter.from_options(options) if options.decryption_keys else None
        self._organization_named = options.organization_resolver
        self._organization_resolver: Callable[[object], Any] | None = None
        if self._organization_named is not None:
            # Chosen once, so the hot path of every other API stays as it is.
            self.verify = self._verify_for_organizations  # type: ignore[method-assign]  # chosen per instance

    # -- entry point ------------------------------------------------------
    def verify(self, token: object, context: Context | None = None) -> dict[str, Any]:
        """The verified claims of `token`, or `VerifyAccessTokenError`."""
        # A token verified before, first: what a warm request is (the memo holds
        # only strings that passed every check below).
        remembered = self._verified.get(token) if type(token) is str else None
        if remembered is not None:
            # `_still_valid`, written out: this is every warm request.
            claims, valid_until, nbf = remembered
            now = time.time()
            if now < valid_until and (nbf is None or nbf <= now + self.options.leeway) and (
                    self._fixed_issuers or self._issuer_allowed(claims["iss"], context)):
                return claims
        return self._verify(token, context, self._key)

    def verify_offline(self, token: object, context: Context | None = None) -> dict[str, Any] | None:
        """As `verify`, without blocking: None when verifying would fetch keys,
        read the shared cache or call a `DOMAINS` or `ORGANIZATION` resolver
        (which may block).
        The async faces run this on the event loop and hand only a None to a
        worker thread."""
        domains = self.options.domains
        if domains is not None and not isinstance(domains, tuple):
            return None
        if self._organization_named is not None:  # an ORGANIZATION callable may block too
            return None
        remembered = self._verified.get(token) if type(token) is str else None
        if remembered is not None and self._still_valid(remembered, context):
            return remembered[0]
        try:
            return self._verify(token, context, self._warm_key)
        except _WouldBlock:
            return None

    def _verify(self, token: object, context: Context | None, key_for: KeyLookup) -> dict[str, Any]:
        """Verify `token` in full (the memo has been asked, and had no valid answer)."""
        if not isinstance(token, str) or not token:
            raise VerifyAccessTokenError("Access token is missing")
        if len(token) > MAX_TOKEN_LENGTH and (self._decrypter is None or len(token) > jwe.MAX_ENCRYPTED_TOKEN_LENGTH):
            raise VerifyAccessTokenError("Access token is too large")
        # The cache holds the token as sent: an encrypted one is decrypted once.
        decrypter = self._decrypter
        signed = token if decrypter is None else self._signed_token(token, decrypter)
        try:
            header_b64, payload_b64, signature_b64 = jws.split(signed)
            # Tokens of one tenant share a handful of headers: each is parsed once.
            alg, kid = self._headers.get(header_b64) or self._header(header_b64)
            claims = jws.decode_segment(payload_b64)
            signature = jws.b64decode(signature_b64)
        except jws.JWSError:
            raise VerifyAccessTokenError("Access token is malformed") from None
        issuer = claims.get("iss")
        if not isinstance(issuer, str) or not self._issuer_allowed(issuer, context):
            raise VerifyAccessTokenError("Issuer is not accepted")
        key = key_for(issuer, kid, alg)
        if not jws.verify_signature(alg, key, f"{header_b64}.{payload_b64}".encode("ascii"), signature):
            raise VerifyAccessTokenError("Signature verification failed")
        self._check_claims(claims)
        remembered = (claims, claims["exp"] + self.options.leeway, claims.get("nbf"))
        verified = self._verified
        if len(verified) < verified.limit:  # `put`, while there is room
            verified[token] = remembered
        else:
            verified.put(token, remembered)
        return claims

    def _verify_for_organizations(self, token: object, context: Context | None = None) -> dict[str, Any]:
        """`verify`, then the organizations an `ORGANIZATION` callable names for
        this request: checked on every call, cache hit or not."""
        claims = AccessTokenVerifier.verify(self, token, context)
        self._check_organization(claims, self._organizations_for(context))
        return claims

    def documents_for(self, issuer: str) -> IssuerDocuments:
        keys = self._issuers.get(issuer)
        if keys is None:
            with self._issuers_lock:
                keys = self._issuers.get(issuer)
                if keys is None:
                    keys = self._issuers[issuer] = IssuerDocuments(issuer, self.options, self._verified.clear)
        return keys

    # -- steps ------------------------------------------------------------
    def _still_valid(self, remembered: _Remembered, context: Context | None) -> bool:
        claims, valid_until, nbf = remembered
        now = time.time()
        return (
            now < valid_until
            and (nbf is None or nbf <= now + self.options.leeway)
            # A fixed DOMAIN or DOMAINS accepted the issuer when the token was
            # verified, and these options never change; a resolver is asked again.
            and (self._fixed_issuers or self._issuer_allowed(claims["iss"], context))
        )

    def _key(self, issuer: str, kid: str, alg: str) -> object:
        documents = self._issuers.get(issuer) or self.documents_for(issuer)
        return documents.get_key(kid, alg)

    def _warm_key(self, issuer: str, kid: str, alg: str) -> object:
        key = self.documents_for(issuer).warm_key(kid, alg)
        if key is None:
            raise _WouldBlock
        return key

    def _signed_token(self, token: str, decrypter: jwe.Decrypter) -> str:
        """The JWS nested in an encrypted token (RFC 7516), or `token` itself
        when it is a plain JWS and encryption is not required."""
        if not jwe.is_compact_jwe(token):
            if len(token) > MAX_TOKEN_LENGTH:
                raise VerifyAccessTokenError("Access token is too large")
            if self.options.require_encryption:
                raise VerifyAccessTokenError("Access token is not encrypted")
            return token
        try:
            return decrypter.decrypt(token)
        except jwe.JWEError:
            # One sentence for every step: which one failed is nobody's business (RFC 7516 §11.5).
            raise VerifyAccessTokenError("Access token is invalid") from None

    def _header(self, header_b64: str) -> tuple[str, str]:
        """The (alg, kid) of a header not seen before, checked, and remembered."""
        header = jws.decode_segment(header_b64)
        alg, kid, typ = header.get("alg"), header.get("kid"), header.get("typ")
        if not jws.is_supported(alg) or alg not in self.options.algorithms:
            raise VerifyAccessTokenError("Algorithm is not accepted")
        if "crit" in header:
            raise VerifyAccessTokenError("Critical header parameters are not supported")
        if typ is not None and (not isinstance(typ, str) or typ.lower() not in ACCEPTED_TYP):
            raise VerifyAccessTokenError("Token type is not accepted")
        if not isinstance(kid, str) or not kid:
            raise VerifyAccessTokenError("Token has no key id")
        self._headers.put(header_b64, (alg, kid))
        return alg, kid

    def _check_claims(self, claims: dict[str, Any]) -> None:
        options = self.options
        now, leeway = time.time(), options.leeway
        aud = claims.get("aud")
        # (A string `aud` and whole-second times, what nearly every token holds, checked in line.)
        if not (aud in self._audiences if type(aud) is str else audience_matches(aud, self._audiences)):
            raise VerifyAccessTokenError("Audience is not accepted")
        exp = claims.get("exp")
        if not (type(exp) is int and -LARGEST_TIME <= exp <= LARGEST_TIME or is_numeric_date(exp)):
            raise VerifyAccessTokenError("Expiration time is missing or malformed")
        if now >= exp + leeway:
            raise VerifyAccessTokenError("Token has expired")
        # RFC 9068 §2.2: `iat` is required in a JWT access token, as `exp` is.
        iat = claims.get("iat", _MISSING)
        if iat is _MISSING:
            raise VerifyAccessTokenError("Issued-at time is missing")
        if "nbf" in claims:
            self._check_time(claims["nbf"], now + leeway, "nbf", "Token is not yet valid")
        if not (type(iat) is int and -LARGEST_TIME <= iat <= now + leeway):
            self._check_time(iat, now + leeway, "iat", "Token is issued in the future")
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub:
            raise VerifyAccessTokenError("Subject is missing or malformed")
        if options.required_claims:
            missing = missing_claims(claims, options.required_claims)
            if missing:
                raise VerifyAccessTokenError("Required claims are missing: " + " ".join(missing))
        for name, accepted in self._required_values:
            if not claim_has_one_of(claims, name, accepted):
                # The claim's name is the API's own setting; its value is never echoed.
                raise VerifyAccessTokenError(f"Claim {error_text(name)} has a value this API does not accept")
        if isinstance(options.organization, tuple):
            self._check_organization(claims, options.organization)
        if "scope" in claims and not isinstance(claims["scope"], str):
            raise VerifyAccessTokenError("Claim scope is malformed")
        # RFC 7800 §3.1: a present `cnf` is an object; `"cnf": null` binds the
        # token to nothing, so it is malformed rather than a Bearer token.
        if "cnf" in claims:
            unusable = confirmation_problem(claims["cnf"])
            if unusable is not None:
                raise VerifyAccessTokenError(unusable)
        if "act" in claims:
            try:
                validate_act(claims)
            except MalformedActClaim:
                raise VerifyAccessTokenError("Claim act is malformed") from None

    @staticmethod
    def _check_time(value: object, latest: float, name: str, problem: str) -> None:
        if not is_numeric_date(value):
            raise VerifyAccessTokenError(f"Claim {name} is malformed")
        if value > latest:
            raise VerifyAccessTokenError(problem)

    # -- organizations (Auth0 Organizations) -------------------------------
    @staticmethod
    def _check_organization(claims: dict[str, Any], accepted: tuple[str, ...]) -> None:
        if not organization_matches(claims, accepted):
            raise VerifyAccessTokenError("Token is not for an organization this API accepts")

    def _organizations_for(self, context: Context | None) -> tuple[str, ...]:
        request = (context or {}).get("request")
        try:
            resolver = self._organization_resolver
            if resolver is None:
                resolver = self._organization_resolver = _callable(self._organization_named)
            listed = resolver(request)
        except Exception as exc:
            # Fail closed, and log only the type: its text may quote the request.
            logger.error("auth0: the ORGANIZATION resolver raised %s; token refused", type(exc).__name__)
            return ()
        if isinstance(listed, str):
            return (listed,) if listed else ()
        try:
            return tuple(item for item in listed or () if isinstance(item, str) and item)
        except TypeError:
            logger.error("auth0: the ORGANIZATION resolver returned %s, not a list; token refused",
                         type(listed).__name__)
            return ()

    # -- issuers ----------------------------------------------------------
    def _issuer_allowed(self, issuer: str, context: Context | None) -> bool:
        domains = self.options.domains
        if domains is None:
            return issuer == self.options.issuer
        if isinstance(domains, tuple):
            return issuer in domains
        resolved = self._resolve(dict(context or {}, unverified_iss=issuer))
        return issuer in resolved

    def _resolve(self, context: dict[str, Any]) -> tuple[str, ...]:
        resolver = self._resolver
        if resolver is None:
            resolver = self._resolver = _callable(self.options.domains)
        try:
            listed = resolver(context)
        except Exception as exc:
            # A broken resolver is the server's fault, not the token's: a 500
            # (DomainsResolverError), never a 401. Only the exception's type is
            # kept: its text may quote the request (`unverified_iss`).
            raise DomainsResolverError(f"The DOMAINS resolver raised {type(exc).__name__}") from None
        # An empty list is an answer (no tenant serves this request: 401), not a fault.
        if not isinstance(listed, (list, tuple)):
            raise DomainsResolverError("The DOMAINS resolver must return a list of domains")
        if not all(isinstance(domain, str) and domain.strip() for domain in listed):
            raise DomainsResolverError("The DOMAINS resolver must return a list of non-empty strings")
        try:
            return tuple(issuer_for(d, self.options.allow_insecure_http) for d in listed)
        except ConfigurationError:
            raise DomainsResolverError("The DOMAINS resolver returned a domain that is not a host name "
                                       "or an https URL") from None
