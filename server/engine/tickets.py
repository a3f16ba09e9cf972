"""sendSummary, sendPack and getStatus: the asynchronous side of billService.

A summary or lot is checked synchronously only at the envelope level (auth, name, ZIP, XSD, as SUNAT
beta does) and gets a ticket with status 98.  It is *processed* — business rules, cross-document
checks, CDR, and the effects of an accepted summary on the documents it lists — when the ticket is
due: at once by default, or at the first getStatus after ``after_polls`` polls and ``ready_at``
(profile keys ``ticket_after_polls`` / ``ticket_after_seconds``, or per ticket through the admin API).

No background thread is involved: whichever request finds a due ticket *claims* it
(:mod:`claims`: among several threads or server processes sharing the store exactly one settles it,
a crashed settling is taken over, a stalled one that lost its claim writes nothing more), and the
result and the summary's effects are committed in one transaction.  A lot's documents are stored one
by one, each with the lot's ticket: a lot taken over after a crash counts the documents it had stored
as its own results, not as duplicates: each is the result of the first entry whose XML it is (a later
entry with its number is a duplicate like any other, and one before it was judged while the number was
free, and is judged so again), so every entry gets the verdict it gets without a crash.
"""
from __future__ import annotations

import io
import json
import zipfile
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, Iterator

from lxml import etree

from osemock.cpe import archive, ns
from osemock.cpe.errors import SunatError
from osemock.cpe.naming import parse_zip_name
from osemock.server import cdr
from osemock.server.engine.answers import StatusAnswer, TicketAnswer
from osemock.server.engine.auth import Principal
from osemock.server.engine.bill import is_exception, process_document, run_checks, stored_rejection
from osemock.server.engine.claims import Claim, ClaimLost
from osemock.server.engine.core import EngineState, Request
from osemock.server.engine.intake import (
    Received, check_content_matches_name, check_name, check_path_takes, check_sender, parse_document, receive,
)
from osemock.server.engine.endpoints import ENDPOINTS
from osemock.server.engine.summaries import apply_summary
from osemock.server.engine.validation import INJECTED, Finding, Injection, split_findings


def _open_ticket(engine: EngineState, received_at: datetime, **columns: Any) -> str:
    """Store a new ticket at 98, due according to the profile; returns its number.  A verdict injected
    into this call (a scenario's rejection code) is kept with the ticket: the summary's checks run when
    it settles, maybe polls later, and getStatus answers it as any rejection (99 with the CDR, or a
    fault at an OSE) where sendSummary itself only answers the ticket."""
    ticket = engine.new_ticket()
    seconds = engine.profile.ticket_after_seconds
    injection = INJECTED.get()
    if injection is not None:
        injection.used = True
        finding = injection.finding
        columns["injected"] = json.dumps({"code": finding.code, "severity": finding.severity, "note": finding.note})
    values = dict(ticket=ticket, status_code="98", created_at=received_at.isoformat(),
                  after_polls=engine.profile.ticket_after_polls,
                  ready_at=(received_at + timedelta(seconds=seconds)).isoformat() if seconds else None, **columns)
    with engine.store.transaction() as db:
        # Each process keeps its own numbers unique, but two workers over one store can draw the same
        # millisecond; the transaction holds the store's write lock, so a number taken is seen here.
        while db.execute("SELECT 1 FROM tickets WHERE ticket=?", (values["ticket"],)).fetchone():
            values["ticket"] = engine.new_ticket()
        db.execute(f"INSERT INTO tickets ({', '.join(values)}) VALUES ({', '.join('?' for _ in values)})",
                   tuple(values.values()))
    ticket = values["ticket"]
    if not values["after_polls"] and not seconds:
        process_ticket(engine, ticket)
    return ticket


def send_summary(engine: EngineState, request: Request) -> TicketAnswer:
    """Check the RC/RA/RR file at the envelope level and answer its ticket."""
    received_at = engine.clock.now()
    received = receive(engine, request, "sendSummary")
    return TicketAnswer(_open_ticket(
        engine, received_at, emitter_ruc=received.name.ruc, sender_ruc=received.principal.ruc,
        operation="sendSummary", file_name=received.name.base, zip=received.zip_bytes, xml=received.xml,
        path=request.endpoint.path))


