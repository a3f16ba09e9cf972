"""Fresh documents for whatever emitter the kit runs as: realistic (Faker ``cpe`` data), numbered so
they do not collide with an earlier run at an endpoint that keeps them, nor with the documents of
another xdist worker of the same run; unsigned (the client signs them).

    factory = DocumentFactory("20123456789")
    number, xml = factory.factura(lines=3)                  # ("F001-47112301", b"<?xml …")
    number, xml = factory.credit_note(("01", number))

Numbering, when no ``start`` is given: the first number is the clock's millisecond
(:func:`clock_start`), within a period of :data:`CLOCK_PERIOD_MS` (25 hours) that leaves ten
million numbers below SUNAT's eight-digit limit.  A run takes one number at a time, far fewer than a
thousand a second, so the next run starts past every number the last one took (it started from the
clock's second, ten numbers a second: a run of sixty documents and the next one three seconds later
shared numbers, 1033).  Worker ``w`` of ``n`` (pytest-xdist's ``gw<w>``) takes every ``n``-th number,
those one more than ``w`` modulo ``n``: workers started in the same millisecond, or apart, never take
the same number.  Two runs that send at the same time without being workers of one run (two CI jobs
on one RUC and endpoint) are not kept apart: give them different series, or ``start``.
"""
from __future__ import annotations

import itertools
import time
from typing import Callable
from datetime import date, datetime

from osemock.fixtures.builder import Emitter, Line, Party, credit_note, debit_note, invoice, returned_item
from osemock.fixtures.faker_cpe import cpe_faker
from osemock.server.clock import LIMA


#: SUNAT's largest correlativo: eight digits.
LARGEST_NUMBER = 99_999_999
#: Milliseconds after which the clock's numbering starts again from 1 (25 hours): ten million numbers
#: are left above it for the documents of runs that start near its end.
CLOCK_PERIOD_MS = 90_000_000


def clock_start(now: float | None = None) -> int:
    """The first number of a factory given no ``start``: the clock's millisecond (``now``, seconds since
    the epoch, or the real time) within :data:`CLOCK_PERIOD_MS`, plus one."""
    return int((time.time() if now is None else now) * 1000) % CLOCK_PERIOD_MS + 1


class DocumentFactory:
    """Documents of one emitter, numbered from ``start`` (default :func:`clock_start`: runs a moment
    apart against the same endpoint do not reuse a number).  ``worker`` of ``workers`` (an xdist
    worker) takes every ``workers``-th number from there, those one more than ``worker`` modulo
    ``workers``, so no two workers take the same.  ``seed`` makes the content reproducible; with
    ``start`` too, the numbers."""

    def __init__(self, ruc: str, name: str = "EMPRESA DE PRUEBAS OSEMOCK S.A.C.", seed: int | None = None,
                 start: int | None = None, issued: date | None = None,
                 day: Callable[[], date] | None = None, worker: int = 0, workers: int = 1) -> None:
        if not 0 <= worker < workers:
            raise ValueError(f"worker {worker} of {workers}: a worker is 0 to {workers - 1}")
        self.emitter = Emitter(ruc, name)
        self.fake = cpe_faker(seed)
        self.issued = issued
        self._day = day
        """Where today is read when ``issued`` is not given (the target's clock: ``Connection.issue_day``)."""
        first = clock_start() if start is None else start
        first -= (first - 1) % workers  # one more than a multiple of workers: each worker its own remainder
        self._numbers = itertools.count(first + worker, workers)
        self._made: dict[str, tuple[Party, list[Line]]] = {}
        """The customer and lines of each document made here, by ID: what a note on it is built from."""
        self._summaries = 0
        self._worker, self._workers = worker, workers

    @property
    def today(self) -> date:
        if self.issued is not None:
            return self.issued
        return self._day() if self._day is not None else datetime.now(LIMA).date()

    def summary_number(self) -> int:
        """A correlativo for today's RC/RA/RR: from the second of the day and this factory's counter,
        so summaries of one run, and of runs minutes apart, do not reuse a name; a worker of several
        takes those one more than its index modulo their count, every ``workers``-th from there, as
        its documents' numbers (two xdist workers in one second drew the same RC name: 2223).  At
        most 86,400 plus the counter's steps: within SUNAT's five digits."""
        now = datetime.now(LIMA)
        second = now.hour * 3600 + now.minute * 60 + now.second
        self._summaries += 1
        return second - second % self._workers + self._worker + 1 + self._workers * (self._summaries - 1)

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
