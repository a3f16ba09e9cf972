"""Proofs for the summaries and voids (RC, RA, RR): every code their sheets compile earns a failing
fixture here, valid variations stay silent, and the rules that need the reception day (the mock's
clock) are proven with a clock."""
from __future__ import annotations

from datetime import datetime

import pytest

from osemock.cpe.document import read_header
from osemock.cpe.xmlparse import parse_xml
from osemock.server.engine.validation import CheckInput
from osemock.server.rules.engine import compiled, findings
from osemock.server.rules.lint import lint

from ..proofs import Edit, apply, assert_earns, edited

RC1 = "20123456789-RC-20261120-1.xml"
RC = "20123456789-RC-20261120-2.xml"
RA = "20123456789-RA-20261120-2.xml"
RR = "20123456789-RR-20261120-2.xml"


def L(n: int, rest: str = "") -> str:
    """A path inside line ``n`` of the resumen diario."""
    return f"/*/sac:SummaryDocumentsLine[{n}]" + (f"/{rest}" if rest else "")


def V(n: int, rest: str = "") -> str:
    """A path inside line ``n`` of a comunicación de baja or resumen de reversiones."""
    return f"/*/sac:VoidedDocumentsLine[{n}]" + (f"/{rest}" if rest else "")


PARTY = "cac:AccountingCustomerParty"
REF = "cac:BillingReference/cac:InvoiceDocumentReference"
PERCEPTION = "sac:SUNATPerceptionSummaryDocumentReference"
IGV = "cac:TaxTotal[cac:TaxSubtotal/cac:TaxCategory/cac:TaxScheme/cbc:ID='1000']"
ISC = "cac:TaxTotal[cac:TaxSubtotal/cac:TaxCategory/cac:TaxScheme/cbc:ID='2000']"
ICBPER = "cac:TaxTotal[cac:TaxSubtotal/cac:TaxCategory/cac:TaxScheme/cbc:ID='7152']"
SCHEME = "cac:TaxSubtotal/cac:TaxCategory/cac:TaxScheme"
SUPPLIER = "/*/cac:AccountingSupplierParty"
NAME = f"{SUPPLIER}/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName"


def _header_edits(base: str) -> list[Edit]:
    """The rows every summary shares: versions, dates, the issuer."""
    customization = "1.0" if "-RC-" in base else "1.1"
    supplier_type = ("2218", "2219") if "-RC-" in base else ("2287", "2288")
    return [
        Edit("2075", base, [("set", "/*/cbc:UBLVersionID", "")], why="UBL version empty"),
        Edit("2074", base, [("set", "/*/cbc:UBLVersionID", "2.1")], why="UBL 2.1 is not the summaries' 2.0"),
        Edit("2072", base, [("set", "/*/cbc:CustomizationID", customization)], why="wrong customization"),
        Edit("2346", base, [("set", "/*/cbc:IssueDate", "2026-11-21")], why="issue date is not the ID's"),
        Edit("2671", base, [("set", "/*/cbc:ReferenceDate", "2026-11-21")], why="documents after the summary"),
        Edit(supplier_type[0], base, [("set", f"{SUPPLIER}/cbc:AdditionalAccountID", "1")], why="issuer not a RUC"),
        Edit(supplier_type[1], base, [("set", f"{SUPPLIER}/cbc:AdditionalAccountID", "")], why="issuer type empty")
        if "-RR-" not in base else  # the RR row says only "No existe el Tag UBL"
        Edit(supplier_type[1], base, [("remove", f"{SUPPLIER}/cbc:AdditionalAccountID")], why="issuer type missing"),
        Edit("2229", base, [("set", NAME, "")], why="issuer name empty"),
        Edit("2228", base, [("set", NAME, "AB")], why="issuer name too short"),
    ]


def _charge(indicator: str = "true", amount: str = "5.00") -> str:
    return (f'<cac:AllowanceCharge><cbc:ChargeIndicator>{indicator}</cbc:ChargeIndicator>'
            f'<cbc:Amount currencyID="PEN">{amount}</cbc:Amount></cac:AllowanceCharge>')


