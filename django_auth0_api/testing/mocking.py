"""Serving a `FakeTenant` at the `requests` layer with `responses`."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl


def mock_tenant(tenant, rsps) -> None:
    """Discovery, JWKS and the token endpoint of `tenant` on a `responses.RequestsMock`."""

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

    rsps.add_callback("GET", tenant.discovery_url, callback=answer(tenant.discovery))
    rsps.add_callback("GET", tenant.jwks_url, callback=answer(tenant.jwks))
    rsps.add_callback("POST", tenant.token_url, callback=token)



def calls_to(rsps, url: str) -> int:
    """How many requests a `responses` mock saw for `url`."""
    return sum(1 for call in rsps.calls if call.request.url == url)
