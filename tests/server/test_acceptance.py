"""The foundation's acceptance: ``osemock serve`` (what ``make serve`` runs) answers a zeep client on
the official WSDL with a CDR whose signature verifies against the certificate the server publishes;
the store survives a restart."""
from __future__ import annotations

import subprocess

import pytest
import requests
from cryptography import x509
from lxml import etree
from zeep import Client
from zeep.exceptions import Fault
from zeep.wsse.username import UsernameToken

from osemock.cpe.archive import first_xml, write_document_zip
from osemock.cpe.signature import verify
from osemock.fixtures import signed_document

from tests.serving import serve

from ..conftest import SHARED

RUC = "20123456789"
NAME = f"{RUC}-01-F001-1"
OSE_WSDL = SHARED / "reference" / "wire" / "wsdl" / "ose-ol-ti-itcpe_beatose" / "billService.wsdl"


@pytest.fixture
def served(tmp_path):
    """``osemock serve`` in its own process, as ``make serve`` starts it."""
    processes = []

    def start() -> str:
        process, base = serve("--db", str(tmp_path / "store.sqlite3"), output=subprocess.PIPE)
        processes.append(process)
        return base

    def stop() -> None:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)
        processes.clear()

    start.stop = stop
    yield start
    stop()


def _service(base: str):
    client = Client(str(OSE_WSDL), wsse=UsernameToken(RUC + "BIZLINKS", "TESTBIZLINKS"))
    return client.create_service("{http://service.gem.factura.comppago.registro.servicio.sunat.gob.pe/}BillServicePortBinding",
                                 base + "/ol-ti-itcpe/billService")


def test_signed_factura_gets_a_verifiable_cdr(served):
    base = served()
    cdr_zip = _service(base).sendBill(f"{NAME}.zip", write_document_zip(f"{NAME}.xml", signed_document(f"{NAME}.xml")))
    name, xml = first_xml(cdr_zip)
    assert name == f"R-{NAME}.xml"
    cdr = etree.fromstring(xml)
    assert cdr.xpath("//*[local-name()='ResponseCode']")[0].text == "0"
    certificate = x509.load_pem_x509_certificate(requests.get(base + "/_osemock/certificate.pem", timeout=5).content)
    verified = verify(cdr, trusted=[certificate])
    assert verified.certificate.fingerprint(certificate.signature_hash_algorithm) == certificate.fingerprint(
        certificate.signature_hash_algorithm)
    reference = cdr.xpath("//*[local-name()='DocumentReference']/*[local-name()='ID']")[0].text
    assert reference == "F001-1"


def test_store_and_identity_survive_a_restart(served):
    base = served()
    service = _service(base)
    cdr_zip = service.sendBill(f"{NAME}.zip", write_document_zip(f"{NAME}.xml", signed_document(f"{NAME}.xml")))
    certificate = requests.get(base + "/_osemock/certificate.pem", timeout=5).content
    served.stop()

    base = served()
    assert requests.get(base + "/_osemock/certificate.pem", timeout=5).content == certificate
    service = _service(base)
    with pytest.raises(Fault) as fault:
        service.sendBill(f"{NAME}.zip", write_document_zip(f"{NAME}.xml", signed_document(f"{NAME}.xml")))
    assert fault.value.message == "1033"
    stored = service.getStatusCdr(RUC, "01", "F001", 1)
    assert stored.statusCode == "0" and stored.content == cdr_zip
