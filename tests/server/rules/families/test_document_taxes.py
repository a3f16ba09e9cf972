"""Document taxes and totals: every code of the family earns its place with a failing edit of a valid
base document, and the valid variations (global discounts and charges, advances, mixed boletas, notes
on boletas, small roundings) stay silent."""
from __future__ import annotations

from decimal import Decimal

import pytest

from osemock.fixtures import signed_document
from osemock.server.rules.lint import lint

from ..proofs import Edit, apply, assert_earns, edited

FACTURA = "20123456789-01-F001-1.xml"
EXONERADA = "20123456789-01-F001-4.xml"
GRATUITA = "20123456789-01-F001-8.xml"
DISCOUNT_02 = "20123456789-01-F001-30.xml"      # global discount that lowers the IGV base
OTHER_ADJUSTMENTS = "20123456789-01-F001-31.xml"  # discount 03 and charge 50: the base untouched
ADVANCE = "20123456789-01-F001-32.xml"           # a taxed advance (04, PrepaidPayment, PrepaidAmount)
BOLETA = "20123456789-03-B001-1.xml"
MIXED_BOLETA = "20123456789-03-B001-30.xml"      # gravado + exonerado + inafecto
CREDIT_NOTE = "20123456789-07-FC01-1.xml"
DEBIT_NOTE = "20123456789-08-FD01-1.xml"

TOTAL = "/*/cac:TaxTotal"


def subtotal(tax: str) -> str:
    return f"/*/cac:TaxTotal/cac:TaxSubtotal[cac:TaxCategory/cac:TaxScheme/cbc:ID='{tax}']"


def money(field: str, root: str = "cac:LegalMonetaryTotal") -> str:
    return f"/*/{root}/cbc:{field}"


def global_subtotal(tax: str, name: str, kind: str, base: str | None, amount: str) -> str:
    taxable = f'<cbc:TaxableAmount currencyID="PEN">{base}</cbc:TaxableAmount>' if base is not None else ""
    return (f'<cac:TaxSubtotal>{taxable}<cbc:TaxAmount currencyID="PEN">{amount}</cbc:TaxAmount><cac:TaxCategory>'
            f'<cac:TaxScheme><cbc:ID>{tax}</cbc:ID><cbc:Name>{name}</cbc:Name><cbc:TaxTypeCode>{kind}</cbc:TaxTypeCode>'
            '</cac:TaxScheme></cac:TaxCategory></cac:TaxSubtotal>')


ISC = global_subtotal("2000", "ISC", "EXC", "100.00", "10.00")
OTHER_TAX = global_subtotal("9999", "OTROS", "OTH", "100.00", "10.00")
ICBPER = global_subtotal("7152", "ICBPER", "OTH", None, "0.50")
ICBPER_BAGS = global_subtotal("7152", "ICBPER", "OTH", None, "2.00")   # beyond the tolerance of one


def legend(code: str) -> tuple:
    return ("after", "/*/cbc:Note", f'<cbc:Note languageLocaleID="{code}">OPERACION EN LA AMAZONIA</cbc:Note>')


def rounding(amount: str, root: str = "cac:LegalMonetaryTotal") -> tuple:
    return ("before", money("PayableAmount", root), f'<cbc:PayableRoundingAmount currencyID="PEN">{amount}</cbc:PayableRoundingAmount>')


ON_A_BOLETA = [("set", "/*/cac:BillingReference/cac:InvoiceDocumentReference/cbc:DocumentTypeCode", "03"),
               ("set", "/*/cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID", "B001-1")]

