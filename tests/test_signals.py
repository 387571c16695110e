"""Signals: each event sent once, with exact arguments and nothing of the token; log lines an operator can grep."""

import logging
import os
import re
from contextlib import contextmanager

import pytest
import requests
from helpers import aget, bearer

from django_auth0_api import signals
from django_auth0_api.client import ApiClient
from django_auth0_api.core.issuer import IssuerDocuments
from django_auth0_api.errors import BaseAuthError, GetTokenByExchangeProfileError
from django_auth0_api.exchange.grants import TokenExchanger
from django_auth0_api.reasons import _BY_DESCRIPTION, REASONS, reason_of

CALENDAR = "https://calendar-api.example.com"


@contextmanager
def listening(signal):
    """Every send of `signal`, as (sender, kwargs without `signal`)."""
    sent = []

    def receiver(sender, signal, **kwargs):
        sent.append((sender, kwargs))

    signal.connect(receiver, weak=False)
    try:
        yield sent
    finally:
        signal.disconnect(receiver)


def without(kwargs, *names):
    return {k: v for k, v in kwargs.items() if k not in names}


# -- token_verified / token_refused -----------------------------------------------------------------
def test_a_request_through_middleware_and_drf_is_announced_once(auth0_tenant, client):
    token = auth0_tenant.mint_token("auth0|alice")
    with listening(signals.token_verified) as sent:
        assert client.get("/api/me", **bearer(token)).status_code == 200
    assert len(sent) == 1
    sender, kwargs = sent[0]
    assert (sender, kwargs["token"].sub, kwargs["token"].token) == (ApiClient, "auth0|alice", token)
    assert without(kwargs, "client", "token", "duration", "request") == {
        "scheme": "Bearer", "issuer": auth0_tenant.issuer}
    assert (kwargs["request"].path, isinstance(kwargs["client"], ApiClient)) == ("/api/me", True)
    assert 0 < kwargs["duration"] < 5


def test_a_refusal_carries_its_reason_and_nothing_of_the_token(auth0_tenant, client):
    token = auth0_tenant.mint_token(expires_in=-10)
    with listening(signals.token_refused) as sent:
        assert client.get("/plain/me", **bearer(token)).status_code == 401
    assert len(sent) == 1
    sender, kwargs = sent[0]
    assert (sender, without(kwargs, "client", "duration", "request")) == (ApiClient, {
        "scheme": "Bearer", "reason": "expired", "status": 401, "error": "invalid_token"})
    assert [part for part in token.split(".") if part in repr(without(kwargs, "request"))] == []


def test_a_request_without_credentials_is_not_a_refusal(auth0_tenant, client):
    with listening(signals.token_refused) as refused, listening(signals.token_verified) as verified:
        assert client.get("/api/me").status_code == 401
        assert client.get("/api/me", HTTP_AUTHORIZATION="Basic YWxpY2U6c2VjcmV0").status_code == 401
    assert (refused, verified) == ([], [])


def test_several_authorization_values_are_a_malformed_request(auth0_tenant, client):
    token = auth0_tenant.mint_token()
    with listening(signals.token_refused) as sent:
        assert client.get("/plain/me", HTTP_AUTHORIZATION=f"Bearer {token}, Bearer {token}").status_code == 400
    assert [without(k, "client", "duration", "request") for _, k in sent] == [
        {"scheme": None, "reason": "malformed_request", "status": 400, "error": "invalid_request"}]


def test_a_replayed_proof_is_refused_as_a_replay_and_logged_as_worth_a_look(auth0_tenant, dpop_key, client, caplog):
    token = auth0_tenant.mint_token(jkt=dpop_key.jkt)
    proof = auth0_tenant.mint_dpop_proof(dpop_key, htu="http://testserver/plain/me", access_token=token)
    headers = {"HTTP_AUTHORIZATION": f"DPoP {token}", "HTTP_DPOP": proof}
    with listening(signals.token_refused) as sent, caplog.at_level(logging.INFO, logger="django_auth0_api"):
        assert client.get("/plain/me", **headers).status_code == 200
        assert client.get("/plain/me", **headers).status_code == 401
    assert [(k["scheme"], k["reason"], k["error"]) for _, k in sent] == [("DPoP", "dpop_replay", "invalid_dpop_proof")]
    lines = [(r.name, r.levelname, r.getMessage(), r.reason, r.status) for r in caplog.records
             if getattr(r, "event", None) == "token_refused"]
    assert lines == [("django_auth0_api.dpop", "WARNING", "auth0: token refused (reason=dpop_replay, scheme=DPoP, "
                      "status=401)", "dpop_replay", 401)]


