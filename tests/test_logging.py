"""No token, proof or secret ever reaches a log record, whatever the attack or the outage."""

import base64
import logging

import pytest
import requests
from django.core.cache.backends.locmem import LocMemCache
from helpers import bearer

from django_auth0_api.errors import BaseAuthError
from django_auth0_api.testing import DpopKey, rsa_key

FORMATTER = logging.Formatter("%(name)s %(levelname)s %(message)s")


class BrokenCache(LocMemCache):
    def _fail(self, *args, **kwargs):
        raise ConnectionError("cache server down")

    get = add = set = delete = _fail


@pytest.fixture
def records(caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("django_auth0_api", "django", "urllib3", "responses"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def leaks(caplog, secrets):
    """Every (secret, logger) pair where the secret shows in a record's text, args or traceback."""
    found = []
    for record in caplog.records:
        text = " ".join([FORMATTER.format(record), repr(record.args), record.exc_text or "", record.getMessage()])
        found += [(secret[:12], record.name) for secret in secrets if secret in text]
    return found


def parts(token):
    """The token and its payload and signature segments: none may be logged."""
    return [token] + [segment for segment in token.split(".")[1:] if len(segment) > 16]


def test_bad_tokens_leave_no_trace_in_the_logs(auth0_tenant, client, records):
    tokens = [
        auth0_tenant.mint_token(expires_in=-1),
        auth0_tenant.mint_token(key=rsa_key(7)),
        auth0_tenant.mint_token(kid="unknown-kid-xyz"),
        auth0_tenant.mint_token(claims={"iss": "https://attacker.example.com/"}),
        auth0_tenant.mint_token(claims={"act": {"sub": ""}}),
        auth0_tenant.mint_token(claims={"exp": "9999999999"}),
        auth0_tenant.mint_token(jkt="bound-token-thumbprint"),
        auth0_tenant.mint_token(claims={"pad": "p" * 9000}),
        "secret-garbage-token-value-0123456789",
    ]
    statuses = {client.get("/plain/me", **bearer(token)).status_code for token in tokens}
    assert statuses == {401}
    assert leaks(records, [s for t in tokens for s in parts(t)]) == []


def test_an_outage_whose_exception_quotes_a_token_leaves_no_trace(auth0_tenant, client, records):
    token = auth0_tenant.mint_token()
    auth0_tenant.responses.replace("GET", auth0_tenant.jwks_url,
                                   body=requests.ConnectionError(f"failed while sending {token}"))
    assert client.get("/plain/me", **bearer(token)).status_code == 503
    assert [r for r in records.records if r.name == "django_auth0_api"] != []  # the outage was logged...
    assert leaks(records, parts(token)) == []  # ...without the token


def test_a_failed_refetch_whose_body_quotes_a_token_leaves_no_trace(auth0_tenant, client, records):
    good = auth0_tenant.mint_token()
    client.get("/plain/me", **bearer(good))
    auth0_tenant.responses.replace("GET", auth0_tenant.jwks_url, status=500, body=f"error for {good}")
    unknown = auth0_tenant.mint_token(kid="rotated-key")
    assert client.get("/plain/me", **bearer(unknown)).status_code == 401
    assert leaks(records, parts(good) + parts(unknown)) == []


def test_a_cache_outage_leaves_no_trace(auth0_tenant, client, settings, records):
    settings.CACHES = {"default": {"BACKEND": f"{__name__}.BrokenCache"}}
    token = auth0_tenant.mint_token()
    assert client.get("/plain/me", **bearer(token)).status_code == 200
    assert any("cache" in r.getMessage() for r in records.records if r.name == "django_auth0_api")
    assert leaks(records, parts(token)) == []


def test_basic_credentials_and_the_client_secret_leave_no_trace(auth0_tenant, client, records):
    basic = base64.b64encode(b"alice:hunter2-password").decode()
    client.get("/plain/me", HTTP_AUTHORIZATION=f"Basic {basic}")
    client.get("/plain/me", **bearer(auth0_tenant.mint_token()))
    assert leaks(records, [basic, "hunter2-password", auth0_tenant.client_secret]) == []


def test_bad_dpop_proofs_leave_no_trace(auth0_tenant, client, records):
    key, thief = DpopKey(), DpopKey()
    token = auth0_tenant.mint_token(jkt=key.jkt)
    url = "http://testserver/plain/me"
    proofs = [
        auth0_tenant.mint_dpop_proof(thief, htu=url, access_token=token),          # wrong key
        auth0_tenant.mint_dpop_proof(key, htu="http://testserver/other", access_token=token),
        auth0_tenant.mint_dpop_proof(key, htu=url),                                 # no ath
        "secret-garbage-proof-value-0123456789",
    ]
    replayed = auth0_tenant.mint_dpop_proof(key, htu=url, access_token=token)
    for proof in proofs + [replayed, replayed]:
        client.get("/plain/me", HTTP_AUTHORIZATION=f"DPoP {token}", HTTP_DPOP=proof)
    assert leaks(records, parts(token) + [s for p in proofs + [replayed] for s in parts(p)]) == []


def test_the_seed_api_errors_never_quote_the_token(auth0_tenant, api_client, records):
    tokens = [auth0_tenant.mint_token(expires_in=-1), auth0_tenant.mint_token(audience="https://x"),
              "a" * 50 + "." + "b" * 50 + "." + "c" * 50]
    messages = []
    for token in tokens:
        with pytest.raises(BaseAuthError) as caught:
            api_client.verify_access_token(token)
        messages.append(f"{caught.value} {caught.value.get_error_description()} {caught.value!r}")
    assert [m for m in messages for t in tokens for s in parts(t) if s in m] == []
    assert leaks(records, [s for t in tokens for s in parts(t)]) == []


def test_drf_refusals_leave_no_trace(auth0_tenant, client, no_middleware, records):
    tokens = [auth0_tenant.mint_token(expires_in=-1), auth0_tenant.mint_token(jkt="thumb")]
    for token in tokens:
        assert client.get("/api/me", **bearer(token)).status_code == 401
    assert leaks(records, [s for t in tokens for s in parts(t)]) == []
