"""System checks about where DPoP replay state lives (E005, W002)."""

from __future__ import annotations

import pytest

from django_auth0_api.checks import check_settings

DUMMY = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
REDIS = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:6379",
                     "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}}
MEMCACHED = {"default": {"BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
                         "LOCATION": "127.0.0.1:11211", "OPTIONS": {"connect_timeout": 0.5, "timeout": 0.5}}}

E005 = "DPOP_REPLAY_CHECK is on but the cache is a DummyCache, which stores nothing."
W002 = "DPoP replay state lives in a LocMemCache: each process sees only its own proofs."


@pytest.fixture
def configure(settings):
    def apply(caches, debug=False, **auth0):
        settings.CACHES = caches
        settings.DEBUG = debug
        settings.AUTH0_API = {"DOMAIN": "tenant.example.auth0.com", "AUDIENCE": "https://api.example.com", **auth0}
        return [(message.id, message.msg) for message in check_settings()]
    return apply


def test_dummy_cache_with_replay_check_is_an_error(configure):
    assert configure(DUMMY) == [("django_auth0_api.E005", E005)]


def test_dummy_cache_error_does_not_depend_on_debug(configure):
    assert configure(DUMMY, debug=True) == [("django_auth0_api.E005", E005)]


def test_dummy_cache_error_has_a_hint(settings, configure):
    configure(DUMMY)
    (message,) = check_settings()
    assert (message.level, message.hint) == (
        40, "Use Redis, Memcached or the database cache, or turn DPOP_REPLAY_CHECK off.")


def test_dummy_cache_is_fine_without_replay_check(configure):
    assert configure(DUMMY, DPOP_REPLAY_CHECK=False) == []


def test_dummy_cache_is_fine_with_dpop_off(configure):
    assert configure(DUMMY, DPOP_ENABLED=False) == []


def test_dummy_cache_under_another_alias_is_checked(settings, configure):
    caches = {**LOCMEM, "replay": DUMMY["default"]}
    assert configure(caches, debug=True, CACHE_ALIAS="replay") == [("django_auth0_api.E005", E005)]


def test_locmem_cache_without_debug_is_a_warning(configure):
    assert configure(LOCMEM) == [("django_auth0_api.W002", W002)]


def test_locmem_cache_warning_has_a_hint(configure):
    configure(LOCMEM)
    (message,) = check_settings()
    assert (message.level, message.hint) == (30, "Use Redis or Memcached shared by the fleet.")


def test_locmem_cache_with_debug_is_fine(configure):
    assert configure(LOCMEM, debug=True) == []


def test_locmem_cache_without_replay_check_is_fine(configure):
    assert configure(LOCMEM, DPOP_REPLAY_CHECK=False) == []


def test_locmem_cache_with_dpop_off_is_fine(configure):
    assert configure(LOCMEM, DPOP_ENABLED=False) == []


@pytest.mark.parametrize("caches", [REDIS, MEMCACHED], ids=["redis", "memcached"])
def test_shared_cache_is_fine(configure, caches):
    assert configure(caches) == []


def test_checks_are_registered_with_django(settings, configure):
    from django.core.checks import run_checks

    configure(DUMMY)
    assert "django_auth0_api.E005" in [message.id for message in run_checks()]
