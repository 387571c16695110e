"""django_auth0_api.core.documents: JSON documents shared through the Django cache.

`SharedDocument` is driven here with plain fetch functions (the fetch is its
input); two instances with one cache stand for two processes of a fleet.
"""

import threading
import time

import pytest
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache

from django_auth0_api.core.documents import FAILURE_BACKOFF, Entry, SharedDocument, ttl_for
from django_auth0_api.core.http import FetchError
from django_auth0_api.core.shared_cache import key as cache_key
from django_auth0_api.options import ApiClientOptions

KEY = cache_key("jwks", "https://tenant.example.auth0.com/")


def options(**kwargs):
    return ApiClientOptions(domain="tenant.example.auth0.com", audience="https://api.example.com", **kwargs)


class Fetcher:
    """A fetch function that counts its calls and answers from a script."""

    def __init__(self, *results, ttl=600):
        self.results, self.ttl, self.calls = list(results), ttl, 0

    def __call__(self):
        self.calls += 1
        result = self.results.pop(0) if len(self.results) > 1 else self.results[0]
        if isinstance(result, Exception):
            raise result
        return result, self.ttl


@pytest.fixture(autouse=True)
def clean_cache():
    caches["default"].clear()
    yield
    caches["default"].clear()


# -- ttl_for ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("cache_control, ttl", [
    (None, 600),
    ("max-age=120", 120),
    ("public, max-age=120, must-revalidate", 120),
    ("MAX-AGE=120", 120),
    ("max-age=5", 30),
    ("max-age=0", 30),
    ("max-age=86400", 600),
    ("no-cache", 600),
    ("max-age=abc", 600),
    ("max-age=-5", 600),
    ("max-age=\u00b2", 600),
    ("max-age=" + "9" * 5000, 600),
])
def test_cache_ttl_is_lowered_by_max_age_but_never_below_30(cache_control, ttl):
    headers = {"Cache-Control": cache_control} if cache_control else {}
    assert ttl_for(options(), headers) == ttl


def test_a_cache_ttl_setting_under_30_is_kept():
    assert ttl_for(options(cache_ttl=10), {"Cache-Control": "max-age=5"}) == 10


def test_cache_keys_are_hashed_and_distinct():
    other = cache_key("jwks", "https://other.example.com/")
    assert KEY.startswith("auth0_api:v1:jwks:") and len(KEY) == len("auth0_api:v1:jwks:") + 40
    assert (" " in KEY, KEY == other, cache_key("discovery", "https://tenant.example.auth0.com/") == KEY) == (
        False, False, False)


# -- one process ---------------------------------------------------------------------------------------

def test_a_fresh_document_is_fetched_once():
    fetch = Fetcher({"keys": []})
    document = SharedDocument(KEY, fetch, options())
    assert [document.get().value for _ in range(3)] == [{"keys": []}] * 3
    assert fetch.calls == 1


def test_the_fetched_document_is_shared_through_the_cache():
    SharedDocument(KEY, Fetcher({"keys": ["a"]}), options()).get()
    shared = caches["default"].get(KEY)
    assert (type(shared), shared.value) == (Entry, {"keys": ["a"]})


def get_settled(document):
    """`get()`, then the background refresh it may have started, finished."""
    entry = document.get()
    document.wait_for_revalidation()
    return entry


def test_a_stale_document_is_served_and_fetched_again_in_the_background():
    fetch = Fetcher({"v": 1}, {"v": 2}, ttl=0)
    document = SharedDocument(KEY, fetch, options())
    assert [get_settled(document).value, get_settled(document).value, document.local.value, fetch.calls] == [
        {"v": 1}, {"v": 1}, {"v": 2}, 2]


def test_on_change_runs_once_per_new_value():
    seen = []
    fetch = Fetcher({"v": 1}, {"v": 1}, {"v": 2}, ttl=0)
    document = SharedDocument(KEY, fetch, options(), on_change=lambda entry: seen.append(entry.value))
    for _ in range(3):
        get_settled(document)
        document.local = Entry(document.local.value, document.local.fetched_at, 0)  # stale again at once
    assert (seen, fetch.calls) == ([{"v": 1}, {"v": 2}], 3)


class Gate:
    """A fetch that answers its first call at once and the next ones when `release()`d."""

    def __init__(self, ttl=0.2):
        self.ttl, self.calls, self.released = ttl, 0, threading.Event()

    def __call__(self):
        self.calls += 1
        if self.calls > 1:
            self.released.wait(5)
        return {"v": self.calls}, self.ttl


