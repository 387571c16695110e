"""`manage.py auth0_token_exchange`: an On-Behalf-Of exchange from the command line.

    echo "$TOKEN" | manage.py auth0_token_exchange --audience https://calendar-api.example.com \\
        --scope "calendar:read"

Prints what the tenant issued, the token itself redacted unless `--show-token`.
It always asks the tenant: the exchanged-token cache is neither read nor written,
so a wrong CLIENT_SECRET fails here instead of "succeeding" from the cache.
Exit status: 0 issued, 1 the exchange failed (the tenant's error is printed),
2 the command was called wrongly.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_auth0_api.conf import get_options, in_settings_words
from django_auth0_api.core import jws
from django_auth0_api.core.delegation import get_delegation_chain
from django_auth0_api.errors import ApiError, BaseAuthError, ConfigurationError, MissingRequiredArgumentError
from django_auth0_api.exchange.arguments import check_subject_token

from ._usage import UsageErrorsExit2, network_detail, one_line_per_problem, read_token, without_exchange_cache

REDACTED = "[redacted; pass --show-token to print it]"


class Command(UsageErrorsExit2, BaseCommand):
    help = "Exchange an access token for a downstream API's token on behalf of its user (RFC 8693)."
    # `stdin` lets call_command() feed the token the way a pipe does.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--subject-token", metavar="TOKEN",
                            help="the raw access token to exchange; '-' or absent: read it from stdin")
        parser.add_argument("--audience", required=True, help="the downstream API's identifier")
        parser.add_argument("--scope", help="space-separated scopes to request")
        parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
        parser.add_argument("--show-token", action="store_true", help="print the issued token itself")

    def handle(self, *args: Any, **options: Any) -> None:
        with one_line_per_problem():
            self._handle(options)

    def _handle(self, options: dict[str, Any]) -> None:
        token = read_token(options.get("stdin"), options["subject_token"])
        try:
            check_subject_token(token, "subject token")
        except (MissingRequiredArgumentError, ApiError) as exc:
            raise CommandError(exc.get_error_description(), returncode=2) from None
        try:
            client = without_exchange_cache(get_options())
            result = client.get_token_on_behalf_of(token, audience=options["audience"], scope=options["scope"])
        except MissingRequiredArgumentError as exc:
            raise CommandError(exc.get_error_description(), returncode=2) from None
        except ApiError as exc:
            if exc.get_error_code() == "invalid_configuration":
                raise CommandError(f"token exchange is not possible: {exc}", returncode=1) from None
            raise CommandError(
                f"token exchange failed (HTTP {exc.get_status_code()}): {exc.get_error_code()}: "
                f"{exc.get_error_description()}{network_detail(exc)}", returncode=1,
            ) from None
        except (BaseAuthError, ConfigurationError, TypeError) as exc:
            raise CommandError(f"token exchange is not possible: {in_settings_words(str(exc))}", returncode=1) from None
        shown = dict(result, access_token=result["access_token"] if options["show_token"] else REDACTED)
        claims = unverified_summary(result["access_token"])
        if options["json"]:
            self.stdout.write(json.dumps(dict(shown, unverified_claims=claims), indent=2, sort_keys=True))
        else:
            self.stdout.write(self._summary(shown, claims))

    def _summary(self, shown: dict, claims: dict | None) -> str:
        expires = datetime.datetime.fromtimestamp(shown["expires_at"], datetime.timezone.utc)
        lines = ["Token exchange succeeded.",
                 f"  access_token:      {shown['access_token']}",
                 f"  token_type:        {shown.get('token_type', '-')}",
                 f"  issued_token_type: {shown.get('issued_token_type', '-')}",
                 f"  expires_in:        {shown['expires_in']} s (at {expires:%Y-%m-%d %H:%M:%S} UTC)",
                 f"  scope:             {shown.get('scope', '-')}"]
        if claims is None:
            lines.append("The issued token is not a JWT: no claims to show.")
        else:
            aud = claims["aud"]
            chain = claims["delegation_chain"]
            lines += ["Issued token (claims read without verification):",
                      f"  sub:   {claims['sub']}",
                      f"  aud:   {' '.join(aud) if isinstance(aud, list) else aud}",
                      f"  scope: {claims['scope'] or '-'}",
                      "  delegation chain (current actor first): " + (" <- ".join(chain) if chain else "none")]
        return "\n".join(lines)


def unverified_summary(token: str) -> dict | None:
    """`sub`, `aud`, `scope` and the delegation chain of a JWT, unverified
    (the tenant just issued it to us); None for an opaque token."""
    try:
        claims = jws.decode_segment(jws.split(token)[1])
    except jws.JWSError:
        return None
    return {"sub": claims.get("sub"), "aud": claims.get("aud"), "scope": claims.get("scope"),
            "delegation_chain": get_delegation_chain(claims)}
