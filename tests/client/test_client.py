"""The emitter client against a real mock over loopback, in both fault dialects.

Faults and delays are planned through the mock's own ``/_osemock/faults`` API, so the retry and
timeout drills meet a real server misbehaving, not a stub.
"""
from __future__ import annotations

import pytest
import requests
from cryptography import x509
from lxml import etree

from osemock.client import (ClientError, Endpoint, OseClient, RetryPolicy, Status, Unanswered, fault_code, prepare,
                            resolve)
from osemock.cpe.signature import SignatureMethod, verify
from osemock.cpe.xmlparse import parse_xml
from osemock.fixtures import _PARSER, dated, document_bytes, emitter_keypair, other_keypair, signed_document
from osemock.fixtures.summaries import comunicacion_baja
from tests.helpers import raw_server, signed_facturas, zip_of
from tests.server.test_codes import resign

RUC = "20123456789"
DAY = "2026-11-20"
CLOCK = f"{DAY}T18:00:00-05:00"
CREDENTIALS = {"ose": ("BIZLINKS", "TESTBIZLINKS"), "sunat-beta": ("MODDATOS", "moddatos")}
PATHS = {"ose": "/ol-ti-itcpe/billService", "sunat-beta": "/ol-ti-itcpfegem-beta/billService"}


def unsigned(name: str, issue_date: str = DAY) -> bytes:
    root = dated(etree.fromstring(document_bytes(name), _PARSER), issue_date)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@pytest.fixture(params=["ose", "sunat-beta"])
def served(request, make_mock):
    mock = make_mock(request.param, clock=CLOCK)
    user, password = CREDENTIALS[request.param]
    trusted = [x509.load_pem_x509_certificate(mock.app.engine.identity.cert_pem)]

    def client(**kwargs) -> OseClient:
        kwargs.setdefault("trusted", trusted)
        kwargs.setdefault("retry", RetryPolicy(attempts=3, backoff=0.01))
        return OseClient(mock.url(PATHS[request.param]), RUC, user, password, **kwargs)

    mock.client = client
    return mock


def plan_fault(mock, **fault) -> None:
    assert requests.post(mock.url("/_osemock/faults"), json=fault, timeout=10).status_code == 200


def plan_scenario(mock, **scenario) -> None:
    assert requests.post(mock.url("/_osemock/scenarios"), json=scenario, timeout=10).status_code == 201


def test_unsigned_document_is_signed_named_zipped_and_accepted(served):
    client = served.client(certificate=emitter_keypair())
    outcome = client.send_bill(unsigned(f"{RUC}-01-F001-1.xml"))
    assert outcome.status is Status.ACCEPTED and outcome.code == "0"
    assert outcome.document == f"{RUC}-01-F001-1"
    assert outcome.signature_verified is True
    assert b"ApplicationResponse" in outcome.cdr_xml


def test_rejection_and_exception_codes_from_either_dialect(served):
    client = served.client(certificate=emitter_keypair())
    wrong_total = unsigned(f"{RUC}-01-F001-1.xml").replace(b'<cbc:PayableAmount currencyID="PEN">354.00',
                                                           b'<cbc:PayableAmount currencyID="PEN">300.00')
    rejected = client.send_bill(wrong_total)
    assert (rejected.status, rejected.code) == (Status.REJECTED, "3280")
    unsigned_sent = served.client().send_bill(unsigned(f"{RUC}-01-F001-4.xml"))  # no certificate: sent as it is
    assert unsigned_sent.status is Status.EXCEPTION and unsigned_sent.code == "0306"
    other = OseClient(served.url(PATHS[served.app.engine.profile.name]), RUC, "NOBODY", "wrong",
                      retry=RetryPolicy(attempts=1))
    exception = other.send_bill(signed_document(f"{RUC}-01-F001-4.xml", issue_date=DAY))
    assert exception.status is Status.EXCEPTION and exception.code in ("0102", "0103", "0104")


def test_a_pse_sends_with_its_own_username(make_mock):
    """PROTOCOL §4/§13: the username's first 11 characters are the sender's RUC. The client put the
    document's RUC in front of any user that did not start with it: 2012345678920999999999PSEUSER, 0103."""
    mock = make_mock("ose", clock=CLOCK)
    seeded = requests.post(mock.url("/_osemock/seed"), timeout=10, json={"emitters": [
        {"ruc": "20999999999", "name": "PSE SAC", "users": [{"user": "PSEUSER", "password": "psepw"}],
         "pse_for": [RUC]}]})
    assert seeded.status_code == 200, seeded.text
    client = OseClient(mock.url(), RUC, "20999999999PSEUSER", "psepw")
    assert client.send_bill(signed_document(f"{RUC}-01-F001-1.xml", issue_date=DAY)).accepted
    assert client.get_status_cdr(RUC, "01", "F001", 1).accepted
    # a bare SOL user still gets the emitter's RUC
    assert OseClient(mock.url(), RUC, "BIZLINKS", "TESTBIZLINKS").get_status_cdr(RUC, "01", "F001", 1).accepted


