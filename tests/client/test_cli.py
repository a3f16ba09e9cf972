"""``osemock send / status / cdr / sign / zip`` against a real mock over loopback."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from cryptography import x509
from lxml import etree

from osemock.cli import main
from osemock.cpe.signature import verify
from osemock.cpe.xmlparse import parse_xml
from osemock.fixtures import CERTS, signed_document
from osemock.fixtures.summaries import comunicacion_baja

from .test_client import CLOCK, DAY, RUC, unsigned

PEM = str(CERTS / "emitter-20123456789.pem")


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_send_a_folder_with_a_table_and_exit_codes(make_mock, tmp_path, capsys, monkeypatch):
    mock = make_mock("ose", clock=CLOCK)
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "a.xml").write_bytes(unsigned(f"{RUC}-01-F001-1.xml"))
    (folder / "b.xml").write_bytes(unsigned(f"{RUC}-03-B001-1.xml"))
    code, out = run(capsys, "send", str(folder), "-e", mock.url(), "--cert", PEM, "--json")
    assert code == 0
    outcomes = json.loads(out)
    assert [(o["document"], o["status"]) for o in outcomes] == [(f"{RUC}-01-F001-1", "accepted"), (f"{RUC}-03-B001-1", "accepted")]
    assert [o["file"] for o in outcomes] == [str(folder / "a.xml"), str(folder / "b.xml")]  # whichever names it has
    bad = tmp_path / "bad.xml"
    bad.write_bytes(unsigned(f"{RUC}-01-F001-4.xml").replace(b'<cbc:PayableAmount currencyID="PEN">', b'<cbc:PayableAmount currencyID="PEN">9'))
    code, out = run(capsys, "send", str(bad), "-e", mock.url(), "--cert", PEM)
    assert code == 1 and "rejected" in out and "3280" in out
    monkeypatch.setenv("COLUMNS", "50")  # a narrow terminal folds the cells, it does not cut the verdict
    bad.write_bytes(unsigned(f"{RUC}-01-F001-6.xml").replace(b'<cbc:PayableAmount currencyID="PEN">', b'<cbc:PayableAmount currencyID="PEN">9'))
    code, out = run(capsys, "send", str(bad), "-e", mock.url(), "--cert", PEM)
    assert code == 1 and "rejected" in out and "3280" in out and "…" not in out


def test_send_a_summary_and_follow_its_ticket(make_mock, tmp_path, capsys):
    mock = make_mock("ose", clock=CLOCK)
    assert main(["send", "-e", mock.url(), "--json", _write(tmp_path, "f.xml", signed_document(f"{RUC}-01-F001-1.xml", issue_date=DAY))]) == 0
    capsys.readouterr()
    baja = _write(tmp_path, "ra.xml", comunicacion_baja(DAY, [("01", "F001", 1)])[1])
    code, out = run(capsys, "send", baja, "-e", mock.url(), "--no-wait", "--json")
    assert code == 4
    ticket = json.loads(out)[0]["ticket"]
    code, out = run(capsys, "status", ticket, "--ruc", RUC, "-e", mock.url(), "--wait", "--json")
    assert code == 0 and json.loads(out)[0]["status"] == "accepted"


def test_a_summary_whose_line_dropped_is_an_exception_not_a_second_send(make_mock, tmp_path, capsys):
    """The baja was taken and the line dropped: send sent it again and showed the copy's 2324 (exit 1)
    for a baja that was accepted; now it says it may have been taken (exit 3) and sends it once."""
    from .test_client import plan_scenario

    mock = make_mock("ose", clock=CLOCK)
    assert main(["send", "-e", mock.url(), "--json", _write(tmp_path, "f.xml", signed_document(f"{RUC}-01-F001-1.xml", issue_date=DAY))]) == 0
    capsys.readouterr()
    plan_scenario(mock, action="lost", operation="sendSummary", delay_seconds=0.1, times=1)
    code, out = run(capsys, "send", _write(tmp_path, "ra.xml", comunicacion_baja(DAY, [("01", "F001", 1)])[1]),
                    "-e", mock.url(), "--json")
    [outcome] = json.loads(out)
    assert code == 3 and outcome["status"] == "exception" and outcome["ticket"] is None, outcome
    assert "may have been taken under a ticket that never came back" in outcome["description"]
    assert len(mock.app.engine.store.query("SELECT ticket FROM tickets")) == 1


def test_a_summary_taken_whose_verdict_could_not_be_asked_keeps_its_ticket(make_mock, tmp_path, capsys):
    """The baja was taken under a ticket, then each getStatus got a 503: the row was the file's name and
    the 503 alone (an exception, exit 3), the ticket gone, as if the baja had never been sent; sending it
    again would get a ticket of its own, and 2324. The row is the send's, pending with its ticket, and
    says why no verdict came and how to ask for it."""
    from .test_client import plan_scenario

    mock = make_mock("ose", clock=CLOCK)
    assert main(["send", "-e", mock.url(), "--json", _write(tmp_path, "f.xml", signed_document(f"{RUC}-01-F001-1.xml", issue_date=DAY))]) == 0
    capsys.readouterr()
    plan_scenario(mock, action="http_status", http_status=503, operation="getStatus", times=10)
    code, out = run(capsys, "send", _write(tmp_path, "ra.xml", comunicacion_baja(DAY, [("01", "F001", 1)])[1]),
                    "-e", mock.url(), "--json")
    [outcome] = json.loads(out)
    [ticket] = [row["ticket"] for row in mock.app.engine.store.query("SELECT ticket FROM tickets")]
    assert code == 4 and (outcome["status"], outcome["code"], outcome["ticket"]) == ("pending", "98", ticket), outcome
    assert outcome["document"] == f"{RUC}-RA-20261120-1" and outcome["file"].endswith("ra.xml")
    assert outcome["description"] == (f"no verdict: getStatus failed (HTTP 503 from {mock.url()}: a text/plain answer, "
                                      f"not SOAP); ask again: osemock status {ticket} --ruc {RUC}")


def test_cdr_sign_and_zip(make_mock, tmp_path, capsys):
    mock = make_mock("ose", clock=CLOCK)
    signed = tmp_path / "signed.xml"
    assert main(["sign", _write(tmp_path, "u.xml", unsigned(f"{RUC}-01-F001-1.xml")), "--cert", PEM, "--sha1", "-o", str(signed)]) == 0
    root = parse_xml(signed.read_bytes())
    verify(root)
    assert b"rsa-sha1" in etree.tostring(root)
    assert main(["zip", str(signed), "-o", str(tmp_path / "zips")]) == 0
    zipped = tmp_path / "zips" / f"{RUC}-01-F001-1.zip"
    assert zipfile.ZipFile(zipped).namelist() == [f"{RUC}-01-F001-1.xml"]
    assert main(["send", str(signed), "-e", mock.url()]) == 0
    capsys.readouterr()
    cdr = tmp_path / "cdr.zip"
    code, out = run(capsys, "cdr", RUC, "01", "F001", "1", "-e", mock.url(), "-o", str(cdr), "--json")
    assert code == 0 and json.loads(out)[0]["code"] == "0"
    assert zipfile.ZipFile(cdr).namelist()[-1] == f"R-{RUC}-01-F001-1.xml"
    code, _ = run(capsys, "cdr", RUC, "01", "F001", "99", "-e", mock.url())
    assert code == 3  # 0127 at an OSE: an exception


def test_sign_keeps_and_signs_a_stylesheet_beside_the_root(tmp_path):
    """``<?xml-stylesheet?>`` before the root is part of the document ``URI=""`` signs: osemock sign
    kept it out of the file (and of the digest); now it writes it and signs it, as the JDK's signer does."""
    from osemock.cpe.signature import InvalidDigest

    stylesheet = b'<?xml-stylesheet type="text/xsl" href="factura.xsl"?>'
    document = unsigned(f"{RUC}-01-F001-1.xml")
    start = document.index(b"<Invoice")
    signed = tmp_path / "signed.xml"
    assert main(["sign", _write(tmp_path, "u.xml", document[:start] + stylesheet + b"\n" + document[start:]),
                 "--cert", PEM, "-o", str(signed)]) == 0
    data = signed.read_bytes()
    assert data.index(stylesheet) < data.index(b"<Invoice")
    verify(parse_xml(data))
    with pytest.raises(InvalidDigest):
        verify(parse_xml(data.replace(stylesheet, b"")))


