"""The token endpoint's answers: a usable token, or an `ApiError` safe to show.

Only access-token fields are kept (never `id_token` or `refresh_token`). Error
text from the server is cut to printable ASCII, and anything token-shaped in
it — the subject token, the client secret, any JWT — is redacted.
"""

from __future__ import annotations

import email.utils
import logging
import math
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any

from ..core import http
from ..core.claims import is_numeric_date
from ..errors import ApiError, error_text

logger = logging.getLogger("django_auth0_api.exchange")

OPTIONAL_RESULT_FIELDS = ("scope", "token_type", "issued_token_type")
# A lifetime beyond ten years is garbage, not a token to keep.
MAX_EXPIRES_IN = 10 * 365 * 24 * 3600

# An issued token goes into Authorization headers: visible ASCII only.
_TOKEN_CHARS = re.compile(r"[\x21-\x7e]+")
_JWT_LIKE = re.compile(r"eyJ[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*)*")
# An opaque token is a long run of mixed-case letters and digits; error codes are not.
_LONG_RUN = re.compile(r"[A-Za-z0-9_.~+/=-]{32,}")
_MAX_CODE = 64
_MAX_DESCRIPTION = 200
_REDACTED = "[redacted]"


def token_answer(reply: http.Reply, error: type[ApiError], secrets: Sequence[str]) -> dict[str, Any]:
    """The usable fields of the token endpoint's answer, or the ApiError it amounts to."""
    try:
        body = http.parse_json(reply.body)
    except http.FetchError:
        body = None
        if reply.status == 200:  # upstream's code for a 200 that is not JSON at all
            logger.warning("auth0: exchange got an answer that is not JSON")
            raise error("invalid_json", "The token endpoint returned invalid JSON", 502) from None
    if reply.status != 200:
        raise server_error(reply, body, error, secrets)
    if not isinstance(body, dict):
        raise _invalid("The token endpoint's answer is not a JSON object", error)
    access_token = body.get("access_token")
    if not isinstance(access_token, str) or not _TOKEN_CHARS.fullmatch(access_token):
        raise _invalid("The token endpoint's answer has no usable access_token", error)
    expires_in = body.get("expires_in")
    if not (isinstance(expires_in, (int, float)) and is_numeric_date(expires_in)
            and 0 <= expires_in <= MAX_EXPIRES_IN):
        raise _invalid("The token endpoint's answer has no usable expires_in", error)
    expires_in = int(expires_in)
    result = {"access_token": access_token, "expires_in": expires_in, "expires_at": int(time.time()) + expires_in}
    for name in OPTIONAL_RESULT_FIELDS:
        if isinstance(body.get(name), str):
            result[name] = body[name]
    return result


def public_result(entry: Mapping[str, Any]) -> dict[str, Any]:
    """What a caller gets: a fresh dict, `expires_in` counted from now."""
    result = {"access_token": entry["access_token"],
              "expires_in": max(0, entry["expires_at"] - int(time.time())),
              "expires_at": entry["expires_at"]}
    result.update((name, entry[name]) for name in OPTIONAL_RESULT_FIELDS if name in entry)
    return result


def _invalid(message: str, error: type[ApiError]) -> ApiError:
    logger.warning("auth0: exchange answer unusable (reason=%s)", message,
                   extra={"event": "exchange_invalid", "reason": message})
    return error("invalid_response", message, 502)


def server_error(reply: http.Reply, body: object, error: type[ApiError], secrets: Sequence[str]) -> ApiError:
    retry_after = retry_after_seconds(reply.headers.get("Retry-After")) if reply.status in (429, 503) else None
    if isinstance(body, dict) and (code := _clean(body.get("error"), secrets, _MAX_CODE)):
        description = _clean(body.get("error_description"), secrets, _MAX_DESCRIPTION)
        logger.warning("auth0: exchange refused (status=%s, error=%s)", reply.status, code,
                       extra={"event": "exchange_refused", "status": reply.status, "error": code})
        return error(code, description or f"The token endpoint answered {code}", reply.status, retry_after=retry_after)
    if reply.status == 429:
        logger.warning("auth0: exchange rate limited (status=429, retry_after=%s)", retry_after,
                       extra={"event": "exchange_rate_limited", "status": 429, "retry_after": retry_after})
        return error("too_many_requests", "The token endpoint is rate limiting this client", 429,
                     retry_after=retry_after)
    logger.warning("auth0: exchange answer unusable (status=%s, reason=no OAuth error)", reply.status,
                   extra={"event": "exchange_invalid", "status": reply.status, "reason": "no OAuth error"})
    if 400 <= reply.status < 500:
        # The server refused this request without saying why: its status, upstream's code.
        return error("token_exchange_error", f"The token endpoint answered HTTP {reply.status} without an OAuth "
                     "error", reply.status)
    return error("invalid_response", f"The token endpoint answered HTTP {reply.status} without an OAuth error",
                 502, retry_after=retry_after)


def _clean(text: object, secrets: Sequence[str], limit: int) -> str:
    """Server text made safe to show: printable ASCII without `"` and `\\`,
    no token, secret or anything token-shaped, bounded."""
    if not isinstance(text, str):
        return ""
    text = error_text(text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, _REDACTED)
    text = _LONG_RUN.sub(_redact_random, _JWT_LIKE.sub(_REDACTED, text))
    return text[:limit].strip()


def _redact_random(match: re.Match[str]) -> str:
    run = match.group()
    mixed = any(c.isupper() for c in run) and any(c.islower() for c in run) and any(c.isdigit() for c in run)
    return _REDACTED if mixed else run


def retry_after_seconds(value: object) -> str | None:
    """`Retry-After` (delta-seconds or an HTTP date) as whole seconds, or None."""
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return str(int(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return str(max(0, math.ceil(when.timestamp() - time.time())))
