"""A day of an emitter, end to end with zeep on the official OSE WSDL: three boletas and a factura by
sendBill, a resumen diario that reports the boletas, a comunicación de baja that voids the factura,
every ticket followed from 98 to its final signed CDR, and the consult service agreeing."""
from __future__ import annotations

from cryptography import x509
from lxml import etree
from zeep import Client
from zeep.exceptions import Fault
from zeep.wsse.username import UsernameToken

from osemock.cpe.archive import first_xml, write_document_zip
from osemock.cpe.signature import verify
from osemock.fixtures import signed_document
from osemock.fixtures.summaries import RcLine, comunicacion_baja, resumen_diario

from ..conftest import SHARED

RUC = "20123456789"
DAY = "2026-11-20"
OSE_WSDL = SHARED / "reference" / "wire" / "wsdl" / "ose-ol-ti-itcpe_beatose" / "billService.wsdl"


def boleta(numero: int) -> tuple[str, bytes]:
    return f"{RUC}-03-B001-{numero}", signed_document(f"{RUC}-03-B001-1.xml", issue_date=DAY, numero=numero)


def response_code(cdr_zip: bytes, certificate: x509.Certificate) -> str:
    _, xml = first_xml(cdr_zip)
    cdr = etree.fromstring(xml)
    verify(cdr, trusted=[certificate])
    return cdr.xpath("//*[local-name()='ResponseCode']")[0].text


def test_boletas_summary_and_baja_followed_to_their_cdrs(make_mock, tmp_path):
    profile = tmp_path / "slow-tickets.yaml"
    profile.write_text("extends: ose\nname: slow-tickets\nticket_after_polls: 1\n")
    mock = make_mock(str(profile), clock=f"{DAY}T19:00:00-05:00")
    certificate = x509.load_pem_x509_certificate(mock.app.engine.identity.cert_pem)
    client = Client(str(OSE_WSDL), wsse=UsernameToken(RUC + "BIZLINKS", "TESTBIZLINKS"))
    service = client.create_service(
        "{http://service.gem.factura.comppago.registro.servicio.sunat.gob.pe/}BillServicePortBinding", mock.url())

    for numero in (1, 2, 3):
        name, xml = boleta(numero)
        assert response_code(service.sendBill(f"{name}.zip", write_document_zip(f"{name}.xml", xml)), certificate) == "0"
    factura = f"{RUC}-01-F001-1"
    factura_zip = write_document_zip(f"{factura}.xml", signed_document(f"{factura}.xml", issue_date=DAY))
    assert response_code(service.sendBill(f"{factura}.zip", factura_zip), certificate) == "0"

    summaries = [
        resumen_diario(DAY, [RcLine("03", "B001-1", "2", "118.00"), RcLine("03", "B001-2", "2", "118.00"),
                             RcLine("03", "B001-3", "3", "118.00")]),
        comunicacion_baja(DAY, [("01", "F001", 1)]),
    ]
    tickets = [service.sendSummary(f"{name}.zip", write_document_zip(f"{name}.xml", xml)) for name, xml in summaries]
    assert all(len(ticket) == 13 and ticket.isdigit() for ticket in tickets)
    for ticket in tickets:
        pending = service.getStatus(ticket)
        assert pending.statusCode == "98" and pending.content is None
        final = service.getStatus(ticket)
        assert final.statusCode == "0"
        assert response_code(final.content, certificate) == "0"

    consult = client.create_service(
        "{http://service.gem.factura.comppago.registro.servicio.sunat.gob.pe/}BillServicePortBinding", mock.url())
    assert consult.getStatusCdr(RUC, "03", "B001", 1).statusCode == "0"
    states = {key: mock.app.engine.store.document(RUC, *key)["status"]
              for key in (("03", "B001", 1), ("03", "B001", 2), ("03", "B001", 3), ("01", "F001", 1))}
    assert states == {("03", "B001", 1): "accepted", ("03", "B001", 2): "accepted", ("03", "B001", 3): "voided",
                      ("01", "F001", 1): "voided"}
    try:
        service.sendBill(f"{factura}.zip", factura_zip)
    except Fault as fault:
        assert fault.message == "1032"
    else:
        raise AssertionError("a voided factura's number was accepted again")
