"""Acceptance: zeep loads each OFFICIAL WSDL set of shared/reference/wire/wsdl, with the service
address pointed at the mock, and calls every operation the WSDL declares, successfully.

WSDLs that import absolute SUNAT URLs (the production copies) are loaded through a transport that
maps SUNAT's hosts onto the mock, which serves the imported files itself.  billValidService is left
out: its types live only behind SUNAT's ``?wsdl=1``, which is not part of the reference set.
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from zeep import Client, Settings
from zeep.transports import Transport
from zeep.wsse.username import UsernameToken

from osemock.cpe.archive import first_xml, write_document_zip
from osemock.fixtures import signed_document
from osemock.server import soap as soap_package
from osemock.server.engine.endpoints import ENDPOINTS

from .envelopes import CREDENTIALS, call

from ..conftest import SHARED

WSDL = SHARED / "reference" / "wire" / "wsdl"
RUC = "20123456789"


class SunatToMock(Transport):
    """Fetch SUNAT's absolute import URLs from the mock instead."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url

    def load(self, url: str) -> bytes:
        for host in ("https://e-factura.sunat.gob.pe", "https://e-beta.sunat.gob.pe"):
            if url.startswith(host):
                url = self.base_url + url[len(host):]
        return super().load(url)


# (WSDL file, profile, mock path)
CASES = [
    ("sunat-beta-2018_greenter/billService.wsdl", "sunat-beta", "/ol-ti-itcpfegem-beta/billService"),
    ("sunat-2026_sunat-py/beta/billService.wsdl", "sunat-beta", "/ol-ti-itcpfegem-beta/billService"),
    ("sunat-2026_sunat-py/prod/billService.wsdl", "sunat-beta", "/ol-ti-itcpfegem/billService"),
    ("sunat-2026_sunat-py/beta/billService_otroscpe.wsdl", "sunat-beta", "/ol-ti-itemision-otroscpe-gem-beta/billService"),
    ("sunat-2026_sunat-py/prod/billService_otroscpe.wsdl", "sunat-beta", "/ol-ti-itemision-otroscpe-gem/billService"),
    ("ose-ol-ti-itcpe_beatose/billService.wsdl", "ose", "/ol-ti-itcpe/billService"),
    ("sunat-prod_xhandler-java/billService.wsdl", "sunat-beta", "/ol-ti-itcpfegem/billService"),
    ("billConsultService_greenter/billConsultService.wsdl", "sunat-beta", "/ol-it-wsconscpegem/billConsultService"),
    ("sunat-prod_xhandler-java/billConsultService.wsdl", "sunat-beta", "/ol-it-wsconscpegem/billConsultService"),
]


def _zip(name: str) -> bytes:
    return write_document_zip(f"{name}.xml", signed_document(f"{name}.xml"))


def _lot() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in (f"{RUC}-01-F001-1", f"{RUC}-03-B001-1"):
            archive.writestr(f"{name}.xml", signed_document(f"{name}.xml"))
    return buffer.getvalue()


def _service(mock, wsdl: str, path: str):
    user, password = ("BIZLINKS", "TESTBIZLINKS") if mock.app.engine.profile.name == "ose" else ("MODDATOS", "moddatos")
    client = Client(str(WSDL / wsdl), transport=SunatToMock(mock.base_url), wsse=UsernameToken(RUC + user, password),
                    settings=Settings(strict=False))
    soap11 = [name for name, binding in client.wsdl.bindings.items()
              if binding.__class__.__name__ == "Soap11Binding"]
    return client, client.create_service(soap11[0], mock.url(path))


def _declared(client) -> set[str]:
    operations: set[str] = set()
    for binding in client.wsdl.bindings.values():
        operations.update(binding._operations)
    return operations


