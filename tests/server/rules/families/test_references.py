"""Proofs for the references family: references, discrepancies, deliveries and the rows that depend on
a note's type.  Each edit breaks one valid sample the way a row describes and must earn its code; the
valid variations below must stay silent."""
from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest

from osemock.cpe.xmlparse import parse_xml
from osemock.fixtures import signed_document
from osemock.server.rules.engine import findings

from ..proofs import Edit, apply, assert_earns

F1 = "20123456789-01-F001-1.xml"
F7 = "20123456789-01-F001-7.xml"
F50 = "20123456789-01-F001-50.xml"   # guías (09, 31), related documents (99, 04), delivery address
F52 = "20123456789-01-F001-52.xml"   # 1004: transport of goods
B1 = "20123456789-03-B001-1.xml"
NC01 = "20123456789-07-FC01-1.xml"
NC10 = "20123456789-07-FC01-10.xml"
NC11 = "20123456789-07-FC01-11.xml"
NC12 = "20123456789-07-FC01-12.xml"
NC13 = "20123456789-07-FC01-13.xml"
NCB = "20123456789-07-BC01-1.xml"
ND02 = "20123456789-08-FD01-1.xml"
ND03 = "20123456789-08-FD01-3.xml"
ND11 = "20123456789-08-FD01-4.xml"
ND12 = "20123456789-08-FD01-5.xml"
NDB = "20123456789-08-BD01-1.xml"

BILLING = "/*/cac:BillingReference/cac:InvoiceDocumentReference"
ADR = "/*/cac:AdditionalDocumentReference"
GLOBAL_TAX = "/*/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cac:TaxScheme/cbc:ID"
LINE_REASON = "/*/cac:CreditNoteLine[1]/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:TaxExemptionReasonCode"
TERMS = "/*/cac:InvoiceLine/cac:Delivery/cac:DeliveryTerms"


def reference(number: str, kind: str) -> str:
    return (f"<cac:BillingReference><cac:InvoiceDocumentReference><cbc:ID>{number}</cbc:ID>"
            f"<cbc:DocumentTypeCode>{kind}</cbc:DocumentTypeCode></cac:InvoiceDocumentReference></cac:BillingReference>")


def related(number: str, kind: str, status: str | None = None, issuer: tuple[str, str] | None = None) -> str:
    xml = f"<cac:AdditionalDocumentReference><cbc:ID>{number}</cbc:ID><cbc:DocumentTypeCode>{kind}</cbc:DocumentTypeCode>"
    if status is not None:
        xml += f"<cbc:DocumentStatusCode>{status}</cbc:DocumentStatusCode>"
    if issuer is not None:
        xml += (f"<cac:IssuerParty><cac:PartyIdentification><cbc:ID schemeID=\"{issuer[0]}\">{issuer[1]}</cbc:ID>"
                f"</cac:PartyIdentification></cac:IssuerParty>")
    return xml + "</cac:AdditionalDocumentReference>"


GUIA = ("<cac:DespatchDocumentReference><cbc:ID>T001-245</cbc:ID><cbc:DocumentTypeCode>09</cbc:DocumentTypeCode>"
        "</cac:DespatchDocumentReference>")
RESPONSE = "<cac:DiscrepancyResponse><cbc:ResponseCode>01</cbc:ResponseCode><cbc:Description>OTRA</cbc:Description></cac:DiscrepancyResponse>"
ANTICIPO = ("<cac:PrepaidPayment><cbc:ID>1</cbc:ID><cbc:PaidAmount currencyID=\"PEN\">100.00</cbc:PaidAmount>"
            "</cac:PrepaidPayment>")

