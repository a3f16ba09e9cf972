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
