"""What every sending operation checks before business rules, in the General sheet's order.

auth (0101–0111) → file name (0151–0153) → RUC of user vs file (0154) → ZIP (0155–0161) →
parse + XSD (0306) → file name vs content (1003, 1034–1036, 1049).  Each step raises the SUNAT code;
the first one wins, as only one fault can be answered.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from lxml import etree

from osemock.cpe import archive, naming, xsd
from osemock.cpe.document import DocumentHeader, read_header
from osemock.cpe.errors import SunatError
from osemock.cpe.xmlparse import DETAIL_PREFIX, parse_xml
from osemock.server.engine.auth import Principal
from osemock.server.engine.core import EngineState, Request
from osemock.server.engine.endpoints import Endpoint


@dataclass(frozen=True)
class Received:
    """A request that passed the envelope-level checks."""

    principal: Principal
    name: naming.CpeName
    zip_bytes: bytes
    xml_name: str
    xml: bytes
    root: etree._Element
    header: DocumentHeader


def check_name(engine: EngineState, request: Request, operation: str) -> naming.CpeName:
    """Parse ``fileName`` and check the method and endpoint take that kind of file."""
    name = naming.parse_zip_name(request.file_name)
    if operation == "sendBill" and name.kind == "summary":
        raise SunatError("0152", f"{request.file_name} es un resumen")
    if operation in ("sendBill", "sendSummary") and name.kind == "lot":
        raise SunatError("0153", f"{request.file_name} es un lote")
    check_path_takes(request.endpoint, operation, name.type_code, request.file_name, engine.profile.channel)
    return name


def check_path_takes(endpoint: Endpoint, operation: str, type_code: str, file_name: str, channel: str = "ose") -> None:
    """0151 unless ``operation`` at ``endpoint`` takes files of ``type_code``: a path takes only its
    family's documents and summaries (PROTOCOL.md §1).  The settling of a lot asks it of each entry as
    of a sendBill at the path the lot came in on, so a document is refused at a path in a lot as alone.

    SUNAT (``channel`` ``sunat``) answers a guía at its billService 1085 instead: it moved guías to the
    GRE system, and says so (§1.1: a 31 in beta); an OSE never took them, and keeps its 0151."""
    if operation == "sendBill" and channel == "sunat" and type_code in endpoint.moved_types:
        raise SunatError("1085", f"{file_name} codigo cpe: {type_code}")
    if operation == "sendBill":
        allowed = endpoint.document_types
    elif operation == "sendSummary":
        allowed = endpoint.summary_types
    else:
        allowed = frozenset({"LT"}) if endpoint.lots else frozenset()
    if type_code not in allowed:
        raise SunatError(
            "0151",
            # the quote closes after the type, as SUNAT writes it (reference/wire/soap/observed_faults.csv)
            f"Error de nombre archivo \"{file_name} codigo cpe: {type_code}\" no es un cpe valido",
        )


def check_sender(engine: EngineState, principal: Principal, ruc: str) -> None:
    """0154 unless the user sends for its own RUC or is a PSE linked to the file's RUC."""
    if principal.ruc != ruc and not engine.store.is_pse_of(principal.ruc, ruc):
        raise SunatError("0154", f"RUC del archivo {ruc} <> RUC del usuario {principal.ruc}")


def parse_document(xml: bytes, service: str = DETAIL_PREFIX,
                   name: naming.CpeName | None = None) -> tuple[etree._Element, DocumentHeader]:
    """Parse and schema-validate one XML (0306, its detail naming ``service``); ``name``, the file it came
    in, types a VoidedDocuments."""
    root = parse_xml(xml, service)
    xsd.validate(root, service)
    header = read_header(root)
    if name is not None and header.root == "VoidedDocuments" and name.type_code in ("RA", "RR"):
        # An RA and an RR are both VoidedDocuments and no node of theirs holds a type, only an ID whose
        # prefix row 8 of their sheets judges against the file name (2220) when the ticket is processed:
        # the file name says which sheet applies, not the ID (which made an RA with ID RR-… a 1003).
        header = replace(header, type_code=name.type_code)
    return root, header


def check_content_matches_name(name: naming.CpeName, header: DocumentHeader) -> None:
    """The file name must describe the XML it carries (1034, 1003, 1035, 1036; 1049 for 20/40)."""
    if header.issuer_ruc != name.ruc:
        raise SunatError("1034", f'(nodo: "cac:AccountingSupplierParty" valor: "{header.issuer_ruc or ""}")')
    if header.type_code is None and header.root == "Invoice":
        raise SunatError("1004", '(nodo: "cbc:InvoiceTypeCode" valor: "")')
    if header.type_code != name.type_code:
        raise SunatError("1003", f'(nodo: "cbc:InvoiceTypeCode" valor: "{header.type_code or ""}")')
    if name.kind != "document":
        return
    if name.type_code in ("20", "40"):
        if header.serie != name.serie or header.numero != name.numero:
            raise SunatError("1049", f'(nodo: "cbc:ID" valor: "{header.id or ""}")')
        return
    if header.serie != name.serie:
        raise SunatError("1035", f'(nodo: "cbc:ID" valor: "{header.id or ""}")')
    if header.numero != name.numero:
        raise SunatError("1036", f'(nodo: "cbc:ID" valor: "{header.id or ""}")')


def receive(engine: EngineState, request: Request, operation: str) -> Received:
    """Run every envelope-level check of a sendBill/sendSummary request, in SUNAT's order."""
    principal = engine.principal(request)
    name = check_name(engine, request, operation)
    check_sender(engine, principal, name.ruc)
    zip_bytes = engine.decode_content(request.content)
    entry = archive.read_single_xml(zip_bytes, name)
    root, header = parse_document(entry.content, f"http://xxx.xxx.xxx{request.endpoint.path}", name)
    check_content_matches_name(name, header)
    return Received(principal, name, zip_bytes, entry.name, entry.content, root, header)
