"""The admin API over real HTTP: reset, seed, journal, snapshots, clock, ticket progression, OpenAPI, CLI."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from osemock.cli import main
from osemock.client import Status
from osemock.fixtures.summaries import comunicacion_baja
from osemock.server.admin.client import AdminClient, AdminError
from osemock.server.settings import Settings, SettingError

from tests.admin.conftest import DAY, RUC, factura, stored
from tests.helpers import examples

CERTS = Path(__file__).resolve().parents[2] / "fixtures" / "certs"


def test_reset_forgets_documents_and_scenarios_but_keeps_the_registry(mock):
    mock.admin.seed({"emitters": [{"ruc": "20999999999", "name": "PSE SAC", "pse_for": [RUC]}]})
    assert mock.client().send_bill(factura(1)).status is Status.ACCEPTED
    mock.admin.scenario(action="empty", times=None)
    mock.admin.freeze("2027-01-01T00:00:00")
    mock.admin.reset()
    assert stored(mock, 1) is None and mock.admin.scenarios() == [] and mock.admin.journal() == []
    assert mock.admin.clock()["frozen"] is False and mock.admin.clock()["now"].startswith(DAY)
    assert [e["ruc"] for e in mock.admin.emitters()] == ["20999999999"]
    mock.admin.reset(registry=True)
    assert mock.admin.emitters() == []


def test_seed_users_and_certificates_take_effect(mock):
    pem = (CERTS / "emitter-20123456789.cert.pem").read_text()
    mock.admin.seed({"emitters": [{"ruc": RUC, "name": "EMPRESA", "users": [{"user": "FACTURA1", "password": "secreto"}],
                                   "certificates": [{"pem": pem}]}]})
    emitter = mock.admin.emitters()[0]
    assert emitter["users"] == [{"user": "FACTURA1", "active": True, "can_send": True}]
    assert len(emitter["certificates"]) == 1 and "password" not in json.dumps(emitter)
    from osemock.client import OseClient, RetryPolicy

    registered = OseClient(mock.url(), RUC, "FACTURA1", "secreto", retry=RetryPolicy(attempts=1))
    assert registered.send_bill(factura(1)).status is Status.ACCEPTED
    wrong = OseClient(mock.url(), RUC, "FACTURA1", "otra", retry=RetryPolicy(attempts=1)).send_bill(factura(4))
    assert wrong.status is Status.EXCEPTION


@pytest.mark.parametrize("registry, message", [
    ({"emitters": [{"ruc": "123"}]}, "11 digits"),
    ({"emitters": "all"}, "list of objects"),
    ({"emitters": [{"ruc": RUC, "certificates": [{"pem": "/etc/passwd"}]}]}, "PEM text"),
    ({"emitters": [{"ruc": RUC, "users": [{"user": "X"}]}]}, "user and password"),
    # dates that are none were stored, and the rule they feed (2326, 1086) never fired
    ({"emitters": [{"ruc": RUC, "certificates": [{"pem": (CERTS / "emitter-20123456789.cert.pem").read_text(),
                                                   "retired_at": "x"}]}]},
     "registry: emitters[0].certificates[0].retired_at: 'x' is not a date (YYYY-MM-DD)"),
    ({"emitters": [{"ruc": RUC, "certificates": [{"pem": (CERTS / "emitter-20123456789.cert.pem").read_text(),
                                                   "retired_at": 20260101}]}]},
     "registry: emitters[0].certificates[0].retired_at: 20260101 is not a date (YYYY-MM-DD)"),
    ({"emitters": [{"ruc": RUC, "padrones": [{"padron": "02", "from": "x", "to": "y"}]}]},
     "registry: emitters[0].padrones[0].from: 'x' is not a date (YYYY-MM-DD)"),
])
def test_bad_seeds_are_400(mock, registry, message):
    with pytest.raises(AdminError) as error:
        mock.admin.seed(registry)
    assert error.value.status == 400 and message in error.value.message
    assert mock.admin.emitters() == []


def test_journal_lists_and_shows_bodies(mock):
    mock.client().send_bill(factura(1))
    entries = mock.admin.journal()
    assert entries[0]["operation"] == "sendBill" and entries[0]["file_name"] == f"{RUC}-01-F001-1.zip"
    assert "request_body" not in entries[0]
    entry = mock.admin.journal_entry(entries[0]["id"])
    assert "<fileName>" in entry["request_body"] and "applicationResponse" in entry["response_body"]
    assert mock.admin.journal(operation="getStatus") == []
    with pytest.raises(AdminError):
        mock.admin.journal_entry(999)


def test_the_journal_keeps_the_last_entries_it_is_given_and_every_document(make_mock):
    """A log, not state: it kept every request body, so a long-lived mock filled its disk."""
    from osemock.client import OseClient, RetryPolicy
    from tests.admin.conftest import CLOCK

    mock = make_mock("ose", clock=CLOCK, journal_max_entries=20)
    admin = AdminClient(mock.base_url)
    client = OseClient(mock.url(), RUC, "BIZLINKS", "TESTBIZLINKS", retry=RetryPolicy(attempts=1))
    from osemock.fixtures import signed_document

    for number in range(1, 31):
        assert client.send_bill(signed_document(f"{RUC}-01-F001-1.xml", issue_date=DAY, numero=number)).accepted
    ids = [entry["id"] for entry in admin.journal(limit=1000)]
    assert 20 <= len(ids) <= 22 and max(ids) == 30 and min(ids) > 8
    assert len(admin.export_snapshot()["tables"]["documents"]) == 30
    assert Settings.from_env({"OSE_JOURNAL_MAX_ENTRIES": "0"}).journal_max_entries == 0   # 0: keep all
    with pytest.raises(SettingError, match="OSE_JOURNAL_MAX_ENTRIES must be a whole number from 0"):
        Settings.from_env({"OSE_JOURNAL_MAX_ENTRIES": "-1"})


def test_snapshot_round_trip(mock, make_mock):
    mock.client().send_bill(factura(1))
    mock.admin.seed({"emitters": [{"ruc": "20999999999", "name": "PSE SAC"}]})
    snapshot = mock.admin.export_snapshot()
    assert snapshot["format"] == "osemock-snapshot/1" and len(snapshot["tables"]["documents"]) == 1
    other = make_mock("ose", clock=f"{DAY}T18:00:00-05:00")   # another store, same signing key folder
    admin = AdminClient(other.base_url)
    counts = admin.import_snapshot(snapshot)["imported"]
    assert counts["documents"] == 1 and counts["emitters"] == 1
    from osemock.client import OseClient, RetryPolicy

    client = OseClient(other.url(), RUC, "BIZLINKS", "TESTBIZLINKS", retry=RetryPolicy(attempts=1))
    again = client.send_bill(factura(1))        # the imported document is a duplicate there, CDR included
    assert again.already_sent and again.cdr_zip == stored(mock, 1)["cdr_zip"]
    with pytest.raises(AdminError) as error:
        admin.import_snapshot({"format": "something-else", "tables": {}})
    assert error.value.status == 400
    with pytest.raises(AdminError):
        admin.import_snapshot({"format": "osemock-snapshot/1", "tables": {"sqlite_master": []}})


def test_a_snapshot_past_the_soap_limit_is_imported(make_mock, tmp_path, capsys):
    """The admin API has a limit of its own (OSE_MAX_ADMIN_BYTES): the export of a store with ~1,900
    documents (68 MB) was refused on import by the 64 MiB meant for one SOAP call, in a text/plain 413
    the CLI called "not the osemock admin API"."""
    mock = make_mock("ose", clock=f"{DAY}T18:00:00-05:00", max_request_bytes=4096)
    admin = AdminClient(mock.base_url)
    rows = [{"ruc": f"20{n:09d}", "name": "EMPRESA " * 20} for n in range(100)]
    snapshot = {"format": "osemock-snapshot/1", "tables": {"emitters": rows}}
    assert len(json.dumps(snapshot)) > 4096
    assert admin.import_snapshot(snapshot)["imported"] == {"emitters": 100}
    soap = requests.post(mock.url(), data=b"<x/>" * 2000, headers={"Content-Type": "text/xml"}, timeout=10)
    assert soap.status_code == 413                               # the SOAP paths keep theirs
    small = make_mock("ose", clock=f"{DAY}T18:00:00-05:00", max_admin_bytes=4096)
    with pytest.raises(AdminError) as error:
        AdminClient(small.base_url).import_snapshot(snapshot)
    assert error.value.status == 413 and "4096 bytes the admin API takes; OSE_MAX_ADMIN_BYTES" in error.value.message
    (tmp_path / "state.json").write_text(json.dumps(snapshot))
    assert main(["admin", "--url", small.base_url, "snapshot", "import", str(tmp_path / "state.json")]) == 1
    assert "OSE_MAX_ADMIN_BYTES where the mock runs raises the limit" in capsys.readouterr().err


def test_a_413_from_the_http_server_names_the_setting(make_mock):
    """Past every limit the HTTP server answers 413 in plain text before the app sees the request."""
    mock = make_mock("ose", clock=f"{DAY}T18:00:00-05:00", max_request_bytes=2048, max_admin_bytes=2048)
    with pytest.raises(AdminError) as error:
        AdminClient(mock.base_url).import_snapshot({"format": "osemock-snapshot/1", "tables": {"emitters": [
            {"ruc": f"20{n:09d}", "name": "EMPRESA " * 20} for n in range(100)]}})
    assert error.value.status == 413 and "too large" in error.value.message
    assert "OSE_MAX_ADMIN_BYTES where the mock runs raises its limit" in error.value.message
    assert "not the osemock admin API" not in error.value.message


def test_a_snapshot_is_one_moment_of_the_store(mock):
    """Every table is read at one moment.  An RA settles in one transaction (ticket 0, factura voided);
    here it settles just as the export starts reading the tickets, after it read the documents: the
    snapshot holds the ticket pending and the factura accepted, not the ticket at 0 with the factura
    still accepted (imported, that state was stuck: consult 0001, ticket 0, the RA again 2324)."""
    from osemock.server.admin.snapshot import export_state
    from osemock.server.store import Store

    client = mock.client()
    assert client.send_bill(factura(1)).accepted
    mock.admin.progression(after_polls=1)
    ticket = client.send_summary(comunicacion_baja(DAY, [("01", "F001", 1)])[1]).ticket
    assert client.get_status(ticket).status is Status.PENDING   # the next poll settles it
    reader = Store(mock.app.engine.store.path)   # as the admin API's thread reads it, on its own connection
    settled = []

    def settle_before_the_tickets(statement: str) -> None:
        if statement.startswith("SELECT * FROM tickets") and not settled:
            settled.append(client.get_status(ticket).code)   # over HTTP: a server thread settles it

    reader._connection().set_trace_callback(settle_before_the_tickets)
    tables = export_state(reader, journal=False)["tables"]
    assert settled == ["0"] and stored(mock, 1)["status"] == "voided"
    assert [row["status_code"] for row in tables["tickets"]] == ["98"]
    assert [row["status"] for row in tables["documents"]] == ["accepted"]
    assert [row["status_code"] for row in mock.admin.export_snapshot(journal=False)["tables"]["tickets"]] == ["0"]
    reader.close()


def test_a_snapshot_leaves_out_the_claim_of_a_settling_in_progress(mock):
    """A claim belongs to the process settling the ticket, not to the state: a snapshot taken while a
    poll settled a lot carried that poll's claim, and imported, nobody settled the ticket until the
    claim aged out (98 for 60 s).  An export leaves the claim out; an import clears it, also in a
    snapshot an older osemock exported with it."""
    from datetime import datetime, timezone

    from osemock.server.engine.claims import Claim

    client = mock.client()
    assert client.send_bill(factura(1)).accepted
    mock.admin.progression(after_polls=1)
    ticket = client.send_summary(comunicacion_baja(DAY, [("01", "F001", 1)])[1]).ticket
    assert client.get_status(ticket).status is Status.PENDING   # the next poll settles it
    assert Claim.take(mock.app.engine.store, ticket) is not None  # a settling in progress, as that poll's
    snapshot = mock.admin.export_snapshot(journal=False)
    (row,) = snapshot["tables"]["tickets"]
    assert row["status_code"] == "98" and "claimed_at" not in row and "claimed_by" not in row
    older = json.loads(json.dumps(snapshot))
    older["tables"]["tickets"][0].update(claimed_at=datetime.now(timezone.utc).isoformat(), claimed_by="f" * 32)
    odd = json.loads(json.dumps(older))  # what it held is not read at all: any text
    odd["tables"]["tickets"][0].update(claimed_at="not a moment", claimed_by=7)
    for imported in (odd, older, snapshot):
        mock.admin.import_snapshot(imported)
        assert client.get_status(ticket).code == "0"
        assert stored(mock, 1)["status"] == "voided"


def test_a_snapshot_is_imported_whole_or_not_at_all(mock):
    """Each row is checked before any is stored: a bad one leaves the store as it was, the message says where."""
    mock.admin.scenario(action="empty", serie="F009")
    with pytest.raises(AdminError) as error:
        mock.admin.import_snapshot({"format": "osemock-snapshot/1", "tables": {
            "documents": [DOCUMENT_ROW], "scenarios": [{"id": 1, "action": "delay"}, {"id": 2, "action": "delay", "delay_seconds": 100000}]}})
    assert error.value.status == 400
    assert error.value.message == "table 'scenarios', row 1: delay_seconds: 100000 is greater than the maximum of 600"
    assert stored(mock, 1) is None and [s["serie"] for s in mock.admin.scenarios()] == ["F009"]
    counts = mock.admin.import_snapshot({"format": "osemock-snapshot/1", "tables": {
        "documents": [DOCUMENT_ROW], "scenarios": [{"id": 7, "action": "empty", "serie": "f001", "remaining": 0, "fired": 2}]}})
    assert counts["imported"] == {"documents": 1, "scenarios": 1}
    (scenario,) = mock.admin.scenarios()
    assert (scenario["id"], scenario["serie"], scenario["remaining"], scenario["fired"]) == (7, "F001", 0, 2)   # as POST stores it


def test_clock_freeze_advance_unfreeze_drive_the_engine(mock):
    frozen = mock.admin.freeze("2026-11-20T10:00:00-05:00")
    assert frozen["frozen"] and frozen["now"] == "2026-11-20T10:00:00-05:00"
    mock.client().send_bill(factura(1))
    assert stored(mock, 1)["received_at"] == "2026-11-20T10:00:00-05:00"
    assert mock.admin.advance(days=10)["now"] == "2026-11-30T10:00:00-05:00"
    late = mock.client().send_bill(factura(4))   # issued the 20th, received the 30th: past the 3 days (2108)
    assert late.code == "2108"
    running = mock.admin.unfreeze()
    assert running["frozen"] is False and running["now"].startswith("2026-11-30")
    with pytest.raises(AdminError):
        mock.admin.freeze("yesterday")
    with pytest.raises(AdminError):
        mock.admin.call("POST", "/clock/advance", {})


def test_a_moment_in_another_offset_is_lima_time(mock):
    """03:00 UTC on the 24th is 22:00 of the 23rd in Lima: the day a deadline counts is Lima's (a factura
    of the 20th is on time), and the clock says the moment in Lima time."""
    assert mock.admin.freeze("2026-11-24T03:00:00+00:00")["now"] == "2026-11-23T22:00:00-05:00"
    assert mock.client().send_bill(factura(1)).accepted
    assert stored(mock, 1)["received_at"] == "2026-11-23T22:00:00-05:00"


def test_the_clock_is_shared_by_processes_on_one_store(mock, make_mock, tmp_path):
    """A second server on the same store (as a second gunicorn worker is) follows a freeze within its
    refresh interval (1 s)."""
    import time

    db = mock.app.engine.store.path
    second = make_mock("ose", clock=f"{DAY}T18:00:00-05:00", db=Path(db))
    mock.admin.freeze("2026-12-01T09:00:00-05:00")
    deadline = time.monotonic() + 3
    while AdminClient(second.base_url).clock()["now"] != "2026-12-01T09:00:00-05:00":
        assert time.monotonic() < deadline, "the second process never saw the frozen clock"
        time.sleep(0.2)


def test_clock_changes_through_two_processes_add_up(mock, make_mock):
    """Each advance changes the stored clock, not the process's copy of it (up to a second old): three
    days advanced alternately through two servers on one store are three days, not two."""
    db = mock.app.engine.store.path
    second = make_mock("ose", clock=f"{DAY}T18:00:00-05:00", db=Path(db))
    other = AdminClient(second.base_url)
    mock.admin.freeze("2026-12-01T09:00:00-05:00")
    other.clock()  # the second process reads the frozen clock now, then holds that copy for a second
    mock.admin.advance(days=1)
    other.advance(days=1)
    assert mock.admin.advance(days=1)["now"] == "2026-12-04T09:00:00-05:00"
    assert other.clock()["now"] in ("2026-12-03T09:00:00-05:00", "2026-12-04T09:00:00-05:00")  # follows within 1 s
    mock.admin.call("POST", "/clock/restart")
    assert other.advance(seconds=1)["now"].startswith(DAY)  # the restart is not undone by a stale copy


def test_ticket_progression_and_release(mock):
    mock.admin.progression(after_polls=2)
    mock.client().send_bill(factura(1))
    client = mock.client()
    ticket = client.send_summary(comunicacion_baja(DAY, [("01", "F001", 1)])[1]).ticket
    assert mock.admin.ticket(ticket)["status_code"] == "98"
    assert client.get_status(ticket).status is Status.PENDING
    assert client.get_status(ticket).status is Status.PENDING
    assert client.get_status(ticket).status is Status.ACCEPTED
    ticket2 = client.send_summary(comunicacion_baja(DAY, [("01", "F001", 4)], number=2)[1]).ticket
    assert mock.admin.release(ticket2)["status_code"] in ("0", "99")   # settled now
    assert mock.admin.tickets()["progression"] == {"after_polls": 2, "after_seconds": 0}
    mock.admin.reset()
    assert mock.admin.tickets()["progression"]["after_polls"] == 0
    with pytest.raises(AdminError):
        mock.admin.progression(after_polls=-1)


def test_holding_a_settled_ticket_says_it_settled_and_how_to_hold_one(mock):
    """The default progression settles a ticket inside sendSummary, and a hold then answered a bare
    "no pending ticket", as if the ticket did not exist."""
    client = mock.client()
    client.send_bill(factura(1))
    ticket = client.send_summary(comunicacion_baja(DAY, [("01", "F001", 1)])[1]).ticket
    with pytest.raises(AdminError) as refused:
        mock.admin.release(ticket, after_polls=3)
    settled = mock.admin.ticket(ticket)
    assert refused.value.status == 404 and str(refused.value).endswith(
        f"no pending ticket {ticket}: it was already settled (status_code {settled['status_code']}, processed_at "
        f"{settled['processed_at']}, after 0 polls); new tickets settle at once unless held: set POST "
        '/_osemock/tickets/progression (e.g. {"after_polls": 1}) before sending the summary')
    with pytest.raises(AdminError, match="unknown ticket 123$"):
        mock.admin.release("123")
    mock.admin.progression(after_polls=1)  # what README says: hold new tickets, then the one
    client.send_bill(factura(4))
    held = client.send_summary(comunicacion_baja(DAY, [("01", "F001", 4)], number=2)[1]).ticket
    assert mock.admin.release(held, after_polls=3)["after_polls"] == 3
    assert [client.get_status(held).code for _ in range(3)] == ["98", "98", "98"]
    assert client.get_status(held).code != "98"


def test_ticket_progression_is_shared_by_processes_on_one_store(mock, make_mock):
    second = make_mock("ose", clock=f"{DAY}T18:00:00-05:00", db=Path(mock.app.engine.store.path))
    mock.admin.progression(after_polls=1)               # set through one server…
    from osemock.client import OseClient, RetryPolicy

    client = OseClient(second.url(), RUC, "BIZLINKS", "TESTBIZLINKS", retry=RetryPolicy(attempts=1))
    client.send_bill(factura(1))
    ticket = client.send_summary(comunicacion_baja(DAY, [("01", "F001", 1)])[1]).ticket   # …a ticket opened by the other
    assert client.get_status(ticket).status is Status.PENDING
    assert client.get_status(ticket).status is Status.ACCEPTED


def test_openapi_describes_every_route_and_method(mock):
    from openapi_spec_validator import validate

    spec = requests.get(mock.url("/_osemock/openapi.json"), timeout=10).json()
    validate(spec)
    flask_app = mock.app.fallback
    routes = set()
    for rule in flask_app.url_map.iter_rules():
        if rule.endpoint.startswith("admin."):
            path = rule.rule[len("/_osemock"):]
            for name in rule.arguments:
                path = path.replace(f"<int:{name}>", "{" + ("id" if name in ("entry_id", "scenario_id") else name) + "}")
                path = path.replace(f"<{name}>", "{" + name + "}")
            routes |= {(path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}}
    described = {(path, method) for path, item in spec["paths"].items() for method in item if method != "parameters"}
    assert routes == described


def test_errors_are_json_never_a_traceback(mock):
    for method, path, data in [("POST", "/_osemock/scenarios", b"{nope"), ("GET", "/_osemock/nothing", None),
                               ("DELETE", "/_osemock/health", None), ("POST", "/_osemock/tickets/123", b"[]")]:
        answer = requests.request(method, mock.url(path), data=data, timeout=10)
        assert 400 <= answer.status_code < 500, (path, answer.status_code)
        assert set(answer.json()) == {"error", "message"} and "Traceback" not in answer.text


DOCUMENT_ROW = {"id": 1, "emitter_ruc": RUC, "type_code": "01", "serie": "F001", "numero": 1, "status": "accepted",
                "response_code": "0", "findings": "[]", "file_name": f"{RUC}-01-F001-1.zip",
                "received_at": f"{DAY}T10:00:00-05:00", "responded_at": f"{DAY}T10:00:00-05:00"}


@pytest.mark.parametrize("path, data", [
    ("/_osemock/snapshot", b'{"a":' * 5000),                         # nested past Python's recursion limit
    ("/_osemock/clock/advance", b'{"seconds": 1e308}'),
    ("/_osemock/clock/advance", b'{"seconds": NaN}'),                 # Python's json reads NaN and Infinity
    ("/_osemock/clock/advance", b'{"days": 3000000}'),               # would read year 10000: every request failed
    ("/_osemock/clock/advance", b'{"days": -1000000}'),
    ("/_osemock/clock/freeze", b'{"at": 5}'),
    ("/_osemock/clock/freeze", b'{"at": "9999-12-31T23:59:59"}'),
    ("/_osemock/scenarios", b'{"action": "code", "code": "2017", "numero": 9223372036854775808}'),
    ("/_osemock/scenarios", b'{"action": "delay", "delay_seconds": Infinity}'),
    ("/_osemock/scenarios", b'{"action": "delay", "seed": 1e400}'),
    ("/_osemock/tickets/progression", b'{"after_polls": 18446744073709551616}'),
    ("/_osemock/seed", b'{"emitters": [], "taxpayers": 5}'),
    ("/_osemock/seed", b'{"emitters": [{"ruc": "20123456789", "certificates": [[null, null]]}]}'),
    ("/_osemock/seed", b'{"emitters": [{"ruc": "20123456789", "users": ["FACTURA1"]}]}'),
    ("/_osemock/snapshot", b'{"format": "osemock-snapshot/1", "tables": {"emitters": [null]}}'),
    ("/_osemock/snapshot", b'{"format": "osemock-snapshot/1", "tables": {"emitters": [["ruc"]]}}'),
    ("/_osemock/scenarios", b'{"action": "delay", "note": {}}'),
    ("/_osemock/snapshot", b'{"format": "osemock-snapshot/1", "tables": {"emitters": [{}]}}'),
    ("/_osemock/snapshot", b'{"format": "osemock-snapshot/1", "tables": {"emitters": [{"ruc": "1"}, {"ruc": "1"}]}}'),
    ("/_osemock/snapshot", b'{"format": "osemock-snapshot/1", "tables": {"sol_users": [{"ruc": "1", "user": null}]}}'),
    ("/_osemock/snapshot", b'{"format": "osemock-snapshot/1", "tables": {"emitters": [{"ruc": 18446744073709551616}]}}'),
    ("/_osemock/seed", b'{"emitters": [{"ruc": "20123456789", "physical_receipts": [{"serie": "0001", "from": "x"}]}]}'),
    # a shared-state row every later request reads: imported as it came, it failed all of them
    ("/_osemock/snapshot", b'{"format": "osemock-snapshot/1", "tables": {"osemock_state": [{"key": "clock", "value": "x"}]}}'),
    ("/_osemock/snapshot", b'{"format": "osemock-snapshot/1", "tables": {"osemock_state": '
                           b'[{"key": "clock", "value": "{\\"offset_seconds\\": 1e300}"}]}}'),
    ("/_osemock/snapshot", b'{"format": "osemock-snapshot/1", "tables": {"osemock_state": '
                           b'[{"key": "ticket_progression", "value": "{\\"foo\\": 1}"}]}}'),
    ("/_osemock/snapshot", b'{"format": "osemock-snapshot/1", "tables": {"osemock_state": [{"key": "other", "value": "{}"}]}}'),
    ("/_osemock/snapshot", b'{"format": "osemock-snapshot/1", "tables": {"documents": [{"zip": {"base64": 5}}]}}'),
    ("/_osemock/snapshot", b'{"format": "osemock-snapshot/1", "tables": {"documents": [{"zip": {"base64": "!!"}}]}}'),
    # what the OpenAPI does not describe: read as something else, or not read at all
    ("/_osemock/scenarios", b'{"action": "code", "code": "2017", "numero": 1.9}'),   # was numero 1
    ("/_osemock/scenarios", b'{"action": "http_status", "http_status": "503"}'),
    ("/_osemock/scenarios", b'{"action": "empty", "times": 2.5}'),
    ("/_osemock/clock/advance", b'{"days": 1, "weeks": 3}'),                          # moved a day, said nothing
    ("/_osemock/clock/freeze", b'{"at": "2026-11-20T12:00:00-05:00", "zone": "UTC"}'),
    ("/_osemock/reset", b'{"everything": true}'),
    ("/_osemock/tickets/progression", b'{"after_polls": 2.9}'),
    # rows the live API would refuse, every later SOAP call a 500 or a hang, or the portal's pages 500
    *[("/_osemock/snapshot", json.dumps({"format": "osemock-snapshot/1", "tables": {table: [row]}}).encode())
      for table, row in [("scenarios", {"id": 1, "action": "delay", "probability": "x"}),
                         ("scenarios", {"id": 1, "action": "delay", "delay_seconds": "x"}),
                         ("scenarios", {"id": 1, "action": "code", "code": "abcd"}),
                         ("scenarios", {"id": 1, "action": "delay", "delay_seconds": 100000}),   # POST caps it at 600
                         ("scenarios", {"id": 1, "action": "code", "code": "2017", "serie": {"a": 1}}),
                         ("documents", {**DOCUMENT_ROW, "findings": "not json"}),
                         ("documents", {**DOCUMENT_ROW, "numero": "x"}),
                         ("documents", {**DOCUMENT_ROW, "zip": "not base64"}),
                         ("tickets", {"ticket": "1", "emitter_ruc": RUC, "sender_ruc": RUC, "operation": "sendSummary",
                                      "file_name": f"{RUC}-RA-20261120-1", "status_code": "98", "created_at": "x"}),
                         ("tickets", {"ticket": "1", "emitter_ruc": RUC, "sender_ruc": RUC, "operation": "sendSummary",
                                      "file_name": f"{RUC}-RA-20261120-1", "status_code": "98",
                                      "created_at": f"{DAY}T10:00:00-05:00", "path": "/ol-it-wsconscpegem/billConsultService"}),
                         ("certificates", {"ruc": RUC, "fingerprint": "ab", "retired_at": "x"}),
                         ("padrones", {"ruc": RUC, "padron": "02", "valid_from": "x"})]],
    # half a surrogate pair is no text UTF-8 can store: a UnicodeEncodeError
    ("/_osemock/scenarios", b'{"action": "delay", "note": "\\ud800"}'),
    ("/_osemock/scenarios", b'{"action": "delay", "serie": "F\\udc00"}'),
    ("/_osemock/faults", b'{"note": "\\ud800"}'),
    ("/_osemock/snapshot", b'{"format": "osemock-snapshot/1", "tables": {"emitters": [{"ruc": "\\ud800"}]}}'),
    ("/_osemock/seed", b'{"emitters": [{"ruc": "20123456789", "name": "\\ud800"}]}'),
])
def test_hostile_admin_bodies_are_400_and_leave_the_server_working(mock, path, data):
    """Each of these was a 500 from inside (a fuzz of the admin API found them); the clock ones left a
    clock no later request could read."""
    answer = requests.post(mock.url(path), data=data, headers={"Content-Type": "application/json"}, timeout=10)
    assert answer.status_code == 400, answer.text
    assert set(answer.json()) == {"error", "message"}
    assert requests.get(mock.url("/_osemock/clock"), timeout=10).status_code == 200
    assert requests.get(mock.url("/"), timeout=10).status_code == 200
    assert requests.get(mock.url("/_osemock/tickets"), timeout=10).status_code == 200
    assert mock.client().send_bill(factura(1)).accepted


def test_a_number_of_thousands_of_digits_is_said_so_in_the_apis_words(mock):
    """json.loads raises int()'s own ValueError for it, whose words tell the caller to raise Python's
    limit with sys.set_int_max_str_digits(): the 400 passed that advice on as the API's."""
    answer = requests.post(mock.url("/_osemock/tickets/progression"), data=b'{"after_polls": ' + b"9" * 5000 + b"}",
                           headers={"Content-Type": "application/json"}, timeout=10)
    assert answer.status_code == 400
    assert answer.json() == {"error": "bad-json",
                             "message": "the body is not JSON this API reads: a number of more than 4,300 digits"}


