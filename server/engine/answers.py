"""What the engine answers, before any SOAP: a CDR, a ticket, or a status.

Exceptions (codes 0100–1999, and 2000–3999 where the profile says so) are not answers but a raised
:class:`osemock.cpe.errors.SunatError`; the renderer turns both into the wire format of the dialect.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CdrAnswer:
    """sendBill's answer: the CDR ZIP (``R-{name}.zip``) and the code it carries (0 or a rejection)."""

    cdr_zip: bytes
    response_code: str = "0"


@dataclass(frozen=True)
class TicketAnswer:
    """sendSummary/sendPack's answer: the ticket to poll with getStatus."""

    ticket: str


@dataclass(frozen=True)
class StatusAnswer:
    """getStatus/getStatusCdr/getStatusAR's answer.

    ``content`` is the CDR ZIP (or, for SUNAT's unknown ticket, plain text); ``message`` is the
    ``statusMessage`` of the consult services, absent in billService's getStatus.
    """

    status_code: str
    content: bytes | None = None
    message: str | None = None
    content_name: str = "content"
    """The element the CDR travels in: ``content`` (SUNAT), ``document`` (Bizlinks' getStatusCdr)."""
