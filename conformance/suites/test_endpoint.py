"""Endpoint conformance: what an emitter relies on in any OSE or SUNAT billService.

Every test speaks through the emitter client on the official WSDL and judges only what SUNAT's
manuals promise (codes, fault shape, CDRs, tickets), so the module runs unchanged against the
in-process mock or a real test endpoint (``--ose-target https://…``); the test that drives the
mock's scenario control (``ose_admin``) is skipped where the target is not an osemock.
"""
from __future__ import annotations

import re

import pytest
from lxml import etree

from osemock.client import OseClient, Outcome, Prepared, Status
from osemock.client.transport import DeadlineSession
from osemock.conformance.documents import cdr_problem
from osemock.cpe.archive import write_document_zip

#: Codes of a refused SOL login (detailed or generic, by OSE): the credentials' own codes of
#: error_codes.csv.  Not 0109 ("el servicio de autenticación no está disponible") nor 0110 (the user's
#: type could not be read): those are the endpoint failing, not the password refused.
AUTH_CODES = {"0101", "0102", "0103", "0104", "0105", "0106", "0111"}


def record(case, outcome: Outcome, expected: str) -> Outcome:
    case.document, case.expected = outcome.document or "", expected
    case.status, case.code, case.description = outcome.status.value, outcome.code, outcome.description
    case.observations = [f"{o.code} {o.message}" for o in outcome.observations]
    case.ticket = outcome.ticket or ""
    case.cdr_xml = outcome.cdr_xml.decode("utf-8", "replace") if outcome.cdr_xml else ""
    return outcome


def assert_fault(outcome: Outcome, codes: set[str]) -> None:
    """A refusal is a fault whose code (4 digits, in either dialect) is one of ``codes``, with a description."""
    assert outcome.status is Status.EXCEPTION, f"expected a fault, got {outcome.status.value} {outcome.code}"
    assert re.fullmatch(r"\d{4}", outcome.code), f"the fault carries no SUNAT code: {outcome.description!r}"
    assert outcome.code in codes, f"expected one of {sorted(codes)}, got {outcome.code} {outcome.description}"
    assert outcome.description.strip(), "the fault has no description"


def signed(client: OseClient, xml: bytes) -> Prepared:
    return client.prepare(xml)


def test_wsdl_describes_the_billservice_operations(ose_connection, ose_case):
    http = DeadlineSession()  # each fetch ends within the timeout, however slowly its answer trickles in
    response = http.get(ose_connection.url + "?wsdl", timeout=ose_connection.target.timeout)
    ose_case.expected, ose_case.code = "HTTP 200 WSDL", str(response.status_code)
    assert response.status_code == 200
    root = etree.fromstring(response.content)
    assert etree.QName(root).localname == "definitions"
    text = response.text
    imported = re.findall(r'location="([^"]+)"', text)
    for location in imported:  # the operations may live in an imported WSDL (billService.ns1.wsdl)
        url = location if location.startswith("http") else ose_connection.url.rsplit("/", 1)[0] + "/" + location
        text += http.get(url, timeout=ose_connection.target.timeout).text
    for operation in ("sendBill", "sendSummary", "getStatus"):
        assert f'name="{operation}"' in text, f"the WSDL lacks {operation}"


def test_factura_is_accepted_with_a_signed_cdr(ose_client, ose_documents, ose_case):
    _, xml = ose_documents.factura(lines=3)
    outcome = record(ose_case, ose_client.send_bill(xml), "0")
    assert outcome.accepted, f"{outcome.code} {outcome.description}"
    assert outcome.cdr_xml is not None and outcome.signature_verified, outcome.signature_problem
    assert cdr_problem(outcome) is None, cdr_problem(outcome)  # it names this factura, not F001-10 for F001-1


def test_boleta_and_its_credit_note_are_accepted(ose_client, ose_documents, ose_case):
    number, xml = ose_documents.boleta(lines=2)
    assert ose_client.send_bill(xml).accepted
    _, note = ose_documents.credit_note(("03", number))
    outcome = record(ose_case, ose_client.send_bill(note), "0")
    assert outcome.accepted, f"{outcome.code} {outcome.description}"


def test_wrong_password_is_refused_with_an_auth_code(ose_connection, ose_documents, ose_case):
    client = ose_connection.client(password="not-the-password")  # its calls share the timeout, as every case's
    _, xml = ose_documents.factura()
    outcome = record(ose_case, client.send_bill(xml), "auth fault")
    assert_fault(outcome, AUTH_CODES)


