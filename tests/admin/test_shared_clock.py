"""The clock several servers on one store share: a server started with ``--clock`` sets it, one started
without follows it as it stands."""
from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from osemock.server.admin.client import AdminClient
from osemock.server.clock import LIMA

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