def test_a_whole_surrogate_pair_is_one_character(mock):
    answer = requests.post(mock.url("/_osemock/scenarios"), data=b'{"action": "delay", "note": "\\ud83d\\ude00 ok"}',
                           headers={"Content-Type": "application/json"}, timeout=10)
    assert answer.status_code == 201 and answer.json()["note"] == "\U0001F600 ok"


@pytest.mark.parametrize("path", ["/?page=9223372036854775808", "/journal?limit=18446744073709551616"])
def test_numbers_past_sqlite_in_query_strings_are_bounded(mock, path):
    """The portal's pages read such a number as the nearest one they can show (the admin API refuses it:
    test_query_parameters_outside_the_description_are_400)."""
    assert requests.get(mock.url(path), timeout=10).status_code == 200


@pytest.mark.parametrize("path", ["/documents/" + "9" * 25, "/documents/" + "9" * 25 + "/pdf", "/journal/" + "9" * 25,
                                  "/_osemock/journal/" + "9" * 25, "/_osemock/scenarios/" + "9" * 25])
def test_ids_past_sqlite_in_paths_are_404(mock, path):
    assert requests.get(mock.url(path), timeout=10).status_code == 404  # they reached the store: 500


def test_cli_drives_the_api(mock, tmp_path, capsys):
    url = ["admin", "--url", mock.base_url]
    assert main(url + ["scenario", "add", "--action", "http_status", "--http-status", "503", "--times", "always"]) == 0
    assert json.loads(capsys.readouterr().out)["remaining"] is None
    assert main(url + ["scenario", "list"]) == 0 and len(json.loads(capsys.readouterr().out)) == 1
    assert main(url + ["scenario", "clear", "0"]) == 1  # no scenario 0: it cleared them all
    capsys.readouterr()
    assert main(url + ["scenario", "list"]) == 0 and len(json.loads(capsys.readouterr().out)) == 1
    assert main(url + ["scenario", "clear"]) == 0 and json.loads(capsys.readouterr().out) == []
    assert main(url + ["clock", "--freeze", "2026-11-25T08:00:00-05:00", "--days", "1"]) == 0
    assert json.loads(capsys.readouterr().out)["now"] == "2026-11-26T08:00:00-05:00"
    registry = tmp_path / "emitters.yaml"
    registry.write_text(f"emitters:\n  - ruc: '{RUC}'\n    name: EMPRESA\n    certificates:\n"
                        f"      - {{pem: {CERTS / 'emitter-20123456789.cert.pem'}}}\n")
    assert main(url + ["seed", str(registry)]) == 0 and json.loads(capsys.readouterr().out) == {"seeded": [RUC]}
    snapshot = tmp_path / "state.json"
    assert main(url + ["snapshot", "export", "-o", str(snapshot)]) == 0
    capsys.readouterr()
    assert main(url + ["reset", "--registry"]) == 0 and mock.admin.emitters() == []
    capsys.readouterr()
    assert main(url + ["snapshot", "import", str(snapshot)]) == 0 and len(mock.admin.emitters()) == 1
    capsys.readouterr()
    assert main(url + ["scenario", "add", "--action", "code", "--code", "12"]) == 1
    assert "code: '12' does not match '^[0-9]{4}$'" in capsys.readouterr().err
    assert main(["admin", "--url", "http://127.0.0.1:9", "journal"]) == 1
    assert "cannot reach" in capsys.readouterr().err


