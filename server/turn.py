"""The engine turn: one SOAP answer of a process at a time.

Two threads that both work pass the GIL back and forth at every call into lxml, sqlite3 or zlib
(each releases it). Measured in one process on two cores, two threads answering sendBills cost 1.5×
the CPU of one thread per answer and answered fewer per second; with the turn around the engine
alone, 1.19×; around the whole answer, 1.07×. So a process's answers take turns, while its threads
still read requests, write answers and wait out a scenario's delay.

A long answer (a document of thousands of lines) must not stall the short ones behind it. Once it
has held the turn for :data:`LONG` seconds and another request is waiting, it lets that one go first
at its next pause (the rules engine pauses between checks: see ``validation.BETWEEN_CHECKS``).
"""
from __future__ import annotations

import threading
import time
from types import TracebackType

#: How long an answer keeps the turn before it lets a waiting one go first (a sendBill takes 5–10 ms).
LONG = 0.05


class EngineTurn:
    """``with turn:`` around the work of one answer."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counting = threading.Lock()
        self._waiting = 0
        self._since = 0.0

    def __enter__(self) -> EngineTurn:
        self._take()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._lock.release()

    def _take(self) -> None:
        with self._counting:
            self._waiting += 1
        try:
            self._lock.acquire()
        finally:
            with self._counting:
                self._waiting -= 1
        self._since = time.perf_counter()

    def wait_outside(self, seconds: float) -> None:
        """Sleep ``seconds`` (a scenario's delay) with the turn handed to the other requests."""
        self._lock.release()
        try:
            time.sleep(seconds)
        finally:
            self._take()

    def share_if_long(self) -> None:
        """A pause of the answer holding the turn: past :data:`LONG`, a waiting answer goes first."""
        if self._waiting and time.perf_counter() - self._since > LONG:
            self.wait_outside(0.001)  # long enough for the waiting thread to wake and take the turn
