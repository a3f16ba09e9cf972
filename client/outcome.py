"""One typed outcome for every call: what SUNAT or the OSE decided, in the emitter's terms.

A CDR says *accepted* (ResponseCode 0), *accepted with observations* (0 plus notes, codes 4000+) or
*rejected* (a code 2000–3999 in ResponseCode, SUNAT production); a fault says *exception* (the code
is read from any dialect: ``faultcode`` suffix ``soap-env:Client.0151``, a numeric ``faultstring``, or
the detail) — except 2000–3999 faults, which an OSE or SUNAT beta uses for rejections.
"""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field

from cryptography import x509
from lxml import etree

from osemock.cpe.archive import first_xml
from osemock.cpe.catalog import lookup
from osemock.cpe.errors import CpeError, InvalidInput
from osemock.cpe.signature import verify


class Status(str, enum.Enum):
    ACCEPTED = "accepted"
    OBSERVED = "accepted-with-observations"
    REJECTED = "rejected"
    EXCEPTION = "exception"
    PENDING = "pending"
    """A ticket still at 98."""


@dataclass(frozen=True)
class Observation:
    code: str
    message: str


@dataclass
class Outcome:
    """What one call came back with."""

    status: Status
    code: str
    description: str = ""
    observations: list[Observation] = field(default_factory=list)
    cdr_zip: bytes | None = None
    cdr_xml: bytes | None = None
    signature_verified: bool | None = None
    """The CDR's signature verified (against the trust store when one is configured); ``None`` without a CDR."""
    signature_problem: str | None = None
    ticket: str | None = None
    document: str | None = None
    """The document's base name (``20123456789-01-F001-1``)."""
    already_sent: bool = False
    """The document had been accepted before (1033, or a timeout that getStatusCdr resolved)."""

    @property
    def accepted(self) -> bool:
        return self.status in (Status.ACCEPTED, Status.OBSERVED)

    def as_dict(self) -> dict[str, object]:
        return {"document": self.document, "status": self.status.value, "code": self.code,
                "description": self.description, "ticket": self.ticket, "already_sent": self.already_sent,
                "observations": [{"code": o.code, "message": o.message} for o in self.observations],
                "signature_verified": self.signature_verified, "signature_problem": self.signature_problem}


def _texts(root: etree._Element, local: str) -> list[str]:
    return [(e.text or "").strip() for e in root.iter(f"{{*}}{local}")]


def read_cdr(cdr_zip: bytes, trusted: list[x509.Certificate] | None = None) -> Outcome:
    """The outcome a CDR ZIP carries (both SUNAT's and the OSE style), with its signature checked;
    :class:`CpeError` (ArchiveError, InvalidInput) when the bytes are not a CDR ZIP one can read."""
    _, xml = first_xml(cdr_zip)
    try:
        root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as error:
        raise InvalidInput(f"the CDR is not XML: {error}") from None
    codes = _texts(root, "ResponseCode")
    if etree.QName(root).localname != "ApplicationResponse" or not codes or not codes[0].isdigit():
        # an answer without a verdict is no acceptance: an HTML error page zipped, another XML
        raise InvalidInput(f"the answer's XML is not a CDR (an ApplicationResponse with its ResponseCode): "
                           f"<{etree.QName(root).localname}>")
    code = codes[0]
    description = (_texts(root, "Description") or [""])[0]
    observations = [Observation(c, m) for c, m in zip(_texts(root, "StatusReasonCode"), _texts(root, "StatusReason"))]
    for note in _texts(root, "Note"):
        match = re.match(r"(\d{4})\s*-\s*(.*)", note)
        if match:
            observations.append(Observation(match[1], match[2]))
    if code != "0":
        status = Status.REJECTED
    else:
        status = Status.OBSERVED if observations else Status.ACCEPTED
    verified, problem = True, None
    try:
        verify(root, trusted=trusted)
    except CpeError as error:
        verified, problem = False, str(error)
    return Outcome(status, code, description, observations, cdr_zip, xml, verified, problem)


def document_hash(cdr_xml: bytes | None) -> str | None:
    """The DigestValue of the document a CDR answers (an OSE CDR's cbc:DocumentHash; SUNAT's CDR has
    none)."""
    if not cdr_xml:
        return None
    try:
        root = etree.fromstring(cdr_xml, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None
    found = _texts(root, "DocumentHash")
    return found[0] if found and found[0] else None


def fault_code(faultcode: str | None, faultstring: str | None, detail: etree._Element | bytes | str | None) -> tuple[str, str]:
    """(code, description) of a SOAP fault in any dialect (zeep gives the whole answer as ``detail``,
    in bytes, when it was XML but no SOAP fault)."""
    faultstring = (faultstring or "").strip()
    if isinstance(detail, bytes):
        detail = detail.decode("utf-8", "replace")
    if isinstance(detail, str):
        detail_text = " ".join(detail.split())[:500]
    else:
        detail_text = " ".join(t.strip() for t in detail.itertext()) if detail is not None else ""
    suffix = (faultcode or "").rsplit(".", 1)[-1]
    if re.fullmatch(r"\d{4}", suffix):
        return suffix, faultstring
    if re.fullmatch(r"\d{4}", faultstring):
        return faultstring, detail_text or lookup(faultstring).message
    for text in (detail_text, faultstring):
        match = re.search(r"\b(\d{4})\b", text)
        if match:
            return match[1], text
    return "", faultstring or detail_text


def from_fault(code: str, description: str) -> Outcome:
    """A fault: a rejection when its code is a business one (2000–3999), an exception otherwise."""
    status = Status.REJECTED if code[:1] in ("2", "3") and len(code) == 4 else Status.EXCEPTION
    return Outcome(status, code, description)
