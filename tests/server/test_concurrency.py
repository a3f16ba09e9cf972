"""Concurrency over real HTTP: the same factura sent at once by several clients is accepted exactly
once (the others get 1033), tickets polled from many threads settle once, and two server processes
sharing one SQLite store agree on both."""
from __future__ import annotations

import base64
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from osemock.cpe.archive import write_document_zip
from osemock.fixtures import signed_document
from osemock.fixtures.summaries import comunicacion_baja

from tests.serving import serve, wait_until_both_workers_serve

from .envelopes import call, send_bill

RUC = "20123456789"
NAME = f"{RUC}-01-F001-1"
DAY = "2026-11-20"
CLOCK = f"{DAY}T18:00:00-05:00"
AUTH = {"username": RUC + "BIZLINKS", "password": "TESTBIZLINKS"}


def _outcome(reply) -> str:
    return "accepted" if reply.status == 200 and not reply.is_fault else reply.code()


def _race(urls: list[str], zipped: bytes, clients: int = 12) -> list[str]:
    with ThreadPoolExecutor(clients) as pool:
        replies = list(pool.map(lambda i: send_bill(urls[i % len(urls)], f"{NAME}.zip", zipped, **AUTH), range(clients)))
    return sorted(_outcome(reply) for reply in replies)


def _logs(folder) -> str:
    """What the server processes logged (the errors behind an unexpected 0100)."""
    return "\n".join(path.read_text()[-3000:] for path in sorted(folder.glob("serve-*.log")))


def test_the_same_factura_sent_at_once_is_accepted_once(make_mock):
    mock = make_mock("ose", clock=CLOCK)
    zipped = write_document_zip(f"{NAME}.xml", signed_document(f"{NAME}.xml", issue_date=DAY))
    outcomes = _race([mock.url()], zipped)
    assert outcomes.count("accepted") == 1 and outcomes.count("1033") == len(outcomes) - 1, outcomes
    assert len(mock.app.engine.store.query("SELECT 1 FROM documents")) == 1


def test_a_ticket_polled_from_many_threads_settles_once(make_mock, tmp_path):
    profile = tmp_path / "slow.yaml"
    profile.write_text("extends: ose\nname: slow\nticket_after_polls: 3\n")
    mock = make_mock(str(profile), clock=CLOCK)
    assert send_bill(mock.url(), f"{NAME}.zip", write_document_zip(f"{NAME}.xml", signed_document(f"{NAME}.xml", issue_date=DAY)),
                     **AUTH).status == 200
    name, xml = comunicacion_baja(DAY, [("01", "F001", 1)])
    ticket = call(mock.url(), "sendSummary", {"fileName": f"{name}.zip",
                                              "contentFile": base64.b64encode(write_document_zip(f"{name}.xml", xml)).decode()},
                  **AUTH).text("ticket")
    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda _: call(mock.url(), "getStatus", {"ticket": ticket}, **AUTH), range(24)))
    codes = [reply.text("statusCode") for reply in replies]
    assert set(codes) <= {"98", "0"} and "0" in codes
    contents = {reply.text("content") for reply in replies if reply.text("statusCode") == "0"}
    assert len(contents) == 1  # one CDR, whoever asked
    voided = mock.app.engine.store.query("SELECT voided_by FROM documents WHERE serie='F001' AND numero=1")
    assert voided[0]["voided_by"] == ticket


def test_two_server_processes_share_one_store(tmp_path):
    db, processes, bases = tmp_path / "shared.sqlite3", [], []
    try:
        for index in range(2):
            process, base = serve("--db", str(db), "--clock", CLOCK, output=(tmp_path / f"serve-{index}.log").open("w"))
            processes.append(process)
            bases.append(base)
        urls = [f"{base}/ol-ti-itcpe/billService" for base in bases]
        zipped = write_document_zip(f"{NAME}.xml", signed_document(f"{NAME}.xml", issue_date=DAY))
        outcomes = _race(urls, zipped, clients=10)
        assert outcomes.count("accepted") == 1 and outcomes.count("1033") == 9, (outcomes, _logs(tmp_path))
        certificates = {requests.get(f"{base}/_osemock/certificate.pem", timeout=5).content for base in bases}
        assert len(certificates) == 1  # one identity for the store's CDRs
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)


