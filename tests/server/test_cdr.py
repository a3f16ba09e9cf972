"""The CDR in both styles: structure of the workbook's CDR-OSE sheet / SUNAT's CDR, signed, zipped."""
from __future__ import annotations

import base64
import io
import multiprocessing
import shutil
import zipfile
from datetime import datetime

import pytest
from cryptography import x509
from lxml import etree

from osemock.cpe import ns, xsd
from osemock.cpe.signature import verify
from osemock.server.cdr import CdrContent, CdrNote, build_ose_cdr, cdr_zip, describe, render_cdr
from osemock.server.clock import LIMA
from osemock.fixtures import CERTS
from osemock.server.keys import CERT_FILE, KEY_FILE, load_or_create_identity

NS = {"cbc": ns.CBC, "cac": ns.CAC}
WHEN = datetime(2026, 11, 20, 10, 15, 30, 123456, tzinfo=LIMA)


def content(**changes) -> CdrContent:
    base = dict(cdr_id="0b4a3c2e-8f1d-4c5a-9e7b-1a2b3c4d5e6f", reference_id="F001-1", document_type="01",
                issuer_ruc="20123456789", sender_ruc="20123456789", received_at=WHEN, responded_at=WHEN,
                document_issue_date="2026-11-20", document_issue_time="10:15:00", document_hash="abc=",
                recipient_doc_type="6", recipient_doc_number="20100070970")
    base.update(changes)
    return CdrContent(**base)


@pytest.fixture(scope="module")
def identity(tmp_path_factory):
    return load_or_create_identity(tmp_path_factory.mktemp("keys"), "20000000001", "OSEMOCK")


def test_ose_cdr_follows_the_cdr_ose_sheet(identity):
    xml = render_cdr(content(notes=(CdrNote("4252", 'cbc:InvoiceTypeCode/@listName valor: "X"'),)), "ose", identity,
                     ose_ruc="20000000001", ose_name="OSEMOCK")
    root = etree.fromstring(xml)
    xsd.validate(root)  # UBL 2.1 ApplicationResponse schema
    assert root.findtext("cbc:UBLVersionID", namespaces=NS) == "2.1"
    assert root.findtext("cbc:IssueTime", namespaces=NS) == "10:15:30.12345"
    assert root.findtext("cac:ReceiverParty/cac:PartyLegalEntity/cbc:CompanyID", namespaces=NS) == "20000000001"
    code = root.find("cac:DocumentResponse/cac:Response/cbc:ResponseCode", NS)
    assert (code.text, code.get("listAgencyName")) == ("0", "PE:SUNAT")
    status = root.find("cac:DocumentResponse/cac:Response/cac:Status", NS)
    assert status.findtext("cbc:StatusReasonCode", namespaces=NS) == "4252"
    assert status.findtext("cbc:StatusReason", namespaces=NS) == "El dato ingresado como atributo @listName es incorrecto."
    # as the real OSE CDR (reference/wire/cdr/ose-20557103920-…): ar: root, URI without "#", parties with schemeID only
    assert root.prefix == "ar"
    assert root.findtext("cac:Signature/cac:DigitalSignatureAttachment/cac:ExternalReference/cbc:URI", namespaces=NS) == "SignOSE"
    for party in ("IssuerParty", "RecipientParty"):
        company = root.find(f"cac:DocumentResponse/cac:{party}/cac:PartyLegalEntity/cbc:CompanyID", NS)
        assert set(company.attrib) == {"schemeID"}, party
    sender = root.find("cac:SenderParty/cac:PartyLegalEntity/cbc:CompanyID", NS)
    assert set(sender.attrib) == {"schemeID", "schemeAgencyName", "schemeURI"}
    reference = root.find("cac:DocumentResponse/cac:DocumentReference", NS)
    assert reference.findtext("cac:Attachment/cac:ExternalReference/cbc:DocumentHash", namespaces=NS) == "abc="
    assert reference.findtext("cbc:DocumentTypeCode", namespaces=NS) == "01"
    assert verify(root, trusted=[identity.certificate]).signature_id == "SignOSE"


def test_summary_cdr_has_no_recipient(identity):
    root = build_ose_cdr(content(document_type="RC", reference_id="RC-20261120-1"), ose_ruc="20000000001", ose_name="X")
    assert root.find("cac:DocumentResponse/cac:RecipientParty", NS) is None


