"""Small builders shared by the tests."""
from __future__ import annotations

import io
import os
import socket
import threading
import zipfile
from contextlib import contextmanager
from functools import lru_cache
from typing import Callable, Iterator


def zip_of(*entries: tuple[str, bytes]) -> bytes:
    """A ZIP holding exactly the given (name, content) entries, deflated."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


@lru_cache(maxsize=4)
def signed_facturas(count: int, issue_date: str, ruc: str = "20123456789") -> tuple[tuple[str, bytes], ...]:
    """``(entry name, signed XML)`` of facturas F001-1 to F001-``count`` issued on ``issue_date``, signed
    once for the whole run (a thousand is a second of signing)."""
    from osemock.fixtures import signed_document

    return tuple((f"{ruc}-01-F001-{n}.xml", signed_document(f"{ruc}-01-F001-1.xml", numero=n, issue_date=issue_date))
                 for n in range(1, count + 1))


def lot_of_facturas(count: int, issue_date: str, ruc: str = "20123456789") -> bytes:
    """A lot's ZIP of :func:`signed_facturas` (a thousand: 3.4 MB zipped, past spyne's 2 MiB)."""
    return zip_of(*signed_facturas(count, issue_date, ruc))


def examples(count: int) -> int:
    """A property test's number of examples: ``count`` in the suite, times ``OSEMOCK_FUZZ_FACTOR`` for a
    long campaign (``make fuzz``). Campaigns of hundreds of thousands of inputs found what 60 did not."""
    return count * max(1, int(os.environ.get("OSEMOCK_FUZZ_FACTOR", "1")))


@contextmanager
def raw_server(answer: Callable[[socket.socket], None]) -> Iterator[int]:
    """A real server on loopback that hands each connection to ``answer`` in a thread of its own (a
    server that misbehaves on the wire as no WSGI app can: trickling, cutting short); yields its port."""
    listener = socket.create_server(("127.0.0.1", 0))

    def accept() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:  # the listener closed
                return
            threading.Thread(target=answer, args=(connection,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()
