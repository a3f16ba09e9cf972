"""The homologation dry-run: SUNAT's historical set rebuilt for today, every case Aprobado against
the mock, and the three reports a person and a CI read."""
from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from junitparser import JUnitXml

from osemock.client import Status
from osemock.conformance.documents import CorpusDocument, Expectation, send
from osemock.conformance.homologation import ALL_GROUPS, EXTRA_GROUPS, _verdict, build_set, run
from osemock.conformance.connection import connect, make_client
from osemock.conformance.server import MockServer
from osemock.conformance.target import Target
from osemock.fixtures.faker_cpe import is_valid_ruc
from osemock.server.rules.lint import lint
from tests.conformance.helpers import forging_proxy, silent_endpoint
from tests.conformance.helpers import run as run_module

#: Case numbers of the set SUNAT assigned (28–31, 43–48, 79–84 were the ISC and perception groups).
SUNAT_CASES = [*range(1, 28), *range(32, 43), *range(49, 79), *range(85, 101)]


@pytest.fixture(scope="module")
def cases():
    return build_set("20123456789", seed=2026)


def test_the_set_has_sunats_case_numbers_and_shape(cases):
    assert [case.number for case in cases] == SUNAT_CASES
    by_group = Counter(case.group for case in cases)
    assert by_group == {1: 11, 2: 11, 3: 5, 4: 11, 7: 3, 8: 11, 9: 11, 10: 5, 11: 11, 12: 3, 13: 1, 14: 1}
    group_1 = [c for c in cases if c.group == 1]
    assert [c.type_code for c in group_1] == ["01"] * 5 + ["07"] * 3 + ["08"] * 3
    assert [c.reference for c in group_1[5:]] == ["FF11-2", "FF11-3", "FF11-4"] * 2
    assert [c.xml.count(b"<cac:InvoiceLine>") for c in group_1[:5]] == [3, 2, 1, 5, 4]
    assert b"<cbc:DocumentCurrencyCode" in cases[[c.number for c in cases].index(49)].xml
    assert b">USD<" in cases[[c.number for c in cases].index(49)].xml


def test_the_boleta_groups_have_their_own_historical_line_counts(cases):
    """They copied the factura groups' shapes; the assigned set (listapruebas.json, ANCHORS.md §3.5)
    gives the boletas their own line counts and noted documents."""
    lines = {group: [c.xml.count(b"<cac:InvoiceLine>") for c in cases if c.group == group and c.type_code == "03"]
             for group in (8, 9, 10, 11, 12)}
    assert lines == {8: [4, 7, 5, 3, 2], 9: [2, 4, 7, 5, 1], 10: [7, 2, 5, 4, 9], 11: [10, 7, 6, 9, 4], 12: [3]}
    noted = {group: [c.reference for c in cases if c.group == group and c.type_code == "07"] for group in (8, 9, 11, 12)}
    assert noted == {8: ["BB11-2", "BB11-3", "BB11-4"], 9: ["BB12-1", "BB12-4", "BB12-5"],
                     11: ["BB14-1", "BB14-2", "BB14-4"], 12: ["BB50-1"]}
    assert [c.reference for c in cases if c.group == 11 and c.type_code == "08"] == noted[11]


def test_every_generated_document_passes_the_validation_engine(cases):
    for case in cases:
        if case.type_code in ("RC", "RA"):
            continue
        result = lint(case.xml, case.file_name)
        assert result.accepted, (case.number, [(f.code, f.xpath, f.message) for f in result.findings])


def test_parties_are_realistic(cases):
    customers = {c.xml.split(b"AccountingCustomerParty")[1].split(b'catalogo06">')[1].split(b"<")[0].decode()
                 for c in cases if c.type_code == "01"}
    assert len(customers) > 10 and all(is_valid_ruc(ruc) for ruc in customers)


