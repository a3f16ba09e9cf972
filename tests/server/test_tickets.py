"""Tickets and what summaries do to other documents, over real HTTP on loopback.

sendSummary answers a ticket; getStatus answers 98 while it is pending and then 0 or 99 with a CDR;
an accepted RA/RC/RR voids, adds or modifies the documents it lists, which every later sendBill,
summary and consult sees.  The mock's clock is set so the samples' dates are always in range.
"""
from __future__ import annotations

import base64
import time
from typing import Any, Callable

import pytest
import requests
from lxml import etree

from osemock.cpe.archive import first_xml, write_document_zip
from osemock.fixtures import signed_document
from osemock.fixtures.summaries import RcLine, comunicacion_baja, resumen_diario, resumen_reversiones

from .envelopes import Reply, call, send_bill
from .test_codes import RUC, assert_fault, resign

#: The summary codes these tests prove over HTTP, where the store and the file name are (for the proof ledgers).
PROVEN_CODES = {"2220", "2223", "2324", "2663", "2987", "2282", "2957", "2989", "2990", "2105", "2398", "2323", "2375", "2750",
                "2751", "2609", "2610", "3329", "3312", "3328"}
DAY = "2026-11-20"
CLOCK = f"{DAY}T18:00:00-05:00"
OSE = ("20123456789BIZLINKS", "TESTBIZLINKS")
PATHS = {"ose": "/ol-ti-itcpe/billService", "sunat-beta": "/ol-ti-itcpfegem-beta/billService"}


def _profile(tmp_path, **keys) -> str:
    path = tmp_path / f"profile-{len(keys)}-{abs(hash(tuple(keys.items())))}.yaml"
    path.write_text("extends: ose\nname: ticketing\n" + "".join(f"{k}: {v}\n" for k, v in keys.items()))
    return str(path)


def _path(mock) -> str:
    return PATHS.get(mock.app.engine.profile.name, PATHS["ose"])


def _credentials(mock) -> tuple[str, str]:
    profile = mock.app.engine.profile
    return RUC + profile.wildcard_user, profile.wildcard_password


def send_summary(mock, name: str, xml: bytes, path: str | None = None) -> str:
    username, password = _credentials(mock)
    content = base64.b64encode(write_document_zip(f"{name}.xml", xml)).decode()
    reply = call(mock.url(path or _path(mock)), "sendSummary", {"fileName": f"{name}.zip", "contentFile": content},
                 username=username, password=password)
    assert reply.status == 200 and not reply.is_fault, reply.body
    return reply.text("ticket")


def get_status(mock, ticket: str, credentials: tuple[str, str] | None = None) -> Reply:
    username, password = credentials or _credentials(mock)
    return call(mock.url(_path(mock)), "getStatus", {"ticket": ticket}, username=username, password=password)


def settled(reply: Reply) -> tuple[str, str, etree._Element | None]:
    """statusCode, the CDR's ResponseCode and the CDR of a settled ticket; an OSE's rejection is a fault
    (OSE manual §8.3): ``("fault", its code, None)``."""
    if reply.is_fault:
        return "fault", reply.code(), None
    status = reply.text("statusCode")
    _, xml = first_xml(base64.b64decode(reply.text("content")))
    cdr = etree.fromstring(xml)
    return status, cdr.xpath("//*[local-name()='ResponseCode']")[0].text, cdr


def summary_code(mock, name: str, xml: bytes) -> str:
    """Send a summary and follow its ticket to the end: the CDR's ResponseCode (the fault's code at an OSE)."""
    status, code, _ = settled(get_status(mock, send_summary(mock, name, xml)))
    rejected = "fault" if mock.app.engine.profile.fault_dialect == "ose" else "99"
    assert status == ("0" if code == "0" else rejected)
    return code


def bill(mock, base: str, issue_date: str = DAY, xml: bytes | None = None) -> Reply:
    username, password = _credentials(mock)
    document = xml if xml is not None else signed_document(f"{base}.xml", issue_date=issue_date)
    return send_bill(mock.url(_path(mock)), f"{base}.zip", write_document_zip(f"{base}.xml", document),
                     username=username, password=password)


def consult(mock, type_code: str, serie: str, numero: int) -> str:
    username, password = _credentials(mock)
    reply = call(mock.url("/ol-it-wsconscpegem/billConsultService"), "getStatus",
                 {"rucComprobante": RUC, "tipoComprobante": type_code, "serieComprobante": serie,
                  "numeroComprobante": str(numero)}, username=username, password=password)
    return reply.text("statusCode")


# -- progression ---------------------------------------------------------------------------------------
def test_ticket_answers_98_for_the_configured_polls(make_mock, tmp_path):
    mock = make_mock(_profile(tmp_path, ticket_after_polls=2), clock=CLOCK)
    ticket = send_summary(mock, *comunicacion_baja(DAY, [("01", "F001", 1)]))
    for _ in range(2):
        pending = get_status(mock, ticket)
        assert pending.text("statusCode") == "98"
        assert pending.text("content") is None and b"<content" not in pending.body
    status, code, _ = settled(get_status(mock, ticket))
    assert (status, code) == ("fault", "2105")  # F001-1 was never sent: the result waits for the ticket
    assert settled(get_status(mock, ticket))[:2] == ("fault", "2105")  # settled for good


def test_ticket_answers_98_for_the_configured_seconds(make_mock, tmp_path):
    mock = make_mock(_profile(tmp_path, ticket_after_seconds=0.6), clock=CLOCK)
    assert bill(mock, f"{RUC}-01-F001-1").status == 200
    ticket = send_summary(mock, *comunicacion_baja(DAY, [("01", "F001", 1)]))
    assert get_status(mock, ticket).text("statusCode") == "98"
    assert consult(mock, "01", "F001", 1) == "0001"  # not voided while the ticket is pending
    time.sleep(0.7)
    assert settled(get_status(mock, ticket))[:2] == ("0", "0")
    assert consult(mock, "01", "F001", 1) == "0003"


def test_admin_api_controls_one_ticket(make_mock, tmp_path):
    mock = make_mock(_profile(tmp_path, ticket_after_polls=100), clock=CLOCK)
    ticket = send_summary(mock, *comunicacion_baja(DAY, [("01", "F001", 1)]))
    admin = mock.url(f"/_osemock/tickets/{ticket}")
    assert requests.get(admin, timeout=10).json()["status_code"] == "98"
    assert requests.post(admin, json={"after_polls": 1}, timeout=10).json()["after_polls"] == 1
    assert get_status(mock, ticket).text("statusCode") == "98"
    assert get_status(mock, ticket).code() == "2105"  # settled: a rejection, a fault at an OSE
    other = send_summary(mock, *comunicacion_baja(DAY, [("01", "F001", 2)], number=2))
    state = requests.post(mock.url(f"/_osemock/tickets/{other}"), json={}, timeout=10).json()
    assert (state["status_code"], state["response_code"]) == ("99", "2105")
    assert requests.post(admin, json={}, timeout=10).status_code == 404  # no longer pending
    held = send_summary(mock, *comunicacion_baja(DAY, [("01", "F001", 3)], number=3))
    hold = mock.url(f"/_osemock/tickets/{held}")
    assert requests.post(hold, json={"after_polls": 2}, timeout=10).json()["status_code"] == "98"
    # the other value alone leaves the polls held (it settled the ticket at once)
    assert requests.post(hold, json={"after_seconds": 0}, timeout=10).json()["status_code"] == "98"
    assert get_status(mock, held).text("statusCode") == "98"
    for bad in ({"after_polls": 1.5}, {"after_polls": "2"}, {"weeks": 1}):
        assert requests.post(hold, json=bad, timeout=10).status_code == 400, bad
    assert requests.post(mock.url("/_osemock/tickets/1"), data=b"{", timeout=10).status_code == 400


def test_unknown_and_foreign_tickets(make_mock):
    ose = make_mock("ose", clock=CLOCK)
    assert_fault(get_status(ose, "1234567890123"), "0127", ose)
    ticket = send_summary(ose, *comunicacion_baja(DAY, [("01", "F001", 1)]))
    assert_fault(get_status(ose, ticket, ("20987654321BIZLINKS", "TESTBIZLINKS")), "0126", ose)
    beta = make_mock("sunat-beta", clock=CLOCK)
    unknown = get_status(beta, "1234567890123")
    assert unknown.status == 200 and unknown.text("statusCode") == "0127"
    assert unknown.text("content") == "El ticket no existe"  # plain text, as SUNAT beta writes it


