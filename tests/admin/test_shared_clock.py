"""The clock several servers on one store share: a server started with ``--clock`` sets it, one started
without follows it as it stands."""
from __future__ import annotations

import json
import logging
import os
import signal
import time
from datetime import datetime
from pathlib import Path

import pytest

from osemock.server.admin.client import AdminClient
from osemock.server.admin.shared_clock import SharedClock
from osemock.server.clock import LIMA
from osemock.server.store import Store

from tests.serving import serve, wait_until_healthy

DRILL = "2026-11-20T12:00:00"


def _day(reading: str) -> str:
    return reading[:10]


def test_a_server_without_clock_follows_the_stores_clock_and_one_with_a_clock_sets_it(make_mock, tmp_path, caplog):
    """Before: the second server, started without --clock, reset the first one's drill clock to the
    real time, for both, without a word."""
    db = tmp_path / "shared.sqlite3"
    first = AdminClient(make_mock("ose", clock=DRILL, db=db).base_url)
    first.freeze("2026-11-21T08:00:00")
    with caplog.at_level(logging.WARNING, logger="osemock.server.admin.shared_clock"):
        second = AdminClient(make_mock("ose", db=db).base_url)
    assert second.clock()["now"] == first.clock()["now"] == "2026-11-21T08:00:00-05:00"
    assert "follows the store's clock, started at 2026-11-20T12:00:00" in caplog.text
    assert second.clock()["start"] is None and first.clock()["start"] == DRILL   # each its own configuration
    second.advance(days=1)   # a change through the follower keeps the drill's start in the store...
    again = AdminClient(make_mock("ose", clock=DRILL, db=db).base_url)
    assert again.clock()["now"] == "2026-11-22T08:00:00-05:00"   # ...so a restarted drill server adopts it
    other = AdminClient(make_mock("ose", clock="2027-01-05T09:00:00", db=db).base_url)
    assert _day(other.clock()["now"]) == "2027-01-05"             # another --clock is a statement: anew
    assert _day(second.clock()["now"]) == "2027-01-05"            # the others follow at their next request


def test_restart_through_a_server_without_clock_is_the_real_time(make_mock, tmp_path):
    db = tmp_path / "shared.sqlite3"
    AdminClient(make_mock("ose", clock=DRILL, db=db).base_url)
    follower = make_mock("ose", db=Path(db))
    admin = AdminClient(follower.base_url)
    assert _day(admin.clock()["now"]) == "2026-11-20"
    admin.call("POST", "/clock/restart")
    assert _day(admin.clock()["now"]) == datetime.now(LIMA).date().isoformat()


def _workers(master: int) -> set[int]:
    """The live processes whose parent is ``master`` (gunicorn's workers)."""
    found = set()
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        if fields.get("PPid") == str(master) and not fields.get("State", "").startswith("Z"):
            found.add(int(status.parent.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="finds gunicorn's workers in Linux's /proc")
def test_a_worker_gunicorn_starts_again_follows_the_stores_clock(tmp_path):
    """A snapshot's clock, started from another --clock and frozen, imported into `--workers 2 --clock`:
    gunicorn started a killed worker again with the server's --clock, and it started the store's clock
    anew for every worker (running from the --clock again).  The server's start still does."""
    db, log = tmp_path / "store.sqlite3", (tmp_path / "serve.log").open("w")
    other = {"start": "2026-10-01T09:00:00-05:00", "offset_seconds": 0, "frozen_at": "2026-10-05T09:00:00-05:00"}
    store = Store(db)
    SharedClock(store, other["start"]).freeze(other["frozen_at"])  # another server's drill
    store.close()
    process, base = serve("--workers", "2", "--clock", DRILL, "--db", str(db), output=log)
    try:
        admin = AdminClient(base)
        assert {_day(admin.clock()["now"]) for _ in range(6)} == {"2026-11-20"}  # another --clock: anew
        snapshot = admin.export_snapshot(journal=False)
        snapshot["tables"]["osemock_state"] = [{"key": "clock", "value": json.dumps(other)}]
        admin.import_snapshot(snapshot)
        before = _workers(process.pid)
        assert len(before) == 2
        for worker in before:
            os.kill(worker, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while _workers(process.pid) & before or len(_workers(process.pid)) < 2:
            assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()[-2000:]
            time.sleep(0.05)
        wait_until_healthy(base, process)  # answered by a worker started again, its app built
        assert {admin.clock()["now"] for _ in range(6)} == {other["frozen_at"]}
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_every_worker_answers_on_the_clock_an_admin_call_just_put_back(tmp_path):
    """A drill froze the clock before the documents' day and every worker read it; then the next test's
    reset (or a clock restart, or a snapshot import) put it back, and sent that day's facturas at once.
    A worker re-read the store's clock at most once a second, so about half of them met the frozen
    clock there: 2329 (issued in the future), each number used up.  Each request now reads it first."""
    from concurrent.futures import ThreadPoolExecutor

    from osemock.cpe.archive import write_document_zip
    from osemock.fixtures import signed_document

    from tests.admin.conftest import CLOCK, DAY, RUC
    from tests.server.envelopes import send_bill

    process, base = serve("--workers", "2", "--clock", CLOCK, "--db", str(tmp_path / "store.sqlite3"),
                          output=(tmp_path / "serve.log").open("w"))
    admin, url = AdminClient(base), f"{base}/ol-ti-itcpe/billService"
    snapshot = admin.export_snapshot(journal=False)   # the clock running at CLOCK
    put_back = {"reset": admin.reset, "restart": lambda: admin.call("POST", "/clock/restart"),
                "import": lambda: admin.import_snapshot(snapshot)}

    def send(number: int) -> str:
        reply = send_bill(url, f"{RUC}-01-F001-{number}.zip",
                          write_document_zip(f"{RUC}-01-F001-{number}.xml",
                                             signed_document(f"{RUC}-01-F001-1.xml", issue_date=DAY, numero=number)),
                          username=f"{RUC}BIZLINKS", password="TESTBIZLINKS")
        return "accepted" if reply.status == 200 and not reply.is_fault else reply.code()

    try:
        for round_, (how, call) in enumerate(put_back.items()):
            admin.freeze("2026-11-10T12:00:00")   # the drill, ten days before the facturas' day
            time.sleep(1.1)                       # past the once-a-second re-read...
            for _ in range(6):                    # ...so that both workers hold the frozen clock
                admin.clock()
            call()
            with ThreadPoolExecutor(4) as pool:
                outcomes = list(pool.map(send, range(10 * round_ + 10, 10 * round_ + 14)))
            assert outcomes == ["accepted"] * 4, (how, outcomes, (tmp_path / "serve.log").read_text()[-2000:])
            assert {_day(admin.clock()["now"]) for _ in range(6)} == {DAY}, how
    finally:
        process.terminate()
        process.wait(timeout=15)
