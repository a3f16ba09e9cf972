"""What a CDR answers, and for which document: the verdict the signature covers, the document it
names, and each document of a lot, with genuine CDRs signed by a real mock."""
from __future__ import annotations

import base64
import io
import zipfile

import pytest
from cryptography import x509
from lxml import etree

from osemock.client import OseClient, RetryPolicy, Status, read_cdr
from osemock.cpe import ns
from osemock.cpe.errors import CpeError
from osemock.fixtures import CERTS, signed_document
from tests.helpers import zip_of

from .test_client import _ENVELOPE, CLOCK, DAY, RUC

PROD_PATH = "/ol-ti-itcpfegem/billService"


@pytest.fixture
def prod(make_mock, tmp_path):
    """SUNAT production's behaviour (a rejection is a signed CDR carrying the code), with beta's
    wildcard credentials so that a test needs no registry."""
    profile = tmp_path / "prod-like.yaml"
    profile.write_text("extends: sunat-prod\nname: prod-like\nwildcard_user: MODDATOS\nwildcard_password: moddatos\n")
    mock = make_mock(str(profile), clock=CLOCK)
    mock.trusted = [x509.load_pem_x509_certificate(mock.app.engine.identity.cert_pem)]
    mock.client = lambda **kw: OseClient(mock.url(PROD_PATH), RUC, "MODDATOS", "moddatos",
                                         retry=RetryPolicy(attempts=1), **{"trusted": mock.trusted, **kw})
    return mock


def wrong_total(numero: int) -> bytes:
    """A signed factura whose total does not add up: 3280."""
    from osemock.cpe.signature import sign
    from osemock.cpe.xmlparse import parse_xml
    from osemock.fixtures import emitter_keypair

    xml = signed_document(f"{RUC}-01-F001-{numero}.xml", issue_date=DAY).replace(
        b'<cbc:PayableAmount currencyID="PEN">', b'<cbc:PayableAmount currencyID="PEN">1')
    return etree.tostring(sign(parse_xml(xml), emitter_keypair()), xml_declaration=True, encoding="UTF-8")


def cdr_entry(cdr_zip: bytes) -> tuple[str, etree._Element]:
    with zipfile.ZipFile(io.BytesIO(cdr_zip)) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".xml"))
        return name, etree.fromstring(archive.read(name))


def rezipped(name: str, root: etree._Element) -> bytes:
    return zip_of((name, etree.tostring(root, xml_declaration=True, encoding="UTF-8")))


def test_a_verdict_planted_inside_the_signature_is_not_the_cdrs(prod):
    """The enveloped signature covers everything but ds:Signature, so a ResponseCode 0 planted in a
    ds:Object there left a genuine rejection's signature valid, and the first ResponseCode of the
    document (the planted one) made it read "accepted, signature ok"."""
    rejected = prod.client().send_bill(wrong_total(7))
    assert (rejected.status, rejected.code, rejected.signature_verified) == (Status.REJECTED, "3280", True)
    name, root = cdr_entry(rejected.cdr_zip)
    signature = root.find(f".//{{{ns.DS}}}Signature")
    planted = etree.SubElement(signature, f"{{{ns.DS}}}Object")
    response = etree.SubElement(etree.SubElement(planted, f"{{{ns.CAC}}}DocumentResponse"), f"{{{ns.CAC}}}Response")
    etree.SubElement(response, f"{{{ns.CBC}}}ResponseCode").text = "0"
    etree.SubElement(response, f"{{{ns.CBC}}}Description").text = "La Factura numero F001-7, ha sido aceptada"
    etree.SubElement(planted, f"{{{ns.CBC}}}Note").text = "4252 - planted"
    wrapped = read_cdr(rezipped(name, root), prod.trusted)
    assert (wrapped.status, wrapped.code, wrapped.signature_verified) == (Status.REJECTED, "3280", True)
    assert "3280" in wrapped.description and wrapped.observations == []


def test_a_cdr_with_two_verdicts_is_no_cdr(prod):
    """A second DocumentResponse saying 0 beside the signed 3280 is no verdict to read, either way."""
    name, root = cdr_entry(prod.client().send_bill(wrong_total(7)).cdr_zip)
    second = etree.Element(f"{{{ns.CAC}}}DocumentResponse")
    etree.SubElement(etree.SubElement(second, f"{{{ns.CAC}}}Response"), f"{{{ns.CBC}}}ResponseCode").text = "0"
    root.find(f"{{{ns.CAC}}}DocumentResponse").addprevious(second)  # first in document order
    with pytest.raises(CpeError, match="ambiguous: 2 cbc:ResponseCode"):
        read_cdr(rezipped(name, root), prod.trusted)


