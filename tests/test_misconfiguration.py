"""A misconfigured AUTH0_API is loud but contained: requests without credentials never need it;
requests with credentials get a clean 500 with a fixed description, and the reason is logged once."""

import logging

import pytest
from django.test import Client
from helpers import BARE_CHALLENGE, answer, bearer

BROKEN = {"DOMAIN": "tenant.example.auth0.com"}  # no AUDIENCE, as a deploy without the variable has
MISCONFIGURED = {"error": "server_error", "error_description": "The server's authentication is misconfigured"}


@pytest.fixture
def broken(settings):
    settings.AUTH0_API = dict(BROKEN)
    return Client(raise_request_exception=False)


def test_a_page_without_credentials_still_works_under_the_middleware(broken):
    assert answer(broken.get("/plain/optional")) == (200, {"sub": None}, None)


def test_a_foreign_scheme_still_works_under_the_middleware(broken):
    assert broken.get("/plain/optional", HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz").status_code == 200


def test_a_protected_plain_view_without_credentials_is_a_401(broken):
    assert answer(broken.get("/plain/me")) == (
        401, {"error_description": "Authorization header is missing"}, BARE_CHALLENGE)


def test_a_protected_drf_view_without_credentials_is_a_401(broken):
    assert answer(broken.get("/api/me")) == (
        401, {"detail": "Authentication credentials were not provided."}, BARE_CHALLENGE)


@pytest.mark.parametrize("path", ["/plain/me", "/plain/optional"])
def test_a_request_with_credentials_is_a_clean_500(broken, path):
    assert answer(broken.get(path, **bearer("abc.def.ghi"))) == (500, MISCONFIGURED, None)


def test_a_drf_request_with_credentials_is_a_clean_500(broken, no_middleware):
    assert answer(broken.get("/api/me", **bearer("abc.def.ghi"))) == (
        500, {"detail": MISCONFIGURED["error_description"], "error": "server_error"}, None)


def test_the_decorator_alone_answers_a_clean_500(broken, no_middleware):
    assert answer(broken.get("/plain/me", **bearer("abc.def.ghi"))) == (500, MISCONFIGURED, None)


def test_the_reason_is_logged_once(broken, caplog):
    with caplog.at_level(logging.ERROR, logger="django_auth0_api"):
        broken.get("/plain/me", **bearer("abc.def.ghi"))
        broken.get("/plain/me", **bearer("abc.def.ghi"))
    assert [r.getMessage() for r in caplog.records if r.name == "django_auth0_api"] == [
        "auth0: AUTH0_API is misconfigured (AUDIENCE is required): requests with credentials answer 500 "
        "until it is fixed; `manage.py check` says more"]