def test_serve_with_several_workers(tmp_path):
    """``osemock serve --workers 2``: gunicorn processes sharing the store answer as one mock."""
    process, base = serve("--workers", "2", "--db", str(tmp_path / "store.sqlite3"), "--clock", CLOCK,
                          output=(tmp_path / "serve-workers.log").open("w"))
    try:
        zipped = write_document_zip(f"{NAME}.xml", signed_document(f"{NAME}.xml", issue_date=DAY))
        outcomes = _race([f"{base}/ol-ti-itcpe/billService"], zipped, clients=8)
        assert outcomes.count("accepted") == 1 and outcomes.count("1033") == 7, (outcomes, _logs(tmp_path))
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_polls_at_once_on_several_workers_answer_98_as_many_times_as_held(tmp_path):
    """``ticket_after_polls: 4`` answers 98 four times, with polls on both workers at once: five polls
    of a ticket fired together are four 98s and its settling.  getStatus read the ticket, counted the
    poll in another transaction and judged the count it had read: two workers reading the same count
    both answered 98 (a ticket held for 2 polls answered it up to 4 times).  A trigger of the real store
    makes counting a poll take ~40 ms, as a busy disk would, so that the polls of both workers meet."""
    import sqlite3

    db = tmp_path / "store.sqlite3"
    process, base = serve("--workers", "2", "--threads", "1", "--db", str(db), "--clock", CLOCK,
                          output=(tmp_path / "serve-workers.log").open("w"))
    url = f"{base}/ol-ti-itcpe/billService"
    try:
        wait_until_both_workers_serve(base)
        with sqlite3.connect(db) as store:
            store.execute("CREATE TRIGGER slow_count AFTER UPDATE OF polls ON tickets "
                          "BEGIN SELECT length(hex(zeroblob(10000000))); END")
        held = requests.post(f"{base}/_osemock/tickets/progression", json={"after_polls": 4}, timeout=10)
        assert held.status_code == 200, held.text
        for number in range(1, 11):
            factura = write_document_zip(f"{RUC}-01-F001-{number}.xml",
                                         signed_document(f"{NAME}.xml", issue_date=DAY, numero=number))
            assert _outcome(send_bill(url, f"{RUC}-01-F001-{number}.zip", factura, **AUTH)) == "accepted"
            name, xml = comunicacion_baja(DAY, [("01", "F001", number)], number=number)
            ticket = call(url, "sendSummary", {"fileName": f"{name}.zip", "contentFile": base64.b64encode(
                write_document_zip(f"{name}.xml", xml)).decode()}, **AUTH).text("ticket")
            with ThreadPoolExecutor(5) as pool:
                replies = list(pool.map(lambda _: call(url, "getStatus", {"ticket": ticket}, **AUTH), range(5)))
            codes = sorted(reply.text("statusCode") for reply in replies)
            assert codes == ["0", "98", "98", "98", "98"], (number, codes, _logs(tmp_path))
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_a_worker_busy_with_a_held_answer_leaves_new_requests_to_the_other(tmp_path):
    """gunicorn workers take no more connections than they have threads (server/gunicorn_conf.py).
    With one thread each and one answer held 3 s by a delay scenario, four sendBills in a row are all
    taken by the free worker; with gunicorn's default the held worker kept accepting, and each of
    them had even odds of waiting out the 3 s behind the held one."""
    process, base = serve("--workers", "2", "--threads", "1", "--db", str(tmp_path / "store.sqlite3"),
                          "--clock", CLOCK, output=(tmp_path / "serve-workers.log").open("w"))
    url = f"{base}/ol-ti-itcpe/billService"
    try:
        planned = requests.post(f"{base}/_osemock/scenarios", json={"action": "delay", "delay_seconds": 3,
                                                                    "operation": "sendBill", "times": 1}, timeout=10)
        assert planned.status_code == 201, planned.text
        facturas = [write_document_zip(f"{RUC}-01-F001-{n}.xml", signed_document(f"{NAME}.xml", issue_date=DAY, numero=n))
                    for n in range(1, 6)]
        with ThreadPoolExecutor(1) as pool:
            held = pool.submit(send_bill, url, f"{RUC}-01-F001-1.zip", facturas[0], **AUTH)
            time.sleep(0.5)  # the held request is in its worker
            for n, zipped in enumerate(facturas[1:], 2):
                started = time.monotonic()
                reply = send_bill(url, f"{RUC}-01-F001-{n}.zip", zipped, **AUTH)
                assert _outcome(reply) == "accepted", (reply.body[:300], _logs(tmp_path))
                assert time.monotonic() - started < 1.5, f"F001-{n} waited behind the held answer"
            assert _outcome(held.result()) == "accepted"
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_invalid_documents_validated_at_once_each_get_their_own_error(make_mock):
    """Threads share one compiled schema: each 0306 names its own document's error, never another's."""
    mock = make_mock("ose", clock=CLOCK)
    bodies = []
    for numero in range(1, 9):  # odd numbers carry an unknown cbc:Bogus, even ones a cbc:Wrong
        name = f"{RUC}-01-F001-{numero}"
        xml = signed_document(f"{NAME}.xml", issue_date=DAY).replace(b"<cbc:ID>F001-1</cbc:ID>", f"<cbc:ID>F001-{numero}</cbc:ID>".encode())
        xml = xml.replace(b"<cbc:IssueTime>", b"<cbc:Bogus>x</cbc:Bogus><cbc:IssueTime>") if numero % 2 else xml.replace(
            b"<cbc:LineCountNumeric>", b"<cbc:Wrong>1</cbc:Wrong><cbc:LineCountNumeric>")
        bodies.append((name, write_document_zip(f"{name}.xml", xml), b"Bogus" if numero % 2 else b"Wrong"))
    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda item: (item[2], send_bill(mock.url(), f"{item[0]}.zip", item[1], **AUTH)), bodies))
    for element, reply in replies:
        assert reply.code() == "0306"
        assert element.decode() in reply.text("message"), reply.text("message")