RC_EDITS = _header_edits(RC) + [
    Edit("2238", RC, [("set", L(1, "cbc:LineID"), "A1")], why="line number not numeric"),
    Edit("2239", RC, [("set", L(1, "cbc:LineID"), "0")], why="line number zero"),
    Edit("2752", RC, [("set", L(2, "cbc:LineID"), "1")], why="line number repeated"),
    Edit("2512", RC, [("remove", L(1, "cbc:ID"))], why="document ID missing"),
    Edit("2513", RC, [("set", L(1, "cbc:ID"), "F001-10")], why="boleta with a factura serie"),
    Edit("2513", RC, [("set", L(4, f"{REF}/cbc:DocumentTypeCode"), "01")], why="note modifying a factura"),
    Edit("2242", RC, [("set", L(1, "cbc:DocumentTypeCode"), "")], why="document type empty"),
    Edit("2241", RC, [("set", L(1, "cbc:DocumentTypeCode"), "01")], why="a factura in a resumen diario"),
    Edit("3094", RC, [("set", L(2, "cbc:ID"), "B001-10"), ("set", L(2, "cac:Status/cbc:ConditionCode"), "1")],
         why="same document and state twice"),
    Edit("3095", RC, [("set", L(2, "cbc:ID"), "B001-10")], why="added and modified together"),
    Edit("3096", RC, [("set", L(3, "cbc:ID"), "B001-5")], why="modified and voided together"),
    Edit("2514", RC, [("remove", L(5, PARTY))], why="above 700 soles without buyer"),
    Edit("2014", RC, [("remove", L(1, f"{PARTY}/cbc:CustomerAssignedAccountID"))], why="buyer without number"),
    Edit("2017", RC, [("set", L(1, f"{PARTY}/cbc:AdditionalAccountID"), "6")], why="RUC of 8 digits"),
    Edit("4207", RC, [("set", L(1, f"{PARTY}/cbc:CustomerAssignedAccountID"), "4567891")], why="DNI of 7 digits"),
    Edit("4208", RC, [("set", L(1, f"{PARTY}/cbc:AdditionalAccountID"), "4"),
                      ("set", L(1, f"{PARTY}/cbc:CustomerAssignedAccountID"), "ABCDEFGHIJKLMNOPQRSTU")],
         why="carnet longer than 20"),
    Edit("2015", RC, [("remove", L(1, f"{PARTY}/cbc:AdditionalAccountID"))], why="buyer without type"),
    Edit("2016", RC, [("set", L(1, f"{PARTY}/cbc:AdditionalAccountID"), "Z")], why="buyer type not in catalog 6"),
    Edit("2582", RC, [("after", L(1, PARTY), "<cac:BillingReference><cac:InvoiceDocumentReference><cbc:ID>B001-1</cbc:ID>"
                                            "<cbc:DocumentTypeCode>03</cbc:DocumentTypeCode></cac:InvoiceDocumentReference>"
                                            "</cac:BillingReference>")], why="a boleta referencing a document"),
    Edit("2524", RC, [("set", L(4, f"{REF}/cbc:ID"), "")], why="note without the boleta it modifies"),
    Edit("2920", RC, [("set", L(4, f"{REF}/cbc:ID"), "B001-0")], why="modified boleta number zero"),
    Edit("2920", RC, [("set", L(4, f"{REF}/cbc:DocumentTypeCode"), "12"), ("set", L(4, f"{REF}/cbc:ID"), "TICKET 1")],
         why="modified ticket with a space"),
    Edit("2583", RC, [("remove", L(4, f"{REF}/cbc:DocumentTypeCode"))], why="note without the modified type"),
    Edit("2986", RC, [("set", L(5, "cac:Status/cbc:ConditionCode"), "2")], why="perception on a modification"),
    Edit("2986", RC, [("set", L(5, "cbc:DocumentTypeCode"), "08"), ("set", L(5, "cbc:ID"), "BD01-1")],
         why="perception on a debit note"),
    Edit("2517", RC, [("set", L(5, f"{PERCEPTION}/sac:SUNATPerceptionSystemCode"), "09")], why="unknown regime"),
    Edit("2891", RC, [("set", L(5, f"{PERCEPTION}/sac:SUNATPerceptionPercent"), "1.00")], why="rate of another regime"),
    Edit("2893", RC, [("set", L(5, f"{PERCEPTION}/cbc:TotalInvoiceAmount"), "23.605")], why="perception 3 decimals"),
    Edit("2893", RC, [("set", L(5, f"{PERCEPTION}/cbc:TotalInvoiceAmount"), "0.00")], why="perception zero"),
    Edit("2608", RC, [("set", L(5, f"{PERCEPTION}/cbc:TotalInvoiceAmount"), "30.00"),
                      ("set", L(5, f"{PERCEPTION}/sac:SUNATTotalCashed"), "1210.00")], why="perception not 2 percent"),
    Edit("2608", RC, [("set", L(5, f"{PERCEPTION}/sac:SUNATTotalCashed"), "1300.00")], why="cashed not total plus perception"),
    Edit("2685", RC, [("attr", L(5, f"{PERCEPTION}/cbc:TotalInvoiceAmount"), "currencyID", "USD")], why="perception in USD"),
    Edit("2895", RC, [("set", L(5, f"{PERCEPTION}/sac:SUNATTotalCashed"), "1203.601")], why="cashed 3 decimals"),
    Edit("2895", RC, [("set", L(5, f"{PERCEPTION}/sac:SUNATTotalCashed"), "0")], why="cashed zero"),
    Edit("2690", RC, [("attr", L(5, f"{PERCEPTION}/sac:SUNATTotalCashed"), "currencyID", "USD")], why="cashed in USD"),
    Edit("2897", RC, [("set", L(5, f"{PERCEPTION}/cbc:TaxableAmount"), "1180.001")], why="perception base 3 decimals"),
    Edit("2897", RC, [("set", L(5, f"{PERCEPTION}/cbc:TaxableAmount"), "0")], why="perception base zero"),
    Edit("2522", RC, [("set", L(1, "cac:Status/cbc:ConditionCode"), "")], why="state empty"),
    Edit("2896", RC, [("set", L(1, "cac:Status/cbc:ConditionCode"), "4")], why="state not in catalog 19"),
    Edit("2251", RC, [("set", L(1, "sac:TotalAmount"), "-135.30")], why="negative total"),
    Edit("4027", RC, [("set", L(1, "sac:TotalAmount"), "150.00")], why="total is not the sum"),
    Edit("2071", RC, [("attr", L(1, "sac:BillingPayment/cbc:PaidAmount"), "currencyID", "USD")], why="sales in USD"),
    Edit("2255", RC, [("remove", L(1, "sac:BillingPayment/cbc:PaidAmount"))], why="sales amount missing"),
    Edit("2254", RC, [("set", L(1, "sac:BillingPayment/cbc:PaidAmount"), "-100.00")], why="negative sales"),
    Edit("2254", RC, [("set", L(1, "sac:BillingPayment/cbc:PaidAmount"), "0.00")],
         why="a payment of zero ('y diferente de cero': an RC line states the totals it has)"),
    Edit("2048", RC, [("set", L(1, f"{ISC}/cbc:TaxAmount"), "0.00"), ("set", L(1, f"{ISC}/cac:TaxSubtotal/cbc:TaxAmount"), "0.00")],
         why="an ISC total of zero"),
    Edit("2048", RC, [("set", L(1, f"{ICBPER}/cbc:TaxAmount"), "0.00"),
                      ("set", L(1, f"{ICBPER}/cac:TaxSubtotal/cbc:TaxAmount"), "0.00")], why="an ICBPER total of zero"),
    Edit("2257", RC, [("remove", L(1, "sac:BillingPayment/cbc:InstructionID"))], why="sales type missing"),
    Edit("2256", RC, [("set", L(1, "sac:BillingPayment/cbc:InstructionID"), "09")], why="sales type not in catalog 11"),
    Edit("2357", RC, [("after", L(1, "sac:BillingPayment"), '<sac:BillingPayment><cbc:PaidAmount currencyID="PEN">1.00'
                                                           '</cbc:PaidAmount><cbc:InstructionID>01</cbc:InstructionID>'
                                                           '</sac:BillingPayment>')], why="sales type twice"),
    Edit("2263", RC, [("set", L(1, "cac:AllowanceCharge/cbc:ChargeIndicator"), "false")], why="a discount"),
    Edit("2411", RC, [("after", L(1, "cac:AllowanceCharge"), _charge(amount="1.00"))], why="two charges"),
    Edit("2261", RC, [("set", L(1, "cac:AllowanceCharge/cbc:Amount"), "-5.00")], why="negative charge"),
    Edit("2266", RC, [("set", L(1, "cac:AllowanceCharge/cbc:Amount"), "0.00")], why="zero charge"),
    Edit("2278", RC, [("set", L(2, f"cac:TaxTotal/{SCHEME}/cbc:ID"), "9997"), ("set", L(2, f"cac:TaxTotal/{SCHEME}/cbc:Name"), "EXO")],
         why="line without IGV"),
    Edit("2048", RC, [("set", L(1, f"{IGV}/cbc:TaxAmount"), "-19.80")], why="negative IGV"),
    Edit("4019", RC, [("set", L(1, f"{IGV}/cbc:TaxAmount"), "30.00"), ("set", L(1, f"{IGV}/cac:TaxSubtotal/cbc:TaxAmount"), "30.00")],
         why="IGV of a boleta not 18 percent"),
    Edit("4019", RC, [("set", L(4, f"{IGV}/cbc:TaxAmount"), "9.00"), ("set", L(4, f"{IGV}/cac:TaxSubtotal/cbc:TaxAmount"), "9.00")],
         why="IGV of a note not 18 percent"),
    Edit("4302", RC, [("set", L(5, f"cac:TaxTotal/{SCHEME}/cbc:ID"), "1016"), ("set", L(5, f"cac:TaxTotal/{SCHEME}/cbc:Name"), "IVAP")],
         why="IVAP not 4 percent"),
    Edit("2344", RC, [("set", L(1, f"{IGV}/cac:TaxSubtotal/cbc:TaxAmount"), "19.00")], why="subtotal differs from total"),
    Edit("2269", RC, [("set", L(1, f"{IGV}/{SCHEME}/cbc:ID"), "")], why="tax code empty"),
    Edit("2268", RC, [("set", L(1, f"{IGV}/{SCHEME}/cbc:ID"), "1234")], why="tax code not in catalog 5"),
    Edit("2355", RC, [("set", L(1, f"{ICBPER}/{SCHEME}/cbc:ID"), "2000")], why="tax code twice in a line"),
    Edit("2271", RC, [("set", L(1, f"{IGV}/{SCHEME}/cbc:Name"), "")], why="tax name empty"),
    Edit("2276", RC, [("set", L(1, f"{IGV}/{SCHEME}/cbc:Name"), "VAT")], why="IGV not named IGV"),
    Edit("3051", RC, [("set", L(5, f"cac:TaxTotal/{SCHEME}/cbc:ID"), "1016")], why="IVAP named IGV"),
    Edit("2275", RC, [("set", L(1, f"{ISC}/{SCHEME}/cbc:Name"), "IGV")], why="ISC not named ISC"),
]