def send_pack(engine: EngineState, request: Request) -> TicketAnswer:
    """Take a lot ``{RUC}-LT-{YYYYMMDD}-{n}.zip`` (its documents are processed when the ticket is)."""
    received_at = engine.clock.now()
    principal = engine.principal(request)
    name = check_name(engine, request, "sendPack")
    check_sender(engine, principal, name.ruc)
    lot = engine.decode_content(request.content)
    archive.read_lot(lot)  # what concerns the ZIP as a whole now (0155–0157); each entry's name when it settles
    # the path is kept with the ticket: its entries are judged when it settles, each as a sendBill there
    return TicketAnswer(_open_ticket(engine, received_at, emitter_ruc=name.ruc, sender_ruc=principal.ruc,
                                     operation="sendPack", file_name=name.base, zip=lot, path=request.endpoint.path))


def get_status(engine: EngineState, request: Request) -> StatusAnswer:
    """State of a ticket; 0127 unknown, 0126 someone else's (a status at SUNAT, a fault at an OSE)."""
    principal = engine.principal(request)
    ticket = (request.ticket or "").strip()
    rows = engine.store.query("SELECT emitter_ruc, sender_ruc FROM tickets WHERE ticket=?", (ticket,))
    if not rows:
        return _ticket_problem(engine, "0127")
    if principal.ruc not in (rows[0]["emitter_ruc"], rows[0]["sender_ruc"]):
        return _ticket_problem(engine, "0126")
    # this poll counted and the ticket read in one write transaction, which no other poll enters before
    # it ends: judged on a count read before and counted after, two workers polling at once both found
    # the count of one poll and both answered 98.  (Not UPDATE … RETURNING: SQLite 3.35 or later, and a
    # Python on Debian 11 or Ubuntu 20.04 has an older one.)
    with engine.store.transaction() as db:
        db.execute("UPDATE tickets SET polls = polls + 1 WHERE ticket=?", (ticket,))
        row = db.execute("SELECT status_code, response_code, cdr_zip, operation, polls, after_polls, ready_at "
                         "FROM tickets WHERE ticket=?", (ticket,)).fetchone()  # not the summary or lot itself
    if row is None:  # an admin reset forgot it meanwhile
        return _ticket_problem(engine, "0127")
    if row["status_code"] == "98" and _due(row, engine.clock.now(), polls_before=row["polls"] - 1):
        process_ticket(engine, ticket)
        rows = engine.store.query("SELECT * FROM tickets WHERE ticket=?", (ticket,))
        if not rows:  # an admin reset forgot it meanwhile
            return _ticket_problem(engine, "0127")
        row = rows[0]
    if row["status_code"] == "98":
        return StatusAnswer("98")
    if row["status_code"] == "99" and row["operation"] != "sendPack" and engine.profile.fault_dialect == "ose":
        # an OSE answers no rejection CDR: every rejection is an exception (OSE manual §8.3, PROTOCOL.md
        # §6.2, §8.1); the CDR stays in the store for the portal
        raise SunatError(row["response_code"], _rejection_detail(row["cdr_zip"]))
    return StatusAnswer(row["status_code"], row["cdr_zip"])


def _rejection_detail(cdr_zip: bytes | None) -> str | None:
    """The ``Detalle`` of a stored rejection CDR's Description (which node, which value)."""
    if not cdr_zip:
        return None
    _, xml = archive.first_xml(cdr_zip)
    description = etree.fromstring(xml).findtext(f".//{{{ns.CBC}}}Description") or ""
    _, found, detail = description.partition(" - Detalle: ")
    return detail if found else None


def _due(row: Any, now: datetime, polls_before: int) -> bool:
    """Whether a ticket at 98 may be settled by a poll that ``polls_before`` polls came before."""
    if polls_before < (row["after_polls"] or 0):
        return False
    return not row["ready_at"] or now >= datetime.fromisoformat(row["ready_at"])


def release_ticket(engine: EngineState, ticket: str, after_polls: int | None = None,
                   after_seconds: float | None = None) -> bool:
    """Change when a pending ticket is due (the admin API's per-ticket control): ``after_polls`` more
    polls and ``after_seconds`` from now, a value not given kept; settled at once when that makes it due
    (neither given: now).  ``False`` if it is not pending."""
    now = engine.clock.now()
    rows = engine.store.query("SELECT polls FROM tickets WHERE ticket=? AND status_code='98'", (ticket,))
    if not rows:
        return False
    if after_polls is None and after_seconds is None:
        after_polls, after_seconds = 0, 0
    with engine.store.transaction() as db:
        if after_polls is not None:
            db.execute("UPDATE tickets SET after_polls=? WHERE ticket=?", (rows[0]["polls"] + after_polls, ticket))
        if after_seconds is not None:
            ready = (now + timedelta(seconds=after_seconds)).isoformat() if after_seconds else None
            db.execute("UPDATE tickets SET ready_at=? WHERE ticket=?", (ready, ticket))
    current = engine.store.query("SELECT * FROM tickets WHERE ticket=? AND status_code='98'", (ticket,))
    # {"after_seconds": 0} leaves a hold of polls standing
    if current and _due(current[0], now, polls_before=current[0]["polls"]):
        process_ticket(engine, ticket)
    return True


