"""``osemock admin …``: drive a running mock's admin API from a shell or a CI script."""
from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import click
import requests

from osemock.cli import Number, write_output
from osemock.server.admin.client import AdminClient, AdminError


#: What the admin API can be sent (JSON has no NaN or infinity); the API judges the range.
FINITE = Number()


def _out(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@click.group()
@click.option("--url", envvar="OSEMOCK_URL", default="http://127.0.0.1:8080", show_default=True,
              help="The mock's base URL [env OSEMOCK_URL].")
@click.option("--timeout", default=None,
              type=Number("number of seconds", minimum=0, above_minimum=True, maximum=3600),
              help="Seconds each call may take in all, its whole answer included [default: 30; 600 for a "
                   "snapshot's export or import].")
@click.pass_context
def admin(ctx: click.Context, url: str, timeout: float | None) -> None:
    """Drive a running mock: reset, seed, journal, snapshots, clock, tickets, scenarios."""
    ctx.obj = AdminClient(url, timeout=timeout or 30, snapshot_timeout=timeout or 600)


@contextmanager
def _answering(ctx: click.Context, timeout: float) -> Iterator[None]:
    """An admin call's failure as one line: the API's refusal, no whole answer in time, no server."""
    try:
        yield
    except AdminError as error:
        raise click.ClickException(error.message) from None
    except requests.Timeout:  # the whole call, not a read: a server that drips its answer ends here too
        raise click.ClickException(f"no whole answer from {ctx.obj.base_url} within {timeout:g} s "
                                   "(--timeout gives it longer)") from None
    except OSError as error:  # requests' connection errors are OSErrors
        raise click.ClickException(f"cannot reach {ctx.obj.base_url}: {error}") from None


def _run(ctx: click.Context, call: Any) -> None:
    with _answering(ctx, ctx.obj.timeout):
        _out(call(ctx.obj))


@admin.command()
@click.option("--registry", is_flag=True, help="Forget the emitter registry too.")
@click.pass_context
def reset(ctx: click.Context, registry: bool) -> None:
    """Forget documents, tickets, the journal and scenarios."""
    _run(ctx, lambda c: c.reset(registry=registry))


@admin.command()
@click.argument("registry_file", type=click.Path(exists=True, dir_okay=False))
@click.pass_context
def seed(ctx: click.Context, registry_file: str) -> None:
    """Add the emitters of a registry YAML/JSON file (certificate paths are read here and sent as PEM)."""
    from osemock.server.registry import RegistryError, load

    try:  # read and checked here (certificate files included), so a typo is named with its place
        data = load(Path(registry_file))
    except RegistryError as error:
        raise click.ClickException(str(error)) from None
    _run(ctx, lambda c: c.seed(data))


@admin.command()
@click.option("--limit", default=20, show_default=True)
@click.option("--operation", default=None)
@click.option("--id", "entry_id", type=int, default=None, help="One entry, with its bodies.")
@click.pass_context
def journal(ctx: click.Context, limit: int, operation: str | None, entry_id: int | None) -> None:
    """The last requests the mock received."""
    _run(ctx, lambda c: c.journal_entry(entry_id) if entry_id else c.journal(limit=limit, operation=operation))


@admin.group()
def snapshot() -> None:
    """Export or import the whole state."""


@snapshot.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="File (default: stdout).")
@click.option("--no-journal", is_flag=True, help="Leave the request journal out.")
@click.pass_context
def snapshot_export(ctx: click.Context, output: str | None, no_journal: bool) -> None:
    with _answering(ctx, ctx.obj.snapshot_timeout):
        data = ctx.obj.export_snapshot(journal=not no_journal)
    text = json.dumps(data)
    if output:
        write_output(output, text)
        click.echo(f"{output}: {sum(len(rows) for rows in data['tables'].values())} rows")
    else:
        sys.stdout.write(text + "\n")


