"""Offline validation of documents with the server's own checks (``osemock validate``).

The same order as a sendBill: parse and XSD (0306), then the workbook rules; every finding is kept,
so an emitter sees all of them at once instead of one fault per attempt.  Offline there is no store
(registry, sent documents) and, unless a reception moment is given, no clock: the rows that need them
stay silent.  A signed document's signature is verified as the server verifies it (2335, 2336; the
certificate against a registry only online).  An unsigned document is judged as it will be once
signed: the Firma rows on the ds:Signature that signing adds are left out, those on the cac:Signature
block the emitter writes are not (sent as it is, the server refuses it: 2085, or 0306 where the schema
wants the signature's place filled).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lxml import etree

from osemock.cpe import ns, signature, xsd
from osemock.cpe.document import DocumentHeader, read_header
from osemock.cpe.errors import InvalidInput, SunatError
from osemock.cpe.xmlparse import parse_xml
from osemock.server.engine.validation import CheckInput, Finding
from osemock.server.rules.engine import findings
from osemock.server.rules.workbook import SHEETS

_EXTENSION_CONTENTS = f"{{{ns.EXT}}}UBLExtensions/{{{ns.EXT}}}UBLExtension/{{{ns.EXT}}}ExtensionContent"

#: Where each root states its type (the node a 1003 names).
_TYPE_NODES = {"Invoice": "cbc:InvoiceTypeCode", "DespatchAdvice": "cbc:DespatchAdviceTypeCode"}


@dataclass
class LintResult:
    """Every finding of one document; ``accepted`` when none is an error."""

    name: str
    header: DocumentHeader | None = None
    findings: list[Finding] = field(default_factory=list)
    signed: bool = False
    """Whether the document carries a ds:Signature (the Firma rows on it judge one only where there is one)."""

    @property
    def accepted(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    @property
    def verdict(self) -> str:
        """The code SUNAT would answer: the first error, else 0."""
        return next((f.code for f in self.findings if f.severity == "error"), "0")


def _schema_view(root: etree._Element) -> etree._Element:
    """The document as the schema should see it: an unsigned document's ExtensionContent left empty for
    the signature (the one signing fills, :func:`signature.signature_slot`) gets a placeholder, so a
    document linted before signing is judged on its content instead of a schema error about the
    signature to come.  Only that one: a signed document is judged as it stands, and an unsigned one
    with a second empty ExtensionContent keeps both empty, as no signature fills it (0306 at the
    server either way; every empty one got a placeholder, and both were ACEPTADO)."""
    if root.find(f".//{{{ns.DS}}}Signature") is not None:
        return root
    try:
        slot = signature.signature_slot(root)
    except InvalidInput:
        return root  # the schema names the empty ExtensionContent no signature fills
    if slot is None:
        return root
    view = copy.deepcopy(root)
    place = root.findall(_EXTENSION_CONTENTS).index(slot)
    etree.SubElement(view.findall(_EXTENSION_CONTENTS)[place], "{urn:osemock:lint}unsigned")
    return view


def lint(data: bytes, name: str = "", received_at: datetime | None = None, profile: Any = None,
         sent_unsigned: bool = False) -> LintResult:
    """Validate one document's bytes; with ``received_at``, the deadlines too (2108, 2329, 1079, 2957…:
    sent too late or dated in the future, as if the target received it then, under ``profile``'s
    limits, by default the OSE's).  With ``sent_unsigned`` an unsigned document is judged as it will
    be sent, unsigned (0306 for the signature's empty place, else the Firma rows' 2085), not as it
    will be once signed: the conformance kit sending documents without ``--sign``."""
    result = LintResult(name)
    try:
        root = parse_xml(data)
        # what the document is, decided before the schema judges it: a signed document the schema refuses
        # (0306) is still a signed one (it was reported unsigned, as if its signature were still to come)
        result.signed = root.find(f".//{{{ns.DS}}}Signature") is not None
        xsd.validate(root if sent_unsigned else _schema_view(root))
    except SunatError as error:
        result.findings.append(Finding(error.code, "error", None, None, error.detail))
        return result
    result.header = read_header(root)
    # An Invoice that lost its InvoiceTypeCode is still judged by the factura sheet (which says 1004).
    type_code = result.header.type_code or ("01" if result.header.root == "Invoice" else "")
    if type_code not in SHEETS:
        # A sendBill refuses a type its path does not take by the file name (0151), or a type other than
        # the name's (1003); offline there is no name, and no sheet to judge the document by: the type
        # itself is refused as the workbook's row on it says (factura row 21, Catálogo 01: 1003).
        result.findings.append(Finding("1003", "error", _TYPE_NODES.get(result.header.root), type_code))
        return result
    source = None
    if received_at is not None:
        from osemock.server.profiles import load_profile

        source = CheckInput(root, result.header, result.header.issuer_ruc, profile=profile or load_profile("ose"),
                            now=received_at)
    if result.signed:  # as a sendBill: the signature itself (2335 altered after signing, 2336), then the rows
        from osemock.server.rules.signature_rules import signature_check

        result.findings.extend(signature_check(source or CheckInput(root, result.header)))
    result.findings.extend(findings(root, type_code, source, signature=result.signed or sent_unsigned))
    return result
