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
    assert _day(second.clock()["now"]) in ("2026-11-22", "2027-01-05")  # the others follow within 1 s


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