def test_a_number_reused_for_other_content_keeps_its_1033(served):
    """The stored CDR is the answer only for the document it answers: an OSE CDR names that document's
    hash, and a rerun that reuses a number for another invoice must not read as accepted (SUNAT's CDR
    names no hash, so there the stored CDR is all the client can go by)."""
    client = served.client()
    first = client.send_bill(signed_document(f"{RUC}-01-F001-1.xml", issue_date=DAY))
    other = client.send_bill(signed_document(f"{RUC}-01-F001-1.xml", issue_date="2026-11-19"))
    assert first.accepted
    if served.app.engine.profile.name == "ose":
        assert (other.code, other.already_sent, other.accepted) == ("1033", False, False)
        assert "F001-1" in other.description
    else:
        assert other.accepted and other.already_sent


def test_duplicate_is_answered_with_the_stored_cdr(served):
    client = served.client()
    xml = signed_document(f"{RUC}-01-F001-1.xml", issue_date=DAY)
    first = client.send_bill(xml)
    again = client.send_bill(xml)
    # an OSE answers getStatusCdr on billService; the SUNAT-style mock on its billConsultService
    assert again.status is Status.ACCEPTED and again.already_sent and again.cdr_zip == first.cdr_zip
    if served.app.engine.profile.name == "sunat-beta":  # like the real beta, without a consult service: 1033 stands
        beta_like = Endpoint("beta-like", served.url(PATHS["sunat-beta"]), "sunat-beta")
        assert OseClient(beta_like, RUC, *CREDENTIALS["sunat-beta"]).send_bill(xml).code == "1033"


def test_cdr_from_an_untrusted_signer_is_flagged(served):
    foreign = [other_keypair().certificate]
    outcome = served.client(trusted=foreign).send_bill(signed_document(f"{RUC}-01-F001-1.xml", issue_date=DAY))
    assert outcome.status is Status.ACCEPTED and outcome.signature_verified is False
    assert "not trusted" in outcome.signature_problem


def test_trusted_takes_a_pem_file_or_bytes_and_refuses_anything_else_at_once(served, tmp_path, monkeypatch):
    """``trusted=["ose.pem"]`` failed at the first CDR with an AttributeError."""
    import requests

    from osemock.fixtures import CERTS

    pem = requests.get(served.url("/_osemock/certificate.pem"), timeout=10).content
    (tmp_path / "ose.pem").write_bytes(pem)
    monkeypatch.chdir(tmp_path)
    for numero, trusted in ((1, ["ose.pem"]), (4, [pem])):
        outcome = served.client(trusted=trusted).send_bill(signed_document(f"{RUC}-01-F001-{numero}.xml", issue_date=DAY))
        assert outcome.accepted and outcome.signature_verified is True, outcome
    other = served.client(trusted=[CERTS / "other.cert.pem"]).send_bill(signed_document(f"{RUC}-01-F001-5.xml", issue_date=DAY))
    assert other.signature_verified is False
    with pytest.raises(ValueError, match="must be PEM"):
        served.client(trusted=[b"junk"])
    with pytest.raises(ValueError, match="No such file"):
        served.client(trusted=["missing.pem"])
    with pytest.raises(TypeError, match="not int"):
        served.client(trusted=[5])


def test_system_faults_are_retried(served):
    plan_fault(served, operation="sendBill", code="0130", times=2)
    outcome = served.client().send_bill(signed_document(f"{RUC}-01-F001-1.xml", issue_date=DAY))
    assert outcome.status is Status.ACCEPTED
    plan_fault(served, operation="sendBill", http_status=503, times=1)
    assert served.client().send_bill(signed_document(f"{RUC}-01-F001-4.xml", issue_date=DAY)).accepted
    plan_fault(served, operation="sendBill", code="0130", times=5)
    gave_up = served.client().send_bill(signed_document(f"{RUC}-01-F001-6.xml", issue_date=DAY))
    assert gave_up.status is Status.EXCEPTION and gave_up.code == "0130"


def _operations(mock, count: int) -> list[str]:
    """The journaled operations, once ``count`` are there (a late answer is journaled when it leaves)."""
    import time

    for _ in range(150):
        rows = mock.app.engine.store.query("SELECT operation FROM requests")
        if len(rows) >= count:
            break
        time.sleep(0.1)
    return [row["operation"] for row in rows]


def test_timeout_drill_asks_before_sending_again(make_mock):
    mock = make_mock("ose", clock=CLOCK)
    # margins for a busy CI runner: stored well within the client's 2 s, answered 4 s late
    plan_fault(mock, operation="sendBill", delay_seconds=4, times=1)
    client = OseClient(mock.url(), RUC, "BIZLINKS", "TESTBIZLINKS", timeout=2, retry=RetryPolicy(backoff=0.01))
    outcome = client.send_bill(signed_document(f"{RUC}-01-F001-1.xml", issue_date=DAY))
    assert outcome.status is Status.ACCEPTED and outcome.already_sent
    operations = _operations(mock, 2)
    assert operations.count("sendBill") == 1 and "getStatusCdr" in operations  # never sent twice


