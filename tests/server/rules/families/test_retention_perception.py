"""Proofs for the retention (20) and perception (40) sheets: every code their rows compile to is earned
by a small edit of a valid sample, and valid variations (foreign currency, several payments of one
factura, a credit note among the references, rounding, contingency series…) stay silent."""
from __future__ import annotations

import pytest
from lxml import etree

from osemock.cpe.xmlparse import parse_xml
from osemock.fixtures import document_bytes, signed_document
from osemock.server.rules.engine import compiled
from osemock.server.rules.lint import lint

from ..proofs import Edit, assert_earns, edited

R1, R2, R3 = (f"20123456789-20-R001-{n}.xml" for n in (1, 2, 3))   # PEN factura; USD factura; several payments
P1, P2, P3 = (f"20123456789-40-P001-{n}.xml" for n in (1, 2, 3))   # regime 01; regime 02; regime 03 in USD

#: Names of the parallel parts of the two documents.
KINDS = {
    "retencion": dict(base=R1, usd=R2, doc="Retention", ref="/*/sac:SUNATRetentionDocumentReference",
                      info="sac:SUNATRetentionInformation", amount="sac:SUNATRetentionAmount", net="sac:SUNATNetTotalPaid",
                      total="/*/sac:SUNATTotalPaid", regime="/*/sac:SUNATRetentionSystemCode",
                      percent="/*/sac:SUNATRetentionPercent", other_series="P001-1", other_type="03", other_regime="02",
                      wrong_rate="6.00"),
    "percepcion": dict(base=P1, usd=P3, doc="Perception", ref="/*/sac:SUNATPerceptionDocumentReference",
                       info="sac:SUNATPerceptionInformation", amount="sac:SUNATPerceptionAmount",
                       net="sac:SUNATNetTotalCashed", total="/*/sac:SUNATTotalCashed",
                       regime="/*/sac:SUNATPerceptionSystemCode", percent="/*/sac:SUNATPerceptionPercent",
                       other_series="R001-1", other_type="20", other_regime="03", wrong_rate="1.00"),
}
AGENT, RECEIVER = "/*/cac:AgentParty", "/*/cac:ReceiverParty"
TAB = "A\tB"


def _dates(issue: str, reference: str, paid: str, ref: str) -> list[tuple]:
    return [("set", "/*/cbc:IssueDate", issue), ("set", f"{ref}[1]/cbc:IssueDate", reference),
            ("set", f"{ref}[1]/cac:Payment/cbc:PaidDate", paid)]