EDITS = [
    # one TaxTotal, with a subtotal for every tax its lines carry
    Edit("3024", FACTURA, [("after", TOTAL, '<cac:TaxTotal><cbc:TaxAmount currencyID="PEN">0.00</cbc:TaxAmount></cac:TaxTotal>')],
         why="a second global TaxTotal"),
    Edit("2638", MIXED_BOLETA, [("remove", subtotal("9998"))], why="unaffected line without its global subtotal"),
    Edit("3000", EXONERADA, [("set", subtotal("9997") + "/cbc:TaxAmount", "5.00")], why="tax on exonerated total"),
    Edit("3107", FACTURA, [("set", "/*/cbc:ProfileID", "0200")], why="export operation with an IGV total"),
    Edit("3221", CREDIT_NOTE, [("set", "/*/cac:DiscrepancyResponse/cbc:ResponseCode", "12"),
                               ("set", subtotal("1000") + "/cac:TaxCategory/cac:TaxScheme/cbc:ID", "9997")],
         why="IVAP credit note with an exonerated total"),
    Edit("2650", FACTURA, [("set", "/*/cac:InvoiceLine[1]/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:TaxExemptionReasonCode", "17"),
                           ("append", TOTAL, ISC)], why="ISC with an IVAP line"),
    Edit("2949", FACTURA, [("append", TOTAL, ICBPER), ("set", "/*/cbc:IssueDate", "2019-07-01")], why="ICBPER before August 2019"),
    # legends that speak of exonerated sales need that total
    *[Edit(code, FACTURA, [legend(legend_code)], why=f"legend {legend_code} without exonerated total")
      for code, legend_code in (("3283", "2001"), ("3284", "2002"), ("3285", "2003"), ("3289", "2008"))],
    *[Edit(code, BOLETA, [legend(legend_code)], why=f"legend {legend_code} without exonerated total")
      for code, legend_code in (("4022", "2001"), ("4023", "2002"), ("4024", "2003"), ("4244", "2008"))],
    # free operations
    Edit("2641", GRATUITA, [("set", subtotal("9996") + "/cbc:TaxableAmount", "0.00")], why="free total zero, reference price"),
    Edit("2416", GRATUITA, [("set", subtotal("9996") + "/cbc:TaxableAmount", "0.00")], why="free total zero, legend 1002"),
    Edit("3276", GRATUITA, [("set", subtotal("9996") + "/cbc:TaxableAmount", "60.00")], why="free total not the lines"),
    Edit("3302", GRATUITA, [("set", subtotal("9996") + "/cbc:TaxAmount", "12.00")], why="free IGV not the lines"),
    Edit("4298", BOLETA, [("set", subtotal("1000") + "/cac:TaxCategory/cac:TaxScheme/cbc:ID", "9996")], why="free total on a boleta"),
    Edit("4311", BOLETA, [("set", subtotal("1000") + "/cac:TaxCategory/cac:TaxScheme/cbc:ID", "9996")], why="free IGV on a boleta"),
    # bases per tax, with the global discounts, charges and advances
    Edit("3277", DISCOUNT_02, [("set", subtotal("1000") + "/cbc:TaxableAmount", "300.00")], why="IGV base ignores discount 02"),
    Edit("3277", ADVANCE, [("set", subtotal("1000") + "/cbc:TaxableAmount", "300.00")], why="IGV base ignores advance 04"),
    Edit("3291", DISCOUNT_02, [("set", subtotal("1000") + "/cbc:TaxAmount", "54.00"), ("set", TOTAL + "/cbc:TaxAmount", "54.00")],
         why="IGV on the base before discount 02"),
    Edit("3291", ADVANCE, [("set", subtotal("1000") + "/cbc:TaxAmount", "54.00"), ("set", TOTAL + "/cbc:TaxAmount", "54.00")],
         why="IGV on the base before advance 04"),
    Edit("3293", FACTURA, [("set", subtotal("1000") + "/cac:TaxCategory/cac:TaxScheme/cbc:ID", "1016")], why="IVAP base without IVAP lines"),
    Edit("3295", FACTURA, [("set", subtotal("1000") + "/cac:TaxCategory/cac:TaxScheme/cbc:ID", "1016")], why="IVAP without IVAP lines"),
    Edit("3273", EXONERADA, [("set", subtotal("9997") + "/cac:TaxCategory/cac:TaxScheme/cbc:ID", "9995")], why="export base without export lines"),
    Edit("3275", EXONERADA, [("set", subtotal("9997") + "/cbc:TaxableAmount", "320.00")], why="exonerated base not the lines"),
    Edit("3274", EXONERADA, [("set", subtotal("9997") + "/cac:TaxCategory/cac:TaxScheme/cbc:ID", "9998")], why="unaffected base without lines"),
    Edit("3296", FACTURA, [("append", TOTAL, ISC)], why="ISC base without ISC lines"),
    Edit("3298", FACTURA, [("append", TOTAL, ISC)], why="ISC without ISC lines"),
    Edit("3297", FACTURA, [("append", TOTAL, OTHER_TAX)], why="other-tax base without lines"),
    Edit("3299", FACTURA, [("append", TOTAL, OTHER_TAX)], why="other tax without lines"),
    Edit("3306", FACTURA, [("append", TOTAL, ICBPER_BAGS)], why="ICBPER without bag lines"),
    Edit("3294", DISCOUNT_02, [("set", TOTAL + "/cbc:TaxAmount", "54.00")], why="TaxTotal not its subtotals"),
    Edit("3462", FACTURA, [("set", "/*/cac:InvoiceLine[2]/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:Percent", "10")],
         why="two IGV rates"),
    # the monetary totals
    Edit("3278", DISCOUNT_02, [("set", money("LineExtensionAmount"), "300.00")], why="total value ignores discount 02"),
    Edit("3279", DISCOUNT_02, [("set", money("TaxInclusiveAmount"), "354.00")], why="total price ignores discount 02"),
    Edit("3279", ADVANCE, [("set", money("TaxInclusiveAmount"), "236.00")], why="total price less the advance"),
    Edit("3280", OTHER_ADJUSTMENTS, [("set", money("PayableAmount"), "354.00")], why="payable ignores discount and charge"),
    Edit("3280", ADVANCE, [("set", money("PayableAmount"), "354.00")], why="payable ignores the advance"),
    Edit("3300", OTHER_ADJUSTMENTS, [("set", money("AllowanceTotalAmount"), "20.00")], why="discount total not the 03"),
    Edit("3301", OTHER_ADJUSTMENTS, [("set", money("ChargeTotalAmount"), "20.00")], why="charge total not the 50"),
    Edit("3303", FACTURA, [rounding("1.50")], why="rounding above one"),
    Edit("3303", DEBIT_NOTE, [rounding("-1.50", "cac:RequestedMonetaryTotal")], why="rounding below minus one"),
    Edit("3315", CREDIT_NOTE, [("set", "/*/cac:DiscrepancyResponse/cbc:ResponseCode", "13")], why="type 13 note with a payable"),
    Edit("2509", ADVANCE, [("set", "/*/cac:PrepaidPayment/cbc:PaidAmount", "100.00")], why="advances do not add up"),
    Edit("3287", ADVANCE, [("set", "/*/cac:AllowanceCharge/cbc:AllowanceChargeReasonCode", "02")], why="advance without discount 04"),
    # the boleta's observations
    Edit("4295", MIXED_BOLETA, [("set", subtotal("9998") + "/cac:TaxCategory/cac:TaxScheme/cbc:ID", "9995")], why="export base"),
    Edit("4296", MIXED_BOLETA, [("set", subtotal("9998") + "/cbc:TaxableAmount", "40.00")], why="unaffected base"),
    Edit("4297", MIXED_BOLETA, [("set", subtotal("9997") + "/cbc:TaxableAmount", "60.00")], why="exonerated base"),
    Edit("4299", MIXED_BOLETA, [("set", subtotal("1000") + "/cbc:TaxableAmount", "120.00")], why="IGV base"),
    Edit("4290", MIXED_BOLETA, [("set", subtotal("1000") + "/cbc:TaxAmount", "25.00")], why="IGV"),
    Edit("4300", BOLETA, [("set", subtotal("1000") + "/cac:TaxCategory/cac:TaxScheme/cbc:ID", "1016")], why="IVAP base"),
    Edit("4302", BOLETA, [("set", subtotal("1000") + "/cac:TaxCategory/cac:TaxScheme/cbc:ID", "1016")], why="IVAP"),
    Edit("4301", MIXED_BOLETA, [("set", TOTAL + "/cbc:TaxAmount", "30.00")], why="TaxTotal"),
    Edit("4303", BOLETA, [("append", TOTAL, ISC)], why="ISC base"),
    Edit("4305", BOLETA, [("append", TOTAL, ISC)], why="ISC"),
    Edit("4304", BOLETA, [("append", TOTAL, OTHER_TAX)], why="other-tax base"),
    Edit("4306", BOLETA, [("append", TOTAL, OTHER_TAX)], why="other tax"),
    Edit("4321", BOLETA, [("append", TOTAL, ICBPER_BAGS)], why="ICBPER"),
    Edit("4307", BOLETA, [("after", money("TaxInclusiveAmount"), '<cbc:AllowanceTotalAmount currencyID="PEN">10.00</cbc:AllowanceTotalAmount>')],
         why="discount total without discounts"),
    Edit("4308", BOLETA, [("after", money("TaxInclusiveAmount"), '<cbc:ChargeTotalAmount currencyID="PEN">10.00</cbc:ChargeTotalAmount>')],
         why="charge total without charges"),
    Edit("4309", MIXED_BOLETA, [("set", money("LineExtensionAmount"), "150.00")], why="total value"),
    Edit("4310", MIXED_BOLETA, [("set", money("TaxInclusiveAmount"), "250.00")], why="total price"),
    Edit("4312", MIXED_BOLETA, [("set", money("PayableAmount"), "150.00")], why="payable"),
    Edit("4314", BOLETA, [rounding("2.00")], why="rounding"),
    # notes on a boleta: the same slips are observations
    Edit("4299", CREDIT_NOTE, ON_A_BOLETA + [("set", subtotal("1000") + "/cbc:TaxableAmount", "320.00")], why="note on boleta, IGV base"),
    Edit("4312", DEBIT_NOTE, ON_A_BOLETA + [("set", money("PayableAmount", "cac:RequestedMonetaryTotal"), "300.00")],
         why="note on boleta, payable"),
    Edit("4314", CREDIT_NOTE, ON_A_BOLETA + [rounding("1.20")], why="note on boleta, rounding"),
]


