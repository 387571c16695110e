"""The RFC 9728 Protected Resource Metadata view.

    urlpatterns = [path("", include("django_auth0_api.urls")), ...]

answers `GET /.well-known/oauth-protected-resource[/<path of RESOURCE>]`
without credentials (`Auth0Middleware` lets it through even with bad ones),
for any origin (CORS: the MCP Inspector runs in a browser). The URL is read
from the settings at request time, so `override_settings` moves it. See the
docs/mcp.md.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.http import Http404, HttpResponse
from django.utils.module_loading import import_string
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .conf import get_options
from .core.protected_resource import metadata_document, metadata_path, resource_identifier
from .options import ConfigurationError, issuer_for
from .view_scopes import supported_scopes

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .options import ApiClientOptions

logger = logging.getLogger(__name__)

# The document changes only when the settings or the code do; clients may keep it an hour.
CACHE_CONTROL = "public, max-age=3600"
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, OPTIONS",
    # Fetched without credentials, so the wildcard holds (Fetch standard, CORS protocol).
    "Access-Control-Allow-Headers": "*",
    "Access-Control-Max-Age": "86400",
}


def authorization_servers(options: ApiClientOptions, request: HttpRequest) -> list[str]:
    """The issuers tokens for this resource may come from, as exact strings
    (RFC 9728 §2; Auth0's end with `/`): `DOMAINS`, else `DOMAIN`."""
    domains = options.domains
    if isinstance(domains, Sequence) and not isinstance(domains, str):  # the options made it a tuple of issuers
        return list(domains)
    issuers = [options.issuer] if options.issuer else []
    if domains is not None:  # a resolver: ask it for this request's host, as verification does
        context = {"request_url": request.build_absolute_uri(), "request_headers": request.headers,
                   "unverified_iss": None}
        try:
            resolver = import_string(domains) if isinstance(domains, str) else domains
            listed = [issuer_for(domain, options.allow_insecure_http) for domain in resolver(context) or ()]
        except (ConfigurationError, ImportError):
            listed = []
        except Exception as exc:  # its failure must not turn discovery into a 500
            logger.error("auth0: the DOMAINS resolver raised %s; metadata lists DOMAIN only", type(exc).__name__)
            listed = []
        issuers = list(dict.fromkeys([*listed, *issuers]))
    return issuers


@csrf_exempt
@require_http_methods(["GET", "HEAD", "OPTIONS"])
def protected_resource_metadata(request: HttpRequest, suffix: str = "") -> HttpResponse:
    options = get_options()
    resource = resource_identifier(options)
    if resource is None or request.path != metadata_path(resource):
        raise Http404("No protected resource is published here")
    if request.method == "OPTIONS":  # a CORS preflight
        response = HttpResponse(status=204)
        del response["Content-Type"]
    else:
        document = metadata_document(options, resource, authorization_servers(options, request),
                                     supported_scopes(getattr(request, "urlconf", None)))
        response = HttpResponse(json.dumps(document), content_type="application/json")
        response["Cache-Control"] = CACHE_CONTROL
    for name, value in CORS_HEADERS.items():
        response[name] = value
    return response
