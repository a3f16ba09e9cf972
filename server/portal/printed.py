"""The printed representation of a stored document (representación impresa): a PDF with SUNAT's QR.

The QR holds ``RUC|TT|SERIE|NUMERO|IGV|TOTAL|FECHA|TIPO DOC ADQ|NUM DOC ADQ|hash`` (the text SUNAT's
resolution prescribes; the hash is the signature's DigestValue).  fpdf2 lays the page out and segno
draws the code; both read the document's own XML, not the store's summary of it.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

import segno
from fpdf import FPDF
from lxml import etree

from osemock.cpe.document import read_header
from osemock.cpe.xmlparse import parse_xml

NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
}
TITLES = {
    "01": "FACTURA ELECTRÓNICA", "03": "BOLETA DE VENTA ELECTRÓNICA", "07": "NOTA DE CRÉDITO ELECTRÓNICA",
    "08": "NOTA DE DÉBITO ELECTRÓNICA", "20": "COMPROBANTE DE RETENCIÓN ELECTRÓNICO",
    "40": "COMPROBANTE DE PERCEPCIÓN ELECTRÓNICO",
}
#: Catalog 06 (tipo de documento de identidad) as printed.
ID_TYPES = {"0": "DOC. TRIB. NO DOM.", "1": "DNI", "4": "CARNET DE EXTRANJERÍA", "6": "RUC", "7": "PASAPORTE",
            "A": "CÉDULA DIPLOMÁTICA", "B": "DOC. IDENT. PAÍS RESIDENCIA"}
LINE_PATHS = ("cac:InvoiceLine", "cac:CreditNoteLine", "cac:DebitNoteLine")
QUANTITY = {"cac:InvoiceLine": "cbc:InvoicedQuantity", "cac:CreditNoteLine": "cbc:CreditedQuantity",
            "cac:DebitNoteLine": "cbc:DebitedQuantity"}


@dataclass(frozen=True)
class Line:
    description: str
    quantity: str
    unit_price: str
    amount: str


@dataclass(frozen=True)
class Printed:
    """What the printed representation shows, read from the document's XML."""

    ruc: str
    type_code: str
    serie: str
    numero: int
    issuer_name: str
    issue_date: str
    customer_doc_type: str
    customer_doc_number: str
    customer_name: str
    currency: str
    igv: str
    total: str
    digest: str
    lines: tuple[Line, ...]

    @property
    def qr_text(self) -> str:
        """SUNAT's QR content: ``RUC|TT|SERIE|NUMERO|IGV|TOTAL|FECHA|TIPO DOC ADQ|NUM DOC ADQ|hash``."""
        return "|".join((self.ruc, self.type_code, self.serie, str(self.numero), self.igv, self.total,
                         self.issue_date, self.customer_doc_type, self.customer_doc_number, self.digest))


def read_printed(xml: bytes) -> Printed:
    """The printed fields of a factura, boleta, note, retention or perception."""
    root = parse_xml(xml)
    header = read_header(root)
    customer_name = (_text(root, "cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName")
                     or _text(root, "cac:ReceiverParty/cac:PartyLegalEntity/cbc:RegistrationName") or "")
    customer_type = (_attr(root, "cac:AccountingCustomerParty/cac:Party/cac:PartyIdentification/cbc:ID", "schemeID")
                     or _attr(root, "cac:ReceiverParty/cac:PartyIdentification/cbc:ID", "schemeID")
                     or header.customer_doc_type or "")
    lines = []
    for path in LINE_PATHS:
        for line in root.findall(path, NS):
            lines.append(Line(
                description=" ".join((_text(line, "cac:Item/cbc:Description") or "").split()),
                quantity=_text(line, QUANTITY[path]) or "",
                unit_price=_text(line, "cac:Price/cbc:PriceAmount") or "",
                amount=_text(line, "cbc:LineExtensionAmount") or "",
            ))
    return Printed(
        ruc=header.issuer_ruc or "", type_code=header.type_code or "", serie=header.serie or "",
        numero=header.numero or 0, issuer_name=header.issuer_name or "", issue_date=header.issue_date or "",
        customer_doc_type=customer_type, customer_doc_number=header.customer_doc_number or "",
        customer_name=customer_name, currency=header.currency or "PEN", igv=header.igv_amount or "0.00",
        total=header.total_amount or "0.00", digest=header.digest_value or "", lines=tuple(lines),
    )


