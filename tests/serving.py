"""A mock in a process of its own, started the way a user starts it (``osemock serve``, the container's
command), for the tests that need a real process: several processes over one store, SIGKILL, gunicorn."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
from typing import IO, Any

import requests


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_healthy(base: str, process: subprocess.Popen, seconds: float = 30.0) -> None:
    """Until ``base`` answers ``/_osemock/health`` (the Docker HEALTHCHECK's URL); a process that exits
    or does not answer in time is killed, and its output (when piped) is the failure's message."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if requests.get(base + "/_osemock/health", timeout=1).ok:
                return
        except requests.RequestException:  # not listening yet, or still loading the app
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            output = process.stdout.read().decode(errors="replace") if process.stdout is not None else ""
            raise AssertionError(f"the server did not start:\n{output}")
        time.sleep(0.1)


def serve(*options: str, port: int | None = None, output: IO[Any] | int = subprocess.DEVNULL) -> tuple[subprocess.Popen, str]:
    """``osemock serve --port PORT OPTIONS…`` started and answering; its process and base URL."""
    port = port or free_port()
    process = subprocess.Popen([sys.executable, "-m", "osemock", "serve", "--port", str(port), *options],
                               stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    wait_until_healthy(base, process)
    return process, base


def wait_until_both_workers_serve(base: str, seconds: float = 30.0) -> None:
    """Until the second worker of ``serve("--workers", "2", "--threads", "1", …)`` answers too: healthy
    says one does, and a test of what two workers do at once passed unseen while the other still built
    its app.  Such a worker takes one connection at a time: one held half-sent keeps a worker busy,
    so the health check that comes back is the other's."""
    host, port = base.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=seconds) as held:
        held.sendall(b"GET /_osemock/health HTTP/1.1\r\nHost: osemock\r\n")  # no blank line: not whole yet
        time.sleep(0.3)  # taken by a worker
        assert requests.get(base + "/_osemock/health", timeout=seconds).ok