RA_EDITS = _header_edits(RA) + [
    Edit("2307", RA, [("set", V(1, "cbc:LineID"), "")], why="line number empty"),
    Edit("2305", RA, [("set", V(1, "cbc:LineID"), "123456")], why="line number of 6 digits"),
    Edit("2306", RA, [("set", V(1, "cbc:LineID"), "0")], why="line number zero"),
    Edit("2752", RA, [("set", V(2, "cbc:LineID"), "1")], why="line number repeated"),
    Edit("2309", RA, [("set", V(1, "cbc:DocumentTypeCode"), "")], why="document type empty"),
    Edit("2308", RA, [("set", V(1, "cbc:DocumentTypeCode"), "03")], why="a boleta voided by communication"),
    Edit("2311", RA, [("set", V(1, "sac:DocumentSerialID"), "")], why="serie empty"),
    Edit("2310", RA, [("set", V(1, "sac:DocumentSerialID"), "B001")], why="factura with a boleta serie"),
    Edit("2310", RA, [("set", V(2, "sac:DocumentSerialID"), "BC01")], why="note of a boleta"),
    Edit("2310", RA, [("set", V(1, "cbc:DocumentTypeCode"), "34"), ("set", V(1, "sac:DocumentSerialID"), "0001")],
         why="type 34 with a contingency serie"),
    Edit("2313", RA, [("set", V(1, "sac:DocumentNumberID"), "")], why="number empty"),
    Edit("2312", RA, [("set", V(1, "sac:DocumentNumberID"), "123456789")], why="number of 9 digits"),
    Edit("2348", RA, [("set", V(3, "cbc:DocumentTypeCode"), "07"), ("set", V(3, "sac:DocumentSerialID"), "FC01")],
         why="the same note voided twice"),
    Edit("2315", RA, [("set", V(1, "sac:VoidReasonDescription"), "")], why="reason empty"),
    Edit("4203", RA, [("set", V(1, "sac:VoidReasonDescription"), "NO")], why="reason of 2 characters"),
]

