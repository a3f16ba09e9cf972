"""Time as the mock sees it: Lima time, and (later) a clock tests can freeze or advance."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

#: Peru has kept UTC-5 without daylight saving since 1994; a fixed offset needs no tz database.
LIMA = timezone(timedelta(hours=-5), "America/Lima")


class Clock:
    """Source of "now" for the engine; ``offset`` shifts it for deadline drills."""

    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self.offset = offset

    def now(self) -> datetime:
        """Current Lima time, shifted by ``offset``."""
        return datetime.now(LIMA) + self.offset