def test_an_everyday_refusal_is_an_info_line(auth0_tenant, client, caplog):
    with caplog.at_level(logging.INFO, logger="django_auth0_api"):
        client.get("/plain/me", **bearer(auth0_tenant.mint_token(audience="https://other.example.com")))
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records if r.name.startswith("django_auth0_api")] == [
        ("django_auth0_api.keys", "INFO", "auth0: signing keys loaded (issuer=https://tenant.example.auth0.com/, "
         "added=key-0, removed=-)"),
        ("django_auth0_api.tokens", "INFO", "auth0: token refused (reason=audience_not_accepted, scheme=Bearer, "
         "status=401)")]


def test_verify_request_announces_and_the_building_blocks_do_not(auth0_tenant, api_client):
    token = auth0_tenant.mint_token()
    with listening(signals.token_verified) as verified, listening(signals.token_refused) as refused:
        api_client.verify_request({"authorization": f"Bearer {token}"})
        api_client.verify_access_token(token)
        with pytest.raises(BaseAuthError):
            api_client.verify_access_token("not-a-token")
        with pytest.raises(BaseAuthError):
            api_client.verify_request({"authorization": "Bearer not-a-token"})
    assert [(k["scheme"], k["request"]) for _, k in verified] == [("Bearer", None)]
    assert [(k["reason"], k["request"]) for _, k in refused] == [("malformed_token", None)]


def test_an_async_view_is_announced_once_and_a_refusal_with_its_reason(auth0_tenant, async_client):
    good, expired = auth0_tenant.mint_token("auth0|alice"), auth0_tenant.mint_token(expires_in=-10)
    with listening(signals.token_verified) as verified, listening(signals.token_refused) as refused:
        assert aget(async_client, "/async/me", Authorization=f"Bearer {good}").status_code == 200
        assert aget(async_client, "/async/me", Authorization=f"Bearer {expired}").status_code == 401
    assert ([(k["token"].sub, k["request"].path) for _, k in verified],
            [(k["reason"], k["request"].path) for _, k in refused]) == (
        [("auth0|alice", "/async/me")], [("expired", "/async/me")])


def test_an_async_receiver_never_fails_an_async_request(auth0_tenant, async_client):
    async def receiver(sender, **kwargs):
        pass

    signals.token_verified.connect(receiver, weak=False)
    try:
        token = auth0_tenant.mint_token()
        assert aget(async_client, "/async/me", Authorization=f"Bearer {token}").status_code == 200
    finally:
        signals.token_verified.disconnect(receiver)


def test_a_receiver_that_raises_never_turns_a_request_into_a_500(auth0_tenant, client):
    def broken(sender, **kwargs):
        raise RuntimeError("receiver bug")

    signals.token_verified.connect(broken, weak=False)
    try:
        assert client.get("/plain/me", **bearer(auth0_tenant.mint_token())).status_code == 200
    finally:
        signals.token_verified.disconnect(broken)


def test_nobody_listening_reads_no_clock():
    assert (signals.token_verified.receivers, signals.token_refused.receivers, signals.started()) == ([], [], None)


# -- keys -------------------------------------------------------------------------------------------
def test_the_first_load_and_a_rotation_are_announced_with_the_kids(auth0_tenant, client):
    with listening(signals.keys_refreshed) as sent:
        client.get("/plain/me", **bearer(auth0_tenant.mint_token()))
        new_kid = auth0_tenant.rotate(keep_old=False)
        assert client.get("/plain/me", **bearer(auth0_tenant.mint_token())).status_code == 200
    assert [(s, k) for s, k in sent] == [
        (IssuerDocuments, {"issuer": auth0_tenant.issuer, "added": ("key-0",), "removed": (), "key_ids": ("key-0",)}),
        (IssuerDocuments, {"issuer": auth0_tenant.issuer, "added": (new_kid,), "removed": ("key-0",),
                           "key_ids": (new_kid,)})]


def test_each_fetch_is_announced_with_its_outcome(auth0_tenant, client):
    with listening(signals.keys_fetched) as sent:
        client.get("/plain/me", **bearer(auth0_tenant.mint_token()))
        auth0_tenant.responses.replace("GET", auth0_tenant.jwks_url, status=500)
        client.get("/plain/me", **bearer(auth0_tenant.mint_token(kid="rotated-key")))
    assert [without(k, "duration") for _, k in sent] == [
        {"issuer": auth0_tenant.issuer, "document": "discovery", "outcome": "ok", "status": 200},
        {"issuer": auth0_tenant.issuer, "document": "jwks", "outcome": "ok", "status": 200},
        {"issuer": auth0_tenant.issuer, "document": "jwks", "outcome": "http_error", "status": 500}]