def process_ticket(engine: EngineState, ticket: str) -> None:
    """Settle a pending ticket once: claim it, process its summary or lot, commit the result while the
    claim is still this settling's (a poll that finds it settled or lost answers what the store says)."""
    claim = Claim.take(engine.store, ticket)
    if claim is None:
        return
    rows = engine.store.query("SELECT * FROM tickets WHERE ticket=?", (ticket,))
    if not rows:  # an admin reset forgot it between the claim and this read: nothing left to settle
        return
    row = rows[0]
    try:
        with _injected(row):
            if row["operation"] == "sendPack":
                _process_pack(engine, row, claim)
            else:
                _process_summary(engine, row, claim)
    except ClaimLost:  # taken over (this settling stalled past the claim's timeout) or reset meanwhile
        return


@contextmanager
def _injected(row: Any) -> Iterator[None]:
    """The verdict the ticket kept from its call, put into the checks that settle it (for a lot, into
    each document's), and nothing else's: a ticket settled by another request's poll gets its own."""
    kept = json.loads(row["injected"]) if row["injected"] else None
    token = INJECTED.set(Injection(Finding(kept["code"], kept["severity"], note=kept.get("note"))) if kept else None)
    try:
        yield
    finally:
        INJECTED.reset(token)


def _process_summary(engine: EngineState, row: Any, claim: Claim) -> None:
    name = parse_zip_name(f"{row['file_name']}.zip")
    root, header = parse_document(row["xml"], name=name)
    received = Received(Principal(row["sender_ruc"], ""), name, row["zip"], f"{name.base}.xml", row["xml"], root, header)
    received_at = datetime.fromisoformat(row["created_at"])
    # judged and applied in one write transaction: two summaries on the same document settled at once
    # by two processes (two RAs voiding one factura, two RCs adding one boleta) must see each other
    with engine.store.transaction() as db:
        claim.hold(db)  # no one takes it over while this transaction holds the store's writer
        _settle_summary(engine, db, row, name, root, header, received, received_at)


def _settle_summary(engine: EngineState, db: Any, row: Any, name: Any, root: etree._Element, header: Any,
                    received: Received, received_at: datetime) -> None:
    # the sheet's rows in its order: the ID against the file name (2220) among them, at its row
    error, observations = split_findings(run_checks(engine, received, received_at))
    code = error.code if error else "0"
    content = cdr.CdrContent(
        cdr_id=row["ticket"] if engine.profile.ticket_style == "prod" else engine.cdr_id(),
        reference_id=header.id or name.series_number,
        document_type=name.type_code,
        issuer_ruc=name.ruc,
        sender_ruc=row["sender_ruc"],
        received_at=received_at,
        responded_at=engine.clock.now(),
        response_code=code,
        rejection_detail=error.detail_in(engine.profile.fault_dialect) if error else None,
        notes=tuple(cdr.CdrNote(o.code, o.detail) for o in observations) if not error else (),
        document_issue_date=header.issue_date,
        document_hash=header.digest_value,
    )
    # the profile's own CDR whatever the code: an OSE's rejection signed by the OSE must not say SUNAT sent it
    cdr_zip = cdr.cdr_zip(content, engine.profile.cdr_style, engine.identity, ose_ruc=engine.profile.ose_ruc,
                          ose_name=engine.profile.ose_name, base_name=name.base)
    if code == "0":
        apply_summary(db, name.ruc, root, row["ticket"], row["file_name"], engine.clock.now())
    db.execute("UPDATE tickets SET status_code=?, response_code=?, cdr_zip=?, processed_at=? WHERE ticket=?",
               ("0" if code == "0" else "99", code, cdr_zip, engine.clock.now().isoformat(), row["ticket"]))


