"""Rules that need the mock's state or the clock: the emitter registry (2010, 2011) and the issue-date
deadlines (2108, 2329).  Each is bound to the workbook rows of its code, so it runs in SUNAT's order
with the compiled rows; offline (no store, no clock) they stay silent.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Callable, Iterator

from lxml import etree

from osemock.cpe import ns
from osemock.cpe.dates import day_of
from osemock.cpe.numbers import correlativo, digits
from osemock.server.rules.workbook import WorkbookRow
from osemock.server.rules.patterns import memo, xp

Violations = Iterator[tuple[str, str]]
Rule = Callable[[etree._Element, Any], Violations]


@dataclass(frozen=True)
class _Registered:
    code: str
    tag_contains: str | None
    sheets: frozenset[str] | None
    run: Rule


_RULES: list[_Registered] = []


def python_rule(code: str, tag_contains: str | None = None, sheets: tuple[str, ...] | None = None) -> Callable[[Rule], Rule]:
    """Bind a Python rule to every workbook row of ``code`` (whose tag contains ``tag_contains``, in
    ``sheets`` when given)."""
    def register(function: Rule) -> Rule:
        # What the rule says depends on the document only, not on which of its rows it runs for, so
        # the engine runs it once per code (``engine._distinct``).  The function object is its
        # identity: the functions one factory makes share a qualified name.
        function.identity = ("python", id(function))  # type: ignore[attr-defined]
        _RULES.append(_Registered(code, tag_contains, frozenset(sheets) if sheets else None, function))
        return function
    return register


def python_rule_for(row: WorkbookRow) -> Any:
    """The compiled :class:`Check` of a row implemented in Python, or ``None``."""
    from osemock.server.rules import arithmetic  # noqa: F401 - registers the arithmetic rules
    from osemock.server.rules.patterns import Check

    for registered in _RULES:
        if registered.code == row.code and (registered.tag_contains is None or registered.tag_contains in row.tag) \
                and (registered.sheets is None or row.sheet in registered.sheets):
            return Check(row, "python", registered.run)
    return None


def _issuer(root: etree._Element) -> str:
    """The emitter's RUC (UBL 2.0 summaries name it in CustomerAssignedAccountID)."""
    found = xp(root, "cac:AccountingSupplierParty/cac:Party/cac:PartyIdentification/cbc:ID/text()"
                       " | cac:AccountingSupplierParty/cbc:CustomerAssignedAccountID/text()")
    return found[0].strip() if found else ""


def _registered_emitter(root: etree._Element, source: Any) -> Any:
    """The registry's row of the document's emitter, read once per document."""
    return memo("registered emitter", root, lambda element: source.store.emitter(_issuer(element)))


@python_rule("2010")
def emitter_not_active(root: etree._Element, source: Any) -> Violations:
    """The registry says the emitter's RUC is not ACTIVO."""
    if source is None or source.store is None:
        return
    emitter = _registered_emitter(root, source)
    if emitter is not None and emitter["status"].upper() != "ACTIVO":
        yield "cac:PartyIdentification/cbc:ID", _issuer(root)


@python_rule("2011")
def emitter_not_habido(root: etree._Element, source: Any) -> Violations:
    """The registry says the emitter is NO HABIDO (ind_condicion 12)."""
    if source is None or source.store is None:
        return
    emitter = _registered_emitter(root, source)
    if emitter is not None and emitter["condition"].upper().replace("_", " ") in ("NO HABIDO", "12"):
        yield "cac:PartyIdentification/cbc:ID", _issuer(root)


def _issue_date(root: etree._Element) -> date | None:
    """The document's issue day (an xs:date's offset dropped: ``2026-11-26-05:00`` is the 26th)."""
    return day_of(root.findtext(f"{{{ns.CBC}}}IssueDate"))


def _serie_starts_with_digit(root: etree._Element) -> bool:
    return digits((root.findtext(f"{{{ns.CBC}}}ID") or "x").strip()[:1])


@python_rule("2108", "IssueDate")
def sent_too_late(root: etree._Element, source: Any) -> Violations:
    """Received more than the profile's ``max_days_late`` after the issue date (not for contingency series,
    nor for notes of serie B, which have their own deadline: 1079)."""
    if source is None or source.now is None or source.profile is None or _serie_starts_with_digit(root):
        return
    if etree.QName(root).localname in _NOTE_TYPES and (root.findtext(f"{{{ns.CBC}}}ID") or "").strip().startswith("B"):
        return
    issued = _issue_date(root)
    if issued is not None and (source.now.date() - issued) > timedelta(days=source.profile.max_days_late):
        yield "cbc:IssueDate", issued.isoformat()


@python_rule("2329", "IssueDate")
def issued_in_the_future(root: etree._Element, source: Any) -> Violations:
    """The issue date is more than two days after the day it was sent."""
    if source is None or source.now is None:
        return
    issued = _issue_date(root)
    if issued is not None and issued > source.now.date() + timedelta(days=2):
        yield "cbc:IssueDate", issued.isoformat()