def test_unreachable_endpoint_exits_3(tmp_path, capsys):
    code, out = run(capsys, "send", _write(tmp_path, "f.xml", signed_document(f"{RUC}-01-F001-1.xml")),
                    "-e", "http://127.0.0.1:9/ol-ti-itcpe/billService", "--timeout", "1", "--json")
    assert code == 3 and "cannot reach" in json.loads(out)[0]["description"]
    # status and cdr answered the same with a traceback
    unreachable = ["-e", "http://127.0.0.1:9/ol-ti-itcpe/billService", "--timeout", "1", "--json"]
    code, out = run(capsys, "status", "1795617276121", "--ruc", RUC, *unreachable)
    (row,) = json.loads(out)
    assert code == 3 and "cannot reach" in row["description"]
    assert (row["ticket"], row["document"]) == ("1795617276121", None)  # the ticket was in the document column
    code, out = run(capsys, "cdr", RUC, "01", "F001", "1", *unreachable)
    (row,) = json.loads(out)
    assert code == 3 and "cannot reach" in row["description"]
    assert (row["ticket"], row["document"]) == (None, f"{RUC}-01-F001-1")
    assert main(["cdr", RUC, "01", "F001", "1", "-e", "nope"]) == 2
    assert "Invalid value for --endpoint: unknown endpoint 'nope'" in capsys.readouterr().err