def test_tickets_are_shared_by_processes_on_one_store(make_mock, tmp_path):
    db = tmp_path / "shared.sqlite3"
    profile = _profile(tmp_path, ticket_after_polls=1)
    first, second = make_mock(profile, db=db, clock=CLOCK), make_mock(profile, db=db, clock=CLOCK)
    assert bill(first, f"{RUC}-01-F001-1").status == 200
    ticket = send_summary(first, *comunicacion_baja(DAY, [("01", "F001", 1)]))
    assert get_status(second, ticket).text("statusCode") == "98"
    assert settled(get_status(second, ticket))[:2] == ("0", "0")
    assert settled(get_status(first, ticket))[:2] == ("0", "0")
    assert_fault(bill(second, f"{RUC}-01-F001-1"), "1032", second)


def test_bajas_of_one_factura_settled_at_once_by_two_processes_accept_one(tmp_path):
    """Each baja is judged and applied in one write transaction: two bajas of one factura sent at the
    same moment to two server processes on one store (each settles its ticket at once) give one
    acceptance and one 2323, never two acceptances (a judgement outside the transaction let both in)."""
    import threading

    from tests.serving import serve

    db = str(tmp_path / "shared.sqlite3")
    servers = [serve("--db", db, "--clock", CLOCK) for _ in range(2)]
    user, password = RUC + "BIZLINKS", "TESTBIZLINKS"

    def send(base: str, operation: str, name: str, xml: bytes) -> Reply:
        content = base64.b64encode(write_document_zip(f"{name}.xml", xml)).decode()
        return call(f"{base}/ol-ti-itcpe/billService", operation, {"fileName": f"{name}.zip", "contentFile": content},
                    username=user, password=password)

    try:
        for round_ in range(1, 13):
            xml = signed_document(f"{RUC}-01-F001-1.xml", issue_date=DAY, numero=round_)
            assert send(servers[0][1], "sendBill", f"{RUC}-01-F001-{round_}", xml).status == 200
            bajas = [comunicacion_baja(DAY, [("01", "F001", round_)], number=10 * round_ + n) for n in range(2)]
            start, tickets = threading.Barrier(2), {}

            def baja(n: int) -> None:
                start.wait()
                tickets[n] = (servers[n][1], send(servers[n][1], "sendSummary", *bajas[n]).text("ticket"))

            threads = [threading.Thread(target=baja, args=(n,)) for n in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            codes = []
            for base, ticket in tickets.values():
                reply = call(f"{base}/ol-ti-itcpe/billService", "getStatus", {"ticket": ticket},
                             username=user, password=password)
                codes.append(reply.code() if reply.is_fault else reply.text("statusCode"))
            assert sorted(codes) == ["0", "2323"], (round_, codes)
    finally:
        for process, _ in servers:
            process.terminate()
            process.wait(timeout=20)


def test_production_tickets_have_15_digits_and_name_the_cdr(make_mock, tmp_path):
    profile = tmp_path / "prod-like.yaml"
    profile.write_text("extends: sunat-prod\nname: prod-like\nwildcard_user: MODDATOS\nwildcard_password: moddatos\n")
    mock = make_mock(str(profile), clock=CLOCK)
    name, xml = comunicacion_baja(DAY, [("01", "F001", 1)])
    ticket = send_summary(mock, name, xml, path="/ol-ti-itcpfegem/billService")
    assert len(ticket) == 15 and ticket.startswith("2026")


# -- comunicación de baja -----------------------------------------------------------------------------------
def test_baja_voids_and_everything_else_sees_it(make_mock):
    mock = make_mock("ose", clock=CLOCK)
    assert bill(mock, f"{RUC}-01-F001-1").status == 200
    assert summary_code(mock, *comunicacion_baja(DAY, [("01", "F001", 1)])) == "0"
    assert consult(mock, "01", "F001", 1) == "0003"
    assert_fault(bill(mock, f"{RUC}-01-F001-1"), "1032", mock)
    # the same file again, then another RA for the same factura, then one for an unknown factura
    assert summary_code(mock, *comunicacion_baja(DAY, [("01", "F001", 1)])) == "2324"
    assert summary_code(mock, *comunicacion_baja(DAY, [("01", "F001", 1)], number=2)) == "2323"
    assert summary_code(mock, *comunicacion_baja(DAY, [("01", "F001", 99)], number=3)) == "2105"


def test_baja_checks_the_state_and_date_of_what_it_voids(make_mock):
    mock = make_mock("ose", clock=CLOCK)
    rejected = signed_document(f"{RUC}-01-F001-1.xml", issue_date=DAY).replace(
        b'<cbc:PayableAmount currencyID="PEN">354.00', b'<cbc:PayableAmount currencyID="PEN">300.00')
    assert_fault(bill(mock, f"{RUC}-01-F001-1", xml=resign(rejected)), "3280", mock)
    assert summary_code(mock, *comunicacion_baja(DAY, [("01", "F001", 1)])) == "2398"
    assert bill(mock, f"{RUC}-01-F001-4", issue_date="2026-11-19").status == 200
    assert summary_code(mock, *comunicacion_baja(DAY, [("01", "F001", 4)], number=2)) == "2375"


def test_a_rejected_summary_changes_nothing(make_mock):
    mock = make_mock("ose", clock=CLOCK)
    assert bill(mock, f"{RUC}-01-F001-1").status == 200
    name, xml = comunicacion_baja(DAY, [("01", "F001", 1), ("01", "F001", 77)])
    assert summary_code(mock, name, xml) == "2105"
    assert consult(mock, "01", "F001", 1) == "0001"
    assert summary_code(mock, *comunicacion_baja(DAY, [("01", "F001", 1)])) == "0"  # the name may be used again


@pytest.mark.parametrize("build, path, other", [
    (lambda: comunicacion_baja(DAY, [("01", "F001", 1)]), PATHS["sunat-beta"], "RR"),
    (lambda: resumen_reversiones(DAY, [("20", "R001", 1)]), "/ol-ti-itemision-otroscpe-gem-beta/billService", "RA"),
], ids=["RA-file-RR-id", "RR-file-RA-id"])
def test_a_communication_whose_id_names_the_other_kind_is_a_2220_of_its_ticket(make_mock, build, path, other):
    """An RA and an RR are both VoidedDocuments: the file name says which it is, and an ID naming the
    other kind is an ID that differs from the file name's (row 8 of both sheets), judged when the ticket
    is processed like any other — not a 1003 fault at sendSummary."""
    mock = make_mock("sunat-beta", clock=CLOCK)
    name, xml = build()
    own = name.split("-", 1)[1]
    xml = resign(xml.replace(f"<cbc:ID>{own}</cbc:ID>".encode(), f"<cbc:ID>{other}{own[2:]}</cbc:ID>".encode()))
    status, code, cdr = settled(call(mock.url(path), "getStatus", {"ticket": send_summary(mock, name, xml, path)},
                                     username=RUC + "MODDATOS", password="moddatos"))
    assert (status, code) == ("99", "2220")
    assert f'valor: "{other}{own[2:]}"' in cdr.xpath("//*[local-name()='Description']")[0].text


def test_a_summary_is_judged_in_its_sheets_order_the_id_against_the_file_name_at_its_row(make_mock):
    """The RA sheet's rows 8, 9 and 10 are 2220 (the ID ≠ the file name's), 2324 (presented before) and
    2346 (the issue date ≠ the file name's): the same file sent again with another issue date is 2324,
    and what comes before row 8 (row 6, the UBL version) is judged before the ID."""
    mock = make_mock("sunat-beta", clock=CLOCK)
    assert bill(mock, f"{RUC}-01-F001-1").status == 200
    name, xml = comunicacion_baja(DAY, [("01", "F001", 1)])
    assert summary_code(mock, name, xml) == "0"
    redated = xml.replace(f"<cbc:IssueDate>{DAY}</cbc:IssueDate>".encode(), b"<cbc:IssueDate>2026-11-19</cbc:IssueDate>")
    assert summary_code(mock, name, resign(redated.replace(f"<cbc:ReferenceDate>{DAY}<".encode(),
                                                           b"<cbc:ReferenceDate>2026-11-19<"))) == "2324"
    other_version = xml.replace(b"<cbc:UBLVersionID>2.0<", b"<cbc:UBLVersionID>2.1<").replace(
        b"<cbc:ID>RA-20261120-1<", b"<cbc:ID>RA-20261120-9<")
    assert summary_code(mock, f"{RUC}-RA-20261120-2", resign(other_version)) == "2074"


# -- resumen diario -------------------------------------------------------------------------------------
def test_resumen_diario_adds_modifies_and_voids_boletas(make_mock):
    mock = make_mock("ose", clock=CLOCK)
    assert bill(mock, f"{RUC}-03-B001-1").status == 200
    lines = [RcLine("03", "B001-21"), RcLine("03", "B001-22", total="59.00"),
             RcLine("07", "BC01-21", total="59.00", reference=("03", "B001-21"))]
    assert summary_code(mock, *resumen_diario(DAY, lines)) == "0"
    assert consult(mock, "03", "B001", 21) == "0001" and consult(mock, "07", "BC01", 21) == "0001"
    assert_fault(bill(mock, f"{RUC}-03-B001-21", xml=resign(signed_document(f"{RUC}-03-B001-1.xml", issue_date=DAY)
                                                             .replace(b"<cbc:ID>B001-1<", b"<cbc:ID>B001-21<"))),
                 "1033", mock)
    assert summary_code(mock, *resumen_diario(DAY, lines)) == "2223"  # the same file again
    second = [RcLine("03", "B001-22", "2", "70.80"), RcLine("03", "B001-1", "3")]
    assert summary_code(mock, *resumen_diario(DAY, second, number=2)) == "0"
    assert consult(mock, "03", "B001", 1) == "0003"
    stored = mock.app.engine.store.document(RUC, "03", "B001", 22)
    assert stored["payable_amount"] == "70.80"


@pytest.mark.parametrize("lines, code", [
    ([RcLine("03", "B001-1")], "2282"),                                      # added twice (sent by sendBill)
    ([RcLine("03", "B001-50", "2")], "2663"),                                # modifies what nobody informed
    ([RcLine("07", "BC01-50", reference=("03", "B001-60"))], "2989"),        # note on an unknown boleta
])
def test_resumen_diario_codes_against_the_store(make_mock, lines, code):
    mock = make_mock("ose", clock=CLOCK)
    assert bill(mock, f"{RUC}-03-B001-1").status == 200
    assert summary_code(mock, *resumen_diario(DAY, lines)) == code


def test_resumen_diario_on_voided_boletas_and_the_seven_days(make_mock):
    mock = make_mock("ose", clock=CLOCK)
    assert summary_code(mock, *resumen_diario(DAY, [RcLine("03", "B001-30")])) == "0"
    assert summary_code(mock, *resumen_diario(DAY, [RcLine("03", "B001-30", "3")], number=2)) == "0"
    assert summary_code(mock, *resumen_diario(DAY, [RcLine("03", "B001-30", "2")], number=3)) == "2987"
    note = [RcLine("07", "BC01-30", reference=("03", "B001-30"))]
    assert summary_code(mock, *resumen_diario(DAY, note, number=4)) == "2990"
    late = make_mock("ose", clock="2026-11-29T10:00:00-05:00")
    assert summary_code(late, *resumen_diario("2026-11-29", [RcLine("03", "B001-40")], reference_date=DAY)) == "0"
    name, xml = resumen_diario("2026-11-29", [RcLine("03", "B001-40", "3")], number=2, reference_date=DAY)
    assert summary_code(late, name, xml) == "2957"


def test_the_lines_of_one_resumen_diario_are_judged_together(make_mock):
    """A boleta an earlier line of the same summary adds counts as informed for 2663 (row 29), as it does
    for 2989: added and modified in one send is 3095 (row 38), which 2663 used to answer first; added
    and voided in one send no row forbids, and the boleta is kept, voided.  A void before the add is
    still 2663."""
    mock = make_mock("ose", clock=CLOCK)
    added_and_modified = [RcLine("03", "B001-70"), RcLine("03", "B001-70", "2", "70.80")]
    assert summary_code(mock, *resumen_diario(DAY, added_and_modified)) == "3095"
    added_and_voided = [RcLine("03", "B001-71"), RcLine("03", "B001-71", "3")]
    assert summary_code(mock, *resumen_diario(DAY, added_and_voided, number=2)) == "0"
    assert consult(mock, "03", "B001", 71) == "0003"
    voided_then_added = [RcLine("03", "B001-72", "3"), RcLine("03", "B001-72")]
    assert summary_code(mock, *resumen_diario(DAY, voided_then_added, number=3)) == "2663"
    assert consult(mock, "03", "B001", 70) != "0001" and consult(mock, "03", "B001", 72) != "0001"


def test_a_resumen_diario_cannot_void_an_old_boleta_by_stating_a_recent_reference_date(make_mock):
    """2957 (RC row 36) counts from the voided boleta's issue date ("…desde su fecha de emision", the row's
    list of electronic documents): a summary whose ReferenceDate is recent voided a boleta of any age."""
    from osemock.server.admin.client import AdminClient

    mock = make_mock("ose", clock="2026-11-10T12:00:00-05:00")
    assert bill(mock, f"{RUC}-03-B001-1", issue_date="2026-11-10").status == 200
    assert bill(mock, f"{RUC}-03-B001-20", issue_date="2026-11-10").status == 200
    AdminClient(mock.base_url).freeze("2026-11-17T12:00:00-05:00")
    name, xml = resumen_diario("2026-11-17", [RcLine("03", "B001-20", "3")], reference_date="2026-11-17")
    assert summary_code(mock, name, xml) == "0"  # the seventh day: still in time
    AdminClient(mock.base_url).freeze("2026-11-25T12:00:00-05:00")
    name, xml = resumen_diario("2026-11-25", [RcLine("03", "B001-1", "3")], number=2, reference_date="2026-11-25")
    assert summary_code(mock, name, xml) == "2957"
    assert consult(mock, "03", "B001", 1) == "0001"


# -- resumen de reversiones ---------------------------------------------------------------------------------
def test_reversion_voids_a_retention(make_mock):
    mock = make_mock("ose", clock=CLOCK)
    retention = f"{RUC}-20-R001-1"
    assert bill(mock, retention).status == 200
    assert summary_code(mock, *resumen_reversiones(DAY, [("20", "R001", 1)])) == "0"
    assert consult(mock, "20", "R001", 1) == "0003"
    assert_fault(bill(mock, retention), "1033", mock)  # its sheet: 1033 for estado 1 or 2, no 1032 row
    assert summary_code(mock, *resumen_reversiones(DAY, [("20", "R001", 1)])) == "2223"  # the same file again
    assert summary_code(mock, *resumen_reversiones(DAY, [("20", "R001", 1)], number=2)) == "2751"
    assert summary_code(mock, *resumen_reversiones(DAY, [("20", "R001", 9)], number=3)) == "2750"


def _miscounted_retention() -> bytes:
    """R001-1 with a total that is not its documents' (2628)."""
    from osemock.fixtures import _PARSER, dated, document_bytes

    unsigned = etree.tostring(dated(etree.fromstring(document_bytes(f"{RUC}-20-R001-1.xml"), _PARSER), DAY))
    return resign(unsigned.replace(b'<cbc:TotalInvoiceAmount currencyID="PEN">70.80<',
                                   b'<cbc:TotalInvoiceAmount currencyID="PEN">71.70<', 1))


def test_a_rejected_retention_may_be_sent_again_corrected(make_mock):
    """Its sheet's 1033 is for a number accepted or reverted (estado 1 or 2): a rejected retención's
    number is free, and the corrected one replaces it; a factura's stays taken (1032)."""
    mock = make_mock("ose", clock=CLOCK)
    retention = f"{RUC}-20-R001-1"
    assert_fault(bill(mock, retention, xml=_miscounted_retention()), "2628", mock)
    assert bill(mock, retention).status == 200
    assert consult(mock, "20", "R001", 1) == "0001"
    assert mock.app.engine.store.query("SELECT COUNT(*) AS n FROM documents WHERE type_code='20'")[0]["n"] == 1
    assert_fault(bill(mock, retention), "1033", mock)


def test_a_rejected_retention_is_no_document_to_reverse(make_mock):
    """A rejected retención is not in SUNAT's list (its number is free): an RR listing it is 2750 ("no
    existe") and leaves it as it was.  The RR was accepted and turned it into a reverted one, and the
    corrected retention was then 1033."""
    mock = make_mock("ose", clock=CLOCK)
    retention = f"{RUC}-20-R001-1"
    assert_fault(bill(mock, retention, xml=_miscounted_retention()), "2628", mock)
    assert summary_code(mock, *resumen_reversiones(DAY, [("20", "R001", 1)])) == "2750"
    assert consult(mock, "20", "R001", 1) == "0002"
    assert bill(mock, retention).status == 200
    assert summary_code(mock, *resumen_reversiones(DAY, [("20", "R001", 1)], number=2)) == "0"


def test_retention_goes_to_otroscpe_at_sunat(make_mock):
    mock = make_mock("sunat-beta", clock=CLOCK)
    name = f"{RUC}-20-R001-1"
    zipped = write_document_zip(f"{name}.xml", signed_document(f"{name}.xml", issue_date=DAY))
    wrong = send_bill(mock.url(PATHS["sunat-beta"]), f"{name}.zip", zipped, username=RUC + "MODDATOS", password="moddatos")
    assert_fault(wrong, "0151", mock)
    right = send_bill(mock.url("/ol-ti-itemision-otroscpe-gem-beta/billService"), f"{name}.zip", zipped,
                      username=RUC + "MODDATOS", password="moddatos")
    assert right.status == 200 and not right.is_fault


# -- consult ------------------------------------------------------------------------------------------------
def _bizlinks_get_status_cdr(mock, numero: str) -> Reply:
    body = (f'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            f'xmlns:ser="http://service.sunat.gob.pe"><soapenv:Header>'
            f'<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">'
            f"<wsse:UsernameToken><wsse:Username>{OSE[0]}</wsse:Username><wsse:Password>{OSE[1]}</wsse:Password>"
            f"</wsse:UsernameToken></wsse:Security></soapenv:Header><soapenv:Body><ser:getStatusCdr><statusCdr>"
            f"<numeroComprobante>{numero}</numeroComprobante><rucComprobante>{RUC}</rucComprobante>"
            f"<serieComprobante>F001</serieComprobante><tipoComprobante>01</tipoComprobante>"
            f"</statusCdr></ser:getStatusCdr></soapenv:Body></soapenv:Envelope>").encode()
    response = requests.post(mock.url(), data=body, headers={"Content-Type": "text/xml; charset=utf-8"}, timeout=30)
    return Reply(response.status_code, response.content)


def test_bizlinks_get_status_cdr(make_mock):
    mock = make_mock("ose", clock=CLOCK)
    assert bill(mock, f"{RUC}-01-F001-1").status == 200
    reply = _bizlinks_get_status_cdr(mock, "00000001")
    assert reply.status == 200 and reply.text("statusCode") == "0"
    assert reply.text("content") is None
    name, _ = first_xml(base64.b64decode(reply.text("document")))
    assert name == f"R-{RUC}-01-F001-1.xml"
    assert_fault(_bizlinks_get_status_cdr(mock, "1"), "0127", mock)


def test_sunat_shape_get_status_cdr_still_works_at_the_ose(make_mock):
    mock = make_mock("ose", clock=CLOCK)
    assert bill(mock, f"{RUC}-01-F001-1").status == 200
    reply = call(mock.url(), "getStatusCdr", {"rucComprobante": RUC, "tipoComprobante": "01", "serieComprobante": "F001",
                                              "numeroComprobante": "1"}, username=OSE[0], password=OSE[1])
    assert reply.text("statusCode") == "0" and reply.text("content")


# -- lots -----------------------------------------------------------------------------------------------------
def test_send_pack_settles_every_document_of_the_lot(make_mock, tmp_path):
    import io
    import zipfile

    mock = make_mock(_profile(tmp_path, ticket_after_polls=1), clock=CLOCK)
    good, duplicate = f"{RUC}-01-F001-1", f"{RUC}-01-F001-4"
    assert bill(mock, duplicate, issue_date=DAY).status == 200
    lot = io.BytesIO()
    with zipfile.ZipFile(lot, "w") as archive:
        for name in (good, duplicate):
            archive.writestr(f"{name}.xml", signed_document(f"{name}.xml", issue_date=DAY))
    username, password = _credentials(mock)
    reply = call(mock.url(), "sendPack", {"fileName": f"{RUC}-LT-20261120-1.zip",
                                          "contentFile": base64.b64encode(lot.getvalue()).decode()},
                 username=username, password=password)
    ticket = reply.text("ticket")
    assert get_status(mock, ticket).text("statusCode") == "98"
    assert mock.app.engine.store.document(RUC, "01", "F001", 1) is None  # processed with the ticket, not before
    final = get_status(mock, ticket)
    assert final.text("statusCode") == "99"
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(final.text("content")))) as results:
        names = results.namelist()
        assert f"R-{good}.zip" in names
        assert "1033" in results.read(f"R-{RUC}-LT-20261120-1-errors.txt").decode()
    assert mock.app.engine.store.document(RUC, "01", "F001", 1)["status"] == "accepted"