def test_an_outage_is_one_warning_line_naming_the_issuer(auth0_tenant, client, caplog):
    auth0_tenant.responses.replace("GET", auth0_tenant.discovery_url, body=requests.ConnectTimeout("slow"))
    with listening(signals.keys_fetched) as sent:
        assert client.get("/plain/me", **bearer(auth0_tenant.mint_token())).status_code == 503
    assert [(k["document"], k["outcome"], k["status"]) for _, k in sent] == [("discovery", "timeout", None)]
    warnings = [(r.name, r.getMessage(), r.issuer, r.outcome) for r in caplog.records
                if r.levelno == logging.WARNING and r.name.startswith("django_auth0_api")]
    assert warnings == [("django_auth0_api.keys", "auth0: discovery fetch failed (issuer=https://tenant.example."
                         "auth0.com/, outcome=timeout, reason=timed out)", auth0_tenant.issuer, "timeout")]


# -- token exchange ---------------------------------------------------------------------------------
def test_an_exchange_and_its_cached_repeat_are_announced(auth0_tenant, api_client):
    token = auth0_tenant.mint_token()
    with listening(signals.token_exchanged) as sent:
        api_client.get_token_on_behalf_of(token, audience=CALENDAR)
        api_client.get_token_on_behalf_of(token, audience=CALENDAR)
    assert [(s, without(k, "duration")) for s, k in sent] == [
        (TokenExchanger, {"grant": "on_behalf_of", "cached": False, "issuer": auth0_tenant.issuer}),
        (TokenExchanger, {"grant": "on_behalf_of", "cached": True, "issuer": auth0_tenant.issuer})]


def test_a_failed_exchange_is_announced_with_auth0s_error(auth0_tenant, api_client):
    auth0_tenant.queue_token_answer(403, {"error": "unauthorized_client", "error_description": "Not allowed"})
    with listening(signals.token_exchange_failed) as sent, pytest.raises(GetTokenByExchangeProfileError):
        api_client.get_token_by_exchange_profile("legacy-session", "urn:example:legacy")
    assert [without(k, "duration") for _, k in sent] == [
        {"grant": "exchange_profile", "error": "unauthorized_client", "status": 403, "issuer": auth0_tenant.issuer}]


def test_a_connection_exchange_names_its_grant(auth0_tenant, api_client):
    with listening(signals.token_exchanged) as sent:
        api_client.get_access_token_for_connection({"connection": "google-oauth2",
                                                    "access_token": auth0_tenant.mint_token()})
    assert [k["grant"] for _, k in sent] == ["connection"]


# -- the reason vocabulary --------------------------------------------------------------------------
def test_every_described_reason_is_in_the_vocabulary_and_every_description_is_still_raised():
    root = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "django_auth0_api")
    source = ""
    for directory, _, files in os.walk(root):
        for name in files:
            if name.endswith(".py") and name != "reasons.py":
                with open(os.path.join(directory, name), encoding="utf-8") as handle:
                    source += handle.read()
    assert [r for r in _BY_DESCRIPTION.values() if r not in REASONS] == []
    assert [d for d in _BY_DESCRIPTION if f'"{d}"' not in source] == []


def test_a_raise_site_may_name_its_reason():
    error = BaseAuthError("Something new")
    error.reason = "bad_signature"
    assert (reason_of(error), reason_of(BaseAuthError("Something new"))) == ("bad_signature", "refused")


def test_an_error_answered_500_is_a_server_error():
    class Broken(BaseAuthError):
        status_code = 500

    assert reason_of(Broken("Resolver failed")) == "server_error"


def test_reason_codes_are_label_safe():
    assert [r for r in REASONS if not re.fullmatch(r"[a-z_]+", r)] == []


def test_a_domains_resolver_that_raises_is_refused_as_a_server_error(auth0_tenant, client, settings):
    # A 500 for a failed project hook is a refusal too: receivers see it with its reason.
    def resolver(context):
        raise RuntimeError("the tenant directory is down")

    settings.AUTH0_API = auth0_tenant.settings(DOMAIN=None, DOMAINS=resolver, CLIENT_ID=None)
    with listening(signals.token_refused) as sent:
        assert client.get("/plain/me", **bearer(auth0_tenant.mint_token())).status_code == 500
    assert [without(kwargs, "client", "duration", "request") for _, kwargs in sent] == [
        {"scheme": "Bearer", "reason": "server_error", "status": 500, "error": "server_error"}]
