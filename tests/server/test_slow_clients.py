"""Clients that stop sending a request half-way (a Content-Length larger than the body, a network that
drops) do not keep the others from being answered."""
from __future__ import annotations

import socket
import time

import pytest
import requests

from tests.serving import serve

HEAD = (b"POST /ol-ti-itcpe/billService HTTP/1.1\r\nHost: mock\r\nContent-Type: text/xml; charset=utf-8\r\n"
        b"Content-Length: 1000\r\n\r\n<soapenv:Envelope")


def _stalled(base: str, count: int) -> list[socket.socket]:
    host, port = base.removeprefix("http://").split(":")
    stalled = []
    for _ in range(count):
        connection = socket.create_connection((host, int(port)), timeout=30)
        connection.sendall(HEAD)  # and nothing more: the body never arrives
        stalled.append(connection)
    return stalled


def _answer(connection: socket.socket) -> bytes:
    chunks = []
    while chunk := connection.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_stalled_uploads_do_not_hold_the_server(tmp_path, monkeypatch, workers):
    """Four stalled uploads took every thread of two gunicorn workers (2 × 2), and the server answered
    no one until those clients gave up; now each gets 408 after OSE_READ_TIMEOUT seconds."""
    monkeypatch.setenv("OSE_READ_TIMEOUT", "2")
    process, base = serve("--workers", workers, "--threads", "2", "--db", str(tmp_path / "s.db"))
    try:
        stalled = _stalled(base, 4)
        started = time.monotonic()
        assert requests.get(base + "/_osemock/health", timeout=20).ok
        assert time.monotonic() - started < 10
        if workers == "2":  # waitress reads a body before any thread sees it: nothing to time out
            for connection in stalled:
                assert _answer(connection).startswith(b"HTTP/1.1 408 ")
        for connection in stalled:
            connection.close()
    finally:
        process.terminate()
        process.wait(timeout=20)