RR_EDITS = _header_edits(RR) + [
    Edit("2307", RR, [("set", V(1, "cbc:LineID"), "")], why="line number empty"),
    Edit("2305", RR, [("set", V(1, "cbc:LineID"), "-1")], why="negative line number"),
    Edit("2306", RR, [("set", V(1, "cbc:LineID"), "00")], why="line number zero"),
    Edit("2752", RR, [("set", V(2, "cbc:LineID"), "1")], why="line number repeated"),
    Edit("2309", RR, [("set", V(1, "cbc:DocumentTypeCode"), "")], why="document type empty"),
    Edit("2308", RR, [("set", V(1, "cbc:DocumentTypeCode"), "01")], why="a factura reversed"),
    Edit("2311", RR, [("set", V(1, "sac:DocumentSerialID"), "")], why="serie empty"),
    Edit("2674", RR, [("set", V(1, "sac:DocumentSerialID"), "P001")], why="retention with a perception serie"),
    Edit("2675", RR, [("set", V(2, "sac:DocumentSerialID"), "R001")], why="perception with a retention serie"),
    Edit("2313", RR, [("set", V(1, "sac:DocumentNumberID"), "")], why="number empty"),
    Edit("2312", RR, [("set", V(1, "sac:DocumentNumberID"), "1A")], why="number not numeric"),
    Edit("2348", RR, [("set", V(2, "cbc:DocumentTypeCode"), "20"), ("set", V(2, "sac:DocumentSerialID"), "R001"),
                      ("set", V(2, "sac:DocumentNumberID"), "2")], why="the same retention twice"),
    Edit("2315", RR, [("set", V(1, "sac:VoidReasonDescription"), "")], why="reason empty"),
    Edit("4203", RR, [("set", V(1, "sac:VoidReasonDescription"), "X")], why="reason of 1 character"),
]