EDITS = [
    # the modified document: its number's format, its type by serie and note type, how many, repeated
    Edit("2117", NC01, [("set", f"{BILLING}/cbc:ID", "X001-1")], why="a factura's number starts with F, E001 or digits"),
    Edit("2117", NCB, [("set", f"{BILLING}/cbc:ID", "F001-1")], why="a boleta's number starts with B"),
    Edit("2205", ND02, [("set", f"{BILLING}/cbc:ID", "X001-1")], why="debit note on a factura"),
    # "la Serie del comprobante" is the note's own serie: what a note of serie F, B or digits modifies
    Edit("2116", NC01, [("set", f"{BILLING}/cbc:DocumentTypeCode", "03")], why="serie F modifies no boleta"),
    Edit("2116", NC01, [("set", f"{BILLING}/cbc:ID", "B001-1"), ("set", f"{BILLING}/cbc:DocumentTypeCode", "03")],
         why="a note of serie F on a boleta of serie B"),
    Edit("2399", NCB, [("set", f"{BILLING}/cbc:DocumentTypeCode", "01")], why="serie B modifies no factura"),
    Edit("2399", NCB, [("set", f"{BILLING}/cbc:ID", "F001-1"), ("set", f"{BILLING}/cbc:DocumentTypeCode", "01")],
         why="a note of serie B on a factura of serie F"),
    Edit("2400", NDB, [("set", f"{BILLING}/cbc:ID", "F001-1"), ("set", f"{BILLING}/cbc:DocumentTypeCode", "01")],
         why="a debit note of serie B on a factura"),
    Edit("2204", ND02, [("set", f"{BILLING}/cbc:ID", "B001-1"), ("set", f"{BILLING}/cbc:DocumentTypeCode", "03")],
         why="a debit note of serie F on a boleta"),
    Edit("2400", NDB, [("set", f"{BILLING}/cbc:DocumentTypeCode", "07")], why="a debit note on a boleta: type 07"),
    Edit("2205", NDB, [("set", f"{BILLING}/cbc:ID", "F001-1")], why="a boleta's number starts with B"),
    Edit("2204", ND02, [("set", f"{BILLING}/cbc:DocumentTypeCode", "07")], why="debit note: serie F, type 07"),
    Edit("2594", NC01, [("set", "/*/cbc:ID", "0001-1"), ("set", f"{BILLING}/cbc:DocumentTypeCode", "07")],
         why="a note of physical serie, type 07"),
    Edit("2594", ND03, [("set", "/*/cbc:ID", "0001-3"), ("set", f"{BILLING}/cbc:DocumentTypeCode", "07")],
         why="debit 03 of physical serie, type 07"),
    Edit("2524", NC01, [("remove", "/*/cac:BillingReference")], why="a type-01 note modifies a document"),
    Edit("2524", ND02, [("remove", "/*/cac:BillingReference")], why="a type-02 debit note modifies a document"),
    Edit("3261", NC13, [("after", "/*/cac:BillingReference", reference("F001-8", "01"))], why="type 13 adjusts one factura"),
    Edit("3194", NC11, [("after", "/*/cac:BillingReference", reference("F001-60", "01"))], why="type 11 adjusts one export"),
    Edit("3194", ND11, [("after", "/*/cac:BillingReference", reference("F001-60", "01"))], why="debit 11 adjusts one"),
    Edit("3259", NC13, [("set", f"{BILLING}/cbc:DocumentTypeCode", "12")], why="type 13 modifies a factura"),
    Edit("2365", NC01, [("after", "/*/cac:BillingReference", reference("F001-1", "01"))], why="the same factura twice"),
    Edit("2365", ND02, [("after", "/*/cac:BillingReference", reference("F001-1", "01"))], why="debit: same factura twice"),
    Edit("2884", NC01, [("after", "/*/cac:BillingReference", reference("F001-2", "12"))], why="references of two types"),
    Edit("2884", ND02, [("after", "/*/cac:BillingReference", reference("F001-2", "12"))], why="debit: two types"),
    Edit("4367", NCB, [("set", "/*/cac:DiscrepancyResponse/cbc:ResponseCode", "04")], why="a global discount on a boleta"),
    # the note's type
    Edit("3203", NC01, [("after", "/*/cac:DiscrepancyResponse", RESPONSE)], why="the note's type given twice"),
    Edit("3203", ND02, [("after", "/*/cac:DiscrepancyResponse", RESPONSE.replace(">01<", ">02<", 1))], why="debit twice"),
    Edit("2172", ND02, [("set", "/*/cac:DiscrepancyResponse/cbc:ResponseCode", "07")], why="07 is no debit note type"),
    # related documents and guías
    Edit("4006", F50, [("set", "/*/cac:DespatchDocumentReference[1]/cbc:ID", "GR-245")], why="a guía number's format"),
    Edit("4006", NC01, [("after", "/*/cac:BillingReference", GUIA.replace("T001-245", "245"))], why="note: guía format"),
    Edit("4005", F50, [("set", "/*/cac:DespatchDocumentReference[1]/cbc:DocumentTypeCode", "01")], why="a guía is 09 or 31"),
    Edit("4005", ND02, [("after", "/*/cac:BillingReference", GUIA.replace(">09<", ">01<"))], why="debit: guía 09/31"),
    Edit("2364", F50, [("after", "/*/cac:DespatchDocumentReference[1]", GUIA)], why="the same guía twice"),
    Edit("2364", NC01, [("after", "/*/cac:BillingReference", GUIA + GUIA)], why="note: the same guía twice"),
    Edit("2365", F50, [("after", f"{ADR}[1]", related("CONTRATO-2026-0042", "99"))], why="the same related document twice"),
    Edit("2426", NC10, [("after", ADR, related("CONTRATO-2026-0042", "99"))], why="note: the same related document twice"),
    Edit("4009", F50, [("set", f"{ADR}[1]/cbc:DocumentTypeCode", "01")], why="01 is no related document of a factura"),
    Edit("4009", NC10, [("set", f"{ADR}/cbc:DocumentTypeCode", "08")], why="08 is no related document of a note"),
    Edit("4010", NC10, [("set", f"{ADR}/cbc:ID", "CONTRATO 42")], why="a note's related number has no blank"),
    Edit("2635", NC10, [("after", ADR, related("ADENDA-2026-0007", "99"))], why="type 10: one other document (99)"),
    Edit("2636", NC01, [("after", "/*/cac:BillingReference", related("", "99"))], why="a 99 reference needs its number"),
    Edit("2637", NC10, [("set", f"{ADR}/cbc:DocumentTypeCode", "04")], why="type 10 relates only 99"),
    # advances (anticipos) listed as related documents
    Edit("2505", F50, [("after", f"{ADR}[2]", related("F001-40", "04", "1"))], why="a payment identifier on a 04"),
    Edit("2520", F50, [("after", f"{ADR}[2]", related("F001-40", "02", "1", ("1", "12345678")))], why="the advance's issuer is a RUC"),
    Edit("2521", F50, [("after", f"{ADR}[2]", related("B001-40", "02", "1", ("6", "20123456789")))],
         why="an advance factura's number"),
    Edit("2521", B1, [("before", "/*/cac:Signature", related("F001-40", "03", "1", ("6", "20123456789")))],
         why="an advance boleta's number"),
    Edit("3214", F50, [("after", f"{ADR}[2]", related("F001-40", "02", "1", ("6", "20123456789")))],
         why="the advance's payment is missing"),
    Edit("3215", F50, [("after", f"{ADR}[2]", related("F001-40", "02", "1") + related("F001-41", "02", "1"))],
         why="two advances with one payment identifier"),
    Edit("3216", F50, [("after", f"{ADR}[2]", related("F001-40", "02"))], why="an advance without its payment identifier"),
    Edit("3217", F50, [("after", f"{ADR}[2]", related("F001-40", "02", "1", ("6", "")))], why="the advance's issuer"),
    # document-level delivery
    Edit("4041", F50, [("set", "/*/cac:Delivery/cac:DeliveryLocation/cac:Address/cac:Country/cbc:IdentificationCode", "CL")],
         why="a domestic sale is delivered in Peru"),
    Edit("3098", F50, [("set", "/*/cbc:ProfileID", "0201"),
                       ("remove", "/*/cac:Delivery/cac:DeliveryLocation/cac:Address/cac:Country/cbc:IdentificationCode")],
         why="an export of services names the country"),
    # rows 75/73 want the country of the document, not of a delivery the document happens to carry
    Edit("3098", F1, [("set", "/*/cbc:ProfileID", "0201")], why="an export of services without cac:Delivery"),
    Edit("3098", F1, [("set", "/*/cbc:ProfileID", "0208")], why="0208 without cac:Delivery"),
    Edit("3098", B1, [("set", "/*/cbc:ProfileID", "0201")], why="a boleta's export without cac:Delivery"),
    Edit("3099", F50, [("set", "/*/cbc:ProfileID", "0201")], why="an export of services is not used in Peru"),
    # transport of goods (1004)
    Edit("3117", F52, [("remove", "/*/cac:InvoiceLine/cac:Delivery/cac:Despatch/cac:DespatchAddress/cac:AddressLine")],
         why="1004: the origin's address"),
    Edit("3119", F52, [("remove", "/*/cac:InvoiceLine/cac:Delivery/cac:DeliveryLocation/cac:Address/cac:AddressLine")],
         why="1004: the destination's address"),
    Edit("3120", F52, [("set", "/*/cac:InvoiceLine/cac:Delivery/cac:Despatch/cbc:Instructions", " ")], why="1004: the trip"),
    Edit("3124", F52, [("remove", f"{TERMS}[cbc:ID='01']")], why="1004: referential value 01"),
    Edit("3125", F52, [("after", f"{TERMS}[cbc:ID='02']", "<cac:DeliveryTerms><cbc:ID>02</cbc:ID></cac:DeliveryTerms>")],
         why="1004: referential value 02 twice"),
    Edit("3126", F52, [("remove", f"{TERMS}[cbc:ID='03']")], why="1004: referential value 03"),
    Edit("3122", F52, [("remove", f"{TERMS}[cbc:ID='02']/cbc:Amount")], why="1004: the referential amount"),
    Edit("3123", F52, [("set", f"{TERMS}[cbc:ID='03']/cbc:Amount", "0.00")], why="1004: a referential amount above zero"),
    Edit("4275", F52, [("remove", "/*/cac:InvoiceLine//cac:MeasurementDimension[1]/cbc:Measure")], why="1004: the load"),
    Edit("4277", F52, [("attr", "/*/cac:InvoiceLine//cac:MeasurementDimension[2]/cbc:Measure", "unitCode", "KGM")],
         why="1004: the load in TNE"),
    # taxes and amounts by note type
    Edit("2642", NC11, [("set", LINE_REASON, "20")], why="type 11: export lines (40)"),
    Edit("2644", NC12, [("set", LINE_REASON, "10")], why="type 12: IVAP lines (17)"),
    Edit("3230", NC01, [("set", LINE_REASON, "17")], why="IVAP lines only in a type-12 note"),
    Edit("3230", ND02, [("set", LINE_REASON.replace("CreditNoteLine", "DebitNoteLine"), "17")], why="debit: IVAP only in 12"),
    Edit("3221", NC12, [("set", GLOBAL_TAX, "9997")], why="type 12: no exonerated sales"),
    Edit("3221", ND11, [("set", GLOBAL_TAX, "9998")], why="debit 11: no unaffected sales"),
    Edit("3107", NC12, [("set", GLOBAL_TAX, "1000")], why="type 12: no IGV sales"),
    Edit("3107", NC11, [("set", GLOBAL_TAX, "1016")], why="type 11: no IVAP sales"),
    Edit("3107", ND11, [("set", GLOBAL_TAX, "9999")], why="debit 11: no other taxes"),
    Edit("2643", ND12, [("set", "/*/cac:DebitNoteLine/cac:TaxTotal/cac:TaxSubtotal/cbc:TaxableAmount", "0.00")],
         why="debit 12: an IVAP base above zero"),
    Edit("3315", NC13, [("set", "/*/cac:LegalMonetaryTotal/cbc:PayableAmount", "10.00")], why="type 13 moves no money"),
    Edit("3257", NC13, [("remove", "/*/cac:PaymentTerms")], why="type 13 restates the payment terms"),
    Edit("3319", NC13, [("set", "/*/cac:PaymentTerms[cbc:PaymentMeansID='Cuota002']/cbc:Amount", "100.00")],
         why="type 13: the instalments add up to the credit"),
    # row 445: "…decimal positivo… y diferente de cero"; the note's lines and totals are zero, its cuotas never
    Edit("3253", NC13, [("set", "/*/cac:PaymentTerms[cbc:PaymentMeansID='Cuota001']/cbc:Amount", "0.00"),
                        ("set", "/*/cac:PaymentTerms[cbc:PaymentMeansID='Cuota002']/cbc:Amount", "354.00")],
         why="type 13: an instalment of zero"),
]


