"""The payments family's Python rules: the arithmetic of charges (amount = base × factor), the cuotas
that add up to the amount due, and the rows that look at another part of the document (an advance
names the document it was invoiced on, a detracción comes with its account) or at the mock's store
(the modified invoice, the invoice of an advance).  Simple rows are data and sentences in
:mod:`.payments`.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Iterator

from lxml import etree

from osemock.cpe import ns
from osemock.cpe.dates import day_of
from osemock.cpe.numbers import correlativo, decimal_of
from osemock.server.rules.backend import python_rule
from osemock.server.rules.families.payments import BUYER_SCHEME, CUOTA_ID
from osemock.server.rules.patterns import text
from osemock.server.rules.patterns import xp

Node = etree._Element
Violations = Iterator[tuple[str, str]]


def _amount(node: Node, path: str) -> Decimal | None:
    """The amount at ``path`` under ``node`` (``None`` when absent or not a number)."""
    found = xp(node, path)
    return decimal_of(found[0] if isinstance(found[0], str) else found[0].text or "") if found else None


def _charges(root: Node, *reasons: str) -> list[Node]:
    charges = xp(root, "cac:AllowanceCharge")
    if not reasons:
        return charges
    return [c for c in charges if (c.findtext(f"{{{ns.CBC}}}AllowanceChargeReasonCode") or "").strip() in reasons]


def _charge_off_its_factor(root: Node, *reasons: str) -> Violations:
    for charge in _charges(root, *reasons):
        if not (charge.findtext(f"{{{ns.CBC}}}AllowanceChargeReasonCode") or "").strip():
            continue
        factor, base = _amount(charge, "cbc:MultiplierFactorNumeric"), _amount(charge, "cbc:BaseAmount")
        amount = _amount(charge, "cbc:Amount")
        if factor and factor > 0 and base is not None and amount is not None and abs(amount - base * factor) > 1:
            yield "cac:AllowanceCharge/cbc:Amount", str(amount)


@python_rule("3307", "cac:AllowanceCharge/cbc:Amount", sheets=("factura",))
@python_rule("4322", "cac:AllowanceCharge/cbc:Amount", sheets=("boleta",))
def charge_is_base_times_factor(root: Node, source: Any) -> Violations:
    """A global charge or discount with a factor above zero = its base × the factor (± 1)."""
    yield from _charge_off_its_factor(root)


@python_rule("2798", "cac:AllowanceCharge/cbc:Amount", sheets=("factura", "boleta"))
def perception_is_base_times_factor(root: Node, source: Any) -> Violations:
    """The perception (reasons 51, 52, 53) = its base × its factor (± 1): factura row 466, boleta row 460.
    Their LISTADOS column names Parámetros (019), the regimes' rates (catálogo 22), but the condition
    multiplies the document's own fields; a perception without a factor is not judged here.  On a
    factura 3307 (every charge with a factor, row 400) answers first; on a boleta that row is the
    observation 4322, and this error is what refuses the document."""
    yield from _charge_off_its_factor(root, "51", "52", "53")


@python_rule("3263", "cac:AllowanceCharge/cbc:Amount", sheets=("factura",))
def retention_is_base_times_rate(root: Node, source: Any) -> Violations:
    """The IGV retention (reason 62) = the operation's amount × the retention rate as a factor (± 1)."""
    yield from _charge_off_its_factor(root, "62")


def _prepaid_total(root: Node) -> Decimal:
    """'Total de anticipos' (zero when absent)."""
    return _amount(root, "cac:LegalMonetaryTotal/cbc:PrepaidAmount") or Decimal(0)


@python_rule("3282", "cac:AllowanceCharge/cbc:Amount")
def advance_discount_without_advances(root: Node, source: Any) -> Violations:
    """A discount for advances (reasons 04, 05, 06, 20) above zero needs a 'Total de anticipos' above zero."""
    for charge in _charges(root, "04", "05", "06", "20"):
        amount = _amount(charge, "cbc:Amount")
        if amount is not None and amount > 0 and _prepaid_total(root) <= 0:
            yield "cac:AllowanceCharge/cbc:Amount", str(amount)


