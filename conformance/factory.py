"""Fresh documents for whatever emitter the kit runs as: realistic (Faker ``cpe`` data), numbered so
they never collide with an earlier run at a real endpoint, unsigned (the client signs them).

    factory = DocumentFactory("20123456789")
    number, xml = factory.factura(lines=3)                  # ("F001-4711230", b"<?xml …")
    number, xml = factory.credit_note(("01", number))
"""
from __future__ import annotations

import itertools
import time
from typing import Callable
from datetime import date, datetime

from osemock.fixtures.builder import Emitter, Line, Party, credit_note, debit_note, invoice, returned_item
from osemock.fixtures.faker_cpe import cpe_faker
from osemock.server.clock import LIMA


class DocumentFactory:
    """Documents of one emitter, numbered from ``start`` (default: from the clock, so two runs a
    second apart against the same endpoint do not reuse a number)."""

    def __init__(self, ruc: str, name: str = "EMPRESA DE PRUEBAS OSEMOCK S.A.C.", seed: int | None = None,
                 start: int | None = None, issued: date | None = None,
                 day: Callable[[], date] | None = None) -> None:
        self.emitter = Emitter(ruc, name)
        self.fake = cpe_faker(seed)
        self.issued = issued
        self._day = day
        """Where today is read when ``issued`` is not given (the target's clock: ``Connection.issue_day``)."""
        self._numbers = itertools.count(start if start is not None else (int(time.time()) % 1_000_000) * 10 + 1)
        self._made: dict[str, tuple[Party, list[Line]]] = {}
        """The customer and lines of each document made here, by ID: what a note on it is built from."""
        self._summaries = 0

    @property
    def today(self) -> date:
        if self.issued is not None:
            return self.issued
        return self._day() if self._day is not None else datetime.now(LIMA).date()

    def summary_number(self) -> int:
        """A correlativo for today's RC/RA/RR: from the second of the day and this factory's counter,
        so summaries of one run, and of runs minutes apart, do not reuse a name."""
        now = datetime.now(LIMA)
        self._summaries += 1
        return (now.hour * 3600 + now.minute * 60 + now.second) + self._summaries

    def next_id(self, serie: str) -> str:
        return f"{serie}-{next(self._numbers)}"

    def lines(self, count: int, affectation: str = "10") -> list[Line]:
        return [self.fake.cpe_line(affectation) for _ in range(count)]

    def factura(self, lines: int = 2, serie: str = "F001", affectation: str = "10") -> tuple[str, bytes]:
        return self._invoice(self.next_id(serie), self.fake.company_party(), self.lines(lines, affectation))

    def boleta(self, lines: int = 2, serie: str = "B001") -> tuple[str, bytes]:
        return self._invoice(self.next_id(serie), self.fake.person_party(), self.lines(lines))

    def _invoice(self, number: str, customer: Party, lines: list[Line]) -> tuple[str, bytes]:
        self._made[number] = (customer, lines)
        return number, invoice(self.emitter, number, customer, lines, issued=self.today)

    def credit_note(self, reference: tuple[str, str], serie: str | None = None) -> tuple[str, bytes]:
        """A credit note (devolución por ítem) on ``reference`` = (type, ID) made by this factory: one unit
        of its first item, as the homologation set's, no more than the document it modifies.  On a
        document made elsewhere (one the target never saw: 2119), a fresh item for a fresh customer."""
        number = self.next_id(serie or ("FC01" if reference[0] == "01" else "BC01"))
        made = self._made.get(reference[1])
        customer, lines = (made[0], returned_item(made[1])) if made else (self.fake.company_party(), self.lines(1))
        return number, credit_note(self.emitter, number, customer, lines, reference, "07", issued=self.today)

    def debit_note(self, reference: tuple[str, str], serie: str | None = None) -> tuple[str, bytes]:
        number = self.next_id(serie or ("FD01" if reference[0] == "01" else "BD01"))
        made = self._made.get(reference[1])
        customer = made[0] if made else self.fake.company_party()
        return number, debit_note(self.emitter, number, customer, self.lines(1), reference, "02", issued=self.today)