def _process_pack(engine: EngineState, row: Any, claim: Claim) -> None:
    """Every XML of the lot is processed as a sendBill would be.  The ticket's content is a ZIP holding
    the CDR ZIP of each accepted document (and of each rejected one, where the profile answers
    rejections as CDRs); status 0 when every document was accepted, 99 otherwise (each rejection listed
    in ``R-…-errors.txt``).  Each document is stored, and the result written, only while ``claim`` holds
    (:class:`ClaimLost` otherwise), which renews it; an entry that stores nothing (refused before, or as
    an exception) renews it too, so a long run of them does not let it age while the settling is alive.
    How one entry is judged (its path's types, a takeover's stored results): :func:`_judge_entry`."""
    results = io.BytesIO()
    errors: list[tuple[str, str]] = []
    taken: set[tuple[str, str, str, int]] = set()  # numbers stored by an entry before this one
    with zipfile.ZipFile(results, "w", zipfile.ZIP_DEFLATED) as bundle:
        for entry in archive.read_lot(row["zip"]):
            renewals = claim.renewals
            try:
                _judge_entry(engine, row, claim, entry, bundle, taken)
            except SunatError as error:
                errors.append((error.code, f"{entry.name}: {error.code} - {error.message}"
                               + (f" - {error.detail}" if error.detail else "")))
            if claim.renewals == renewals:  # judged without storing (which renews): renewed all the same
                claim.renew(engine.store)
        if errors:
            bundle.writestr(f"R-{row['file_name']}-errors.txt", "\n".join(text for _, text in errors))
    with engine.store.transaction() as db:
        claim.hold(db)
        db.execute("UPDATE tickets SET status_code=?, response_code=?, cdr_zip=?, processed_at=? WHERE ticket=?",
                   ("99" if errors else "0", errors[0][0] if errors else "0", results.getvalue(),
                    engine.clock.now().isoformat(), row["ticket"]))


def _judge_entry(engine: EngineState, row: Any, claim: Claim, entry: archive.XmlEntry, bundle: zipfile.ZipFile,
                 taken: set[tuple[str, str, str, int]]) -> None:
    """One entry of a lot, judged as a sendBill at the lot's path would be: its CDR into ``bundle``, and
    :class:`SunatError` for its line of the error list (a rejection answered as a CDR has both).

    An entry of a type the lot's path does not take is 0151 (a -04- at the OSE's path, a -20- at
    SUNAT's factura path): the ticket keeps its path for this; one opened by an osemock before it was
    kept (or imported from a snapshot of one) is settled without that check.

    A lot taken over after a crash finds what the dead settling stored with its ticket.  A stored
    document is the result of the first entry whose XML it is (``taken`` holds the numbers an entry
    before this one stored or was given); an entry of its number before that one was judged while the
    number was free (an exception, which stored nothing; a rejected retención a corrected one replaced)
    and is judged so again, storing nothing."""
    doc_name = archive.lot_document_name(entry)
    endpoint = ENDPOINTS.get(row["path"] or "")
    if endpoint is not None:
        check_path_takes(endpoint, "sendBill", doc_name.type_code, entry.name, engine.profile.channel)
    if doc_name.ruc not in (row["emitter_ruc"], row["sender_ruc"]):
        raise SunatError("0154", f"RUC del archivo {doc_name.ruc} <> RUC del lote {row['emitter_ruc']}")
    root, header = parse_document(entry.content)
    check_content_matches_name(doc_name, header)
    identity = (doc_name.ruc, doc_name.type_code, doc_name.serie or "", doc_name.numero or 0)
    stored = engine.store.document(*identity)
    ours = stored is not None and stored["lot_ticket"] == row["ticket"] and identity not in taken
    if ours and stored["xml"] == entry.content:  # this entry's result, from before the crash
        taken.add(identity)
        if stored["cdr_zip"]:
            bundle.writestr(f"R-{doc_name.base}.zip", stored["cdr_zip"])
        if stored["response_code"] != "0":
            raise (SunatError(stored["response_code"]) if stored["cdr_zip"]
                   else stored_rejection(stored, engine.profile.fault_dialect))
        return
    one = Received(Principal(row["sender_ruc"], ""), doc_name, entry.content, entry.name, entry.content, root, header)
    try:  # ``ours`` here: the stored document is a later entry's
        answer = process_document(engine, one, datetime.fromisoformat(row["created_at"]), f"{doc_name.base}.zip",
                                  lot=claim, stored_later=ours)
    except SunatError as error:
        if not ours and not is_exception(error.code):  # a rejection: stored, its number burnt
            taken.add(identity)
        raise
    if not ours:
        taken.add(identity)
    bundle.writestr(f"R-{doc_name.base}.zip", answer.cdr_zip)
    if answer.response_code != "0":  # a profile that answers rejections as CDRs (sunat-prod)
        raise SunatError(answer.response_code)


def _ticket_problem(engine: EngineState, code: str) -> StatusAnswer:
    from osemock.cpe.catalog import lookup

    if engine.profile.fault_dialect == "ose":
        raise SunatError(code)
    return StatusAnswer(code, lookup(code).message.encode("utf-8"))
