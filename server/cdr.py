"""The CDR (Constancia de Recepción): an ApplicationResponse, signed, in OSE or SUNAT style.

OSE style follows the workbook's CDR-OSE sheets (PROTOCOL.md §9.2): UBL 2.1, a UUID v4 ID, sender
and receiver as ``PartyLegalEntity/CompanyID``, ResponseCode fixed at 0 with one ``cac:Status`` per
observation, and a DocumentReference carrying the CPE's DigestValue as DocumentHash.  SUNAT style is
the CDR SUNAT itself answers (§9.1): SenderParty 20131312955, observations as ``cbc:Note``, and in
production a rejection code in ResponseCode.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from lxml import etree

from osemock.cpe import ns
from osemock.cpe.archive import write_cdr_zip
from osemock.cpe.catalog import lookup
from osemock.cpe.signature import KeyPair, sign

SUNAT_RUC = "20131312955"
_CATALOG6 = {"schemeAgencyName": "PE:SUNAT", "schemeURI": "urn:pe:gob:sunat:cpe:see:gem:catalogos:catalogo6"}
_NAMES = {
    "01": ("La Factura numero {id}, ha sido aceptada", True),
    "03": ("La Boleta numero {id}, ha sido aceptada", True),
    "04": ("La Liquidacion de compra numero {id}, ha sido aceptada", True),
    "07": ("La Nota de Credito numero {id}, ha sido aceptada", True),
    "08": ("La Nota de Debito numero {id}, ha sido aceptada", True),
    "20": ("El Comprobante numero {id} ha sido aceptado", True),
    "40": ("El Comprobante numero {id} ha sido aceptado", True),
    "RC": ("El Resumen diario {id}, ha sido aceptado", False),
    "RA": ("La Comunicacion de baja {id}, ha sido aceptada", False),
    "RR": ("El Resumen de reversiones {id}, ha sido aceptado", False),
}


@dataclass(frozen=True)
class CdrNote:
    """An observation carried by an accepted CDR; its message comes from the catalog."""

    code: str
    detail: str | None = None
    """Which node and value (SUNAT's CDR appends it to its cbc:Note as ``- INFO: …``; an OSE's does not)."""


@dataclass(frozen=True)
class CdrContent:
    """Everything a CDR states, independent of its style."""

    cdr_id: str
    reference_id: str
    document_type: str
    issuer_ruc: str
    sender_ruc: str
    received_at: datetime
    responded_at: datetime
    response_code: str = "0"
    rejection_detail: str | None = None
    notes: tuple[CdrNote, ...] = ()
    document_issue_date: str | None = None
    document_issue_time: str | None = None
    document_hash: str | None = None
    recipient_doc_type: str | None = None
    recipient_doc_number: str | None = None

    @property
    def is_summary(self) -> bool:
        return self.document_type in ("RC", "RA", "RR")


def describe(document_type: str, reference_id: str, response_code: str, detail: str | None = None) -> str:
    """The CDR's Description: "La Factura numero F001-1, ha sido aceptada", or the rejection message."""
    if response_code != "0":
        return lookup(response_code).message + (f" - Detalle: {detail}" if detail else "")
    template, _ = _NAMES.get(document_type, ("El Comprobante numero {id}, ha sido aceptado", True))
    return template.format(id=reference_id)


def _el(parent: etree._Element, prefix_ns: str, local: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, ns.q(prefix_ns, local), {k: v for k, v in attrs.items()})
    if text is not None:
        element.text = text
    return element


def _time(moment: datetime, ose: bool) -> str:
    return moment.strftime("%H:%M:%S.") + f"{moment.microsecond // 10:05d}" if ose else moment.strftime("%H:%M:%S")


def _root(nsmap: dict[str | None, str]) -> etree._Element:
    root = etree.Element(ns.q(ns.APPLICATION_RESPONSE, "ApplicationResponse"), nsmap=nsmap)
    extension = _el(_el(root, ns.EXT, "UBLExtensions"), ns.EXT, "UBLExtension")
    _el(extension, ns.EXT, "ExtensionContent")
    return root


_CLOCK_TIME = re.compile(r"[0-9]{2}:[0-9]{2}:[0-9]{2}")


