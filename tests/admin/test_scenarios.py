"""Scenarios over real HTTP: each misbehaviour as the emitter's client sees it, and what the store keeps."""
from __future__ import annotations

import base64
import random

import pytest
import requests

from osemock.client import ClientError, Status
from osemock.cpe.archive import write_document_zip
from osemock.fixtures import signed_document
from osemock.server.admin.client import AdminClient
from osemock.server.admin.scenarios import Scenarios, Target
from osemock.server.store import Store

from tests.admin.conftest import CLOCK, DAY, RUC, factura, raw_send_bill, stored
from tests.server.envelopes import envelope, security


def test_a_code_for_one_serie_and_number_only(mock):
    mock.admin.scenario(action="code", code="2017", operation="sendBill", ruc=RUC, type_code="01", serie="F001", numero=5)
    client = mock.client()
    assert client.send_bill(factura(4)).status is Status.ACCEPTED           # another number: untouched
    rejected = client.send_bill(factura(5))
    assert (rejected.status, rejected.code) == (Status.REJECTED, "2017")    # a rejection code is the document's verdict
    assert stored(mock, 5)["status"] == "rejected" and stored(mock, 5)["response_code"] == "2017"
    assert mock.admin.scenarios()[0]["fired"] == 1 and mock.admin.scenarios()[0]["remaining"] == 0


def test_an_exception_code_is_a_fault_and_nothing_is_stored(mock):
    mock.admin.scenario(action="code", code="0130", operation="sendBill", times=1)
    answer = raw_send_bill(mock, f"{RUC}-01-F001-1")
    assert answer.status_code == 500 and b"<faultstring>0130</faultstring>" in answer.content
    assert stored(mock, 1) is None
    assert raw_send_bill(mock, f"{RUC}-01-F001-1").status_code == 200       # used up: processed normally


def test_an_observation_rides_in_the_cdr(mock):
    mock.admin.scenario(action="observation", code="4287")
    outcome = mock.client().send_bill(factura(1))
    assert outcome.status is Status.OBSERVED
    assert [o.code for o in outcome.observations] == ["4287"]
    assert b"4287" in outcome.cdr_xml
    assert mock.admin.journal(limit=1)[0]["outcome"] == "ok scenario:1:observation"


def test_a_scenario_that_could_not_act_is_left_for_the_next_request(mock):
    """An observation (or a code 2000+) acts through the document's checks: a resend answered 1033
    never gets there, and used the scenario up without acting; the journal said it had acted."""
    client = mock.client()
    assert client.send_bill(factura(1)).accepted
    mock.admin.scenario(action="observation", code="4287", times=1)
    resent = raw_send_bill(mock, f"{RUC}-01-F001-1")
    assert b"1033" in resent.content
    assert mock.admin.journal(limit=1)[0]["outcome"] == "fault:1033"
    outcome = client.send_bill(factura(4))
    assert [o.code for o in outcome.observations] == ["4287"]
    (scenario,) = mock.admin.scenarios()
    assert (scenario["matched"], scenario["fired"], scenario["remaining"]) == (2, 1, 0)


@pytest.mark.parametrize("action", ["delay", "lost"])
def test_a_delay_or_a_loss_acts_on_a_fault_too(mock, action):
    """The normal answer of a request the envelope screen refuses is its fault (0305): it came at once,
    and the scenario was used up without acting."""
    import time

    mock.admin.scenario(action=action, delay_seconds=1)
    started = time.perf_counter()
    if action == "lost":
        with pytest.raises(requests.ConnectionError):
            requests.post(mock.url(), data=b"<notsoap/>", headers={"Content-Type": "text/xml"}, timeout=10)
    else:
        answer = requests.post(mock.url(), data=b"<notsoap/>", headers={"Content-Type": "text/xml"}, timeout=10)
        assert answer.status_code == 500 and b"0305" in answer.content
    assert time.perf_counter() - started >= 1
    (scenario,) = mock.admin.scenarios()
    assert (scenario["fired"], scenario["remaining"]) == (1, 0)
    for _ in range(50):  # a lost answer is journaled as the request ends
        if mock.admin.journal(limit=1):
            break
        time.sleep(0.1)
    assert mock.admin.journal(limit=1)[0]["outcome"] == ("fault:0305 scenario:1:delay" if action == "delay" else "scenario:1:lost")