@pytest.mark.parametrize("edit", EDITS, ids=str)
def test_edit_earns_its_code(edit):
    assert_earns(edit)


def codes(base: str, steps=(), source=None, type_code: str | None = None) -> list[str]:
    root = apply(parse_xml(signed_document(base)), list(steps))
    return [f.code for f in findings(root, type_code or base.split("-")[1], source)]


@pytest.mark.parametrize("base, steps", [
    (NC10, [("remove", "/*/cac:BillingReference")]),                       # type 10 needs no modified document
    (NC10, [("set", f"{BILLING}/cbc:DocumentTypeCode", "-")]),              # … nor its type
    (NC01, [("set", f"{BILLING}/cbc:ID", "0001-123")]),                     # a physical factura
    (NC01, [("set", f"{BILLING}/cbc:ID", "E001-7")]),                       # an emitted-by-SUNAT factura
    # a note of serie F may modify an authorised document (05: boleto aéreo) whatever its serie
    (NC01, [("set", f"{BILLING}/cbc:ID", "BA01-123"), ("set", f"{BILLING}/cbc:DocumentTypeCode", "05")]),
    (ND02, [("set", f"{BILLING}/cbc:ID", "BA01-123"), ("set", f"{BILLING}/cbc:DocumentTypeCode", "05")]),
    (NCB, [("set", "/*/cac:DiscrepancyResponse/cbc:ResponseCode", "06")]),  # a full return of a boleta
    (F50, [("set", "/*/cac:DespatchDocumentReference[1]/cbc:ID", "EG07-12")]),  # every guía format
    (F50, [("set", "/*/cac:DespatchDocumentReference[1]/cbc:ID", "0001-12")]),
    (F50, [("after", f"{ADR}[2]", related("F001-40", "02", "1", ("6", "20123456789"))),
           ("before", "/*/cac:TaxTotal", ANTICIPO)]),                        # an advance with its payment
    (F52, [("remove", "/*/cac:InvoiceLine/cac:Delivery/cac:Shipment")]),    # 1004: the shipment is optional
    (F1, [("set", "/*/cbc:ProfileID", "0101")]),                            # no delivery, no 1004 rows
])
def test_valid_variations_stay_silent(base, steps):
    mine = {edit.code for edit in EDITS}
    assert not mine & set(codes(base, steps)), codes(base, steps)


