"""Checks beyond the XSL-style rows, over real HTTP: signature (2335), certificates against the
registry (2325–2328), emitter status (2010, 2011) and issue-date deadlines (2108, 2329)."""
from __future__ import annotations

import base64
import json
from datetime import date

import pytest
from lxml import etree

from osemock.cpe import ns
from osemock.cpe.archive import first_xml
from osemock.fixtures import CERTS, other_keypair, signed_document

from .envelopes import send_bill
from .test_codes import BASE, RUC, assert_fault, resign, zip_of


#: The codes these tests prove over HTTP, for the proof ledger (tests/server/rules/test_proof_ledger.py).
PROVEN_CODES = {"2335", "2336", "2325", "2326", "2327", "2328", "2010", "2011", "2108", "2329", "2119", "2209", "2121", "2208",
                "2120", "2885", "3209"}


def registry(tmp_path, **emitter) -> str:
    import yaml

    path = tmp_path / "registry.yaml"
    path.write_text(yaml.safe_dump({"emitters": [dict(ruc=RUC, users=[{"user": "FACTURA1", "password": "s"}], **emitter)]}))
    return path


def post(mock, xml: bytes):
    return send_bill(mock.url(), f"{BASE}.zip", zip_of((f"{BASE}.xml", xml)), username=RUC + "FACTURA1", password="s")


ALTERED = "El documento electrónico ingresado ha sido alterado - Detalle: Incorrect reference digest value"


def test_2335_names_the_reference_that_failed(make_mock, tmp_path):
    """At an OSE the detail names the node, as its answers do (the portal shows it too)."""
    mock = make_mock("ose", registry=registry(tmp_path))
    tampered = signed_document(f"{BASE}.xml").replace(b"TECLADO USB MECANICO", b"TECLADO USB BARATO")
    reply = post(mock, tampered)
    assert_fault(reply, "2335", mock)
    assert reply.text("message") == ALTERED + ': 2335 (nodo: "ds:Reference/@URI" valor: "")'
    finding = json.loads(mock.app.engine.store.document(RUC, "01", "F001", 1)["findings"])[0]
    assert (finding["code"], finding["xpath"], finding["value"]) == ("2335", "ds:Reference/@URI", "")


def test_2335_is_sunats_exact_words_at_sunat(make_mock, tmp_path):
    """SUNAT's front end says only "Incorrect reference digest value" (observed_faults.csv; a client's
    test asserts the whole faultstring): beta's fault and production's rejection CDR carried the
    reference and the code after it."""
    tampered = signed_document(f"{BASE}.xml").replace(b"TECLADO USB MECANICO", b"TECLADO USB BARATO")
    beta = make_mock("sunat-beta", registry=registry(tmp_path))
    reply = send_bill(beta.url("/ol-ti-itcpfegem-beta/billService"), f"{BASE}.zip", zip_of((f"{BASE}.xml", tampered)),
                      username=RUC + "FACTURA1", password="s")
    assert reply.text("faultcode") == "soap-env:Client.2335" and reply.text("faultstring") == ALTERED
    prod = make_mock("sunat-prod", registry=registry(tmp_path))
    reply = send_bill(prod.url("/ol-ti-itcpfegem/billService"), f"{BASE}.zip", zip_of((f"{BASE}.xml", tampered)),
                      username=RUC + "FACTURA1", password="s")
    cdr = etree.fromstring(first_xml(base64.b64decode(reply.text("applicationResponse")))[1])
    assert cdr.findtext(".//{*}ResponseCode") == "2335" and cdr.findtext(".//{*}Description") == ALTERED


def test_2336_a_signature_that_cannot_be_read(make_mock, tmp_path):
    """A signature method nobody can verify (DSA) is a signature that cannot be processed (2336); an empty
    SignatureValue is the Firma sheet's 2098, which names what is wrong, before that catch-all."""
    import re

    mock = make_mock("ose", registry=registry(tmp_path))
    dsa = signed_document(f"{BASE}.xml").replace(b"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
                                                 b"http://www.w3.org/2000/09/xmldsig#dsa-sha1", 1)
    assert_fault(post(mock, dsa), "2336", mock)
    emptied = re.sub(rb"<ds:SignatureValue>[^<]*</ds:SignatureValue>", b"<ds:SignatureValue></ds:SignatureValue>",
                     signed_document(f"{BASE}.xml"))
    other = make_mock("ose", registry=registry(tmp_path))  # the number is taken (rejected) at the first
    assert_fault(post(other, emptied), "2098", other)