def test_every_case_is_aprobado_against_the_mock(cases, tmp_path):
    with MockServer() as server:
        client = make_client(Target(), server.url, [server.certificate])
        report = run(client, cases, "in-process mock")
        stored = server.store.query("SELECT status, COUNT(*) AS n FROM documents GROUP BY status")
    labels = Counter(case.label for case in report.cases)
    assert labels == {"Aprobado": len(SUNAT_CASES)}, [(c.name, c.code, c.description) for c in report.cases
                                                      if c.label != "Aprobado"]
    assert all(case.cdr_xml for case in report.cases)
    assert report.cases[-1].ticket and report.cases[-2].ticket  # the summaries went through getStatus
    # 82 documents sent one by one and 3 boletas the resumen informed; the baja voided FF11-1
    assert {row["status"]: row["n"] for row in stored} == {"accepted": 82 + 3 - 1, "voided": 1}

    junit, html, data = report.write(tmp_path)
    xml = JUnitXml.fromfile(str(junit))
    assert (xml.tests, xml.failures, xml.errors) == (len(SUNAT_CASES), 0, 0)
    page = html.read_text(encoding="utf-8")
    assert page.count('<tr id="case-') == len(SUNAT_CASES) and "Aprobado" in page
    assert "<script" not in page and "<link" not in page and 'src="http' not in page  # self-contained
    assert json.loads(data.read_text(encoding="utf-8"))["counts"]["passed"] == len(SUNAT_CASES)


def test_the_isc_groups_outside_the_2017_set_are_aprobado_too():
    cases = build_set("20123456789", EXTRA_GROUPS, seed=5)
    assert [case.number for case in cases] == list(range(101, 123))
    assert all(b">2000</cbc:ID>" in case.xml for case in cases)  # an ISC subtotal in every document
    with MockServer() as server:
        report = run(make_client(Target(), server.url, [server.certificate]), cases)
    assert {case.label for case in report.cases} == {"Aprobado"}, [(c.name, c.code) for c in report.cases]


def test_sunat_production_dialect_with_a_registry(tmp_path):
    """sunat-prod has no test credentials: the registry gives the SOL user; rejections come as CDRs."""
    registry = tmp_path / "emitters.yaml"
    registry.write_text('emitters:\n  - ruc: "20123456789"\n    users:\n      - {user: FACTURA1, password: secreto}\n',
                        encoding="utf-8")
    target = Target(profile="sunat-prod", user="FACTURA1", password="secreto", registry=registry)
    cases = build_set("20123456789", (1, 14), seed=8)
    cases[1].xml = cases[1].xml.replace(b'<cbc:PayableAmount currencyID="PEN">', b'<cbc:PayableAmount currencyID="PEN">9', 1)
    with connect(target) as connection:
        report = run(connection.client(), cases)
    refused = {case.name: case.code for case in report.cases if case.label != "Aprobado"}
    # factura 2 is rejected, and so are the notes on it (2121 credit, 2208 debit): a rejected document
    # cannot be modified
    assert refused == {"Caso 2": "3280", "Caso 6": "2121", "Caso 9": "2208"} and report.cases[1].status == "rejected" and report.cases[1].cdr_xml
    assert len(report.cases[-1].ticket) == 15  # SUNAT production's tickets


def test_a_rejected_case_is_no_aprobado_with_its_code():
    cases = build_set("20123456789", (1,), seed=1)
    cases[0].xml = cases[0].xml.replace(b'<cbc:PayableAmount currencyID="PEN">', b'<cbc:PayableAmount currencyID="PEN">9', 1)
    with MockServer() as server:
        report = run(make_client(Target(), server.url, [server.certificate]), cases)
    first = report.cases[0]
    assert (first.label, first.verdict, first.code) == ("No aprobado", "failed", "3280")
    assert not report.ok