EDITS = RC_EDITS + RA_EDITS + RR_EDITS


@pytest.mark.parametrize("edit", EDITS, ids=str)
def test_edit_earns_its_code(edit):
    assert_earns(edit)


# -- the reception day (the mock's clock) ---------------------------------------------------------------
#: Codes proven below with a clock (offline, without one, these rules stay silent).
PROVEN_CODES = {"2236", "2301", "4443", "2957"}
_TYPE = {RC: "RC", RA: "RA", RR: "RR"}


def _codes_on(base: str, day: str, steps=()) -> list[str]:
    root = apply(parse_xml(edited(Edit("0", base))), list(steps))
    source = CheckInput(root, read_header(root), now=datetime.fromisoformat(f"{day}T10:00:00-05:00"))
    return [f.code for f in findings(root, _TYPE[base], source)]


@pytest.mark.parametrize("base, day, code", [
    (RC, "2026-11-19", "2236"),        # generated the day after it is received
    (RA, "2026-11-19", "2301"),
    (RR, "2026-11-19", "2301"),
    (RC, "2026-11-27", "4443"),        # boletas of the 19th summarised on the 27th
    (RC, "2026-11-27", "2957"),        # … and B001-6 voided (state 3) more than 7 days late
    (RA, "2026-11-26", "2957"),        # documents of the 18th voided on the 26th
])
def test_reception_day_rules(base, day, code):
    assert code in _codes_on(base, day)


@pytest.mark.parametrize("base, day", [(RC, "2026-11-20"), (RC, "2026-11-26"), (RA, "2026-11-25"), (RR, "2026-11-20")])
def test_in_time_stays_silent(base, day):
    assert _codes_on(base, day) == []


