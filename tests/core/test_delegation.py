"""django_auth0_api.core.delegation: the RFC 8693 `act` claim."""

import pytest

from django_auth0_api import get_current_actor, get_delegation_chain
from django_auth0_api.core.delegation import MAX_DEPTH, MalformedActClaim, validate_act


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


def test_chain_of_a_malformed_claim_stops_at_the_first_bad_level():
    assert get_delegation_chain({"act": {"sub": "a", "act": "b"}}) == ["a"]
