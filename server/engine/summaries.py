"""What a summary says about other documents, and what it does to them once accepted.

A resumen diario (RC) informs boletas and their notes line by line, each with an operation
(``cac:Status/cbc:ConditionCode``: 1 add, 2 modify, 3 void); a comunicación de baja (RA) voids
facturas, notes and other electronic documents; a resumen de reversiones (RR) voids retentions and
perceptions.  :func:`summary_lines` reads those lines once for the rules (:mod:`osemock.server.rules.
families.informed_documents`) and for :func:`apply_summary`, which writes the effects in the same
transaction that settles the ticket — a voided document is voided exactly when its ticket says 0.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from osemock.cpe import ns
from osemock.cpe.dates import iso_day
from osemock.cpe.numbers import correlativo

#: Operation codes of an RC line (catalog 19).
ADD, MODIFY, VOID = "1", "2", "3"

#: What an RR reverses: retenciones and percepciones.  Their sheets answer 1033 for a number accepted or
#: reverted (estado 1 or 2) and have no 1032 row: a rejected one leaves its number free, to be sent
#: again corrected, and is no document an RR can reverse (2750).
REVERTIBLE = frozenset({"20", "40"})


@dataclass(frozen=True)
class SummaryLine:
    """One document a summary speaks about."""

    line_id: str
    type_code: str
    serie: str
    numero: int | None
    operation: str
    """RC: 1 add, 2 modify, 3 void; RA and RR: always 3."""
    total: str | None = None
    currency: str | None = None
    customer: str | None = None
    reference: tuple[str, str, int | None] | None = None
    """For a note in an RC: (type, serie, number) of the boleta it modifies."""

    @property
    def label(self) -> str:
        """How SUNAT lists the document in a detail: ``03-B001-1``."""
        return f"{self.type_code}-{self.serie}-{self.numero if self.numero is not None else ''}"


def _text(node: etree._Element, path: str) -> str:
    found = node.xpath(path, namespaces=ns.UBL)
    if not found:
        return ""
    first = found[0]
    return (first if isinstance(first, str) else first.text or "").strip()


def summary_lines(root: etree._Element) -> list[SummaryLine]:
    """The lines of an RC (SummaryDocuments) or an RA/RR (VoidedDocuments); empty for anything else."""
    local = etree.QName(root).localname
    lines: list[SummaryLine] = []
    if local == "SummaryDocuments":
        for line in root.iterfind(f"{{{ns.SAC}}}SummaryDocumentsLine"):
            serie, _, numero = _text(line, "cbc:ID").partition("-")
            reference = None
            ref_id = _text(line, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID")
            if ref_id:
                ref_serie, _, ref_numero = ref_id.partition("-")
                reference = (_text(line, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:DocumentTypeCode"),
                             ref_serie, correlativo(ref_numero))
            customer = _text(line, "cac:AccountingCustomerParty/cbc:CustomerAssignedAccountID")
            lines.append(SummaryLine(
                _text(line, "cbc:LineID"), _text(line, "cbc:DocumentTypeCode"), serie, correlativo(numero),
                _text(line, "cac:Status/cbc:ConditionCode"), _text(line, "sac:TotalAmount") or None,
                _text(line, "sac:TotalAmount/@currencyID") or None,
                f"{_text(line, 'cac:AccountingCustomerParty/cbc:AdditionalAccountID') or '-'}-{customer}" if customer else None,
                reference,
            ))
    elif local == "VoidedDocuments":
        for line in root.iterfind(f"{{{ns.SAC}}}VoidedDocumentsLine"):
            lines.append(SummaryLine(
                _text(line, "cbc:LineID"), _text(line, "cbc:DocumentTypeCode"), _text(line, "sac:DocumentSerialID"),
                correlativo(_text(line, "sac:DocumentNumberID")), VOID,
            ))
    return lines


def reference_date(root: etree._Element) -> str:
    """``cbc:ReferenceDate``: the issue date of the documents an RC informs or an RA voids, the day alone
    (``YYYY-MM-DD`` when it is an xs:date, as the store keeps issue dates)."""
    return iso_day(_text(root, "cbc:ReferenceDate")) or ""


def apply_summary(db: sqlite3.Connection, emitter_ruc: str, root: etree._Element, ticket: str,
                  file_name: str, now: datetime) -> int:
    """Write what an accepted summary does to the documents it lists; returns how many it touched.

    RA/RR and RC operation 3 void the document; RC operation 1 registers a boleta or note that only
    the summary informs (it has no CDR of its own); operation 2 updates its amounts.
    """
    touched = 0
    issued = reference_date(root)
    for line in summary_lines(root):
        if line.numero is None:
            continue
        identity = (emitter_ruc, line.type_code, line.serie, line.numero)
        if line.operation == VOID:
            cursor = db.execute(
                "UPDATE documents SET status='voided', voided_by=? WHERE emitter_ruc=? AND type_code=? AND serie=? AND numero=?",
                (ticket, *identity))
            if cursor.rowcount == 0 and etree.QName(root).localname == "SummaryDocuments":
                # a boleta informed and voided in the same summary round: SUNAT keeps it, voided
                cursor = _insert_informed(db, identity, line, "voided", ticket, file_name, issued, now)
        elif line.operation == ADD:
            cursor = _insert_informed(db, identity, line, "accepted", ticket, file_name, issued, now)
        elif line.operation == MODIFY:
            cursor = db.execute(
                "UPDATE documents SET payable_amount=coalesce(?, payable_amount), informed_by=?"
                " WHERE emitter_ruc=? AND type_code=? AND serie=? AND numero=?",
                (line.total, ticket, *identity))
        else:
            continue
        touched += cursor.rowcount
    return touched


def _insert_informed(db: sqlite3.Connection, identity: tuple[str, str, str, int], line: SummaryLine, status: str,
                     ticket: str, file_name: str, issued: str, now: datetime) -> sqlite3.Cursor:
    return db.execute(
        "INSERT OR IGNORE INTO documents (emitter_ruc, type_code, serie, numero, status, response_code, file_name,"
        " issue_date, customer, payable_amount, currency, received_at, responded_at, informed_by, voided_by)"
        " VALUES (?,?,?,?,?,'0',?,?,?,?,?,?,?,?,?)",
        (*identity, status, file_name, issued or None, line.customer, line.total, line.currency,
         now.isoformat(), now.isoformat(), ticket, ticket if status == "voided" else None))