def qr_png(text: str, scale: int = 4) -> bytes:
    """The QR code of ``text`` as a PNG (error correction Q, as SUNAT's printed samples use)."""
    buffer = io.BytesIO()
    segno.make(text, error="q", micro=False).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def render_pdf(printed: Printed, status: str) -> bytes:
    """An A4 PDF: issuer box, customer, lines, totals, the QR and its hash."""
    pdf = FPDF(format="A4")
    pdf.set_title(f"{printed.ruc}-{printed.type_code}-{printed.serie}-{printed.numero}")
    pdf.set_creator("osemock")
    pdf.add_page()
    pdf.set_auto_page_break(True, margin=20)
    pdf.set_font("Helvetica", "B", 13)
    pdf.multi_cell(110, 6, _latin(printed.issuer_name or "EMISOR"), new_x="RIGHT", new_y="TOP")
    pdf.set_xy(130, 10)
    pdf.set_font("Helvetica", "B", 11)
    box = f"RUC {printed.ruc}\n{TITLES.get(printed.type_code, 'COMPROBANTE ' + printed.type_code)}\n{printed.serie}-{printed.numero:08d}"
    pdf.multi_cell(70, 7, _latin(box), border=1, align="C")
    pdf.set_y(45)
    pdf.set_font("Helvetica", "", 10)
    for label, value in (("Fecha de emisión", printed.issue_date),
                         ("Adquiriente", printed.customer_name),
                         ("Documento", f"{ID_TYPES.get(printed.customer_doc_type, printed.customer_doc_type)}"
                                       f" {printed.customer_doc_number}".strip()),
                         ("Moneda", printed.currency),
                         ("Estado en el OSE", status)):
        pdf.cell(40, 6, _latin(label + ":"))
        pdf.cell(0, 6, _latin(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    if printed.lines:
        with pdf.table(col_widths=(90, 25, 35, 40), text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT")) as table:
            table.row(("Descripción", "Cantidad", "Valor unitario", "Valor de venta"))
            for line in printed.lines:
                table.row((_latin(_shortened(line.description, _MAX_DESCRIPTION)),
                           *(_latin(_shortened(v, _MAX_FIGURE)) for v in (line.quantity, line.unit_price, line.amount))))
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 10)
    for label, value in (("IGV", printed.igv), ("IMPORTE TOTAL", printed.total)):
        pdf.cell(150, 6, _latin(f"{label} {_shortened(printed.currency, _MAX_FIGURE)}"), align="R")
        pdf.cell(40, 6, _latin(_shortened(value, _MAX_FIGURE)), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    y = pdf.get_y()
    try:
        pdf.image(io.BytesIO(qr_png(printed.qr_text)), x=10, y=y, w=40, h=40)
        unprintable = ""
    except segno.DataOverflowError:  # only a document SUNAT would refuse carries fields that long
        unprintable = "Sin código QR: sus datos no caben en uno.\n"
    pdf.set_xy(55, y + 4)
    pdf.set_font("Helvetica", "", 8)
    article = "del" if printed.type_code in ("20", "40") or printed.type_code not in TITLES else "de la"
    pdf.multi_cell(0, 4, _latin(
        f"Representación impresa {article} {TITLES.get(printed.type_code, 'comprobante').lower()}.\n"
        f"{unprintable}Resumen (hash): {_shortened(printed.digest, _MAX_DESCRIPTION)}\n"
        "Consulte su validez en /consult, el portal de este OSE simulado (osemock)."))
    return bytes(pdf.output())


#: What one table row may hold: a row taller than a page cannot be laid out at all.  SUNAT allows 500
#: characters of description and 12+10 digits of an amount; a rejected document may carry anything.
_MAX_DESCRIPTION = 500
_MAX_FIGURE = 40


def _shortened(text: str, most: int) -> str:
    """``text`` cut to ``most`` characters, the cut marked ``...`` (the whole XML is a download away)."""
    return text if len(text) <= most else text[:most - 3] + "..."


def _latin(text: str) -> str:
    """The core PDF fonts are Latin-1: Spanish fits; anything else becomes ``?``."""
    return text.encode("latin-1", "replace").decode("latin-1")


def _text(root: etree._Element, path: str) -> str | None:
    found = root.find(path, NS)
    return found.text.strip() if found is not None and found.text else None


def _attr(root: etree._Element, path: str, name: str) -> str | None:
    found = root.find(path, NS)
    return found.get(name) if found is not None else None
