"""The emitter's commands: ``osemock send``, ``status``, ``cdr``, ``sign`` and ``zip``.

Credentials come from flags or the environment (``OSEMOCK_ENDPOINT``, ``OSEMOCK_RUC``, ``OSEMOCK_USER``,
``OSEMOCK_PASSWORD``, ``OSEMOCK_CERT``, ``OSEMOCK_CERT_PASSWORD``, ``OSEMOCK_TRUST``).  Exit codes:
0 every document accepted (observations included), 1 some rejected, 3 an exception or no answer,
4 a ticket still pending; 2 is a usage error.
"""
from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any, Callable

import click
from cryptography import x509

from osemock.cli import Number, cpe_files, make_folder, write_output

EXIT_REJECTED, EXIT_EXCEPTION, EXIT_PENDING = 1, 3, 4

# zeep logs what it cannot read in an answer (an applicationResponse that is not base64) with a
# traceback, through Python's last-resort handler when nothing is configured; the command reports that
# answer in its own line, so the traceback is noise on the terminal.
logging.getLogger("zeep").addHandler(logging.NullHandler())

_endpoint = click.option("--endpoint", "-e", envvar="OSEMOCK_ENDPOINT", default="mock", show_default=True,
                         help="mock, ose-test, sunat-beta, sunat-prod (…-otroscpe) or a billService URL.")
_user = click.option("--user", "-u", envvar="OSEMOCK_USER", default="BIZLINKS", show_default=True,
                     help="SOL user; the document's RUC is put in front unless it starts with an 11-digit RUC "
                          "(a PSE's own: 20999999999USUARIO).")
_password = click.option("--password", "-p", envvar="OSEMOCK_PASSWORD", default="TESTBIZLINKS", show_default=True)
_trust = click.option("--trust", envvar="OSEMOCK_TRUST", multiple=True, type=click.Path(exists=True, dir_okay=False),
                      help="PEM certificate a CDR signature must come from (repeatable).")
# requests refuses 0 and NaN with a traceback, and a wait of more than an hour on one call is a typo
_timeout = click.option("--timeout", default=30.0, show_default=True, help="Seconds per call.",
                        type=Number("number of seconds", minimum=0, above_minimum=True, maximum=3600))
_json = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
_cert = click.option("--cert", envvar="OSEMOCK_CERT", type=click.Path(exists=True, dir_okay=False),
                     help="Signing certificate: PFX/P12 or PEM with key and certificate.")
_cert_password = click.option("--cert-password", envvar="OSEMOCK_CERT_PASSWORD", default=None)


def _trusted(paths: tuple[str, ...]) -> list[x509.Certificate] | None:
    from osemock.client.client import trusted_certificate

    if not paths:
        return None
    trusted = []
    for path in paths:
        try:
            trusted.append(trusted_certificate(path))
        except ValueError as error:
            raise click.BadParameter(f"{path} is not a PEM certificate ({error})", param_hint="--trust") from None
    return trusted


def _keypair(cert: str | None, password: str | None):
    if not cert:
        return None
    from osemock.client.documents import load_certificate
    from osemock.cpe.errors import CpeError

    try:
        return load_certificate(cert, password)
    except (CpeError, ValueError) as error:
        raise click.BadParameter(str(error), param_hint="--cert") from None


def _client(endpoint: str, ruc: str, user: str, password: str, timeout: float, trust: tuple[str, ...]):
    """The client of one command; an endpoint that is neither a known name nor a URL is a usage error."""
    from osemock.client.client import OseClient

    try:
        return OseClient(endpoint, ruc, user, password, timeout=timeout, trusted=_trusted(trust))
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--endpoint") from None


def _asked(call: Callable[[], Any], document: str | None = None, ticket: str | None = None):
    """One call's outcome; no answer at all (unreachable, timed out) is an exception outcome, as in send,
    naming what was asked in its own column (a ticket as the ticket, a document as the document)."""
    from osemock.client.client import ClientError
    from osemock.client.outcome import Outcome, Status

    try:
        return call()
    except ClientError as error:
        return Outcome(Status.EXCEPTION, "", str(error), document=document, ticket=ticket)


def _prepared(path: Path, *args: Any, **kwargs: Any):
    """``prepare`` of one user file; a file that is no CPE XML is a clean error naming it."""
    from osemock.client.documents import prepare
    from osemock.cpe.errors import CpeError

    try:
        data = path.read_bytes()
    except OSError as error:  # unreadable (permissions, a folder's broken link): named, as validate does
        raise click.ClickException(f"cannot read {path}: {error.strerror or error}") from None
    try:
        return prepare(data, *args, **kwargs)
    except (CpeError, ValueError) as error:
        raise click.ClickException(f"{path}: {error}") from None


