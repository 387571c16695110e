"""Certificate-bound access tokens (RFC 8705 §3) behind a TLS-terminating proxy.

The TLS handshake ends at the operator's proxy (nginx, an AWS ALB, ...), which
forwards the client's certificate in the request header named by
`MTLS_CLIENT_CERT_HEADER`: the URL-encoded PEM, as nginx's
`$ssl_client_escaped_cert` and the ALB's `X-Amzn-Mtls-Clientcert` send it.
Any client can send any header, so the header means something only when the
proxy overwrites it: it is read only when that setting names it, and never
otherwise.

A token whose `cnf` holds `x5t#S256` is accepted only with a certificate
whose SHA-256 thumbprint of its DER encoding, base64url (RFC 8705 §3.1),
equals it; `MTLS_REQUIRED` refuses tokens without that binding. The binding
is all RFC 8705 §3 asks of the protected resource: the certificate's chain
and dates are the proxy's (and the authorization server's) business.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import unquote

from cryptography import x509

from ..errors import VerifyAccessTokenError
from .claims import bound_certificate_of
from .memo import BoundedMemo

if TYPE_CHECKING:
    from ..options import ApiClientOptions

# A leaf certificate is one to two KiB of DER; URL-encoded PEM about twice
# that. Anything past this is not a certificate worth parsing.
MAX_CERTIFICATE_HEADER_LENGTH = 16 * 1024
_PEM_BLOCK = re.compile(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", re.DOTALL)
_WHITESPACE = re.compile(r"\s+")
# RFC 9110 §5.1: a field name is a token.
HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_THUMBPRINT_CACHE_SIZE = 1024


def meta_key(header_name: str) -> str:
    """Where Django's `request.META` keeps header `header_name` (WSGI, PEP 3333)."""
    return "HTTP_" + header_name.upper().replace("-", "_")


def certificate_thumbprint(header_value: str) -> str | None:
    """The base64url SHA-256 thumbprint of the DER certificate in a proxy's
    header (URL-encoded PEM, or PEM whose newlines became spaces), or None
    when it holds no parsable certificate. With a chain, the first (leaf)
    certificate counts."""
    if len(header_value) > MAX_CERTIFICATE_HEADER_LENGTH:
        return None
    # `unquote`, not `unquote_plus`: ALB leaves `+` of the base64 alphabet as is.
    block = _PEM_BLOCK.search(unquote(header_value))
    if block is None:
        return None
    try:
        der = base64.b64decode(_WHITESPACE.sub("", block.group(1)), validate=True)
        x509.load_der_x509_certificate(der)  # a certificate, not any base64
    except (ValueError, binascii.Error):
        return None
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode("ascii")


class CertificateBinding:
    """Checks a verified token's `cnf.x5t#S256` against the presented certificate."""

    def __init__(self, options: ApiClientOptions) -> None:
        self.enabled = bool(options.mtls_client_cert_header)
        self.required = options.mtls_required
        # Clients reuse their certificate: each header value is parsed once.
        self._thumbprints = BoundedMemo(_THUMBPRINT_CACHE_SIZE)

    def thumbprint(self, certificate: str | None) -> str | None:
        if not certificate or not self.enabled:
            return None  # without MTLS_CLIENT_CERT_HEADER no header is trusted
        known = self._thumbprints.get(certificate, False)
        if known is False:
            known = certificate_thumbprint(certificate)
            self._thumbprints.put(certificate, known)
        return known

    def check(self, claims: Mapping[str, object], certificate: str | None) -> None:
        """Raise `VerifyAccessTokenError` unless the binding holds.

        `certificate` is the raw value of the configured header (or None)."""
        bound = bound_certificate_of(claims)
        if bound is None:
            if self.required:
                raise VerifyAccessTokenError("Access token is not certificate-bound")
            return
        presented = self.thumbprint(certificate)
        # Thumbprints are public: a plain comparison leaks nothing.
        if presented is None or presented != bound:
            raise VerifyAccessTokenError("Client certificate does not match the token binding")


def supports_certificate_bound_tokens(options: ApiClientOptions) -> bool:
    """Whether this API checks certificate-bound tokens: RFC 9728 §2's
    `tls_client_certificate_bound_access_tokens` in its resource metadata."""
    return bool(options.mtls_client_cert_header)


def resource_metadata_members(options: ApiClientOptions) -> dict[str, bool]:
    """The RFC 9728 §2 members this module answers for; the member is
    omitted (false by default) when no certificate header is configured."""
    if supports_certificate_bound_tokens(options):
        return {"tls_client_certificate_bound_access_tokens": True}
    return {}
