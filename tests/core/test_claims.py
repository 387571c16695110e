"""django_auth0_api.core.claims: stricter-than-pyjwt claim checks."""

import pytest

from django_auth0_api.core.claims import audience_matches, is_numeric_date, permissions_of, scopes_of


@pytest.mark.parametrize("value", [0, 1700000000, 1700000000.5, -1])
def test_numeric_dates_are_finite_json_numbers(value):
    assert is_numeric_date(value) is True


@pytest.mark.parametrize("value", ["1700000000", True, False, None, float("nan"), float("inf"), float("-inf"),
                                   10**400, [1], {"a": 1}])
def test_strings_booleans_non_finite_and_overflowing_numbers_are_not_numeric_dates(value):
    assert is_numeric_date(value) is False


def test_audience_string_must_be_accepted():
    assert audience_matches("https://api", ("https://api",)) is True
    assert audience_matches("https://other", ("https://api",)) is False


def test_audience_list_needs_one_accepted_member():
    assert audience_matches(["https://other", "https://api"], ("https://api",)) is True
    assert audience_matches(["https://other"], ("https://api",)) is False


@pytest.mark.parametrize("aud", [[], ["https://api", 1], {"https://api": 1}, None, 1, [["https://api"]]])
def test_audience_of_other_types_never_matches(aud):
    assert audience_matches(aud, ("https://api",)) is False


def test_scopes_split_on_whitespace():
    assert scopes_of({"scope": "read:a  write:b\tread:a"}) == frozenset({"read:a", "write:b"})


@pytest.mark.parametrize("claims", [{}, {"scope": ["read:a"]}, {"scope": None}])
def test_scopes_of_missing_or_non_string_scope_are_empty(claims):
    assert scopes_of(claims) == frozenset()


def test_permissions_keep_only_strings():
    assert permissions_of({"permissions": ["admin:all", 1, None, "read:x"]}) == frozenset({"admin:all", "read:x"})


@pytest.mark.parametrize("claims", [{}, {"permissions": "admin:all"}, {"permissions": {"admin:all": True}}])
def test_permissions_of_missing_or_non_list_are_empty(claims):
    assert permissions_of(claims) == frozenset()


def test_copy_json_is_deep_and_equal():
    from django_auth0_api.core.claims import copy_json

    original = {"permissions": ["a"], "act": {"sub": "svc", "act": {"sub": "gw"}}, "n": 1, "s": "x", "z": None}
    copy = copy_json(original)
    copy["permissions"].append("admin:all")
    copy["act"]["act"]["sub"] = "attacker"
    assert original == {"permissions": ["a"], "act": {"sub": "svc", "act": {"sub": "gw"}}, "n": 1, "s": "x", "z": None}
