"""Proofs for the line-item family: each code earned by a small edit of a valid base document, and valid
variations that must stay silent."""
from __future__ import annotations

import pytest

from osemock.server.rules.lint import lint

from ..proofs import Edit, assert_earns, edited

FACTURA = "20123456789-01-F001-1.xml"
CREDIT_FACTURA = "20123456789-01-F001-7.xml"  # GTIN-13 on its first line
FREE = "20123456789-01-F001-8.xml"  # a free (9996) line
LINE_ITEMS = "20123456789-01-F001-10.xml"  # a line discount (00, 10 %) and a mortgage line with concepts 7001-7012
BOLETA = "20123456789-03-B001-1.xml"
CREDIT_NOTE = "20123456789-07-FC01-1.xml"
DEBIT_NOTE = "20123456789-08-FD01-1.xml"

LINE = "/*/cac:InvoiceLine[1]"
MORTGAGE = "/*/cac:InvoiceLine[2]"
DISCOUNT = f"{LINE}/cac:AllowanceCharge"


def prop(code: str, value: str | None = None, *, quantity: str | None = None, period: str | None = None) -> str:
    """An AdditionalItemProperty snippet (value, quantity with its unit, usability period as XML)."""
    return ("<cac:AdditionalItemProperty><cbc:Name>Dato</cbc:Name>"
            f"<cbc:NameCode listName=\"Propiedad del item\" listAgencyName=\"PE:SUNAT\" "
            f"listURI=\"urn:pe:gob:sunat:cpe:see:gem:catalogos:catalogo55\">{code}</cbc:NameCode>"
            + (f"<cbc:Value>{value}</cbc:Value>" if value is not None else "")
            + (f"<cbc:ValueQuantity {quantity}</cbc:ValueQuantity>" if quantity else "")
            + (f"<cac:UsabilityPeriod>{period}</cac:UsabilityPeriod>" if period is not None else "")
            + "</cac:AdditionalItemProperty>")


def add(*properties: str, line: str = LINE) -> tuple[str, str, str]:
    return ("append", f"{line}/cac:Item", "".join(properties))


def operation(code: str) -> tuple[str, str, str]:
    return ("set", "/*/cbc:ProfileID", code)


def charge(reason: str, indicator: str, factor: str, amount: str, base: str) -> str:
    return (f"<cac:AllowanceCharge><cbc:ChargeIndicator>{indicator}</cbc:ChargeIndicator>"
            f"<cbc:AllowanceChargeReasonCode>{reason}</cbc:AllowanceChargeReasonCode>"
            f"<cbc:MultiplierFactorNumeric>{factor}</cbc:MultiplierFactorNumeric>"
            f"<cbc:Amount currencyID=\"PEN\">{amount}</cbc:Amount><cbc:BaseAmount currencyID=\"PEN\">{base}</cbc:BaseAmount>"
            "</cac:AllowanceCharge>")


HOSPEDAJE = {"3136": "4009", "3137": "4008", "3138": "4000", "3139": "4007", "3140": "4001", "3141": "4002",
             "3142": "4003", "3143": "4004", "3144": "4006", "3145": "4005"}
BVME = {"3159": "4040", "3160": "4041", "3204": "4049", "3161": "4042", "3162": "4043", "3163": "4044",
        "3164": "4045", "3165": "4046", "3166": "4047", "3167": "4048"}
CARTA_PORTE = {"3168": "4030", "3169": "4031", "3170": "4032", "3171": "4033"}
HIDROBIOLOGICOS = {"3063": "3001", "3130": "3002", "3131": "3003", "3132": "3004", "3134": "3005", "3133": "3006"}
ESTADO = {"3146": "5001", "3147": "5000", "3148": "5000", "3149": "5000"}
MORTGAGE_CONCEPTS = {"3150": "7001", "3151": "7003", "3152": "7004", "3153": "7005", "3154": "7006", "3155": "7007"}