def test_a_request_after_the_ttl_gets_the_stale_copy_without_waiting_for_the_refresh():
    fetch = Gate()
    document = SharedDocument(KEY, fetch, options())
    document.get()
    time.sleep(0.25)
    started = time.monotonic()
    served = [document.get().value for _ in range(20)]
    waited = time.monotonic() - started
    fetch.released.set()
    document.wait_for_revalidation()
    assert (served, waited < 0.5, document.get().value, fetch.calls) == ([{"v": 1}] * 20, True, {"v": 2}, 2)


def test_the_fleet_refreshes_a_stale_copy_once():
    fetch = Gate()
    first = SharedDocument(KEY, fetch, options())
    first.get()
    processes = [SharedDocument(KEY, fetch, options()) for _ in range(4)]
    for process in processes:
        process.get()  # each adopts the shared copy
    time.sleep(0.25)
    served = [process.get().value for process in [first, *processes]]
    fetch.released.set()
    for process in [first, *processes]:
        process.wait_for_revalidation()
    assert (served, fetch.calls) == ([{"v": 1}] * 5, 2)


def test_a_failed_first_fetch_raises_the_fetch_error():
    document = SharedDocument(KEY, Fetcher(FetchError("HTTP 500", 500)), options())
    with pytest.raises(FetchError) as caught:
        document.get()
    assert caught.value.reason == "HTTP 500"
    assert caches["default"].get(KEY) is None


def test_a_failed_refetch_serves_the_stale_copy_for_the_backoff():
    fetch = Fetcher({"v": 1}, FetchError("connection failed"), ttl=0)
    document = SharedDocument(KEY, fetch, options())
    document.get()
    get_settled(document)
    stale = document.get()
    assert (stale.value, fetch.calls) == ({"v": 1}, 2)
    assert FAILURE_BACKOFF - 2 < stale.fresh_until - time.time() <= FAILURE_BACKOFF
    assert (document.get().value, fetch.calls) == ({"v": 1}, 2)


def test_refresh_returns_none_and_keeps_the_copy_when_it_fails():
    fetch = Fetcher({"v": 1}, FetchError("HTTP 503", 503))
    document = SharedDocument(KEY, fetch, options())
    document.get()
    assert (document.refresh(), document.get().value) == (None, {"v": 1})


# -- a fleet: two instances, one cache ----------------------------------------------------------------------

def test_a_second_process_adopts_the_shared_copy_without_fetching():
    SharedDocument(KEY, Fetcher({"v": 1}), options()).get()
    fetch = Fetcher({"v": 2})
    assert (SharedDocument(KEY, fetch, options()).get().value, fetch.calls) == ({"v": 1}, 0)


def test_after_a_failed_fetch_the_fleet_backs_off_without_fetching():
    with pytest.raises(FetchError):
        SharedDocument(KEY, Fetcher(FetchError("connection failed")), options()).get()
    fetch = Fetcher({"v": 1})
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        SharedDocument(KEY, fetch, options()).get()
    assert (caught.value.reason, fetch.calls, time.monotonic() - started < 1) == (
        "a recent fetch failed", 0, True)


def test_while_another_process_fetches_a_stale_copy_serves():
    fetch = Fetcher({"v": 1}, ttl=0)
    document = SharedDocument(KEY, fetch, options())
    document.get()
    caches["default"].set(KEY + ":lock", "fetching", 30)  # another process is fetching
    assert (document.get().value, fetch.calls) == ({"v": 1}, 1)


def test_without_a_copy_a_process_waits_for_the_fetcher():
    caches["default"].set(KEY + ":lock", "fetching", 30)
    fetch = Fetcher({"v": "mine"})

    def other_process():
        time.sleep(0.15)
        SharedDocument(KEY, Fetcher({"v": "theirs"}), options())._store({"v": "theirs"}, 600)

    threading.Thread(target=other_process).start()
    assert (SharedDocument(KEY, fetch, options(timeout=2)).get().value, fetch.calls) == ({"v": "theirs"}, 0)


def test_waiting_for_a_fetcher_that_never_finishes_times_out():
    caches["default"].set(KEY + ":lock", "fetching", 30)
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        SharedDocument(KEY, Fetcher({"v": 1}), options(timeout=0.2)).get()
    assert (caught.value.timed_out, time.monotonic() - started < 1) == (True, True)


# -- a broken cache -------------------------------------------------------------------------------------------

class BrokenCache(LocMemCache):
    """A cache backend whose server is down."""

    def _fail(self, *args, **kwargs):
        raise ConnectionError("cache down")

    get = add = set = delete = _fail


def test_a_cache_outage_does_not_stop_verification(settings):
    settings.CACHES = {"default": {"BACKEND": f"{__name__}.BrokenCache"}}
    fetch = Fetcher({"v": 1})
    document = SharedDocument(KEY, fetch, options())
    assert ([document.get().value, document.get().value], fetch.calls) == ([{"v": 1}, {"v": 1}], 1)