def _lot(mock, names: list[str], number: int = 1) -> str:
    import io
    import zipfile

    lot = io.BytesIO()
    with zipfile.ZipFile(lot, "w") as archive:
        for name in names:
            archive.writestr(f"{name}.xml", signed_document(f"{name}.xml", issue_date=DAY))
    username, password = _credentials(mock)
    reply = call(mock.url(), "sendPack", {"fileName": f"{RUC}-LT-20261120-{number}.zip",
                                          "contentFile": base64.b64encode(lot.getvalue()).decode()},
                 username=username, password=password)
    return reply.text("ticket")


def test_a_lot_taken_over_after_a_crash_counts_what_it_stored_as_its_own(make_mock, tmp_path):
    """A crash while a lot settles leaves some of its documents stored and the ticket claimed at 98. The
    claim ages in real time (the mock's clock is frozen here), another poller takes it over, and the
    documents the lot had stored are its results, not 1033 duplicates."""
    import io
    import zipfile
    from datetime import datetime, timedelta, timezone

    from osemock.server.admin.client import AdminClient
    from osemock.server.engine.bill import process_document
    from osemock.server.engine.claims import Claim
    from osemock.server.engine.intake import Received, parse_document
    from osemock.cpe.naming import parse_xml_name
    from osemock.server.engine.auth import Principal

    mock = make_mock(_profile(tmp_path, ticket_after_polls=1), clock=CLOCK)
    AdminClient(mock.base_url).freeze(CLOCK)
    first, second = f"{RUC}-01-F001-1", f"{RUC}-01-F001-4"
    ticket = _lot(mock, [first, second])
    assert get_status(mock, ticket).text("statusCode") == "98"
    # the state a crash leaves: the first document stored by the lot, the claim taken and never released
    engine, xml = mock.app.engine, signed_document(f"{first}.xml", issue_date=DAY)
    root, header = parse_document(xml)
    name = parse_xml_name(f"{first}.xml")
    process_document(engine, Received(Principal(RUC, ""), name, xml, f"{first}.xml", xml, root, header),
                     engine.clock.now(), f"{first}.zip", lot=Claim.take(engine.store, ticket))
    with engine.store.transaction() as db:
        db.execute("UPDATE tickets SET claimed_at=? WHERE ticket=?",
                   ((datetime.now(timezone.utc) - timedelta(seconds=5)).isoformat(), ticket))
    AdminClient(mock.base_url).advance(days=1)  # the mock's clock moves on; a live claim stays live
    assert get_status(mock, ticket).text("statusCode") == "98"
    with engine.store.transaction() as db:  # a minute of real time later the claim is stale
        db.execute("UPDATE tickets SET claimed_at=? WHERE ticket=?",
                   ((datetime.now(timezone.utc) - timedelta(seconds=61)).isoformat(), ticket))
    final = get_status(mock, ticket)
    assert final.text("statusCode") == "0", final.body
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(final.text("content")))) as results:
        assert sorted(results.namelist()) == [f"R-{first}.zip", f"R-{second}.zip"]
    assert_fault(bill(mock, first), "1033", mock)  # to anyone else it is a duplicate