@pytest.mark.parametrize("edit", EDITS, ids=str)
def test_edit_earns_its_code(edit):
    assert_earns(edit)


def codes_of(edit: Edit) -> list[str]:
    return [f.code for f in lint(edited(edit), edit.base).findings]


@pytest.mark.parametrize("base", [DISCOUNT_02, OTHER_ADJUSTMENTS, ADVANCE, MIXED_BOLETA])
def test_global_adjustments_are_judged_not_skipped(base):
    """The samples with global discounts, charges and advances are accepted on their own arithmetic."""
    result = lint(signed_document(base), base)
    assert result.findings == []


@pytest.mark.parametrize("steps, error, observation", [
    ([("set", subtotal("1000") + "/cbc:TaxableAmount", "320.00")], "3277", "4299"),
    ([("set", subtotal("1000") + "/cbc:TaxAmount", "60.00"), ("set", TOTAL + "/cbc:TaxAmount", "60.00")], "3291", "4290"),
    ([("set", money("PayableAmount"), "300.00")], "3280", "4312"),
])
def test_a_note_answers_by_the_document_it_modifies(steps, error, observation):
    """On a note, the slip is an error when it modifies a factura and an observation otherwise, never both."""
    on_factura = codes_of(Edit(error, CREDIT_NOTE, steps))
    assert error in on_factura and observation not in on_factura
    on_boleta = codes_of(Edit(observation, CREDIT_NOTE, ON_A_BOLETA + steps))
    assert observation in on_boleta and error not in on_boleta