def test_a_scenario_that_could_not_act_leaves_the_request_to_the_next_one_planned(mock):
    """An observation picked for a sendBill that fails authentication was given back, and the delay
    planned for the same request was never considered."""
    import base64
    import time

    from osemock.cpe.archive import write_document_zip
    from osemock.fixtures import signed_document
    from tests.server.envelopes import envelope, security

    mock.admin.scenario(action="observation", code="4287", operation="sendBill")
    mock.admin.scenario(action="delay", delay_seconds=1, operation="sendBill")
    name = f"{RUC}-01-F001-7"
    zipped = write_document_zip(f"{name}.xml", signed_document(f"{name}.xml", issue_date="2026-11-20"))
    started = time.perf_counter()
    answer = requests.post(mock.url(), timeout=10, headers={"Content-Type": "text/xml; charset=utf-8"}, data=envelope(
        "sendBill", {"fileName": f"{name}.zip", "contentFile": base64.b64encode(zipped).decode()},
        security(f"{RUC}BIZLINKS", "wrong")))
    assert b"0104" in answer.content and time.perf_counter() - started >= 1
    assert [(s["action"], s["matched"], s["fired"], s["remaining"]) for s in mock.admin.scenarios()] == [
        ("observation", 1, 0, 1), ("delay", 1, 1, 0)]
    assert mock.admin.journal(limit=1)[0]["outcome"] == "fault:0104 scenario:2:delay"
    assert raw_send_bill(mock, f"{RUC}-01-F001-1").status_code == 200     # the observation acts here
    assert stored(mock, 1)["findings"] != "[]"
    mock.admin.scenario(action="observation", code="4287", operation="sendBill")
    mock.admin.scenario(action="http_status", http_status=503, operation="sendBill")
    assert raw_send_bill(mock, f"{RUC}-01-F001-1").status_code == 503     # a resend (1033): the next one acts
    assert [(s["id"], s["fired"], s["remaining"]) for s in mock.admin.scenarios()[2:]] == [(3, 0, 1), (4, 1, 0)]


SUMMARY_PATHS = {"ose": "/ol-ti-itcpe/billService", "sunat-beta": "/ol-ti-itcpfegem-beta/billService",
                 "sunat-prod": "/ol-ti-itcpfegem/billService"}


@pytest.mark.parametrize("profile, after_polls", [("sunat-beta", 0), ("sunat-prod", 1), ("ose", 0)])
def test_a_rejection_planned_for_a_summary_comes_at_its_getstatus(make_mock, profile, after_polls):
    """sendSummary answers a ticket, whatever its summary holds; the rejection comes at getStatus (99 with
    the CDR at SUNAT, a fault at an OSE: PROTOCOL.md 8.1). A code scenario answered sendSummary with a
    fault Client.2324, at once."""
    import base64

    from osemock.cpe.archive import write_document_zip
    from osemock.fixtures import signed_document
    from osemock.fixtures.summaries import comunicacion_baja
    from osemock.server.admin.client import AdminClient, AdminError
    from tests.admin.conftest import CLOCK, DAY
    from tests.server.envelopes import call
    from tests.server.test_tickets import settled

    mock = make_mock(profile, clock=CLOCK)
    admin = AdminClient(mock.base_url)
    admin.seed({"emitters": [{"ruc": RUC, "users": [{"user": "FACTURA1", "password": "secreto"}]}]})

    def soap(operation: str, **fields: str):
        return call(mock.url(SUMMARY_PATHS[profile]), operation, fields, username=f"{RUC}FACTURA1", password="secreto")

    def sent(name: str, xml: bytes) -> dict[str, str]:
        return {"fileName": f"{name}.zip", "contentFile": base64.b64encode(write_document_zip(f"{name}.xml", xml)).decode()}

    factura = f"{RUC}-01-F001-1"
    assert soap("sendBill", **sent(factura, signed_document(f"{factura}.xml", issue_date=DAY))).status == 200
    admin.progression(after_polls=after_polls)
    admin.scenario(action="code", code="2324", operation="sendSummary")
    reply = soap("sendSummary", **sent(*comunicacion_baja(DAY, [("01", "F001", 1)])))
    assert reply.status == 200 and not reply.is_fault, reply.body              # a ticket, not a fault
    ticket = reply.text("ticket")
    if after_polls:
        assert soap("getStatus", ticket=ticket).text("statusCode") == "98"
    status, code, _ = settled(soap("getStatus", ticket=ticket))
    assert (status, code) == ("fault" if profile == "ose" else "99", "2324")
    assert mock.app.engine.store.document(RUC, "01", "F001", 1)["status"] == "accepted"   # the baja was rejected
    assert [(s["fired"], s["remaining"]) for s in admin.scenarios()] == [(1, 0)]
    with pytest.raises(AdminError) as refused:
        admin.scenario(action="code", code="2324", operation="getStatus")
    assert refused.value.status == 400 and "getStatus does not do: plan it on sendBill, sendSummary or sendPack" in refused.value.message