def test_timeout_with_nothing_stored_sends_again(make_mock):
    mock = make_mock("ose", clock=CLOCK)
    plan_fault(mock, operation="sendBill", code="0100", delay_seconds=4, times=1)  # late and not processed
    client = OseClient(mock.url(), RUC, "BIZLINKS", "TESTBIZLINKS", timeout=2, retry=RetryPolicy(backoff=0.01))
    outcome = client.send_bill(signed_document(f"{RUC}-01-F001-1.xml", issue_date=DAY))
    assert outcome.status is Status.ACCEPTED and not outcome.already_sent
    operations = _operations(mock, 3)
    # a getStatusCdr that itself times out on a busy machine is asked again: at least one
    assert operations.count("sendBill") == 2 and "getStatusCdr" in operations


def test_a_sendbill_whose_line_dropped_after_it_went_out_asks_before_sending_again(make_mock):
    """A dropped line is a timeout's case: the mock took the factura and closed the connection without
    an answer; the client sent it again at once (1033, then its CDR), where it asks getStatusCdr first."""
    mock = make_mock("ose", clock=CLOCK)
    plan_scenario(mock, action="lost", operation="sendBill", delay_seconds=0.1, times=1)
    client = OseClient(mock.url(), RUC, "BIZLINKS", "TESTBIZLINKS", timeout=10, retry=RetryPolicy(backoff=0.01))
    outcome = client.send_bill(signed_document(f"{RUC}-01-F001-1.xml", issue_date=DAY))
    assert outcome.status is Status.ACCEPTED and outcome.already_sent
    operations = _operations(mock, 2)
    assert operations.count("sendBill") == 1 and "getStatusCdr" in operations


def test_a_sendbill_taken_then_out_of_reach_is_unanswered_not_unreachable():
    """The service took the factura, dropped the line and went down: getStatusCdr and the second send
    could not reach it, and the second's 'cannot reach' came out alone, as if nothing had gone out (the
    kit said No enviado). The first may have been taken: it says what became of each call."""
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", 0))

    def take_then_go_down() -> None:
        connection, _ = listener.accept()
        with connection, listener:
            data = b""
            while b"\r\n\r\n" not in data:
                data += connection.recv(65536)
            head, body = data.split(b"\r\n\r\n", 1)
            length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length"))
            while len(body) < length:
                body += connection.recv(65536)

    threading.Thread(target=take_then_go_down, daemon=True).start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/ol-ti-itcpe/billService"
    client = OseClient(url, RUC, "BIZLINKS", "TESTBIZLINKS", timeout=5, retry=RetryPolicy(attempts=2, backoff=0.01))
    with pytest.raises(Unanswered, match=f"^no answer from {url}: the line dropped after the request went out.*; "
                                         f"getStatusCdr could not say whether it was taken \\(cannot reach {url}: .*\\); "
                                         f"then: cannot reach {url}: .*: it may have been taken"):
        client.send_bill(signed_document(f"{RUC}-01-F001-1.xml", issue_date=DAY))


def _ticket_send(client, operation, factura):
    """The name of what a ticket send sends, and the send: a baja of F001-1 (sendSummary) or a lot
    holding ``factura`` (sendPack)."""
    if operation == "sendSummary":
        return f"{RUC}-RA-20261120-1", lambda: client.send_summary(comunicacion_baja(DAY, [("01", "F001", 1)])[1])
    name = f"{RUC}-LT-20261120-1"
    return name, lambda: client.send_pack(f"{name}.zip", zip_of((f"{RUC}-01-F001-1.xml", factura)))


@pytest.mark.parametrize("operation", ["sendSummary", "sendPack"])
def test_a_ticket_whose_line_dropped_after_the_send_went_out_is_not_sent_again(make_mock, operation):
    """The mock took the baja (F001-1 voided) or the lot, then dropped the line. The client sent it
    again, blindly, and followed the copy's ticket: REJECTED 2324 (a baja already presented), or 1033
    for every document of a lot all accepted. No ticket of the first can be asked for: it says so."""
    mock = make_mock("ose", clock=CLOCK)
    client = OseClient(mock.url(), RUC, "BIZLINKS", "TESTBIZLINKS", timeout=10, retry=RetryPolicy(backoff=0.01))
    factura = signed_document(f"{RUC}-01-F001-1.xml", issue_date=DAY)
    plan_scenario(mock, action="lost", operation=operation, delay_seconds=0.1, times=1)
    if operation == "sendSummary":
        assert client.send_bill(factura).accepted
    name, send = _ticket_send(client, operation, factura)
    with pytest.raises(Unanswered, match=f"the line dropped after the request went out: .*{name} may have been taken "
                                         "under a ticket that never came back: check the state of"):
        send()
    assert len(mock.app.engine.store.query("SELECT ticket FROM tickets")) == 1