def _signed_info_signed_again(xml: bytes) -> bytes:
    """SignatureValue computed again over SignedInfo as it now stands (an emitter whose signer wrote it so)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15

    from osemock.fixtures import emitter_keypair

    root = etree.fromstring(xml)
    signature = root.find(f".//{{{ns.DS}}}Signature")
    octets = etree.tostring(signature.find(f"{{{ns.DS}}}SignedInfo"), method="c14n", exclusive=False, with_comments=False)
    value = emitter_keypair().private_key.sign(octets, PKCS1v15(), hashes.SHA256())
    signature.find(f"{{{ns.DS}}}SignatureValue").text = base64.b64encode(value).decode()
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def test_2336_a_transform_no_verifier_applies(make_mock, tmp_path):
    """Exclusive C14N named without its '#' is no transform anyone knows (the JDK: NoSuchAlgorithmException):
    the signature cannot be processed (2336); it was skipped, and the document accepted."""
    inclusive = b'<ds:Transform Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>'
    signed = signed_document(f"{BASE}.xml")
    assert signed.count(inclusive) == 1
    typo = _signed_info_signed_again(signed.replace(
        inclusive, b'<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n"/>'))
    mock = make_mock("ose", registry=registry(tmp_path))
    reply = post(mock, typo)
    assert_fault(reply, "2336", mock)
    assert "Unrecognized Transform: http://www.w3.org/2001/10/xml-exc-c14n" in reply.text("message")


def test_a_stylesheet_beside_the_root_is_signed_with_the_document(make_mock, tmp_path):
    """URI="" signs the document, the <?xml-stylesheet?> before its root included: signed with it, the
    document is accepted; one added after signing altered it (2335), where both went the other way."""
    from osemock.cpe.signature import sign
    from osemock.fixtures import emitter_keypair

    stylesheet = b'<?xml-stylesheet type="text/xsl" href="factura.xsl"?>'
    signed = signed_document(f"{BASE}.xml")
    added = signed.replace(b"?>\n", b"?>\n" + stylesheet + b"\n", 1)
    assert added.index(stylesheet) < added.index(b"<Invoice")
    mock = make_mock("ose", registry=registry(tmp_path))
    assert_fault(post(mock, added), "2335", mock)
    with_it = etree.tostring(sign(etree.fromstring(added), emitter_keypair()).getroottree(), xml_declaration=True,
                             encoding="UTF-8")
    assert stylesheet in with_it
    other = make_mock("ose", registry=registry(tmp_path))  # the number is taken (rejected) at the first
    assert post(other, with_it).status == 200


def test_the_certificate_is_judged_before_the_signature(make_mock, tmp_path):
    """The General sheet's order: a certificate SUNAT was not told of (2325) is the answer even when the
    document was also altered after signing (2335)."""
    mock = make_mock("ose", registry=registry(tmp_path, certificates=[{"pem": str(CERTS / "emitter-20123456789.cert.pem")}]))
    altered = signed_document(f"{BASE}.xml", keypair=other_keypair()).replace(b"TECLADO", b"TECLADA", 1)
    assert_fault(post(mock, altered), "2325", mock)
    other = make_mock("ose", registry=registry(tmp_path, certificates=[{"pem": str(CERTS / "emitter-20123456789.cert.pem")}]))
    assert_fault(post(other, signed_document(f"{BASE}.xml").replace(b"TECLADO", b"TECLADA", 1)), "2335", other)


def test_the_signers_certificate_is_judged_wherever_it_stands_in_x509data(make_mock, tmp_path):
    """XMLDSig puts no order on an X509Data's certificates: with another certificate (a CA's, say) before
    the signer's, the signer's is the one the registry judges and the signature verifies with; the first
    was taken, so a registered emitter's good signature was 2325 (and 2335 without the registry)."""
    from cryptography.hazmat.primitives import serialization

    certificate = base64.b64encode(other_keypair().certificate.public_bytes(serialization.Encoding.DER))
    signed = signed_document(f"{BASE}.xml")
    assert signed.count(b"<ds:X509Certificate>") == 1  # KeyInfo is not signed: nothing to sign again
    before = signed.replace(b"<ds:X509Certificate>", b"<ds:X509Certificate>" + certificate + b"</ds:X509Certificate>"
                            b"<ds:X509Certificate>")
    mock = make_mock("ose", registry=registry(tmp_path, certificates=[{"pem": str(CERTS / "emitter-20123456789.cert.pem")}]))
    assert post(mock, before).status == 200