def _answering(raw_ose, operation: str, cdr_zip: bytes) -> None:
    body = _ENVELOPE.format(f'<br:{operation}Response xmlns:br="http://service.sunat.gob.pe">{{}}</br:{operation}Response>')
    content = base64.b64encode(cdr_zip).decode()
    inner = (f"<applicationResponse>{content}</applicationResponse>" if operation == "sendBill" else
             f"<statusCdr><content>{content}</content><statusCode>0004</statusCode></statusCdr>")
    raw_ose.state["answer"] = (b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nConnection: close\r\n\r\n"
                               + body.format(inner).encode())


def test_a_cdr_for_another_document_is_no_answer_for_this_one(make_mock, raw_ose):
    """sendBill of F001-7 answered with F001-1's genuine CDR said F001-7 was accepted (exit 0)."""
    mock = make_mock("ose", clock=CLOCK)
    trusted = [x509.load_pem_x509_certificate(mock.app.engine.identity.cert_pem)]
    genuine = OseClient(mock.url(), RUC, "BIZLINKS", "TESTBIZLINKS", trusted=trusted).send_bill(
        signed_document(f"{RUC}-01-F001-1.xml", issue_date=DAY))
    assert genuine.accepted and genuine.signature_verified
    client = OseClient(raw_ose.url, RUC, "BIZLINKS", "TESTBIZLINKS", trusted=trusted, retry=RetryPolicy(attempts=1))
    _answering(raw_ose, "sendBill", genuine.cdr_zip)
    other = client.send_bill(signed_document(f"{RUC}-01-F001-7.xml", issue_date=DAY))
    assert (other.status, other.document) == (Status.EXCEPTION, f"{RUC}-01-F001-7") and not other.accepted
    assert other.description == f"the CDR answers F001-1, not {RUC}-01-F001-7" and other.cdr_zip == genuine.cdr_zip
    # the same number with other content: the OSE CDR's DocumentHash is the other document's DigestValue
    same_number = client.send_bill(signed_document(f"{RUC}-01-F001-1.xml", issue_date="2026-11-19"))
    assert same_number.status is Status.EXCEPTION and "DocumentHash" in same_number.description
    # its own document: the answer it is
    assert client.send_bill(signed_document(f"{RUC}-01-F001-1.xml", issue_date=DAY)).accepted
    _answering(raw_ose, "getStatusCdr", genuine.cdr_zip)
    asked = client.get_status_cdr(RUC, "01", "F001", 7)
    assert asked.status is Status.EXCEPTION and asked.description == f"the CDR answers F001-1, not {RUC}-01-F001-7"
    assert client.get_status_cdr(RUC, "01", "F001", 1).accepted
    assert client.get_status_cdr("20987654321", "01", "F001", 1).description == \
        f"the CDR answers a document of RUC {RUC}, not 20987654321-01-F001-1"


@pytest.mark.parametrize("profile", ["ose", "prod-like"])
def test_each_cdr_of_a_lot_is_read_verified_and_reported(make_mock, tmp_path, profile):
    """A lot's answer, a ZIP of CDR ZIPs and an error list, was only counted ("2 CDR"): no CDR was read
    or verified, --trust changed nothing, and nothing said which document was rejected."""
    if profile == "prod-like":
        (tmp_path / "prod-like.yaml").write_text(
            "extends: sunat-prod\nname: prod-like\nwildcard_user: MODDATOS\nwildcard_password: moddatos\n")
        mock, path, credentials = make_mock(str(tmp_path / "prod-like.yaml"), clock=CLOCK), PROD_PATH, ("MODDATOS", "moddatos")
    else:
        mock, path, credentials = make_mock("ose", clock=CLOCK), "/ol-ti-itcpe/billService", ("BIZLINKS", "TESTBIZLINKS")
    own = [x509.load_pem_x509_certificate(mock.app.engine.identity.cert_pem)]
    good, bad = f"{RUC}-01-F001-1", f"{RUC}-01-F001-4"
    lot = zip_of((f"{good}.xml", signed_document(f"{good}.xml", issue_date=DAY)), (f"{bad}.xml", wrong_total(4)))
    client = OseClient(mock.url(path), RUC, *credentials, trusted=own, retry=RetryPolicy(attempts=1))
    ticket = client.send_pack(f"{RUC}-LT-20261120-1.zip", lot).ticket
    settled = client.get_status(ticket, wait=True, timeout=10, interval=0.05)
    assert (settled.status, settled.code, settled.ticket) == (Status.REJECTED, "3280", ticket), settled
    assert settled.description == "2 documents: 1 rejected, 1 accepted"
    documents = {d.document: d for d in settled.documents}
    assert set(documents) == {good, bad}
    assert documents[good].accepted and documents[good].signature_verified is True
    assert (documents[bad].status, documents[bad].code) == (Status.REJECTED, "3280")
    assert settled.signature_verified is True  # every CDR there is verified (an OSE gives none for a rejection)
    assert (documents[bad].signature_verified is True) == (profile == "prod-like")
    foreign = OseClient(mock.url(path), RUC, *credentials, trusted=[CERTS / "other.cert.pem"]).get_status(ticket)
    assert foreign.signature_verified is False and "not trusted" in foreign.signature_problem
    assert foreign.signature_problem.startswith(f"{good}: ")
    assert foreign.as_dict()["documents"][0]["signature_verified"] is False