def test_two_processes_drawing_a_ticket_in_the_same_millisecond_each_get_their_own(make_mock, tmp_path, monkeypatch):
    """A ticket is the epoch millisecond (SUNAT beta's shape), kept unique by each process; two workers
    over one store can draw the same one. Under load that was a UNIQUE failure and a 0100 for the
    second summary; the second now takes the next free number."""
    shared = tmp_path / "shared.sqlite3"
    workers = [make_mock("ose", db=shared, clock=CLOCK), make_mock("ose", db=shared, clock=CLOCK)]
    monkeypatch.setattr(time, "time", lambda: 1_764_000_000.123)  # both draw the same millisecond
    tickets = []
    for number, worker in enumerate(workers, start=1):
        name, xml = comunicacion_baja(DAY, [("01", "F001", number)], number=number)
        reply = call(worker.url(), "sendSummary", {"fileName": f"{name}.zip",
                                                   "contentFile": base64.b64encode(write_document_zip(f"{name}.xml", xml)).decode()},
                     **AUTH)
        assert reply.status == 200 and not reply.is_fault, reply.text("faultstring")
        tickets.append(reply.text("ticket"))
    assert tickets == ["1764000000123", "1764000000124"]


def _factura_of_lines(lines: int, numero: int) -> bytes:
    """The sample factura as F001-``numero`` with ``lines`` lines, dated and signed."""
    from lxml import etree

    from osemock.cpe import ns
    from osemock.cpe.signature import sign
    from osemock.fixtures import dated, emitter_keypair, factura_with_lines

    root = etree.fromstring(factura_with_lines(lines))
    root.find(f"{{{ns.CBC}}}ID").text = f"F001-{numero}"
    return etree.tostring(sign(dated(root, DAY), emitter_keypair()), xml_declaration=True, encoding="UTF-8")


def test_a_long_answer_lets_short_ones_go_first(make_mock):
    """A process answers one request at a time (server.turn), but a document of thousands of lines,
    once it has had the turn 50 ms, lets a waiting request go first at its next pause: a small
    factura sent while a big one is being checked is answered before it."""
    mock = make_mock("ose", clock=CLOCK)
    big = (f"{RUC}-01-F001-2", write_document_zip(f"{RUC}-01-F001-2.xml", _factura_of_lines(3000, 2)))
    small = (NAME, write_document_zip(f"{NAME}.xml", signed_document(f"{NAME}.xml", issue_date=DAY)))
    finished: list[tuple[str, str]] = []

    def send(document: tuple[str, bytes]) -> None:
        name, zipped = document
        finished.append((name, _outcome(send_bill(mock.url(), f"{name}.zip", zipped, **AUTH))))

    with ThreadPoolExecutor(2) as pool:
        answered_big = pool.submit(send, big)
        time.sleep(0.5)  # the big factura is being parsed or checked
        pool.submit(send, small).result()
        assert not answered_big.done()
        answered_big.result()
    # the small one accepted first; the big one after every rule (its line numbers pass 999: 2023)
    assert finished == [(NAME, "accepted"), (f"{RUC}-01-F001-2", "2023")]


_PAUSE_IN_A_WRITE = """
import sys, threading, time
from pathlib import Path
from osemock.server import turn
from osemock.server.settings import Settings
from osemock.server.wsgi import ENGINE_TURN, create_app

folder = Path(sys.argv[1])
app = create_app(Settings(db=folder / "s.sqlite3", data_dir=folder / "keys"))
store = app.engine.store
other_done = threading.Event()

def other_answer():  # a sendBill waiting for the turn, that will store its document
    with ENGINE_TURN, store.transaction():
        pass
    other_done.set()

def long_answer():  # a summary judged and applied in one write transaction, past turn.LONG
    with ENGINE_TURN, store.transaction():
        threading.Thread(target=other_answer, daemon=True).start()
        time.sleep(turn.LONG * 3)  # the other answer waits for the turn by now
        app.pause_between_checks()  # what the rules engine calls between checks
    print("long answer over")

threading.Thread(target=long_answer, daemon=True).start()
print("other answer over" if other_done.wait(10) else "stuck")
"""


def test_a_long_answer_holding_the_stores_writer_keeps_the_turn(tmp_path):
    """A long answer lets a waiting one go first at a pause, but not while it holds the store's writer
    (a summary is judged and applied in one write transaction): the answer let go first waited for the
    writer and this one for the turn, and the worker hung for good under load.  Run in a process of
    its own, so a hang cannot take the turn of this one's mocks with it."""
    done = subprocess.run([sys.executable, "-c", _PAUSE_IN_A_WRITE, str(tmp_path)], capture_output=True, text=True,
                          timeout=60)
    assert done.stdout.split("\n")[:2] == ["long answer over", "other answer over"], done.stdout + done.stderr
