"""Time as the mock sees it: Lima time, which tests and drills may start, freeze or move at any instant.

Deadline rules (2108 late, 2329 future-dated) compare a document's issue date with this clock, so a
CI run with fixed sample documents starts the clock at their date (``--clock`` / ``OSE_CLOCK``), and
the admin API freezes or advances it (``/_osemock/clock``) to drill a deadline without waiting.
"""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

#: Peru has kept UTC-5 without daylight saving since 1994; a fixed offset needs no tz database.
LIMA = timezone(timedelta(hours=-5), "America/Lima")


#: The readings the clock may take. SUNAT's electronic invoicing lives well inside them, and a clock
#: set there can run on, and have deadlines computed from it, without leaving what datetime holds
#: (an admin call that moved it to year 9999 made every later request fail).
EARLIEST = datetime(1970, 1, 1, tzinfo=LIMA)
LATEST = datetime(2999, 12, 31, 23, 59, 59, tzinfo=LIMA)


def parse_moment(moment: datetime | str) -> datetime:
    """An ISO date-time as an aware datetime in Lima time: taken as Lima's when it names no offset,
    converted when it names another (a deadline counts Lima's days: 03:00 UTC on the 20th is still the
    19th for SUNAT)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if not isinstance(moment, datetime):
        raise TypeError(f"an ISO date-time is expected, not {moment!r}")
    if moment.tzinfo is None:
        return moment.replace(tzinfo=LIMA)
    try:
        return moment.astimezone(LIMA)
    except OverflowError:  # a year-1 or year-9999 edge the clock refuses anyway
        return moment


def stored_moment(text: str | None) -> datetime | None:
    """A moment the store keeps (ISO text: a claim, a ticket's settling, a journal entry) as an aware
    datetime to compare or order by, whatever its offset and precision, which text order compares
    wrongly (a snapshot may import Lima's ``-05:00``, ``Z`` or another).  One without an offset is UTC,
    as the store writes its own; ``None`` for text that is no date-time (a store edited by hand)."""
    try:
        moment = datetime.fromisoformat(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _out_of_range() -> ValueError:
    return ValueError(f"the clock reads between {EARLIEST.date()} and {LATEST.date()}")


def _reading(offset: timedelta, frozen_at: datetime | None) -> datetime:
    """What a clock in that state reads now; ValueError when it is outside EARLIEST…LATEST."""
    try:
        moment = frozen_at if frozen_at is not None else datetime.now(LIMA) + offset
    except OverflowError:
        raise _out_of_range() from None
    if not EARLIEST <= moment <= LATEST:
        raise _out_of_range()
    return moment


class Clock:
    """Source of "now" for the engine: real time shifted by ``offset``, or stopped at ``frozen_at``.

    The state is two values swapped together under a lock, so every thread of the server reads a
    consistent clock while the admin API changes it.
    """

    def __init__(self, offset: timedelta = timedelta(0), frozen_at: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._offset = offset
        self._frozen_at = frozen_at

    @classmethod
    def starting_at(cls, moment: datetime | str | None) -> "Clock":
        """A clock that reads ``moment`` now and runs from there (``None``: the real time)."""
        if moment is None or moment == "":
            return cls()
        return cls(_reading(timedelta(0), parse_moment(moment)) - datetime.now(LIMA))

    @property
    def offset(self) -> timedelta:
        return self._offset

    @offset.setter
    def offset(self, value: timedelta) -> None:
        _reading(value, None)
        with self._lock:
            self._offset = value

    @property
    def frozen_at(self) -> datetime | None:
        """The instant the clock is stopped at, or ``None`` while it runs."""
        return self._frozen_at

    def now(self) -> datetime:
        """Current Lima time, shifted by ``offset`` (or the frozen instant)."""
        with self._lock:
            frozen, offset = self._frozen_at, self._offset
        if frozen is not None:
            return frozen
        return datetime.now(LIMA) + offset

    def sync(self) -> None:
        """Catch up with a clock other processes share, as a request arrives: one process's clock has
        nothing to catch up with (see ``admin/shared_clock.py``)."""

    def state(self) -> tuple[timedelta, datetime | None]:
        """``(offset, frozen_at)``, read together."""
        with self._lock:
            return self._offset, self._frozen_at

    def set_state(self, offset: timedelta, frozen_at: datetime | None) -> None:
        """Replace both values at once (ValueError, and no change, when the clock would leave its range)."""
        _reading(offset, frozen_at)
        with self._lock:
            self._offset, self._frozen_at = offset, frozen_at

    def freeze(self, at: datetime | str | None = None) -> datetime:
        """Stop the clock at ``at`` (default: the instant it reads now); returns that instant."""
        moment = _reading(timedelta(0), parse_moment(at)) if at is not None else self.now()
        with self._lock:
            self._frozen_at = moment
        return moment

    def unfreeze(self) -> datetime:
        """Let a frozen clock run again from where it stood."""
        with self._lock:
            if self._frozen_at is not None:
                self._offset = self._frozen_at - datetime.now(LIMA)
                self._frozen_at = None
        return self.now()

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock by ``delta`` (frozen or running); returns the new reading (ValueError, and no
        move, when it would leave EARLIEST…LATEST)."""
        with self._lock:
            try:
                frozen = self._frozen_at + delta if self._frozen_at is not None else None
                offset = self._offset if frozen is not None else self._offset + delta
            except OverflowError:
                raise _out_of_range() from None
            _reading(offset, frozen)
            self._offset, self._frozen_at = offset, frozen
        return self.now()