def _write(folder, name: str, data: bytes) -> str:
    path = folder / name
    path.write_bytes(data)
    return str(path)


def test_files_and_certificates_that_are_not_what_they_should_be_are_one_line_each(tmp_path, capsys):
    """zip, sign and --trust on a file that is no CPE XML, no key or no certificate: the file named in
    one line (exit 1, or 2 for an option), never a traceback; zip still zips the good files."""
    good, junk = tmp_path / "good.xml", tmp_path / "junk.xml"
    good.write_bytes(unsigned(f"{RUC}-01-F001-1.xml"))
    junk.write_bytes(b"\x00\xffnot xml")
    (tmp_path / "junk.pem").write_text("junk")
    code = main(["zip", str(good), str(junk), "-o", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert code == 1 and (tmp_path / "out" / f"{RUC}-01-F001-1.zip").exists()
    assert f"Error: {junk}: 0306" in captured.err and "Traceback" not in captured.err
    assert main(["sign", str(junk), "--cert", PEM]) == 1
    assert f"Error: {junk}: 0306" in capsys.readouterr().err
    assert main(["sign", str(good), "--cert", str(tmp_path / "junk.pem")]) == 2
    assert "Invalid value for --cert" in capsys.readouterr().err
    assert main(["send", str(good), "--trust", str(tmp_path / "junk.pem")]) == 2
    assert "Invalid value for --trust" in capsys.readouterr().err


@pytest.mark.parametrize("value, message", [
    ("0", "'0' is not a number of seconds above 0 and up to 3600"),
    ("-1", "'-1' is not a number of seconds above 0 and up to 3600"),
    ("nan", "'nan' is not a number of seconds above 0 and up to 3600"),
    ("inf", "'inf' is not a number of seconds above 0 and up to 3600"),
    ("soon", "'soon' is not a number of seconds"),
])
def test_a_timeout_the_http_library_cannot_use_is_refused_in_one_line(capsys, value, message):
    """Before: 0, a negative or NaN came back from requests as a traceback, inf from the socket."""
    code = main(["status", "--ruc", RUC, "--timeout", value, "-e", "http://127.0.0.1:9/ol-ti-itcpe/billService", "1234567890123"])
    error = capsys.readouterr().err
    assert code == 2 and f"Invalid value for '--timeout': {message}" in error and "Traceback" not in error


def test_an_output_that_cannot_be_written_is_one_line(tmp_path, capsys):
    """sign -o, zip -o and admin snapshot export -o into a path whose folder is a file: an OSError
    traceback after the work was done."""
    good = tmp_path / "good.xml"
    good.write_bytes(unsigned(f"{RUC}-01-F001-1.xml"))
    (tmp_path / "a-file").write_text("")
    blocked = tmp_path / "a-file" / "out"
    assert main(["sign", str(good), "--cert", PEM, "-o", str(blocked)]) == 1
    assert f"Error: cannot write {blocked}: Not a directory" in capsys.readouterr().err
    assert main(["zip", str(good), "-o", str(blocked)]) == 1
    assert f"Error: cannot make the folder {blocked}: Not a directory" in capsys.readouterr().err


def test_admin_snapshot_export_to_a_path_that_cannot_be_written_is_one_line(make_mock, tmp_path, capsys):
    mock = make_mock("ose")
    (tmp_path / "a-file").write_text("")
    blocked = tmp_path / "a-file" / "state.json"
    assert main(["admin", "--url", mock.base_url, "snapshot", "export", "-o", str(blocked)]) == 1
    assert f"Error: cannot write {blocked}: Not a directory" in capsys.readouterr().err


@pytest.mark.parametrize("command, content, message", [
    ("seed", b"emitters: [\n", "registry {file}: cannot read it: not YAML: line 2, column 1: expected the node content"),
    ("seed", b"\xff\xfe\x00", "registry {file}: cannot read it: 'utf-8' codec"),
    ("seed", b"just words", "registry {file}: the registry: 'just words' is not of type 'object'"),
    ("seed", b"emitters:\n  - ruc: '20123456789'\n    certificates:\n      - pem: nothere.pem\n",
     "registry {file}: emitters[0].certificates[0]: cannot read {folder}/nothere.pem: No such file or directory"),
    ("snapshot import", b"not json", "{file} is not a snapshot's JSON"),
    ("snapshot import", b"\xff\xfe\x00", "{file} is not a snapshot's JSON"),
])
def test_admin_files_that_are_not_what_they_should_be_are_one_line(make_mock, tmp_path, capsys, command, content, message):
    """Each was a traceback (YAMLError, UnicodeDecodeError, AttributeError, JSONDecodeError, FileNotFoundError)."""
    mock = make_mock("ose")
    path = tmp_path / "input"
    path.write_bytes(content)
    assert main(["admin", "--url", mock.base_url, *command.split(), str(path)]) == 1
    error = capsys.readouterr().err
    assert "Error: " + message.format(file=path, folder=tmp_path) in error and "Traceback" not in error


def test_validate_and_zip_take_a_folder_as_send_does(tmp_path, capsys):
    """They refused a folder ("is a directory"), where send reads every *.xml of it."""
    folder = tmp_path / "facturas"
    folder.mkdir()
    (folder / "a.xml").write_bytes(unsigned(f"{RUC}-01-F001-1.xml"))
    (folder / "b.xml").write_bytes(b"not xml")
    (folder / "C.XML").write_bytes(b"not xml either")  # an ERP's upper-case name is a SUNAT name too
    (folder / "old.xml").mkdir()                       # a folder named like a document is left out
    assert main(["validate", "--json", str(folder)]) == 1
    assert [r["verdict"] for r in json.loads(capsys.readouterr().out)] == ["0306", "0", "0306"]
    assert main(["zip", str(folder), "-o", str(tmp_path / "out")]) == 1
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [f"{RUC}-01-F001-1.zip"]
    capsys.readouterr()
    (tmp_path / "empty").mkdir()
    assert main(["validate", str(tmp_path / "empty")]) == 2
    assert "no *.xml file in the folder" in capsys.readouterr().err


def test_trust_makes_a_cdr_from_another_certificate_an_exception(make_mock, tmp_path, capsys, monkeypatch):
    """--trust says whose signature a CDR must carry: one signed by anyone else cannot be relied on,
    whatever it says (exit 3, as an exception); the mock's own certificate passes (exit 0)."""
    import requests

    mock = make_mock("ose", clock=CLOCK)
    own = tmp_path / "mock.pem"
    own.write_bytes(requests.get(mock.url("/_osemock/certificate.pem"), timeout=10).content)
    first = _write(tmp_path, "a.xml", signed_document(f"{RUC}-01-F001-1.xml", issue_date=DAY))
    second = _write(tmp_path, "b.xml", signed_document(f"{RUC}-01-F001-4.xml", issue_date=DAY))
    code, out = run(capsys, "send", first, "-e", mock.url(), "--trust", str(own), "--json")
    assert code == 0 and json.loads(out)[0]["signature_verified"] is True
    code, out = run(capsys, "send", second, "-e", mock.url(), "--trust", str(CERTS / "other.cert.pem"), "--json")
    (outcome,) = json.loads(out)
    assert code == 3 and outcome["status"] == "accepted" and outcome["signature_verified"] is False
    monkeypatch.setenv("COLUMNS", "50")
    code, out = run(capsys, "cdr", RUC, "01", "F001", "4", "-e", mock.url(), "--trust", str(CERTS / "other.cert.pem"))
    assert code == 3 and "INVALID" in out


def test_send_to_an_unknown_endpoint_name_is_a_usage_error(tmp_path, capsys):
    """It was an exception outcome per file (exit 3) where cdr and status say usage error (exit 2)."""
    path = _write(tmp_path, "a.xml", signed_document(f"{RUC}-01-F001-1.xml", issue_date=DAY))
    assert main(["send", path, "-e", "mokc"]) == 2
    assert "unknown endpoint 'mokc'" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["send", "{path}"], ["status", "--ruc", RUC, "1234567890123"],
                                     ["cdr", RUC, "01", "F001", "1"]])