def test_a_rejection_planned_for_a_lot_rejects_its_documents(mock):
    from tests.server.test_tickets import _lot, get_status

    mock.admin.scenario(action="code", code="2017", operation="sendPack")
    reply = get_status(mock, _lot(mock, [f"{RUC}-01-F001-1"]))
    assert reply.text("statusCode") == "99"
    assert stored(mock, 1)["status"] == "rejected" and stored(mock, 1)["response_code"] == "2017"


def test_the_journal_filters_on_one_word_of_the_outcome(mock):
    """"ok scenario:1:observation" is an ok answer a scenario acted on: outcome=ok and
    outcome=scenario:* both find it."""
    mock.admin.scenario(action="observation", code="4287")
    mock.client().send_bill(factura(1))
    for word in ("ok", "scenario:*", "scenario:1:observation"):
        assert [e["outcome"] for e in mock.admin.journal(outcome=word)] == ["ok scenario:1:observation"], word
    assert mock.admin.journal(outcome="fault:*") == []


@pytest.mark.parametrize("status", [502, 503])
def test_bare_http_errors(mock, status):
    mock.admin.scenario(action="http_status", http_status=status, times=None)
    answer = raw_send_bill(mock, f"{RUC}-01-F001-1")
    assert answer.status_code == status and b"<" not in answer.content
    assert stored(mock, 1) is None


def test_empty_200(mock):
    mock.admin.scenario(action="empty", operation="sendBill")
    answer = raw_send_bill(mock, f"{RUC}-01-F001-1")
    assert (answer.status_code, answer.content) == (200, b"")
    assert stored(mock, 1) is None


def test_dropped_connection(mock):
    mock.admin.scenario(action="drop", operation="sendBill")
    with pytest.raises(requests.ConnectionError):
        raw_send_bill(mock, f"{RUC}-01-F001-1", timeout=10)
    assert stored(mock, 1) is None
    assert mock.admin.journal(limit=1)[0]["outcome"].endswith(":drop")


def test_processed_but_response_lost(mock):
    """The drill behind "did my factura go through?": stored as accepted, the client times out; the
    client then asks getStatusCdr instead of resending blindly and gets the stored CDR."""
    mock.admin.scenario(action="lost", operation="sendBill", delay_seconds=2)
    with pytest.raises(requests.exceptions.RequestException):
        raw_send_bill(mock, f"{RUC}-01-F001-1", timeout=1)
    # the server finishes processing before it drops the line
    for _ in range(50):
        if stored(mock, 1) is not None:
            break
        import time
        time.sleep(0.1)
    assert stored(mock, 1)["status"] == "accepted"
    outcome = mock.client().send_bill(factura(1))
    assert outcome.status is Status.ACCEPTED and outcome.already_sent