def test_a_lot_whose_cdrs_were_altered_or_swapped_says_so(make_mock, raw_ose):
    """The lot's inner CDRs, edited after signing or filed under another document's name."""
    mock = make_mock("ose", clock=CLOCK)
    own = [x509.load_pem_x509_certificate(mock.app.engine.identity.cert_pem)]
    client = OseClient(mock.url(), RUC, "BIZLINKS", "TESTBIZLINKS", trusted=own)
    lot = zip_of(*((f"{RUC}-01-F001-{n}.xml", signed_document(f"{RUC}-01-F001-{n}.xml", issue_date=DAY)) for n in (1, 4)))
    settled = client.get_status(client.send_pack(f"{RUC}-LT-20261120-1.zip", lot).ticket, wait=True, timeout=10, interval=0.05)
    assert settled.status is Status.ACCEPTED and settled.signature_verified is True
    with zipfile.ZipFile(io.BytesIO(settled.cdr_zip)) as answer:
        first, second = (answer.read(f"R-{RUC}-01-F001-{n}.zip") for n in (1, 4))
    name, root = cdr_entry(first)
    root.find(f"{{{ns.CAC}}}DocumentResponse/{{{ns.CAC}}}Response/{{{ns.CBC}}}Description").text += " (editado)"
    altered = zip_of((f"R-{RUC}-01-F001-1.zip", rezipped(name, root)), (f"R-{RUC}-01-F001-4.zip", second))
    swapped = zip_of((f"R-{RUC}-01-F001-1.zip", second), (f"R-{RUC}-01-F001-4.zip", first))
    for content, check in ((altered, lambda lot: lot.signature_verified is False
                            and lot.signature_problem.startswith(f"{RUC}-01-F001-1: Incorrect reference digest")),
                           (swapped, lambda lot: lot.status is Status.EXCEPTION
                            and lot.documents[0].description == f"the CDR answers F001-4, not {RUC}-01-F001-1")):
        raw_ose.state["answer"] = (b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nConnection: close\r\n\r\n" + _ENVELOPE.format(
            '<br:getStatusResponse xmlns:br="http://service.sunat.gob.pe"><status><content>'
            f"{base64.b64encode(content).decode()}</content><statusCode>0</statusCode></status></br:getStatusResponse>").encode())
        answer = OseClient(raw_ose.url, RUC, "BIZLINKS", "TESTBIZLINKS", trusted=own).get_status("1795617276121")
        assert check(answer), answer


@pytest.mark.parametrize("written, answers", [
    ("F001-00000587", None),  # SUNAT echoes the ID as the emitter wrote it
    ("F001-²", "the CDR answers F001-²"),  # str.isdigit takes it, int() raised
    ("F001-" + "9" * 5000, "the CDR answers F001-999"),  # int() of more than 4,300 digits raised
    ("F001-" + "0" * 5000 + "587", None),
])
def test_a_cdr_naming_its_document_in_any_digits_is_read_without_a_traceback(written, answers):
    """The number a CDR names is compared with the document's as digits: a forged or garbled CDR with
    superscript digits or thousands of them was a ValueError out of the client, not "another document"."""
    from osemock.client.outcome import other_document

    cdr = ('<ApplicationResponse xmlns="urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2" '
           'xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" '
           'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">'
           f'<cac:DocumentResponse><cac:DocumentReference><cbc:ID>{written}</cbc:ID></cac:DocumentReference>'
           '</cac:DocumentResponse></ApplicationResponse>').encode()
    why = other_document(cdr, f"{RUC}-01-F001-587")
    assert (why is None) if answers is None else why.startswith(answers)
