"""The ID and dates of a summary or a communication: its ID against its file name, its issue date
against its ID and the reception day, the documents' date (cbc:ReferenceDate) against both.

Rules that need the file name or the reception day read them from the request (``source.file_name``,
the mock's clock ``source.now``); offline they stay silent.
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from osemock.cpe import ns
from osemock.cpe.dates import day_of
from osemock.cpe.numbers import correlativo, digits
from osemock.server.rules.backend import python_rule
from osemock.server.rules.families.informed_documents import stored_document
from osemock.server.rules.families.summaries import LINE, RC, SHEETS, VOIDS, Node, Violations, child_text, lines_of
from osemock.server.rules.patterns import xp


# -- dates -------------------------------------------------------------------------------------------
def _date(root: Node, tag: str) -> date | None:
    return day_of(root.findtext(f"{{{ns.CBC}}}{tag}"))


def _received(source: Any) -> date | None:
    """The day the summary is received: the mock's clock; ``None`` offline (the rule stays silent)."""
    return source.now.date() if source is not None and getattr(source, "now", None) is not None else None


# -- the ID ------------------------------------------------------------------------------------------
@python_rule("2220", "cbc:ID", sheets=SHEETS)
def id_not_the_file_names(root: Node, source: Any) -> Violations:
    """The cbc:ID is the ID the file name carries (``{RUC}-RA-YYYYMMDD-n``).  Judged at its row, when the
    ticket is processed: after the versions (rows 5–7), before "presented before" (2223 / 2324) and the
    issue date (2346) — an ID that names the other kind of VoidedDocuments (``RR-…`` in an RA) included."""
    name = getattr(source, "file_name", None)
    summary_id = (root.findtext(f"{{{ns.CBC}}}ID") or "").strip()
    if name is not None and summary_id != name.series_number:
        yield "cbc:ID", summary_id


@python_rule("2346", "IssueDate", sheets=SHEETS)
def issue_date_not_the_ids(root: Node, source: Any) -> Violations:
    """The issue date is the date the file name carries (``RC-YYYYMMDD-n``).  The file name's ID is
    the document's cbc:ID (2220 answers otherwise), so the document's own ID gives that date."""
    match = re.fullmatch(r"R[ACR]-([0-9]{4})([0-9]{2})([0-9]{2})-[0-9]+", (root.findtext(f"{{{ns.CBC}}}ID") or "").strip())
    issued = _date(root, "IssueDate")
    if match and issued is not None and issued.isoformat() != "-".join(match.groups()):
        yield "cbc:IssueDate", issued.isoformat()


@python_rule("2236", "IssueDate", sheets=RC)
@python_rule("2301", "IssueDate", sheets=VOIDS)
def generated_after_reception(root: Node, source: Any) -> Violations:
    """A summary cannot be generated after the day it is received."""
    received, issued = _received(source), _date(root, "IssueDate")
    if received is not None and issued is not None and issued > received:
        yield "cbc:IssueDate", issued.isoformat()


@python_rule("2671", "ReferenceDate", sheets=SHEETS)
def documents_after_summary(root: Node, source: Any) -> Violations:
    """The documents summarised (or voided) were issued on or before the summary's own date."""
    referenced, issued = _date(root, "ReferenceDate"), _date(root, "IssueDate")
    if referenced is not None and issued is not None and referenced > issued:
        yield "cbc:ReferenceDate", referenced.isoformat()


def _late(root: Node, source: Any) -> bool:
    received, referenced = _received(source), _date(root, "ReferenceDate")
    return received is not None and referenced is not None and received - referenced > timedelta(days=7)


@python_rule("4443", "ReferenceDate", sheets=RC)
def summary_sent_late(root: Node, source: Any) -> Violations:
    """The documents are more than 7 days older than the summary's reception (an observation)."""
    if _late(root, source):
        yield "cbc:ReferenceDate", (root.findtext(f"{{{ns.CBC}}}ReferenceDate") or "").strip()


@python_rule("2957", "DocumentTypeCode", sheets=RC)
def voided_too_late_in_summary(root: Node, source: Any) -> Violations:
    """An electronic boleta or note (serie not starting with a digit) is voided (state 3) more than 7
    days after its issue date.  Row 36 counts from 'Fecha de emisión de los documentos' (the summary's
    cbc:ReferenceDate) and names the list of electronic documents, where the document's own issue date
    is ("…exceder el plazo desde su fecha de emision"); unlike the RA's, the RC sheet has no row (2375)
    that holds the two equal, so a summary stating a recent ReferenceDate voided a boleta of any age.
    The window is judged on both: the ReferenceDate, and the issue date of the document the store holds
    (a boleta sent by sendBill, or informed by an earlier summary)."""
    received = _received(source)
    if received is None:
        return
    late_reference = _late(root, source)
    for line in xp(root, f"{LINE}[cac:Status/cbc:ConditionCode='3']"):
        document_id = child_text(line, "cbc:ID")
        if digits(document_id[:1]):
            continue
        serie, _, numero = document_id.partition("-")
        stored = stored_document(root, source, child_text(line, "cbc:DocumentTypeCode"), serie, correlativo(numero))
        issued = day_of(stored["issue_date"]) if stored is not None else None
        if late_reference or (issued is not None and received - issued > timedelta(days=7)):
            yield "cbc:DocumentTypeCode", document_id


@python_rule("2957", "DocumentNumberID", sheets=("comunicacion_baja",))
def voided_too_late(root: Node, source: Any) -> Violations:
    """An electronic document is voided more than 7 days after its issue date.  Reading: the issue
    date is the communication's cbc:ReferenceDate ("Fecha de generación del documento dado de baja",
    which 2375 holds equal to the stored document's)."""
    if not _late(root, source):
        return
    for line in lines_of(root):
        if not digits(child_text(line, "sac:DocumentSerialID")[:1]):
            yield "sac:DocumentNumberID", child_text(line, "sac:DocumentSerialID") + "-" + child_text(line, "sac:DocumentNumberID")