@pytest.mark.parametrize("operation, status", [
    *[(operation, status) for operation in ("sendSummary", "sendPack") for status in (500, 502, 504)],
    ("sendSummary", 507), ("sendSummary", 524),  # a CDN's "the origin timed out", and any other 5xx but 503
])
def test_a_ticket_send_answered_5xx_without_a_fault_is_not_sent_again(make_mock, operation, status):
    """A gateway's 502 or 504 says the service behind it failed or timed out answering, and a 500 without
    a SOAP fault (a proxy's or an app server's error page) that it failed while handling the send: none
    says it never got it, nor does any other 5xx but 503. Retried as any 5xx, a baja or a lot the service
    had taken was sent twice, and the copy's ticket read 2324 or 1033. Like a dropped line, it raises
    Unanswered after one request."""
    mock = make_mock("ose", clock=CLOCK)
    client = OseClient(mock.url(), RUC, "BIZLINKS", "TESTBIZLINKS", timeout=10, retry=RetryPolicy(backoff=0.01))
    factura = signed_document(f"{RUC}-01-F001-1.xml", issue_date=DAY)
    plan_scenario(mock, action="http_status", http_status=status, operation=operation, times=3)
    name, send = _ticket_send(client, operation, factura)
    with pytest.raises(Unanswered, match=f"HTTP {status} from .* after the request went out .*{name} may have been "
                                         "taken under a ticket that never came back"):
        send()
    assert _operations(mock, 1) == [operation]


@pytest.mark.parametrize("status", [500, 504])
def test_a_sendbill_answered_500_or_504_without_a_fault_asks_before_sending_again(make_mock, status):
    """A 504, or a 500 without a SOAP fault, after a sendBill went out is a timeout's case: getStatusCdr
    first (nothing stored here, as the mock's HTTP error processes nothing), then sent once more."""
    mock = make_mock("ose", clock=CLOCK)
    plan_scenario(mock, action="http_status", http_status=status, operation="sendBill", times=1)
    client = OseClient(mock.url(), RUC, "BIZLINKS", "TESTBIZLINKS", timeout=10, retry=RetryPolicy(backoff=0.01))
    outcome = client.send_bill(signed_document(f"{RUC}-01-F001-1.xml", issue_date=DAY))
    assert outcome.accepted and not outcome.already_sent
    assert _operations(mock, 3) == ["sendBill", "getStatusCdr", "sendBill"]


def test_a_ticket_send_answered_503_is_sent_again(make_mock):
    """503: the service was unavailable and took nothing, so a sendSummary is tried again."""
    mock = make_mock("ose", clock=CLOCK)
    plan_scenario(mock, action="http_status", http_status=503, operation="sendSummary", times=1)
    client = OseClient(mock.url(), RUC, "BIZLINKS", "TESTBIZLINKS", timeout=10, retry=RetryPolicy(backoff=0.01))
    assert client.send_bill(signed_document(f"{RUC}-01-F001-1.xml", issue_date=DAY)).accepted
    sent = client.send_summary(comunicacion_baja(DAY, [("01", "F001", 1)])[1])
    assert sent.status is Status.PENDING and sent.ticket
    assert _operations(mock, 3) == ["sendBill", "sendSummary", "sendSummary"]


def test_a_send_that_never_reached_the_service_is_sent_again(tmp_path):
    """Refused before anything went out: nothing can have been taken, so a send is tried again (here the
    service comes up while the client backs off)."""
    from osemock.server.settings import Settings
    from osemock.server.threaded import ThreadedMock
    from tests.serving import free_port

    port, started = free_port(), []

    def come_up(seconds: float) -> None:
        if not started:
            settings = Settings(profile="ose", data_dir=tmp_path / "keys", db=tmp_path / "ose.sqlite3", clock=CLOCK)
            started.append(ThreadedMock(settings, port=port).start())

    client = OseClient(f"http://127.0.0.1:{port}/ol-ti-itcpe/billService", RUC, "BIZLINKS", "TESTBIZLINKS", timeout=5,
                       retry=RetryPolicy(backoff=0.01, sleep=come_up))
    try:
        factura = signed_document(f"{RUC}-01-F001-1.xml", issue_date=DAY)
        sent = client.send_pack(f"{RUC}-LT-20261120-1.zip", zip_of((f"{RUC}-01-F001-1.xml", factura)))
        assert started and sent.status is Status.PENDING and sent.ticket
    finally:
        for mock in started:
            mock.stop()