@pytest.mark.parametrize("mode", ["altered", "replayed"])
def test_a_forged_cdr_or_another_documents_is_no_aprobado(mode):
    """An endpoint (or what stands between) that alters the CDR after signing it, or answers every
    sendBill with the first CDR: the cases were Aprobado, on ``accepted`` alone."""
    cases = build_set("20123456789", (1,), seed=6)  # FF11-1…5, then notes FF11-1…3 of type 07 and of 08
    with MockServer() as server, forging_proxy(server.base_url, mode) as proxy:
        report = run(make_client(Target(), proxy + "/ol-ti-itcpe/billService"), cases)  # a URL: integrity only
    rows = [(case.label, case.message) for case in report.cases]
    if mode == "altered":
        assert all(label == "No aprobado" and message.startswith("0 La ")
                   and "the CDR's signature does not verify" in message for label, message in rows), rows
    else:
        assert rows[0] == ("Aprobado", "")  # the first CDR is its own
        assert rows[1][0] == "No aprobado"
        assert rows[1][1].endswith("the CDR answers FF11-1, not FF11-2 (the document sent)"), rows[1]
        note = next(message for case, (_, message) in zip(cases, rows) if case.type_code == "07")
        assert note.endswith("the CDR answers a document of type 01 FF11-1, not the 07 sent"), note
        assert [label for label, _ in rows[1:]] == ["No aprobado"] * 10
    assert not report.ok


def test_a_ticket_still_pending_is_en_proceso_not_rejected_with_98(make_mock, tmp_path):
    held = tmp_path / "held.yaml"
    held.write_text("extends: ose\nname: held\nticket_after_polls: 1000\n", encoding="utf-8")
    server = make_mock(str(held))
    baja = next(case for case in build_set("20123456789", (1, 14), seed=2) if case.type_code == "RA")
    outcome = send(make_client(Target(), server.url()), CorpusDocument(Path(baja.file_name), baja.xml, Expectation()),
                   ticket_timeout=0.3)
    assert outcome.status is Status.PENDING and outcome.ticket
    assert _verdict(outcome) == ("error", "En proceso", f"the ticket {outcome.ticket} was still at 98 (en proceso) "
                                                        "when the kit stopped waiting")
    assert Expectation().judge(outcome).startswith("no verdict yet: the ticket")


def test_a_case_at_an_endpoint_that_never_answers_costs_about_its_timeout():
    """Sent, then getStatusCdr tried three times and a resend, each waiting the whole timeout: about six
    times it a case (some 7 h for the set at the default 60 s), reported "No enviado" though it was
    sent.  The case's calls share the timeout now, plus as much again (5 s at most) for the getStatusCdr."""
    case = build_set("20123456789", (7,), seed=6)[0]
    with silent_endpoint() as url:
        report = run(make_client(Target(timeout=1.0), url), [case])
    row = report.cases[0]
    assert (row.label, row.verdict) == ("Sin respuesta", "error"), row
    assert row.duration < 4, row.duration  # 1 s for the send, 1 s for getStatusCdr, backoffs; it was about 6 s
    # what happened, in order: it said "…within 1.0 s, twice (getStatusCdr in between found no CDR …)",
    # though the case's time was spent after one send and the getStatusCdr had no answer either
    spent = r"this case already waited \d+ s for answers that did not come \(timeout 1 s\)"
    assert re.fullmatch(f"no answer from {url} within 1.0 s; getStatusCdr could not say whether it was taken "
                        rf"\(no answer from {url} within 1.0 s; not tried again: {spent}\); not sent again \({spent}\): "
                        "it may have been taken; ask getStatusCdr again before sending it once more", row.message), row.message


def test_the_client_of_a_case_still_finds_the_cdr_of_a_send_whose_answer_was_lost():
    """Sharing the timeout leaves the client's recovery its chance: the mock took the factura and
    dropped the line; the getStatusCdr after the timeout finds its CDR."""
    from osemock.conformance.admin import OseAdmin
    from osemock.conformance.factory import DocumentFactory

    with MockServer() as server:
        OseAdmin(server.url).scenario(action="lost", operation="sendBill", delay_seconds=4)
        client = make_client(Target(timeout=2.0), server.url, [server.certificate])
        outcome = client.send_bill(DocumentFactory("20123456789", start=1).factura()[1])
    assert (outcome.status, outcome.already_sent) == (Status.ACCEPTED, True), outcome.description


