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
from osemock.cpe.numbers import digits
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
    documents: list["Outcome"] = field(default_factory=list)
    """A lot's (sendPack) outcome for each of its documents, from its own CDR or the lot's error list."""

    @property
    def accepted(self) -> bool:
        return self.status in (Status.ACCEPTED, Status.OBSERVED)

    def as_dict(self) -> dict[str, object]:
        return {"document": self.document, "status": self.status.value, "code": self.code,
                "description": self.description, "ticket": self.ticket, "already_sent": self.already_sent,
                "observations": [{"code": o.code, "message": o.message} for o in self.observations],
                "signature_verified": self.signature_verified, "signature_problem": self.signature_problem,
                "documents": [d.as_dict() for d in self.documents]}


def _children(parent: etree._Element, *path: str) -> list[etree._Element]:
    """The elements at ``path`` below ``parent``, child by child (any namespace prefix or none): never a
    descendant search, which would also find what sits inside ``ds:Signature``."""
    found = [parent]
    for local in path:
        found = [child for element in found for child in element.iterchildren(f"{{*}}{local}")]
    return found


def _text(element: etree._Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _response(root: etree._Element) -> etree._Element:
    """The CDR's one ``cac:DocumentResponse/cac:Response`` with its one ``cbc:ResponseCode``
    (PROTOCOL.md §9.1–9.2); :class:`InvalidInput` for anything else.

    The verdict is read at this fixed place and nowhere else: the enveloped signature signs the whole
    CDR *except* its ``ds:Signature``, so a ``ResponseCode`` planted inside the signature (a
    ``ds:Object``) leaves it valid, and a search for the first ``ResponseCode`` in the document took
    that one.  The path from the root never enters ``ds:Signature``: what it reaches is what the
    signature covers.  Two responses or two codes are no verdict either."""
    if etree.QName(root).localname != "ApplicationResponse":
        # an answer without a verdict is no acceptance: an HTML error page zipped, another XML
        raise InvalidInput(f"the answer's XML is not a CDR (an ApplicationResponse with its ResponseCode): "
                           f"<{etree.QName(root).localname}>")
    responses = _children(root, "DocumentResponse", "Response")
    codes = [code for response in responses for code in _children(response, "ResponseCode")]
    if not codes:
        raise InvalidInput("the answer's XML is not a CDR (an ApplicationResponse with its ResponseCode): "
                           "no cac:DocumentResponse/cac:Response/cbc:ResponseCode")
    if len(responses) != 1 or len(codes) != 1:
        raise InvalidInput(f"the CDR is ambiguous: {len(codes)} cbc:ResponseCode in {len(responses)} "
                           "cac:DocumentResponse/cac:Response (a CDR carries one)")
    if not _text(codes[0]).isdigit():
        raise InvalidInput(f"the CDR's ResponseCode is not a code: {_text(codes[0])!r}")
    return responses[0]


def _parse(xml: bytes) -> etree._Element:
    try:
        return etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as error:
        raise InvalidInput(f"the CDR is not XML: {error}") from None


def read_cdr(cdr_zip: bytes, trusted: list[x509.Certificate] | None = None) -> Outcome:
    """The outcome a CDR ZIP carries (both SUNAT's and the OSE style), with its signature checked;
    :class:`CpeError` (ArchiveError, InvalidInput) when the bytes are not a CDR ZIP one can read, or
    carry more than one verdict.

    Everything is read at its fixed place, which the signature covers (see :func:`_response`): the
    code and description in ``cac:DocumentResponse/cac:Response``, observations in its ``cac:Status``
    (OSE) or in the root's ``cbc:Note`` (SUNAT)."""
    _, xml = first_xml(cdr_zip)
    root = _parse(xml)
    response = _response(root)
    code = _text(_children(response, "ResponseCode")[0])
    description = _text(next(iter(_children(response, "Description")), None))
    observations = [Observation(_text(next(iter(_children(status, "StatusReasonCode")), None)),
                                _text(next(iter(_children(status, "StatusReason")), None)))
                    for status in _children(response, "Status")]
    observations = [o for o in observations if o.code]
    for note in _children(root, "Note"):
        match = re.match(r"(\d{4})\s*-\s*(.*)", _text(note), re.S)
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


@dataclass(frozen=True)
class Subject:
    """The document a CDR answers, as the CDR names it (each ``None`` when it does not say)."""

    reference_id: str | None
    """``cac:DocumentReference/cbc:ID`` (else ``cac:Response/cbc:ReferenceID``): ``F001-1``, ``RA-20261120-1``."""
    type_code: str | None
    """``cbc:DocumentTypeCode`` (OSE CDRs)."""
    issuer_ruc: str | None
    """The emitter: ``cac:IssuerParty`` (OSE CDRs) or ``cac:ReceiverParty/cac:PartyIdentification`` (SUNAT's)."""
    document_hash: str | None
    """``cbc:DocumentHash``, the DigestValue of the document's signature (OSE CDRs)."""


def cdr_subject(cdr_xml: bytes | None) -> Subject:
    """What :class:`Subject` a CDR's XML names, each part read at its fixed place (PROTOCOL.md §9)."""
    if not cdr_xml:
        return Subject(None, None, None, None)
    try:
        root = _parse(cdr_xml)
    except InvalidInput:
        return Subject(None, None, None, None)

    def first(*path: str) -> str | None:
        found = [_text(e) for e in _children(root, *path)]
        return found[0] if found and found[0] else None

    reference = ("DocumentResponse", "DocumentReference")
    return Subject(first(*reference, "ID") or first("DocumentResponse", "Response", "ReferenceID"),
                   first(*reference, "DocumentTypeCode"),
                   first("DocumentResponse", "IssuerParty", "PartyLegalEntity", "CompanyID")
                   or first("ReceiverParty", "PartyIdentification", "ID"),
                   first(*reference, "Attachment", "ExternalReference", "DocumentHash"))


def document_hash(cdr_xml: bytes | None) -> str | None:
    """The DigestValue of the document a CDR answers (an OSE CDR's cbc:DocumentHash; SUNAT's CDR has
    none)."""
    return cdr_subject(cdr_xml).document_hash


def same_number(named: str, expected: str) -> bool:
    """``F001-00000587`` names ``F001-587`` (SUNAT echoes the ID as written), ``RA-20261120-1`` itself."""
    named_prefix, _, named_number = named.strip().rpartition("-")
    prefix, _, number = expected.rpartition("-")
    if digits(named_number) and digits(number):  # ASCII, any length: compared without int()
        return named_prefix.upper() == prefix.upper() and named_number.lstrip("0") == number.lstrip("0")
    return named.strip().upper() == expected.upper()


def other_document(cdr_xml: bytes | None, base: str, digest: str | None = None) -> str | None:
    """Why a CDR is not the answer for the document ``base`` (``20123456789-01-F001-7``,
    ``20123456789-RA-20261120-1``) whose signature's DigestValue is ``digest``: the CDR names another
    number, type, emitter or hash.  ``None`` when nothing it names differs (a part it leaves out, as
    SUNAT's CDR leaves out the hash, is not held against it)."""
    parts = base.split("-", 2)
    if len(parts) < 3:
        return None
    ruc, type_code, rest = parts
    summary = type_code in ("RC", "RA", "RR")
    expected_id = f"{type_code}-{rest}" if summary else rest
    subject = cdr_subject(cdr_xml)
    if subject.reference_id is not None and not same_number(subject.reference_id, expected_id):
        return f"the CDR answers {subject.reference_id}, not {base}"
    if subject.type_code is not None and subject.type_code != type_code:
        return f"the CDR answers a document of type {subject.type_code}, not {base}"
    if subject.issuer_ruc is not None and subject.issuer_ruc != ruc:
        return f"the CDR answers a document of RUC {subject.issuer_ruc}, not {base}"
    if digest is not None and subject.document_hash is not None and subject.document_hash != digest:
        return (f"the CDR answers other content numbered as {base} (its DocumentHash {subject.document_hash} "
                f"is not this document's {digest})")
    return None


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
