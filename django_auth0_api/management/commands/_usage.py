"""Shared by the commands: exit status 2 for a wrong invocation, however called."""

from __future__ import annotations

from django.core.management.base import CommandError


class UsageErrorsExit2:
    """Under `call_command` Django's parser turns a usage error into a
    `CommandError` with returncode 1; from the command line argparse exits 2.
    Make both 2, so 1 stays "the check or the exchange failed"."""

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        report = parser.error

        def error(message):
            if parser.called_from_command_line:
                report(message)  # argparse: usage on stderr, exit 2
            raise CommandError(f"Error: {message}", returncode=2)

        parser.error = error
        return parser