def test_sunat_cdr_and_its_notes(identity):
    xml = render_cdr(content(cdr_id="1703154974517", notes=(CdrNote("4000"),)), "sunat", identity,
                     ose_ruc="20131312955", ose_name="SUNAT")
    root = etree.fromstring(xml)
    assert root.prefix == "ar"
    assert root.findtext("cac:SenderParty/cac:PartyIdentification/cbc:ID", namespaces=NS) == "20131312955"
    assert root.findtext("cbc:Note", namespaces=NS) == "4000 - El documento ya fue presentado anteriormente."
    # after cac:Signature, as in SUNAT's real CDR with notes (UBL's schema would have them before it)
    children = [etree.QName(child).localname for child in root]
    assert children[children.index("Signature"):][:3] == ["Signature", "Note", "SenderParty"]
    assert root.findtext("cac:DocumentResponse/cac:Response/cbc:Description", namespaces=NS) == (
        "La Factura numero F001-1, ha sido aceptada")
    assert root.findtext("cac:DocumentResponse/cac:RecipientParty/cac:PartyIdentification/cbc:ID",
                         namespaces=NS) == "6-20100070970"
    verify(root, trusted=[identity.certificate])


def test_rejection_description():
    from osemock.cpe.catalog import lookup

    assert describe("01", "F001-1", "2017", 'valor: "X"') == lookup("2017").message + ' - Detalle: valor: "X"'


def test_zip_is_named_after_the_document(identity):
    data = cdr_zip(content(), "ose", identity, ose_ruc="20000000001", ose_name="X", base_name="20123456789-01-F001-1")
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert names == ["dummy/", "R-20123456789-01-F001-1.xml"]


def test_identity_is_persisted(tmp_path):
    first = load_or_create_identity(tmp_path, "20000000001", "OSEMOCK")
    second = load_or_create_identity(tmp_path, "20000000001", "OSEMOCK")
    assert first == second
    assert (tmp_path / "ose-20000000001-key.pem").stat().st_mode & 0o777 == 0o600


def _public_key(pem: bytes):
    return x509.load_pem_x509_certificate(pem).public_key()


def test_a_key_left_without_its_certificate_gets_one_issued_from_it(tmp_path):
    """A first start killed between the key file and the certificate left the key alone; every later
    start waited 5 s and stopped ('cannot keep the CDR key there: No such file or directory') until the
    key was deleted by hand.  The key signed CDRs already handed out, so it is kept and certified again."""
    from osemock.server.settings import Settings

    first = load_or_create_identity(tmp_path, "20000000001", "OSEMOCK")
    (tmp_path / "ose-20000000001-cert.pem").unlink()  # the half pair such a kill leaves
    Settings(db=tmp_path / "osemock.sqlite3", profile="ose").check()  # what `osemock serve` checks first
    again = load_or_create_identity(tmp_path, "20000000001", "OSEMOCK")
    assert again.key_pem == first.key_pem and again.cert_pem != first.cert_pem
    assert _public_key(again.cert_pem) == _public_key(first.cert_pem)  # earlier CDRs verify with it
    assert "20000000001" in _subject(again)
    assert (tmp_path / "ose-20000000001-cert.pem").read_bytes() == again.cert_pem


def test_a_certificate_of_another_key_is_issued_again_from_the_key(tmp_path):
    """A certificate whose key was deleted stayed beside the new key: CDRs carried a certificate that
    did not verify their signature."""
    stale = load_or_create_identity(tmp_path / "before", "20000000001", "OSEMOCK")
    first = load_or_create_identity(tmp_path, "20000000001", "OSEMOCK")
    (tmp_path / "ose-20000000001-cert.pem").write_bytes(stale.cert_pem)
    again = load_or_create_identity(tmp_path, "20000000001", "OSEMOCK")
    assert again.key_pem == first.key_pem
    assert _public_key(again.cert_pem) == _public_key(first.cert_pem) != _public_key(stale.cert_pem)


def _subject(pair) -> str:
    return x509.load_pem_x509_certificate(pair.cert_pem).subject.rfc4514_string()


def test_each_ose_ruc_has_an_identity_of_its_own(tmp_path):
    """The CDR's certificate must be the OSE RUC's (CDR-OSE sheet, 2824): a second RUC on the same folder
    reused the first one's pair; the folder's ose-key.pem (made before, or the kit's fixed one) is kept
    for the RUC its certificate names."""
    shutil.copyfile(CERTS / "ose-20000000001.key.pem", tmp_path / KEY_FILE)
    shutil.copyfile(CERTS / "ose-20000000001.cert.pem", tmp_path / CERT_FILE)
    kept = load_or_create_identity(tmp_path, "20000000001", "OSEMOCK")
    assert kept.cert_pem == (tmp_path / CERT_FILE).read_bytes()
    other = load_or_create_identity(tmp_path, "20999999991", "OTRO OSE")
    assert "20999999991" in _subject(other) and "20000000001" not in _subject(other)
    assert load_or_create_identity(tmp_path, "20000000001", "OSEMOCK") == kept
    assert load_or_create_identity(tmp_path, "20999999991", "OTRO OSE") == other


