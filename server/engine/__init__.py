"""The decision engine of the mock: one method per billService operation, no HTTP involved."""
from __future__ import annotations

from osemock.server.engine import bill, consult, tickets
from osemock.server.engine.answers import CdrAnswer, StatusAnswer, TicketAnswer
from osemock.server.engine.core import EngineState, Request

__all__ = ["Engine", "Request", "CdrAnswer", "StatusAnswer", "TicketAnswer"]


class Engine(EngineState):
    """A mock OSE: ``engine.send_bill(Request(...))`` answers what the real one would."""

    def send_bill(self, request: Request) -> CdrAnswer:
        """sendBill: validate one document and answer its CDR (or raise the SUNAT code)."""
        return bill.send_bill(self, request)

    def send_summary(self, request: Request) -> TicketAnswer:
        """sendSummary: take an RC/RA/RR file and answer a ticket."""
        return tickets.send_summary(self, request)

    def send_pack(self, request: Request) -> TicketAnswer:
        """sendPack: take a lot of documents and answer a ticket."""
        return tickets.send_pack(self, request)

    def get_status(self, request: Request) -> StatusAnswer:
        """getStatus: the state of a ticket (98, 0 or 99 with the CDR)."""
        return tickets.get_status(self, request)

    def release_ticket(self, ticket: str, after_polls: int | None = None, after_seconds: float | None = None) -> bool:
        """When a pending ticket becomes due (``0, 0``: settle it now); ``False`` if it is not pending."""
        return tickets.release_ticket(self, ticket, after_polls, after_seconds)

    def get_status_cdr(self, request: Request) -> StatusAnswer:
        """getStatusCdr: the CDR of a document by RUC, type, serie and number."""
        return consult.get_status_cdr(self, request)

    def consult_status(self, request: Request) -> StatusAnswer:
        """billConsultService getStatus: the state of a document, without its CDR."""
        return consult.consult_status(self, request)

    def get_status_ar(self, request: Request) -> StatusAnswer:
        """getStatusAR: SUNAT's acuse de recibo lookup (2026 WSDL)."""
        return consult.get_status_ar(self, request)