def test_an_endpoint_url_no_request_can_be_made_to_is_a_usage_error(tmp_path, capsys, command):
    """A port out of range was tried three times per file and shown as 'broken answer from …' (exit 3)."""
    path = _write(tmp_path, "a.xml", signed_document(f"{RUC}-01-F001-1.xml", issue_date=DAY))
    url = "http://127.0.0.1:99999/ol-ti-itcpe/billService"
    assert main([part.format(path=path) for part in command] + ["-e", url]) == 2
    captured = capsys.readouterr()
    assert f"Invalid value for --endpoint: endpoint '{url}' is not a valid URL (Port out of range 0-65535)" in captured.err
    assert "Traceback" not in captured.err and not captured.out


def test_zip_refuses_a_second_file_of_the_same_document(tmp_path, capsys):
    """Both wrote one ZIP, the last silently replacing the first, and the exit code was 0."""
    first = _write(tmp_path, "a.xml", signed_document(f"{RUC}-01-F001-1.xml", issue_date=DAY))
    again = _write(tmp_path, "b.xml", signed_document(f"{RUC}-01-F001-1.xml", issue_date="2026-11-19"))
    assert main(["zip", first, again, "-o", str(tmp_path / "out")]) == 1
    captured = capsys.readouterr()
    assert f"{again} is {RUC}-01-F001-1 too, as {first} is: not zipped" in captured.err
    with zipfile.ZipFile(tmp_path / "out" / f"{RUC}-01-F001-1.zip") as archive:
        assert b"2026-11-20" in archive.read(archive.namelist()[-1])


