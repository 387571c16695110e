"""The one place that writes `WWW-Authenticate` (RFC 6750 §3, RFC 9449 §7.1,
RFC 9470 §3).

Allowed mode offers both schemes, required mode only DPoP, off mode only
Bearer. An error's parameters go on the scheme the client used. With
`RESOURCE` set every scheme also carries `resource_metadata` (RFC 9728 §5.1)
and, when the view needs scopes and the error names none, `scope` (RFC 6750
§3): what an MCP client reads to find the authorization server and the scopes
to ask for.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..errors import error_text
from .protected_resource import challenge_metadata_url

if TYPE_CHECKING:
    from ..errors import BaseAuthError
    from ..options import ApiClientOptions


def _quote(value: str) -> str:
    return '"' + error_text(value) + '"'


def offered_schemes(options: ApiClientOptions) -> tuple[str, ...]:
    if not options.dpop_enabled:
        return ("Bearer",)
    if options.dpop_required:
        return ("DPoP",)
    return ("Bearer", "DPoP")


def _base_params(options: ApiClientOptions, scheme: str) -> list[str]:
    if scheme == "Bearer":
        return [f"realm={_quote(options.realm)}"]
    return [f"algs={_quote(' '.join(options.dpop_algorithms))}"]


def _error_params(error: BaseAuthError | None) -> list[str]:
    if error is None or not (code := error.get_error_code()):
        return []
    params = [f"error={_quote(code)}", f"error_description={_quote(error.get_error_description())}"]
    scopes = getattr(error, "scopes", ())
    if scopes:
        params.append(f"scope={_quote(' '.join(scopes))}")
    # RFC 9470 §3: what a new token's authentication must meet.
    acr_values = getattr(error, "acr_values", ())
    if acr_values:
        params.append(f"acr_values={_quote(' '.join(acr_values))}")
    max_age = getattr(error, "max_age", None)
    if max_age is not None:
        params.append(f"max_age={_quote(str(max_age))}")
    return params


def build_challenge(options: ApiClientOptions, error: BaseAuthError | None = None, scopes: Sequence[str] = ()) -> str:
    """The full header value for `error` (or a bare challenge when None);
    `scopes` are those the view needs, named when `RESOURCE` is set."""
    schemes = offered_schemes(options)
    used = getattr(error, "scheme", None)
    target = used if used in schemes else schemes[0]
    metadata_url = challenge_metadata_url(options)
    view_scopes: tuple[str, ...] = ()
    if metadata_url and scopes and not getattr(error, "scopes", ()):
        view_scopes = (f"scope={_quote(' '.join(scopes))}",)
    parts = []
    for scheme in schemes:
        params = _base_params(options, scheme)
        if scheme == target:
            params += _error_params(error)
        params += view_scopes
        if metadata_url:
            params.append(f"resource_metadata={_quote(metadata_url)}")
        parts.append(f"{scheme} {', '.join(params)}")
    return ", ".join(parts)