def test_a_guia_in_a_lot_at_sunat_is_1085_as_alone(make_mock):
    """A lot's entry is judged as a sendBill at its path: a guía at SUNAT's billService is 1085 there too."""
    mock = make_mock("sunat-beta", clock=CLOCK)
    good, guia = f"{RUC}-01-F001-4", f"{RUC}-09-T001-1"
    ticket = _send_lot(mock, [(f"{good}.xml", signed_document(f"{good}.xml", issue_date=DAY)),
                              (f"{guia}.xml", signed_document(f"{good}.xml", issue_date=DAY))], path=PATHS["sunat-beta"])
    final = get_status(mock, ticket)
    assert final.text("statusCode") == "99", final.body
    errors = _lot_results(final)[f"R-{RUC}-LT-20261120-1-errors.txt"].decode()
    assert errors.startswith(f"{guia}.xml: 1085 - Debe enviar las guias de remisión por el nuevo sistema"), errors


def _send_lot(mock, entries: list[tuple[str, bytes]], number: int = 1, path: str | None = None) -> str:
    """A lot of the given ``(entry name, XML)`` pairs, in that order (a name may come twice), at ``path``
    (the OSE's by default)."""
    import io
    import warnings
    import zipfile

    lot = io.BytesIO()
    with zipfile.ZipFile(lot, "w") as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of a duplicate name, which is the point
        for name, xml in entries:
            archive.writestr(name, xml)
    username, password = _credentials(mock)
    reply = call(mock.url(*filter(None, [path])), "sendPack", {"fileName": f"{RUC}-LT-20261120-{number}.zip",
                                                               "contentFile": base64.b64encode(lot.getvalue()).decode()},
                 username=username, password=password)
    return reply.text("ticket")


