"""`ApiClientOptions`: every knob of the client, validated once when built."""

from __future__ import annotations

import difflib
import ipaddress
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import cached_property, wraps
from typing import Any, TypeGuard
from urllib.parse import urlsplit

from .core.jwe import CONTENT_ENCRYPTIONS, DEFAULT_ALGORITHMS, DEFAULT_ENCRYPTIONS, KEY_ALGORITHMS
from .core.mtls import HEADER_NAME, meta_key
from .errors import ConfigurationError, MissingRequiredArgumentError

ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"}
)
CLIENT_AUTH_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt")


@dataclass(frozen=True)
class ApiClientOptions:
    domain: str | None = None
    audience: str | Sequence[str] | None = None
    domains: Sequence[str] | Callable | str | None = None
    algorithms: Sequence[str] = ("RS256",)
    leeway: float = 0
    required_claims: Sequence[str] = ()
    realm: str = "api"
    dpop_enabled: bool = True
    dpop_required: bool = False
    dpop_algorithms: Sequence[str] = ("ES256",)
    dpop_iat_leeway: float = 30
    dpop_iat_offset: float = 300
    dpop_replay_check: bool = True
    dpop_nonce: bool = False
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    client_auth_method: str = "client_secret_basic"
    client_assertion_key: str | None = field(default=None, repr=False)
    cache_alias: str = "default"
    cache_ttl: float = 600
    jwks_refetch_cooldown: float = 30
    timeout: float = 5
    allow_insecure_http: bool = False
    user_resolver: str | Callable | None = None
    exchange_cache: bool = True
    # Bounds each in-process memo of this client (verified tokens, parsed
    # headers); None keeps the library's sizes.
    cache_max_entries: int | None = None
    # Upstream's names: `cache_ttl_seconds` is `cache_ttl`; `custom_fetch`
    # (`callable(url) -> response or dict`) replaces the GET of discovery and JWKS.
    cache_ttl_seconds: float | None = None
    custom_fetch: Callable[[str], Any] | None = field(default=None, repr=False)
    # RFC 9728: the canonical URL of this protected resource, and extra members of its metadata.
    resource: str | None = None
    resource_metadata: Mapping[str, Any] = field(default_factory=dict, hash=False)
    mtls_client_cert_header: str | None = None
    mtls_required: bool = False
    decryption_keys: Mapping[str, str] = field(default_factory=dict, repr=False)
    decryption_algorithms: Sequence[str] = DEFAULT_ALGORITHMS
    decryption_encryptions: Sequence[str] = DEFAULT_ENCRYPTIONS
    require_encryption: bool = False
    required_claim_values: Mapping[str, Any] = field(default_factory=dict)
    organization: str | Sequence[str] | Callable | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__.__get__(self)
        # Upstream's order: the audience first, as a missing argument.
        if not self.audience:
            raise MissingRequiredArgumentError("audience")
        if not self.domain and not self.domains:
            raise ConfigurationError("domain (or domains) is required")
        if self.client_id and not self.domain:
            # Exchanges go to one tenant's token endpoint: DOMAINS cannot say which.
            raise ConfigurationError("The 'domain' parameter is required when 'client_id' is configured "
                                     "(DOMAIN with CLIENT_ID)")
        if self.cache_ttl_seconds is not None:
            ttl = self.cache_ttl_seconds
            if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or not math.isfinite(ttl) or ttl < 0:
                raise ConfigurationError("cache_ttl_seconds must be a non-negative number")
            set_("cache_ttl", ttl)
        if self.cache_max_entries is not None and (
                isinstance(self.cache_max_entries, bool) or not isinstance(self.cache_max_entries, int)
                or self.cache_max_entries < 2):
            raise ConfigurationError("cache_max_entries must be an integer greater than 1")
        if self.custom_fetch is not None and not callable(self.custom_fetch):
            raise ConfigurationError("custom_fetch must be a callable(url)")
        set_("audience", _strings("audience", self.audience))
        set_("algorithms", _algorithms("algorithms", self.algorithms))
        set_("dpop_algorithms", _algorithms("dpop_algorithms", self.dpop_algorithms))
        set_("required_claims", _strings("required_claims", self.required_claims, allow_empty=True))
        if self.dpop_required and not self.dpop_enabled:
            # Contradictory: "off" would accept the Bearer tokens DPOP_REQUIRED means to refuse.
            raise ConfigurationError("dpop_required needs dpop_enabled")
        if not self.domains:
            set_("domains", None)  # an empty DOMAINS ([] or "") means DOMAIN alone, not "no issuer at all"
        elif isinstance(self.domains, (list, tuple)):
            set_("domains", tuple(issuer_for(d, self.allow_insecure_http) for d in self.domains))
        elif self.domains is not None and not (callable(self.domains) or isinstance(self.domains, str)):
            raise ConfigurationError("domains must be a list, a callable or a dotted path")
        for name in ("leeway", "dpop_iat_leeway", "dpop_iat_offset", "cache_ttl", "jwks_refetch_cooldown", "timeout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise ConfigurationError(f"{name} must be a non-negative number")
        if self.timeout <= 0:
            raise ConfigurationError("timeout must be positive")
        if self.client_auth_method not in CLIENT_AUTH_METHODS:
            raise ConfigurationError(f"client_auth_method must be one of {', '.join(CLIENT_AUTH_METHODS)}")
        if not isinstance(self.realm, str) or not self.realm:
            raise ConfigurationError("realm must be a non-empty string")
        if self.domain:
            issuer_for(self.domain, self.allow_insecure_http)
        if self.resource is not None:
            check_resource_identifier(self.resource, self.allow_insecure_http)
        if not isinstance(self.resource_metadata, Mapping) or not all(
                isinstance(key, str) for key in self.resource_metadata):
            raise ConfigurationError("resource_metadata must be a dict with string keys")
        if "resource" in self.resource_metadata:
            # RFC 9728 §3.3: `resource` is the identifier the metadata URL was built from.
            raise ConfigurationError("resource_metadata may not set resource: set RESOURCE instead")
        listed = self.resource_metadata.get("scopes_supported", ())
        if not isinstance(listed, (list, tuple)) or not all(isinstance(scope, str) and scope for scope in listed):
            raise ConfigurationError("resource_metadata scopes_supported must be a list of strings")
        self._validate_mtls()
        self._validate_decryption(set_)
        set_("required_claim_values", _claim_values(self.required_claim_values))
        set_("organization", _organization(self.organization))

    def _validate_mtls(self) -> None:
        header = self.mtls_client_cert_header
        if header is not None and (not isinstance(header, str) or not HEADER_NAME.fullmatch(header)
                                   or header.lower() in ("authorization", "dpop")):
            raise ConfigurationError("mtls_client_cert_header must be an HTTP header name such as X-Client-Cert")
        if self.mtls_required and not header:
            # The certificate is the proxy's to pass on: without a header no bound token could pass.
            raise ConfigurationError("mtls_required needs mtls_client_cert_header")

    def _validate_decryption(self, set_: Callable[[str, object], None]) -> None:
        keys = self.decryption_keys
        if keys is None:
            keys = {}
        if not isinstance(keys, Mapping) or not all(isinstance(kid, str) and kid for kid in keys):
            raise ConfigurationError("decryption_keys must map key ids to PEM text or file paths")
        set_("decryption_keys", dict(keys))
        for name, supported in (("decryption_algorithms", KEY_ALGORITHMS),
                                ("decryption_encryptions", CONTENT_ENCRYPTIONS)):
            listed = _strings(name, getattr(self, name))
            if not set(listed) <= supported.keys():
                raise ConfigurationError(f"{name} may list only {', '.join(supported)}")
            set_(name, listed)
        if self.require_encryption and not keys:
            # Contradictory: every token would be refused.
            raise ConfigurationError("require_encryption needs decryption_keys")

    @cached_property
    def mtls_meta_key(self) -> str | None:
        """Where `request.META` holds the certificate header, when one is configured."""
        return meta_key(self.mtls_client_cert_header) if self.mtls_client_cert_header else None

    @cached_property  # read on every request
    def organization_resolver(self) -> str | Callable | None:
        """The callable (or its dotted path) that names the request's
        organizations, when `organization` is not a fixed list."""
        organization = self.organization
        return organization if callable(organization) or isinstance(organization, str) else None

    @cached_property
    def issuer(self) -> str | None:
        """The issuer of `domain` (exchanges and single-domain verification)."""
        return issuer_for(self.domain, self.allow_insecure_http) if self.domain else None

    @property
    def dpop_mode(self) -> str:
        if not self.dpop_enabled:
            return "off"
        return "required" if self.dpop_required else "allowed"

    @classmethod
    def from_settings(cls, conf: dict[str, Any]) -> ApiClientOptions:
        # Only the documented names: `checks` reports anything else (W001).
        kwargs = {SETTING_TO_OPTION.get(key, str(key).lower()): value
                  for key, value in conf.items() if key in SETTING_NAMES}
        return cls(**kwargs)


OPTION_NAMES = tuple(f.name for f in fields(ApiClientOptions))
_dataclass_init = ApiClientOptions.__init__


@wraps(_dataclass_init)
def _init_naming_unknown_options(self: ApiClientOptions, *args: Any, **kwargs: Any) -> None:
    unknown = sorted(name for name in kwargs if name not in OPTION_NAMES)
    if unknown:
        close = difflib.get_close_matches(unknown[0], OPTION_NAMES, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise TypeError(f"ApiClientOptions has no option {unknown[0]!r}{hint}")
    _dataclass_init(self, *args, **kwargs)


# The dataclass's own TypeError says only "unexpected keyword argument".
setattr(ApiClientOptions, "__init__", _init_naming_unknown_options)  # noqa: B010

# Settings whose option name is not simply their lower-case form; options
# that have no setting (upstream's alias, a callable).
SETTING_TO_OPTION = {"HTTP_TIMEOUT": "timeout"}
_NOT_SETTINGS = frozenset({"timeout", "cache_ttl_seconds", "custom_fetch"})
SETTING_NAMES = frozenset(
    {name.upper() for name in OPTION_NAMES if name not in _NOT_SETTINGS} | {"HTTP_TIMEOUT"}
)
OPTION_TO_SETTING = {f.name: f.name.upper() for f in fields(ApiClientOptions)} | {"timeout": "HTTP_TIMEOUT"}


def issuer_for(domain: str, allow_insecure_http: bool = False) -> str:
    """`tenant.auth0.com` → `https://tenant.auth0.com/`; a scheme may be given."""
    if not isinstance(domain, str) or not domain.strip():
        raise ConfigurationError("a domain must be a non-empty string")
    text = domain.strip()
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if (parts.scheme not in ("https", "http") or not parts.netloc or parts.query or parts.fragment
            or "@" in parts.netloc):  # credentials in a domain are a mistake, never an issuer
        raise ConfigurationError("a domain must be a host name or an https:// URL")
    if parts.path.strip("/"):
        # An Auth0 issuer is always `https://host/`: a path (`/api/v2` is the
        # Management API's) names no tenant, and every token would be refused.
        raise ConfigurationError("a domain must be a host name, without a path")
    if parts.scheme == "http" and not insecure_http_allowed(parts.hostname, allow_insecure_http):
        raise ConfigurationError("http:// issuers need ALLOW_INSECURE_HTTP and a loopback host")
    return f"{parts.scheme}://{parts.netloc.lower()}/"


def check_resource_identifier(resource: object, allow_insecure_http: bool = False) -> str:
    """An RFC 9728 §1.2 resource identifier: an https URL (plain http to loopback
    with ALLOW_INSECURE_HTTP) with no fragment and, as RFC 8707 §2 advises, no query."""
    if not isinstance(resource, str) or not is_allowed_endpoint(resource, allow_insecure_http):
        raise ConfigurationError("resource must be an https:// URL (http:// only to loopback with ALLOW_INSECURE_HTTP)")
    if not resource.isascii() or not resource.isprintable() or any(c in resource for c in ' "\\'):
        raise ConfigurationError("resource must be an ASCII URL without spaces, quotes or backslashes")
    parts = urlsplit(resource)
    if "#" in resource or parts.query or "?" in resource:
        raise ConfigurationError("resource may have no query and no fragment")
    return resource


def insecure_http_allowed(host: str | None, allow_insecure_http: bool) -> bool:
    """Plain HTTP only when allowed, and then only to this machine: a token's
    keys fetched over the network without TLS could be anybody's."""
    if not allow_insecure_http or not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_allowed_endpoint(url: object, allow_insecure_http: bool) -> TypeGuard[str]:
    """An https URL, or plain http to loopback when ALLOW_INSECURE_HTTP says so."""
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return False
    return bool(host) and (parts.scheme == "https"
                           or (parts.scheme == "http" and insecure_http_allowed(host, allow_insecure_http)))


def _strings(name: str, value: str | Iterable[str], allow_empty: bool = False) -> tuple[str, ...]:
    items = (value,) if isinstance(value, str) else value
    try:
        items = tuple(items)
    except TypeError:
        raise ConfigurationError(f"{name} must be a string or a list of strings") from None
    if not all(isinstance(item, str) and item for item in items) or (not items and not allow_empty):
        raise ConfigurationError(f"{name} must be a string or a list of non-empty strings")
    return items


def _algorithms(name: str, value: str | Iterable[str]) -> tuple[str, ...]:
    algorithms = _strings(name, value)
    refused = [alg for alg in algorithms if alg not in ASYMMETRIC_ALGORITHMS]
    if refused:
        allowed = ", ".join(sorted(ASYMMETRIC_ALGORITHMS))
        raise ConfigurationError(f"{name} may list only asymmetric algorithms: {allowed}")
    return algorithms


_CLAIM_SCALARS = (str, int, float)


def _claim_values(value: object) -> tuple[tuple[str, tuple], ...]:
    """`{"claim": value or [values]}` as `((claim, (values...)), ...)`; the
    normalized form is taken as it is (`dataclasses.replace` validates again)."""
    if isinstance(value, tuple) and all(isinstance(rule, tuple) and len(rule) == 2 for rule in value):
        value = dict(value)
    if not isinstance(value, Mapping):
        raise ConfigurationError("required_claim_values must be a dict of claim names to values")
    rules = []
    for name, wanted in value.items():
        if not isinstance(name, str) or not name:
            raise ConfigurationError("required_claim_values must name claims with non-empty strings")
        accepted = tuple(wanted) if isinstance(wanted, (list, tuple)) else (wanted,)
        if not accepted or not all(_is_claim_scalar(item) for item in accepted):
            raise ConfigurationError(f"required_claim_values[{name!r}] must be a string, a number, a boolean "
                                     "or a non-empty list of them")
        rules.append((name, accepted))
    return tuple(rules)


def _is_claim_scalar(value: object) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, (*_CLAIM_SCALARS, bool))


def _organization(value: str | Sequence[str] | Callable | None) -> str | Callable | tuple[str, ...] | None:
    """A fixed list of organizations as a tuple; a callable or a dotted path
    (a string with a dot: Auth0 organization names and ids have none) as is."""
    if value is None or callable(value):
        return value
    if isinstance(value, str) and "." in value:
        return value
    items = _strings("organization", value)
    return items