def _header(root: etree._Element, content: CdrContent, *, ose: bool, beta: bool = False) -> None:
    """UBL version, ID and the reception/response date-times (OSE times carry 5 decimals).  SUNAT's
    beta writes the document's issue date and time as one dateTime instead of the reception, IssueTime
    00:00:00, and an empty IssueDate for a summary (PROTOCOL.md §9.1).  Its three real CDRs show
    2018-09-20T09:16:25 (an hour before the response, so not the reception), 2021-01-03T23:54:17, and
    2019-12-24T00:00:00 for a factura with no IssueTime: the time is the document's, midnight without one."""
    _el(root, ns.CBC, "UBLVersionID", "2.1" if ose else "2.0")
    _el(root, ns.CBC, "CustomizationID", "1.0")
    _el(root, ns.CBC, "ID", content.cdr_id)
    if beta:
        issued = content.document_issue_date if not content.is_summary else None
        at = _CLOCK_TIME.match(content.document_issue_time or "")
        _el(root, ns.CBC, "IssueDate", f"{issued}T{at.group(0) if at else '00:00:00'}" if issued else None)
        _el(root, ns.CBC, "IssueTime", "00:00:00")
    else:
        _el(root, ns.CBC, "IssueDate", content.received_at.strftime("%Y-%m-%d"))
        _el(root, ns.CBC, "IssueTime", _time(content.received_at, ose))
    _el(root, ns.CBC, "ResponseDate", content.responded_at.strftime("%Y-%m-%d"))
    _el(root, ns.CBC, "ResponseTime", _time(content.responded_at, ose))


def _signature_block(root: etree._Element, signature_id: str, ruc: str, name: str, uri: str) -> None:
    block = _el(root, ns.CAC, "Signature")
    _el(block, ns.CBC, "ID", signature_id)
    party = _el(block, ns.CAC, "SignatoryParty")
    _el(_el(party, ns.CAC, "PartyIdentification"), ns.CBC, "ID", ruc)
    _el(_el(party, ns.CAC, "PartyName"), ns.CBC, "Name", name)
    _el(_el(_el(block, ns.CAC, "DigitalSignatureAttachment"), ns.CAC, "ExternalReference"), ns.CBC, "URI", uri)


def build_ose_cdr(content: CdrContent, *, ose_ruc: str, ose_name: str) -> etree._Element:
    """The unsigned OSE-style CDR (CDR-OSE sheets of SUNAT's workbook)."""
    root = _root({"ar": ns.APPLICATION_RESPONSE, "cac": ns.CAC, "cbc": ns.CBC, "ext": ns.EXT, "ds": ns.DS})
    _header(root, content, ose=True)
    _signature_block(root, "SignOSE", ose_ruc, ose_name, "SignOSE")  # the real OSE CDR's URI has no "#"
    for role, ruc in (("SenderParty", content.sender_ruc), ("ReceiverParty", ose_ruc)):
        entity = _el(_el(root, ns.CAC, role), ns.CAC, "PartyLegalEntity")
        _el(entity, ns.CBC, "CompanyID", ruc, schemeID="6", **_CATALOG6)
    response_block = _el(root, ns.CAC, "DocumentResponse")
    response = _el(response_block, ns.CAC, "Response")
    _el(response, ns.CBC, "ResponseCode", content.response_code, listAgencyName="PE:SUNAT")
    _el(response, ns.CBC, "Description",
        describe(content.document_type, content.reference_id, content.response_code, content.rejection_detail)[:250])
    for note in content.notes:
        status = _el(response, ns.CAC, "Status")
        _el(status, ns.CBC, "StatusReasonCode", note.code,
            listURI="urn:pe:gob:sunat:cpe:see:gem:codigos:codigoretorno")
        # the catalog's message as it stands (the real OSE CDR); which node it is about is the portal's
        _el(status, ns.CBC, "StatusReason", lookup(note.code).message[:1000])
    reference = _el(response_block, ns.CAC, "DocumentReference")
    _el(reference, ns.CBC, "ID", content.reference_id)
    if content.document_issue_date:
        _el(reference, ns.CBC, "IssueDate", content.document_issue_date)
    if content.document_issue_time:
        _el(reference, ns.CBC, "IssueTime", content.document_issue_time)
    _el(reference, ns.CBC, "DocumentTypeCode", content.document_type)
    if content.document_hash:
        _el(_el(_el(reference, ns.CAC, "Attachment"), ns.CAC, "ExternalReference"), ns.CBC, "DocumentHash",
            content.document_hash)
    # the document's parties carry schemeID only (CDR-OSE rows 27-30, and the real OSE CDR)
    issuer = _el(_el(response_block, ns.CAC, "IssuerParty"), ns.CAC, "PartyLegalEntity")
    _el(issuer, ns.CBC, "CompanyID", content.issuer_ruc, schemeID="6")
    if not content.is_summary:
        recipient = _el(_el(response_block, ns.CAC, "RecipientParty"), ns.CAC, "PartyLegalEntity")
        _el(recipient, ns.CBC, "CompanyID", content.recipient_doc_number or "-", schemeID=content.recipient_doc_type or "-")
    return root