def test_unreachable_endpoint_is_a_clear_error():
    client = OseClient("http://127.0.0.1:9/ol-ti-itcpe/billService", RUC, "BIZLINKS", "TESTBIZLINKS", timeout=1,
                       retry=RetryPolicy(attempts=2, backoff=0.01))
    with pytest.raises(ClientError, match="cannot reach"):
        client.send_bill(signed_document(f"{RUC}-01-F001-1.xml", issue_date=DAY))


def test_summary_ticket_is_followed_to_its_cdr(make_mock, tmp_path):
    profile = tmp_path / "slow.yaml"
    profile.write_text("extends: ose\nname: slow\nticket_after_polls: 2\n")
    mock = make_mock(str(profile), clock=CLOCK)
    client = OseClient(mock.url(), RUC, "BIZLINKS", "TESTBIZLINKS")
    assert client.send_bill(signed_document(f"{RUC}-01-F001-1.xml", issue_date=DAY)).accepted
    name, xml = comunicacion_baja(DAY, [("01", "F001", 1)])
    pending = client.send_summary(xml)
    assert pending.status is Status.PENDING and pending.ticket and pending.document == name
    assert client.get_status(pending.ticket).status is Status.PENDING
    naps: list[float] = []
    final = client.get_status(pending.ticket, wait=True, sleep=naps.append)
    assert final.status is Status.ACCEPTED and final.ticket == pending.ticket and naps
    assert client.get_status("1234567890123").code == "0127"


def test_signing_options():
    keypair = emitter_keypair()
    sha1 = prepare(unsigned(f"{RUC}-03-B001-1.xml"), keypair, SignatureMethod.RSA_SHA1)
    assert b"rsa-sha1" in sha1.xml and sha1.base == f"{RUC}-03-B001-1" and sha1.kind == "document"
    verify(parse_xml(sha1.xml))
    summary = prepare(comunicacion_baja(DAY, [("01", "F001", 1)])[1])
    assert summary.base == f"{RUC}-RA-20261120-1" and summary.kind == "summary"
    assert prepare(unsigned(f"{RUC}-01-F001-1.xml")).xml.count(b"ds:Signature") == 0  # no certificate, no signature


@pytest.mark.parametrize("faultcode, faultstring, detail, expected", [
    ("soap-env:Client.0151", "El nombre del archivo ZIP es incorrecto - Detalle: x", None, "0151"),
    ("soap-env:Client", "1033", "<detail><message>El comprobante fue registrado previamente</message></detail>", "1033"),
    ("soap-env:Server", "Error", "<detail><message>2335 - El documento electronico ingresado ha sido alterado</message></detail>", "2335"),
])
def test_fault_codes_in_any_dialect(faultcode, faultstring, detail, expected):
    assert fault_code(faultcode, faultstring, etree.fromstring(detail) if detail else None)[0] == expected


def test_endpoints_by_name_or_url():
    assert resolve("sunat-beta").wsdl_set == "sunat-beta"
    assert resolve("https://osetesting.bizlinks.com.pe/ol-ti-itcpe/billService").is_ose
    assert resolve("https://e-factura.sunat.gob.pe/ol-ti-itemision-otroscpe-gem/billService").wsdl_set == "sunat-otroscpe-prod"
    with pytest.raises(ValueError):
        resolve("nowhere")


@pytest.mark.parametrize("url, problem", [
    ("http://127.0.0.1:99999/ol-ti-itcpe/billService", "Port out of range"),
    ("http://127.0.0.1:80a/ol-ti-itcpe/billService", "Port could not be cast"),
    ("http://.example.com/ol-ti-itcpe/billService", "invalid label"),
    ("http://ose..example.com/ol-ti-itcpe/billService", "label empty or too long"),
    ("http://ose example.com/ol-ti-itcpe/billService", "invalid character"),
])
def test_an_endpoint_url_no_request_can_be_made_to_is_refused_at_once(url, problem):
    """requests refused each of these at the first call (InvalidURL, or urllib3's LocationParseError
    raised as it is), and the client tried twice more and said 'broken answer from': named when given."""
    with pytest.raises(ValueError, match=f"not a valid URL .*{problem}"):
        OseClient(url, RUC, "BIZLINKS", "TESTBIZLINKS")


@pytest.mark.parametrize("url, proxy, problem", [
    ("http://ose..example.com/ol-ti-itcpe/billService", None, "label empty or too long"),
    ("http://127.0.0.1:9/ol-ti-itcpe/billService", "http://:3128", "Please check proxy URL"),
    ("http://127.0.0.1:9/ol-ti-itcpe/billService", "ftp://proxy:21", "unsupported scheme ftp"),
])
def test_a_request_that_cannot_be_made_fails_at_once(url, proxy, problem, monkeypatch):
    """What only shows when a call is made (an Endpoint built by hand, a proxy of the environment) was
    tried three times and called a broken answer, or raised as urllib3's own exception: nothing can have
    been sent, and trying again changes nothing."""
    for name in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    if proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy)
    slept: list[float] = []
    client = OseClient(Endpoint("by hand", url, "ose"), RUC, "BIZLINKS", "TESTBIZLINKS", timeout=2,
                       retry=RetryPolicy(backoff=0.01, sleep=slept.append))
    factura = signed_document(f"{RUC}-01-F001-1.xml", issue_date=DAY)
    for call in (lambda: client.send_bill(factura), lambda: client.get_status("1234567890123")):
        with pytest.raises(ClientError, match=f"^no request can be made to {url}: .*{problem}") as raised:
            call()
        assert "\n" not in str(raised.value) and not isinstance(raised.value, Unanswered)
    assert slept == []


