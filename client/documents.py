"""Getting an emitter's XML ready to send: signed SUNAT-style, named from its own content, zipped.

The name comes from the document, never from the file it was read from: ``{RUC}-{TT}-{SERIE}-{NUMERO}``
for a comprobante, ``{RUC}-{RC|RA|RR}-{YYYYMMDD}-{n}`` (its cbc:ID) for a summary.  A document that is
not signed yet is signed only when a certificate is given (enveloped XMLDSig inside
ext:UBLExtensions, certificate in KeyInfo, RSA-SHA256 unless RSA-SHA1 is asked for); otherwise it
goes as it is and the server says what it thinks of it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from osemock.cpe import ns
from osemock.cpe.archive import write_document_zip
from osemock.cpe.document import read_header
from osemock.cpe.errors import InvalidInput, SunatError
from osemock.cpe.signature import KeyPair, SignatureMethod, load_keypair, sign
from osemock.cpe.xmlparse import DETAIL_PREFIX, parse_xml

SUMMARY_TYPES = ("RC", "RA", "RR")


@dataclass(frozen=True)
class Prepared:
    """A document ready for billService."""

    base: str
    """``20123456789-01-F001-1``."""
    xml: bytes
    zip: bytes
    kind: str
    """``document`` (sendBill) or ``summary`` (sendSummary)."""

    @property
    def zip_name(self) -> str:
        return f"{self.base}.zip"


def is_signed(root: etree._Element) -> bool:
    return root.find(f".//{{{ns.DS}}}Signature") is not None


def base_name(root: etree._Element) -> tuple[str, str]:
    """(base name, kind) read from the document itself."""
    header = read_header(root)
    if not header.issuer_ruc or not header.type_code or not header.id:
        raise InvalidInput("the document lacks its emitter RUC, type or ID: it cannot be named")
    if header.type_code in SUMMARY_TYPES:
        return f"{header.issuer_ruc}-{header.id}", "summary"
    return f"{header.issuer_ruc}-{header.type_code}-{header.id}", "document"


def load_certificate(path: str | Path, password: str | None = None) -> KeyPair:
    """A signing certificate from a PFX/P12 (with its password) or a PEM holding key and certificate."""
    return load_keypair(path, password)


def prepare(xml: bytes, keypair: KeyPair | None = None, method: SignatureMethod = SignatureMethod.RSA_SHA256,
            resign: bool = False) -> Prepared:
    """Sign (when a certificate is given and the document is unsigned, or ``resign``), name and zip."""
    if isinstance(xml, (bytearray, memoryview)):
        xml = bytes(xml)
    try:
        root = parse_xml(xml)
    except SunatError as error:  # found here, so said as ours: the detail names no service that answered
        reason = (error.detail or "").removeprefix(f"{DETAIL_PREFIX}: ")
        raise InvalidInput(f"{error.code} (found here, not by a server): {error.message} - {reason}") from None
    if keypair is not None and (resign or not is_signed(root)):
        root = sign(root, keypair, method=method)  # replaces any previous signature
        # the tree: processing instructions beside the root (<?xml-stylesheet?>) are signed with it
        xml = etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")
    base, kind = base_name(root)
    return Prepared(base, xml, write_document_zip(f"{base}.xml", xml), kind)
