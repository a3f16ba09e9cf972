"""Time as the mock sees it: Lima time, which tests and drills may start at any instant.

Deadline rules (2108 late, 2329 future-dated) compare a document's issue date with this clock, so a
CI run with fixed sample documents starts the clock at their date (``--clock`` / ``OSE_CLOCK``).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

#: Peru has kept UTC-5 without daylight saving since 1994; a fixed offset needs no tz database.
LIMA = timezone(timedelta(hours=-5), "America/Lima")


class Clock:
    """Source of "now" for the engine: real time shifted by ``offset``; it keeps running."""

    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self.offset = offset

    @classmethod
    def starting_at(cls, moment: datetime | str | None) -> "Clock":
        """A clock that reads ``moment`` now and runs from there (``None``: the real time)."""
        if moment is None or moment == "":
            return cls()
        if isinstance(moment, str):
            moment = datetime.fromisoformat(moment)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=LIMA)
        return cls(moment - datetime.now(LIMA))

    def now(self) -> datetime:
        """Current Lima time, shifted by ``offset``."""
        return datetime.now(LIMA) + self.offset