@pytest.mark.parametrize("base, steps", [
    (FACTURA, [rounding("0.40"), ("set", money("PayableAmount"), "354.40")]),      # a rounding within one
    (MIXED_BOLETA, [legend("2001")]),                                               # Amazonía legend with exonerated sales
    (FACTURA, [rounding("-1.00"), ("set", money("PayableAmount"), "353.00")]),      # exactly minus one
    (FACTURA, [("append", TOTAL, ICBPER), ("set", TOTAL + "/cbc:TaxAmount", "54.50")]),  # ICBPER after 2019, within the tolerance
])
def test_valid_variations_stay_silent(base, steps):
    found = codes_of(Edit("0", base, steps))
    assert not {"3303", "4314", "4022", "3280", "2949", "3294"} & set(found), found


def test_one_error_row_for_each_slip():
    """The IVAP and non-IVAP rows of 3279 share a code: a slip is answered once."""
    found = codes_of(Edit("3279", DISCOUNT_02, [("set", money("TaxInclusiveAmount"), "354.00")]))
    assert found.count("3279") == 1


def test_discount_02_lowers_every_igv_figure():
    """F001-30's discount 02 (30.00) is what makes 270.00 / 48.60 / 318.60 right: without it, the same
    figures are wrong."""
    found = codes_of(Edit("3277", DISCOUNT_02, [("remove", "/*/cac:AllowanceCharge")]))
    assert {"3277", "3278", "3291", "3279"} <= set(found)


def test_apply_is_the_proof_language():
    # guard against a silent change of the step language this module relies on
    from lxml import etree

    from osemock.cpe.xmlparse import parse_xml

    root = apply(parse_xml(signed_document(FACTURA)), [rounding("0.10")])
    assert etree.tostring(root).count(b"PayableRoundingAmount") == 2


def _ivap_line(n: int, amount: str) -> list[tuple]:
    line = f"/*/cac:InvoiceLine[{n}]/cac:TaxTotal"
    category = f"{line}/cac:TaxSubtotal/cac:TaxCategory"
    return [("set", f"{line}/cbc:TaxAmount", amount), ("set", f"{line}/cac:TaxSubtotal/cbc:TaxAmount", amount),
            ("set", f"{category}/cbc:Percent", "4"), ("set", f"{category}/cbc:TaxExemptionReasonCode", "17"),
            ("set", f"{category}/cac:TaxScheme/cbc:ID", "1016"), ("set", f"{category}/cac:TaxScheme/cbc:Name", "IVAP")]


