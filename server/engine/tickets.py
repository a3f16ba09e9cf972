"""sendSummary, sendPack and getStatus: the asynchronous side of billService.

A summary or lot is checked synchronously only at the envelope level (auth, name, ZIP, XSD, as SUNAT
beta does) and gets a ticket; its result — status 0 with the CDR, or 99 with a CDR carrying the
rejection code — is kept with the ticket.  Processing is currently immediate; the progression
98 → 0/99 after N polls or T seconds is configured per ticket in the store's ``tickets`` table.
"""
from __future__ import annotations

import io
import zipfile

from osemock.cpe import archive
from osemock.cpe.errors import SunatError
from osemock.cpe.naming import parse_xml_name
from osemock.server import cdr
from osemock.server.engine.answers import StatusAnswer, TicketAnswer
from osemock.server.engine.bill import process_document
from osemock.server.engine.core import EngineState, Request
from osemock.server.engine.intake import (
    Received, check_content_matches_name, check_name, check_sender, parse_document, receive,
)


def _summary_verdict(engine: EngineState, received: Received) -> tuple[str, str | None]:
    """Code and detail of a summary's processing: 0, or the first rejection (2220, 2346, 2223)."""
    name, header = received.name, received.header
    expected_id = name.series_number
    if header.id != expected_id:
        return "2220", f'(nodo: "cbc:ID" valor: "{header.id or ""}")'
    if name.issue_date and header.issue_date != name.issue_date.isoformat():
        return "2346", f'(nodo: "cbc:IssueDate" valor: "{header.issue_date or ""}")'
    presented = engine.store.query(
        "SELECT 1 FROM tickets WHERE emitter_ruc=? AND file_name=? AND status_code='0' LIMIT 1",
        (name.ruc, name.base),
    )
    if presented:
        return "2223", f"El archivo {name.base} ya fue presentado anteriormente"
    return "0", None


def send_summary(engine: EngineState, request: Request) -> TicketAnswer:
    """Check the RC/RA/RR file at the envelope level, process it and answer its ticket."""
    received_at = engine.clock.now()
    received = receive(engine, request, "sendSummary")
    code, detail = _summary_verdict(engine, received)
    content = cdr.CdrContent(
        cdr_id=engine.cdr_id(),
        reference_id=received.header.id or received.name.series_number,
        document_type=received.name.type_code,
        issuer_ruc=received.name.ruc,
        sender_ruc=received.principal.ruc,
        received_at=received_at,
        responded_at=engine.clock.now(),
        response_code=code,
        rejection_detail=detail,
        document_issue_date=received.header.issue_date,
        document_hash=received.header.digest_value,
    )
    style = engine.profile.cdr_style if code == "0" else "sunat"
    cdr_zip = cdr.cdr_zip(content, style, engine.identity, ose_ruc=engine.profile.ose_ruc,
                          ose_name=engine.profile.ose_name, base_name=received.name.base)
    ticket = engine.new_ticket()
    with engine.store.transaction() as db:
        db.execute(
            "INSERT INTO tickets (ticket, emitter_ruc, sender_ruc, operation, file_name, zip, status_code,"
            " response_code, cdr_zip, created_at, processed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (ticket, received.name.ruc, received.principal.ruc, "sendSummary", received.name.base,
             received.zip_bytes, "0" if code == "0" else "99", code, cdr_zip,
             received_at.isoformat(), engine.clock.now().isoformat()),
        )
    return TicketAnswer(ticket)


def send_pack(engine: EngineState, request: Request) -> TicketAnswer:
    """Take a lot ``{RUC}-LT-{YYYYMMDD}-{n}.zip``: every XML is processed as a sendBill would be.

    The ticket's content is a ZIP holding the CDR ZIP of each accepted document; the status is 0
    when every document was accepted and 99 otherwise (each rejection is listed in ``R-…-errors.txt``).
    """
    received_at = engine.clock.now()
    principal = engine.principal(request)
    name = check_name(engine, request, "sendPack")
    check_sender(engine, principal, name.ruc)
    entries = archive.read_lot(engine.decode_content(request.content))
    results = io.BytesIO()
    errors: list[str] = []
    with zipfile.ZipFile(results, "w", zipfile.ZIP_DEFLATED) as bundle:
        for entry in entries:
            doc_name = parse_xml_name(entry.name)
            try:
                if doc_name is None or doc_name.kind != "document":
                    raise SunatError("0159", entry.name)
                check_sender(engine, principal, doc_name.ruc)
                root, header = parse_document(entry.content)
                check_content_matches_name(doc_name, header)
                one = Received(principal, doc_name, entry.content, entry.name, entry.content, root, header)
                answer = process_document(engine, one, received_at, f"{doc_name.base}.zip")
                bundle.writestr(f"R-{doc_name.base}.zip", answer.cdr_zip)
            except SunatError as error:
                errors.append(f"{entry.name}: {error.code} - {error.message}" + (f" - {error.detail}" if error.detail else ""))
        if errors:
            bundle.writestr(f"R-{name.base}-errors.txt", "\n".join(errors))
    ticket = engine.new_ticket()
    with engine.store.transaction() as db:
        db.execute(
            "INSERT INTO tickets (ticket, emitter_ruc, sender_ruc, operation, file_name, zip, status_code,"
            " response_code, cdr_zip, created_at, processed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (ticket, name.ruc, principal.ruc, "sendPack", name.base, engine.decode_content(request.content),
             "99" if errors else "0", "0" if not errors else errors[0].split(": ")[1].split(" ")[0],
             results.getvalue(), received_at.isoformat(), engine.clock.now().isoformat()),
        )
    return TicketAnswer(ticket)


def get_status(engine: EngineState, request: Request) -> StatusAnswer:
    """State of a ticket; 0127 unknown, 0126 someone else's (a status at SUNAT, a fault at an OSE)."""
    principal = engine.principal(request)
    ticket = (request.ticket or "").strip()
    rows = engine.store.query("SELECT * FROM tickets WHERE ticket=?", (ticket,))
    if not rows:
        return _ticket_problem(engine, "0127")
    row = rows[0]
    if principal.ruc not in (row["emitter_ruc"], row["sender_ruc"]):
        return _ticket_problem(engine, "0126")
    with engine.store.transaction() as db:
        db.execute("UPDATE tickets SET polls = polls + 1 WHERE ticket=?", (ticket,))
    if row["status_code"] == "98":
        return StatusAnswer("98")
    return StatusAnswer(row["status_code"], row["cdr_zip"])


def _ticket_problem(engine: EngineState, code: str) -> StatusAnswer:
    from osemock.cpe.catalog import lookup

    if engine.profile.fault_dialect == "ose":
        raise SunatError(code)
    return StatusAnswer(code, lookup(code).message.encode("utf-8"))