def test_an_export_of_services_may_name_a_foreign_country():
    """Only the delivery rows are asked: the sample's taxed lines are not an export's (line-tax rows fire)."""
    found = codes(F50, [("set", "/*/cbc:ProfileID", "0201"),
                        ("set", "/*/cac:Delivery/cac:DeliveryLocation/cac:Address/cac:Country/cbc:IdentificationCode", "CL")])
    assert not {"3098", "3099", "4041"} & set(found), found


def test_a_factura_may_state_a_cuota_of_zero():
    """Factura row 877 (3253) wants a 'decimal positivo' only; the credit note's row 445 adds 'y diferente de
    cero' (the type-13 edit above)."""
    assert "3253" not in codes(F7, [("set", "/*/cac:PaymentTerms[cbc:PaymentMeansID='Cuota001']/cbc:Amount", "0.00")])


def test_zero_amounts_are_refused_outside_type_13():
    """A zero IGV on a taxed base is the zero row's (3111), not the format row's (2033, which takes 0.00)."""
    found = codes(NC13, [("set", "/*/cac:DiscrepancyResponse/cbc:ResponseCode", "09"),
                         ("set", "/*/cac:CreditNoteLine[1]/cac:TaxTotal/cac:TaxSubtotal/cbc:TaxableAmount", "100.00")])
    assert "3111" in found and "2033" not in found  # a zero IGV on a line that is no payment adjustment


