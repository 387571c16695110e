"""`manage.py auth0_check`: read `AUTH0_API`, fetch each issuer's discovery
document and JWKS now (bypassing the cache), and report what was found. With
`--exchange` (a user's access token on stdin) it also tries the client
credentials with an On-Behalf-Of exchange at the tenant, and says so.

Exit status: 0 when everything is usable, 1 with the reasons otherwise,
2 when there is nothing to check.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_auth0_api.conf import get_options, settings_problem
from django_auth0_api.core import http, jwe, jws
from django_auth0_api.errors import ApiError, BaseAuthError, ConfigurationError, MissingRequiredArgumentError
from django_auth0_api.exchange.arguments import check_subject_token
from django_auth0_api.exchange.client_auth import ClientAuthentication
from django_auth0_api.options import is_allowed_endpoint, issuer_for

from ._usage import UsageErrorsExit2, network_detail, one_line_per_problem, read_token, without_exchange_cache

logger = logging.getLogger("django_auth0_api.checks")


class Command(UsageErrorsExit2, BaseCommand):
    help = "Check AUTH0_API against the tenant: discovery, JWKS, key ids and algorithms."
    # `stdin` lets call_command() feed the token the way a pipe does.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--domain", action="append", default=[],
                            help="a domain to check (repeatable); default: DOMAIN and a DOMAINS list")
        parser.add_argument("--exchange", action="store_true",
                            help="try the client credentials: exchange the access token read from stdin "
                                 "(On-Behalf-Of) at the tenant")
        parser.add_argument("--audience", help="with --exchange: the API to ask a token for "
                                               "(default: the first AUDIENCE)")

    def handle(self, *args: Any, **options: Any) -> None:
        with one_line_per_problem():
            self._handle(options)

    def _handle(self, options: dict[str, Any]) -> None:
        try:
            settings = get_options()
        except (BaseAuthError, TypeError) as exc:  # ConfigurationError, or upstream's missing AUDIENCE
            raise CommandError(f"AUTH0_API is invalid: {settings_problem(exc)}", returncode=1) from None
        self.problems: list[str] = []
        self.settings = settings
        self.exchange_token = None
        if options["exchange"]:
            if not settings.client_id:
                raise CommandError("--exchange needs CLIENT_ID (and its credentials) in AUTH0_API", returncode=2)
            self.exchange_token = read_token(options.get("stdin"), None, "access token")
            try:
                check_subject_token(self.exchange_token, "access token")
            except (MissingRequiredArgumentError, ApiError) as exc:
                raise CommandError(exc.get_error_description(), returncode=2) from None
        audiences = cast("tuple[str, ...]", settings.audience)  # as __post_init__ leaves it
        self.exchange_audience = options["audience"] or audiences[0]
        try:
            issuers = [issuer_for(d, settings.allow_insecure_http) for d in options["domain"]]
        except ConfigurationError as exc:
            raise CommandError(f"--domain: {exc}", returncode=2) from None
        if not issuers:
            issuers = [settings.issuer] if settings.issuer else []
            if isinstance(settings.domains, tuple):
                issuers += [issuer for issuer in settings.domains if issuer not in issuers]
        if not issuers:
            raise CommandError("DOMAINS is a resolver: name the domains to check with --domain", returncode=2)
        audience = " ".join(audiences)
        self.stdout.write(f"AUTH0_API: audience {audience}; algorithms {' '.join(settings.algorithms)}; "
                          f"DPoP {settings.dpop_mode}")
        for issuer in issuers:
            self._check_issuer(issuer)
        self._check_client()
        self._check_certificates()
        self._check_decryption()
        if self.problems:
            for problem in self.problems:
                self.stderr.write(f"problem: {problem}")
            raise CommandError(f"auth0_check found {len(self.problems)} problem(s)", returncode=1)
        self.stdout.write(self.style.SUCCESS("All checks passed."))

    def _problem(self, text: str) -> None:
        # INFO: the command prints the problem itself (a WARNING would print it twice
        # when logging is not configured). Names, URLs and key ids only, never a secret.
        logger.info("auth0: check problem (%s)", text, extra={"event": "check_problem", "problem": text})
        self.problems.append(text)

    def _url_ok(self, url: object) -> bool:
        return is_allowed_endpoint(url, self.settings.allow_insecure_http)

    def _check_issuer(self, issuer: str) -> None:
        timeout = self.settings.timeout
        url = issuer + ".well-known/openid-configuration"
        self.stdout.write(f"Issuer {issuer}")
        self.stdout.write(f"  discovery:      {url}")
        try:
            document, _ = http.get_json(url, timeout)
        except http.FetchError as exc:
            return self._problem(f"discovery {exc.explain()}")
        if not isinstance(document, dict):
            return self._problem(f"{issuer}: the discovery document is not a JSON object")
        if document.get("issuer") != issuer:
            return self._problem(f"{issuer}: discovery names another issuer ({str(document.get('issuer'))[:200]})")
        token_endpoint, jwks_uri = document.get("token_endpoint"), document.get("jwks_uri")
        self.stdout.write(f"  token_endpoint: {token_endpoint or '-'}")
        self.stdout.write(f"  jwks_uri:       {jwks_uri or '-'}")
        if self.settings.client_id and issuer == self.settings.issuer and not self._url_ok(token_endpoint):
            self._problem(f"{issuer}: no usable token_endpoint, so token exchange cannot work")
        if not isinstance(jwks_uri, str) or not self._url_ok(jwks_uri):
            return self._problem(f"{issuer}: jwks_uri is missing or not an https URL")
        try:
            jwks, _ = http.get_json(jwks_uri, timeout)
        except http.FetchError as exc:
            return self._problem(f"JWKS {exc.explain()}")
        keys = jwks.get("keys") if isinstance(jwks, dict) else None
        if not isinstance(keys, list):
            return self._problem(f"{issuer}: the JWKS has no keys list")
        self._check_keys(issuer, keys)

    def _check_keys(self, issuer: str, keys: list) -> None:
        fitting = 0
        for jwk in keys:
            kid = jwk.get("kid") if isinstance(jwk, dict) else None
            if not isinstance(kid, str) or not kid:
                self.stdout.write("  key (no kid): skipped")
                continue
            kty, alg = jwk.get("kty", "-"), jwk.get("alg")
            try:
                key = jws.load_public_jwk(jwk)
            except jws.JWSError:
                self.stdout.write(f"  key {kid}: {kty} {alg or '-'}: skipped, not a usable public key")
                continue
            if jwk.get("use", "sig") != "sig":
                self.stdout.write(f"  key {kid}: {kty} {alg or '-'}: skipped, use is not sig")
                continue
            usable = [a for a in self.settings.algorithms if jws.jwk_verifies(jwk, key, a)]
            fitting += bool(usable)
            state = f"verifies {' '.join(usable)}" if usable else "fits none of ALGORITHMS"
            self.stdout.write(f"  key {kid}: {kty} {alg or '-'}: {state}")
        if not fitting:
            algorithms = " ".join(self.settings.algorithms)
            self._problem(f"{issuer}: no key in the JWKS verifies any of ALGORITHMS ({algorithms})")

    def _check_client(self) -> None:
        if not self.settings.client_id:
            self.stdout.write("Token exchange: off (no CLIENT_ID)")
            return
        try:
            ClientAuthentication(self.settings)
        except ConfigurationError as exc:
            return self._problem(f"token exchange: {exc}")
        client = f"Token exchange: client {self.settings.client_id}, {self.settings.client_auth_method}"
        if self.exchange_token is None:
            self.stdout.write(f"{client} (credentials not tried: pass --exchange with an access token on stdin)")
            return
        tried = f"tried an On-Behalf-Of exchange for {self.exchange_audience}"
        try:
            result = without_exchange_cache(self.settings).get_token_on_behalf_of(
                self.exchange_token, audience=self.exchange_audience)
        except (ApiError, ConfigurationError) as exc:
            if isinstance(exc, ConfigurationError):
                return self._problem(f"token exchange: {exc}")
            return self._problem(f"token exchange: {tried}: refused (HTTP {exc.get_status_code()}): "
                                 f"{exc.get_error_code()}: {exc.get_error_description()}{network_detail(exc)}")
        self.stdout.write(f"{client}: {tried}: issued a token (expires in {result['expires_in']} s)")

    def _check_certificates(self) -> None:
        header = self.settings.mtls_client_cert_header
        if not header:
            return
        state = "required" if self.settings.mtls_required else "checked when bound"
        self.stdout.write(f"Certificate-bound tokens: {state}, certificate from the {header} header")

    def _check_decryption(self) -> None:
        """Load each decryption key and decrypt a token encrypted to its public
        half with every allowed `alg`/`enc` pair: the key works, not just parses."""
        keys = self.settings.decryption_keys
        if not keys:
            return
        algorithms, encryptions = self.settings.decryption_algorithms, self.settings.decryption_encryptions
        state = "required" if self.settings.require_encryption else "accepted, plain JWS too"
        self.stdout.write(f"Encrypted tokens: {state}; {' '.join(algorithms)} with {' '.join(encryptions)}")
        sample = "eyJhbGciOiJub25lIn0.e30.c2lnbmF0dXJl"  # JWS-shaped; nothing verifies it
        for kid, source in keys.items():
            try:
                key = jwe.load_decryption_key(kid, source)
            except ConfigurationError as exc:  # names the kid, never the key
                self.stdout.write(f"  key {kid}: does not load")
                self._problem(str(exc))
                continue
            decrypter = jwe.Decrypter({kid: key}, algorithms, encryptions)
            try:
                works = all(
                    decrypter.decrypt(jwe.encrypt(sample, key.public_key(), kid=kid, alg=alg, enc=enc)) == sample
                    for alg in algorithms for enc in encryptions)
            except jwe.JWEError:
                works = False
            if not works:
                self.stdout.write(f"  key {kid}: RSA {key.key_size}: does not decrypt")
                self._problem(f"DECRYPTION_KEYS[{kid!r}] does not decrypt what is encrypted to its public key")
                continue
            self.stdout.write(f"  key {kid}: RSA {key.key_size}: decrypts")
