"""A :class:`Clock` whose freeze/advance reach every process that shares the store.

gunicorn runs several workers over one SQLite file; a test that freezes the clock through one of them
must see the others agree.  The state (offset, frozen instant) is one row of ``osemock_state``; a
change is written at once, and every process reads the row as each request arrives (:meth:`sync`,
called by ``wsgi.OsemockApp``: one read by primary key, the JSON parsed only when it changed), so the
request after any admin call that changed the clock finds it changed whichever worker answers.  A
worker that re-read it at most once a second answered the facturas of the test after a reset on the
previous test's frozen clock (2329, the numbers used up).  Within a request the row is re-read at most
every ``refresh_seconds``.  A change reads the row and writes it back in one write transaction: two
processes advancing a day each, a moment apart, advance two days (changing a copy up to a second old
lost one of them).

A server started with a clock (``--clock``) other than the one the row was started from starts the
clock anew: that is a statement.  One started without follows the row as it stands: a server on the
same store without ``--clock`` reset a running drill's clock to the real time.  ``restart`` puts the
clock back to the start the answering process was configured with.

Under gunicorn the server starts once, in the master (``gunicorn_conf.when_ready``, before any worker),
and its workers follow the row whatever their ``--clock`` (:attr:`SharedClock.started_by_master`):
gunicorn starts a worker again after a crash or a timeout, and one that started the clock anew undid,
for every worker, a clock imported in a snapshot since, or set by another server.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable

from osemock.server.clock import Clock, parse_moment
from osemock.server.store import Store

STATE_TABLE = "CREATE TABLE IF NOT EXISTS osemock_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
KEY = "clock"

log = logging.getLogger(__name__)


_UNUSABLE = (KeyError, TypeError, ValueError, OverflowError)


def _readings(stored: dict) -> tuple[timedelta, datetime | None]:
    """Offset and frozen instant of a stored state (one of :data:`_UNUSABLE` when it holds none)."""
    frozen = stored.get("frozen_at")
    return timedelta(seconds=float(stored["offset_seconds"])), parse_moment(frozen) if frozen else None


def state_problem(value: Any) -> str | None:
    """What makes a stored clock state unusable (a snapshot's ``osemock_state`` row), or ``None``."""
    try:
        stored = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        stored = None
    if not isinstance(stored, dict) or not isinstance(stored.get("start", ""), str):
        return 'a JSON object {"start", "offset_seconds", "frozen_at"} is expected'
    try:
        Clock().set_state(*_readings(stored))  # the clock's own range check
    except _UNUSABLE as error:
        return f"not a clock state ({error})"
    return None


class SharedClock(Clock):
    """The engine's clock, persisted in the store so every process reads the same time."""

    #: Set in a gunicorn worker (``gunicorn_conf.post_fork``): its master started the store's clock, so
    #: this process's clocks follow the row as they find it, never start it anew.
    started_by_master = False

    def __init__(self, store: Store, start: str | None = None, refresh_seconds: float = 1.0) -> None:
        initial = Clock.starting_at(start)
        super().__init__(initial.offset)
        self._store = store
        self._start = start or ""
        self._stored_start = self._start
        """The start the shared state was configured from (kept through freezes and advances)."""
        self._refresh_seconds = refresh_seconds
        self._checked = 0.0
        self._seen: str | None = None
        """The row's text this process's copy was last read from or written as."""
        self._refresh_lock = threading.RLock()  # a change holds it and reads the clock on the way
        self._changing = False
        with store.transaction() as db:
            db.execute(STATE_TABLE)
        stored = self._read()
        if stored is not None and (self.started_by_master or stored.get("start") == self._start or not self._start):
            self._apply(stored)     # a worker, or a server started with the same configuration or none, adopts the shared state
            if self._stored_start != self._start and not self.started_by_master:  # the master said so once
                log.warning("started without --clock, this server follows the store's clock, started at %s: it "
                            "reads %s (POST /_osemock/clock/restart puts it back to the real time)",
                            self._stored_start, Clock.now(self).isoformat())
        else:
            self._write()           # a new configuration starts the clock anew

    # -- persistence ------------------------------------------------------------------------------
    def _read_value(self) -> str | None:
        rows = self._store.query("SELECT value FROM osemock_state WHERE key=?", (KEY,))
        return rows[0]["value"] if rows else None

    def _read(self) -> dict | None:
        return self._parse(self._read_value())

    @staticmethod
    def _parse(value: str | None) -> dict | None:
        if value is None:
            return None
        try:
            stored = json.loads(value)
        except (TypeError, ValueError):
            stored = None
        if not isinstance(stored, dict):
            log.warning("the shared clock state %r is unusable; this process keeps its own", value)
            return None
        return stored

    def _apply(self, stored: dict) -> None:
        try:
            Clock.set_state(self, *_readings(stored))
        except _UNUSABLE as error:  # a row written by hand, say
            log.warning("the shared clock state %r is unusable (%s); this process keeps its own", stored, error)
            return
        if isinstance(stored.get("start", ""), str):
            self._stored_start = stored.get("start", "")

    def _value(self) -> str:
        offset, frozen = Clock.state(self)
        return json.dumps({"start": self._stored_start, "offset_seconds": offset.total_seconds(),
                           "frozen_at": frozen.isoformat() if frozen else None})

    def _write(self) -> None:
        value = self._value()
        with self._store.transaction() as db:
            db.execute("INSERT OR REPLACE INTO osemock_state (key, value) VALUES (?, ?)", (KEY, value))
        self._seen, self._checked = value, time.monotonic()

    def _change(self, change: Callable[[], datetime]) -> datetime:
        """``change`` applied to the stored state, not to this process's copy of it, and written back
        before any other process may change it."""
        with self._refresh_lock, self._store.transaction() as db:
            row = db.execute("SELECT value FROM osemock_state WHERE key=?", (KEY,)).fetchone()
            if row is not None:
                self._apply(json.loads(row[0]))
            self._changing = True  # the state just read is current: no refresh may replace the change
            try:
                moment = change()
            finally:
                self._changing = False
            value = self._value()
            db.execute("INSERT OR REPLACE INTO osemock_state (key, value) VALUES (?, ?)", (KEY, value))
            self._seen = value
        self._checked = time.monotonic()
        return moment

    def _refresh(self) -> None:
        if self._changing or time.monotonic() - self._checked < self._refresh_seconds:
            return
        with self._refresh_lock:
            if self._changing or time.monotonic() - self._checked < self._refresh_seconds:
                return
            self._follow()

    def _follow(self) -> None:
        """Take the stored state, under ``_refresh_lock``; parsed only when its text changed."""
        value = self._read_value()
        if value is not None and value != self._seen:
            stored = self._parse(value)
            if stored is not None:
                self._apply(stored)
            self._seen = value  # an unusable row is warned about once, not at every request
        self._checked = time.monotonic()

    def sync(self) -> None:
        """Read the shared state now: as each request arrives, and after a snapshot import changed it.
        A change in progress in another thread of this process is waited for (it holds the lock)."""
        with self._refresh_lock:
            if not self._changing:  # this thread's own change, reading the clock on the way
                self._follow()

    # -- the clock ------------------------------------------------------------------------------
    def now(self) -> datetime:
        self._refresh()
        return super().now()

    def freeze(self, at: datetime | str | None = None) -> datetime:
        return self._change(lambda: super(SharedClock, self).freeze(at))

    def unfreeze(self) -> datetime:
        return self._change(lambda: super(SharedClock, self).unfreeze())

    def advance(self, delta: timedelta) -> datetime:
        return self._change(lambda: super(SharedClock, self).advance(delta))

    def restart(self) -> datetime:
        """Back to the configured start (``OSE_CLOCK`` or the real time), running."""
        def back() -> datetime:
            Clock.set_state(self, Clock.starting_at(self._start or None).offset, None)
            self._stored_start = self._start
            return Clock.now(self)
        return self._change(back)

    def describe(self) -> dict:
        """The clock as the admin API shows it."""
        self._refresh()
        offset, frozen = Clock.state(self)
        return {"now": self.now().isoformat(), "frozen": frozen is not None,
                "frozen_at": frozen.isoformat() if frozen else None, "offset_seconds": round(offset.total_seconds(), 3),
                "start": self._start or None}


def start_clock(db: Path, start: str | None) -> None:
    """Start the clock of the store at ``db`` as a server started with ``--clock start`` does, from a
    process that serves nothing (gunicorn's master, before its workers)."""
    store = Store(db)
    try:
        SharedClock(store, start)
    finally:
        store.close()
