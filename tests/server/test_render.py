"""The renderer writes what SUNAT and OSEs write, prefixes included (PROTOCOL.md §2.1, §6)."""
from __future__ import annotations

from lxml import etree

from osemock.cpe.errors import SunatError
from osemock.server.engine.answers import CdrAnswer, StatusAnswer, TicketAnswer
from osemock.server.soap.render import render_answer, render_fault

from ..conftest import SHARED

SOAP_FIXTURES = SHARED / "reference" / "wire" / "soap"


def shape(xml: bytes) -> list[tuple[str | None, str]]:
    """(prefix, local name) of every element, in document order: what literal-matching clients see."""
    return [(el.prefix, etree.QName(el).localname) for el in etree.fromstring(xml).iter()]


def test_send_bill_response_has_sunats_shape():
    ours = render_answer("sendBill", CdrAnswer(b"PK\x03\x04zip"))
    theirs = (SOAP_FIXTURES / "sunat-beta_bill_service_response_ok.xml").read_bytes()
    assert shape(ours) == shape(theirs)
    assert ours.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<soap-env:Envelope')


def test_ticket_response_has_sunats_shape():
    ours = render_answer("sendSummary", TicketAnswer("1703154974517"))
    theirs = (SOAP_FIXTURES / "sunat-beta_bill_service_response_ticket.xml").read_bytes()
    assert shape(ours) == shape(theirs)


def test_get_status_response_has_sunats_shape():
    ours = render_answer("getStatus", StatusAnswer("0", b"PK\x03\x04zip"))
    theirs = (SOAP_FIXTURES / "sunat-beta_get_status_response_ok.xml").read_bytes()
    assert [s for s in shape(ours) if s[1] != "Header"] == [s for s in shape(theirs) if s[1] != "Header"]


def test_sunat_fault_matches_the_captured_0111():
    ours = render_fault(SunatError("0111", "Rejected by policy."), "sunat")
    theirs = (SOAP_FIXTURES / "sunat-beta_bill_service_response_fault.xml").read_bytes()
    assert shape(ours) == shape(theirs)
    fault = etree.fromstring(ours)
    assert fault.findtext(".//faultcode") == "soap-env:Client.0111"
    assert fault.findtext(".//faultstring") == (
        "No tiene el perfil para enviar comprobantes electronicos - Detalle: Rejected by policy.")


def test_sunat_fault_detail_is_datapowers():
    fault = etree.fromstring(render_fault(SunatError("1033", "El comprobante B001-1704 fue informado anteriormente"),
                                          "sunat", "202413738761966"))
    assert fault.findtext(".//faultstring") == (
        "El comprobante fue registrado previamente con otros datos - Detalle: xxx.xxx.xxx "
        "value='ticket: 202413738761966 error: El comprobante B001-1704 fue informado anteriormente'")


def test_system_errors_are_server_faults():
    fault = etree.fromstring(render_fault(SunatError("0100"), "sunat"))
    assert fault.findtext(".//faultcode") == "soap-env:Server.0100"


def test_ose_fault_has_code_in_faultstring_and_message_in_detail():
    fault = etree.fromstring(render_fault(SunatError("2800", 'Error (nodo: "cbc:ID/schemeID" valor: "7")'), "ose"))
    assert fault.findtext(".//faultcode") == "soap-env:Client"
    assert fault.findtext(".//faultstring") == "2800"
    message = fault.find(".//detail/{http://service.sunat.gob.pe}message")
    assert message.text.startswith("El dato ingresado en el tipo de documento de identidad del receptor no esta permitido.")
    assert 'valor: "7"' in message.text


def test_unknown_ticket_content_is_plain_text_at_sunat():
    status = etree.fromstring(render_answer("getStatus", StatusAnswer("0127", "El ticket no existe".encode())))
    assert status.findtext(".//content") == "El ticket no existe"
    assert status.findtext(".//statusCode") == "0127"


def test_a_sunat_fault_always_has_a_detail():
    """Every SUNAT fault observed carries `` - Detalle: …``: a code with no detail of its own (one a
    scenario injects) came with the catalog message alone."""
    fault = etree.fromstring(render_fault(SunatError("0130"), "sunat"))
    assert fault.findtext(".//faultstring") == (
        "El sistema no puede responder su solicitud. (No se pudo obtener el ticket de proceso) - Detalle: "
        "xxx.xxx.xxx value='ticket:  error: 0130'")
    policy = etree.fromstring(render_fault(SunatError("0111"), "sunat"))
    assert policy.findtext(".//faultstring") == (
        "No tiene el perfil para enviar comprobantes electronicos - Detalle: Rejected by policy.")
    ose = etree.fromstring(render_fault(SunatError("0130"), "ose"))  # an OSE's detail/message is the description
    assert ose.findtext(".//faultstring") == "0130" and " - Detalle" not in ose.findtext(".//{*}message")


def test_an_injected_fault_has_the_shape_of_a_real_one(make_mock):
    from osemock.cpe.archive import write_document_zip
    from osemock.fixtures import signed_document
    from osemock.server.admin.client import AdminClient

    from .envelopes import send_bill

    mock = make_mock("sunat-beta")
    AdminClient(mock.base_url).scenario(action="code", code="0200", operation="sendBill", times=1)
    base = "20123456789-01-F001-1"
    reply = send_bill(mock.url("/ol-ti-itcpfegem-beta/billService"), f"{base}.zip",
                      write_document_zip(f"{base}.xml", signed_document(f"{base}.xml")),
                      username="20123456789MODDATOS", password="moddatos")
    assert reply.status == 500 and reply.text("faultcode") == "soap-env:Server.0200"
    assert reply.text("faultstring") == ("No se pudo procesar su solicitud. (Ocurrio un error en el batch) - Detalle: "
                                         "xxx.xxx.xxx value='ticket:  error: 0200'")