# -- the modified document in the store (a real store, as a running mock holds it) ------------------------
#: Every document the samples modify or deduct: F001-1 (notes), F001-7 (type 13), B001-1 (notes on a
#: boleta), F001-40 (the advance F50 deducts).
_MODIFIED = (("01", "F001", 1), ("01", "F001", 7), ("03", "B001", 1), ("01", "F001", 40))


#: Where the stores of :func:`_stored` live: one folder for the test run, removed when it ends (the
#: parametrisations below build their stores while tests are collected, before any tmp_path exists).
_STORES = tempfile.TemporaryDirectory(prefix="osemock-refs-")


def _stored(status="accepted", issue_date="2026-01-01", currency="PEN", xml=None):
    """A CheckInput-like source over a real SQLite store holding the modified documents in ``status``
    (``None``: an empty store)."""
    from osemock.server.store import Store

    store = Store(Path(_STORES.name) / f"{uuid.uuid4().hex}.sqlite3")
    for type_code, serie, numero in (_MODIFIED if status is not None else ()):
        store.add_document({"emitter_ruc": "20123456789", "type_code": type_code, "serie": serie, "numero": numero,
                            "status": status, "response_code": "0", "file_name": f"{serie}-{numero}.zip",
                            "issue_date": issue_date, "currency": currency, "xml": xml,
                            "received_at": "2026-01-01T10:00:00-05:00", "responded_at": "2026-01-01T10:00:00-05:00"})
    return SimpleNamespace(store=store, profile=None, now=None)


