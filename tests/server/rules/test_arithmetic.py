"""Arithmetic rules: an amount off by more than 1 on a valid factura earns the workbook's code."""
from __future__ import annotations

import pytest

from osemock.fixtures import signed_document
from osemock.server.rules.lint import lint

from .proofs import resigned

FACTURA = "20123456789-01-F001-1.xml"
EXONERADA = "20123456789-01-F001-4.xml"
GRATUITA = "20123456789-01-F001-8.xml"


def codes_after(name: str, old: bytes, new: bytes, count: int = 1) -> list[str]:
    xml = signed_document(name)
    assert old in xml
    return [f.code for f in lint(resigned(xml.replace(old, new, count))).findings]


CASES = [
    # line 1 IGV: 200.00 x 18% = 36.00 (both the subtotal and the line total say 36.00)
    (FACTURA, b'<cbc:TaxAmount currencyID="PEN">36.00</cbc:TaxAmount>', b'<cbc:TaxAmount currencyID="PEN">38.50</cbc:TaxAmount>', 2, "3103"),
    # line 1 TaxTotal alone no longer the sum of its subtotals
    (FACTURA, b'<cbc:TaxAmount currencyID="PEN">36.00</cbc:TaxAmount>', b'<cbc:TaxAmount currencyID="PEN">40.00</cbc:TaxAmount>', 1, "3292"),
    # line value 2 x 100.00 = 200.00
    (FACTURA, b'<cbc:LineExtensionAmount currencyID="PEN">200.00</cbc:LineExtensionAmount>',
     b'<cbc:LineExtensionAmount currencyID="PEN">250.00</cbc:LineExtensionAmount>', 1, "3271"),
    # document TaxTotal 54.00 = its IGV subtotal
    (FACTURA, b'<cbc:TaxAmount currencyID="PEN">54.00</cbc:TaxAmount>', b'<cbc:TaxAmount currencyID="PEN">60.00</cbc:TaxAmount>', 1, "3294"),
    # global IGV base 300.00 = sum of IGV line values; global IGV = 18% of it
    (FACTURA, b'<cbc:TaxableAmount currencyID="PEN">300.00</cbc:TaxableAmount>',
     b'<cbc:TaxableAmount currencyID="PEN">310.00</cbc:TaxableAmount>', 1, "3277"),
    (FACTURA, b'<cbc:TaxAmount currencyID="PEN">54.00</cbc:TaxAmount>', b'<cbc:TaxAmount currencyID="PEN">60.00</cbc:TaxAmount>', 2, "3291"),
    (EXONERADA, b'<cbc:TaxableAmount currencyID="PEN">300.00</cbc:TaxableAmount>',
     b'<cbc:TaxableAmount currencyID="PEN">320.00</cbc:TaxableAmount>', 1, "3275"),
    # a free line still states its IGV: 50.00 x 18% = 9.00 (line and global 9996 subtotals)
    (GRATUITA, b'<cbc:TaxAmount currencyID="PEN">9.00</cbc:TaxAmount>', b'<cbc:TaxAmount currencyID="PEN">12.00</cbc:TaxAmount>', 2, "3103"),
    # totals: value 300.00, price 354.00, payable 354.00
    (FACTURA, b'<cbc:LineExtensionAmount currencyID="PEN">300.00</cbc:LineExtensionAmount>',
     b'<cbc:LineExtensionAmount currencyID="PEN">280.00</cbc:LineExtensionAmount>', 1, "3278"),
    (FACTURA, b'<cbc:TaxInclusiveAmount currencyID="PEN">354.00</cbc:TaxInclusiveAmount>',
     b'<cbc:TaxInclusiveAmount currencyID="PEN">360.00</cbc:TaxInclusiveAmount>', 1, "3279"),
    (FACTURA, b'<cbc:PayableAmount currencyID="PEN">354.00</cbc:PayableAmount>',
     b'<cbc:PayableAmount currencyID="PEN">350.00</cbc:PayableAmount>', 1, "3280"),
]
#: The codes these cases prove, for the proof ledger.
PROVEN_CODES = {case[-1] for case in CASES}


@pytest.mark.parametrize("name, old, new, count, code", CASES)
def test_amount_off_by_more_than_one(name, old, new, count, code):
    assert code in codes_after(name, old, new, count)


def test_one_unit_of_tolerance():
    assert codes_after(FACTURA, b'<cbc:PayableAmount currencyID="PEN">354.00</cbc:PayableAmount>',
                       b'<cbc:PayableAmount currencyID="PEN">354.90</cbc:PayableAmount>') == []


def test_line_findings_name_the_line():
    xml = signed_document(FACTURA).replace(b'<cbc:LineExtensionAmount currencyID="PEN">200.00</cbc:LineExtensionAmount>',
                                           b'<cbc:LineExtensionAmount currencyID="PEN">250.00</cbc:LineExtensionAmount>', 1)
    finding = next(f for f in lint(xml).findings if f.code == "3271")
    assert finding.detail == 'Error en la linea: 1: 3271 (nodo: "cbc:LineExtensionAmount" valor: "250.00")'


def test_boleta_arithmetic_slips_are_observations():
    xml = signed_document("20123456789-03-B001-1.xml").replace(
        b'<cbc:LineExtensionAmount currencyID="PEN">200.00</cbc:LineExtensionAmount>',
        b'<cbc:LineExtensionAmount currencyID="PEN">250.00</cbc:LineExtensionAmount>', 1)
    result = lint(resigned(xml))
    found = {f.code: f.severity for f in result.findings}
    assert found.get("4288") == "observation"
    assert result.accepted or any(f.severity == "error" and f.code != "4288" for f in result.findings)


def test_isc_line_is_rate_times_base():
    from lxml import etree

    from osemock.cpe import ns
    from osemock.cpe.xmlparse import parse_xml

    root = parse_xml(signed_document(FACTURA))
    line_total = root.xpath("/*/cac:InvoiceLine[1]/cac:TaxTotal", namespaces=ns.UBL)[0]
    isc = etree.fromstring(
        f'<cac:TaxSubtotal xmlns:cac="{ns.CAC}" xmlns:cbc="{ns.CBC}"><cbc:TaxableAmount currencyID="PEN">200.00</cbc:TaxableAmount>'
        '<cbc:TaxAmount currencyID="PEN">35.00</cbc:TaxAmount><cac:TaxCategory><cbc:Percent>10</cbc:Percent>'
        '<cbc:TierRange>01</cbc:TierRange><cac:TaxScheme><cbc:ID>2000</cbc:ID><cbc:Name>ISC</cbc:Name>'
        '<cbc:TaxTypeCode>EXC</cbc:TaxTypeCode></cac:TaxScheme></cac:TaxCategory></cac:TaxSubtotal>')
    line_total.append(isc)
    assert "3108" in [f.code for f in lint(etree.tostring(root)).findings]