def build_sunat_cdr(content: CdrContent, beta: bool = False) -> etree._Element:
    """The unsigned SUNAT-style CDR (what SUNAT production answers; ``beta``: its beta's dates)."""
    root = _root({"ar": ns.APPLICATION_RESPONSE, "cac": ns.CAC, "cbc": ns.CBC, "ext": ns.EXT, "ds": ns.DS})
    _header(root, content, ose=False, beta=beta)
    _signature_block(root, "SignSUNAT", SUNAT_RUC, "SUNAT", "#SignSUNAT")
    # after cac:Signature, where SUNAT writes them (its real CDR with notes, reference/wire/cdr/
    # sunat-beta-2021_…), though UBL's ApplicationResponse schema puts cbc:Note before it
    for note in content.notes:
        _el(root, ns.CBC, "Note", f"{note.code} - {lookup(note.code).message}"
            + (f" - INFO: {note.detail}" if note.detail else ""))
    _el(_el(_el(root, ns.CAC, "SenderParty"), ns.CAC, "PartyIdentification"), ns.CBC, "ID", SUNAT_RUC)
    _el(_el(_el(root, ns.CAC, "ReceiverParty"), ns.CAC, "PartyIdentification"), ns.CBC, "ID", content.issuer_ruc)
    response_block = _el(root, ns.CAC, "DocumentResponse")
    response = _el(response_block, ns.CAC, "Response")
    _el(response, ns.CBC, "ReferenceID", content.reference_id)
    _el(response, ns.CBC, "ResponseCode", content.response_code)
    _el(response, ns.CBC, "Description",
        describe(content.document_type, content.reference_id, content.response_code, content.rejection_detail))
    _el(_el(response_block, ns.CAC, "DocumentReference"), ns.CBC, "ID", content.reference_id)
    recipient = f"{content.recipient_doc_type or '6'}-{content.recipient_doc_number or ''}"
    _el(_el(_el(response_block, ns.CAC, "RecipientParty"), ns.CAC, "PartyIdentification"), ns.CBC, "ID", recipient)
    return root


def render_cdr(content: CdrContent, style: Literal["ose", "sunat", "sunat-beta"] | str, keypair: KeyPair, *,
               ose_ruc: str, ose_name: str) -> bytes:
    """The signed CDR XML, ``<?xml …?>`` + LF + the root on one line, as SUNAT writes it."""
    if style == "ose":
        root = sign(build_ose_cdr(content, ose_ruc=ose_ruc, ose_name=ose_name), keypair, signature_id="SignOSE")
    else:
        root = sign(build_sunat_cdr(content, beta=style == "sunat-beta"), keypair, signature_id="SignSUNAT")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="UTF-8")


def cdr_zip(content: CdrContent, style: str, keypair: KeyPair, *, ose_ruc: str, ose_name: str,
            base_name: str) -> bytes:
    """The CDR ZIP ``R-{base}.zip`` holding ``dummy/`` and ``R-{base}.xml``."""
    xml = render_cdr(content, style, keypair, ose_ruc=ose_ruc, ose_name=ose_name)
    return write_cdr_zip(f"R-{base_name}.xml", xml, content.responded_at)