def test_contingency_boleta_voided_late_is_not_2957():
    """The 7-day limit of 2957 is for electronic series; a contingency serie (starting with a digit) is exempt."""
    codes = _codes_on(RC, "2026-11-27", [("set", L(3, "cbc:ID"), "0001-6")])
    assert "2957" not in codes and "4443" in codes


# -- valid variations stay silent ---------------------------------------------------------------------
SILENT = [
    Edit("", RC1, [], why="the first summary"),
    Edit("", RC, [("set", L(1, f"{IGV}/cbc:TaxAmount"), "11.55"), ("set", L(1, f"{IGV}/cac:TaxSubtotal/cbc:TaxAmount"), "11.55"),
                  ("set", L(1, "sac:TotalAmount"), "127.05")], why="IGV at 10.5 percent (restaurants, hotels)"),
    Edit("", RC, [("attr", L(3, "sac:TotalAmount"), "currencyID", "USD"), ("set", L(3, "sac:TotalAmount"), "800.00"),
                  ("attr", L(3, "sac:BillingPayment/cbc:PaidAmount"), "currencyID", "USD"),
                  ("set", L(3, "sac:BillingPayment/cbc:PaidAmount"), "800.00"),
                  ("attr", L(3, f"{IGV}/cbc:TaxAmount"), "currencyID", "USD"),
                  ("attr", L(3, f"{IGV}/cac:TaxSubtotal/cbc:TaxAmount"), "currencyID", "USD")],
         why="a line in dollars above 700 without buyer (the threshold is in soles)"),
    Edit("", RC, [("set", L(4, "cac:Status/cbc:ConditionCode"), "3"), ("remove", L(4, "cac:BillingReference"))],
         why="a note voided (state 3) without its reference"),
    Edit("", RC, [("set", L(1, "cbc:ID"), "0001-10")], why="a contingency boleta"),
    Edit("", RC, [("set", L(4, f"{REF}/cbc:ID"), "EB01-25")], why="a note modifying an EB01 boleta"),
    Edit("", RC, [("set", L(1, f"{PARTY}/cbc:AdditionalAccountID"), "-"), ("set", L(1, f"{PARTY}/cbc:CustomerAssignedAccountID"), "-")],
         why="a buyer without document (guion)"),
    Edit("", RC, [("set", L(1, f"{IGV}/cbc:TaxAmount"), "0.00"), ("set", L(1, f"{IGV}/cac:TaxSubtotal/cbc:TaxAmount"), "0.00"),
                  ("set", L(1, "sac:TotalAmount"), "115.50")], why="a zero IGV is not compared (rows say greater than 0)"),
    Edit("", RA, [("set", V(1, "sac:DocumentSerialID"), "0001")], why="a contingency factura voided"),
    Edit("", RA, [("set", V(1, "cbc:DocumentTypeCode"), "30"), ("set", V(1, "sac:DocumentSerialID"), "F001")],
         why="a type 30 document voided"),
    Edit("", RR, [("set", V(1, "sac:DocumentSerialID"), "0001")], why="a contingency retention reversed"),
]


@pytest.mark.parametrize("edit", SILENT, ids=lambda e: e.why[:60])
def test_valid_variation_stays_silent(edit):
    result = lint(edited(edit), edit.base)
    assert result.findings == [], [(f.code, f.detail) for f in result.findings]


# -- the ledger of these sheets -----------------------------------------------------------------------
def test_every_summary_code_is_proven():
    """Every code the summary sheets compile is earned by an edit above, a clock proof, or (2011) the
    backend tests over HTTP."""
    from tests.server.rules.families.test_sunat_only import PROVEN_CODES as AT_SUNAT
    from tests.server.test_tickets import PROVEN_CODES as OVER_HTTP  # the store-backed codes

    proven = {edit.code for edit in EDITS} | PROVEN_CODES | OVER_HTTP | set(AT_SUNAT) | {"2011"}
    for sheet in ("resumen_diario", "comunicacion_baja", "resumen_reversiones"):
        missing = sorted({check.row.code for check in compiled(sheet)} - proven)
        assert missing == [], (sheet, missing)
