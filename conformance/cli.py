"""``osemock check`` (the kit's suites through pytest) and ``osemock homologate`` (the dry-run).

Both take the target the way the pytest plugin does (``--target mock|NAME|URL``, ``--ruc``,
``--user``, ``--password``, ``--profile``, ``--cert``; or the ``OSE_*`` variables) and write JUnit
XML, HTML and JSON reports with ``--report DIR``.  Exit codes: 0 every case passed (Aprobado),
1 some failed, 2 a usage error.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from osemock.cpe.naming import xml_files

_target = click.option("--target", "-t", default=None,
                       help="mock (in-process, default), a known endpoint (ose-test, sunat-beta…) or a billService URL [env OSE_TARGET].")
_ruc = click.option("--ruc", default=None, help="Emitter RUC [env OSE_RUC; default 20123456789].")
_user = click.option("--user", "-u", default=None, help="SOL user [env OSE_USER; default the target's test user: MODDATOS at SUNAT beta, BIZLINKS at an OSE].")
_password = click.option("--password", "-p", default=None, help="SOL password [env OSE_PASSWORD].")
_profile = click.option("--profile", default=None, help="Profile of the in-process mock: ose, sunat-beta, sunat-prod [env OSE_PROFILE].")
_cert = click.option("--cert", default=None, type=click.Path(exists=True, dir_okay=False),
                     help="Signing certificate, PFX/P12 or PEM [env OSE_CERT; default the TEST-ONLY one].")
_cert_password = click.option("--cert-password", default=None, help="[env OSE_CERT_PASSWORD]")
_registry = click.option("--registry", default=None, type=click.Path(exists=True, dir_okay=False),
                         help="Emitter registry the in-process mock loads (SOL users for sunat-prod) [env OSE_REGISTRY].")
_timeout = click.option("--timeout", default=None, type=click.FloatRange(1, 3600),
                        help="Seconds one call may wait for its answer [env OSE_TIMEOUT; default 60].")
_clock = click.option("--clock", default=None,
                      help="Start the in-process mock's clock here, e.g. 2026-11-20T12:00:00, so documents of that "
                           "day are on time [env OSE_CLOCK].")


def _emitter_at_target(command):
    """The options every command takes: where to send (``--target`` or an in-process mock of
    ``--profile``), as whom (RUC, SOL user and password), signed with what, against which registry,
    waiting how long for each answer."""
    for option in reversed((_target, _ruc, _user, _password, _profile, _cert, _cert_password, _registry, _timeout,
                            _clock)):
        command = option(command)
    return command


_report = click.option("--report", "report_dir", default=None, type=click.Path(file_okay=False),
                       help="Write junit.xml, report.html and report.json here.")

#: pytest marks an installed plugin's package for assert rewriting, and warns on every run that it
#: cannot rewrite osemock's: this process imported it before calling pytest (the suites' asserts are
#: rewritten still, they are imported later).
REWRITE_WARNING = "ignore:Module already imported so cannot be rewritten; osemock:pytest.PytestAssertRewriteWarning"

SUITES = {"endpoint": "osemock.conformance.suites.test_endpoint",
          "documents": "osemock.conformance.suites.test_emitter_documents"}


@click.command()
@click.option("--suite", "suites", multiple=True, type=click.Choice(["endpoint", "documents", "all"]),
              help="Which suites (repeatable); default: endpoint, plus documents when --emitter-xml is given.")
@_emitter_at_target
@click.option("--emitter-xml", default=None, type=click.Path(exists=True, file_okay=False),
              help="Folder of the emitter's documents (sidecar NAME.xml.expected: the code expected).")
@click.option("--sign", is_flag=True, help="Sign the emitter's unsigned documents before sending.")
@click.option("--compare", default=None, metavar="TARGET", help="Send the emitter documents to this target too and compare.")
@_report
@click.option("--verbose", "-v", is_flag=True, help="One line per case.")
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
def check(suites, target, ruc, user, password, profile, cert, cert_password, registry, timeout, clock, emitter_xml, sign,
          compare, report_dir, verbose, pytest_args) -> None:
    """Run the conformance suites against a target (extra arguments after -- go to pytest)."""
    import pytest

    from osemock.conformance.target import Target

    try:  # a bad RUC, target, certificate or registry is a usage error, said before pytest starts
        spec = Target.from_env(endpoint=target, ruc=ruc, profile=profile, cert=cert, cert_password=cert_password,
                               registry=registry, timeout=timeout, clock=clock)
        spec.keypair()
        spec.check_files()
    except ValueError as error:
        raise click.UsageError(str(error)) from error
    if compare:
        try:  # the plugin would say it too, after pytest started, in its words (--ose-compare)
            Target.from_env(endpoint=compare, ruc=ruc, profile=profile, registry=registry, clock=clock)
        except ValueError as error:
            raise click.UsageError(f"--compare: {error}") from error
    wanted = set(suites) or ({"endpoint", "documents"} if emitter_xml else {"endpoint"})
    if "all" in wanted:
        wanted = set(SUITES)
    if "documents" in wanted and not emitter_xml:
        raise click.UsageError("the documents suite needs --emitter-xml DIR")
    if emitter_xml and not xml_files(Path(emitter_xml)):
        raise click.UsageError(f"no *.xml file in the folder {emitter_xml}")
    # one line a failure, the test and its reason as the reports say it (the plugin shortens --tb=line
    # for the kit's suites; the short summary would repeat it, cut to the terminal's width): a target
    # that cannot be reached fails every case with the same chain of connection errors; -v or
    # "-- --tb=long" shows them whole
    args = ["-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning", "-W", REWRITE_WARNING]
    args += ["-rfE", "-v"] if verbose else ["-rN", "-q", "--tb=line"]
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        args += ["-p", "osemock.conformance.plugin"]
    for option, value in (("--ose-target", target), ("--ose-ruc", ruc), ("--ose-user", user),
                          ("--ose-password", password), ("--ose-profile", profile), ("--ose-cert", cert),
                          ("--ose-cert-password", cert_password), ("--ose-registry", registry),
                          ("--ose-timeout", timeout), ("--ose-clock", clock),
                          ("--emitter-xml", emitter_xml),
                          ("--ose-compare", compare), ("--ose-report", report_dir)):
        if value:
            args += [option, str(value)]
    if sign:
        args.append("--ose-sign")
    args += ["--pyargs", *(SUITES[name] for name in SUITES if name in wanted), *pytest_args]
    code = pytest.main(args)
    sys.exit(0 if code == 0 else 1 if code == 1 else 2)


@click.command()
@_emitter_at_target
@click.option("--groups", default=None,
              help="Comma-separated groups (default the 2017 set: 1-4, 7-14; 'all' adds the ISC groups 5 and 21).")
@click.option("--seed", default=None, type=int, help="Seed Faker for a reproducible set.")
@click.option("--first-number", default=None, type=click.IntRange(1, 99_999_900),
              help="Correlativo of each serie's first document, and (up to 99999) of the resumen and the baja "
                   "(default 1 on the mock, from the clock elsewhere; a correlativo has 8 digits and a serie "
                   "takes a few numbers from this one).")
@_report
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def homologate(ruc, target, user, password, profile, cert, cert_password, registry, timeout, clock, groups, seed,
               first_number, report_dir, as_json) -> None:
    """Homologation dry-run: build SUNAT's historical test set for RUC, send it, report each case."""
    import json

    from osemock.conformance.homologation import ALL_GROUPS, KNOWN_GROUPS, build_set, clock_numbers, run
    from osemock.conformance.report import report_folder
    from osemock.conformance.connection import connect
    from osemock.conformance.target import Target

    try:
        if groups == "all":
            chosen = KNOWN_GROUPS
        else:
            if groups and not all(g.strip().isdigit() for g in groups.split(",")):
                raise ValueError(f"--groups takes group numbers such as 1,13,14 (or 'all'), not {groups!r}")
            chosen = tuple(int(g) for g in groups.split(",")) if groups else ALL_GROUPS
        spec = Target.from_env(endpoint=target, ruc=ruc, user=user, password=password, profile=profile, cert=cert,
                               cert_password=cert_password, registry=registry, timeout=timeout, clock=clock)
        summary_number = None  # from first_number: the same numbers, the same names
        if first_number is None and spec.is_mock:
            first_number = 1
        elif first_number is None:  # a real endpoint remembers earlier runs: numbers no run took yet
            first_number, summary_number = clock_numbers()
        spec.check_files()
        spec.credentials  # SUNAT production, or the mock's sunat-prod without a registry user, has no test user
        keypair = spec.keypair()
        if report_dir:
            report_folder(report_dir)
    except ValueError as error:
        raise click.UsageError(str(error)) from error
    with connect(spec) as connection:
        # issued on the target's day: an osemock started with --clock judges deadlines by its own clock
        try:
            cases = build_set(spec.ruc, chosen, seed=seed, first_number=first_number, summary_number=summary_number,
                              keypair=keypair, issued=connection.issue_day())
        except ValueError as error:  # a group the set does not have
            raise click.UsageError(str(error)) from error
        report = run(connection.client(), cases, spec.describe())
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        _table(report)
    if report_dir:  # after the verdicts are shown: a folder taken away meanwhile loses only the files
        try:
            for path in report.write(report_dir):
                click.echo(f"wrote {path}", err=True)
        except OSError as error:
            raise click.ClickException(f"cannot write the reports in {report_dir}: {error}") from error
    sys.exit(0 if report.ok else 1)


def _table(report) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{report.title} — {report.target}")
    for column in ("caso", "grupo", "documento", "estado", "código", "descripción"):
        # the document whole on a narrow or piped output (a CI log): its serie tells the groups apart
        table.add_column(column, overflow="fold" if column == "documento" else "ellipsis")
    for case in report.cases:
        style = {"passed": "green", "failed": "red"}.get(case.verdict, "yellow")
        table.add_row(case.name, case.suite, case.document, f"[{style}]{case.shown_verdict}[/]", case.code,
                      case.description[:90])
    console = Console()
    console.print(table)
    approved = sum(1 for c in report.cases if c.verdict == "passed")
    console.print(f"{approved} de {len(report.cases)} casos aprobados")


COMMANDS = (check, homologate)