def _lot_results(reply: Reply) -> dict[str, bytes]:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(base64.b64decode(reply.text("content")))) as results:
        return {name: results.read(name) for name in results.namelist()}


#: F001-1 written zero-padded, with another sample's content (another total): the same number, other data
_OTHER_F001_1 = (f"{RUC}-01-F001-00000001.xml", lambda: resign(signed_document(
    f"{RUC}-01-F001-4.xml", issue_date=DAY, numero=1).replace(b"<cbc:ID>F001-1</cbc:ID>", b"<cbc:ID>F001-00000001</cbc:ID>")))
_SAME_F001_1 = (f"{RUC}-01-F001-1.xml", lambda: signed_document(f"{RUC}-01-F001-1.xml", issue_date=DAY))


@pytest.mark.parametrize("second", [_OTHER_F001_1, _SAME_F001_1], ids=["other-name-and-content", "same-name"])
def test_a_second_entry_with_the_number_of_an_earlier_one_is_a_duplicate(make_mock, second):
    """Every entry of a lot is judged as a sendBill would be: the second one with a number is 1033, listed
    in the errors, not reported accepted with the first one's CDR (and lost)."""
    mock = make_mock(clock=CLOCK)
    first = f"{RUC}-01-F001-1"
    ticket = _send_lot(mock, [(f"{first}.xml", signed_document(f"{first}.xml", issue_date=DAY)),
                              (second[0], second[1]())])
    final = get_status(mock, ticket)
    assert final.text("statusCode") == "99", final.body
    results = _lot_results(final)
    assert set(results) == {f"R-{first}.zip", f"R-{RUC}-LT-20261120-1-errors.txt"}
    assert results[f"R-{RUC}-LT-20261120-1-errors.txt"].decode().startswith(f"{second[0]}: 1033 - ")
    assert mock.app.engine.store.document(RUC, "01", "F001", 1)["file_name"] == f"{first}.zip"


def _liquidacion() -> tuple[str, bytes]:
    """A liquidación de compra (04): an Invoice typed 04, which SUNAT's factura path takes and an OSE's not."""
    name = f"{RUC}-04-F001-1"
    return f"{name}.xml", resign(signed_document(f"{RUC}-01-F001-1.xml", issue_date=DAY).replace(
        b">01</cbc:InvoiceTypeCode>", b">04</cbc:InvoiceTypeCode>"))


def _retention() -> tuple[str, bytes]:
    name = f"{RUC}-20-R001-1"
    return f"{name}.xml", signed_document(f"{name}.xml", issue_date=DAY)


@pytest.mark.parametrize("profile, path, entry, type_code", [
    ("ose", PATHS["ose"], _liquidacion, "04"),
    ("sunat-beta", PATHS["sunat-beta"], _retention, "20"),
], ids=["liquidacion-at-the-ose", "retention-at-sunat-factura-path"])
def test_a_lot_entry_of_a_type_its_path_does_not_take_is_0151(make_mock, profile, path, entry, type_code):
    """An entry is judged as a sendBill at the lot's path would be: a type that path does not take is 0151
    in the lot's errors, and is not stored; it was processed (accepted) whatever the path."""
    mock = make_mock(profile, clock=CLOCK)
    good = f"{RUC}-01-F001-4"
    untaken, xml = entry()
    ticket = _send_lot(mock, [(f"{good}.xml", signed_document(f"{good}.xml", issue_date=DAY)), (untaken, xml)],
                       path=path)
    final = get_status(mock, ticket)
    assert final.text("statusCode") == "99", final.body
    results = _lot_results(final)
    assert set(results) == {f"R-{good}.zip", f"R-{RUC}-LT-20261120-1-errors.txt"}
    errors = results[f"R-{RUC}-LT-20261120-1-errors.txt"].decode()
    assert errors.startswith(f'{untaken}: 0151 - '), errors
    assert f'"{untaken} codigo cpe: {type_code}" no es un cpe valido' in errors
    assert mock.app.engine.store.document(RUC, type_code, untaken.split("-")[2], 1) is None
    assert mock.app.engine.store.document(RUC, "01", "F001", 4)["status"] == "accepted"


def test_a_lot_keeps_its_path_through_a_snapshot_and_the_admin_views_show_it(make_mock, tmp_path, capsys):
    """The path a lot came in on decides its entries' 0151, so the admin views show it, and a snapshot
    carries it: imported as exported, the -04- at the OSE's path is 0151 when the lot settles.  An import
    names a path no lot comes in on (it took any text, and the lot then settled without the check, or by
    another path's types).  A ticket without one, from a snapshot exported before tickets kept it, is
    imported as a store of that osemock is opened: without a path, settled without the check."""
    import json

    from osemock.cli import main
    from osemock.server.admin.client import AdminClient, AdminError

    mock = make_mock(_profile(tmp_path, ticket_after_polls=1), clock=CLOCK)
    admin = AdminClient(mock.base_url)
    untaken, xml = _liquidacion()
    ticket = _send_lot(mock, [(untaken, xml)])
    assert admin.ticket(ticket)["path"] == PATHS["ose"]
    assert [shown["path"] for shown in admin.tickets()["tickets"]] == [PATHS["ose"]]
    assert main(["admin", "--url", mock.base_url, "ticket", ticket]) == 0
    assert json.loads(capsys.readouterr().out)["path"] == PATHS["ose"]
    snapshot = admin.export_snapshot(journal=False)
    (row,) = snapshot["tables"]["tickets"]
    assert row["path"] == PATHS["ose"]

    def with_ticket(ticket_row: dict[str, Any]) -> dict[str, Any]:
        return {**snapshot, "tables": {**snapshot["tables"], "tickets": [ticket_row]}}

    lot_paths = "/ol-ti-itcpe/billService, /ol-ti-itcpfegem-beta/billService, /ol-ti-itcpfegem/billService"
    for wrong in ("/nowhere", "/ol-it-wsconscpegem/billConsultService", "/ol-ti-itemision-otroscpe-gem/billService"):
        with pytest.raises(AdminError) as refused:
            admin.import_snapshot(with_ticket({**row, "path": wrong}))
        assert refused.value.status == 400
        assert refused.value.message == (f"table 'tickets', row 0: path is the service path a sendPack came in on "
                                         f"({lot_paths}), not {wrong!r}")
    assert admin.import_snapshot(with_ticket(row))["imported"]["tickets"] == 1
    settled = admin.release(ticket)
    assert (settled["status_code"], settled["response_code"]) == ("99", "0151")
    for older in ({name: value for name, value in row.items() if name != "path"}, {**row, "path": None}):
        admin.import_snapshot(with_ticket(older))
        assert admin.ticket(ticket)["path"] is None
        settled = admin.release(ticket)
        assert (settled["status_code"], settled["response_code"]) == ("0", "0")   # as that osemock settled it
        assert mock.app.engine.store.document(RUC, "04", "F001", 1)["status"] == "accepted"