@pytest.mark.parametrize("args, message", [
    (["clock", "--advance", "nan"], "Invalid value for '--advance': 'nan' is not a finite number"),
    (["clock", "--days", "inf"], "Invalid value for '--days': 'inf' is not a finite number"),
    (["scenario", "add", "--action", "delay", "--delay", "Infinity"], "'Infinity' is not a finite number"),
    (["ticket", "--after-polls", "2"], "name the ticket to change, or give --default to set how new tickets progress"),
])
def test_cli_refuses_what_it_cannot_send(mock, capsys, args, message):
    """Before: NaN failed to encode and was reported as "cannot reach" the mock; flags that change a
    ticket were dropped without a ticket, and the tickets were listed instead."""
    assert main(["admin", "--url", mock.base_url, *args]) == 2
    assert message in capsys.readouterr().err


def test_cli_names_the_clock_range_when_asked_to_move_past_anything(mock, capsys):
    assert main(["admin", "--url", mock.base_url, "clock", "--days", "1e308"]) == 1
    assert "the clock cannot move that far: the clock reads between 1970-01-01 and 2999-12-31" in capsys.readouterr().err


# -- property-based: no body or query string makes the admin API or the portal answer 500 ---------------------
FIELDS = ["action", "operation", "ruc", "type_code", "serie", "numero", "code", "times", "delay_seconds", "probability",
          "seed", "http_status", "seconds", "minutes", "hours", "days", "at", "after_polls", "after_seconds", "emitters",
          "taxpayers", "users", "certificates", "padrones", "establishments", "physical_receipts", "from", "to", "type",
          "user", "password", "pem", "documents", "tickets", "scenarios", "registry"]