EDITS = [
    # the line itself: number, quantity and unit
    Edit("2023", FACTURA, [("set", f"{LINE}/cbc:ID", "0")], why="line number zero"),
    Edit("2023", FACTURA, [("set", f"{LINE}/cbc:ID", "1000")], why="line number of four digits"),
    Edit("2137", CREDIT_NOTE, [("set", "/*/cac:CreditNoteLine[2]/cbc:ID", "A2")], why="credit note line number"),
    Edit("2137", DEBIT_NOTE, [("set", "/*/cac:DebitNoteLine[2]/cbc:ID", "0")], why="debit note line number"),
    Edit("2752", FACTURA, [("set", "/*/cac:InvoiceLine[2]/cbc:ID", "1")], why="two lines numbered 1"),
    Edit("2752", CREDIT_NOTE, [("set", "/*/cac:CreditNoteLine[2]/cbc:ID", "1")], why="two credit note lines numbered 1"),
    Edit("2024", FACTURA, [("set", f"{LINE}/cbc:InvoicedQuantity", "0.00")], why="quantity zero"),
    Edit("2024", FACTURA, [("remove", f"{LINE}/cbc:InvoicedQuantity")], why="no quantity"),
    Edit("2883", FACTURA, [("attr", f"{LINE}/cbc:InvoicedQuantity", "unitCode", None)], why="quantity without unit"),
    Edit("2138", CREDIT_NOTE, [("attr", "/*/cac:CreditNoteLine[1]/cbc:CreditedQuantity", "unitCode", None)],
         why="credited quantity without unit"),
    Edit("2188", DEBIT_NOTE, [("attr", "/*/cac:DebitNoteLine[1]/cbc:DebitedQuantity", "unitCode", None)],
         why="debited quantity without unit"),
    Edit("2936", FACTURA, [("attr", f"{LINE}/cbc:InvoicedQuantity", "unitCode", "UNIDAD")], why="unit not in catálogo 03"),
    # the item: description and codes
    Edit("2027", FACTURA, [("set", f"{LINE}/cac:Item/cbc:Description", "D" * 501)], why="description of 501 characters"),
    Edit("4084", CREDIT_NOTE, [("set", "/*/cac:CreditNoteLine[1]/cac:Item/cbc:Description", "AB")],
         why="credit note description of 2 characters"),
    Edit("4269", FACTURA, [("set", f"{LINE}/cac:Item/cac:SellersItemIdentification/cbc:ID", "X" * 31)],
         why="seller's code of 31 characters"),
    Edit("3496", FACTURA, [("set", f"{LINE}/cac:Item/cac:CommodityClassification/cbc:ItemClassificationCode", "4321170")],
         why="product code of 7 digits"),
    Edit("4332", FACTURA, [("set", f"{LINE}/cac:Item/cac:CommodityClassification/cbc:ItemClassificationCode", "43219999")],
         why="product code not in catálogo 25"),
    Edit("4337", FACTURA, [("set", f"{LINE}/cac:Item/cac:CommodityClassification/cbc:ItemClassificationCode", "43210000")],
         why="product code of a family, not a product"),
    Edit("3181", FACTURA, [operation("0112")], why="0112 without a 84121901 or 80131501 line"),
    Edit("4333", CREDIT_FACTURA, [("attr", f"{LINE}/cac:Item/cac:StandardItemIdentification/cbc:ID", "schemeID", None)],
         why="GTIN without its structure"),
    Edit("4335", CREDIT_FACTURA, [("attr", f"{LINE}/cac:Item/cac:StandardItemIdentification/cbc:ID", "schemeID", "EAN")],
         why="GTIN structure EAN"),
    Edit("4334", CREDIT_FACTURA, [("set", f"{LINE}/cac:Item/cac:StandardItemIdentification/cbc:ID", "775123456789")],
         why="GTIN-13 of 12 digits"),
    # prices: free lines and the unit price with taxes
    Edit("2640", FREE, [("set", f"{LINE}/cac:Price/cbc:PriceAmount", "5.00")], why="free line with a unit value"),
    Edit("3224", FACTURA, [("set", f"{LINE}/cac:PricingReference/cac:AlternativeConditionPrice/cbc:PriceTypeCode", "02")],
         why="onerous line with a type 02 reference value"),
    Edit("3234", FREE, [("set", f"{LINE}/cac:PricingReference/cac:AlternativeConditionPrice/cbc:PriceTypeCode", "01")],
         why="free line with a type 01 price"),
    Edit("2410", CREDIT_NOTE, [("remove", "/*/cac:CreditNoteLine[1]/cac:PricingReference/cac:AlternativeConditionPrice/"
                                          "cbc:PriceTypeCode")], why="credit note price without its type"),
    Edit("3270", FACTURA, [("set", f"{LINE}/cac:PricingReference/cac:AlternativeConditionPrice/cbc:PriceAmount", "150.00")],
         why="unit price with taxes off"),
    Edit("3270", LINE_ITEMS, [("set", f"{LINE}/cac:PricingReference/cac:AlternativeConditionPrice/cbc:PriceAmount", "118.00")],
         why="unit price with taxes ignoring the discount"),
    Edit("3270", DEBIT_NOTE, [("set", "/*/cac:DebitNoteLine[1]/cac:PricingReference/cac:AlternativeConditionPrice/"
                                      "cbc:PriceAmount", "150.00")], why="debit note on a factura, price off"),
    Edit("4287", BOLETA, [("set", f"{LINE}/cac:PricingReference/cac:AlternativeConditionPrice/cbc:PriceAmount", "150.00")],
         why="boleta unit price with taxes off"),
    Edit("4287", DEBIT_NOTE, [("set", "/*/cac:BillingReference/cac:InvoiceDocumentReference/cbc:DocumentTypeCode", "03"),
                              ("set", "/*/cac:DebitNoteLine[1]/cac:PricingReference/cac:AlternativeConditionPrice/"
                                      "cbc:PriceAmount", "150.00")], why="debit note on a boleta, price off"),
    Edit("3271", FACTURA, [("set", f"{LINE}/cbc:LineExtensionAmount", "150.00")], why="line value off"),
    Edit("3271", LINE_ITEMS, [("set", f"{LINE}/cbc:LineExtensionAmount", "200.00")], why="line value ignoring discount"),
    Edit("3271", FREE, [("set", f"{LINE}/cbc:LineExtensionAmount", "80.00")], why="free line value off"),
    Edit("4288", CREDIT_NOTE, [("set", "/*/cac:BillingReference/cac:InvoiceDocumentReference/cbc:DocumentTypeCode", "03"),
                               ("set", "/*/cac:CreditNoteLine[1]/cbc:LineExtensionAmount", "150.00")],
         why="credit note on a boleta, line value off"),
    # the line's charges and discounts
    Edit("3114", LINE_ITEMS, [("set", f"{DISCOUNT}/cbc:ChargeIndicator", "true")], why="discount 00 marked as a charge"),
    Edit("3114", LINE_ITEMS, [("set", f"{DISCOUNT}/cbc:AllowanceChargeReasonCode", "47")], why="charge 47 marked as a discount"),
    Edit("4268", LINE_ITEMS, [("set", f"{DISCOUNT}/cbc:AllowanceChargeReasonCode", "02")], why="global reason on a line"),
    Edit("3290", LINE_ITEMS, [("set", f"{DISCOUNT}/cbc:Amount", "30.00")], why="discount is not base times factor"),
    Edit("4289", BOLETA, [("before", f"{LINE}/cac:TaxTotal", charge("01", "false", "0.10", "50.00", "236.00"))],
         why="boleta discount is not base times factor"),
    Edit("3073", LINE_ITEMS, [("remove", f"{DISCOUNT}/cbc:AllowanceChargeReasonCode")], why="line discount without reason"),
    Edit("3052", LINE_ITEMS, [("set", f"{DISCOUNT}/cbc:MultiplierFactorNumeric", "1000")], why="factor of four integers"),
    # item properties (catálogo 55)
    Edit("3064", FACTURA, [add(prop("3001"))], why="3001 without value"),
    Edit("3064", LINE_ITEMS, [("set", f"{MORTGAGE}/cac:Item/cac:AdditionalItemProperty[cbc:NameCode='7004']/cbc:Value", "")],
         why="contract number empty"),
    Edit("3065", FACTURA, [add(prop("3059", "x"))], why="3059 without start date"),
    Edit("3172", FACTURA, [add(prop("3060", "x", period="<cbc:StartDate>2026-11-20</cbc:StartDate>"))],
         why="3060 without start time"),
    Edit("3135", FACTURA, [add(prop("4005", period="<cbc:StartDate>2026-11-20</cbc:StartDate>"))],
         why="4005 without its number of days"),
    Edit("3135", FACTURA, [add(prop("3006", "x"))], why="3006 without its quantity"),
    Edit("3243", FACTURA, [add(prop("7014", period="<cbc:EndDate>2027-11-20</cbc:EndDate>"))], why="7014 without start"),
    Edit("4366", FACTURA, [add(prop("7014", period="<cbc:StartDate>2026-11-20</cbc:StartDate>"))], why="7014 without end"),
    Edit("4280", FACTURA, [add(prop("3052", "12"))], why="passenger document of 2 characters"),
    Edit("4280", LINE_ITEMS, [("set", f"{MORTGAGE}/cac:Item/cac:AdditionalItemProperty[cbc:NameCode='7005']/cbc:Value",
                               "15/01/2026")], why="credit date not YYYY-MM-DD"),
    Edit("4280", LINE_ITEMS, [("set", f"{MORTGAGE}/cac:Item/cac:AdditionalItemProperty[cbc:NameCode='7012']/cbc:Value",
                               "0")], why="credit amount zero"),
    Edit("4280", FACTURA, [add(prop("7015", "4"))], why="insurance type 4"),
    Edit("4280", FACTURA, [add(prop("7014", period="<cbc:StartDate>2026-11-20-05:00</cbc:StartDate>"
                                                   "<cbc:EndDate>2027-11-20</cbc:EndDate>"))], why="start date with zone"),
    Edit("4280", BOLETA, [add(prop("7018", "2026/11"))], why="AFP period not year-month"),
    Edit("4281", FACTURA, [add(prop("3006", "x", quantity='unitCode="TNE">0'))], why="species quantity zero"),
    Edit("4281", FACTURA, [add(prop("4005", period='<cbc:DurationMeasure unitCode="DAY">12345</cbc:DurationMeasure>'))],
         why="five-digit stay"),
    Edit("4281", BOLETA, [add(prop("7019", "x", quantity='unitCode="ZZ">1.234'))], why="interest with 3 decimals"),
    Edit("3115", FACTURA, [add(prop("3006", "x", quantity='unitCode="KGM">10'))], why="species quantity in kg"),
    Edit("4313", FACTURA, [add(prop("4005", period='<cbc:DurationMeasure unitCode="MON">2</cbc:DurationMeasure>'))],
         why="stay in months"),
    Edit("4202", FACTURA, [add(prop("7021", "118-2026-10-123456"))], why="DAM number malformed"),
    Edit("4282", FACTURA, [add(prop("4003", period="<cbc:StartDate>2026-11-10</cbc:StartDate>"),
                               prop("4004", period="<cbc:StartDate>2026-11-05</cbc:StartDate>"))],
         why="check-out before check-in"),
    Edit("3241", FACTURA, [operation("2100")], why="2100 without a line carrying 7004 7005 7012"),
    Edit("3242", FACTURA, [operation("2104")], why="2104 without a 7015 line"),
    Edit("2898", LINE_ITEMS, [operation("2104"), add(prop("7015", "1"), line=MORTGAGE)], why="insurance 1 without policy data"),
    Edit("2899", LINE_ITEMS, [operation("2104"), add(prop("7015", "3"), line=MORTGAGE)], why="insurance 3 without policy"),
    Edit("2595", BOLETA, [operation("2105")], why="AFP without CUSPP"),
    Edit("2596", BOLETA, [operation("2105")], why="AFP without period"),
    Edit("2597", BOLETA, [operation("2105")], why="AFP without interest"),
    *[Edit(code, FACTURA, [operation("0202")], why=f"0202 without {concept}") for code, concept in HOSPEDAJE.items()],
    *[Edit(code, FACTURA, [operation("0205")], why=f"0205 without {concept}") for code, concept in HOSPEDAJE.items()
      if code in ("3136", "3137", "3138", "3139")],
    *[Edit(code, BOLETA, [operation("0302")], why=f"0302 without {concept}") for code, concept in BVME.items()],
    *[Edit(code, FACTURA, [operation("0301")], why=f"0301 without {concept}") for code, concept in CARTA_PORTE.items()],
    *[Edit(code, FACTURA, [operation("1002")], why=f"1002 without {concept}") for code, concept in HIDROBIOLOGICOS.items()],
    *[Edit(code, FACTURA, [add(prop(concept, "x"))], why=f"{concept} alone") for code, concept in ESTADO.items()],
    *[Edit(code, LINE_ITEMS, [("remove", f"{MORTGAGE}/cac:Item/cac:AdditionalItemProperty[cbc:NameCode='{concept}']")],
           why=f"mortgage line without {concept}") for code, concept in MORTGAGE_CONCEPTS.items()],
]