def _edits(sheet: str) -> list[Edit]:
    k = KINDS[sheet]
    base, usd, ref = k["base"], k["usd"], k["ref"]
    info = f"{ref}[1]/{k['info']}"
    exchange = f"{ref}[1]/{k['info']}/cac:ExchangeRate"
    receiver_id = f"{RECEIVER}/cac:PartyIdentification/cbc:ID"
    identity = {
        "retencion": [Edit("2723", base, [("set", receiver_id, "")], why="receiver-empty"),
                      Edit("2724", base, [("set", receiver_id, "2010007097")], why="receiver-10-digits"),
                      Edit("2620", base, [("set", receiver_id, "20123456789")], why="receiver-is-agent"),
                      Edit("2511", base, [("set", f"{receiver_id}/@schemeID", "1")], why="receiver-not-ruc"),
                      Edit("2906", base, [("set", f"{RECEIVER}/cac:PartyName/cbc:Name", TAB)]),
                      Edit("2918", base, [("set", f"{RECEIVER}/cac:PostalAddress/cbc:StreetName", TAB)]),
                      Edit("2907", base, [("after", f"{RECEIVER}/cac:PostalAddress/cbc:StreetName",
                                           "<cbc:CitySubdivisionName>A&#9;B</cbc:CitySubdivisionName>")]),
                      Edit("2908", base, [("set", f"{RECEIVER}/cac:PostalAddress/cbc:CityName", TAB)]),
                      Edit("2909", base, [("set", f"{RECEIVER}/cac:PostalAddress/cbc:CountrySubentity", TAB)]),
                      Edit("2910", base, [("set", f"{RECEIVER}/cac:PostalAddress/cbc:District", TAB)])],
        "percepcion": [Edit("2679", base, [("set", receiver_id, "")], why="customer-empty"),
                       Edit("2680", base, [("set", receiver_id, "1234567890123456")], why="customer-16-chars"),
                       Edit("2604", base, [("set", receiver_id, "20123456789")], why="customer-is-agent"),
                       Edit("2511", base, [("set", f"{receiver_id}/@schemeID", "9")], why="customer-type-not-in-06"),
                       Edit("2911", base, [("set", f"{RECEIVER}/cac:PartyName/cbc:Name", TAB)]),
                       Edit("2919", base, [("set", f"{RECEIVER}/cac:PostalAddress/cbc:StreetName", TAB)]),
                       Edit("2912", base, [("after", f"{RECEIVER}/cac:PostalAddress/cbc:StreetName",
                                            "<cbc:CitySubdivisionName>A&#9;B</cbc:CitySubdivisionName>")]),
                       Edit("2913", base, [("set", f"{RECEIVER}/cac:PostalAddress/cbc:CityName", TAB)]),
                       Edit("2914", base, [("set", f"{RECEIVER}/cac:PostalAddress/cbc:CountrySubentity", TAB)]),
                       Edit("2915", base, [("set", f"{RECEIVER}/cac:PostalAddress/cbc:District", TAB)])],
    }[sheet]
    codes = {  # code per sheet: retencion, percepcion
        "total_format": ("2669", "2669"), "total_sum": ("2628", "2667"), "total_currency": ("2728", "2685"),
        "paid_format": ("2730", "2687"), "paid_sum": ("2629", "2668"), "paid_currency": ("2732", "2690"),
        "regime": ("2618", "2602"), "rate": ("2619", "2603"), "paid_date": ("2737", "2702"), "period": ("2661", "2659"),
        "dates": ("2625", "2612"), "payment_id": ("2733", "2697"), "payment_id_format": ("2734", "2698"),
        "paid_amount": ("2735", "2699"), "paid_amount_format": ("2736", "2700"), "paid_amount_currency": ("2622", "2607"),
        "amount_format": ("2740", "2705"), "amount": ("2623", "2608"), "amount_currency": ("2742", "2707"),
        "net_format": ("2746", "2711"), "net_currency": ("2748", "2713"),
    }
    c = {name: pair[0 if sheet == "retencion" else 1] for name, pair in codes.items()}
    second_reference = (f'<sac:SUNAT{k["doc"]}DocumentReference><cbc:ID schemeID="01">F001-999</cbc:ID>'
                        '<cbc:IssueDate>2026-10-01</cbc:IssueDate><cbc:TotalInvoiceAmount currencyID="PEN">100.00'
                        '</cbc:TotalInvoiceAmount><cac:Payment><cbc:ID>1</cbc:ID><cbc:PaidAmount currencyID="PEN">100.00'
                        '</cbc:PaidAmount><cbc:PaidDate>2026-10-15</cbc:PaidDate></cac:Payment>'
                        f'</sac:SUNAT{k["doc"]}DocumentReference>')
    return identity + [
        Edit("2111", base, [("set", "/*/cbc:UBLVersionID", "")]),
        Edit("2110", base, [("set", "/*/cbc:UBLVersionID", "2.1")]),
        Edit("2113", base, [("set", "/*/cbc:CustomizationID", "")]),
        Edit("2112", base, [("set", "/*/cbc:CustomizationID", "2.0")]),
        Edit("1001", base, [("set", "/*/cbc:ID", k["other_series"])], why="series-of-the-other-type"),
        Edit("2678", base, [("remove", f"{AGENT}/cac:PartyIdentification/cbc:ID/@schemeID")]),
        Edit("2511", base, [("set", f"{AGENT}/cac:PartyIdentification/cbc:ID/@schemeID", "1")], why="agent-not-ruc"),
        Edit("2901", base, [("set", f"{AGENT}/cac:PartyName/cbc:Name", TAB)]),
        Edit("1037", base, [("remove", f"{AGENT}/cac:PartyLegalEntity/cbc:RegistrationName")]),
        Edit("1038", base, [("set", f"{AGENT}/cac:PartyLegalEntity/cbc:RegistrationName", TAB)]),
        Edit("2916", base, [("set", f"{AGENT}/cac:PostalAddress/cbc:StreetName", TAB)]),
        Edit("2902", base, [("set", f"{AGENT}/cac:PostalAddress/cbc:CitySubdivisionName", TAB)]),
        Edit("2903", base, [("set", f"{AGENT}/cac:PostalAddress/cbc:CityName", TAB)]),
        Edit("2904", base, [("set", f"{AGENT}/cac:PostalAddress/cbc:CountrySubentity", TAB)]),
        Edit("2905", base, [("set", f"{AGENT}/cac:PostalAddress/cbc:District", TAB)]),
        Edit("2548", base, [("set", f"{AGENT}/cac:PostalAddress/cac:Country/cbc:IdentificationCode", "CL")], why="agent"),
        Edit("2548", base, [("set", f"{RECEIVER}/cac:PostalAddress/cac:Country/cbc:IdentificationCode", "CL")],
             why="receiver"),
        Edit("2516", base, [("remove", f"{receiver_id}/@schemeID")]),
        Edit("2134", base, [("remove", f"{RECEIVER}/cac:PartyLegalEntity/cbc:RegistrationName")]),
        Edit("2133", base, [("set", f"{RECEIVER}/cac:PartyLegalEntity/cbc:RegistrationName", TAB)]),
        Edit(c["regime"], base, [("set", k["regime"], "09")], why="regime-not-in-catalog"),
        Edit(c["rate"], base, [("set", k["percent"], k["wrong_rate"])], why="rate-of-another-regime"),
        Edit(c["total_format"], base, [("set", "/*/cbc:TotalInvoiceAmount", "0.00")], why="total-zero"),
        Edit(c["total_sum"], R3 if sheet == "retencion" else base,
             [("set", "/*/cbc:TotalInvoiceAmount", "103.80" if sheet == "retencion" else "26.60")], why="total-off-by-3"),
        Edit(c["total_sum"], R3 if sheet == "retencion" else base,  # no tolerance: the row states none
             [("set", "/*/cbc:TotalInvoiceAmount", "101.70" if sheet == "retencion" else "24.50")], why="total-off-by-0.90"),
        Edit(c["total_currency"], base, [("set", "/*/cbc:TotalInvoiceAmount/@currencyID", "USD")]),
        Edit(c["paid_format"], base, [("set", k["total"], "-1")], why="total-paid-negative"),
        Edit(c["paid_sum"], base, [("set", k["total"], "9999.99")], why="total-paid-off"),
        Edit(c["paid_currency"], base, [("set", f"{k['total']}/@currencyID", "USD")]),
        Edit("3303", base, [("after", "/*/cbc:TotalInvoiceAmount",
                             '<cbc:PayableRoundingAmount currencyID="PEN">1.50</cbc:PayableRoundingAmount>')],
             why="rounding-above-one"),
        Edit("3304", base, [("after", "/*/cbc:TotalInvoiceAmount",
                             '<cbc:PayableRoundingAmount currencyID="USD">0.10</cbc:PayableRoundingAmount>')],
             why="rounding-in-dollars"),
        Edit("2691", base, [("remove", f"{ref}[1]/cbc:ID/@schemeID")]),
        Edit("2692", base, [("set", f"{ref}[1]/cbc:ID/@schemeID", k["other_type"])], why="type-not-allowed"),
        Edit("2693", base, [("set", f"{ref}[1]/cbc:ID", "")]),
        Edit("2694", base, [("set", f"{ref}[1]/cbc:ID", "F001-0000")], why="number-all-zeros"),
        Edit("2694", base, [("set", f"{ref}[1]/cbc:ID/@schemeID", "12"), ("set", f"{ref}[1]/cbc:ID", "TICKET 15")],
             why="ticket-without-number"),
        Edit("2696", base, [("set", f"{ref}[1]/cbc:TotalInvoiceAmount", "0")]),
        Edit(c["paid_date"], base, [("remove", f"{ref}[1]/cac:Payment/cbc:PaidDate")], why="paid-date-missing"),
        Edit(c["paid_date"], base, [("remove", f"{ref}[1]/cac:Payment")], why="payment-missing"),
        Edit(c["period"], base, [("set", "/*/cbc:IssueDate", "2026-11-20"), ("after", f"{ref}[1]", second_reference)],
             why="payments-in-two-months"),
        Edit(c["dates"], base, _dates("2026-11-20", "2026-11-10", "2026-11-05", ref), why="same-month-before-document"),
        Edit(c["dates"], base, _dates("2026-11-20", "2026-11-10", "2026-11-25", ref), why="same-month-after-issue"),
        Edit(c["dates"], base, _dates("2026-11-20", "2026-10-10", "2026-10-31", ref), why="earlier-month-before-the-1st"),
        Edit(c["dates"], base, _dates("2026-11-20", "2026-10-10", "2026-11-21", ref), why="earlier-month-after-issue"),
        Edit(c["payment_id"], base, [("remove", f"{ref}[1]/cac:Payment/cbc:ID")]),
        Edit(c["payment_id_format"], base, [("set", f"{ref}[1]/cac:Payment/cbc:ID", "1234567890")], why="ten-digits"),
        Edit("2626", R3 if sheet == "retencion" else base,
             [("set", f"{ref}[3]/cac:Payment/cbc:ID", "1")] if sheet == "retencion" else _duplicate(ref),
             why="same-payment-twice"),
        Edit(c["paid_amount"], base, [("remove", f"{ref}[1]/cac:Payment/cbc:PaidAmount")]),
        Edit(c["paid_amount_format"], base, [("set", f"{ref}[1]/cac:Payment/cbc:PaidAmount", "0.00")]),
        Edit(c["paid_amount_currency"], base, [("set", f"{ref}[1]/cac:Payment/cbc:PaidAmount/@currencyID", "USD")]),
        Edit(c["amount_format"], base, [("set", f"{info}/{k['amount']}", "0")]),
        Edit(c["amount"], base, [("set", f"{info}/{k['amount']}", "30.00")], why="amount-not-rate-times-payment"),
        Edit(c["amount"], usd, [("set", f"{info.replace(base, usd)}/{k['amount']}", "10.00")],
             why="dollars-amount-not-converted"),
        Edit(c["amount"], base, [("set", f"{info}/{k['net']}", "1000.00")], why="net-not-payment-and-amount"),
        Edit(c["amount"], usd, [("set", f"{info}/{k['net']}", "1000.00")], why="dollars-net-not-converted"),
        Edit(c["amount"], usd, [("set", f"{exchange}/cbc:CalculationRate", "3.100")], why="other-exchange-rate"),
        Edit(c["amount_currency"], base, [("set", f"{info}/{k['amount']}/@currencyID", "USD")]),
        Edit(c["net_format"], base, [("set", f"{info}/{k['net']}", "-1")]),
        Edit(c["net_currency"], base, [("set", f"{info}/{k['net']}/@currencyID", "USD")]),
        Edit("2719", usd, [("remove", exchange)], why="dollars-without-exchange-rate"),
        Edit("2749", usd, [("set", f"{exchange}/cbc:SourceCurrencyCode", "EUR")]),
        Edit("2715", usd, [("set", f"{exchange}/cbc:TargetCurrencyCode", "USD")]),
        Edit("2721", usd, [("remove", f"{exchange}/cbc:CalculationRate")]),
        Edit("2716", usd, [("set", f"{exchange}/cbc:CalculationRate", "3.8000001")], why="seven-decimals"),
        Edit("2722", usd, [("remove", f"{exchange}/cbc:Date")]),
    ] + ([Edit("2985", base, [("set", k["regime"], "02"), ("set", k["percent"], "6.00")],
               why="six-percent-after-february-2014")] if sheet == "retencion" else [])


