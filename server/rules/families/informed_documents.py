"""Summaries against the documents the mock already holds (SUNAT's "Comprobantes de pago
electrónico" list): what an RC, RA or RR may say about a document depends on its state there.

SUNAT's states are 1 accepted, 0 rejected and 2 voided; the store keeps them as ``accepted``,
``rejected`` and ``voided``.  Each rule reads the summary's lines (:func:`summary_lines`) and the
store; offline (``osemock validate``) there is no store and they stay silent.  A summary presented
before is judged by its file name among the tickets already settled with status 0.
"""
from __future__ import annotations

from typing import Any, Iterator

from lxml import etree

from osemock.cpe import ns
from osemock.cpe.dates import iso_day
from osemock.cpe.numbers import correlativo, decimal_of, digits
from osemock.server.engine.summaries import ADD, MODIFY, REVERTIBLE, VOID, reference_date, summary_lines
from osemock.server.rules.backend import python_rule
from osemock.server.rules.patterns import xp

Violations = Iterator[tuple[str, str]]
_RC, _RA, _RR = ("resumen_diario",), ("comunicacion_baja",), ("resumen_reversiones",)


def _emitter(root: etree._Element) -> str:
    """The emitter's RUC (a UBL 2.0 summary names it in CustomerAssignedAccountID, a perception in AgentParty)."""
    found = xp(root, "cac:AccountingSupplierParty/cbc:CustomerAssignedAccountID/text()"
                       " | cac:AccountingSupplierParty/cac:Party/cac:PartyIdentification/cbc:ID/text()"
                       " | cac:AgentParty/cac:PartyIdentification/cbc:ID/text()")
    return found[0].strip() if found else ""


def _with_store(source: Any) -> bool:
    return source is not None and source.store is not None


def _stored(root: etree._Element, source: Any, type_code: str, serie: str, numero: int | None) -> Any:
    if numero is None:
        return None
    return source.store.document(_emitter(root), type_code, serie, numero)


def stored_document(root: etree._Element, source: Any, type_code: str, serie: str, numero: int | None) -> Any:
    """The store's row of a document a summary speaks about; ``None`` offline or when it holds none."""
    return _stored(root, source, type_code, serie, numero) if _with_store(source) else None


def _presented_before(root: etree._Element, source: Any) -> Violations:
    if not _with_store(source):
        return
    summary_id = (root.findtext(f"{{{ns.CBC}}}ID") or "").strip()
    rows = source.store.query("SELECT 1 FROM tickets WHERE emitter_ruc=? AND file_name=? AND status_code='0' LIMIT 1",
                              (_emitter(root), f"{_emitter(root)}-{summary_id}"))
    if rows:
        yield "cbc:ID", summary_id


python_rule("2223", "cbc:ID", sheets=_RC + _RR)(_presented_before)
python_rule("2324", "cbc:ID", sheets=_RA)(_presented_before)


# -- resumen diario ------------------------------------------------------------------------------------
@python_rule("2663", "SummaryDocumentsLine/cbc:ID", sheets=_RC)
def rc_modifies_an_unknown_document(root: etree._Element, source: Any) -> Violations:
    """An RC line that modifies (2) or voids (3) a document nobody informed.  A document an earlier line
    of the same summary adds (1) counts as informed, as it does for a note's boleta (2989): added and
    modified in one send is 3095's (row 38), which this row (29) would otherwise always answer first;
    added and voided in one send no row forbids (:func:`apply_summary` keeps the boleta, voided)."""
    if not _with_store(source):
        return
    added: set[tuple[str, str, int | None]] = set()
    for line in summary_lines(root):
        document = (line.type_code, line.serie, line.numero)
        if line.operation == ADD:
            added.add(document)
        elif line.operation in (MODIFY, VOID) and document not in added \
                and _stored(root, source, line.type_code, line.serie, line.numero) is None:
            yield "sac:SummaryDocumentsLine/cbc:ID", line.label


@python_rule("2987", "DocumentTypeCode", sheets=_RC)
def rc_line_on_a_rejected_or_voided_document(root: etree._Element, source: Any) -> Violations:
    """An RC line about a document already rejected (0) or voided (2)."""
    if not _with_store(source):
        return
    for line in summary_lines(root):
        stored = _stored(root, source, line.type_code, line.serie, line.numero)
        if stored is not None and stored["status"] in ("rejected", "voided"):
            yield "sac:SummaryDocumentsLine/cbc:ID", line.label


@python_rule("2282", "DocumentTypeCode", sheets=_RC)
def rc_adds_a_document_already_informed(root: etree._Element, source: Any) -> Violations:
    """An RC line that adds (1) a document already informed, by sendBill or another summary."""
    if not _with_store(source):
        return
    for line in summary_lines(root):
        if line.operation == ADD and _stored(root, source, line.type_code, line.serie, line.numero) is not None:
            yield "sac:SummaryDocumentsLine/cbc:ID", line.label


