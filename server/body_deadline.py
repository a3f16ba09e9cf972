"""The deadline of a request body under gunicorn (``OSE_BODY_TIMEOUT``).

A client that trickles its body a byte at a time is never idle for ``OSE_READ_TIMEOUT``, and a gthread
worker reads the body in one of its few threads: past the deadline the client's reading side is shut,
the read returns what came, and the app answers 408.  One watcher thread a process keeps the
deadlines; a timer thread for every request cost each about 0.16 ms of CPU.
"""
from __future__ import annotations

import itertools
import os
import socket
import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterator

#: How often the watcher looks: a deadline is kept to within this much.
_TICK = 0.5


class BodyDeadlines:
    """Sockets whose body must be read by a moment; :meth:`watching` around the read."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._due: dict[int, tuple[float, socket.socket]] = {}
        self._expired: set[int] = set()
        self._tokens = itertools.count()
        self._watcher_pid: int | None = None  # a forked worker starts a watcher of its own

    @contextmanager
    def watching(self, sock: socket.socket, seconds: float) -> Iterator[Callable[[], bool]]:
        """Within the block, ``sock``'s reading side is shut after ``seconds``; yields whether it was."""
        token = next(self._tokens)
        with self._lock:
            self._due[token] = (time.monotonic() + seconds, sock)
            if self._watcher_pid != os.getpid():
                self._watcher_pid = os.getpid()
                threading.Thread(target=self._watch, name="osemock-body-deadlines", daemon=True).start()
        try:
            yield lambda: token in self._expired
        finally:
            with self._lock:
                self._due.pop(token, None)
                self._expired.discard(token)

    def _watch(self) -> None:
        while True:
            time.sleep(_TICK)
            now = time.monotonic()
            with self._lock:
                late = [(token, sock) for token, (due, sock) in self._due.items()
                        if due <= now and token not in self._expired]
                self._expired.update(token for token, _ in late)
            for _, sock in late:
                try:
                    sock.shutdown(socket.SHUT_RD)  # the answer can still be written
                except OSError:
                    pass  # the client hung up already


#: The process's deadlines.
BODY_DEADLINES = BodyDeadlines()
