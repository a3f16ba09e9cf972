"""A tag a root guard requires ("Si 'Tipo de operación' es '0302', no existe el tag") is required of
the document, whatever containers are missing on the way (server/rules/guards.py); a tag a row requires
outright ("No existe el Tag UBL") is required of the document or of each aggregate it sits in (each line,
each tax subtotal…), so a missing container on the way is a missing tag (server/rules/patterns.py)."""
from __future__ import annotations

import pytest

from ..proofs import Edit, assert_earns, edited
from osemock.server.rules.lint import lint

FACTURA = "20123456789-01-F001-1.xml"
BOLETA = "20123456789-03-B001-1.xml"
CREDIT_NOTE = "20123456789-07-BC01-1.xml"
DEBIT_NOTE = "20123456789-08-BD01-1.xml"
DISCOUNTED = "20123456789-01-F001-10.xml"  # a line discount (cac:AllowanceCharge 00)
RC = "20123456789-RC-20261120-2.xml"  # line 4 is a credit note
LINE = "/*/cac:InvoiceLine[1]"
BVME = [("set", "/*/cbc:ProfileID", "0302"), ("attr", "/*/cbc:InvoiceTypeCode", "listID", "0302")]

EDITS = [
    Edit("3156", FACTURA, BVME, why="a BVME names the sales agent's RUC"),
    Edit("3173", FACTURA, BVME, why="a BVME states its payment means"),
    Edit("3156", BOLETA, BVME, why="the boleta sheet asks the same"),
    Edit("3030", FACTURA, [("remove", "/*/cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cac:RegistrationAddress")],
         why="an electronic serie states the establishment, even without the address block"),
    Edit("2128", CREDIT_NOTE, [("remove", "/*/cac:DiscrepancyResponse")], why="a credit note without its type and reason"),
    Edit("2136", DEBIT_NOTE, [("remove", "/*/cac:DiscrepancyResponse")], why="a debit note without its reason"),
    Edit("2679", CREDIT_NOTE, [("remove", "/*/cac:AccountingCustomerParty/cac:Party/cac:PartyIdentification")],
         why="a note without the customer's identification"),
    Edit("2068", FACTURA, [("remove", f"{LINE}/cac:Price")], why="a line without its unit value"),
    Edit("2028", BOLETA, [("remove", f"{LINE}/cac:PricingReference")], why="a line without its unit price"),
]

#: Containers that may be missing: an aggregate judged one by one needs nothing when there is none.
SILENT = [
    (DISCOUNTED, [("remove", f"{LINE}/cac:AllowanceCharge")], "a line without charges or discounts", {"3073"}),
    (FACTURA, [], "the sample", {"2014", "2021", "1037", "2068", "2028"}),
]


@pytest.mark.parametrize("edit", EDITS, ids=str)
def test_edit_earns_its_code(edit):
    assert_earns(edit)


@pytest.mark.parametrize("base, steps, why, codes", SILENT, ids=[s[2] for s in SILENT])
def test_missing_aggregate_is_silent(base, steps, why, codes):
    assert not codes & {f.code for f in lint(edited(Edit("", base, steps)), base).findings}, why


def test_a_voided_note_in_a_summary_needs_no_reference():
    """RC: 'Si "Tipo de documento" es 07 o 08 y 'Tipo de operación' es diferente de 3, no existe el tag'
    (2583): the operation is the line's (cac:Status/cbc:ConditionCode), not the document's."""
    note = "/*/sac:SummaryDocumentsLine[cbc:DocumentTypeCode='07']"
    voided = [("set", f"{note}/cac:Status/cbc:ConditionCode", "3"), ("remove", f"{note}/cac:BillingReference")]
    assert "2583" not in {f.code for f in lint(edited(Edit("", RC, voided)), RC).findings}
    assert_earns(Edit("2583", RC, [("remove", f"{note}/cac:BillingReference")], why="an added note without its reference"))


def test_other_operations_need_no_agent():
    codes = [f.code for f in lint(edited(Edit("", FACTURA, []))).findings]
    assert not {"3156", "3173"} & set(codes)


def test_operation_type_read_from_the_list_id_when_there_is_no_profile_id():
    """Documents that state the operation type only in InvoiceTypeCode/@listID (the workbook's field)
    meet the operation-type guards too."""
    only_list_id = [("remove", "/*/cbc:ProfileID"), ("attr", "/*/cbc:InvoiceTypeCode", "listID", "0302")]
    assert "3156" in [f.code for f in lint(edited(Edit("", FACTURA, only_list_id))).findings]
    profile_wins = [("attr", "/*/cbc:InvoiceTypeCode", "listID", "0302")]  # ProfileID 0101 is the type
    assert "3156" not in [f.code for f in lint(edited(Edit("", FACTURA, profile_wins))).findings]