@pytest.mark.parametrize("base, source, code", [
    (NC01, _stored(None), "2119"), (ND02, _stored(None), "2209"),
    (NC01, _stored("voided"), "2120"), (ND02, _stored("voided"), "2207"),
    (NC01, _stored("rejected"), "2121"), (ND02, _stored("rejected"), "2208"),
    (NC01, _stored(issue_date="2999-01-01"), "2885"), (ND02, _stored(issue_date="2999-01-01"), "2885"),
    (NC01, _stored(issue_date="2999-01-01-05:00"), "2885"),  # a store written before issue dates were kept as days
    (NC01, _stored(currency="USD"), "3209"), (ND02, _stored(currency="USD"), "3209"),
    (NCB, _stored(currency="USD"), "4368"),
    (F50, _stored(None), "3218"), (F50, _stored("rejected"), "3218"),
])
def test_the_modified_document_as_stored(base, source, code):
    steps = [("after", f"{ADR}[2]", related("F001-40", "02", "1", ("6", "20123456789")))] if base == F50 else []
    assert code in codes(base, steps, source=source)
    assert code not in codes(base, steps, source=_stored())


def test_every_modified_document_is_looked_up():
    """A note may modify several documents: each is judged, not the first alone (a second one never
    sent passed, and the answer depended on the references' order)."""
    second = reference("F001-9995", "01")
    for base, code in ((NC01, "2119"), (ND02, "2209")):
        assert code in codes(base, [("after", "/*/cac:BillingReference", second)], source=_stored())
        assert code in codes(base, [("before", "/*/cac:BillingReference", second)], source=_stored())
    assert "2119" not in codes(NC01, source=_stored())


CUOTA = ("<cac:PaymentTerms><cbc:ID>FormaPago</cbc:ID><cbc:PaymentMeansID>Credito</cbc:PaymentMeansID>"
         '<cbc:Amount currencyID="PEN">354.00</cbc:Amount></cac:PaymentTerms>'
         "<cac:PaymentTerms><cbc:ID>FormaPago</cbc:ID><cbc:PaymentMeansID>Cuota001</cbc:PaymentMeansID>"
         '<cbc:Amount currencyID="PEN">354.00</cbc:Amount><cbc:PaymentDueDate>{}</cbc:PaymentDueDate></cac:PaymentTerms>')


def test_the_rows_that_name_no_note_type_judge_every_type():
    """3209 (the note's currency), 4368 (a note on a boleta in another currency, row 104) and 3321 (a
    cuota due by the factura's date, row 450) name no note type, so a type-10 credit note is judged by
    them too (4368 and 3321 skipped it, as rows 96–102 skip it by their words); 2885 (dated before its
    document) leaves debit notes of type 03 out, as its row says."""
    assert "3209" in codes(NC10, source=_stored(currency="USD"))
    assert "3209" not in codes(NC10, source=_stored())
    on_a_boleta = [("set", "/*/cac:DiscrepancyResponse/cbc:ResponseCode", "10")]
    assert "4368" in codes(NCB, on_a_boleta, source=_stored(currency="USD"))
    assert "4368" not in codes(NCB, on_a_boleta, source=_stored())
    for due, judged in (("2026-01-01", True), ("2026-01-02", False)):  # the stored factura is of 2026-01-01
        with_cuota = [("after", "/*/cac:AccountingCustomerParty", CUOTA.format(due))]
        assert ("3321" in codes(NC10, with_cuota, source=_stored())) is judged, due
    assert "2885" not in codes(ND03, source=_stored(issue_date="2999-01-01"))
    assert "2885" in codes(ND02, source=_stored(issue_date="2999-01-01"))


def test_an_advance_of_another_issuer_is_not_looked_up():
    steps = [("after", f"{ADR}[2]", related("F001-40", "02", "1", ("6", "20100070970")))]
    assert "3218" not in codes(F50, steps, source=_stored(None))


def test_a_payment_adjustment_modifies_a_sale_on_credit():
    assert "3260" in codes(NC13, source=_stored(xml=signed_document(F1)))      # F001-1 was paid in cash
    assert "3260" not in codes(NC13, source=_stored(xml=signed_document(F7)))  # F001-7 is on credit
    assert "3260" not in codes(NC13, source=_stored())                         # no stored XML: no judgement


def test_a_type_10_note_is_not_looked_up():
    assert "2119" not in codes(NC10, source=_stored(None))


PROVEN_CODES = ("2119", "2120", "2121", "2207", "2208", "2209", "2885", "3209", "3218", "3260", "4368")
"""Proven by :func:`test_the_modified_document_as_stored` and :func:`test_a_payment_adjustment_modifies_a_sale_on_credit`
(the store of a running mock)."""