def _duplicate(ref: str) -> list[tuple]:
    """The perception's only payment, a second time (same factura, same payment number)."""
    xml = etree.tostring(etree.fromstring(document_bytes(P1)).find(
        "{urn:sunat:names:specification:ubl:peru:schema:xsd:SunatAggregateComponents-1}SUNATPerceptionDocumentReference"),
        encoding="unicode")
    return [("after", f"{ref}[1]", xml)]


EDITS = _edits("retencion") + _edits("percepcion")


@pytest.mark.parametrize("edit", EDITS, ids=str)
def test_edit_earns_its_code(edit):
    assert_earns(edit)


def _sheet_of(base: str) -> str:
    return "retencion" if "-20-" in base else "percepcion"


@pytest.mark.parametrize("sheet", KINDS)
def test_every_code_of_the_sheet_is_proven_here(sheet):
    """The proof ledger covers the four CPE sheets only: this one covers retencion and percepcion (the
    codes that need the store are proven over HTTP in tests/server/test_tickets.py)."""
    from tests.server.rules.families.test_retention_perception_registry import PROVEN_CODES as REGISTRY
    from tests.server.test_tickets import PROVEN_CODES as OVER_HTTP

    proven = {e.code for e in EDITS if _sheet_of(e.base) == sheet} | OVER_HTTP | set(REGISTRY)
    assert {check.row.code for check in compiled(sheet)} - proven == set()


