"""Rows SUNAT applies and an OSE does not ("Validación no aplica para OSE"): they run only when the
profile's channel is ``sunat`` (sunat-beta, sunat-prod), never at the default OSE, and stay silent
offline.

* Resumen de reversiones of liquidaciones de compra (type 04): the types an RR may list (2308), the
  04 serie format (2345), the 7-day limit (2958), a rejected 04 (2398).
* A nota de crédito may not exceed the importe total of the documents it modifies (3286 on facturas,
  4028 on boletas), and a type-13 note's pending amount may not exceed the factura's total (3320) —
  judged against the documents the mock holds.
"""
from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any, Iterator

from lxml import etree

from osemock.cpe.dates import day_of
from osemock.cpe.numbers import correlativo, decimal_of, digits
from osemock.server.rules.backend import _issuer, python_rule
from osemock.server.rules.patterns import xp

Violations = Iterator[tuple[str, str]]
_RR, _NC = ("resumen_reversiones",), ("nota_credito",)


def at_sunat(source: Any) -> bool:
    """Whether the document is judged as SUNAT itself would (not an OSE, not offline)."""
    return source is not None and getattr(source.profile, "channel", "ose") == "sunat"


def _lines(root: etree._Element) -> list[etree._Element]:
    return xp(root, "sac:VoidedDocumentsLine")


def _text(node: etree._Element, path: str) -> str:
    found = xp(node, path)
    if not found:
        return ""
    return (found[0] if isinstance(found[0], str) else found[0].text or "").strip()


@python_rule("2308", "VoidedDocumentsLine/cbc:DocumentTypeCode", sheets=_RR)
def reversal_of_another_type(root: etree._Element, source: Any) -> Violations:
    """At SUNAT an RR reverses retentions (20), perceptions (40) and liquidaciones de compra (04)."""
    if at_sunat(source):
        for line in _lines(root):
            if _text(line, "cbc:DocumentTypeCode") not in ("20", "40", "04"):
                yield "sac:VoidedDocumentsLine/cbc:DocumentTypeCode", _text(line, "cbc:DocumentTypeCode")


@python_rule("2345", "VoidedDocumentsLine/sac:DocumentSerialID", sheets=_RR)
def liquidacion_serie_format(root: etree._Element, source: Any) -> Violations:
    """A liquidación de compra's serie is L + 3 alphanumerics (electronic) or 1–4 digits (physical)."""
    if at_sunat(source):
        for line in _lines(root):
            serie = _text(line, "sac:DocumentSerialID")
            if _text(line, "cbc:DocumentTypeCode") == "04" and not re.fullmatch(r"L[A-Z0-9]{3}|[0-9]{1,4}", serie):
                yield "sac:DocumentSerialID", serie


@python_rule("2958", "VoidedDocumentsLine/sac:DocumentSerialID", sheets=_RR)
def liquidacion_reversed_too_late(root: etree._Element, source: Any) -> Violations:
    """An electronic liquidación de compra is reversed more than 7 days after its generation date
    (the RR's ReferenceDate)."""
    if not at_sunat(source) or source.now is None:
        return
    generated = day_of(_text(root, "cbc:ReferenceDate"))
    if generated is None or source.now.date() - generated <= timedelta(days=7):
        return
    for line in _lines(root):
        serie = _text(line, "sac:DocumentSerialID")
        if _text(line, "cbc:DocumentTypeCode") == "04" and not digits(serie[:1]):
            yield "sac:DocumentSerialID", serie


@python_rule("2398", "VoidedDocumentsLine/sac:DocumentNumberID", sheets=_RR)
def liquidacion_rejected(root: etree._Element, source: Any) -> Violations:
    """The liquidación de compra an RR reverses was rejected (state 0)."""
    if not at_sunat(source) or source.store is None:
        return
    ruc = _text(root, "cac:AccountingSupplierParty/cbc:CustomerAssignedAccountID")
    for line in _lines(root):
        number = _text(line, "sac:DocumentNumberID")
        if _text(line, "cbc:DocumentTypeCode") != "04" or correlativo(number) is None:
            continue
        stored = source.store.document(ruc, "04", _text(line, "sac:DocumentSerialID"), correlativo(number))
        if stored is not None and stored["status"] == "rejected":
            yield "sac:DocumentNumberID", number


# -- notas de crédito against what they modify ------------------------------------------------------------
def _modified_total(root: etree._Element, source: Any, types: tuple[str, ...], series: tuple[str, ...]) -> Decimal | None:
    """Σ importe total of the stored documents the note modifies (of ``types``, serie starting with
    ``series``); ``None`` when any of them is unknown or has no total (nothing to compare with)."""
    total, found = Decimal(0), False
    for reference in xp(root, "cac:BillingReference/cac:InvoiceDocumentReference"):
        type_code, document_id = _text(reference, "cbc:DocumentTypeCode"), _text(reference, "cbc:ID")
        serie, _, number = document_id.partition("-")
        if type_code not in types or not serie.startswith(series) or correlativo(number) is None:
            continue
        stored = source.store.document(_issuer(root), type_code, serie, correlativo(number))
        amount = decimal_of(stored["payable_amount"]) if stored is not None else None
        if amount is None:
            return None
        total, found = total + amount, True
    return total if found else None


def _note_exceeds(types: tuple[str, ...], series: tuple[str, ...]):
    def judge(root: etree._Element, source: Any) -> Violations:
        if not at_sunat(source) or source.store is None or _text(root, "cac:DiscrepancyResponse/cbc:ResponseCode") == "10":
            return
        limit = _modified_total(root, source, types, series)
        payable = decimal_of(_text(root, "cac:LegalMonetaryTotal/cbc:PayableAmount"))
        if limit is not None and payable is not None and payable > limit:
            yield "cac:LegalMonetaryTotal/cbc:PayableAmount", str(payable)
    return judge


python_rule("3286", "InvoiceDocumentReference/cbc:ID", sheets=_NC)(_note_exceeds(("01",), ("F", "E")))
python_rule("4028", "InvoiceDocumentReference/cbc:ID", sheets=_NC)(_note_exceeds(("03", "30", "34", "42"), ("B", "F", "E")))


@python_rule("3320", "PaymentTerms/cbc:Amount", sheets=_NC)
def pending_amount_above_the_factura(root: etree._Element, source: Any) -> Violations:
    """A type-13 note's pending amount (FormaPago Credito) exceeds the importe total of its factura."""
    if not at_sunat(source) or source.store is None or _text(root, "cac:DiscrepancyResponse/cbc:ResponseCode") != "13":
        return
    limit = _modified_total(root, source, ("01",), ("F", "E"))
    for amount in xp(root, "cac:PaymentTerms[cbc:ID='FormaPago' and cbc:PaymentMeansID='Credito']/cbc:Amount/text()"):
        value = decimal_of(amount)
        if limit is not None and value is not None and value > limit:
            yield "cac:PaymentTerms/cbc:Amount", amount.strip()