# -- notes against the documents they modify (store) ------------------------------------------------
_NOTE_TYPES = {"CreditNote": "cbc:ResponseCode", "DebitNote": "cbc:ResponseCode"}
_MODIFIABLE = {"01", "03", "30", "34", "42"}
#: The types whose currency a note must keep (3209: facturas and the documents that stand for them).
_SAME_CURRENCY = {"01", "30", "34", "35", "42"}


def _note_type(root: etree._Element) -> str:
    return (root.findtext(f"{{{ns.CAC}}}DiscrepancyResponse/{{{ns.CBC}}}ResponseCode") or "").strip()


def _note_references(root: etree._Element, source: Any, types: set[str] = _MODIFIABLE,
                     with_type_10: bool = False) -> list[tuple[etree._Element, Any]]:
    """Every document the note modifies that the rows about it judge, as (reference node, stored row
    or None): an electronic document of ``types`` of serie B/F/E, checked against the store of a
    running mock with reference checks on; a credit note of type 10 (otros conceptos) only
    ``with_type_10``: the rows that say "diferente de '10'" leave it out, the ones that name no type
    (3209, 4368, 3321) ask for it.  Each of them, not the first alone: a note may modify several.  Looked up once
    per document, for the several rules that ask."""
    if source is None or source.store is None or etree.QName(root).localname not in _NOTE_TYPES:
        return []
    return memo(f"note references {sorted(types)} {with_type_10}", root,
                lambda element: _looked_up(element, source, types, with_type_10))


def _looked_up(root: etree._Element, source: Any, types: set[str], with_type_10: bool) -> list[tuple[etree._Element, Any]]:
    if source.profile is not None and not getattr(source.profile, "check_note_references", True):
        return []
    if etree.QName(root).localname == "CreditNote" and _note_type(root) == "10" and not with_type_10:
        return []
    found = []
    for reference in xp(root, "cac:BillingReference/cac:InvoiceDocumentReference"):
        ref_type = (reference.findtext(f"{{{ns.CBC}}}DocumentTypeCode") or "").strip()
        serie, _, number = _reference_id(reference).partition("-")
        if ref_type not in types or serie[:1] not in ("B", "F", "E") or correlativo(number) is None:
            continue
        found.append((reference, source.store.document(_issuer(root), ref_type, serie, correlativo(number))))
    return found


def _reference_id(reference: etree._Element) -> str:
    return (reference.findtext(f"{{{ns.CBC}}}ID") or "").strip()


@python_rule("2119", "BillingReference")
@python_rule("2209", "BillingReference")
def modified_document_unknown(root: etree._Element, source: Any) -> Violations:
    """The note modifies a document the OSE never accepted or received."""
    for reference, stored in _note_references(root, source):
        if stored is None:
            yield "cac:InvoiceDocumentReference/cbc:ID", _reference_id(reference)


@python_rule("2120", "BillingReference")
@python_rule("2207", "BillingReference")
def modified_document_voided(root: etree._Element, source: Any) -> Violations:
    """The note modifies a document voided by a comunicación de baja or a summary."""
    for reference, stored in _note_references(root, source):
        if stored is not None and stored["status"] == "voided":
            yield "cac:InvoiceDocumentReference/cbc:ID", _reference_id(reference)


@python_rule("2121", "BillingReference")
@python_rule("2208", "BillingReference")
def modified_document_rejected(root: etree._Element, source: Any) -> Violations:
    """The note modifies a document that was rejected."""
    for reference, stored in _note_references(root, source):
        if stored is not None and stored["status"] == "rejected":
            yield "cac:InvoiceDocumentReference/cbc:ID", _reference_id(reference)


@python_rule("2885", "BillingReference")
def note_older_than_its_document(root: etree._Element, source: Any) -> Violations:
    """The note is dated before a document it modifies (not a debit note of type 03, penalidades:
    its row leaves that type out)."""
    issued = _issue_date(root)
    if issued is None or (etree.QName(root).localname == "DebitNote" and _note_type(root) == "03"):
        return
    for _, stored in _note_references(root, source):
        modified = day_of(stored["issue_date"]) if stored is not None else None
        if modified is not None and issued < modified:
            yield "cbc:IssueDate", issued.isoformat()


@python_rule("3209", "BillingReference")
def note_in_another_currency(root: etree._Element, source: Any) -> Violations:
    """A note on a factura (or a document standing for one) must be in its currency, whatever the
    note's type: the row names none."""
    currency = (root.findtext(f"{{{ns.CBC}}}DocumentCurrencyCode") or "").strip()
    for reference, stored in _note_references(root, source, _SAME_CURRENCY, with_type_10=True):
        if (stored is not None and stored["currency"] and _reference_id(reference).startswith(("F", "E"))
                and currency != stored["currency"]):
            yield "cbc:DocumentCurrencyCode", currency