def _boleta_references(root: etree._Element, source: Any) -> Iterator[tuple[Any, str]]:
    """(stored boleta or None, label) of every RC note line that modifies an electronic boleta (serie B);
    a boleta the same summary adds in an earlier line counts as informed."""
    added: dict[tuple[str, str, int | None], dict[str, str]] = {}
    for line in summary_lines(root):
        if line.operation == ADD:
            added[(line.type_code, line.serie, line.numero)] = {"status": "accepted"}
        if line.reference is None:
            continue
        ref_type, ref_serie, ref_numero = line.reference
        if ref_type == "03" and ref_serie.startswith("B"):
            stored = _stored(root, source, ref_type, ref_serie, ref_numero) or added.get(line.reference)
            yield stored, f"{ref_type}-{ref_serie}-{ref_numero or ''}"


@python_rule("2989", "BillingReference", sheets=_RC)
def rc_note_on_an_unknown_boleta(root: etree._Element, source: Any) -> Violations:
    """A note in an RC modifies an electronic boleta that was never informed."""
    if _with_store(source):
        for stored, label in _boleta_references(root, source):
            if stored is None:
                yield "cac:InvoiceDocumentReference/cbc:ID", label


@python_rule("2990", "BillingReference", sheets=_RC)
def rc_note_on_a_voided_boleta(root: etree._Element, source: Any) -> Violations:
    """A note in an RC modifies an electronic boleta that is voided or rejected."""
    if _with_store(source):
        for stored, label in _boleta_references(root, source):
            if stored is not None and stored["status"] in ("rejected", "voided"):
                yield "cac:InvoiceDocumentReference/cbc:ID", label


# -- comunicación de baja and resumen de reversiones ----------------------------------------------------
_ELECTRONIC = {"01", "07", "08", "30", "34", "42"}


def _voided_lines(root: etree._Element, source: Any) -> Iterator[tuple[Any, Any]]:
    for line in summary_lines(root):
        yield line, _stored(root, source, line.type_code, line.serie, line.numero)


@python_rule("2105", "DocumentNumberID", sheets=_RA)
def baja_of_an_unknown_document(root: etree._Element, source: Any) -> Violations:
    """An RA voids an electronic document (01/07/08 of serie F or a digit; 30/34/42 of serie F) the
    store does not hold."""
    if not _with_store(source):
        return
    for line, stored in _voided_lines(root, source):
        series_ok = line.serie[:1] == "F" or (line.type_code in ("01", "07", "08") and digits(line.serie[:1]))
        if line.type_code in _ELECTRONIC and series_ok and stored is None:
            yield "sac:DocumentNumberID", line.label


def _line_in_state(code: str, sheets: tuple[str, ...], state: str, doc: str) -> None:
    """Bind ``code`` to the lines of an RA/RR whose stored document is in ``state``."""
    @python_rule(code, "DocumentNumberID", sheets=sheets)
    def document_in_state(root: etree._Element, source: Any) -> Violations:
        if _with_store(source):
            for line, stored in _voided_lines(root, source):
                if stored is not None and stored["status"] == state:
                    yield "sac:DocumentNumberID", line.label

    document_in_state.__doc__ = doc


_line_in_state("2398", _RA, "rejected", "An RA voids a document that was rejected (state 0).")
_line_in_state("2323", _RA, "voided", "An RA voids a document already voided (state 2).")
_line_in_state("2751", _RR, "voided", "An RR reverses a retention or perception already reversed.")


@python_rule("2375", "DocumentNumberID", sheets=_RA)
def baja_with_another_issue_date(root: etree._Element, source: Any) -> Violations:
    """The RA's ReferenceDate (issue date of the documents it voids) differs from a stored document's."""
    if not _with_store(source):
        return
    issued = reference_date(root)
    for line, stored in _voided_lines(root, source):
        if stored is not None and stored["issue_date"] and issued and iso_day(stored["issue_date"]) != issued:
            yield "cbc:ReferenceDate", issued


@python_rule("2750", "DocumentNumberID", sheets=_RR)
def reversal_of_an_unknown_document(root: etree._Element, source: Any) -> Violations:
    """An RR reverses a retention or perception the list does not hold ("no existe"): one never sent,
    or one rejected.  A rejected retención or percepción leaves its number free to be sent again,
    corrected; the RR sheet has no row for estado 0 but the 04's (2398, not for an OSE), so a rejected
    one is not in the list, and reversing it must not turn its number into a reverted one (1033)."""
    if _with_store(source):
        for line, stored in _voided_lines(root, source):
            if stored is None or (stored["status"] == "rejected" and line.type_code in REVERTIBLE):
                yield "sac:DocumentNumberID", line.label


# -- comprobantes de percepción: the documents they collect on -------------------------------------------
_PERCEPTION = ("percepcion",)
_PERCEIVED = "sac:SUNATPerceptionDocumentReference"