def _exit_code(outcomes, trust: tuple[str, ...] = ()) -> int:
    """0 all accepted, 1 some rejected, 3 an exception (or, with ``--trust``, a CDR not signed by a
    trusted certificate: what it says cannot be relied on), 4 a ticket still pending."""
    from osemock.client.outcome import Status

    statuses = {o.status for o in outcomes}
    if Status.EXCEPTION in statuses or (trust and any(o.signature_verified is False for o in outcomes)):
        return EXIT_EXCEPTION
    if Status.REJECTED in statuses:
        return EXIT_REJECTED
    if Status.PENDING in statuses:
        return EXIT_PENDING
    return 0


def _show(outcomes, as_json: bool, files: list[Path] | None = None) -> None:
    """The outcomes as a table, or as JSON (with ``files``, each entry names the file it came from: a file
    that could not be read has no document name to go by)."""
    if as_json:
        entries = [o.as_dict() for o in outcomes]
        for entry, path in zip(entries, files or ()):
            entry["file"] = str(path)
        click.echo(json.dumps(entries, ensure_ascii=False, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    rows = []
    for o, indent in _with_documents(outcomes):
        signature = {True: "ok", False: f"INVALID: {o.signature_problem}", None: ""}[o.signature_verified]
        rows.append((indent + (o.document or ""), o.status.value + (" (ya enviado)" if o.already_sent else ""), o.code,
                     o.description, ", ".join(f"{x.code} {x.message}" for x in o.observations), o.ticket or "",
                     signature))
    console = Console()
    if console.width < _TABLE_WIDTH:
        # seven columns do not fit: one block an outcome, every value whole (a table cut the verdict,
        # "rejected" or "INVALID", to an ellipsis)
        for row in rows:
            console.print(row[0] or "-", style="bold", soft_wrap=True, markup=False, highlight=False)
            for column, value in zip(_COLUMNS[1:], row[1:]):
                if value:
                    console.print(f"  {column}: {value}", soft_wrap=True, markup=False, highlight=False)
        return
    table = Table()
    table.add_column(_COLUMNS[0], overflow="fold")  # whole: it tells rows apart
    for column in _COLUMNS[1:]:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    console.print(table)


def _with_documents(outcomes):
    """Each outcome, then a lot's documents, each under its lot (the mark to put before its name)."""
    for outcome in outcomes:
        yield outcome, ""
        for document in outcome.documents:
            yield document, "└ "


_COLUMNS = ("document", "status", "code", "description", "observations", "ticket", "CDR signature")
#: The narrowest output the table is printed on.
_TABLE_WIDTH = 100


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@_endpoint
@_user
@_password
@_cert
@_cert_password
@click.option("--sha1", is_flag=True, help="Sign with RSA-SHA1 instead of RSA-SHA256.")
@_trust
@_timeout
@click.option("--wait/--no-wait", default=True, show_default=True, help="Follow summary tickets to their CDR.")
@_json
def send(paths, endpoint, user, password, cert, cert_password, sha1, trust, timeout, wait, as_json) -> None:
    """Send CPE XML files (or every *.xml of a folder): sendBill, or sendSummary for RC/RA/RR."""
    from rich.progress import Progress

    from osemock.client.client import ClientError, OseClient
    from osemock.client.documents import prepare
    from osemock.client.outcome import Outcome, Status
    from osemock.cpe.errors import CpeError
    from osemock.cpe.signature import SignatureMethod

    from osemock.client.endpoints import resolve

    keypair = _keypair(cert, cert_password)
    method = SignatureMethod.RSA_SHA1 if sha1 else SignatureMethod.RSA_SHA256
    trusted = _trusted(trust)
    try:
        resolve(endpoint)  # a mistyped name is the command's mistake, not each file's (exit 2, as cdr/status)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--endpoint") from None
    clients: dict[str, OseClient] = {}
    outcomes: list[Outcome] = []
    files = cpe_files(paths)
    with Progress(transient=True, disable=as_json or len(files) < 2) as progress:
        task = progress.add_task("sending", total=len(files))
        for path in files:
            try:
                try:
                    data = path.read_bytes()
                except OSError as error:  # one file unreadable: its outcome says so, the others still go
                    raise ValueError(f"cannot read {path}: {error.strerror or error}") from None
                doc = prepare(data, keypair, method)
                ruc = doc.base.split("-")[0]
                if ruc not in clients:
                    clients[ruc] = OseClient(endpoint, ruc, user, password, timeout=timeout, trusted=trusted)
                client = clients[ruc]
                outcome = client.send_summary(doc) if doc.kind == "summary" else client.send_bill(doc)
                if outcome.ticket and wait:
                    outcome = _followed(client, outcome, max(timeout * 4, 60))
            except (CpeError, ClientError, ValueError) as error:
                outcome = Outcome(Status.EXCEPTION, "", str(error), document=path.name)
            outcomes.append(outcome)
            progress.advance(task)
    _show(outcomes, as_json, files)
    sys.exit(_exit_code(outcomes, trust))


def _followed(client, sent, timeout: float):
    """The verdict of a summary's ticket, waited for; when getStatus gets none (a ClientError), the send's
    pending outcome, its ticket kept and the reason said.  The summary was taken: a row that showed only
    the getStatus error, under the file's name, read as a summary never sent, to be sent again (a copy
    gets a ticket of its own, and 2324 for a baja)."""
    from osemock.client.client import ClientError

    try:
        return client.get_status(sent.ticket, wait=True, timeout=timeout, document=sent.document)
    except ClientError as error:
        sent.description = (f"no verdict: getStatus failed ({error}); "
                            f"ask again: osemock status {sent.ticket} --ruc {client.ruc}")
        return sent


@click.command()
@click.argument("ticket")
@click.option("--ruc", envvar="OSEMOCK_RUC", required=True, help="The emitter's RUC [env OSEMOCK_RUC].")
@_endpoint
@_user
@_password
@_trust
@_timeout
@click.option("--wait", is_flag=True, help="Poll until the ticket is final.")
@_json
def status(ticket, ruc, endpoint, user, password, trust, timeout, wait, as_json) -> None:
    """getStatus of a summary or lot ticket."""
    client = _client(endpoint, ruc, user, password, timeout, trust)
    outcome = _asked(lambda: client.get_status(ticket, wait=wait, timeout=max(timeout * 4, 60)), ticket=ticket)
    _show([outcome], as_json)
    sys.exit(_exit_code([outcome], trust))


@click.command()
@click.argument("ruc")
@click.argument("type_code", metavar="TT")
@click.argument("serie")
@click.argument("numero", type=int)
@_endpoint
@_user
@_password
@_trust
@_timeout
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the CDR ZIP here.")
@_json
def cdr(ruc, type_code, serie, numero, endpoint, user, password, trust, timeout, output, as_json) -> None:
    """getStatusCdr: the CDR of a document by RUC, type, serie and number."""
    client = _client(endpoint, ruc, user, password, timeout, trust)
    outcome = _asked(lambda: client.get_status_cdr(ruc, type_code, serie, numero), f"{ruc}-{type_code}-{serie}-{numero}")
    if output and outcome.cdr_zip:
        write_output(output, outcome.cdr_zip)
    _show([outcome], as_json)
    sys.exit(_exit_code([outcome], trust))


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--cert", envvar="OSEMOCK_CERT", required=True, type=click.Path(exists=True, dir_okay=False),
              help="PFX/P12 or PEM with key and certificate [env OSEMOCK_CERT].")
@_cert_password
@click.option("--sha1", is_flag=True, help="RSA-SHA1 instead of RSA-SHA256.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Where to write (default: standard output).")
def sign(file, cert, cert_password, sha1, output) -> None:
    """Sign a CPE XML SUNAT-style (enveloped XMLDSig in ext:UBLExtensions); replaces any earlier signature."""
    from osemock.cpe.signature import SignatureMethod

    method = SignatureMethod.RSA_SHA1 if sha1 else SignatureMethod.RSA_SHA256
    doc = _prepared(Path(file), _keypair(cert, cert_password), method, resign=True)
    if output:
        write_output(output, doc.xml)
    else:
        sys.stdout.buffer.write(doc.xml)


@click.command(name="zip")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True))
@_cert
@_cert_password
@click.option("--output-dir", "-o", default=".", show_default=True, type=click.Path(file_okay=False))
def zip_command(files, cert, cert_password, output_dir) -> None:
    """Name and zip CPE XML files (or every *.xml of a folder) as SUNAT wants them ({RUC}-{TT}-{SERIE}-{NUMERO}.zip),
    signing when --cert is given; a file that is no CPE XML (or a second file of one document number) is named on
    stderr, the others are still zipped, and the exit code is 1."""
    keypair = _keypair(cert, cert_password)
    files = cpe_files(files)
    make_folder(output_dir)
    failed = False
    written: dict[str, Path] = {}
    for name in files:
        try:
            doc = _prepared(Path(name), keypair)
        except click.ClickException as error:
            click.echo(f"Error: {error.message}", err=True)
            failed = True
            continue
        if doc.zip_name in written:  # two files carrying one number: the second would replace the first
            click.echo(f"Error: {name} is {doc.base} too, as {written[doc.zip_name]} is: not zipped", err=True)
            failed = True
            continue
        written[doc.zip_name] = Path(name)
        target = Path(output_dir) / doc.zip_name
        write_output(target, doc.zip)
        click.echo(str(target))
    if failed:
        sys.exit(1)


COMMANDS = (send, status, cdr, sign, zip_command)