def test_lost_with_the_emitter_client_timing_out(mock):
    """The emitter client times out, asks getStatusCdr instead of resending, and finds the stored CDR."""
    import time

    # margins for a busy CI runner: the document is stored well within the client's 3 s, whose
    # getStatusCdr then finds it while the answer is still held
    mock.admin.scenario(action="lost", operation="sendBill", delay_seconds=6)
    outcome = mock.client(timeout=3).send_bill(factura(4))
    assert (outcome.status, outcome.already_sent) == (Status.ACCEPTED, True)
    for _ in range(150):  # the held request ends and is journaled when it leaves
        operations = [(e["operation"], e["outcome"]) for e in reversed(mock.admin.journal())]
        if ("sendBill", "scenario:1:lost") in operations:
            break
        time.sleep(0.1)
    assert operations[0] == ("getStatusCdr", "ok")
    assert [o for o in operations if o[0] == "sendBill"] == [("sendBill", "scenario:1:lost")]
    # received_at is when each request arrived (it was when the lost one's line dropped, after the
    # getStatusCdr its client sent because of it); duration_ms still covers the whole wait
    from datetime import datetime

    entries = {e["operation"]: e for e in mock.admin.journal()}
    sent, asked = (datetime.fromisoformat(entries[o]["received_at"]) for o in ("sendBill", "getStatusCdr"))
    assert sent < asked and entries["sendBill"]["duration_ms"] >= 6000


def test_a_delay_answers_late_but_normally(mock):
    import time

    mock.admin.scenario(action="delay", delay_seconds=1, operation="sendBill")
    started = time.perf_counter()
    assert mock.client().send_bill(factura(1)).status is Status.ACCEPTED
    assert time.perf_counter() - started >= 1


def test_matching_by_operation_leaves_other_operations_alone(mock):
    mock.admin.scenario(action="http_status", http_status=503, operation="getStatusCdr", times=None)
    client = mock.client()
    assert client.send_bill(factura(1)).status is Status.ACCEPTED
    with pytest.raises(ClientError):
        client.get_status_cdr(RUC, "01", "F001", 1)


def test_seeded_probability_is_reproducible(tmp_path):
    """The n-th match draws ``Random(f"{seed}:{n}")``: two stores with the same seed misbehave alike."""
    expected = [random.Random(f"7:{n}").random() < 0.4 for n in range(30)]
    for run in range(2):
        scenarios = Scenarios(Store(tmp_path / f"run{run}.sqlite3"))
        scenarios.add({"action": "http_status", "http_status": 503, "probability": 0.4, "seed": 7, "times": None})
        fired = [scenarios.decide(Target("sendBill", RUC, "01", "F001", n)) is not None for n in range(30)]
        assert fired == expected
    assert 0 < sum(expected) < 30


def test_times_counts_only_firings(tmp_path):
    scenarios = Scenarios(Store(tmp_path / "s.sqlite3"))
    scenarios.add({"action": "empty", "times": 2, "serie": "F002"})
    targets = [Target("sendBill", RUC, "01", "F001", 1), Target("sendBill", RUC, "01", "F002", 1),
               Target("sendBill", RUC, "01", "F002", 2), Target("sendBill", RUC, "01", "F002", 3)]
    assert [scenarios.decide(t) is not None for t in targets] == [False, True, True, False]


@pytest.mark.parametrize("spec, message", [
    ({"action": "code", "code": "130"}, "code: '130' does not match '^[0-9]{4}$'"),
    ({"action": "code", "code": "4287"}, "observation"),
    ({"action": "code", "code": "1999"}, "catalog"),
    ({"action": "observation", "code": "2017"}, "4000"),
    ({"action": "http_status", "http_status": 200}, "http_status: 200 is less than the minimum of 400"),
    ({"action": "teleport"}, "action: 'teleport' is not one of"),
    ({"action": "empty", "probability": 2}, "probability: 2 is greater than the maximum of 1"),
    ({"action": "empty", "ruc": "123"}, "ruc: '123' does not match"),
    ({"action": "empty", "operation": "sendInvoice"}, "operation: 'sendInvoice' is not one of"),
    ({"action": "empty", "colour": "red"}, "unknown fields"),
    ({"action": "delay", "delay_seconds": "soon"}, "delay_seconds: 'soon' is not of type 'number'"),
    ({"action": "observation", "code": "4287", "operation": "getStatusCdr"}, "operation sendBill"),
    # outside the description: a 500 (ValueError, TypeError), or read as something else
    ({"action": "delay", "match": "x"}, "match: 'x' is not of type 'object', 'null'"),
    ({"action": "delay", "match": [1]}, "match: [1] is not of type 'object', 'null'"),
    ({"action": "delay", "match": {"colour": "red"}}, "match: Additional properties are not allowed"),
    ({"action": "delay", "serie": {"a": 1}}, "serie: {'a': 1} is not of type 'string', 'null'"),   # stored as "{'A': 1}"
    ({"action": "delay", "ruc": 20123456789}, "ruc: 20123456789 is not of type 'string', 'null'"),
])
def test_bad_scenarios_are_400_with_a_reason(mock, spec, message):
    answer = requests.post(mock.url("/_osemock/scenarios"), json=spec, timeout=10)
    assert answer.status_code == 400 and message in answer.json()["message"]
    assert mock.admin.scenarios() == []


