"""What real clients send and the mock must take: no SOAPAction, WS-Addressing headers, password
without ``Type``, two prefixes for the wsse namespace, mustUnderstand — and the configurable HTTP
status of faults."""
from __future__ import annotations

import base64

import pytest
import requests

from osemock.cpe.archive import write_document_zip
from osemock.fixtures import signed_document

from .envelopes import SOAP, WSSE, Reply

RUC = "20123456789"
NAME = f"{RUC}-01-F001-1"


def post(mock, header: str, *, soap_action: str | None = None, charset: str = "UTF-8",
         types: tuple[str, str] | None = None) -> Reply:
    """sendBill of the sample factura; ``types`` puts those xsi:type on fileName and contentFile."""
    content = base64.b64encode(write_document_zip(f"{NAME}.xml", signed_document(f"{NAME}.xml"))).decode()
    name_type, content_type = (f' xsi:type="{t}"' for t in types) if types else ("", "")
    body = (f'<?xml version="1.0" encoding="{charset}"?>'
            f'<s:Envelope xmlns:s="{SOAP}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            f'xmlns:xsd="http://www.w3.org/2001/XMLSchema"><s:Header>{header}</s:Header><s:Body>'
            f'<n:sendBill xmlns:n="http://service.sunat.gob.pe"><fileName{name_type}>{NAME}.zip</fileName>'
            f"<contentFile{content_type}>{content}</contentFile><partyType></partyType></n:sendBill></s:Body></s:Envelope>").encode(charset)
    headers = {"Content-Type": f"text/xml;charset={charset}"}
    if soap_action is not None:
        headers["SOAPAction"] = soap_action
    response = requests.post(mock.url(), data=body, headers=headers, timeout=30)
    return Reply(response.status_code, response.content)


def test_no_soapaction_no_type_and_ws_addressing(ose):
    header = (
        '<wsa:Action xmlns:wsa="http://www.w3.org/2005/08/addressing">urn:sendBill</wsa:Action>'
        '<wsa:MessageID xmlns:wsa="http://www.w3.org/2005/08/addressing">urn:uuid:1</wsa:MessageID>'
        f'<wsse:Security xmlns:wsse="{WSSE}" s:mustUnderstand="1"><wsse:UsernameToken>'
        f"<wsse:Username>{RUC}BIZLINKS</wsse:Username><wsse:Password>TESTBIZLINKS</wsse:Password>"
        "</wsse:UsernameToken></wsse:Security>"
    )
    reply = post(ose, header)
    assert reply.status == 200, reply.body
    assert reply.text("applicationResponse")


def test_two_prefixes_for_wsse_and_a_wrong_soapaction(ose):
    header = (
        f'<wsse:Security xmlns:wsse="{WSSE}"><wsse:UsernameToken>'
        f'<wsse:Username>{RUC}BIZLINKS</wsse:Username>'
        f'<ns2:Password xmlns:ns2="{WSSE}">TESTBIZLINKS</ns2:Password>'
        "</wsse:UsernameToken></wsse:Security>"
    )
    reply = post(ose, header, soap_action='"urn:getStatus"')
    assert reply.status == 200, reply.body


@pytest.mark.parametrize("charset", ["UTF-16", "ISO-8859-1"])
def test_an_envelope_in_another_charset_is_read_in_it(ose, charset):
    """A .NET client may write its SOAP in UTF-16 (WCF's writeEncoding) and say so in the Content-Type;
    the mock reads it as any SOAP stack would (spyne used to be told the charset of the bytes it was no
    longer given, and answered 0305)."""
    header = (f'<wsse:Security xmlns:wsse="{WSSE}"><wsse:UsernameToken><wsse:Username>{RUC}BIZLINKS</wsse:Username>'
              "<wsse:Password>TESTBIZLINKS</wsse:Password></wsse:UsernameToken></wsse:Security>"
              "<x:Nota xmlns:x='urn:x'>año ñandú</x:Nota>")
    reply = post(ose, header, charset=charset)
    assert reply.status == 200, reply.body
    assert reply.text("applicationResponse")


@pytest.mark.parametrize("types", [("xsd:string", "xsd:base64Binary"), ("xsd:string", "xsd:string"),
                                   ("xsd:token", "xsd:hexBinary")])
def test_xsi_types_on_the_call_s_fields_are_ignored(ose, types):
    """NuSOAP and rpc-style stacks mark each field with its XSD type; a JAX-WS service reads the value
    all the same (spyne refused xsd:base64Binary, whose class it does not know, with 0305)."""
    header = (f'<wsse:Security xmlns:wsse="{WSSE}"><wsse:UsernameToken><wsse:Username>{RUC}BIZLINKS</wsse:Username>'
              "<wsse:Password>TESTBIZLINKS</wsse:Password></wsse:UsernameToken></wsse:Security>")
    reply = post(ose, header, types=types)
    assert reply.status == 200, reply.body
    assert reply.text("applicationResponse")


def test_fault_http_status_comes_from_the_profile(make_mock, tmp_path):
    profile = tmp_path / "ose406.yaml"
    profile.write_text("extends: ose\nname: ose406\nfault_http_status: 406\n")
    mock = make_mock(str(profile))
    reply = post(mock, "")
    assert reply.status == 406
    assert reply.code() == "0101"


def test_unknown_operation_is_a_clean_fault(ose):
    body = (f'<s:Envelope xmlns:s="{SOAP}"><s:Body><n:sendInvoice xmlns:n="http://service.sunat.gob.pe"/>'
            "</s:Body></s:Envelope>").encode()
    response = requests.post(ose.url(), data=body, headers={"Content-Type": "text/xml"}, timeout=10)
    reply = Reply(response.status_code, response.content)
    assert reply.status == 500 and reply.is_fault
    assert b"Traceback" not in reply.body


def test_not_xml_at_all_is_a_clean_fault(ose):
    response = requests.post(ose.url(), data=b"hello", headers={"Content-Type": "text/xml"}, timeout=10)
    assert response.status_code == 500
    assert b"Fault" in response.content and b"Traceback" not in response.content