@pytest.mark.parametrize("wsdl, profile, path", CASES, ids=[c[0] for c in CASES])
def test_every_declared_operation_answers(make_mock, wsdl, profile, path):
    mock = make_mock(profile)
    client, service = _service(mock, wsdl, path)
    declared = _declared(client)
    called: set[str] = set()
    otros = "otroscpe" in path
    consult = "billConsultService" in wsdl

    if consult:
        # Something to consult: the factura, sent through SUNAT's billService of the same mock.
        _, bill = _service(mock, "sunat-2026_sunat-py/prod/billService.wsdl", "/ol-ti-itcpfegem/billService")
        bill.sendBill(f"{RUC}-01-F001-1.zip", _zip(f"{RUC}-01-F001-1"))
        status = service.getStatus(RUC, "01", "F001", 1)
        assert status.statusCode == "0001"
        cdr = service.getStatusCdr(RUC, "01", "F001", 1)
        assert cdr.statusCode == "0004" and first_xml(cdr.content)[0] == f"R-{RUC}-01-F001-1.xml"
        called |= {"getStatus", "getStatusCdr"}
    else:
        bill_name = f"{RUC}-20-R001-1" if otros else f"{RUC}-01-F001-1"
        cdr_zip = service.sendBill(f"{bill_name}.zip", _zip(bill_name))
        assert first_xml(cdr_zip)[0] == f"R-{bill_name}.xml"
        called.add("sendBill")

        summary = f"{RUC}-RR-20261120-1" if otros else f"{RUC}-RC-20261120-1"
        ticket = service.sendSummary(f"{summary}.zip", _zip(summary))
        assert ticket and ticket.isdigit()
        status = service.getStatus(ticket)
        assert status.statusCode == "0", status
        assert first_xml(status.content)[0] == f"R-{summary}.xml"
        called |= {"sendSummary", "getStatus"}

        if "sendPack" in declared:
            ticket = service.sendPack(f"{RUC}-LT-20261120-1.zip", _lot()) if not otros else None
            if otros:
                with pytest.raises(Exception):  # otroscpe takes no lots: 0151
                    service.sendPack(f"{RUC}-LT-20261120-1.zip", _lot())
            else:
                assert ticket.isdigit()
            called.add("sendPack")
        if "getStatusCdr" in declared:
            answer = service.getStatusCdr(RUC, "01", "F001", 1)
            assert answer.statusCode == "0" and answer.content
            called.add("getStatusCdr")
        if "getStatusAR" in declared:
            answer = service.getStatusAR(RUC, bill_name.split("-")[1], bill_name.split("-")[2], "1")
            assert answer.statusCode == "0000" and answer.content
            called.add("getStatusAR")

    assert called == declared


@pytest.mark.parametrize("path, query", [
    ("/ol-ti-itcpe/billService", "?wsdl"),
    ("/ol-ti-itcpe/billService", "?ns1.wsdl"),
    ("/ol-ti-itcpe/billService", "?xsd2.xsd"),
    ("/ol-ti-itcpe/billService.ns1.wsdl", ""),
    ("/ol-ti-itcpe/billService.xsd2.xsd", ""),
    ("/ol-ti-itcpfegem-beta/billService.ns1.wsdl", ""),
    ("/ol-it-wsconscpegem/billConsultService", "?wsdl=1"),
])
def test_wsdl_files_are_served(ose, path, query):
    import requests

    response = requests.get(ose.url(path + query), timeout=10)
    assert response.status_code == 200
    assert b"http://service.sunat.gob.pe" in response.content
    if query == "?wsdl":
        assert f'location="{ose.url()}"'.encode() in response.content
        assert b'soapAction="urn:sendBill"' in response.content and b'soapAction="urn:getStatusCdr"' in response.content


OPERATIONS = {
    "sendBill": {"fileName": f"{RUC}-01-F001-1.zip", "contentFile": "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="},
    "sendSummary": {"fileName": f"{RUC}-RC-20261120-1.zip", "contentFile": "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="},
    "sendPack": {"fileName": f"{RUC}-LT-20261120-1.zip", "contentFile": "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="},
    "getStatus": {"ticket": "1703154974517"},
    "getStatusCdr": {"rucComprobante": RUC, "tipoComprobante": "01", "serieComprobante": "F001", "numeroComprobante": "1"},
    "getStatusAR": {"rucComprobante": RUC, "tipoComprobante": "01", "serieComprobante": "F001", "numeroComprobante": "1"},
}


def _served_operations(wsdl_set: str) -> set[str]:
    """The operations the WSDL files the mock serves at a path declare."""
    folder = Path(soap_package.__file__).parent / "wsdl" / wsdl_set
    return {name for path in folder.glob("*.wsdl") for name in etree.parse(str(path)).xpath(
        "//*[local-name()='portType']/*[local-name()='operation']/@name")}


@pytest.mark.parametrize("path", list(ENDPOINTS))
def test_a_path_answers_the_operations_its_wsdl_declares_and_no_other(make_mock, path):
    """SUNAT's billService declares no getStatusCdr (that is billConsultService's) and an OSE's no
    getStatusAR (PROTOCOL.md §1.2–1.3): both were answered on every billService path, as an OSE would."""
    endpoint = ENDPOINTS[path]
    declared = _served_operations(endpoint.wsdl_set)
    assert endpoint.operations == declared
    mock = make_mock("ose" if endpoint.wsdl_set == "ose" else "sunat-beta")
    user, password = CREDENTIALS[mock.app.engine.profile.name]
    for operation in set(OPERATIONS) - declared:
        reply = call(mock.url(path), operation, OPERATIONS[operation], username=RUC + user, password=password)
        assert reply.status == 500 and reply.text("faultcode") == "soap-env:Client", (operation, reply.body)
        assert reply.text("faultstring") == (f"Operacion no reconocida: Requested resource "
                                             f"'{{http://service.sunat.gob.pe}}{operation}' not found")