# -- answers whose CDR cannot be read ---------------------------------------------------------------------
BROKEN_CDRS = {
    "not a zip": b"not a zip",
    "empty": b"",
    "no xml": zip_of(("R-1.txt", b"x")),
    "not xml": zip_of(("R-1.xml", b"<<<")),
    "bomb": zip_of(("R-1.xml", b"<a>" + b" " * (40 * 1024 * 1024) + b"</a>")),
    # XML, but no verdict: an HTML error page zipped, an ApplicationResponse without its ResponseCode
    "html": zip_of(("R-1.xml", b"<html><body>Error interno del servidor</body></html>")),
    "no code": zip_of(("R-1.xml", b'<ApplicationResponse xmlns="urn:oasis:names:specification:ubl:schema:xsd:'
                                  b'ApplicationResponse-2"><ID>1</ID></ApplicationResponse>')),
}


@pytest.mark.parametrize("name", BROKEN_CDRS)
def test_read_cdr_raises_a_cpe_error_for_what_is_no_cdr(name):
    """Not BadZipFile, ValueError or XMLSyntaxError by turns; and a ZIP bomb is refused unexpanded."""
    from osemock.client import read_cdr
    from osemock.cpe.errors import CpeError

    with pytest.raises(CpeError) as raised:
        read_cdr(BROKEN_CDRS[name])
    if name == "bomb":
        assert "exceeds" in str(raised.value) or "ratio" in str(raised.value)


def test_a_lot_is_followed_to_its_cdrs(make_mock):
    """sendPack, then the ticket's ZIP of CDR ZIPs read through the archive's limits (each CDR read:
    see test_cdr_answers)."""
    mock = make_mock("ose", clock=CLOCK)
    lot = zip_of(*((f"{RUC}-01-F001-{n}.xml", signed_document(f"{RUC}-01-F001-{n}.xml", issue_date=DAY)) for n in (1, 4)))
    client = OseClient(mock.url(PATHS["ose"]), RUC, *CREDENTIALS["ose"], retry=RetryPolicy(attempts=1))
    sent = client.send_pack(f"{RUC}-LT-20261120-1.zip", lot)
    assert sent.status is Status.PENDING and sent.ticket
    settled = client.get_status(sent.ticket, wait=True, timeout=10, interval=0.05)
    assert (settled.status, settled.description) == (Status.ACCEPTED, "2 documents: 2 accepted"), settled


def test_the_answer_of_the_largest_lot_is_read_document_by_document(make_mock, tmp_path):
    """The largest answer a lot gets: 1000 documents (the most a lot may hold) at a service that answers
    a rejection with a CDR too (sunat-prod), one of them rejected: 1000 CDRs and the error list.  The
    client read a lot's answer within the limits of one CDR (100 entries): past 100 documents, or 100
    and an error list, its outcome was an exception ('more than 100 entries') naming no document, and
    `osemock status`, `osemock send` and the kit said so."""
    profile = tmp_path / "prod-like.yaml"
    profile.write_text("extends: sunat-prod\nname: prod-like\nwildcard_user: MODDATOS\nwildcard_password: moddatos\n")
    mock = make_mock(str(profile), clock=CLOCK)
    entries = list(signed_facturas(1000, DAY))
    name, xml = entries[-1]
    entries[-1] = name, resign(xml.replace(b'<cbc:PayableAmount currencyID="PEN">', b'<cbc:PayableAmount currencyID="PEN">1'))
    client = OseClient(mock.url("/ol-ti-itcpfegem/billService"), RUC, "MODDATOS", "moddatos",
                       retry=RetryPolicy(attempts=1), timeout=60,
                       trusted=[x509.load_pem_x509_certificate(mock.app.engine.identity.cert_pem)])
    sent = client.send_pack(f"{RUC}-LT-20261120-1.zip", zip_of(*entries))
    assert sent.status is Status.PENDING and sent.ticket, sent
    settled = client.get_status(sent.ticket, wait=True, timeout=60, interval=0.05)
    assert (settled.status, settled.code) == (Status.REJECTED, "3280"), settled
    assert settled.description == "1000 documents: 1 rejected, 999 accepted"
    assert settled.signature_verified is True
    assert {d.document for d in settled.documents} == {n[:-4] for n, _ in entries}
    assert next(d for d in settled.documents if d.document == name[:-4]).code == "3280"


