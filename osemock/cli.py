"""The ``osemock`` command line: one group, subcommands per component."""
from __future__ import annotations

import math
from pathlib import Path

import click

from osemock import __version__
from osemock.cpe.naming import xml_files


class Number(click.ParamType):
    """A finite number, optionally within a range.  click's ``FloatRange`` lets NaN through (every
    comparison with it is false), and neither JSON nor the HTTP library can take NaN or infinity."""

    name = "number"

    def __init__(self, what: str = "number", minimum: float | None = None, maximum: float | None = None,
                 above_minimum: bool = False) -> None:
        self.what, self.minimum, self.maximum, self.above_minimum = what, minimum, maximum, above_minimum

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> float:
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a {self.what}", param, ctx)
        low = self.minimum is not None and (number <= self.minimum if self.above_minimum else number < self.minimum)
        high = self.maximum is not None and number > self.maximum
        if not math.isfinite(number) or low or high:
            self.fail(f"{value!r} is not a {self._span()}", param, ctx)
        return number

    def _span(self) -> str:
        if self.minimum is None and self.maximum is None:
            return f"finite {self.what}"
        bounds = []
        if self.minimum is not None:
            bounds.append(f"{'above' if self.above_minimum else 'at least'} {self.minimum:g}")
        if self.maximum is not None:
            bounds.append(f"up to {self.maximum:g}")
        return f"{self.what} {' and '.join(bounds)}"


def write_output(path: str | Path, data: bytes | str) -> Path:
    """Write a command's output file; a path that cannot be written (no such folder, no permission, a
    folder) is one line naming it, not an OSError traceback after the work is done."""
    target = Path(path)
    try:
        if isinstance(data, str):
            target.write_text(data, encoding="utf-8")
        else:
            target.write_bytes(data)
    except OSError as error:
        raise click.ClickException(f"cannot write {target}: {error.strerror or error}") from None
    return target


def cpe_files(paths: tuple[str, ...] | list[str]) -> list[Path]:
    """The files named, a folder standing for every ``*.xml`` file in it (sorted); a folder without one
    is a usage error, as a command that silently did nothing would look like success."""
    found: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            inside = xml_files(path)
            if not inside:
                raise click.UsageError(f"no *.xml file in the folder {path}")
            found += inside
        else:
            found.append(path)
    return found


def make_folder(path: str | Path) -> Path:
    """A command's output folder, made if missing; one line naming it when it cannot be."""
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise click.ClickException(f"cannot make the folder {folder}: {error.strerror or error}") from None
    return folder


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
        if isinstance(exc.code, str):  # sys.exit("message"), as Python prints it: a traceback came instead
            click.echo(exc.code, err=True)
            return 1
        return int(exc.code or 0)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        return 1
    return 0
