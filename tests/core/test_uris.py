"""`htu` normalization (RFC 3986 §6.2.2 and §6.2.3, RFC 9449 §4.3)."""

from __future__ import annotations

import pytest

from django_auth0_api.core.uris import MAX_URL_LENGTH, normalize_htu


@pytest.mark.parametrize("url, normalized", [
    # already normal
    ("https://api.example.com/v1/items", "https://api.example.com/v1/items"),
    # §6.2.2.1 case: scheme and host are case-insensitive, the path is not
    ("HTTPS://API.Example.COM/V1/Items", "https://api.example.com/V1/Items"),
    # §6.2.3 scheme-based: default port, empty port, empty path
    ("https://api.example.com:443/v1", "https://api.example.com/v1"),
    ("http://api.example.com:80/v1", "http://api.example.com/v1"),
    ("https://api.example.com:/v1", "https://api.example.com/v1"),
    ("https://api.example.com", "https://api.example.com/"),
    ("https://api.example.com:443", "https://api.example.com/"),
    # a port that is not the default stays
    ("https://api.example.com:8443/v1", "https://api.example.com:8443/v1"),
    ("http://api.example.com:443/v1", "http://api.example.com:443/v1"),
    ("https://api.example.com:80/v1", "https://api.example.com:80/v1"),
    # §6.2.2.1 percent-encoding case, §6.2.2.2 unreserved characters decoded
    ("https://api.example.com/a%2fb", "https://api.example.com/a%2Fb"),
    ("https://api.example.com/%7euser", "https://api.example.com/~user"),
    ("https://api.example.com/%41%62%2D%2e%5F%7E", "https://api.example.com/Ab-._~"),
    ("https://api.example.com/a%20b", "https://api.example.com/a%20b"),
    ("https://api.example.com/%e2%82%ac", "https://api.example.com/%E2%82%AC"),
    # §6.2.2.3 dot segments (RFC 3986 §5.2.4)
    ("https://api.example.com/a/./b", "https://api.example.com/a/b"),
    ("https://api.example.com/a/b/../c", "https://api.example.com/a/c"),
    ("https://api.example.com/a/b/..", "https://api.example.com/a/"),
    ("https://api.example.com/a/b/.", "https://api.example.com/a/b/"),
    ("https://api.example.com/../../a", "https://api.example.com/a"),
    ("https://api.example.com/a/%2E%2E/b", "https://api.example.com/b"),
    ("https://api.example.com/a//b", "https://api.example.com/a//b"),
    ("https://api.example.com/a/..b/c", "https://api.example.com/a/..b/c"),
    # query and fragment are not part of htu
    ("https://api.example.com/v1?x=1", "https://api.example.com/v1"),
    ("https://api.example.com/v1#frag", "https://api.example.com/v1"),
    ("https://api.example.com/v1?x=1#frag", "https://api.example.com/v1"),
    ("https://api.example.com?x=1", "https://api.example.com/"),
    # path parameters are part of the path
    ("https://api.example.com/v1;p=1", "https://api.example.com/v1;p=1"),
    # IP literals
    ("http://127.0.0.1:8000/v1", "http://127.0.0.1:8000/v1"),
    ("http://[::1]:8000/v1", "http://[::1]:8000/v1"),
    ("https://[2001:DB8::1]:443/v1", "https://[2001:db8::1]/v1"),
    # non-ASCII in the path: the IRI-to-URI mapping Django applies to the request
    ("https://api.example.com/caf\u00e9", "https://api.example.com/caf%C3%A9"),
])
def test_normalized_form(url, normalized):
    assert normalize_htu(url) == normalized


@pytest.mark.parametrize("a, b", [
    ("HTTPS://API.EXAMPLE.COM:443/v1/./x/../items?q#f", "https://api.example.com/v1/items"),
    ("https://api.example.com/%7Ev1", "https://api.example.com/~v1"),
    ("https://api.example.com/a%2fb", "https://api.example.com/a%2Fb"),
    ("https://api.example.com./v1", "https://api.example.com/v1"),  # a fully qualified name
    ("https://API.example.com.:443/v1", "https://api.example.com/v1"),
])
def test_equivalent_urls_compare_equal(a, b):
    assert normalize_htu(a) == normalize_htu(b)


@pytest.mark.parametrize("a, b", [
    ("https://api.example.com/v1", "http://api.example.com/v1"),
    ("https://api.example.com/v1", "https://api.example.com/V1"),
    ("https://api.example.com/v1", "https://api.example.com/v1/"),
    ("https://api.example.com/v1", "https://api.example.com:8443/v1"),
    ("https://api.example.com/a/b", "https://api.example.com/a%2Fb"),
    ("https://api.example.com/v1", "https://api.example.com../v1"),
    ("https://api.example.com/v1", "https://evil.example/v1"),
])
def test_different_urls_compare_different(a, b):
    assert normalize_htu(a) != normalize_htu(b)


@pytest.mark.parametrize("url", [
    "",
    "/v1/items",
    "api.example.com/v1",
    "ftp://api.example.com/v1",
    "javascript:alert(1)",
    "https:///v1",
    "https://user:pass@api.example.com/v1",
    "https://user@api.example.com/v1",
    "https://api.example.com:99999/v1",
    "https://api.example.com:port/v1",
    "https://[::1/v1",
    "https://api.example.com/a b",
    "https://api.example.com/a\tb",
    "https://api.example.com/a\nb",
    "https://api.ex\tample.com/v1",
    " https://api.example.com/v1",
    "https://api.example.com/\x00",
    "https://api.example.com/\x7f",
    "https://api.example.com/\ud800",
    "https://api.example.com/" + "a" * MAX_URL_LENGTH,
])
def test_not_an_http_url_is_refused(url):
    with pytest.raises(ValueError):
        normalize_htu(url)


@pytest.mark.parametrize("value", [None, 42, b"https://api.example.com/", ["https://api.example.com/"]])
def test_not_a_string_is_refused(value):
    with pytest.raises(ValueError):
        normalize_htu(value)


def test_a_url_of_the_maximum_length_is_accepted():
    prefix = "https://api.example.com/"
    url = prefix + "a" * (MAX_URL_LENGTH - len(prefix))
    assert normalize_htu(url) == url


def test_repeated_normalization_gives_the_same_answer():
    # The second call is served from the per-process cache.
    url = "HTTPS://API.EXAMPLE.COM:443/x/../y"
    assert [normalize_htu(url), normalize_htu(url)] == ["https://api.example.com/y"] * 2


def test_a_refused_url_stays_refused():
    for _ in range(2):
        with pytest.raises(ValueError):
            normalize_htu("https://user@api.example.com/")
