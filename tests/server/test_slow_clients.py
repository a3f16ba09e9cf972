"""Clients that stop sending a request half-way (a Content-Length larger than the body, a network that
drops) do not keep the others from being answered."""
from __future__ import annotations

import socket
import time

import pytest
import requests

from tests.serving import serve

HEADERS = b"POST /ol-ti-itcpe/billService HTTP/1.1\r\nHost: mock\r\nContent-Type: text/xml; charset=utf-8\r\n"
#: What each stalled client sends before it stops: part of the headers, or the headers and part of the body.
SENT = {"headers": HEADERS, "body": HEADERS + b"Content-Length: 1000\r\n\r\n<soapenv:Envelope"}


def _stalled(base: str, count: int, sent: bytes) -> list[socket.socket]:
    host, port = base.removeprefix("http://").split(":")
    stalled = []
    for _ in range(count):
        connection = socket.create_connection((host, int(port)), timeout=30)
        connection.sendall(sent)  # and nothing more
        stalled.append(connection)
    return stalled


def _answer(connection: socket.socket) -> bytes:
    chunks = []
    while chunk := connection.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("workers", ["1", "2"])
@pytest.mark.parametrize("stop_in", ["headers", "body"])
def test_stalled_requests_do_not_hold_the_server(tmp_path, monkeypatch, workers, stop_in):
    """Four stalled requests took every thread of two gunicorn workers (2 × 2), and the server answered
    no one until those clients gave up; now their connections end after OSE_READ_TIMEOUT seconds, a
    stalled body with 408."""
    monkeypatch.setenv("OSE_READ_TIMEOUT", "2")
    process, base = serve("--workers", workers, "--threads", "2", "--db", str(tmp_path / "s.db"))
    try:
        stalled = _stalled(base, 4, SENT[stop_in])
        started = time.monotonic()
        assert requests.get(base + "/_osemock/health", timeout=20).ok
        assert time.monotonic() - started < 10
        answers = [_answer(connection) for connection in stalled]
        if workers == "2":
            assert all(a.startswith(b"HTTP/1.1 408 ") if stop_in == "body" else a == b"" for a in answers), answers
        else:  # waitress reads a whole request before any thread sees it: a stalled one is closed unanswered
            assert answers == [b""] * 4
        assert time.monotonic() - started < 15  # OSE_READ_TIMEOUT ends them, not the client's 30 s
        for connection in stalled:
            connection.close()
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_a_body_trickled_a_byte_at_a_time_is_cut_off(tmp_path, monkeypatch):
    """A client sending its body a byte a second is never idle for OSE_READ_TIMEOUT, and held a gunicorn
    thread for as long as it liked (four of them held every thread of two workers); the whole body has
    OSE_BODY_TIMEOUT seconds, then the answer is 408 and the others are served."""
    monkeypatch.setenv("OSE_READ_TIMEOUT", "3")
    monkeypatch.setenv("OSE_BODY_TIMEOUT", "2")
    process, base = serve("--workers", "2", "--threads", "2", "--db", str(tmp_path / "s.db"))
    try:
        trickling = _stalled(base, 4, SENT["body"])
        started = time.monotonic()
        answers = [b""] * 4
        while time.monotonic() - started < 8 and not all(answers):
            for index, connection in enumerate(trickling):
                if answers[index]:
                    continue
                try:
                    connection.sendall(b" ")
                except OSError:
                    pass
                connection.settimeout(0.05)
                try:
                    answers[index] = connection.recv(65536)
                except (socket.timeout, OSError):
                    pass
            time.sleep(0.25)
        assert all(a.startswith(b"HTTP/1.1 408 ") for a in answers), answers
        assert time.monotonic() - started < 8
        assert requests.get(base + "/_osemock/health", timeout=10).ok
        for connection in trickling:
            connection.close()
    finally:
        process.terminate()
        process.wait(timeout=20)