def _perception_references(root: etree._Element, source: Any) -> Iterator[tuple[etree._Element, str, str, Any]]:
    """(reference, type, ID, stored document or None) of every electronic document a perception
    collects on — the agent's own facturas, boletas and notes, which the mock holds when they were
    sent to it.  Silent offline and when the profile does not check references."""
    if not _with_store(source) or (source.profile is not None and not source.profile.check_note_references):
        return
    for reference in root.iterfind(f"{{{ns.SAC}}}SUNATPerceptionDocumentReference"):
        id_node = reference.find(f"{{{ns.CBC}}}ID")
        if id_node is None:
            continue
        type_code, document_id = (id_node.get("schemeID") or "").strip(), (id_node.text or "").strip()
        serie, _, numero = document_id.partition("-")
        if type_code not in ("01", "03", "07", "08") or correlativo(numero) is None:
            continue
        yield reference, type_code, document_id, source.store.document(_emitter(root), type_code, serie, correlativo(numero))


@python_rule("2609", "SUNATPerceptionDocumentReference/cbc:ID", sheets=_PERCEPTION)
def perceived_document_unknown(root: etree._Element, source: Any) -> Violations:
    """A perception collects on an electronic document (serie E001/EB01, or F for 01/07/08) the mock never received."""
    for _, type_code, document_id, stored in _perception_references(root, source):
        electronic = document_id.startswith(("E001", "EB01")) or (type_code != "03" and document_id.startswith("F"))
        if electronic and stored is None:
            yield "sac:SUNATPerceptionDocumentReference/cbc:ID", document_id


@python_rule("2610", "SUNATPerceptionDocumentReference/cbc:IssueDate", sheets=_PERCEPTION)
def perceived_document_other_date(root: etree._Element, source: Any) -> Violations:
    """The issue date a perception states for a document differs from the one the mock holds."""
    for reference, _, document_id, stored in _perception_references(root, source):
        issued = (reference.findtext(f"{{{ns.CBC}}}IssueDate") or "").strip()
        if stored is not None and stored["issue_date"] and issued and iso_day(issued) != iso_day(stored["issue_date"]):
            yield "sac:SUNATPerceptionDocumentReference/cbc:IssueDate", issued


def _stored_root(stored: Any) -> etree._Element | None:
    from osemock.cpe.xmlparse import parse_xml

    if stored is None or not stored["xml"]:
        return None
    try:
        return parse_xml(stored["xml"])
    except Exception:  # a stored document always parsed once; never let it break the check
        return None


def _carries_perception(document: etree._Element) -> bool:
    """Operation type 2001 (sujeta a percepción) or a perception charge (51–53) above zero."""
    if (document.findtext(f"{{{ns.CBC}}}ProfileID") or "").strip() == "2001":
        return True
    amounts = xp(document, "cac:AllowanceCharge[cbc:AllowanceChargeReasonCode='51' or cbc:AllowanceChargeReasonCode='52'"
                             " or cbc:AllowanceChargeReasonCode='53']/cbc:Amount/text()")
    return any(_positive(a) for a in amounts)


def _positive(text: str) -> bool:
    amount = decimal_of(text)
    return amount is not None and amount > 0


@python_rule("3312", "SUNATPerceptionDocumentReference/cbc:ID", sheets=_PERCEPTION)
def perceived_factura_already_perceived(root: etree._Element, source: Any) -> Violations:
    """A (non-exceptional) perception collects on an electronic factura that already carries its perception."""
    for _, type_code, document_id, stored in _perception_references(root, source):
        document = _stored_root(stored) if type_code == "01" and not digits(document_id[:1]) else None
        if document is not None and _carries_perception(document):
            yield "sac:SUNATPerceptionDocumentReference/cbc:ID", document_id


@python_rule("3328", "SUNATPerceptionDocumentReference/cbc:ID", sheets=_PERCEPTION)
def perceived_boleta_already_perceived(root: etree._Element, source: Any) -> Violations:
    """A perception collects on an electronic boleta that already carries its perception."""
    for _, type_code, document_id, stored in _perception_references(root, source):
        document = _stored_root(stored) if type_code == "03" and not digits(document_id[:1]) else None
        if document is not None and _carries_perception(document):
            yield "sac:SUNATPerceptionDocumentReference/cbc:ID", document_id


@python_rule("3329", "SUNATPerceptionDocumentReference/cbc:ID", sheets=_PERCEPTION)
def perceived_factura_paid_cash(root: etree._Element, source: Any) -> Violations:
    """A (non-exceptional) perception may only collect on a factura sold on credit (or without a
    payment-form indicator): one whose FormaPago is Contado is refused."""
    for _, type_code, document_id, stored in _perception_references(root, source):
        document = _stored_root(stored) if type_code == "01" and not digits(document_id[:1]) else None
        if document is None:
            continue
        forms = xp(document, "cac:PaymentTerms[cbc:ID='FormaPago']/cbc:PaymentMeansID/text()")
        if forms and forms[0].strip() == "Contado":
            yield "sac:SUNATPerceptionDocumentReference/cbc:ID", document_id
