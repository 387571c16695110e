"""Why a request's credentials were refused: a small, fixed vocabulary.

A reason code is what `token_refused` receivers, log lines and metrics see
instead of the error's text: stable (a dashboard or an alert may name it),
few (a metric label must not explode), and never derived from the token.
See docs/operations.md.

A raise site may name its reason (`error.reason = "..."`, one of `REASONS`);
otherwise it follows from the error's fixed description, then its class.
"""

from __future__ import annotations

from .errors import (
    BaseAuthError,
    InvalidDpopProofError,
    InvalidRequestError,
    KeysUnavailableError,
    ServiceUnavailableError,
    UseDpopNonceError,
    VerifyAccessTokenError,
)

REASONS = {
    "malformed_request": "the request's credentials are malformed (400 invalid_request)",
    "malformed_token": "the access token is not a well-formed JWS, or too large",
    "algorithm_not_accepted": "the token's alg is not in ALGORITHMS",
    "issuer_not_accepted": "the token's iss is not DOMAIN or in DOMAINS",
    "unknown_key": "no key of the issuer's JWKS has the token's kid, or it does not fit alg",
    "bad_signature": "the token's signature does not verify",
    "audience_not_accepted": "the token's aud holds no AUDIENCE",
    "expired": "the token's exp has passed",
    "not_yet_valid": "the token's nbf or iat is in the future",
    "invalid_claims": "a claim is missing or malformed (sub, exp, scope, cnf, act, REQUIRED_CLAIMS)",
    "organization_not_accepted": "the token is not for an organization ORGANIZATION accepts",
    "invalid_token": "the access token is invalid for another reason",
    "binding_mismatch": "a bound token sent as Bearer, an unbound one as DPoP, the proof's key is not cnf.jkt, "
                        "or the client certificate is missing or not cnf.x5t#S256",
    "invalid_dpop_proof": "the DPoP proof is invalid (typ, alg, jwk, signature, jti, htm, ath)",
    "dpop_htu_mismatch": "the DPoP proof's htu is not the request URL (a proxy setting, often)",
    "dpop_iat_window": "the DPoP proof's iat is outside the accepted window (clock skew, often)",
    "dpop_replay": "the DPoP proof was used before",
    "dpop_nonce_required": "DPOP_NONCE: the proof has no fresh nonce",
    "keys_unavailable": "discovery or JWKS could not be had and no key is cached (503)",
    "unavailable": "something else verification needs is out of reach (503)",
    "server_error": "the configuration or a project hook (a DOMAINS resolver) failed (500)",
    "refused": "any other refusal",
}

_BY_DESCRIPTION = {
    "Access token is missing": "malformed_token",
    "Access token is too large": "malformed_token",
    "Access token is malformed": "malformed_token",
    "Token has no key id": "malformed_token",
    "Critical header parameters are not supported": "malformed_token",
    "Token type is not accepted": "malformed_token",
    "Algorithm is not accepted": "algorithm_not_accepted",
    "Issuer is not accepted": "issuer_not_accepted",
    "Signing key not found": "unknown_key",
    "Signing key does not fit the token's algorithm": "unknown_key",
    "Signature verification failed": "bad_signature",
    "Audience is not accepted": "audience_not_accepted",
    "Token has expired": "expired",
    "Token is not yet valid": "not_yet_valid",
    "Token is issued in the future": "not_yet_valid",
    "Expiration time is missing or malformed": "invalid_claims",
    "Subject is missing or malformed": "invalid_claims",
    "Token is not for an organization this API accepts": "organization_not_accepted",
    "DPoP-bound token sent as a Bearer token": "binding_mismatch",
    "Access token is not DPoP-bound": "binding_mismatch",
    "DPoP proof key does not match the token binding": "binding_mismatch",
    "Client certificate does not match the token binding": "binding_mismatch",
    "Access token is not certificate-bound": "binding_mismatch",
    "DPoP proof htu does not match the request URL": "dpop_htu_mismatch",
    "DPoP proof iat is outside the acceptable window": "dpop_iat_window",
    "DPoP proof has been used before": "dpop_replay",
}
# Descriptions that end with a variable part (a claim's name, never its value).
_BY_PREFIX = (("Required claims are missing", "invalid_claims"), ("Claim ", "invalid_claims"))
# Most specific first: a subclass before its base.
_BY_CLASS = (
    (UseDpopNonceError, "dpop_nonce_required"),
    (InvalidDpopProofError, "invalid_dpop_proof"),
    (InvalidRequestError, "malformed_request"),
    (KeysUnavailableError, "keys_unavailable"),
    (ServiceUnavailableError, "unavailable"),
    (VerifyAccessTokenError, "invalid_token"),
)


def reason_of(error: BaseAuthError) -> str:
    """The reason code (a key of `REASONS`) of a refusal."""
    named = getattr(error, "reason", None)
    if isinstance(named, str) and named in REASONS:
        return named
    description = getattr(error, "description", "")
    found = _BY_DESCRIPTION.get(description)
    if found is not None:
        return found
    for prefix, reason in _BY_PREFIX:
        if description.startswith(prefix):
            return reason
    for cls, reason in _BY_CLASS:
        if isinstance(error, cls):
            return reason
    return "server_error" if error.get_status_code() == 500 else "refused"