def test_beta_takes_any_valid_signature(make_mock, tmp_path):
    mock = make_mock("sunat-beta", registry=registry(tmp_path, certificates=[{"pem": str(CERTS / "emitter-20123456789.cert.pem")}]))
    xml = signed_document(f"{BASE}.xml", keypair=other_keypair())
    reply = send_bill(mock.url("/ol-ti-itcpfegem-beta/billService"), f"{BASE}.zip", zip_of((f"{BASE}.xml", xml)),
                      username=RUC + "FACTURA1", password="s")
    assert reply.status == 200


@pytest.mark.parametrize("certificate, keypair, code", [
    ({"pem": str(CERTS / "emitter-20123456789.cert.pem")}, "other", "2325"),
    ({"pem": str(CERTS / "emitter-20123456789.cert.pem"), "retired_at": "2026-11-01"}, None, "2326"),
    ({"pem": str(CERTS / "emitter-20123456789.cert.pem"), "revoked": True}, None, "2328"),
])
def test_certificate_codes(make_mock, tmp_path, certificate, keypair, code):
    mock = make_mock("ose", registry=registry(tmp_path, certificates=[certificate]))
    xml = signed_document(f"{BASE}.xml", keypair=other_keypair() if keypair == "other" else None)
    assert_fault(post(mock, xml), code, mock)


def test_2327_certificate_not_valid_at_the_issue_date(make_mock, tmp_path):
    mock = make_mock("ose", registry=registry(tmp_path, certificates=[{"pem": str(CERTS / "emitter-20123456789.cert.pem")}]),
                     clock="2016-01-02T12:00:00-05:00")
    assert_fault(post(mock, signed_document(f"{BASE}.xml", issue_date="2016-01-01")), "2327", mock)


def test_registered_certificate_is_accepted(make_mock, tmp_path):
    mock = make_mock("ose", registry=registry(tmp_path, certificates=[{"pem": str(CERTS / "emitter-20123456789.cert.pem")}]))
    assert post(mock, signed_document(f"{BASE}.xml")).status == 200


@pytest.mark.parametrize("status, condition, code", [("BAJA DE OFICIO", "HABIDO", "2010"), ("ACTIVO", "NO HABIDO", "2011")])
def test_emitter_status_from_the_registry(make_mock, tmp_path, status, condition, code):
    mock = make_mock("ose", registry=registry(tmp_path, status=status, condition=condition))
    assert_fault(post(mock, signed_document(f"{BASE}.xml")), code, mock)


@pytest.mark.parametrize("clock, code", [("2026-11-24T12:00:00-05:00", "2108"), ("2026-11-17T12:00:00-05:00", "2329")])
def test_issue_date_deadlines_follow_the_clock(make_mock, tmp_path, clock, code):
    mock = make_mock("ose", registry=registry(tmp_path), clock=clock)
    assert_fault(post(mock, signed_document(f"{BASE}.xml", issue_date="2026-11-20")), code, mock)


@pytest.mark.parametrize("clock", ["2026-11-23T23:00:00-05:00", "2026-11-18T08:00:00-05:00"])
def test_within_the_deadline_is_accepted(make_mock, tmp_path, clock):
    mock = make_mock("ose", registry=registry(tmp_path), clock=clock)
    assert post(mock, signed_document(f"{BASE}.xml", issue_date=date(2026, 11, 20))).status == 200


NOTE = f"{RUC}-07-FC01-1"
DEBIT = f"{RUC}-08-FD01-1"


def send_named(mock, name: str, xml: bytes):
    return send_bill(mock.url(), f"{name}.zip", zip_of((f"{name}.xml", xml)), username=RUC + "FACTURA1", password="s")


@pytest.mark.parametrize("note, code", [(NOTE, "2119"), (DEBIT, "2209")])
def test_note_on_an_unknown_document(make_mock, tmp_path, note, code):
    mock = make_mock("ose", registry=registry(tmp_path))
    assert_fault(send_named(mock, note, signed_document(f"{note}.xml")), code, mock)


@pytest.mark.parametrize("note, code", [(NOTE, "2121"), (DEBIT, "2208")])
def test_note_on_a_rejected_document(make_mock, tmp_path, note, code):
    mock = make_mock("ose", registry=registry(tmp_path))
    rejected = signed_document(f"{BASE}.xml").replace(b'<cbc:PayableAmount currencyID="PEN">354.00',
                                                      b'<cbc:PayableAmount currencyID="PEN">300.00')
    assert_fault(post(mock, resign(rejected)), "3280", mock)
    assert_fault(send_named(mock, note, signed_document(f"{note}.xml")), code, mock)