# -- valid variations stay silent --------------------------------------------------------------------

def assert_silent(base: str, steps: list[tuple]) -> None:
    result = lint(edited(Edit("", base, steps)), base)
    assert result.findings == [], [(f.code, f.detail) for f in result.findings]


R_REF, P_REF = KINDS["retencion"]["ref"], KINDS["percepcion"]["ref"]


@pytest.mark.parametrize("base, steps", [
    pytest.param(R1, [("set", "/*/cbc:ID", "0001-25")], id="contingency-series"),
    pytest.param(R1, [("set", f"{R_REF}[1]/sac:SUNATRetentionInformation/sac:SUNATRetentionAmount", "71.30"),
                      ("set", f"{R_REF}[1]/sac:SUNATRetentionInformation/sac:SUNATNetTotalPaid", "2288.70"),
                      ("set", "/*/cbc:TotalInvoiceAmount", "71.30"), ("set", "/*/sac:SUNATTotalPaid", "2288.70")],
                 id="amounts-within-one-sol"),
    pytest.param(R1, [("after", "/*/cbc:TotalInvoiceAmount",
                       '<cbc:PayableRoundingAmount currencyID="PEN">-0.20</cbc:PayableRoundingAmount>'),
                      ("set", "/*/sac:SUNATTotalPaid", "2289.00")], id="rounding-of-the-total-paid"),
    pytest.param(R1, [("set", f"{R_REF}[1]/cbc:ID/@schemeID", "12"), ("set", f"{R_REF}[1]/cbc:ID", "TK-01-123456")],
                 id="ticket-reference"),
    pytest.param(R1, [("set", f"{R_REF}[1]/cbc:ID", "0001-4521")], id="physical-factura"),
    pytest.param(R1, _dates("2026-11-20", "2026-10-10", "2026-11-01", R_REF), id="earlier-month-paid-on-the-1st"),
    pytest.param(R1, _dates("2026-11-20", "2026-11-20", "2026-11-20", R_REF), id="paid-the-day-it-was-issued"),
    pytest.param(R2, [("set", f"{R_REF}[1]/sac:SUNATRetentionInformation/cac:ExchangeRate/cbc:CalculationRate",
                       "3.750000")], id="exchange-rate-with-six-decimals"),
    pytest.param(R3, [("remove", f"{R_REF}[4]")], id="without-the-credit-note"),
    pytest.param(P1, [("set", f"{RECEIVER}/cac:PartyIdentification/cbc:ID/@schemeID", "1"),
                      ("set", f"{RECEIVER}/cac:PartyIdentification/cbc:ID", "45678912")], id="customer-with-dni"),
    pytest.param(P1, [("set", f"{P_REF}[1]/cbc:ID/@schemeID", "03"), ("set", f"{P_REF}[1]/cbc:ID", "B001-77")],
                 id="boleta-reference"),
    pytest.param(P2, [("set", "/*/sac:SUNATPerceptionPercent", "1")], id="rate-written-without-decimals"),
])
def test_valid_variation_is_silent(base, steps):
    assert_silent(base, steps)


@pytest.mark.parametrize("base", [R1, R2, R3, P1, P2, P3])
def test_sample_is_valid_against_sunat_2_0_schema(base):
    from tests.fixtures.test_documents_20 import assert_valid

    root = parse_xml(signed_document(base))
    assert_valid(root, f"UBLPE-{etree.QName(root).localname}-1.0.xsd")


def test_guarded_findings_name_the_node_without_the_guard():
    """A reference guard's predicate holds slashes: the detail still names the node as SUNAT does."""
    edit = Edit("2694", R1, [("set", f"{R_REF}[1]/cbc:ID", "F001-0000")])
    details = [f.detail for f in assert_earns(edit).findings if f.code == "2694"]
    assert details == ['2694 (nodo: "sac:SUNATRetentionDocumentReference/cbc:ID" valor: "F001-0000")']
