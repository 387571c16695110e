"""Serving a `FakeTenant` at the `requests` layer with `responses`."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl, urlsplit


def mock_tenant(tenant, rsps) -> None:
    """Discovery, JWKS, the token endpoint and the authorization-server endpoints
    (RFC 8414 metadata, registration, `/authorize`) of `tenant` on a `responses.RequestsMock`."""

    def answer(builder):
        def callback(request):
            return 200, {"Content-Type": "application/json"}, json.dumps(builder())
        return callback

    def token(request):
        raw = request.body or ""
        form = dict(parse_qsl(raw.decode("utf-8") if isinstance(raw, bytes) else raw))
        if tenant.token_answers:
            tenant.requests.append(form)
            return tenant.token_answers.pop(0)
        status, body = tenant.token_response(form, request.headers.get("Authorization"))
        return status, {"Content-Type": "application/json"}, json.dumps(body)

    def register(request):
        try:
            body = json.loads(request.body or b"")
        except ValueError:
            body = None
        status, answer_body = tenant.oauth.register(body)
        return status, {"Content-Type": "application/json"}, json.dumps(answer_body)

    def authorize(request):
        status, answer_body = tenant.oauth.authorize(dict(parse_qsl(urlsplit(request.url).query)))
        if status == 302:
            return 302, answer_body, ""
        return status, {"Content-Type": "application/json"}, json.dumps(answer_body)

    rsps.add_callback("GET", tenant.discovery_url, callback=answer(tenant.discovery))
    rsps.add_callback("GET", tenant.oauth.metadata_url, callback=answer(tenant.oauth.metadata))
    rsps.add_callback("GET", tenant.jwks_url, callback=answer(tenant.jwks))
    rsps.add_callback("POST", tenant.token_url, callback=token)
    rsps.add_callback("POST", tenant.oauth.registration_endpoint, callback=register)
    rsps.add_callback("GET", re.compile(re.escape(tenant.oauth.authorization_endpoint) + r"(\?.*)?$"),
                      callback=authorize)



def calls_to(rsps, url: str) -> int:
    """How many requests a `responses` mock saw for `url`."""
    return sum(1 for call in rsps.calls if call.request.url == url)