def test_a_lot_taken_over_after_a_crash_still_refuses_its_second_entry_of_a_number(make_mock, tmp_path):
    """The takeover counts the stored document as the result of the first entry with its number only."""
    from datetime import datetime, timedelta, timezone

    from osemock.cpe.naming import parse_xml_name
    from osemock.server.engine.auth import Principal
    from osemock.server.engine.bill import process_document
    from osemock.server.engine.claims import Claim
    from osemock.server.engine.intake import Received, parse_document

    mock = make_mock(_profile(tmp_path, ticket_after_polls=1), clock=CLOCK)
    first = f"{RUC}-01-F001-1"
    xml = signed_document(f"{first}.xml", issue_date=DAY)
    ticket = _send_lot(mock, [(f"{first}.xml", xml), (_OTHER_F001_1[0], _OTHER_F001_1[1]())])
    assert get_status(mock, ticket).text("statusCode") == "98"
    engine = mock.app.engine  # the state a crash leaves: the first entry stored, the claim stale
    root, header = parse_document(xml)
    process_document(engine, Received(Principal(RUC, ""), parse_xml_name(f"{first}.xml"), xml, f"{first}.xml", xml,
                                      root, header), engine.clock.now(), f"{first}.zip", lot=Claim.take(engine.store, ticket))
    with engine.store.transaction() as db:
        db.execute("UPDATE tickets SET claimed_at=? WHERE ticket=?",
                   ((datetime.now(timezone.utc) - timedelta(seconds=61)).isoformat(), ticket))
    final = get_status(mock, ticket)
    assert final.text("statusCode") == "99", final.body
    results = _lot_results(final)
    assert set(results) == {f"R-{first}.zip", f"R-{RUC}-LT-20261120-1-errors.txt"}
    assert f"{_OTHER_F001_1[0]}: 1033 - " in results[f"R-{RUC}-LT-20261120-1-errors.txt"].decode()


def _two_servers_and_a_lot(make_mock, tmp_path, during: dict[int, Callable[[Any], None]]) -> tuple[Any, Any, str]:
    """Two mocks on one store (two server processes, as far as the store can tell) and a lot of F001-1..3
    held for a poll; the first runs ``during[n](second)`` when it judges F001-n (a check of its own, after
    the workbook's: the document is not stored yet and the settling holds no transaction), whose findings,
    if it returns any, are F001-n's."""
    db, profile = tmp_path / "shared.sqlite3", _profile(tmp_path, ticket_after_polls=1)
    first, second = make_mock(profile, db=db, clock=CLOCK), make_mock(profile, db=db, clock=CLOCK)

    def meanwhile(source: Any) -> list[Any]:
        if source.file_name.numero in during:
            return during.pop(source.file_name.numero)(second) or []
        return []

    first.app.engine.checks.append(meanwhile)
    names = [f"{RUC}-01-F001-{n}" for n in (1, 2, 3)]
    ticket = _send_lot(first, [(f"{name}.xml", signed_document(f"{RUC}-01-F001-1.xml", issue_date=DAY, numero=n))
                               for n, name in enumerate(names, 1)])
    assert get_status(first, ticket).text("statusCode") == "98"
    return first, second, ticket


def _age_the_claim(mock, ticket: str) -> None:
    """The claim's last renewal a minute of real time ago, as a stopped or starved process leaves it."""
    from datetime import datetime, timedelta, timezone

    with mock.app.engine.store.transaction() as db:
        db.execute("UPDATE tickets SET claimed_at=? WHERE ticket=?",
                   ((datetime.now(timezone.utc) - timedelta(seconds=61)).isoformat(), ticket))


def test_a_lot_settling_that_stalled_and_was_taken_over_writes_nothing_more(make_mock, tmp_path):
    """The settling of a lot stalls past the claim's timeout after it stored F001-1 (a SIGSTOPped or
    starved worker); the other server takes it over and settles it at 0.  When the first resumes it
    stores nothing and writes no result of its own: the ticket stays at 0 with the other's CDRs (the
    first overwrote it with 99, F001-2 'informado anteriormente', its CDR missing from the result)."""
    from osemock.server.engine.tickets import process_ticket

    taken_over = {}

    def stall_and_take_over(second) -> None:
        _age_the_claim(second, ticket)
        process_ticket(second.app.engine, ticket)   # the other server's poll
        taken_over.update(second.app.engine.store.query("SELECT * FROM tickets WHERE ticket=?", (ticket,))[0])

    first, second, ticket = _two_servers_and_a_lot(make_mock, tmp_path, {2: stall_and_take_over})
    final = get_status(first, ticket)   # the first server's poll settles it, stalls at F001-2, resumes
    assert taken_over["status_code"] == "0"
    assert final.text("statusCode") == "0", final.body
    assert base64.b64decode(final.text("content")) == taken_over["cdr_zip"]
    assert sorted(_lot_results(final)) == [f"R-{RUC}-01-F001-{n}.zip" for n in (1, 2, 3)]
    row = first.app.engine.store.query("SELECT * FROM tickets WHERE ticket=?", (ticket,))[0]
    assert (row["status_code"], row["response_code"], row["processed_at"]) == ("0", "0", taken_over["processed_at"])


def test_a_lot_settling_slow_but_alive_keeps_its_claim(make_mock, tmp_path):
    """A settling renews its claim with each document it stores: a lot whose F001-2 took a minute to judge
    is still its settler's after storing it, and another server's poll leaves it alone (it took the lot
    over, and the first then turned its 0 into 99)."""
    from osemock.server.engine.tickets import process_ticket

    others_poll = {}

    def poll_from_the_other(second) -> None:
        process_ticket(second.app.engine, ticket)
        others_poll.update(second.app.engine.store.query("SELECT status_code FROM tickets WHERE ticket=?", (ticket,))[0])

    first, second, ticket = _two_servers_and_a_lot(
        make_mock, tmp_path, {2: lambda second: _age_the_claim(second, ticket), 3: poll_from_the_other})
    final = get_status(first, ticket)
    assert others_poll == {"status_code": "98"}
    assert final.text("statusCode") == "0", final.body
    assert sorted(_lot_results(final)) == [f"R-{RUC}-01-F001-{n}.zip" for n in (1, 2, 3)]


def test_a_lot_settling_slow_but_alive_keeps_its_claim_through_entries_it_does_not_store(make_mock, tmp_path):
    """A settling renews its claim with each entry it judges, whatever the verdict: a lot whose F001-2 took
    a minute to judge and was refused without being stored (an exception, 1083) is still its settler's,
    and another server's poll leaves it alone.  Before, only a stored document renewed the claim: a run
    of refused entries let it age, the other server took the live settling over and settled the lot a
    second time (F001-2 accepted there, the first's work thrown away)."""
    from osemock.server.engine.tickets import process_ticket
    from osemock.server.engine.validation import Finding

    others_poll = {}

    def slow_and_refused(second) -> list[Finding]:
        _age_the_claim(second, ticket)
        return [Finding("1083", "error")]

    def poll_from_the_other(second) -> None:
        process_ticket(second.app.engine, ticket)
        others_poll.update(second.app.engine.store.query("SELECT status_code FROM tickets WHERE ticket=?", (ticket,))[0])

    first, second, ticket = _two_servers_and_a_lot(make_mock, tmp_path, {2: slow_and_refused, 3: poll_from_the_other})
    final = get_status(first, ticket)
    assert others_poll == {"status_code": "98"}
    assert final.text("statusCode") == "99", final.body
    results = _lot_results(final)
    assert sorted(results) == [f"R-{RUC}-01-F001-1.zip", f"R-{RUC}-01-F001-3.zip", f"R-{RUC}-LT-20261120-1-errors.txt"]
    assert results[f"R-{RUC}-LT-20261120-1-errors.txt"].decode().startswith(f"{RUC}-01-F001-2.xml: 1083 - ")
    assert first.app.engine.store.document(RUC, "01", "F001", 2) is None


def _claimed_in_lima_time_5_s_ago() -> str:
    from datetime import datetime, timedelta, timezone

    return (datetime.now(timezone.utc) - timedelta(seconds=5)).astimezone(timezone(timedelta(hours=-5))).isoformat()


def _claimed_in_another_offset_90_s_ago() -> str:
    from datetime import datetime, timedelta, timezone

    return (datetime.now(timezone.utc) - timedelta(seconds=90)).astimezone(timezone(timedelta(hours=5))).isoformat()


