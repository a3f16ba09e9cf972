"""Dates as a comprobante writes them, read the way SUNAT compares them.

cbc:IssueDate, cbc:ReferenceDate, cbc:PaymentDueDate and their kin are xs:date, which may carry a
timezone: ``2026-11-26Z`` or ``2026-11-26-05:00``, what Java/JAXB emitters write.  The schemas take
it, so an OSE takes it, and the day is the day as written, the offset dropped: a document of the
26th is of the 26th whatever its offset.  ``date.fromisoformat`` refuses the offset, so a rule that
used it stayed silent on such a document (2108, 2329), or raised on reading it back from the store
(2885 on every note that modified it).

So every place that reads a date out of a document or out of the store goes through here, and the
store keeps the day alone (``YYYY-MM-DD``), which the portal and the cross-document rows compare.
The lexical form is elementpath's (xmlschema's own XPath/XSD datatypes), not a regex of ours.
"""
from __future__ import annotations

import re
from datetime import date

from elementpath.datatypes import Date

#: The form nearly every document writes: read by the standard library, some forty times faster.
_PLAIN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def day_of(text: str | None) -> date | None:
    """The calendar day the xs:date ``text`` names, its offset dropped; ``None`` when it is no xs:date
    or a day Python's calendar does not hold (year 0, before it, or after 9999)."""
    if text is None:
        return None
    try:
        if _PLAIN.fullmatch(text):
            return date.fromisoformat(text)
        written = Date.fromstring(text)
        return date(written.year, written.month, written.day)
    except (ValueError, OverflowError):
        return None


def iso_day(text: str | None) -> str | None:
    """``text`` as ``YYYY-MM-DD`` when it is an xs:date; otherwise as written, for the rules to report
    (``None`` stays ``None``)."""
    day = day_of(text)
    return day.isoformat() if day is not None else text