# -- answers that are no service's SOAP: what a down OSE, its gateway or a wrong URL sends ----------------
_ENVELOPE = ('<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/"><soap-env:Body>{}'
             '</soap-env:Body></soap-env:Envelope>')
RAW_ANSWERS = {
    # a load balancer's page while the OSE is down: well-formed, so zeep read it as a fault without a code
    "gateway page": (b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n"
                     b"<html><body><h1>502 Bad Gateway</h1></body></html>", "HTTP 502", 2),
    # an API gateway's own XML error: well-formed, no SOAP fault, read as a fault without a code
    "gateway XML": (b"HTTP/1.1 504 Gateway Timeout\r\nContent-Type: application/xml\r\nConnection: close\r\n\r\n"
                    b"<error><status>504</status><message>upstream timed out</message></error>", "HTTP 504", 2),
    "gateway envelope": (b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/xml\r\nConnection: close\r\n\r\n"
                         + _ENVELOPE.format("").encode(), "HTTP 502", 2),
    "cut short": (b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n"
                  + _ENVELOPE.format("<br:sendBillResp").encode(), "broken answer", 2),
    "bad gzip": (b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Encoding: gzip\r\nContent-Length: 10\r\n"
                 b"Connection: close\r\n\r\n0123456789", "broken answer", 2),
    "not an envelope": (b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nConnection: close\r\n\r\n<a><b/></a>",
                        "did not answer the service's SOAP", 1),
    "another operation's answer": (b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nConnection: close\r\n\r\n"
                                   + _ENVELOPE.format('<br:getStatusResponse xmlns:br="http://service.sunat.gob.pe">'
                                                      "<applicationResponse>UEsFBg==</applicationResponse>"
                                                      "</br:getStatusResponse>").encode(),
                                   "did not answer the service's SOAP", 1),
}


@pytest.mark.parametrize("name", list(RAW_ANSWERS))
def test_an_answer_that_is_no_soap_is_a_client_error_not_a_traceback(raw_ose, name):
    """Each of these raised from inside zeep or requests (AttributeError, XMLParseError,
    ChunkedEncodingError, ContentDecodingError); a gateway's page and a broken answer are tried again,
    as a 5xx or a dropped line are."""
    raw_ose.state["answer"], message, tries = RAW_ANSWERS[name]
    client = OseClient(raw_ose.url, RUC, "BIZLINKS", "TESTBIZLINKS", timeout=5, retry=RetryPolicy(attempts=2, backoff=0.01))
    with pytest.raises(ClientError, match=message):
        client.get_status("1234567890123")
    assert raw_ose.state["requests"] == tries


_PROXY_500 = (b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n"
              b"<html><body><h1>500 Internal Server Error</h1></body></html>")


@pytest.mark.parametrize("answer", [b"", RAW_ANSWERS["cut short"][0], _PROXY_500, RAW_ANSWERS["gateway XML"][0],
                                    RAW_ANSWERS["gateway envelope"][0]],
                         ids=["no answer", "cut short", "a proxy's 500 page", "a gateway's XML", "a gateway's envelope"])
def test_a_summary_whose_answer_did_not_come_whole_is_sent_once(raw_ose, answer):
    """A line closed without an answer, an answer cut short, or a proxy's error page in its place, after
    the summary went out: retried like a getStatus, it was sent three times. A gateway's 502 or 504 in
    XML that is no SOAP fault was read as a fault without a code: an exception outcome, as if answered."""
    raw_ose.state["answer"] = answer
    client = OseClient(raw_ose.url, RUC, "BIZLINKS", "TESTBIZLINKS", timeout=5, retry=RetryPolicy(backoff=0.01))
    with pytest.raises(Unanswered, match="may have been taken"):
        client.send_summary(comunicacion_baja(DAY, [("01", "F001", 1)])[1])
    assert raw_ose.state["requests"] == 1


@pytest.mark.parametrize("name", ["not a zip", "not xml", "bomb", "html", "no code"])
def test_an_answer_whose_cdr_cannot_be_read_is_an_exception_outcome(raw_ose, name):
    import base64

    body = _ENVELOPE.format('<br:sendBillResponse xmlns:br="http://service.sunat.gob.pe"><applicationResponse>'
                            f'{base64.b64encode(BROKEN_CDRS[name]).decode()}</applicationResponse></br:sendBillResponse>')
    raw_ose.state["answer"] = (b"HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\nConnection: close\r\n\r\n"
                               + body.encode())
    client = OseClient(raw_ose.url, RUC, "BIZLINKS", "TESTBIZLINKS", retry=RetryPolicy(attempts=1))
    outcome = client.send_bill(signed_document(f"{RUC}-01-F001-1.xml"))
    assert outcome.status is Status.EXCEPTION and not outcome.accepted
    assert "could not be read" in outcome.description
    assert outcome.cdr_zip == BROKEN_CDRS[name] and outcome.document == f"{RUC}-01-F001-1"