def _claimed_with_z_a_fraction_of_a_second_past_the_timeout() -> str:
    """The claim's timeout ends within this second, after the claim: ``…:05Z`` against ``…:05.3+00:00``."""
    from datetime import datetime, timedelta, timezone

    while datetime.now(timezone.utc).microsecond > 300_000:  # room in this second for the poll that follows
        time.sleep(0.05)
    moment = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(seconds=60)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize("claimed_at, taken_over", [
    (_claimed_in_lima_time_5_s_ago, False),
    (_claimed_in_another_offset_90_s_ago, True),
    (_claimed_with_z_a_fraction_of_a_second_past_the_timeout, True),
], ids=["live-in-lima-time", "stale-in-another-offset", "stale-written-with-z"])
def test_a_claim_ages_by_its_moment_whatever_its_iso_form(make_mock, tmp_path, claimed_at, taken_over):
    """A claim's age is its moment's, in any ISO form a snapshot imports (an offset, ``Z``, any precision).
    Compared as text with the UTC moment the claims write, a live claim written in Lima time was taken
    over (``03:…-05:00`` sorts before ``08:…+00:00``), a stale one in another offset held the ticket at
    98 for hours, and a stale ``…:05Z`` was live against ``…:05.3+00:00``."""
    mock = make_mock(_profile(tmp_path, ticket_after_polls=1), clock=CLOCK)
    ticket = _lot(mock, [f"{RUC}-01-F001-1"])
    assert get_status(mock, ticket).text("statusCode") == "98"   # due from the next poll on
    with mock.app.engine.store.transaction() as db:   # another process's claim, as a snapshot brought it
        db.execute("UPDATE tickets SET claimed_at=?, claimed_by='another' WHERE ticket=?", (claimed_at(), ticket))
    assert get_status(mock, ticket).text("statusCode") == ("0" if taken_over else "98")


def test_a_summary_settling_that_stalled_and_was_taken_over_changes_nothing(make_mock, tmp_path):
    """The same for an RA: its settling stalls between its claim and its transaction, the other server
    takes it over and voids the factura at 0; the first, resumed, neither judges it again nor writes
    (it found its own file presented, and turned the ticket's 0 into a 2324)."""
    from osemock.server.engine.tickets import process_ticket

    db, profile = tmp_path / "shared.sqlite3", _profile(tmp_path, ticket_after_polls=1)
    first, second = make_mock(profile, db=db, clock=CLOCK), make_mock(profile, db=db, clock=CLOCK)
    assert bill(first, f"{RUC}-01-F001-1").status == 200
    ticket = send_summary(first, *comunicacion_baja(DAY, [("01", "F001", 1)]))
    assert get_status(first, ticket).text("statusCode") == "98"

    def stall_after_the_claim(statement: str) -> None:
        if statement.startswith("SELECT * FROM tickets") and not taken_over:
            taken_over.append(True)
            _age_the_claim(second, ticket)
            process_ticket(second.app.engine, ticket)

    taken_over: list[bool] = []
    store = first.app.engine.store
    store.query("SELECT 1")  # this thread's connection, which the first server's settling uses here
    store._connection().set_trace_callback(stall_after_the_claim)
    try:
        process_ticket(first.app.engine, ticket)   # the first server's poll, in this thread
    finally:
        store._connection().set_trace_callback(None)
    assert taken_over
    assert settled(get_status(first, ticket))[:2] == ("0", "0")
    assert consult(first, "01", "F001", 1) == "0003"


# -- perceptions collect on the agent's own documents -------------------------------------------------------
def _renamed(sample: str, old_id: bytes, new_id: bytes, issue_date: str, *more: tuple[bytes, bytes]) -> bytes:
    xml = signed_document(sample, issue_date=issue_date).replace(b"<cbc:ID>" + old_id + b"</cbc:ID>",
                                                                 b"<cbc:ID>" + new_id + b"</cbc:ID>")
    for old, new in more:
        xml = xml.replace(old, new)
    return resign(xml)


def test_perception_needs_the_documents_it_collects_on(make_mock, tmp_path):
    mock = make_mock(_profile(tmp_path, max_days_late=30), clock=CLOCK)
    perception = f"{RUC}-40-P001-1"
    assert_fault(bill(mock, perception), "2609", mock)  # F001-152 was never sent
    credit = _renamed(f"{RUC}-01-F001-7.xml", b"F001-7", b"F001-152", "2026-11-12")
    assert bill(mock, f"{RUC}-01-F001-152", xml=credit).status == 200
    other_day = _renamed(f"{perception}.xml", b"P001-1", b"P001-2", DAY,
                         (b"<cbc:IssueDate>2026-11-12</cbc:IssueDate>", b"<cbc:IssueDate>2026-11-13</cbc:IssueDate>"))
    assert_fault(bill(mock, f"{RUC}-40-P001-2", xml=other_day), "2610", mock)
    assert bill(mock, f"{RUC}-40-P001-3", xml=_renamed(f"{perception}.xml", b"P001-1", b"P001-3", DAY)).status == 200
    cash = _renamed(f"{RUC}-01-F001-1.xml", b"F001-1", b"F001-153", "2026-11-12")
    assert bill(mock, f"{RUC}-01-F001-153", xml=cash).status == 200
    on_cash = _renamed(f"{perception}.xml", b"P001-1", b"P001-4", DAY, (b">F001-152<", b">F001-153<"))
    assert_fault(bill(mock, f"{RUC}-40-P001-4", xml=on_cash), "3329", mock)


def test_a_date_with_an_offset_is_compared_by_its_day(make_mock, tmp_path):
    """An xs:date's timezone is no part of its day: a factura dated ``…-05:00`` is collected on by a
    perception stating the day (it was 2610) and voided by an RA whose ReferenceDate is that day (it was
    2375); a perception or an RA writing the offset itself is read the same."""
    mock = make_mock(_profile(tmp_path, max_days_late=30), clock=CLOCK)
    perception = f"{RUC}-40-P001-1"
    with_offset = (b"<cbc:IssueDate>2026-11-12</cbc:IssueDate>", b"<cbc:IssueDate>2026-11-12-05:00</cbc:IssueDate>")
    credit = _renamed(f"{RUC}-01-F001-7.xml", b"F001-7", b"F001-152", "2026-11-12", with_offset)
    assert bill(mock, f"{RUC}-01-F001-152", xml=credit).status == 200
    assert bill(mock, perception, xml=_renamed(f"{perception}.xml", b"P001-1", b"P001-1", DAY)).status == 200
    stating_the_offset = _renamed(f"{perception}.xml", b"P001-1", b"P001-2", DAY, with_offset)
    assert bill(mock, f"{RUC}-40-P001-2", xml=stating_the_offset).status == 200
    for numero in (1, 2):
        day = f"<cbc:IssueDate>{DAY}</cbc:IssueDate>".encode()
        factura = _renamed(f"{RUC}-01-F001-1.xml", b"F001-1", f"F001-{numero}".encode(), DAY, (day, day.replace(b"</", b"Z</")))
        assert bill(mock, f"{RUC}-01-F001-{numero}", xml=factura).status == 200
    assert summary_code(mock, *comunicacion_baja(DAY, [("01", "F001", 1)], reference_date=DAY)) == "0"
    assert summary_code(mock, *comunicacion_baja(DAY, [("01", "F001", 2)], number=2, reference_date=f"{DAY}-05:00")) == "0"
    assert consult(mock, "01", "F001", 1) == consult(mock, "01", "F001", 2) == "0003"


def test_perception_references_can_be_switched_off(make_mock, tmp_path):
    mock = make_mock(_profile(tmp_path, check_note_references="false"), clock=CLOCK)
    assert bill(mock, f"{RUC}-40-P001-1").status == 200