@python_rule("3220", "cac:PrepaidPayment/cbc:PaidAmount")
def advance_without_total_of_advances(root: Node, source: Any) -> Violations:
    """An advance above zero needs a 'Total de anticipos' above zero."""
    for paid in xp(root, "cac:PrepaidPayment/cbc:PaidAmount"):
        amount = decimal_of(paid.text or "")
        if amount is not None and amount > 0 and _prepaid_total(root) <= 0:
            yield "cac:PrepaidPayment/cbc:PaidAmount", str(amount)


@python_rule("3213", "cac:PrepaidPayment/cbc:ID")
def advance_without_its_document(root: Node, source: Any) -> Violations:
    """Each advance names, by its payment identifier (cbc:DocumentStatusCode), the factura or boleta
    issued for it (cac:AdditionalDocumentReference of type 02 or 03, catalog 12)."""
    named = {text(code) for code in xp(root, "cac:AdditionalDocumentReference[cbc:DocumentTypeCode='02' or cbc:DocumentTypeCode='03']/cbc:DocumentStatusCode")}
    for identifier in xp(root, "cac:PrepaidPayment/cbc:ID"):
        if text(identifier) and text(identifier) not in named:
            yield "cac:PrepaidPayment/cbc:ID", text(identifier)


def _formas_de_pago(root: Node) -> list[Node]:
    return xp(root, "cac:PaymentTerms[cbc:ID='FormaPago']")


def _forma(terms: Node) -> str:
    return (terms.findtext(f"{{{ns.CBC}}}PaymentMeansID") or "").strip()


def _buyer_has_ruc(root: Node) -> bool:
    return "6" in [s.strip() for s in xp(root, BUYER_SCHEME)]


@python_rule("3247", "cac:PaymentTerms/cbc:PaymentMeansID")
def cash_and_credit(root: Node, source: Any) -> Violations:
    """A sale is either al Contado or al Credito, never both ("más de un tag … 'Contado' y también …
    'Credito'" read as: both formas de pago are present; a repeated one is 3248's business)."""
    formas = [_forma(terms) for terms in _formas_de_pago(root)]
    if "Contado" in formas and "Credito" in formas:
        yield "cac:PaymentTerms/cbc:PaymentMeansID", "Credito"


@python_rule("3249", "cac:PaymentTerms/cbc:PaymentMeansID")
def credit_without_instalments(root: Node, source: Any) -> Violations:
    """A sale al Credito to a buyer with RUC lists at least one cuota (Cuota001…)."""
    formas = [_forma(terms) for terms in _formas_de_pago(root)]
    if "Credito" in formas and _buyer_has_ruc(root) and not any(CUOTA_ID.fullmatch(f) for f in formas):
        yield "cac:PaymentTerms/cbc:PaymentMeansID", "Credito"


@python_rule("3319", "cac:PaymentTerms/cbc:Amount")
def instalments_add_up_to_the_credit(root: Node, source: Any) -> Violations:
    """For a buyer with RUC, the amount due al Credito = the sum of the cuotas (exactly: the row states
    no tolerance, and both are amounts the emitter chose to the cent)."""
    if not _buyer_has_ruc(root):
        return
    terms = _formas_de_pago(root)
    credit = [t for t in terms if _forma(t) == "Credito"]
    cuotas = [t for t in terms if CUOTA_ID.fullmatch(_forma(t))]
    if not credit or not cuotas:
        return
    due = _amount(credit[0], "cbc:Amount")
    amounts = [_amount(t, "cbc:Amount") for t in cuotas]
    if due is not None and None not in amounts and sum(amounts, Decimal(0)) != due:
        yield "cac:PaymentTerms/cbc:Amount", str(due)