def test_a_cdr_is_signed_by_the_certificate_of_the_ruc_it_names(make_mock, tmp_path):
    from osemock.cpe.archive import first_xml, write_document_zip
    from osemock.fixtures import signed_document

    from .envelopes import send_bill

    make_mock("ose").stop()  # the folder's first identity, for 20000000001
    profile = tmp_path / "other.yaml"
    profile.write_text('extends: ose\nname: other\nose_ruc: "20999999991"\n')
    mock = make_mock(str(profile))
    base = "20123456789-01-F001-1"
    reply = send_bill(mock.url(), f"{base}.zip", write_document_zip(f"{base}.xml", signed_document(f"{base}.xml")),
                      username="20123456789BIZLINKS", password="TESTBIZLINKS")
    root = etree.fromstring(first_xml(base64.b64decode(reply.text("applicationResponse")))[1])
    assert root.findtext("cac:ReceiverParty/cac:PartyLegalEntity/cbc:CompanyID", namespaces=NS) == "20999999991"
    certificate = verify(root).certificate
    assert "20999999991" in certificate.subject.rfc4514_string()


def _create(path: str, queue) -> None:
    queue.put(load_or_create_identity(path, "20000000001", "OSEMOCK").cert_pem)


def test_a_start_leaves_the_identity_alone_while_another_mends_it(tmp_path):
    """A key left without its certificate (a first start killed between the two files), then several
    workers starting at once: each found no certificate and issued one, and one that saw its
    neighbour's appear meanwhile took it for another key's and replaced it, so the workers signed
    CDRs with one key under two certificates (the test below failed about one run in ten).  Starts now
    check and mend the folder one at a time: while another holds the folder's lock, a start waits."""
    import fcntl
    import threading

    from osemock.server.keys import LOCK_FILE, _new_key

    (tmp_path / "ose-20000000001-key.pem").write_bytes(_new_key())
    served = []
    with open(tmp_path / LOCK_FILE, "a+b") as neighbour:
        fcntl.flock(neighbour, fcntl.LOCK_EX)
        start = threading.Thread(target=lambda: served.append(
            load_or_create_identity(tmp_path, "20000000001", "OSEMOCK").cert_pem))
        start.start()
        start.join(1.0)
        assert start.is_alive() and not (tmp_path / "ose-20000000001-cert.pem").exists()
    start.join(30)
    assert served == [(tmp_path / "ose-20000000001-cert.pem").read_bytes()]


def test_two_processes_starting_together_share_one_identity(tmp_path):
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    workers = [context.Process(target=_create, args=(str(tmp_path), queue)) for _ in range(3)]
    for worker in workers:
        worker.start()
    certificates = {queue.get(timeout=60) for _ in workers}
    for worker in workers:
        worker.join()
    assert len(certificates) == 1


def test_sunat_beta_cdr_dates_the_document_not_its_reception(identity):
    """SUNAT beta's CDRs (reference/wire/cdr/sunat-beta-*) carry the CPE's issue date and time as one
    dateTime (2018-09-20T09:16:25, an hour before the response; midnight for a factura without
    IssueTime), and an empty IssueDate for a summary; production's, a date of its own.  The mock dated
    every beta CDR at midnight."""
    received = content(received_at=datetime(2026, 11, 22, 9, 30, tzinfo=LIMA), document_issue_date="2026-11-20")
    beta = etree.fromstring(render_cdr(received, "sunat-beta", identity, ose_ruc="20131312955", ose_name="SUNAT"))
    assert (beta.findtext("cbc:IssueDate", namespaces=NS), beta.findtext("cbc:IssueTime", namespaces=NS)) == (
        "2026-11-20T10:15:00", "00:00:00")
    timeless = etree.fromstring(render_cdr(content(document_issue_time=None), "sunat-beta", identity,
                                           ose_ruc="20131312955", ose_name="SUNAT"))
    assert timeless.findtext("cbc:IssueDate", namespaces=NS) == "2026-11-20T00:00:00"
    summary = content(document_type="RA", reference_id="RA-20261120-1", document_issue_date="2026-11-20")
    ra = etree.fromstring(render_cdr(summary, "sunat-beta", identity, ose_ruc="20131312955", ose_name="SUNAT"))
    assert ra.find("cbc:IssueDate", NS) is not None and ra.findtext("cbc:IssueDate", namespaces=NS) == ""
    prod = etree.fromstring(render_cdr(received, "sunat", identity, ose_ruc="20131312955", ose_name="SUNAT"))
    assert (prod.findtext("cbc:IssueDate", namespaces=NS), prod.findtext("cbc:IssueTime", namespaces=NS)) == (
        "2026-11-22", "09:30:00")
    verify(beta, trusted=[identity.certificate])