def test_a_key_that_is_not_rsa_is_a_usage_error_and_an_encrypted_one_opens_with_its_password(tmp_path, capsys):
    """An EC key signed nothing: a TypeError traceback from sign, zip and send. An encrypted PEM key
    was refused with the right --cert-password ("Password was not given")."""
    from datetime import datetime, timedelta, timezone

    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    from osemock.fixtures import emitter_keypair

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, RUC)])
    now = datetime.now(timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(1).not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
                   .sign(key, hashes.SHA256()))
    ec_pem = _write(tmp_path, "ec.pem", key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                          serialization.NoEncryption())
                    + certificate.public_bytes(serialization.Encoding.PEM))
    document = _write(tmp_path, "f.xml", unsigned(f"{RUC}-01-F001-1.xml"))
    for argv in (["sign", document], ["zip", document, "-o", str(tmp_path / "out")],
                 ["send", document, "-e", "http://127.0.0.1:9/ol-ti-itcpe/billService"]):
        assert main([*argv, "--cert", ec_pem]) == 2, argv
        error = capsys.readouterr().err
        assert "Invalid value for --cert: the private key is EC, not RSA" in error and "Traceback" not in error
    pair = emitter_keypair()
    encrypted = _write(tmp_path, "cifrado.pem", pair.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"clave"))
        + pair.cert_pem)
    signed = tmp_path / "firmado.xml"
    assert main(["sign", document, "--cert", encrypted, "--cert-password", "clave", "-o", str(signed)]) == 0
    assert verify(parse_xml(signed.read_bytes())).certificate == pair.certificate
    assert main(["sign", document, "--cert", encrypted, "--cert-password", "mala"]) == 2
    assert "does not open with this password (Incorrect password" in capsys.readouterr().err
    assert main(["sign", document, "--cert", encrypted]) == 2
    assert "private key is encrypted" in capsys.readouterr().err
    # a password set for a PFX (OSEMOCK_CERT_PASSWORD) does not stop an unencrypted PEM
    assert main(["sign", document, "--cert", PEM, "--cert-password", "clave", "-o", str(signed)]) == 0


