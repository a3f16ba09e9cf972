"""A tag a root guard requires ("Si 'Tipo de operación' es '0302', no existe el tag") is required of
the document, whatever containers are missing on the way (server/rules/guards.py)."""
from __future__ import annotations

import pytest

from ..proofs import Edit, assert_earns, edited
from osemock.server.rules.lint import lint

FACTURA = "20123456789-01-F001-1.xml"
BOLETA = "20123456789-03-B001-1.xml"
BVME = [("set", "/*/cbc:ProfileID", "0302"), ("attr", "/*/cbc:InvoiceTypeCode", "listID", "0302")]

EDITS = [
    Edit("3156", FACTURA, BVME, why="a BVME names the sales agent's RUC"),
    Edit("3173", FACTURA, BVME, why="a BVME states its payment means"),
    Edit("3156", BOLETA, BVME, why="the boleta sheet asks the same"),
    Edit("3030", FACTURA, [("remove", "/*/cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cac:RegistrationAddress")],
         why="an electronic serie states the establishment, even without the address block"),
]


@pytest.mark.parametrize("edit", EDITS, ids=str)
def test_edit_earns_its_code(edit):
    assert_earns(edit)


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
