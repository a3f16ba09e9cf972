"""Proofs for the line-tax family: each edit of a valid sample earns its code; valid variations stay
silent where a line-tax rule could over-fire."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from osemock.server.rules.families.line_taxes import icbper_rate
from osemock.server.rules.lint import lint

from ..proofs import Edit, assert_earns, edited

FACTURA = "20123456789-01-F001-1.xml"
EXONERADA = "20123456789-01-F001-4.xml"
GRATUITA = "20123456789-01-F001-8.xml"
ISC = "20123456789-01-F001-20.xml"
ICBPER = "20123456789-01-F001-21.xml"
IVAP = "20123456789-01-F001-22.xml"
BOLETA = "20123456789-03-B001-1.xml"
BOLETA_ICBPER = "20123456789-03-B001-20.xml"
CREDITO = "20123456789-07-FC01-1.xml"
CREDITO_ICBPER = "20123456789-07-FC01-20.xml"
DEBITO = "20123456789-08-FD01-1.xml"

LINE = "/*/cac:InvoiceLine[1]"
SUB = f"{LINE}/cac:TaxTotal/cac:TaxSubtotal"
IGV = f"{SUB}[cac:TaxCategory/cac:TaxScheme/cbc:ID='1000']"
ISC_SUB = f"{SUB}[cac:TaxCategory/cac:TaxScheme/cbc:ID='2000']"
BAGS = "/*/cac:InvoiceLine[2]/cac:TaxTotal/cac:TaxSubtotal[cac:TaxCategory/cac:TaxScheme/cbc:ID='7152']"
CN_SUB = "/*/cac:CreditNoteLine[1]/cac:TaxTotal/cac:TaxSubtotal"
DN_SUB = "/*/cac:DebitNoteLine[1]/cac:TaxTotal/cac:TaxSubtotal"
TO_BOLETA = [("set", "/*/cac:BillingReference/cac:InvoiceDocumentReference/cbc:DocumentTypeCode", "03"),
             ("set", "/*/cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID", "B001-1")]


def _subtotal(code: str, name: str, type_code: str, base: str, tax: str, category: str = "") -> str:
    return (f'<cac:TaxSubtotal><cbc:TaxableAmount currencyID="PEN">{base}</cbc:TaxableAmount>'
            f'<cbc:TaxAmount currencyID="PEN">{tax}</cbc:TaxAmount><cac:TaxCategory>{category}<cac:TaxScheme>'
            f'<cbc:ID>{code}</cbc:ID><cbc:Name>{name}</cbc:Name><cbc:TaxTypeCode>{type_code}</cbc:TaxTypeCode>'
            '</cac:TaxScheme></cac:TaxCategory></cac:TaxSubtotal>')


def _scheme(path: str, code: str, name: str, type_code: str) -> list[tuple]:
    scheme = f"{path}/cac:TaxCategory/cac:TaxScheme"
    # the code last: the path may select the subtotal by its code
    return [("set", f"{scheme}/cbc:Name", name), ("set", f"{scheme}/cbc:TaxTypeCode", type_code), ("set", f"{scheme}/cbc:ID", code)]


EDITS = [
    Edit("3026", FACTURA, [("after", f"{LINE}/cac:TaxTotal", '<cac:TaxTotal><cbc:TaxAmount currencyID="PEN">36.00</cbc:TaxAmount></cac:TaxTotal>')],
         why="a second TaxTotal in one line"),
    Edit("3026", CREDITO, [("after", "/*/cac:CreditNoteLine[1]/cac:TaxTotal",
                            '<cac:TaxTotal><cbc:TaxAmount currencyID="PEN">36.00</cbc:TaxAmount></cac:TaxTotal>')],
         why="a second TaxTotal in a credit-note line"),
    Edit("3272", FACTURA, [("set", f"{IGV}/cbc:TaxableAmount", "150.00")], why="IGV base is not the line value"),
    Edit("3272", ISC, [("set", f"{IGV}/cbc:TaxableAmount", "100.00")], why="IGV base leaves the ISC out"),
    Edit("3272", CREDITO, [("set", f"{CN_SUB}/cbc:TaxableAmount", "150.00")], why="note on a factura: base off"),
    Edit("4294", BOLETA, [("set", f"{IGV}/cbc:TaxableAmount", "150.00")], why="boleta: IGV base off, observed"),
    Edit("4294", CREDITO, TO_BOLETA + [("set", f"{CN_SUB}/cbc:TaxableAmount", "150.00")], why="note on a boleta: base off"),
    Edit("4293", CREDITO, TO_BOLETA + [("set", "/*/cac:CreditNoteLine[1]/cac:TaxTotal/cbc:TaxAmount", "40.00")],
         why="note on a boleta: line total is not the sum"),
    Edit("3110", EXONERADA, [("set", f"{SUB}/cbc:TaxAmount", "5.00")], why="exonerated line with tax"),
    Edit("3110", GRATUITA, [("set", f"{SUB}/cac:TaxCategory/cbc:TaxExemptionReasonCode", "21")],
         why="free exonerated line (21) with IGV"),
    Edit("3111", FACTURA, [("set", f"{IGV}/cbc:TaxAmount", "0.00")], why="taxed line without IGV"),
    Edit("3111", GRATUITA, [("set", f"{SUB}/cbc:TaxAmount", "0.00")], why="free taxed withdrawal (11) without IGV"),
    Edit("2993", FACTURA, [("set", f"{IGV}/cac:TaxCategory/cbc:Percent", "0")], why="IGV rate zero"),
    Edit("2993", GRATUITA, [("set", f"{SUB}/cac:TaxCategory/cbc:Percent", "0")], why="free taxed line, rate zero"),
    Edit("3050", ISC, [("before", f"{ISC_SUB}/cac:TaxCategory/cbc:TierRange",
                        '<cbc:TaxExemptionReasonCode>10</cbc:TaxExemptionReasonCode>')], why="ISC with an affectation"),
    Edit("2040", FACTURA, [("set", f"{IGV}/cac:TaxCategory/cbc:TaxExemptionReasonCode", "20")],
         why="IGV line with the exonerated affectation"),
    Edit("2642", EXONERADA, [("set", "/*/cbc:ProfileID", "0200")], why="export whose lines are not 40"),
    Edit("2644", FACTURA, [("set", f"{IGV}/cac:TaxCategory/cbc:TaxExemptionReasonCode", "17")] + _scheme(IGV, "1016", "IVAP", "VAT"),
         why="IVAP line beside an IGV line"),
    Edit("2644", CREDITO, [("set", "/*/cac:DiscrepancyResponse/cbc:ResponseCode", "12")], why="IVAP note, lines not 17"),
    Edit("3230", CREDITO, [("set", f"{CN_SUB}/cac:TaxCategory/cbc:TaxExemptionReasonCode", "17")],
         why="IVAP affectation on a note that is not type 12"),
    Edit("3105", FACTURA, [("set", f"{IGV}/cbc:TaxableAmount", "0.00")], why="no main tax with a base"),
    Edit("3105", CREDITO, _scheme(CN_SUB, "9999", "OTROS", "OTH"), why="note line with only other taxes"),
    Edit("3223", IVAP, [("append", f"{LINE}/cac:TaxTotal", _subtotal(
        "2000", "ISC", "EXC", "1000.00", "100.00", "<cbc:Percent>10</cbc:Percent><cbc:TierRange>01</cbc:TierRange>"))],
         why="ISC beside IVAP"),
    Edit("3223", EXONERADA, [("append", f"{LINE}/cac:TaxTotal", _subtotal(
        "1000", "IGV", "VAT", "150.00", "27.00", "<cbc:Percent>18</cbc:Percent>"))], why="IGV beside exonerated"),
    Edit("3104", ISC, [("set", f"{ISC_SUB}/cac:TaxCategory/cbc:Percent", "0")], why="ISC rate zero"),
    Edit("3210", FACTURA, [("before", f"{IGV}/cac:TaxCategory/cac:TaxScheme", "<cbc:TierRange>01</cbc:TierRange>")],
         why="ISC system on an IGV subtotal"),
    Edit("2041", ISC, [("set", f"{ISC_SUB}/cac:TaxCategory/cbc:TierRange", "09")], why="ISC system outside catalog 08"),
    Edit("2199", DEBITO, [("append", "/*/cac:DebitNoteLine[1]/cac:TaxTotal", _subtotal(
        "2000", "ISC", "EXC", "100.00", "10.00", "<cbc:Percent>10</cbc:Percent><cbc:TierRange>09</cbc:TierRange>"))],
         why="debit note: ISC system outside catalog 08"),
    Edit("2643", DEBITO, [("set", "/*/cac:DiscrepancyResponse/cbc:ResponseCode", "12"),
                          ("set", f"{DN_SUB}/cbc:TaxableAmount", "0.00")] + _scheme(DN_SUB, "1016", "IVAP", "VAT"),
         why="IVAP debit note with a zero IVAP base"),
    Edit("3101", DEBITO, _scheme(DN_SUB, "9997", "EXO", "VAT") + [
        ("set", f"{DN_SUB}/cac:TaxCategory/cbc:TaxExemptionReasonCode", "20"), ("set", f"{DN_SUB}/cbc:TaxAmount", "0.00")],
         why="exonerated debit-note line with a rate"),
    Edit("3292", FACTURA, [("set", f"{LINE}/cac:TaxTotal/cbc:TaxAmount", "50.00")], why="line total is not the sum"),
    Edit("3292", CREDITO, [("set", "/*/cac:CreditNoteLine[1]/cac:TaxTotal/cbc:TaxAmount", "50.00")],
         why="note on a factura: line total is not the sum"),
    Edit("3103", FACTURA, [("set", f"{IGV}/cbc:TaxAmount", "30.00")], why="IGV is not 18 % of the base"),
    Edit("3103", IVAP, [("set", f"{SUB}/cbc:TaxAmount", "60.00")], why="IVAP is not 4 % of the base"),
    Edit("3108", ISC, [("set", f"{ISC_SUB}/cbc:TaxAmount", "20.00")], why="ISC is not rate x base"),
    Edit("3109", FACTURA, [("append", f"{LINE}/cac:TaxTotal", _subtotal(
        "9999", "OTROS", "OTH", "200.00", "5.00", "<cbc:Percent>10</cbc:Percent>"))], why="other tax is not rate x base"),
    Edit("4318", ICBPER, [("set", f"{BAGS}/cbc:TaxAmount", "2.00")], why="ICBPER is not bags x rate"),
    Edit("3236", ICBPER, [("set", f"{BAGS}/cbc:BaseUnitMeasure", "2")], why="bags differ from the line quantity"),
    Edit("3236", BOLETA_ICBPER, [("set", f"{BAGS}/cbc:BaseUnitMeasure", "5")], why="boleta: bags differ"),
    Edit("3236", CREDITO_ICBPER, [("set", f"{BAGS.replace('InvoiceLine', 'CreditNoteLine')}/cbc:BaseUnitMeasure", "4")],
         why="credit note: bags differ"),
    Edit("4318", CREDITO_ICBPER, [("set", f"{BAGS.replace('InvoiceLine', 'CreditNoteLine')}/cbc:TaxAmount", "1.00")],
         why="credit note: ICBPER is not bags x rate"),
    Edit("2892", ICBPER, [("set", f"{BAGS}/cbc:BaseUnitMeasure", "1.5")], why="bags not a whole number"),
    Edit("4320", ICBPER, [("attr", f"{BAGS}/cbc:BaseUnitMeasure", "unitCode", "KGM")], why="bags not counted in NIU"),
    Edit("3238", ICBPER, [("set", f"{BAGS}/cac:TaxCategory/cbc:PerUnitAmount", "0.00")], why="bags with a zero rate"),
    Edit("4237", ICBPER, [("set", f"{BAGS}/cac:TaxCategory/cbc:PerUnitAmount", "0.40"), ("set", f"{BAGS}/cbc:TaxAmount", "1.20")],
         why="the 2022 rate after 2023"),
    Edit("4237", BOLETA_ICBPER, [("set", f"{BAGS}/cac:TaxCategory/cbc:PerUnitAmount", "0.30"),
                                 ("set", f"{BAGS}/cbc:TaxAmount", "0.60")], why="boleta: an old rate"),
]


@pytest.mark.parametrize("edit", EDITS, ids=str)
def test_edit_earns_its_code(edit):
    assert_earns(edit)


def _codes(edit: Edit) -> set[str]:
    return {f.code for f in lint(edited(edit), edit.base).findings}


SILENT = [
    Edit("3223", FACTURA, [("append", f"{LINE}/cac:TaxTotal", _subtotal(
        "9997", "EXO", "VAT", "0.00", "0.00", "<cbc:Percent>0</cbc:Percent>"
        "<cbc:TaxExemptionReasonCode>20</cbc:TaxExemptionReasonCode>"))],
         why="a zero-base exonerated subtotal beside the IGV one is no second main tax"),
    Edit("4237", ICBPER, [("set", "/*/cbc:DocumentCurrencyCode", "USD")],
         why="in dollars the ICBPER rate in soles is not compared"),
    Edit("3111", BOLETA, [("set", "/*/cbc:ProfileID", "0113"), ("set", f"{IGV}/cbc:TaxAmount", "0.00")],
         why="a NRUS boleta charges no IGV"),
    Edit("3292", CREDITO, TO_BOLETA + [("set", "/*/cac:CreditNoteLine[1]/cac:TaxTotal/cbc:TaxAmount", "40.00")],
         why="a note on a boleta: the line sum is only observed (4293)"),
    Edit("3272", ISC, [("set", f"{IGV}/cbc:TaxableAmount", "117.80")], why="IGV base within the tolerance of one sol"),
    Edit("3223", ICBPER, [("set", f"{BAGS}/../../cac:TaxTotal/cac:TaxSubtotal[1]/cac:TaxCategory/cbc:TaxExemptionReasonCode", "11")]
         + _scheme(f"{BAGS}/../cac:TaxSubtotal[1]", "9996", "GRA", "FRE"), why="a free bag still carries ICBPER"),
]


@pytest.mark.parametrize("edit", SILENT, ids=str)
def test_valid_variation_stays_silent(edit):
    """``edit.code`` is the code the variation must not earn (other rules may still speak)."""
    assert edit.code not in _codes(edit)


def test_samples_with_line_taxes_are_accepted():
    for base in (ISC, ICBPER, IVAP, BOLETA_ICBPER, CREDITO_ICBPER):
        assert lint(edited(Edit("", base)), base).findings == [], base


@pytest.mark.parametrize("issued, rate", [(date(2019, 7, 31), None), (date(2019, 8, 1), "0.10"), (date(2020, 6, 1), "0.20"),
                                          (date(2022, 12, 31), "0.40"), (date(2023, 1, 1), "0.50"), (date(2026, 11, 25), "0.50")])
def test_icbper_rate_by_issue_date(issued, rate):
    assert icbper_rate(issued) == (Decimal(rate) if rate else None)