@pytest.mark.skipif(not Path("/proc/self/mem").is_file(), reason="needs Linux's /proc/self/mem")
def test_an_unreadable_file_of_a_folder_is_named_and_the_others_still_go(make_mock, tmp_path, capsys):
    """send and zip ended in an OSError traceback (exit 1), and send lost the outcomes of the files
    already sent; validate named the file."""
    mock = make_mock("ose", clock=CLOCK)
    folder = tmp_path / "facturas"
    folder.mkdir()
    (folder / "a.xml").write_bytes(signed_document(f"{RUC}-01-F001-1.xml", issue_date=DAY))
    (folder / "b.xml").symlink_to("/proc/self/mem")  # a file even root cannot read (EIO), as 000 is to others
    code, out = run(capsys, "send", str(folder), "-e", mock.url(), "--json")
    outcomes = json.loads(out)
    assert code == 3 and [o["status"] for o in outcomes] == ["accepted", "exception"]
    assert outcomes[1]["description"] == f"cannot read {folder / 'b.xml'}: Input/output error"
    code = main(["zip", str(folder), "-o", str(tmp_path / "out")])
    error = capsys.readouterr().err
    assert code == 1 and f"Error: cannot read {folder / 'b.xml'}: Input/output error" in error and "Traceback" not in error
    assert (tmp_path / "out" / f"{RUC}-01-F001-1.zip").exists()


def test_a_broken_link_of_a_folder_is_named_not_skipped(make_mock, tmp_path, capsys):
    """validate, zip and send left a folder's broken link b.xml out without a word (exit 0)."""
    mock = make_mock("ose", clock=CLOCK)
    folder = tmp_path / "facturas"
    folder.mkdir()
    (folder / "a.xml").write_bytes(signed_document(f"{RUC}-01-F001-1.xml", issue_date=DAY))
    (folder / "b.xml").symlink_to(tmp_path / "gone.xml")
    gone = f"cannot read {folder / 'b.xml'}: No such file or directory"
    assert main(["validate", str(folder)]) == 1
    assert f"Error: {gone}" in capsys.readouterr().err
    assert main(["zip", str(folder), "-o", str(tmp_path / "out")]) == 1
    assert f"Error: {gone}" in capsys.readouterr().err
    code, out = run(capsys, "send", str(folder), "-e", mock.url(), "--json")
    outcomes = json.loads(out)
    assert code == 3 and [o["status"] for o in outcomes] == ["accepted", "exception"]
    assert outcomes[1]["description"] == gone


def test_a_document_that_is_no_xml_is_said_to_be_found_here(tmp_path, capsys):
    """It read as a server's 0306 fault, with SUNAT's http://xxx.xxx.xxx/… address in its detail."""
    junk = _write(tmp_path, "junk.xml", b"not xml")
    assert main(["zip", junk, "-o", str(tmp_path / "out")]) == 1
    error = capsys.readouterr().err
    assert f"Error: {junk}: 0306 (found here, not by a server): No se puede leer (parsear) el archivo XML" in error
    assert "xxx.xxx" not in error


def test_status_of_a_lot_shows_each_document_and_trusts_only_what_trust_names(make_mock, tmp_path, capsys, monkeypatch):
    """The lot's CDRs were counted, not read: --trust made no difference and no document was named."""
    import requests

    from osemock.client import OseClient
    from tests.helpers import zip_of

    mock = make_mock("ose", clock=CLOCK)
    own = _write(tmp_path, "mock.pem", requests.get(mock.url("/_osemock/certificate.pem"), timeout=10).content)
    lot = zip_of(*((f"{RUC}-01-F001-{n}.xml", signed_document(f"{RUC}-01-F001-{n}.xml", issue_date=DAY)) for n in (1, 4)))
    ticket = OseClient(mock.url(), RUC, "BIZLINKS", "TESTBIZLINKS").send_pack(f"{RUC}-LT-20261120-1.zip", lot).ticket
    status = ["status", ticket, "--ruc", RUC, "-e", mock.url(), "--wait"]
    code, out = run(capsys, *status, "--trust", own, "--json")
    (lot_outcome,) = json.loads(out)
    assert code == 0 and lot_outcome["signature_verified"] is True
    assert [(d["document"], d["status"], d["signature_verified"]) for d in lot_outcome["documents"]] == [
        (f"{RUC}-01-F001-1", "accepted", True), (f"{RUC}-01-F001-4", "accepted", True)]
    monkeypatch.setenv("COLUMNS", "60")
    code, out = run(capsys, *status, "--trust", str(CERTS / "other.cert.pem"))
    assert code == 3 and f"└ {RUC}-01-F001-4" in out and out.count("INVALID") == 3
