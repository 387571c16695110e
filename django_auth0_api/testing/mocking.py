"""Serving a `FakeTenant` at the `requests` layer with `responses`."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

if TYPE_CHECKING:
    from requests import PreparedRequest
    from responses import RequestsMock

    from .tenant import FakeTenant

    # What a `responses` callback answers: (status, headers, body), or an exception to raise.
    Answer = tuple[int, dict[str, str], str] | Exception


def mock_tenant(tenant: FakeTenant, rsps: RequestsMock) -> None:
    """Discovery, JWKS, the token endpoint and the authorization-server endpoints
    (RFC 8414 metadata, registration, `/authorize`) of `tenant` on a `responses.RequestsMock`."""

    def answer(builder: Callable[[], object]) -> Callable[[PreparedRequest], Answer]:
        def callback(request: PreparedRequest) -> Answer:
            return 200, {"Content-Type": "application/json"}, json.dumps(builder())
        return callback

    def token(request: PreparedRequest) -> Answer:
        form = dict(parse_qsl(_text(request.body)))
        if tenant.token_answers:
            tenant.requests.append(form)
            return tenant.token_answers.pop(0)
        status, body = tenant.token_response(form, _text(request.headers.get("Authorization")) or None)
        return status, {"Content-Type": "application/json"}, json.dumps(body)

    def register(request: PreparedRequest) -> Answer:
        try:
            body = json.loads(_text(request.body))
        except ValueError:
            body = None
        status, answer_body = tenant.oauth.register(body)
        return status, {"Content-Type": "application/json"}, json.dumps(answer_body)

    def authorize(request: PreparedRequest) -> Answer:
        status, answer_body = tenant.oauth.authorize(dict(parse_qsl(urlsplit(request.url or "").query)))
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


def _text(value: object) -> str:
    """A request's body or header as text: the library sends text or its UTF-8 bytes."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return value if isinstance(value, str) else ""


def calls_to(rsps: RequestsMock, url: str) -> int:
    """How many requests a `responses` mock saw for `url`."""
    return sum(1 for call in rsps.calls if call.request.url == url)
