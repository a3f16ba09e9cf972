"""The engine: plain-Python decisions for every billService operation, callable without HTTP.

The SOAP layer builds a :class:`Request` and calls one method; the engine answers with an
:mod:`answers` value or raises :class:`SunatError`.  State lives in the :class:`Store`; behaviour
differences between OSE, SUNAT beta and SUNAT production come from the :class:`Profile` only.
"""
from __future__ import annotations

import base64
import binascii
import itertools
import threading
import time
import uuid
from dataclasses import dataclass, field

from lxml import etree

from osemock.cpe.errors import SunatError
from osemock.cpe.signature import KeyPair
from osemock.server.clock import Clock
from osemock.server.engine.auth import Principal, authenticate, read_credentials
from osemock.server.engine.endpoints import Endpoint
from osemock.server.engine.validation import DocumentCheck
from osemock.server.profiles import Profile
from osemock.server.store import Store


@dataclass(frozen=True)
class Request:
    """One SOAP call as the engine sees it: where it arrived, its security header and its fields."""

    endpoint: Endpoint
    header: etree._Element | None
    file_name: str | None = None
    content: str | bytes | None = None
    """``contentFile`` as received: base64 text (or already-decoded bytes from a library caller)."""
    ticket: str | None = None
    fields: dict[str, str | None] = field(default_factory=dict)
    """Other fields (getStatusCdr's rucComprobante, tipoComprobante…)."""


class EngineState:
    """Everything one mock OSE knows: store, profile, identity, clock and registered checks."""

    def __init__(
        self,
        store: Store,
        profile: Profile,
        identity: KeyPair,
        clock: Clock | None = None,
        checks: list[DocumentCheck] | None = None,
    ) -> None:
        self.store = store
        self.profile = profile
        self.identity = identity
        self.clock = clock or Clock()
        self.checks: list[DocumentCheck] = list(checks or [])
        self._ticket_lock = threading.Lock()
        self._ticket_seq = itertools.count()
        self._last_ticket = 0

    def principal(self, request: Request) -> Principal:
        """Authenticate the caller (0101–0111)."""
        return authenticate(read_credentials(request.header), self.store, self.profile)

    @staticmethod
    def decode_content(content: str | bytes | None) -> bytes:
        """The ZIP bytes of ``contentFile``; empty is 0155, undecodable base64 is 0156."""
        if content is None:
            return b""
        if isinstance(content, bytes) and content[:2] == b"PK":
            return content
        text = content.decode("ascii", "replace") if isinstance(content, bytes) else content
        text = "".join(text.split())
        if not text:
            return b""
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise SunatError("0156", "Validation ZIP File error: contentFile no es base64") from None

    def fault_ticket(self, operation: str, request: Request) -> str:
        """The ticket a fault's detail names (``value='ticket: {ticket} error: …'``, PROTOCOL.md §6.1):
        for billService's getStatus the ticket asked about, so each poll of a refused ticket is the same
        answer; every other call is a processing of its own, numbered anew."""
        if operation == "getStatus" and request.endpoint.service == "bill":
            return (request.ticket or "").strip()
        return self.new_ticket()

    def cdr_id(self) -> str:
        """ID of a new CDR: a UUID v4 at an OSE, SUNAT's ticket-like number otherwise."""
        if self.profile.cdr_style == "ose":
            return str(uuid.uuid4())
        return self.new_ticket()

    def new_ticket(self) -> str:
        """A ticket: 13-digit epoch milliseconds (beta) or 15 digits year-first (production), unique within
        this process (a stored ticket is also made unique across processes, see ``tickets._open_ticket``)."""
        with self._ticket_lock:
            millis = max(int(time.time() * 1000), self._last_ticket + 1)
            self._last_ticket = millis
        if self.profile.ticket_style == "prod":
            year = self.clock.now().year
            return f"{year}{millis % 10**11:011d}"
        return str(millis)
