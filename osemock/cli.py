"""The ``osemock`` command line: one group, subcommands per component."""
from __future__ import annotations

import click

from osemock import __version__


@click.group()
@click.version_option(__version__, prog_name="osemock")
def cli() -> None:
    """osemock: a mock OSE/SUNAT billService and conformance kit."""


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code instead of exiting, so tests can call it."""
    from osemock.client.cli import COMMANDS as CLIENT_COMMANDS
    from osemock.conformance.cli import COMMANDS as KIT_COMMANDS
    from osemock.server.admin.cli import admin
    from osemock.server.cli import rules, serve, validate

    for command in (serve, validate, rules, admin, *CLIENT_COMMANDS, *KIT_COMMANDS):
        if command.name not in cli.commands:
            cli.add_command(command)
    try:
        cli.main(args=argv, prog_name="osemock", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except SystemExit as exc:
        return int(exc.code or 0)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        return 1
    return 0
