"""sendBill: one document in, its CDR out — or the SUNAT code that stops it.

After the envelope checks (:mod:`intake`) come the duplicate control the OSE manual makes an OSE
duty (1033 accepted before, 1032 annulled or rejected), then the registered business checks.  The
first error decides; observations ride in the CDR.  A rejection (2000-3999) burns the number (stored
as ``rejected``); SUNAT production answers it with a rejection CDR, beta and OSEs with a fault.  An
exception (0100-1999, a rule's 1079 or 1083 too) stores nothing and is a fault everywhere.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from osemock.cpe.errors import SunatError
from osemock.server import cdr
from osemock.server.engine.answers import CdrAnswer
from osemock.server.engine.claims import Claim
from osemock.server.engine.core import EngineState, Request
from osemock.server.engine.intake import Received, receive
from osemock.server.engine.summaries import REVERTIBLE
from osemock.server.engine.validation import CheckInput, Finding, split_findings
from osemock.server.store import DuplicateDocument


def send_bill(engine: EngineState, request: Request) -> CdrAnswer:
    """The whole of sendBill."""
    received_at = engine.clock.now()
    received = receive(engine, request, "sendBill")
    return process_document(engine, received, received_at, request.file_name or "")


def duplicate_error(status: str, reference: str, type_code: str = "") -> SunatError:
    """1033 for a number accepted before, 1032 for one annulled or rejected (a reverted retención or
    percepción is a 1033, as its sheet says)."""
    if status == "accepted" or (status == "voided" and type_code in REVERTIBLE):
        return SunatError("1033", f"El comprobante {reference} fue informado anteriormente")
    state = "anulado" if status == "voided" else "rechazado"
    return SunatError("1032", f"El comprobante {reference} fue {state}")


def stored_rejection(stored: Any, dialect: str) -> SunatError:
    """The fault :func:`process_document` raised for a document it stored as rejected without a CDR: its
    code with the detail its error gave in ``dialect`` (which node, which value), rebuilt from the
    stored findings.  A lot taken over after a crash lists it so, as the settling that stored it did."""
    findings = json.loads(stored["findings"] or "[]")
    error = next((f for f in findings if f.get("severity") == "error"), None)
    if error is None:
        return SunatError(stored["response_code"])
    finding = Finding(error["code"], "error", error.get("xpath"), error.get("value"), error.get("note"),
                      error.get("front_end"))
    return SunatError(stored["response_code"], finding.detail_in(dialect))


def is_exception(code: str) -> bool:
    """Whether ``code`` is in 0100-1999, SUNAT's exceptions (request not processed)."""
    return code.isdigit() and int(code) < 2000


def run_checks(engine: EngineState, received: Received, received_at: datetime) -> list[Finding]:
    """Every registered business check over the document, in registration order.  Deadlines count to
    ``received_at``: a ticket settled a day later judges its file as of the day it came."""
    source = CheckInput(received.root, received.header, received.principal.ruc, store=engine.store,
                        profile=engine.profile, now=received_at, file_name=received.name)
    findings: list[Finding] = []
    for check in engine.checks:
        findings.extend(check(source))
    return findings


def process_document(engine: EngineState, received: Received, received_at: datetime, file_name: str,
                     lot: Claim | None = None, stored_later: bool = False) -> CdrAnswer:
    """Duplicates, business checks, CDR and storage of one received document (``lot``: the claim of the
    sendPack settling it came in, whose ticket is kept with it; stored only while the claim holds).

    ``stored_later``: the number is taken by a later entry of the same lot, stored by a settling a crash
    cut short.  This entry was judged before that one, when the number was free, and is judged so again,
    storing nothing: it ended in an exception, or in a rejection a corrected retención or percepción
    replaced.  Accepted now, it would have kept the number from the later one: 1033, as it is taken."""
    header, name = received.header, received.name
    reference = f"{name.serie}-{name.numero}"
    existing = engine.store.document(name.ruc, name.type_code, name.serie or "", name.numero or 0)
    # a rejected retención or percepción leaves its number free (its sheet's 1033 is for estado 1 or 2)
    resend = existing is not None and existing["status"] == "rejected" and name.type_code in REVERTIBLE
    if existing is not None and not resend and not stored_later:
        raise duplicate_error(existing["status"], reference, name.type_code)

    error, observations = split_findings(run_checks(engine, received, received_at))
    if error is not None and is_exception(error.code):
        # 0100-1999 is an exception, not a rejection: the request was not processed, nothing is stored
        # and the number stays free, at every service a fault (PROTOCOL.md §7) — a late boleta's 1079, a
        # customer outside the padrón's 1083
        raise SunatError(error.code, error.detail_in(engine.profile.fault_dialect))
    responded_at = engine.clock.now()
    content = cdr.CdrContent(
        cdr_id=engine.cdr_id(),
        reference_id=header.id or reference,
        document_type=name.type_code,
        issuer_ruc=name.ruc,
        sender_ruc=received.principal.ruc,
        received_at=received_at,
        responded_at=responded_at,
        response_code=error.code if error else "0",
        rejection_detail=error.detail_in(engine.profile.fault_dialect) if error else None,
        notes=tuple(cdr.CdrNote(o.code, o.detail) for o in observations) if not error else (),
        document_issue_date=header.issue_date,
        document_issue_time=header.issue_time,
        document_hash=header.digest_value,
        recipient_doc_type=header.customer_doc_type,
        recipient_doc_number=header.customer_doc_number,
    )
    cdr_zip = None
    if error is None or engine.profile.rejections_as_cdr:
        cdr_zip = cdr.cdr_zip(
            content, engine.profile.cdr_style, engine.identity,
            ose_ruc=engine.profile.ose_ruc, ose_name=engine.profile.ose_name, base_name=name.base,
        )
    findings = ([error] if error else []) + observations
    record = {
        "emitter_ruc": name.ruc,
        "type_code": name.type_code,
        "serie": name.serie,
        "numero": name.numero,
        "status": "rejected" if error else "accepted",
        "response_code": content.response_code,
        "findings": [{"code": f.code, "severity": f.severity, "xpath": f.xpath, "value": f.value, "note": f.note,
                      "front_end": f.front_end, "message": f.message, "detail": f.detail} for f in findings],
        "file_name": file_name,
        "zip": received.zip_bytes,
        "xml": received.xml,
        "cdr_zip": cdr_zip,
        "cdr_id": content.cdr_id,
        "document_hash": header.digest_value,
        "issue_date": header.issue_date,
        "customer": f"{header.customer_doc_type or '-'}-{header.customer_doc_number or ''}",
        "payable_amount": header.total_amount,  # the importe total as printed (a 20/40's TotalInvoiceAmount)
        "currency": header.currency,
        "sender_ruc": received.principal.ruc,
        "received_at": received_at.isoformat(),
        "responded_at": responded_at.isoformat(),
    }
    if lot is not None:
        record["lot_ticket"] = lot.ticket
    if stored_later:  # judged as it was while the number was free: its verdict alone, nothing stored
        if error is None:
            raise duplicate_error(existing["status"] if existing else "accepted", reference, name.type_code)
    else:
        try:
            engine.store.add_document(record, replacing_rejected=resend, guard=lot.hold if lot is not None else None)
        except DuplicateDocument as duplicate:
            raise duplicate_error(duplicate.status, reference, name.type_code) from None
    if cdr_zip is None:
        assert error is not None
        raise SunatError(error.code, error.detail_in(engine.profile.fault_dialect))
    return CdrAnswer(cdr_zip, content.response_code)