def test_a_baja_whose_line_dropped_after_it_went_out_is_sin_respuesta_and_sent_once(make_mock):
    """The mock took the baja and dropped the line: the client sent it again and the case was judged on
    the copy's ticket; it is sent once now, and the case says no answer came."""
    from osemock.conformance.admin import OseAdmin

    server = make_mock("ose")
    OseAdmin(server.base_url).scenario(action="lost", operation="sendSummary", delay_seconds=0.1, times=1)
    baja = next(case for case in build_set("20123456789", (1, 14), seed=2) if case.type_code == "RA")
    outcome = send(make_client(Target(), server.url()), CorpusDocument(Path(baja.file_name), baja.xml, Expectation()))
    verdict, label, why = _verdict(outcome)
    assert (verdict, label) == ("error", "Sin respuesta") and "may have been taken" in why, why
    assert len(server.app.engine.store.query("SELECT ticket FROM tickets")) == 1


def test_homologate_command_end_to_end(tmp_path):
    result = run_module(["osemock", "homologate", "--groups", "1,13,14", "--seed", "3", "--report", str(tmp_path)],
                        tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "13 de 13 casos aprobados" in result.stdout
    assert {p.name for p in tmp_path.iterdir()} >= {"junit.xml", "report.html", "report.json"}


def test_documents_are_issued_on_the_day_of_an_osemock_target(make_mock, tmp_path):
    """A mock started with --clock at a past date judges 2329 (dated in the future) and the deadlines by
    its own clock: the dry-run issues on that day, and a real OSE's day is Lima's today."""
    mock = make_mock("ose", clock="2026-11-20T12:00:00-05:00")
    result = run_module(["osemock", "homologate", "--target", mock.url(), "--groups", "1,13,14", "--seed", "4",
                         "--report", str(tmp_path)], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "13 de 13 casos aprobados" in result.stdout
    issued = {case["document"]: case for case in json.loads((tmp_path / "report.json").read_text())["cases"]}
    assert any("RA-20261120-" in name for name in issued), sorted(issued)
    with connect(Target(endpoint="http://127.0.0.1:9/ol-ti-itcpe/billService", timeout=2)) as nowhere:
        from datetime import datetime

        from osemock.server.clock import LIMA

        assert nowhere.issue_day() == datetime.now(LIMA).date()


def test_homologate_rejects_unknown_groups(tmp_path):
    result = run_module(["osemock", "homologate", "--groups", "6"], tmp_path)
    assert result.returncode == 2 and "no group [6]" in result.stderr
    result = run_module(["osemock", "homologate", "--groups", "1,x"], tmp_path)
    assert result.returncode == 2 and "group numbers such as" in result.stderr
    assert ALL_GROUPS[-2:] == (13, 14)


def test_a_seed_reproduces_the_set_names_of_its_summaries_included():
    """The resumen's and the baja's correlativo was the second of the day the set was built, so two
    builds with one seed differed in those two names (and their content)."""
    import time
    from datetime import date

    first = build_set("20123456789", (1, 13, 14), seed=9, issued=date(2026, 11, 20))
    time.sleep(1.1)  # another second of the clock
    again = build_set("20123456789", (1, 13, 14), seed=9, issued=date(2026, 11, 20))
    assert [(c.document_id, c.xml) for c in first] == [(c.document_id, c.xml) for c in again]
    assert [c.document_id for c in first[-2:]] == ["20123456789-RC-20261120-1", "20123456789-RA-20261120-1"]
    moved = build_set("20123456789", (1, 13, 14), seed=9, issued=date(2026, 11, 20), first_number=100)
    assert [c.document_id for c in moved[-2:]] == ["20123456789-RC-20261120-100", "20123456789-RA-20261120-100"]


def test_a_run_at_a_real_endpoint_numbers_its_summaries_by_the_second_of_the_day():
    """Without --first-number a real endpoint's run takes numbers from the clock, so a rerun a second
    later reuses no name (1033): the documents' from the epoch's second, the summaries' the day's."""
    from datetime import datetime

    from osemock.conformance.homologation import clock_numbers
    from osemock.server.clock import LIMA

    moment = datetime(2026, 11, 20, 13, 5, 7, tzinfo=LIMA)
    assert clock_numbers(moment) == ((int(moment.timestamp()) % 1_000_000) * 10 + 1, 13 * 3600 + 5 * 60 + 7 + 1)