def test_note_on_a_voided_document(make_mock, tmp_path):
    mock = make_mock("ose", registry=registry(tmp_path))
    assert post(mock, signed_document(f"{BASE}.xml")).status == 200
    with mock.app.engine.store.transaction() as db:  # what an accepted comunicación de baja leaves behind
        db.execute("UPDATE documents SET status='voided' WHERE serie='F001' AND numero=1")
    assert_fault(send_named(mock, NOTE, signed_document(f"{NOTE}.xml")), "2120", mock)


def test_note_dated_before_its_document_and_in_another_currency(make_mock, tmp_path):
    mock = make_mock("ose", registry=registry(tmp_path), clock="2026-11-20T18:00:00-05:00")
    assert post(mock, signed_document(f"{BASE}.xml", issue_date="2026-11-20")).status == 200
    assert_fault(send_named(mock, NOTE, signed_document(f"{NOTE}.xml", issue_date="2026-11-19")), "2885", mock)
    dollars = resign(signed_document(f"{NOTE}.xml", issue_date="2026-11-20").replace(
        b'currencyID="PEN"', b'currencyID="USD"').replace(b">PEN</cbc:DocumentCurrencyCode>", b">USD</cbc:DocumentCurrencyCode>")
        .replace(b"<cbc:ID>FC01-1</cbc:ID>", b"<cbc:ID>FC01-2</cbc:ID>"))  # FC01-1 was burnt by the rejection
    assert_fault(send_named(mock, f"{RUC}-07-FC01-2", dollars), "3209", mock)


def with_offset(xml: bytes, offset: str = "-05:00") -> bytes:
    """The document with its cbc:IssueDate carrying a timezone, as Java/JAXB emitters write an xs:date."""
    root = etree.fromstring(xml)
    issued = root.find(f"{{{ns.CBC}}}IssueDate")
    issued.text = issued.text.strip() + offset
    return resign(etree.tostring(root))


def test_a_factura_dated_with_an_offset_is_kept_as_its_day(make_mock, tmp_path):
    """An xs:date may carry a timezone; the day is the day as written.  The factura was stored as written
    and every note on it was a fault 0100 (a ValueError reading it back for 2885)."""
    mock = make_mock("ose", registry=registry(tmp_path), clock="2026-11-20T18:00:00-05:00")
    reply = post(mock, with_offset(signed_document(f"{BASE}.xml", issue_date="2026-11-20")))
    assert reply.status == 200 and not reply.is_fault
    cdr = etree.fromstring(first_xml(base64.b64decode(reply.text("applicationResponse")))[1])
    assert cdr.findtext(".//{*}DocumentReference/{*}IssueDate") == "2026-11-20"
    assert mock.app.engine.store.document(RUC, "01", "F001", 1)["issue_date"] == "2026-11-20"
    assert_fault(send_named(mock, NOTE, signed_document(f"{NOTE}.xml", issue_date="2026-11-19")), "2885", mock)
    assert send_named(mock, DEBIT, with_offset(signed_document(f"{DEBIT}.xml", issue_date="2026-11-20"), "Z")).status == 200


@pytest.mark.parametrize("clock, code", [("2026-11-24T12:00:00-05:00", "2108"), ("2026-11-17T12:00:00-05:00", "2329")])
def test_deadlines_judge_an_issue_date_with_an_offset(make_mock, tmp_path, clock, code):
    """2108, 2329 and a note's 2885 stayed silent on an issue date with a timezone."""
    mock = make_mock("ose", registry=registry(tmp_path), clock=clock)
    assert_fault(post(mock, with_offset(signed_document(f"{BASE}.xml", issue_date="2026-11-20"))), code, mock)


def test_a_note_dated_with_an_offset_before_its_factura(make_mock, tmp_path):
    mock = make_mock("ose", registry=registry(tmp_path), clock="2026-11-20T18:00:00-05:00")
    assert post(mock, signed_document(f"{BASE}.xml", issue_date="2026-11-20")).status == 200
    note = with_offset(signed_document(f"{NOTE}.xml", issue_date="2026-11-19"), "+14:00")
    assert_fault(send_named(mock, NOTE, note), "2885", mock)


def test_reference_checks_can_be_switched_off(make_mock, tmp_path):
    profile = tmp_path / "loose.yaml"
    profile.write_text("extends: ose\nname: loose\ncheck_note_references: false\n")
    mock = make_mock(str(profile), registry=registry(tmp_path))
    assert send_named(mock, NOTE, signed_document(f"{NOTE}.xml")).status == 200
