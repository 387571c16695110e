"""django_auth0_api.core.memo: the bounded in-process memo."""

from django_auth0_api.core.memo import BoundedMemo


def test_a_full_memo_forgets_its_oldest_entries_first():
    memo = BoundedMemo(4)
    for number in range(7):
        memo.put(f"key-{number}", number)
    assert list(memo.items()) == [("key-3", 3), ("key-4", 4), ("key-5", 5), ("key-6", 6)]


def test_putting_a_key_again_replaces_its_value():
    memo = BoundedMemo(2)
    memo.put("a", 1)
    memo.put("a", 2)
    assert dict(memo) == {"a": 2}


def test_a_memo_keeps_forgetting_past_many_evictions():
    # Thousands of evictions through one memo (a busy API's verified tokens).
    memo = BoundedMemo(100)
    for number in range(10_000):
        memo.put(number, number)
    assert (len(memo), min(memo), max(memo)) == (100, 9_900, 9_999)