ATOMS = (st.none() | st.booleans() | st.integers() | st.integers(min_value=2**62, max_value=2**70)
         | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12)
         | st.sampled_from(["20123456789", "F001", "01", "delay", "code", "2017", "2026-11-20T10:00:00", "\u00b2", "9" * 30]))
JSON = st.recursive(ATOMS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.sampled_from(FIELDS) | st.text(max_size=6), inner, max_size=5), max_leaves=16)
POSTS = ["/_osemock/seed", "/_osemock/snapshot", "/_osemock/clock/freeze", "/_osemock/clock/advance",
         "/_osemock/tickets/progression", "/_osemock/tickets/123", "/_osemock/scenarios", "/_osemock/faults"]
PAGES = ["/", "/journal", "/tickets", "/consult", "/emitters", "/_osemock/journal", "/_osemock/tickets"]
PARAMS = ["ruc", "type", "serie", "numero", "from", "to", "outcome", "page", "limit", "after_id", "operation", "live"]


@pytest.mark.fuzz
@settings(max_examples=examples(120), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(path=st.sampled_from(POSTS), body=JSON)
def test_random_admin_bodies_are_never_a_500(mock, path, body):
    answer = requests.post(mock.url(path), data=json.dumps(body, allow_nan=True),
                           headers={"Content-Type": "application/json"}, timeout=10)
    assert answer.status_code < 500, (path, body, answer.text[:300])
    assert requests.get(mock.url("/"), timeout=10).status_code == 200  # and the server still works


@pytest.mark.fuzz
@settings(max_examples=examples(80), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(path=st.sampled_from(PAGES), params=st.dictionaries(st.sampled_from(PARAMS), st.one_of(
    st.integers().map(str), st.integers(min_value=2**62, max_value=2**80).map(str), st.text(max_size=12)), max_size=4))
def test_random_query_strings_are_never_a_500(mock, path, params):
    answer = requests.get(mock.url(path), params=params, timeout=10)
    assert answer.status_code < 500, (path, params, answer.text[:300])


# -- the OpenAPI description and the routes agree (schemathesis found where they did not) --------------------
FULL_REGISTRY = {
    "emitters": [{"ruc": "20999999999", "name": "PSE SAC", "padrones": ["05", {"padron": "02", "from": "2026-01-01"}],
                  "establishments": ["0001"], "physical_receipts": [{"type": "01", "serie": "0001", "from": 1, "to": 50}],
                  "users": [{"user": "FACTURA1", "password": "x"}], "pse_for": [RUC],
                  "certificates": [{"pem": (CERTS / "emitter-20123456789.cert.pem").read_text()}]}],
    "taxpayers": [{"ruc": "20555555555", "name": "CLIENTE SAC", "padrones": ["14"]}],
    "taxpayers_complete": True,
}


def _registry_rows(admin: AdminClient) -> dict[str, list[dict]]:
    from osemock.server.store import REGISTRY_TABLES

    tables = admin.export_snapshot()["tables"]
    return {table: tables[table] for table in REGISTRY_TABLES}


def test_a_snapshot_carries_the_whole_registry(mock, make_mock):
    """Padrones, establishments, receipt ranges, taxpayers and the lists declared were left out: a state
    restored from a snapshot judged documents against a smaller registry."""
    mock.admin.seed(FULL_REGISTRY)
    rows = _registry_rows(mock.admin)
    assert all(rows.values()), {table: len(found) for table, found in rows.items()}
    other = AdminClient(make_mock("ose", clock=f"{DAY}T18:00:00-05:00").base_url)
    other.import_snapshot(mock.admin.export_snapshot())
    assert _registry_rows(other) == rows


def test_reset_with_the_registry_forgets_all_of_it(mock):
    mock.admin.seed(FULL_REGISTRY)
    mock.admin.reset(registry=True)
    assert not any(_registry_rows(mock.admin).values())


def _spec_validator(mock, schema: dict):
    """A JSON Schema validator of ``schema`` whose ``#/components/…`` references read the served spec."""
    from jsonschema import Draft202012Validator

    spec = requests.get(mock.url("/_osemock/openapi.json"), timeout=10).json()
    return Draft202012Validator({**schema, "components": spec["components"]})


def test_answers_are_what_the_openapi_description_says(mock):
    mock.admin.scenario(action="delay")                     # every match field null
    mock.admin.scenario(action="code", code="0130", operation="sendBill", ruc=RUC, numero=3, note="x")
    client = mock.client()
    client.send_bill(factura(1))
    mock.admin.progression(after_polls=1)
    held = client.send_summary(comunicacion_baja(DAY, [("01", "F001", 1)])[1]).ticket  # at 98
    settled = client.send_summary(comunicacion_baja(DAY, [("01", "F001", 1)], number=2)[1]).ticket
    client.get_status(settled)
    checks = [("/_osemock/scenarios", {"type": "array", "items": {"$ref": "#/components/schemas/Scenario"}}),
              ("/_osemock/tickets", {"$ref": "#/components/schemas/TicketList"}),
              (f"/_osemock/tickets/{held}", {"$ref": "#/components/schemas/Ticket"}),
              (f"/_osemock/tickets/{settled}", {"$ref": "#/components/schemas/Ticket"}),
              ("/_osemock/clock", {"$ref": "#/components/schemas/Clock"}),
              ("/_osemock/journal", {"type": "array", "items": {"$ref": "#/components/schemas/JournalEntry"}}),
              ("/_osemock/snapshot", {"$ref": "#/components/schemas/Snapshot"})]
    for path, schema in checks:
        answer = requests.get(mock.url(path), timeout=10).json()
        errors = [error.message for error in _spec_validator(mock, schema).iter_errors(answer)]
        assert not errors, (path, errors[:3])


def test_the_seed_schema_is_the_registry_file_s(mock):
    validator = _spec_validator(mock, {"$ref": "#/components/schemas/Registry"})
    assert validator.is_valid(FULL_REGISTRY)
    assert not validator.is_valid({"emitters": [{"ruc": "20999999999", "padrones": [{"from": "2026-01-01"}]}]})


@pytest.mark.parametrize("path", ["/_osemock/journal?limit=1001", "/_osemock/journal?limit=0", "/_osemock/journal?limit=ten",
                                  "/_osemock/journal?after_id=-1", "/_osemock/journal?limit=%D9%A5",
                                  "/_osemock/journal?after_id=18446744073709551616&limit=-5",
                                  "/_osemock/snapshot?journal=maybe", "/_osemock/scenarios?active=null"])
def test_query_parameters_outside_the_description_are_400(mock, path):
    """They were read as something else (the default, a clamped number) without a word."""
    answer = requests.get(mock.url(path), timeout=10)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "bad-request"


def test_a_scenario_names_its_action_but_the_first_fault_api_works_it_out(mock):
    for body in ({}, {"code": "0130"}, [{"action": "drop"}, {"operation": "sendBill"}]):
        answer = requests.post(mock.url("/_osemock/scenarios"), json=body, timeout=10)
        assert answer.status_code == 400 and "action" in answer.json()["message"], body
    assert mock.admin.scenarios() == []
    planned = requests.post(mock.url("/_osemock/faults"), json={"code": "0130", "operation": "sendBill"}, timeout=10)
    assert planned.status_code == 200 and planned.json()[0]["action"] == "code"


def test_a_wrong_method_is_405_with_allow_and_a_negative_id_is_404(mock):
    wrong = requests.delete(mock.url("/_osemock/health"), timeout=10)
    assert wrong.status_code == 405 and "GET" in wrong.headers["Allow"]
    assert requests.delete(mock.url("/_osemock/scenarios/-293"), timeout=10).status_code == 404
    assert requests.delete(mock.url("/_osemock/scenarios/" + "9" * 25), timeout=10).status_code == 404
    assert requests.get(mock.url("/_osemock/journal/-1"), timeout=10).status_code == 404
    assert requests.put(mock.url("/journal"), timeout=10).headers.get("Allow")   # the portal's pages too
    post_only = requests.get(mock.url("/_osemock/clock/advance"), timeout=10)
    assert post_only.status_code == 405 and set(post_only.headers["Allow"].split(", ")) == {"OPTIONS", "POST"}
    unknown = requests.delete(mock.url("/_osemock/scenarios/null,null"), timeout=10)
    assert unknown.status_code == 404 and "openapi.json" in unknown.json()["message"]


def test_the_admin_cli_gives_up_on_an_answer_that_drips_in(capsys):
    """A server that sends its answer a byte every 0.2 s kept each read within requests' timeout, and
    `osemock admin` waited for ever (here some 20 s; for hours, a bigger answer): each call now ends
    within --timeout in all."""
    import socket
    import time

    from tests.helpers import raw_server

    def drip(connection: socket.socket) -> None:
        with connection:
            connection.recv(65536)
            head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n"
            try:
                for byte in head + b" " * 10:
                    connection.sendall(bytes([byte]))
                    time.sleep(0.2)
            except OSError:  # the client gave up
                pass

    with raw_server(drip) as port:
        url = f"http://127.0.0.1:{port}"
        started = time.monotonic()
        with pytest.raises(requests.ReadTimeout):
            AdminClient(url, timeout=1).health()
        assert time.monotonic() - started < 1.8
        started = time.monotonic()
        assert main(["admin", "--url", url, "--timeout", "1", "journal"]) == 1
        assert time.monotonic() - started < 1.8
        assert f"no whole answer from {url} within 1 s" in capsys.readouterr().err
        # a snapshot's export (600 s by default, a whole store) ends in the same line, not a traceback
        assert main(["admin", "--url", url, "--timeout", "1", "snapshot", "export"]) == 1
        assert f"no whole answer from {url} within 1 s" in capsys.readouterr().err
    assert AdminClient(url).snapshot_timeout == 600 and AdminClient(url).timeout == 30


def test_the_admin_cli_pointed_at_another_server_says_so_in_one_line(tmp_path, capsys):
    """It printed that server's whole HTML error page (or "cannot reach" for a 200 that is no JSON)."""
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), lambda *a: Quiet(*a, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        for command in (["journal"], ["reset"]):
            assert main(["admin", "--url", url, *command]) == 1
            error = capsys.readouterr().err
            assert f"answered HTTP {404 if command == ['journal'] else 501} with text/html, not the osemock admin API" in error
            assert "<html" not in error
    finally:
        server.shutdown()
        server.server_close()
