"""The payments rows that need the mock's store: a credit note's cuota against the invoice it modifies, an
advance against the invoice it was billed on."""
from __future__ import annotations

from ...test_backend_rules import NOTE, post, registry, send_named
from ...test_codes import BASE, assert_fault, resign
from osemock.fixtures import signed_document

#: Codes proven here (the proof ledger reads it).
PROVEN_CODES = ("3321", "3218")

CUOTA = (b"<cac:PaymentTerms><cbc:ID>FormaPago</cbc:ID><cbc:PaymentMeansID>Credito</cbc:PaymentMeansID>"
         b'<cbc:Amount currencyID="PEN">354.00</cbc:Amount></cac:PaymentTerms>'
         b"<cac:PaymentTerms><cbc:ID>FormaPago</cbc:ID><cbc:PaymentMeansID>Cuota001</cbc:PaymentMeansID>"
         b'<cbc:Amount currencyID="PEN">354.00</cbc:Amount><cbc:PaymentDueDate>%s</cbc:PaymentDueDate></cac:PaymentTerms>')


def note_with_cuota(due: str) -> bytes:
    xml = signed_document(f"{NOTE}.xml", issue_date="2026-11-20")
    return resign(xml.replace(b"</cac:AccountingCustomerParty>", b"</cac:AccountingCustomerParty>" + CUOTA % due.encode(), 1))


def test_3321_cuota_due_on_the_invoice_date(make_mock, tmp_path):
    mock = make_mock("ose", registry=registry(tmp_path), clock="2026-11-20T18:00:00-05:00")
    assert post(mock, signed_document(f"{BASE}.xml", issue_date="2026-11-20")).status == 200
    assert_fault(send_named(mock, NOTE, note_with_cuota("2026-11-20")), "3321", mock)


def test_a_cuota_due_after_the_invoice_is_accepted(make_mock, tmp_path):
    mock = make_mock("ose", registry=registry(tmp_path), clock="2026-11-20T18:00:00-05:00")
    assert post(mock, signed_document(f"{BASE}.xml", issue_date="2026-11-20")).status == 200
    assert send_named(mock, NOTE, note_with_cuota("2026-12-20")).status == 200


ADVANCE = "20123456789-01-F001-42"  # deducts the advance invoiced on F001-30


def test_3218_the_advance_was_never_invoiced(make_mock, tmp_path):
    mock = make_mock("ose", registry=registry(tmp_path))
    assert_fault(send_named(mock, ADVANCE, signed_document(f"{ADVANCE}.xml")), "3218", mock)


def test_the_advance_invoiced_before_is_found(make_mock, tmp_path):
    mock = make_mock("ose", registry=registry(tmp_path))
    advance_invoice = resign(signed_document(f"{BASE}.xml").replace(b"<cbc:ID>F001-1</cbc:ID>", b"<cbc:ID>F001-30</cbc:ID>"))
    assert send_named(mock, "20123456789-01-F001-30", advance_invoice).status == 200
    assert send_named(mock, ADVANCE, signed_document(f"{ADVANCE}.xml")).status == 200