@pytest.mark.parametrize("type_code, serie, code", [("01", "F001", "3312"), ("03", "B001", "3328")])
def test_perception_on_a_document_that_already_carries_one(make_mock, tmp_path, type_code, serie, code):
    """A factura (or boleta) of operation 2001 already states its perception: a comprobante de
    percepción on it is refused.  The stored document is written as an accepted one would be."""
    mock = make_mock(_profile(tmp_path, max_days_late=30), clock=CLOCK)
    sold_with_perception = signed_document(f"{RUC}-01-F001-7.xml", issue_date="2026-11-12").replace(
        b">0101</cbc:ProfileID>", b">2001</cbc:ProfileID>")
    mock.app.engine.store.add_document({
        "emitter_ruc": RUC, "type_code": type_code, "serie": serie, "numero": 152, "status": "accepted",
        "response_code": "0", "file_name": f"{RUC}-{type_code}-{serie}-152.zip", "xml": sold_with_perception,
        "issue_date": "2026-11-12", "received_at": CLOCK, "responded_at": CLOCK})
    perception = signed_document(f"{RUC}-40-P001-1.xml", issue_date=DAY)
    if type_code == "03":
        perception = resign(perception.replace(b'<cbc:ID schemeID="01">F001-152', b'<cbc:ID schemeID="03">B001-152'))
    assert_fault(bill(mock, f"{RUC}-40-P001-1", xml=perception), code, mock)


@pytest.mark.parametrize("after_polls", [0, 1])
def test_a_ticket_a_reset_forgets_while_it_is_settled_ends_quietly(make_mock, tmp_path, after_polls):
    """An admin reset that lands between a ticket's claim and its processing deletes the ticket; the
    processing must then stop (it answered 0100 from an IndexError) and getStatus answer 0127.  A
    trigger of the real store deletes the row at the claim, where a racing reset would."""
    mock = make_mock(_profile(tmp_path, ticket_after_polls=after_polls), clock=CLOCK)
    with mock.app.engine.store.transaction() as db:
        db.execute("CREATE TRIGGER reset_at_the_claim AFTER UPDATE OF claimed_at ON tickets "
                   "BEGIN DELETE FROM tickets WHERE ticket = NEW.ticket; END")
    ticket = send_summary(mock, *comunicacion_baja(DAY, [("01", "F001", 1)]))
    for _ in range(after_polls):
        assert get_status(mock, ticket).text("statusCode") == "98"
    reply = get_status(mock, ticket)
    assert reply.is_fault and reply.code() == "0127", reply.body


# -- what helper audits found: reception date, lots at production, other emitters' CDRs --------------------
def test_a_ticket_is_judged_as_of_the_day_its_file_came_not_the_day_it_is_polled(make_mock, tmp_path):
    """2957 counts the days from the baja's issue to its *reception* (the workbook's words): a ticket
    held for a poll and settled the next day must answer what it would have answered at once."""
    from osemock.server.admin.client import AdminClient

    mock = make_mock(_profile(tmp_path, ticket_after_polls=1), clock=CLOCK)
    admin = AdminClient(mock.base_url)
    admin.freeze("2026-11-02T10:00:00-05:00")
    assert bill(mock, f"{RUC}-01-F001-1", issue_date="2026-11-02").status == 200
    admin.advance(days=7)  # the last day a baja of a document issued on the 2nd is received
    ticket = send_summary(mock, *comunicacion_baja("2026-11-09", [("01", "F001", 1)], reference_date="2026-11-02"))
    assert get_status(mock, ticket).text("statusCode") == "98"
    admin.advance(days=1)
    status, code, _ = settled(get_status(mock, ticket))
    assert (status, code) == ("0", "0")


def test_a_lot_with_a_rejected_document_is_99_where_rejections_are_cdrs(make_mock, tmp_path):
    """sunat-prod answers a rejection as a CDR, not a fault: in a lot it is still a rejection (99)."""
    import io
    import zipfile

    profile = tmp_path / "prod-like.yaml"
    profile.write_text("extends: sunat-prod\nname: prod-like\nwildcard_user: MODDATOS\nwildcard_password: moddatos\n")
    mock = make_mock(str(profile), clock=CLOCK)
    good, bad = f"{RUC}-01-F001-1", f"{RUC}-01-F001-4"
    rejected = resign(signed_document(f"{bad}.xml", issue_date=DAY).replace(
        b'<cbc:PayableAmount currencyID="PEN">', b'<cbc:PayableAmount currencyID="PEN">1'))
    lot = io.BytesIO()
    with zipfile.ZipFile(lot, "w") as archive:
        archive.writestr(f"{good}.xml", signed_document(f"{good}.xml", issue_date=DAY))
        archive.writestr(f"{bad}.xml", rejected)
    username, password = _credentials(mock)
    reply = call(mock.url("/ol-ti-itcpfegem/billService"), "sendPack",
                 {"fileName": f"{RUC}-LT-20261120-1.zip", "contentFile": base64.b64encode(lot.getvalue()).decode()},
                 username=username, password=password)
    final = get_status(mock, reply.text("ticket"))
    assert final.text("statusCode") == "99"
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(final.text("content")))) as results:
        assert {f"R-{good}.zip", f"R-{bad}.zip"} <= set(results.namelist())  # the rejection's CDR is kept
        assert "3280" in results.read(f"R-{RUC}-LT-20261120-1-errors.txt").decode()
    assert mock.app.engine.store.document(RUC, "01", "F001", 4)["status"] == "rejected"


@pytest.mark.parametrize("profile, path, operation, absent", [
    ("sunat-beta", "/ol-ti-itcpfegem-beta/billService", "getStatusAR", "0011"),
    ("ose", "/ol-it-wsconscpegem/billConsultService", "getStatus", "0011"),
    ("ose", "/ol-it-wsconscpegem/billConsultService", "getStatusCdr", "0011"),
])
def test_another_emitter_cannot_read_a_document(make_mock, profile, path, operation, absent):
    """SOL credentials see their own RUC's documents: to another RUC's user a document does not exist
    (getStatusCdr already answered so; getStatusAR handed over the CDR, getStatus the state)."""
    mock = make_mock(profile, clock=CLOCK)
    assert bill(mock, f"{RUC}-01-F001-1").status == 200
    fields = {"rucComprobante": RUC, "tipoComprobante": "01", "serieComprobante": "F001", "numeroComprobante": "1"}
    user, password = _credentials(mock)
    own = call(mock.url(path), operation, fields, username=user, password=password)
    assert own.text("statusCode") in ("0000", "0001", "0004"), own.body
    other = call(mock.url(path), operation, fields, username="20987654321" + user[11:], password=password)
    assert other.status == 200 and other.text("statusCode") == absent and not other.text("content"), other.body


def test_a_rejected_summary_is_a_fault_at_an_ose_and_99_with_a_cdr_at_sunat(make_mock):
    """The OSE manual (§8.3): an OSE answers a CDR for accepted documents only, any rejection is an
    exception; SUNAT answers 99 with a CDR carrying the code.  Either way the ticket's CDR is stored."""
    ose = make_mock("ose", clock=CLOCK)
    ticket = send_summary(ose, *comunicacion_baja(DAY, [("01", "F001", 99)]))
    reply = get_status(ose, ticket)
    assert_fault(reply, "2105", ose)
    assert "F001-99" in (reply.text("message") or "")  # the detail names the line
    stored = ose.app.engine.store.query("SELECT status_code, response_code, cdr_zip FROM tickets")[0]
    assert (stored["status_code"], stored["response_code"]) == ("99", "2105") and stored["cdr_zip"]
    assert b"SignOSE" in first_xml(stored["cdr_zip"])[1]  # the OSE's own CDR, never one naming SUNAT
    beta = make_mock("sunat-beta", clock=CLOCK)
    status, code, cdr = settled(get_status(beta, send_summary(beta, *comunicacion_baja(DAY, [("01", "F001", 99)]))))
    assert (status, code) == ("99", "2105") and cdr is not None


def test_each_poll_of_a_refused_ticket_gets_the_same_fault_naming_that_ticket(make_mock):
    """PROTOCOL.md §6.1: the detail is ``value='ticket: {ticket} error: …'``.  A getStatus fault named a
    ticket minted for it, another at each poll, never the ticket polled; a send's fault still gets the
    processing ticket of its own call."""
    mock = make_mock("ose", clock=CLOCK)
    ticket = send_summary(mock, *comunicacion_baja(DAY, [("01", "F001", 99)]))
    polls = [get_status(mock, ticket) for _ in range(3)]
    assert_fault(polls[0], "2105", mock)
    assert f"value='ticket: {ticket} error: " in polls[0].text("message")
    assert polls[1].body == polls[0].body == polls[2].body
    assert bill(mock, f"{RUC}-01-F001-1").status == 200
    again = bill(mock, f"{RUC}-01-F001-1")
    assert_fault(again, "1033", mock)
    assert "value='ticket: " in again.text("message") and f"ticket: {ticket}" not in again.text("message")