@pytest.fixture
def trickling():
    """A real server on loopback that answers every request a byte at a time, one every 0.2 s: in its
    headers (``state["part"] = "headers"``) or, after whole headers, in its body."""
    import socket
    import time
    from types import SimpleNamespace

    state = {"part": "body"}

    def trickle(connection: socket.socket) -> None:
        with connection:
            connection.recv(65536)
            head = b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n"
            if state["part"] == "body":
                connection.sendall(head + b"Content-Length: 100000\r\n\r\n")
            try:
                for byte in (head if state["part"] == "headers" else b"") + b" " * 100000:
                    connection.sendall(bytes([byte]))
                    time.sleep(0.2)
            except OSError:  # the client gave up
                pass

    with raw_server(trickle) as port:
        yield SimpleNamespace(state=state, url=f"http://127.0.0.1:{port}/ol-ti-itcpe/billService")


@pytest.mark.parametrize("part", ["body", "headers"])
def test_the_timeout_bounds_the_whole_call(trickling, part):
    """requests' timeout is per read: an answer trickling a byte every 0.2 s kept `--timeout 3` waiting
    for hours. The timeout is the call's, whole; a sendBill past it is not sent blindly again."""
    import time

    trickling.state["part"] = part
    client = OseClient(trickling.url, RUC, "BIZLINKS", "TESTBIZLINKS", timeout=1, retry=RetryPolicy(attempts=1))
    started = time.monotonic()
    with pytest.raises(ClientError, match="no answer from .* within 1 s"):
        client.get_status("1234567890123")
    assert time.monotonic() - started < 2.5
    started = time.monotonic()
    # asked getStatusCdr first (no answer either), then sent once more
    with pytest.raises(Unanswered, match="within 1 s; getStatusCdr could not say whether it was taken .*; sent once "
                                         "more: no answer from .* within 1 s: it may have been taken"):
        client.send_bill(signed_document(f"{RUC}-01-F001-1.xml"))
    assert time.monotonic() - started < 4.5


@pytest.mark.parametrize("part", ["body", "headers"])
def test_a_deadline_session_bounds_a_plain_call_whole(trickling, part):
    """The same deadline for plain HTTP (the kit's admin API and WSDL fetches): requests' own session
    waited on the trickle for hours, each read well within its timeout."""
    import time

    import requests

    from osemock.client.transport import DeadlineSession

    trickling.state["part"] = part
    started = time.monotonic()
    with DeadlineSession() as http, pytest.raises(requests.ReadTimeout):
        http.get(trickling.url + "?wsdl", timeout=1)
    assert time.monotonic() - started < 1.8


def test_an_answer_without_its_content_is_an_exception_outcome(raw_ose):
    """An operation's answer with nothing inside: getStatus and getStatusCdr raised AttributeError, and
    sendSummary reported a pending ticket with no ticket to follow."""
    from osemock.fixtures.summaries import comunicacion_baja

    client = OseClient(raw_ose.url, RUC, "BIZLINKS", "TESTBIZLINKS", timeout=5, retry=RetryPolicy(attempts=1))
    calls = {"getStatus": (lambda: client.get_status("1234567890123"), "answered getStatus without a status"),
             "getStatusCdr": (lambda: client.get_status_cdr(RUC, "01", "F001", 1), "answered getStatusCdr without a status"),
             "sendBill": (lambda: client.send_bill(signed_document(f"{RUC}-01-F001-1.xml")), "carries no CDR"),
             "sendSummary": (lambda: client.send_summary(comunicacion_baja(DAY, [("01", "F001", 1)])[1]),
                             "answered without a ticket")}
    for operation, (call, message) in calls.items():
        raw_ose.state["answer"] = (b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nConnection: close\r\n\r\n" + _ENVELOPE.format(
            f'<br:{operation}Response xmlns:br="http://service.sunat.gob.pe"/>').encode())
        outcome = call()
        assert outcome.status is Status.EXCEPTION and message in outcome.description, (operation, outcome)
        assert outcome.ticket is None or operation == "getStatus"


def test_a_document_given_as_text_is_a_clear_type_error():
    """It failed deep inside with "'in <string>' requires string as left operand, not bytes"."""
    client = OseClient("http://127.0.0.1:9/ol-ti-itcpe/billService", RUC, "BIZLINKS", "TESTBIZLINKS")
    xml = signed_document(f"{RUC}-01-F001-1.xml")
    with pytest.raises(TypeError, match=r"the bytes of its file \(open\(path, 'rb'\).read\(\)\), not str"):
        client.send_bill(xml.decode())
    from osemock.server.rules.lint import lint

    with pytest.raises(TypeError, match="not str"):
        lint(xml.decode())
    assert client.prepare(bytearray(xml)).base == f"{RUC}-01-F001-1"