@snapshot.command("import")
@click.argument("snapshot_file", type=click.Path(exists=True, dir_okay=False))
@click.pass_context
def snapshot_import(ctx: click.Context, snapshot_file: str) -> None:
    try:
        data = json.loads(Path(snapshot_file).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise click.ClickException(f"{snapshot_file} is not a snapshot's JSON: {error}") from None
    with _answering(ctx, ctx.obj.snapshot_timeout):
        _out(ctx.obj.import_snapshot(data))


@admin.command()
@click.option("--freeze", "freeze_at", default=None, help="Stop the clock at this ISO date-time ('now': where it stands).")
@click.option("--advance", default=None, type=FINITE, help="Move the clock by this many seconds.")
@click.option("--days", default=None, type=FINITE, help="Move the clock by this many days.")
@click.option("--unfreeze", is_flag=True, help="Let the clock run again.")
@click.pass_context
def clock(ctx: click.Context, freeze_at: str | None, advance: float | None, days: float | None, unfreeze: bool) -> None:
    """Show, freeze, advance or unfreeze the mock's clock."""
    def call(c: AdminClient) -> Any:
        result = None
        if freeze_at:
            result = c.freeze(None if freeze_at == "now" else freeze_at)
        if advance or days:
            result = c.advance(seconds=advance or 0, days=days or 0)
        if unfreeze:
            result = c.unfreeze()
        return result or c.clock()
    _run(ctx, call)


@admin.command()
@click.argument("ticket", required=False)
@click.option("--after-polls", type=int, default=None, help="Answer 98 this many more polls.")
@click.option("--after-seconds", type=FINITE, default=None, help="…and for this many seconds.")
@click.option("--settle", is_flag=True, help="Settle the ticket now.")
@click.option("--default", "default", is_flag=True, help="Set the progression of new tickets instead.")
@click.pass_context
def ticket(ctx: click.Context, ticket: str | None, after_polls: int | None, after_seconds: float | None,
           settle: bool, default: bool) -> None:
    """Show a ticket, change when it settles, or set how new tickets progress (--default)."""
    def call(c: AdminClient) -> Any:
        if default:
            return c.progression(after_polls, after_seconds)
        changes = settle or after_polls is not None or after_seconds is not None
        if ticket is None:
            if changes:
                raise click.UsageError("name the ticket to change, or give --default to set how new tickets progress")
            return c.tickets()
        if changes:
            return c.release(ticket, after_polls, after_seconds)
        return c.ticket(ticket)
    _run(ctx, call)


@admin.group()
def scenario() -> None:
    """Plan misbehaviour: codes, observations, delays, HTTP errors, empty answers, drops, lost answers."""


@scenario.command("add")
@click.option("--action", type=click.Choice(["code", "observation", "delay", "http_status", "empty", "drop", "lost"]),
              required=True)
@click.option("--operation", default=None, help="sendBill, sendSummary, sendPack, getStatus, getStatusCdr.")
@click.option("--ruc", default=None)
@click.option("--type", "type_code", default=None, help="01, 03, 07, 08, 20, 40, RC, RA, RR.")
@click.option("--serie", default=None)
@click.option("--numero", type=int, default=None)
@click.option("--code", default=None, help="SUNAT code (code, observation).")
@click.option("--http-status", type=int, default=None)
@click.option("--delay", "delay_seconds", type=FINITE, default=None, help="Seconds before answering (lost: before dropping).")
@click.option("--times", default="1", show_default=True, help="How many times it fires ('always': until removed).")
@click.option("--probability", type=FINITE, default=None, help="Chance a match fires (0–1).")
@click.option("--seed", type=int, default=None, help="Seed of the draws (same seed, same sequence).")
@click.pass_context
def scenario_add(ctx: click.Context, times: str, **spec: Any) -> None:
    """Plan one scenario."""
    data = {k: v for k, v in spec.items() if v is not None}
    if times == "always":
        data["times"] = None
    else:
        try:
            data["times"] = int(times)
        except ValueError:
            raise click.BadParameter("a number or 'always'", param_hint="--times") from None
    _run(ctx, lambda c: c.scenario(**data))


@scenario.command("list")
@click.pass_context
def scenario_list(ctx: click.Context) -> None:
    _run(ctx, lambda c: c.scenarios())


@scenario.command("clear")
@click.argument("scenario_id", type=int, required=False)
@click.pass_context
def scenario_clear(ctx: click.Context, scenario_id: int | None) -> None:
    """Remove one scenario, or all of them."""
    _run(ctx, lambda c: c.remove_scenario(scenario_id) if scenario_id is not None else c.clear_scenarios())
