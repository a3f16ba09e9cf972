"""What the protocol layer needs to know about a CPE document, read without judging it.

:func:`read_header` pulls the identity (type, serie, number, emitter RUC), dates, customer, totals and
the signature digest out of any of the document roots SUNAT accepts.  Missing parts are ``None``:
reporting them is the rules engine's job, not the reader's.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from lxml import etree

from osemock.cpe import ns
from osemock.cpe.dates import iso_day

#: Root element (local name) each document type must have.
EXPECTED_ROOTS: dict[str, str] = {
    "01": "Invoice", "03": "Invoice", "04": "Invoice", "07": "CreditNote", "08": "DebitNote",
    "09": "DespatchAdvice", "31": "DespatchAdvice", "RC": "SummaryDocuments", "RA": "VoidedDocuments",
    "RR": "VoidedDocuments", "20": "Retention", "40": "Perception",
}

_NS = dict(ns.UBL)
_SERIE_NUMERO = re.compile(r"([A-Z0-9]{1,4})-0*([0-9]{1,8})")


@dataclass(frozen=True)
class DocumentHeader:
    """The identity and headline data of a document.  ``issue_date`` and ``reference_date`` are the day
    alone (``YYYY-MM-DD``, an xs:date's offset dropped: :mod:`osemock.cpe.dates`) when they are dates."""

    root: str
    type_code: str | None
    id: str | None
    serie: str | None
    numero: int | None
    issuer_ruc: str | None
    issuer_name: str | None
    issue_date: str | None
    issue_time: str | None
    reference_date: str | None
    customer_doc_type: str | None
    customer_doc_number: str | None
    currency: str | None
    """DocumentCurrencyCode; a retención's or percepción's, which has none, its total's currencyID."""
    payable_amount: str | None
    total_amount: str | None
    """The importe total a printed representation shows: ``payable_amount`` (PayableAmount) of an
    invoice or note; a retención's or percepción's ``cbc:TotalInvoiceAmount`` (the amount retained or
    perceived), as it has no PayableAmount.  What the store keeps and the buyer's consult compares."""
    igv_amount: str | None
    digest_value: str | None
    ubl_version: str | None
    customization_id: str | None


@lru_cache(maxsize=None)
def _compiled(path: str) -> etree.XPath:
    """The XPath compiled once (a string XPath is compiled again on every call)."""
    return etree.XPath(path, namespaces=_NS, regexp=False)  # no EXSLT regular expressions to register


def _text(root: etree._Element, path: str) -> str | None:
    found = _compiled(path)(root)
    if not found:
        return None
    value = found[0] if isinstance(found[0], str) else found[0].text
    return value.strip() if value and value.strip() else None


def _type_code(root: etree._Element, local: str, doc_id: str | None) -> str | None:
    if local == "Invoice":
        return _text(root, "cbc:InvoiceTypeCode")
    if local == "VoidedDocuments":
        return "RR" if (doc_id or "").startswith("RR") else "RA"
    if local == "DespatchAdvice":
        return _text(root, "cbc:DespatchAdviceTypeCode")
    return {"CreditNote": "07", "DebitNote": "08", "SummaryDocuments": "RC", "Retention": "20",
            "Perception": "40"}.get(local)


def read_header(root: etree._Element) -> DocumentHeader:
    """The header of a parsed document (any root SUNAT takes)."""
    local = etree.QName(root).localname
    doc_id = _text(root, "cbc:ID")
    serie = numero = None
    match = _SERIE_NUMERO.fullmatch(doc_id or "")
    if match and local not in ("SummaryDocuments", "VoidedDocuments"):
        serie, numero = match[1], int(match[2])
    if local in ("Retention", "Perception"):
        issuer = _text(root, "cac:AgentParty/cac:PartyIdentification/cbc:ID")
        issuer_name = _text(root, "cac:AgentParty/cac:PartyLegalEntity/cbc:RegistrationName")
        customer = "cac:ReceiverParty/cac:PartyIdentification/cbc:ID"
    elif local in ("SummaryDocuments", "VoidedDocuments"):
        issuer = _text(root, "cac:AccountingSupplierParty/cbc:CustomerAssignedAccountID") or _text(
            root, "cac:AccountingSupplierParty/cac:Party/cac:PartyIdentification/cbc:ID")
        issuer_name = _text(root, "cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName")
        customer = None
    elif local == "DespatchAdvice":
        issuer = _text(root, "cac:DespatchSupplierParty/cac:Party/cac:PartyIdentification/cbc:ID")
        issuer_name = _text(root, "cac:DespatchSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName")
        customer = "cac:DeliveryCustomerParty/cac:Party/cac:PartyIdentification/cbc:ID"
    else:
        issuer = _text(root, "cac:AccountingSupplierParty/cac:Party/cac:PartyIdentification/cbc:ID")
        issuer_name = _text(root, "cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName")
        customer = "cac:AccountingCustomerParty/cac:Party/cac:PartyIdentification/cbc:ID"
    digest = _text(root, "ext:UBLExtensions//ds:Signature/ds:SignedInfo/ds:Reference/ds:DigestValue") or _text(
        root, ".//ds:Signature/ds:SignedInfo/ds:Reference/ds:DigestValue")
    payable = _text(root, "cac:LegalMonetaryTotal/cbc:PayableAmount") or _text(
        root, "cac:RequestedMonetaryTotal/cbc:PayableAmount")
    currency = _text(root, "cbc:DocumentCurrencyCode")
    total = payable
    if local in ("Retention", "Perception"):  # no PayableAmount, no DocumentCurrencyCode
        total = _text(root, "cbc:TotalInvoiceAmount")
        currency = currency or _text(root, "cbc:TotalInvoiceAmount/@currencyID")
    return DocumentHeader(
        root=local,
        type_code=_type_code(root, local, doc_id),
        id=doc_id,
        serie=serie,
        numero=numero,
        issuer_ruc=issuer,
        issuer_name=issuer_name,
        issue_date=iso_day(_text(root, "cbc:IssueDate")),
        issue_time=_text(root, "cbc:IssueTime"),
        reference_date=iso_day(_text(root, "cbc:ReferenceDate")),
        customer_doc_type=_text(root, f"{customer}/@schemeID") if customer else None,
        customer_doc_number=_text(root, customer) if customer else None,
        currency=currency,
        payable_amount=payable,
        total_amount=total,
        igv_amount=_text(root, "cac:TaxTotal/cbc:TaxAmount"),
        digest_value=digest,
        ubl_version=_text(root, "cbc:UBLVersionID"),
        customization_id=_text(root, "cbc:CustomizationID"),
    )