def _ivap_factura(base: str, ivap: str, value: str, price: str) -> list[tuple]:
    """F001-1's two lines (200.00 + 100.00) sold under IVAP (4 %)."""
    return _ivap_line(1, "8.00") + _ivap_line(2, "4.00") + [
        ("set", subtotal("1000") + "/cbc:TaxableAmount", base), ("set", subtotal("1000") + "/cbc:TaxAmount", ivap),
        ("set", subtotal("1000") + "/cac:TaxCategory/cac:TaxScheme/cbc:Name", "IVAP"),
        ("set", subtotal("1000") + "/cac:TaxCategory/cac:TaxScheme/cbc:ID", "1016"),
        ("set", TOTAL + "/cbc:TaxAmount", ivap), ("set", money("LineExtensionAmount"), value),
        ("set", money("TaxInclusiveAmount"), price), ("set", money("PayableAmount"), price)]


DISCOUNT_02_OF_30 = ("before", TOTAL, '<cac:AllowanceCharge><cbc:ChargeIndicator>false</cbc:ChargeIndicator>'
                     '<cbc:AllowanceChargeReasonCode>02</cbc:AllowanceChargeReasonCode><cbc:MultiplierFactorNumeric>0.10'
                     '</cbc:MultiplierFactorNumeric><cbc:Amount currencyID="PEN">30.00</cbc:Amount>'
                     '<cbc:BaseAmount currencyID="PEN">300.00</cbc:BaseAmount></cac:AllowanceCharge>')
ARITHMETIC = {"3277", "3278", "3279", "3280", "3291", "3293", "3294", "3295", "3103", "3292", "2638", "3462"}


@pytest.mark.parametrize("steps", [
    _ivap_factura("300.00", "12.00", "300.00", "312.00"),
    [DISCOUNT_02_OF_30] + _ivap_factura("270.00", "10.80", "270.00", "280.80"),
], ids=["ivap", "ivap-discount-02"])
def test_a_factura_under_ivap_is_judged_on_ivap(steps):
    """Subject to IVAP, the total price is the value + IVAP at the lines' rate (4 %), with discount 02."""
    assert not ARITHMETIC & set(codes_of(Edit("0", FACTURA, steps)))


def test_a_factura_under_ivap_still_answers_its_slips():
    steps = _ivap_factura("300.00", "12.00", "300.00", "330.00")
    assert "3279" in codes_of(Edit("3279", FACTURA, steps))


IVAP = "20123456789-01-F001-22.xml"  # one line of 1000.00 under IVAP at 4 % (40.00; price 1040.00)


def _ivap_stated_at(percent: str, tax: str, price: str) -> list[tuple]:
    """F001-22 with its IVAP consistently stated at ``percent``: the line's rate, the line's and the
    document's IVAP, the unit price with tax, the total price and the payable amount all agree."""
    line = "/*/cac:InvoiceLine[1]"
    return [("set", f"{line}/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:Percent", percent),
            ("set", f"{line}/cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount", tax), ("set", f"{line}/cac:TaxTotal/cbc:TaxAmount", tax),
            ("set", f"{line}/cac:PricingReference/cac:AlternativeConditionPrice/cbc:PriceAmount", f"{Decimal(price) / 10:.2f}"),
            ("set", subtotal("1016") + "/cbc:TaxAmount", tax), ("set", TOTAL + "/cbc:TaxAmount", tax),
            ("set", money("TaxInclusiveAmount"), price), ("set", money("PayableAmount"), price)]


@pytest.mark.parametrize("percent, tax, price", [("18", "180.00", "1180.00"), ("2", "20.00", "1020.00")])
def test_the_ivap_is_at_the_rate_in_force(percent, tax, price):
    """Factura rows 354 (3295) and 421 (3279) multiply the IVAP bases by 'la tasa vigente del IVAP' (4 %),
    where the IGV rows' note says to use the rate the lines state: an IVAP stated at another rate, however
    consistently, is wrong.  The line's own row (213, 3103: 'la tasa del tributo por el monto base… de la
    línea') multiplies by the line's rate, so it stays silent."""
    found = codes_of(Edit("3295", IVAP, _ivap_stated_at(percent, tax, price)))
    assert {"3295", "3279"} <= set(found) and "3103" not in found, found


def test_the_ivap_sample_is_at_the_rate_in_force():
    assert not ARITHMETIC & set(codes_of(Edit("0", IVAP, _ivap_stated_at("4", "40.00", "1040.00"))))
