"""django_auth0_api.core.delegation: the RFC 8693 `act` claim."""

import pytest

from django_auth0_api import get_current_actor, get_delegation_chain
from django_auth0_api.core.delegation import MAX_DEPTH, MalformedActClaim, validate_act
from django_auth0_api.errors import VerifyAccessTokenError


def nested(depth: int) -> dict:
    """`act` nested `depth` levels deep: actor-1 outermost (newest)."""
    act = None
    for level in range(depth, 0, -1):
        act = {"sub": f"actor-{level}", **({"act": act} if act else {})}
    return act


def test_chain_is_newest_first():
    claims = {"sub": "user", "act": nested(3)}
    assert get_delegation_chain(claims) == ["actor-1", "actor-2", "actor-3"]


def test_current_actor_is_the_outermost_act_sub():
    assert get_current_actor({"sub": "user", "act": nested(3)}) == "actor-1"


def test_without_act_there_is_no_chain_and_no_actor():
    assert (get_delegation_chain({"sub": "user"}), get_current_actor({"sub": "user"})) == ([], None)


def test_validate_accepts_no_act_and_every_depth_up_to_the_limit():
    assert MAX_DEPTH == 10
    for depth in range(0, MAX_DEPTH + 1):
        validate_act({"sub": "user", **({"act": nested(depth)} if depth else {})})


def test_validate_refuses_deeper_than_ten():
    with pytest.raises(MalformedActClaim):
        validate_act({"sub": "user", "act": nested(MAX_DEPTH + 1)})


@pytest.mark.parametrize("act", [
    "actor", ["actor"], 1, None,
    {}, {"sub": ""}, {"sub": 7}, {"sub": None},
    {"sub": "a", "act": "b"},
    {"sub": "a", "act": {}},
    {"sub": "a", "act": {"sub": ""}},
    {"sub": "a", "act": None},
    {"sub": "a", "act": {"sub": "b", "act": {"sub": "c", "act": {"client_id": "d"}}}},
])
def test_validate_refuses_malformed_act_at_any_level(act):
    with pytest.raises(MalformedActClaim):
        validate_act({"sub": "user", "act": act})


@pytest.mark.parametrize("act", [{"sub": "   "}, {"sub": "a", "act": {"sub": "\t"}}])
def test_validate_refuses_a_blank_actor_subject(act):
    with pytest.raises(MalformedActClaim):
        validate_act({"sub": "user", "act": act})


# -- the helpers, on claims that were never verified ---------------------------------------------------

MALFORMED_CHAINS = [
    "actor", ["actor"], 12345, {}, {"sub": ""}, {"sub": "   "}, {"sub": 7}, {"sub": None},
    {"sub": "a", "act": "b"},
    {"sub": "a", "act": {}},
    {"sub": "a", "act": {"sub": " "}},
    {"sub": "a", "act": {"sub": "b", "act": {"client_id": "c"}}},
]


@pytest.mark.parametrize("act", MALFORMED_CHAINS)
def test_the_chain_of_a_malformed_act_is_an_error_never_a_part_of_it(act):
    with pytest.raises(VerifyAccessTokenError, match="^Invalid act claim$"):
        get_delegation_chain({"sub": "user", "act": act})


@pytest.mark.parametrize("act", ["actor", ["actor"], 12345, {}, {"sub": ""}, {"sub": "   "}, {"sub": 7}])
def test_the_current_actor_of_a_malformed_act_is_an_error(act):
    with pytest.raises(VerifyAccessTokenError, match="^Invalid act claim$"):
        get_current_actor({"sub": "user", "act": act})


@pytest.mark.parametrize("helper", [get_current_actor, get_delegation_chain])
@pytest.mark.parametrize("claims", [None, "claims", ["act"], 5])
def test_the_helpers_refuse_claims_that_are_not_a_mapping(helper, claims):
    with pytest.raises(VerifyAccessTokenError, match="^Invalid act claim$"):
        helper(claims)


def test_a_chain_deeper_than_verification_accepts_is_an_error_not_ten_actors():
    with pytest.raises(VerifyAccessTokenError):
        get_delegation_chain({"sub": "user", "act": nested(MAX_DEPTH + 1)})


def test_a_chain_as_deep_as_verification_accepts_is_whole():
    assert len(get_delegation_chain({"sub": "user", "act": nested(MAX_DEPTH)})) == MAX_DEPTH


def test_a_null_act_means_no_delegation_to_the_helpers():
    assert (get_current_actor({"act": None}), get_delegation_chain({"act": None})) == (None, [])


def test_the_helpers_take_any_mapping():
    from types import MappingProxyType

    claims = MappingProxyType({"act": MappingProxyType({"sub": "svc"})})
    assert (get_current_actor(claims), get_delegation_chain(claims)) == ("svc", ["svc"])