def test_the_match_fields_may_come_in_one_object(mock):
    planned = mock.admin.scenario(action="empty", match={"operation": "sendBill", "serie": "f002"})
    assert (planned["operation"], planned["serie"]) == ("sendBill", "F002")


def test_a_list_of_scenarios_is_planned_whole_or_not_at_all(mock):
    """The first of a list was planned, and fired, though the request was answered 400 for the second."""
    answer = requests.post(mock.url("/_osemock/scenarios"), timeout=10, json=[
        {"action": "http_status", "http_status": 503, "operation": "getStatusCdr"}, {"action": "code", "code": "9999"}])
    assert answer.status_code == 400 and answer.json()["message"] == "[1]: 9999 is not in SUNAT's catalog of codes"
    assert mock.admin.scenarios() == []
    answer = requests.post(mock.url("/_osemock/scenarios"), timeout=10, json=[
        {"action": "http_status", "http_status": 503}, {"action": "drop", "serie": 5}])
    assert answer.status_code == 400 and answer.json()["message"].startswith("[1].serie: 5 is not of type")
    assert mock.admin.scenarios() == []
    planned = requests.post(mock.url("/_osemock/scenarios"), timeout=10, json=[{"action": "empty"}, {"action": "drop"}])
    assert planned.status_code == 201 and [s["action"] for s in planned.json()] == ["empty", "drop"]


def test_the_first_fault_api_still_works(mock):
    planned = requests.post(mock.url("/_osemock/faults"), json={"operation": "sendBill", "code": "0130", "times": 2},
                            timeout=10).json()
    assert planned[0]["action"] == "code" and planned[0]["remaining"] == 2
    assert raw_send_bill(mock, f"{RUC}-01-F001-1").status_code == 500
    assert requests.delete(mock.url("/_osemock/faults"), timeout=10).json() == []
    assert requests.post(mock.url("/_osemock/faults"), data=b"{", timeout=10).status_code == 400


def test_a_held_answer_blocks_no_other_request(mock):
    """The engine runs one request of a process at a time (server.wsgi.ENGINE_TURN); a scenario's
    delay is waited out after that turn, so a request sent meanwhile is answered at once."""
    import threading
    import time

    mock.admin.scenario(action="delay", delay_seconds=3, operation="sendBill", ruc=RUC, type_code="01",
                        serie="F001", numero=5)
    held = threading.Thread(target=lambda: mock.client().send_bill(factura(5)))
    held.start()
    for _ in range(100):  # until the held request is processed and waiting out its delay
        if stored(mock, 5) is not None:
            break
        time.sleep(0.05)
    started = time.perf_counter()
    assert mock.client().send_bill(factura(4)).status is Status.ACCEPTED
    assert time.perf_counter() - started < 2
    assert held.is_alive()  # still waiting for its answer
    held.join()


def test_the_journal_reads_a_sunat_faults_code_from_its_faultcode(make_mock):
    """SUNAT's dialect puts the code in faultcode (soap-env:Client.1033) and the message in faultstring,
    where the journal read it: a resend at sunat-beta was journaled as 'fault:El c'."""
    mock = make_mock("sunat-beta", clock=CLOCK)
    name = f"{RUC}-01-F001-1"
    zipped = write_document_zip(f"{name}.xml", signed_document(f"{name}.xml", issue_date=DAY))
    body = envelope("sendBill", {"fileName": f"{name}.zip", "contentFile": base64.b64encode(zipped).decode()},
                    security(f"{RUC}MODDATOS", "moddatos"))
    for _ in range(2):
        answer = requests.post(mock.url("/ol-ti-itcpfegem-beta/billService"), data=body,
                               headers={"Content-Type": "text/xml; charset=utf-8"}, timeout=30)
    assert b"Client.1033" in answer.content
    assert AdminClient(mock.base_url).journal(limit=1)[0]["outcome"] == "fault:1033"
