"""django_auth0_api.verified_token: what `request.auth` holds."""

import dataclasses

import pytest

from django_auth0_api import VerifiedToken

CLAIMS = {
    "iss": "https://tenant.example.auth0.com/", "sub": "auth0|user-1", "aud": "https://api.example.com",
    "scope": "read:messages write:messages", "permissions": ["admin:all"],
    "act": {"sub": "service-b", "act": {"sub": "service-a"}}, "cnf": {"jkt": "thumb"},
}


@pytest.fixture
def token():
    return VerifiedToken("raw.token.value", CLAIMS, "DPoP", {"htm": "GET"})


def test_properties(token):
    assert (token.sub, token.issuer, token.scheme) == ("auth0|user-1", "https://tenant.example.auth0.com/", "DPoP")
    assert token.scopes == frozenset({"read:messages", "write:messages"})
    assert token.permissions == frozenset({"admin:all"})


def test_actor_and_delegation_chain(token):
    assert (token.actor, token.delegation_chain) == ("service-b", ["service-b", "service-a"])


def test_jkt_and_proof_claims(token):
    assert (token.jkt, dict(token.proof_claims)) == ("thumb", {"htm": "GET"})


def test_an_undelegated_bearer_token_has_no_actor_jkt_or_proof():
    plain = VerifiedToken("t", {"sub": "u", "iss": "i"})
    assert (plain.scheme, plain.actor, plain.delegation_chain, plain.jkt, plain.proof_claims) == (
        "Bearer", None, [], None, None)


def test_attributes_are_read_only(token):
    with pytest.raises(dataclasses.FrozenInstanceError):
        token.scheme = "Bearer"


def test_claims_are_a_read_only_copy(token):
    with pytest.raises(TypeError):
        token.claims["sub"] = "someone-else"
    source = {"sub": "u", "iss": "i"}
    copy = VerifiedToken("t", source)
    source["sub"] = "changed"
    assert copy.sub == "u"


def test_repr_does_not_show_the_raw_token(token):
    assert "raw.token.value" not in repr(token)


def test_nested_claims_are_a_private_copy():
    source = {"sub": "u", "iss": "i", "permissions": ["read:x"], "act": {"sub": "svc"}}
    token = VerifiedToken("t", source)
    token.claims["permissions"].append("admin:all")
    token.claims["act"]["sub"] = "attacker"
    assert (source["permissions"], source["act"]) == (["read:x"], {"sub": "svc"})


def test_organization_of_an_auth0_organizations_token():
    verified = VerifiedToken("raw", {"sub": "u", "org_id": "org_abc", "org_name": "acme"})
    assert (verified.org_id, verified.org_name) == ("org_abc", "acme")


@pytest.mark.parametrize("claims", [{}, {"org_id": 5, "org_name": ["acme"]}])
def test_no_organization_or_a_malformed_one_is_none(claims):
    verified = VerifiedToken("raw", {"sub": "u", **claims})
    assert (verified.org_id, verified.org_name) == (None, None)


def test_claim_gives_one_claim_as_a_private_copy():
    verified = VerifiedToken("raw", {"sub": "u", "roles": ["a"]})
    verified.claim("roles").append("admin")
    assert (verified.claim("roles"), verified.claim("missing", "default")) == (["a"], "default")


def test_the_read_only_views_are_made_once(token):
    assert (token.claims is token.claims, token.proof_claims is token.proof_claims) == (True, True)
    assert (token.claims["sub"], token.proof_claims) == ("auth0|user-1", {"htm": "GET"})


def test_no_attribute_can_be_deleted_or_added(token):
    with pytest.raises(dataclasses.FrozenInstanceError):
        del token.token
    with pytest.raises(dataclasses.FrozenInstanceError):
        token.extra = 1
    assert token.token == "raw.token.value"