@python_rule("3313", "cac:PaymentTerms/cbc:ID", sheets=("nota_debito",))
def detraction_code_without_account(root: Node, source: Any) -> Violations:
    """A detracción's good or service (PaymentTerms 'Detraccion') comes with its account (PaymentMeans 'Detraccion')."""
    if xp(root, "cac:PaymentTerms[cbc:ID='Detraccion']") and \
            not xp(root, "cac:PaymentMeans[cbc:ID='Detraccion']"):
        yield "cac:PaymentTerms/cbc:ID", "Detraccion"


@python_rule("3314", "cac:PaymentMeans/cbc:ID", sheets=("nota_debito",))
def detraction_account_without_code(root: Node, source: Any) -> Violations:
    """A detracción's account (PaymentMeans 'Detraccion') comes with its good or service (PaymentTerms 'Detraccion')."""
    if xp(root, "cac:PaymentMeans[cbc:ID='Detraccion']") and \
            not xp(root, "cac:PaymentTerms[cbc:ID='Detraccion']"):
        yield "cac:PaymentMeans/cbc:ID", "Detraccion"


@python_rule("3321", "cac:PaymentTerms/cbc:PaymentDueDate", sheets=("nota_credito",))
def instalment_due_before_the_invoice(root: Node, source: Any) -> Violations:
    """A credit note's cuota falls due after the issue date of the invoice it modifies (the stored
    document: silent offline, or when the reference is not one the mock can look up).  Whatever the
    note's type: row 450 names none, so a type-10 note's cuotas are judged too."""
    from osemock.server.rules.backend import _note_references

    dates = [day for _, stored in _note_references(root, source, with_type_10=True)
             if stored is not None and (day := day_of(stored["issue_date"])) is not None]
    if not dates:
        return
    issued = max(dates)
    for terms in _formas_de_pago(root):
        due = (terms.findtext(f"{{{ns.CBC}}}PaymentDueDate") or "").strip()
        day = day_of(due)
        if CUOTA_ID.fullmatch(_forma(terms)) and day is not None and day <= issued:
            yield "cac:PaymentTerms/cbc:PaymentDueDate", due


#: The document type an advance was invoiced on, by its 'Tipo de comprobante que se realizó el anticipo'.
_ADVANCE_INVOICED_ON = {"02": "01", "03": "03"}


@python_rule("3218", "cac:AdditionalDocumentReference/cac:IssuerParty/cac:PartyIdentification/cbc:ID")
def advance_document_not_accepted(root: Node, source: Any) -> Violations:
    """An advance invoiced electronically (serie B, F or E) by the same emitter must be a document the
    OSE accepted (the store of a running mock with reference checks on; silent offline)."""
    if source is None or source.store is None or \
            (source.profile is not None and not getattr(source.profile, "check_note_references", True)):
        return
    issuer = (xp(root, "cac:AccountingSupplierParty/cac:Party/cac:PartyIdentification/cbc:ID/text()")
              or [""])[0].strip()
    for reference in xp(root, "cac:AdditionalDocumentReference[cbc:DocumentStatusCode]"):
        invoiced_on = _ADVANCE_INVOICED_ON.get((reference.findtext(f"{{{ns.CBC}}}DocumentTypeCode") or "").strip())
        serie, _, numero = (reference.findtext(f"{{{ns.CBC}}}ID") or "").strip().partition("-")
        its_issuer = (xp(reference, "cac:IssuerParty/cac:PartyIdentification/cbc:ID/text()")
                      or [""])[0].strip()
        if invoiced_on is None or serie[:1] not in ("B", "F", "E") or correlativo(numero) is None or its_issuer != issuer:
            continue
        stored = source.store.document(issuer, invoiced_on, serie, correlativo(numero))
        if stored is None or stored["status"] != "accepted":
            yield "cac:AdditionalDocumentReference/cbc:ID", f"{serie}-{numero}"
