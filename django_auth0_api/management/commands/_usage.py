"""Shared by the commands: exit status 2 for a wrong invocation, however called; reading a
token; one line per problem."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser

if TYPE_CHECKING:
    from django_auth0_api.client import ApiClient
    from django_auth0_api.errors import ApiError
    from django_auth0_api.options import ApiClientOptions


class UsageErrorsExit2(BaseCommand):
    """Under `call_command` Django's parser turns a usage error into a
    `CommandError` with returncode 1; from the command line argparse exits 2.
    Make both 2, so 1 stays "the check or the exchange failed"."""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        report = parser.error

        def error(message: str) -> NoReturn:
            if parser.called_from_command_line:
                report(message)  # argparse: usage on stderr, exit 2
            raise CommandError(f"Error: {message}", returncode=2)

        parser.error = error  # type: ignore[method-assign]  # this parser's only
        return parser


MAX_STDIN = 64 * 1024


def read_token(stdin: TextIO | None, given: str | None, what: str = "subject token") -> str:
    """The token of `--subject-token`, or from stdin (a pipe keeps it out of
    the shell's history and the process list)."""
    import sys

    if given is not None and given != "-":  # noqa: S105 ("-" means stdin)
        return given
    stdin = stdin or sys.stdin
    if given is None and stdin.isatty():
        raise CommandError(f"no {what}: pass --subject-token TOKEN, or pipe the token on stdin", returncode=2)
    text = stdin.read(MAX_STDIN + 1)
    if len(text) > MAX_STDIN:
        raise CommandError(f"the {what} on stdin is too large", returncode=2)
    return text.strip()


@contextlib.contextmanager
def one_line_per_problem() -> Iterator[None]:
    """The commands report each problem once, naming the URL and the cause:
    the library's own warnings (and urllib3's retry lines, when a project
    shows them) would repeat it in other words."""
    loggers = [logging.getLogger(name) for name in ("django_auth0_api", "urllib3")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def without_exchange_cache(options: ApiClientOptions) -> ApiClient:
    """A client for `options` that asks the tenant every time: a command that
    tests the exchange must not answer from the exchanged-token cache."""
    import dataclasses

    from django_auth0_api.client import ApiClient

    return ApiClient(dataclasses.replace(options, exchange_cache=False))


def network_detail(exc: ApiError) -> str:
    """` (<url>: <cause>)` when `exc` (an ApiError) failed to reach the tenant."""
    from django_auth0_api.core.http import FetchError

    cause = getattr(exc, "cause", None)
    return f" ({cause.explain()})" if isinstance(cause, FetchError) and cause.url else ""