@pytest.mark.parametrize("edit", EDITS, ids=str)
def test_edit_earns_its_code(edit):
    assert_earns(edit)


def _codes(base: str, steps: list) -> list[str]:
    return [f.code for f in lint(edited(Edit("", base, steps)), base).findings]


@pytest.mark.parametrize("base, steps, silent", [
    (FACTURA, [("set", f"{LINE}/cbc:ID", "999")], {"2023", "2752"}),
    (FACTURA, [("set", f"{LINE}/cac:Item/cbc:Description", "TECLADO USB\n\tESPAÑOL")], {"2027"}),
    (FACTURA, [("set", f"{LINE}/cac:Item/cac:CommodityClassification/cbc:ItemClassificationCode", "00000000")], {"3496"}),
    (FACTURA, [("set", f"{LINE}/cac:Item/cac:CommodityClassification/cbc:ItemClassificationCode", "99999999")], {"3496"}),
    (FACTURA, [operation("0112"), ("set", f"{LINE}/cac:Item/cac:CommodityClassification/cbc:ItemClassificationCode",
                                   "80131501")], {"3181"}),
    (LINE_ITEMS, [operation("2100")], {"3241"}),
    (LINE_ITEMS, [operation("2104"), add(prop("7015", "3"), prop("7013", "POL-123"), line=MORTGAGE)], {"2898", "2899", "3242"}),
    (LINE_ITEMS, [("set", f"{MORTGAGE}/cac:Item/cac:AdditionalItemProperty[cbc:NameCode='7002']/cbc:Value", "1"),
                  ("remove", f"{MORTGAGE}/cac:Item/cac:AdditionalItemProperty[cbc:NameCode='7003']")], {"3151"}),
    (FACTURA, [add(prop("5000", "EXP-1"), prop("5001", "UE-001"), prop("5002", "LP-3"), prop("5003", "CT-9"))],
     {"3146", "3147", "3148", "3149"}),
    (FACTURA, [add(prop("4003", period="<cbc:StartDate>2026-11-10</cbc:StartDate>"),
                   prop("4004", period="<cbc:StartDate>2026-11-12</cbc:StartDate>"))], {"4282"}),
    (FACTURA, [add(prop("7014", period="<cbc:StartDate>2026-11-20</cbc:StartDate><cbc:EndDate>2027-11-20</cbc:EndDate>"))],
     {"3243", "4366", "4280"}),
    (CREDIT_FACTURA, [("attr", f"{LINE}/cac:Item/cac:StandardItemIdentification/cbc:ID", "schemeID", "GTIN-14"),
                      ("set", f"{LINE}/cac:Item/cac:StandardItemIdentification/cbc:ID", "17751234567897")], {"4333", "4334", "4335"}),
    (CREDIT_NOTE, [("set", "/*/cac:CreditNoteLine[1]/cbc:LineExtensionAmount", "150.00")], {"4288"}),
    (BOLETA, [add(prop("7019", quantity='unitCode="ZZ">12.50'))], {"3115", "4281"}),  # 'TNE' is the species' unit
    (LINE_ITEMS, [("after", DISCOUNT, charge("47", "true", "0.05", "10.00", "200.00")),
                  ("set", f"{LINE}/cbc:LineExtensionAmount", "190.00")], {"3271", "3290", "3114"}),
    (LINE_ITEMS, [("remove", f"{DISCOUNT}/cbc:MultiplierFactorNumeric"), ("set", f"{DISCOUNT}/cbc:BaseAmount", "999.00")],
     {"3290"}),
], ids=lambda value: "silent-" + "-".join(sorted(value)) if isinstance(value, set) else None)
def test_valid_variations_stay_silent(base, steps, silent):
    assert not silent & set(_codes(base, steps))
