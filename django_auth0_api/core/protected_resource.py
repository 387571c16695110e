"""The protected resource's identifier, its metadata URL and document (RFC 9728).

Pure functions of the options: the Django view (`resource_metadata`) and the
challenges (`challenges`) both build on them. See the docs/mcp.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from ..options import ApiClientOptions

WELL_KNOWN_SUFFIX = "oauth-protected-resource"
WELL_KNOWN_PREFIX = "/.well-known/" + WELL_KNOWN_SUFFIX


def metadata_path(resource: str) -> str:
    """RFC 9728 §3.1: `/.well-known/oauth-protected-resource` inserted between
    the host and the path; a path of just `/` is dropped first."""
    path = urlsplit(resource).path
    return WELL_KNOWN_PREFIX + ("" if path in ("", "/") else path)


def metadata_url(resource: str) -> str:
    """The absolute URL of the metadata of `resource` (RFC 9728 §3.1)."""
    parts = urlsplit(resource)
    return f"{parts.scheme}://{parts.netloc}{metadata_path(resource)}"


def resource_identifier(options: ApiClientOptions) -> str | None:
    """`RESOURCE`, else the first https `AUDIENCE` (an API identifier that is a URL)."""
    if options.resource:
        return options.resource
    for audience in options.audience or ():  # (a tuple, never empty, once the options are built)
        parts = urlsplit(audience)
        if parts.scheme == "https" and parts.netloc and not parts.query and not parts.fragment:
            return audience
    return None


def challenge_metadata_url(options: ApiClientOptions) -> str | None:
    """The `resource_metadata` of challenges: only when `RESOURCE` is set, so an
    API that never opted in keeps its challenges as they were."""
    return metadata_url(options.resource) if options.resource else None


def metadata_document(options: ApiClientOptions, resource: str, authorization_servers: Iterable[str],
                      scopes: Iterable[str]) -> dict[str, Any]:
    """The RFC 9728 §2 members; `RESOURCE_METADATA` adds or replaces any but
    `resource`, and its `scopes_supported` come first, before the views' own.

    Not `resource_signing_alg_values_supported`: RFC 9728 §2 means algorithms
    for signing the resource's *responses*, and this library signs none.
    """
    extra = dict(options.resource_metadata)
    document: dict[str, Any] = {"resource": resource, "authorization_servers": list(authorization_servers)}
    scopes = list(dict.fromkeys([*(extra.pop("scopes_supported", None) or ()), *scopes]))
    if scopes:
        document["scopes_supported"] = scopes
    document["bearer_methods_supported"] = ["header"]  # RFC 6750 §2.1 only: no form body, no query
    if options.dpop_enabled:  # RFC 9449 §5.1
        document["dpop_signing_alg_values_supported"] = list(options.dpop_algorithms)
        document["dpop_bound_access_tokens_required"] = bool(options.dpop_required)
    document.update(extra)
    document["resource"] = resource  # RFC 9728 §3.3: exactly the identifier the URL was built from
    return document