def test_zip_named_with_an_unknown_type_is_0151(ose_client, ose_documents, ose_case):
    number, xml = ose_documents.factura()
    doc = signed(ose_client, xml)
    base = f"{ose_client.ruc}-99-{number}"
    outcome = record(ose_case, ose_client.send_bill(Prepared(base, doc.xml, write_document_zip(f"{base}.xml", doc.xml),
                                                              "document")), "0151")
    assert_fault(outcome, {"0151"})


def test_file_of_another_ruc_is_0154(ose_client, ose_documents, ose_case):
    from osemock.conformance.factory import DocumentFactory

    other = "20100070970" if ose_client.ruc != "20100070970" else "20123456789"
    _, xml = DocumentFactory(other).factura()
    outcome = record(ose_case, ose_client.send_bill(xml), "0154")
    assert_fault(outcome, {"0154"})


def test_content_that_is_not_a_zip_is_refused(ose_client, ose_documents, ose_case):
    number, _ = ose_documents.factura()
    base = f"{ose_client.ruc}-01-{number}"
    outcome = record(ose_case, ose_client.send_bill(Prepared(base, b"", b"this is not a zip", "document")), "0155-0161")
    assert_fault(outcome, {f"{n:04d}" for n in range(155, 162)} | {"0306"})


def test_zip_entry_with_another_name_is_refused(ose_client, ose_documents, ose_case):
    number, xml = ose_documents.factura()
    doc = signed(ose_client, xml)
    base = f"{ose_client.ruc}-01-{number}"
    outcome = record(ose_case, ose_client.send_bill(Prepared(base, doc.xml, write_document_zip("otro-nombre.xml", doc.xml),
                                                              "document")), "0155-0161 / 1034")
    assert_fault(outcome, {f"{n:04d}" for n in range(155, 162)} | {"1034"})


def test_resending_a_number_gives_back_its_cdr(ose_client, ose_documents, ose_case):
    _, xml = ose_documents.factura()
    doc = signed(ose_client, xml)
    assert ose_client.send_bill(doc).accepted
    again = record(ose_case, ose_client.send_bill(doc), "1033 or the stored CDR")
    assert again.code == "1033" or (again.accepted and again.already_sent), f"{again.code} {again.description}"


def test_get_status_cdr_returns_the_cdr_of_a_sent_document(ose_client, ose_documents, ose_case):
    if not ose_client.endpoint.is_ose:
        pytest.skip("SUNAT keeps getStatusCdr in billConsultService (its beta has none)")
    number, xml = ose_documents.factura()
    assert ose_client.send_bill(xml).accepted
    serie, numero = number.split("-")
    outcome = record(ose_case, ose_client.get_status_cdr(ose_client.ruc, "01", serie, int(numero)), "0 with CDR")
    assert outcome.cdr_zip and outcome.accepted, f"{outcome.code} {outcome.description}"


def test_baja_gets_a_ticket_that_ends_with_its_cdr(ose_client, ose_documents, ose_case):
    from osemock.fixtures.summaries import comunicacion_baja

    number, xml = ose_documents.factura()
    assert ose_client.send_bill(xml).accepted
    serie, numero = number.split("-")
    today = ose_documents.today
    _, baja = comunicacion_baja(today, [("01", serie, int(numero))], number=ose_documents.summary_number(),
                                reference_date=today, ruc=ose_client.ruc)
    sent = ose_client.send_summary(ose_client.prepare(_unsigned(baja)))
    assert sent.status is Status.PENDING and sent.ticket and sent.ticket.isdigit(), f"{sent.code} {sent.description}"
    final = record(ose_case, ose_client.get_status(sent.ticket, wait=True, timeout=300, interval=0.2), "0")
    assert final.accepted and final.cdr_xml, f"{final.code} {final.description}"


def test_unknown_ticket_is_0127(ose_client, ose_case):
    outcome = record(ose_case, ose_client.get_status("1999999999999"), "0127")
    assert outcome.code == "0127", f"{outcome.status.value} {outcome.code} {outcome.description}"


def test_a_system_fault_is_retried(ose_client, ose_admin, ose_documents, ose_case):
    ose_admin.plan_fault("sendBill", code="0130", times=1)
    _, xml = ose_documents.factura()
    outcome = record(ose_case, ose_client.send_bill(xml), "0 after a 0130")
    assert outcome.accepted, f"{outcome.code} {outcome.description}"
    assert ose_admin.faults() == []


def _unsigned(xml: bytes) -> bytes:
    """A summary built by the fixtures comes signed with the TEST-ONLY certificate; the client re-signs
    it with the target's."""
    from osemock.cpe import ns
    from osemock.cpe.xmlparse import parse_xml

    root = parse_xml(xml)
    for signature in root.iter(f"{{{ns.DS}}}Signature"):
        signature.getparent().remove(signature)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")

