"""django_auth0_api.core.challenges: the one WWW-Authenticate writer (RFC 6750 §3, RFC 9449 §7.1)."""

import pytest

from django_auth0_api.core.challenges import build_challenge, offered_schemes
from django_auth0_api.errors import (
    InsufficientScopeError,
    InvalidDpopProofError,
    InvalidRequestError,
    VerifyAccessTokenError,
)
from django_auth0_api.options import ApiClientOptions


def options(**kwargs):
    return ApiClientOptions(domain="tenant.example.auth0.com", audience="https://api.example.com", **kwargs)


ALLOWED, REQUIRED, OFF = options(), options(dpop_required=True), options(dpop_enabled=False)


def test_offered_schemes_per_mode():
    assert [offered_schemes(o) for o in (ALLOWED, REQUIRED, OFF)] == [("Bearer", "DPoP"), ("DPoP",), ("Bearer",)]


def test_bare_challenge_allowed_mode():
    assert build_challenge(ALLOWED) == 'Bearer realm="api", DPoP algs="ES256"'


def test_bare_challenge_required_mode_offers_only_dpop():
    assert build_challenge(REQUIRED) == 'DPoP algs="ES256"'


def test_bare_challenge_off_mode_offers_only_bearer():
    assert build_challenge(OFF) == 'Bearer realm="api"'


def test_error_goes_on_bearer_when_bearer_was_used():
    error = VerifyAccessTokenError("Token has expired", scheme="Bearer")
    assert build_challenge(ALLOWED, error) == (
        'Bearer realm="api", error="invalid_token", error_description="Token has expired", DPoP algs="ES256"')


def test_error_goes_on_dpop_when_dpop_was_used():
    error = InvalidDpopProofError("DPoP proof has been used before", scheme="DPoP")
    assert build_challenge(ALLOWED, error) == (
        'Bearer realm="api", DPoP algs="ES256", error="invalid_dpop_proof", '
        'error_description="DPoP proof has been used before"')


def test_error_without_a_scheme_goes_on_the_first_offered():
    assert build_challenge(REQUIRED, InvalidRequestError("Several Authorization header values")) == (
        'DPoP algs="ES256", error="invalid_request", error_description="Several Authorization header values"')


def test_error_on_a_scheme_not_offered_goes_on_the_offered_one():
    assert build_challenge(OFF, VerifyAccessTokenError("x", scheme="DPoP")) == (
        'Bearer realm="api", error="invalid_token", error_description="x"')


def test_insufficient_scope_carries_the_scope_parameter():
    error = InsufficientScopeError(["read:messages"], scheme="Bearer")
    assert build_challenge(ALLOWED, error) == (
        'Bearer realm="api", error="insufficient_scope", error_description="Token lacks the required scope", '
        'scope="read:messages", DPoP algs="ES256"')


def test_realm_and_dpop_algorithms_come_from_the_options():
    custom = options(realm="orders", dpop_algorithms=["ES256", "EdDSA"])
    assert build_challenge(custom) == 'Bearer realm="orders", DPoP algs="ES256 EdDSA"'


@pytest.mark.parametrize("description, expected", [
    ('say "hi"', "say hi"),
    ("back\\slash", "backslash"),
    ("new\r\nline", "newline"),
    ("caf\u00e9 \u2603 \U0001F600!", "caf  !"),
    ("\x00\x7f", ""),
])
def test_error_description_keeps_only_printable_ascii_without_quote_or_backslash(description, expected):
    assert build_challenge(OFF, VerifyAccessTokenError(description)) == (
        f'Bearer realm="api", error="invalid_token", error_description="{expected}"')


def test_realm_is_sanitized_too():
    assert build_challenge(options(realm='a"b\\c\U0001F600'), None) == 'Bearer realm="abc", DPoP algs="ES256"'
