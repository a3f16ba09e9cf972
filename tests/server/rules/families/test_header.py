"""Proofs of the header family: numbering, operation type, leyendas, the parties and the signature.

Each edit turns a valid sample into one SUNAT refuses (or observes) with the row's exact code; the
rules that need the sender, the clock or the registry are proven with a :class:`CheckInput` below.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from osemock.cpe.document import read_header
from osemock.cpe.xmlparse import parse_xml
from osemock.fixtures import signed_document
from osemock.server.clock import LIMA
from osemock.server.engine.validation import CheckInput
from osemock.server.rules.engine import findings
from osemock.server.rules.lint import lint

from ..proofs import Edit, apply, assert_earns, edited

FACTURA = "20123456789-01-F001-1.xml"
EXPORT = "20123456789-01-F001-6.xml"
BOLETA = "20123456789-03-B001-1.xml"
CREDIT = "20123456789-07-FC01-1.xml"
DOLLARS = "20123456789-01-F001-60.xml"
DEDUCTIBLE = "20123456789-01-F001-61.xml"
DETRACCION = "20123456789-01-F001-62.xml"
PASSPORT = "20123456789-03-B001-60.xml"
DEBIT = "20123456789-08-FD01-1.xml"

SUPPLIER = "/*/cac:AccountingSupplierParty/cac:Party"
CUSTOMER = "/*/cac:AccountingCustomerParty/cac:Party"
CUSTOMER_ID = f"{CUSTOMER}/cac:PartyIdentification/cbc:ID"
ADDRESS = f"{SUPPLIER}/cac:PartyLegalEntity/cac:RegistrationAddress"
SIGNATURE = "/*/ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent/ds:Signature"


def _operation(code: str) -> list[tuple]:
    return [("set", "/*/cbc:ProfileID", code), ("set", "/*/cbc:InvoiceTypeCode/@listID", code)]


def _customer(scheme: str, number: str) -> list[tuple]:
    return [("set", f"{CUSTOMER_ID}/@schemeID", scheme), ("set", CUSTOMER_ID, number)]


_SUBJECT_ONLY = "<ds:X509Data><ds:X509SubjectName>CN=EMPRESA DEMO SAC</ds:X509SubjectName></ds:X509Data>"
_AGENT = "<cac:AgentParty><cac:PartyIdentification><cbc:ID{}>20100070970</cbc:ID></cac:PartyIdentification></cac:AgentParty>"
_DELIVERY = ("<cac:Delivery><cac:DeliveryLocation><cac:Address><cac:AddressLine><cbc:Line>AV. LOS OLIVOS 123"
             "</cbc:Line></cac:AddressLine></cac:Address></cac:DeliveryLocation></cac:Delivery>")

#: Where an export of services (0201, 0208) is used: boleta row 73 (3098) wants it before row 93 is read.
_DELIVERED_ABROAD = [("after", "/*/cac:AccountingCustomerParty",
                      "<cac:Delivery><cac:DeliveryLocation><cac:Address><cac:Country><cbc:IdentificationCode>US"
                      "</cbc:IdentificationCode></cac:Country></cac:Address></cac:DeliveryLocation></cac:Delivery>")]

EDITS = [
    Edit("1001", FACTURA, [("set", "/*/cbc:ID", "F01-1")], why="serie of three characters"),
    Edit("1001", BOLETA, [("set", "/*/cbc:ID", "F001-1")], why="a boleta numbered as a factura"),
    Edit("1001", CREDIT, [("set", "/*/cbc:ID", "X001-1")], why="note serie neither B, F nor numeric"),
    Edit("1001", DEBIT, [("set", "/*/cbc:ID", "FD01-123456789")], why="number of nine digits"),
    Edit("3089", FACTURA, [("after", f"{SUPPLIER}/cac:PartyIdentification",
                            "<cac:PartyIdentification><cbc:ID schemeID='6'>20123456789</cbc:ID></cac:PartyIdentification>")],
         why="two emitter identifications"),
    Edit("3090", BOLETA, [("after", f"{CUSTOMER}/cac:PartyIdentification",
                           "<cac:PartyIdentification><cbc:ID schemeID='1'>87654321</cbc:ID></cac:PartyIdentification>")],
         why="two customer identifications"),
    Edit("2017", FACTURA, [("set", CUSTOMER_ID, "2010007097")], why="RUC of ten digits"),
    Edit("2017", CREDIT, [("set", CUSTOMER_ID, "20100O70970")], why="RUC (6) with a letter"),
    Edit("2017", BOLETA, _customer("6", "201000709701"), why="boleta customer RUC of twelve digits"),
    Edit("2801", FACTURA, _customer("1", "1234567"), why="DNI of seven digits"),
    Edit("4207", BOLETA, [("set", CUSTOMER_ID, "1234567A")], why="boleta DNI with a letter"),
    Edit("2802", EXPORT, [("set", CUSTOMER_ID, "US-TAX-9988776655")], why="foreign document over 15 characters"),
    Edit("4208", BOLETA, _customer("4", "CE-12345678901234"), why="carnet over 15 characters"),
    Edit("4208", BOLETA, _customer("7", "AB 1234567"), why="passport with a space ('no permite whitespace': not even one)"),
    Edit("2802", EXPORT, [("set", CUSTOMER_ID, "US TAX 998877")], why="foreign document with spaces"),
    Edit("2022", FACTURA, [("set", f"{CUSTOMER}/cac:PartyLegalEntity/cbc:RegistrationName", "CLIENTE S.A.\n")],
         why="customer name ending in a line break (spaces count, other whitespace refuses, at either end too)"),
    Edit("2022", FACTURA, [("set", f"{CUSTOMER}/cac:PartyLegalEntity/cbc:RegistrationName", "\tCLIENTE S.A.")],
         why="customer name starting with a tab"),
    Edit("2014", FACTURA, [("remove", f"{CUSTOMER}/cac:PartyIdentification")],
         why="no customer identification at all (the required tag's container missing is the tag missing)"),
    Edit("2021", BOLETA, [("remove", f"{CUSTOMER}/cac:PartyLegalEntity")], why="no customer legal entity"),
    Edit("1037", FACTURA, [("remove", f"{SUPPLIER}/cac:PartyLegalEntity")],
         why="no emitter legal entity: its name (row 49) comes before its establishment code (3030)"),
    Edit("2800", FACTURA, _customer("1", "12345678"), why="domestic factura to a DNI"),
    Edit("2800", FACTURA, _operation("0112") + _customer("4", "001234567"), why="0112 to a carnet"),
    Edit("2800", EXPORT, _customer("6", "20100070970"), why="export to a RUC without leyenda 2008"),
    Edit("2800", BOLETA, _operation("0401") + _customer("6", "20100070970"), why="boleta 0401 to a RUC"),
    Edit("2800", EXPORT, _customer("Z", "US-TAX-998877"), why="export to a document type outside catalog 06"),
    Edit("2016", CREDIT, [("set", f"{CUSTOMER_ID}/@schemeID", "9")], why="document type outside catalog 06"),
    Edit("2511", DEBIT, [("set", f"{SUPPLIER}/cac:PartyIdentification/cbc:ID/@schemeID", "1")], why="emitter not a RUC"),
    Edit("3014", FACTURA, [("after", "/*/cbc:Note", "<cbc:Note languageLocaleID='1000'>OTRA LEYENDA</cbc:Note>")],
         why="leyenda 1000 twice"),
    Edit("3027", BOLETA, [("set", "/*/cbc:Note/@languageLocaleID", "1999")], why="leyenda outside catalog 52"),
    Edit("3006", CREDIT, [("set", "/*/cbc:Note", "X" * 201)], why="leyenda of 201 characters"),
    Edit("4264", FACTURA, [("set", "/*/cac:InvoiceLine[1]/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:TaxExemptionReasonCode",
                            "17")], why="IVAP line without leyenda 2007"),
    Edit("4265", FACTURA, _operation("1001"), why="detraccion without leyenda 2006"),
    Edit("4265", BOLETA, _operation("1004"), why="detraccion of cargo transport without leyenda 2006"),
    Edit("4265", DETRACCION, [("remove", "/*/cbc:Note[@languageLocaleID='2006']")], why="leyenda 2006 left out"),
    Edit("2071", DOLLARS, [("set", "/*/cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount/@currencyID", "PEN")],
         why="IGV in soles on a dollar invoice"),
    Edit("2800", DEDUCTIBLE, _customer("4", "001234567"), why="0112 to a carnet de extranjeria"),
    Edit("4207", PASSPORT, _customer("1", "1234567"), why="boleta DNI of seven digits"),
    Edit("4266", FACTURA, [("before", "/*/cac:PaymentTerms", _DELIVERY)], why="itinerant sale without leyenda 2005"),
    Edit("3205", BOLETA, [("set", "/*/cbc:InvoiceTypeCode/@listID", None)], why="boleta without operation type"),
    Edit("3206", BOLETA, _operation("0112"), why="0112 is not a boleta operation"),
    Edit("3206", FACTURA, _operation("0113"), why="0113 NRUS is not a factura operation"),
    Edit("4261", FACTURA, [("attr", "/*/cbc:InvoiceTypeCode", "listSchemeURI", "urn:catalogo51")], why="listSchemeURI"),
    Edit("3030", FACTURA, [("remove", f"{ADDRESS}/cbc:AddressTypeCode")], why="factura without establishment code"),
    Edit("3030", CREDIT, [("set", f"{ADDRESS}/cbc:AddressTypeCode", "")], why="note on a factura, empty code"),
    Edit("4198", BOLETA, [("remove", f"{ADDRESS}/cbc:AddressTypeCode")], why="boleta without establishment code"),
    Edit("4198", FACTURA, [("set", "/*/cbc:ID", "0001-1"), ("remove", f"{ADDRESS}/cbc:AddressTypeCode")],
         why="contingency factura without establishment code"),
    Edit("4242", FACTURA, [("set", f"{ADDRESS}/cbc:AddressTypeCode", "12A")], why="establishment code not numeric"),
    Edit("4242", DEBIT, [("set", f"{ADDRESS}/cbc:AddressTypeCode", "00001")], why="establishment code of five digits"),
    Edit("4095", FACTURA, [("before", f"{ADDRESS}/cbc:CityName", f"<cbc:CitySubdivisionName>{'U' * 26}</cbc:CitySubdivisionName>")],
         why="urbanizacion over 25 characters"),
    Edit("3157", FACTURA, [("append", SUPPLIER, _AGENT.format(""))], why="agent RUC without its type"),
    Edit("3158", BOLETA, [("append", SUPPLIER, _AGENT.format(" schemeID='1'"))], why="agent identified by a DNI"),
    Edit("2071", FACTURA, [("set", "/*/cac:LegalMonetaryTotal/cbc:PayableAmount/@currencyID", "USD")],
         why="payable amount in dollars"),
    Edit("2071", DEBIT, [("set", "/*/cac:DebitNoteLine[1]/cbc:LineExtensionAmount/@currencyID", "USD")],
         why="line value in dollars"),
    Edit("2098", FACTURA, [("set", f"{SIGNATURE}/ds:SignatureValue", "")], why="empty signature value"),
    Edit("2100", BOLETA, [("set", f"{SIGNATURE}/ds:KeyInfo/ds:X509Data/ds:X509Certificate", "")], why="empty certificate"),
    Edit("2101", FACTURA, [("before", f"{SIGNATURE}/ds:KeyInfo/ds:X509Data", _SUBJECT_ONLY),
                           ("remove", f"{SIGNATURE}/ds:KeyInfo/ds:X509Data[ds:X509Certificate]")],
         why="no X509Data holds a certificate"),
    Edit("2092", FACTURA, [("set", f"{SIGNATURE}/ds:SignedInfo/ds:Reference/ds:Transforms/ds:Transform/@Algorithm", "")],
         why="empty transform algorithm"),
]


@pytest.mark.parametrize("edit", EDITS, ids=str)
def test_edit_earns_its_code(edit):
    assert_earns(edit)


# -- valid variations stay silent ------------------------------------------------------------------
SILENT = [
    (FACTURA, [], "the sample"),
    (DOLLARS, [("set", "/*/cbc:ID", "F001-600")], "a dollar invoice"),
    (DETRACCION, [("set", "/*/cac:PaymentTerms[cbc:ID='Detraccion']/cbc:Amount", "540.00")], "detraccion amount"),
    (DEDUCTIBLE, _customer("6", "10456789121"), "0112 to a RUC"),
    (PASSPORT, _customer("B", "X-998877"), "boleta to a foreign document"),
    (FACTURA, _operation("0112") + _customer("1", "45678912"), "0112 to a DNI"),
    (EXPORT, _customer("6", "20100070970") + [("after", "/*/cbc:Note", "<cbc:Note languageLocaleID='2008'>"
                                                "VENTA EXONERADA DEL IGV-ISC-IPM</cbc:Note>")], "export with leyenda 2008"),
    (EXPORT, _customer("-", "-"), "export to an undocumented customer"),
    (BOLETA, _operation("0401"), "boleta 0401 to a DNI"),
    (BOLETA, _operation("0401") + _customer("0", "US-TAX-998877"), "boleta 0401 to a non-domiciled customer without RUC"),
    (FACTURA, [("set", "/*/cbc:ID", "0001-123")], "contingency numbering"),
    (FACTURA, _operation("1001") + [("after", "/*/cbc:Note", "<cbc:Note languageLocaleID='2006'>Operación sujeta a "
                                     "detracción</cbc:Note>")], "detraccion with its leyenda"),
    (FACTURA, [("before", "/*/cac:PaymentTerms", _DELIVERY),
               ("after", "/*/cbc:Note", "<cbc:Note languageLocaleID='2005'>Venta realizada por emisor itinerante</cbc:Note>")],
     "itinerant sale with its leyenda"),
    (FACTURA, [("after", "/*/cbc:Note", f"<cbc:Note>{'NOTA LIBRE ' * 30}</cbc:Note>")], "a long note without leyenda code"),
    (FACTURA, [("append", SUPPLIER, _AGENT.format(" schemeID='6'"))], "sales agent with its RUC"),
    (BOLETA, _customer("7", "AB1234567"), "boleta to a passport"),
    (FACTURA, [("set", f"{CUSTOMER}/cac:PartyLegalEntity/cbc:RegistrationName", "AB ")], "a name of three characters, a space among them"),
    (BOLETA, _customer("0", "-"), "boleta to an anonymous customer"),
    (CREDIT, _customer("-", "-"), "note to a customer without document"),
    (BOLETA, [("set", f"{ADDRESS}/cbc:AddressTypeCode", "0003")], "another establishment"),
    (PASSPORT, [("set", "/*/cbc:InvoiceTypeCode/@listID", "0113")], "boleta of a NRUS"),
    # Firma row 18 wants a certificate in KeyInfo's X509Data: one X509Data holds it, another the subject (2101 before)
    (FACTURA, [("before", f"{SIGNATURE}/ds:KeyInfo/ds:X509Data", _SUBJECT_ONLY)], "the subject in an X509Data of its own"),
]


@pytest.mark.parametrize("base, steps, why", SILENT, ids=[s[2] for s in SILENT])
def test_valid_variation_is_silent(base, steps, why):
    header_codes = {"1001", "3089", "3090", "2017", "2801", "2802", "2800", "4207", "4208", "2016", "2511", "3014", "3027",
                    "3006", "4264", "4265", "4266", "3205", "3206", "3030", "4198", "4242", "3157", "3158", "2071",
                    "2098", "2100", "2101", "2092", "2022", "2014", "2021", "1037"}
    result = lint(edited(Edit("0", base, steps)), base)
    assert [f.code for f in result.findings if f.code in header_codes or f.code == "0306"] == [], why


@pytest.mark.parametrize("base, steps, why", [
    (BOLETA, _operation("0401") + _customer("6", "20100070970"), "boleta row 93: 0401 to a RUC"),
    (BOLETA, _operation("0208") + _customer("6", "20100070970") + _DELIVERED_ABROAD, "boleta row 93: 0208 to a RUC"),
    (EXPORT, _customer("Z", "US-TAX-998877"), "factura row 98: an export to a type neither in catalog 06 nor '-'"),
])
def test_the_customer_document_type_an_operation_allows(base, steps, why):
    """Boleta row 93 ('…0401, el valor del Tag UBL es 6-RUC') and factura row 98 ('…es diferente al listado y
    guion', the list being Parámetros (006), catálogo 06) judge the document alone: the first error is 2800."""
    assert lint(edited(Edit("2800", base, steps)), base).verdict == "2800", why


def test_operation_types_the_workbook_names_beyond_the_catalog():
    """2106 (tax free) is validated by the factura sheet though SUNAT's catalog 51 file lacks it."""
    codes = [f.code for f in lint(edited(Edit("0", FACTURA, [("set", "/*/cbc:InvoiceTypeCode/@listID", "2106")])), FACTURA).findings]
    assert "3206" not in codes
    codes = [f.code for f in lint(edited(Edit("0", BOLETA, [("set", "/*/cbc:InvoiceTypeCode/@listID", "2106")])), BOLETA).findings]
    assert "3206" in codes


def test_detraccion_amount_is_in_soles_whatever_the_currency():
    """2071 leaves the detracción amount alone: it is always in PEN (3208 says so)."""
    codes = [f.code for f in lint(signed_document(DETRACCION), DETRACCION).findings]
    assert codes == []
    to_dollars = Edit("3208", DETRACCION, [("set", "/*/cac:PaymentTerms[cbc:ID='Detraccion']/cbc:Amount/@currencyID", "USD")])
    assert "2071" not in [f.code for f in lint(edited(to_dollars), DETRACCION).findings]


# -- rules that need the sender, the clock or the registry ----------------------------------------
PROVEN_CODES = ("2078", "2108", "2329", "1079")


def _source(base: str, steps: list[tuple] = (), *, sender: str | None = None, now: datetime | None = None,
            store=None, issue_days_ago: int = 0) -> CheckInput:
    root = apply(parse_xml(signed_document(base)), list(steps))
    if issue_days_ago:
        apply(root, [("set", "/*/cbc:IssueDate", (datetime.now(LIMA).date() - timedelta(days=issue_days_ago)).isoformat())])
    profile = SimpleNamespace(max_days_late=3, check_note_references=True, verify_signatures=False)
    return CheckInput(root, read_header(root), sender, store=store, profile=profile, now=now or datetime.now(LIMA))


def _codes(source: CheckInput) -> list[str]:
    return [f.code for f in findings(source.root, source.header.type_code, source)]


SIGNATORY = "/*/cac:Signature/cac:SignatoryParty/cac:PartyIdentification/cbc:ID"


def test_signatory_must_be_the_emitter_or_the_sender():
    assert "2078" in _codes(_source(FACTURA, [("set", SIGNATORY, "20999999999")], sender="20123456789"))
    assert "2078" not in _codes(_source(FACTURA, [("set", SIGNATORY, "20999999999")], sender="20999999999"))
    assert "2078" not in _codes(_source(FACTURA, sender="20555555555"))
    offline = lint(edited(Edit("0", FACTURA, [("set", SIGNATORY, "20999999999")])))
    assert "2078" not in [f.code for f in offline.findings]


@pytest.mark.parametrize("base, code", [(FACTURA, "2108"), (BOLETA, "1079"), (CREDIT, "2108")])
def test_sent_after_the_deadline(base, code):
    assert code in _codes(_source(base, issue_days_ago=4))
    assert code not in _codes(_source(base, issue_days_ago=3))


def test_notes_on_boletas_have_five_days():
    note = [("set", "/*/cbc:ID", "BC01-7")]
    assert "1079" in _codes(_source(CREDIT, note, issue_days_ago=6))
    codes = _codes(_source(CREDIT, note, issue_days_ago=5))
    assert "1079" not in codes and "2108" not in codes


def test_contingency_documents_have_no_deadline():
    assert "2108" not in _codes(_source(FACTURA, [("set", "/*/cbc:ID", "0001-5")], issue_days_ago=30))


def test_issued_in_the_future():
    assert "2329" in _codes(_source(BOLETA, issue_days_ago=-3))
    assert "2329" not in _codes(_source(BOLETA, issue_days_ago=-2))
