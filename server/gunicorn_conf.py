"""gunicorn settings for the Docker image, by environment.

The image runs ``python -m osemock.server.gunicorn_conf``: the variables are checked here before
gunicorn starts, which reads ``WEB_CONCURRENCY`` itself on import (``abc`` or ``2.5`` was its
ValueError traceback), then gunicorn runs with this module as its configuration
(``gunicorn -c python:osemock.server.gunicorn_conf 'osemock.server.wsgi:create_app()'`` does the same,
but for that check).

``PORT`` (8080), ``WEB_CONCURRENCY`` worker processes (2) and ``OSE_THREADS`` threads each (2: one answers at a time, see ``server/turn.py``, while the other reads the next request or waits out a scenario's delay); the
workers share the SQLite store (``OSE_DB``, WAL), so tickets, scenarios and the clock agree across them.
No ``preload_app``: each worker opens its own SQLite connections after the fork.
"""
import logging
import os
import socket
import sys

from osemock.server.settings import DEFAULT_FORWARDED_ALLOW_IPS, SettingError, env_int, host_port
from osemock.server.soap.address import Proxies

try:
    port = env_int(os.environ.get("PORT"), 8080, "PORT", 0, 65535)
    workers = env_int(os.environ.get("WEB_CONCURRENCY"), 2, "WEB_CONCURRENCY", 1)
    threads = env_int(os.environ.get("OSE_THREADS"), 2, "OSE_THREADS", 1)
    timeout = env_int(os.environ.get("OSE_WORKER_TIMEOUT"), 660, "OSE_WORKER_TIMEOUT", 1)  # a "lost" scenario may hold a request 600 s
    # the proxies the app believes (OSE_FORWARDED_ALLOW_IPS), gunicorn too: one list, one answer
    forwarded_allow_ips = Proxies(os.environ.get("OSE_FORWARDED_ALLOW_IPS") or DEFAULT_FORWARDED_ALLOW_IPS).spec
except (SettingError, ValueError) as error:  # gunicorn would print a traceback, or (no workers) wait without answering
    sys.exit(f"osemock: {error}")


def listen_problem(host: str, port: int) -> str | None:
    """Why no server can listen on ``host:port`` (the port is taken, the host is no address of this
    machine), or ``None``.  gunicorn retries a taken port five times and logs eleven lines over five
    seconds; this is asked first, so it is one line."""
    try:
        family, kind, proto, _, where = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn's own socket
            probe.bind(where)
    except OSError as error:
        return error.strerror or str(error)
    return None


host = os.environ.get("HOST", "0.0.0.0")
bind = host_port(host, port)
# A worker takes no more connections than it has threads: the rest wait in the kernel's queue, where
# whichever worker frees a thread first takes the next. With gunicorn's default (1000) a busy worker
# kept accepting and queued requests behind its own while the other idled: p99 at 150 req/s went
# from 27–30 ms to 19–22 ms with this, and at full load from 140 ms to 76–85 ms (bench/sendbill_load.py).
worker_connections = threads
worker_class = "gthread"
# No keep-alive: a worker keeps every connection it accepted, so a client's pool of kept-alive
# connections can all land on one worker while the other idles (half the throughput, measured).
# Closing after each answer lets whichever worker is free take the next request.
keepalive = 0
graceful_timeout = 10
accesslog = "-"
errorlog = "-"
# The scheme a trusted proxy forwards is the app's to read (server/soap/address.py), as under waitress:
# gunicorn reading it itself made the two servers name different WSDL addresses behind one proxy.
secure_scheme_headers: dict[str, str] = {}
limit_request_line = 8190
# gunicorn 25.1 and later open a control socket by default, ~/.gunicorn/gunicorn.ctl: every server of
# the machine shared it (one that stopped removed it for the others), and a HOME that cannot be written
# logged an ERROR at each start.  osemock does not use it.  An older gunicorn ignores the name here.
control_socket_disable = True


def post_worker_init(worker) -> None:  # noqa: ANN001 - gunicorn's hook signature
    """The worker's app is built: keep what it built out of the garbage collector's full passes, and
    give up on a client that sends nothing for ``OSE_READ_TIMEOUT`` seconds in the middle of a request."""
    from osemock.server.settings import Settings
    from osemock.server.wsgi import settle_for_serving

    settle_for_serving()
    seconds = Settings.from_env().read_timeout
    limit_reads(worker.sockets, seconds)
    logging.getLogger("gunicorn.error").addFilter(_StalledClientLine(seconds))


def worker_exit(server, worker) -> None:  # noqa: ANN001 - gunicorn's hook signature
    """A worker that stops writes the store's ``-wal`` into its file (``wsgi.leave_serving``)."""
    from osemock.server.wsgi import leave_serving

    leave_serving(getattr(worker, "wsgi", None))


def limit_reads(listeners, seconds: int) -> None:  # noqa: ANN001 - gunicorn's listener objects
    """A gthread worker reads a request's headers (and the app its body) in a thread, with no deadline:
    four clients that stopped half-way held every thread of two workers.  ``SO_RCVTIMEO`` on the
    listening sockets, which the accepted ones inherit, makes such a read fail after ``seconds``;
    gunicorn then logs a socket error and closes that connection (the app answers a stalled body 408)."""
    import socket
    import struct

    for listener in listeners:
        listener.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", seconds, 0))


def on_starting(server) -> None:  # noqa: ANN001 - gunicorn's hook signature
    """A setting, registry file or store with a mistake stops the container in one line, before any
    worker boots (see ``Settings.check``)."""
    from osemock.server.settings import Settings

    try:
        Settings.from_env().check()
    except SettingError as error:
        server.log.error("%s", error)
        sys.exit(1)
    for listen_host, listen_port in (a for a in server.address if isinstance(a, tuple)):
        problem = listen_problem(listen_host, listen_port)
        if problem:
            server.log.error("cannot listen on %s: %s", host_port(listen_host, listen_port), problem)
            sys.exit(1)


def when_ready(server) -> None:  # noqa: ANN001 - gunicorn's hook signature
    """The port is bound and no worker runs yet: the server's clock starts here, once (another
    ``--clock`` than the store's starts it anew, none follows it: ``server/admin/shared_clock.py``)."""
    import sqlite3

    from osemock.server.admin.shared_clock import start_clock
    from osemock.server.settings import Settings
    from osemock.server.store import StoreError

    settings = Settings.from_env()
    try:
        start_clock(settings.db, settings.clock)
    except (StoreError, sqlite3.Error) as error:
        server.log.error("cannot start the clock in the store %s: %s", settings.db, error)
        sys.exit(1)


def post_fork(server, worker) -> None:  # noqa: ANN001 - gunicorn's hook signature
    """A worker, the first ones or one gunicorn starts again after a crash or a timeout, follows the
    store's clock as the master started it (:func:`when_ready`): a respawned worker with the server's
    ``--clock`` started it anew, undoing for every worker a clock imported or set by another server since."""
    from osemock.server.admin.shared_clock import SharedClock

    SharedClock.started_by_master = True


class _StalledClientLine(logging.Filter):
    """gunicorn logs a read that :func:`limit_reads` cut short as a socket error with a traceback;
    it is a client that stopped sending, so one warning line says so."""

    def __init__(self, seconds: int) -> None:
        super().__init__()
        self.seconds = seconds

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], (BlockingIOError, TimeoutError)):
            record.msg, record.args = "a client sent nothing for %d s in the middle of a request: connection closed", (self.seconds,)
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info = record.exc_text = None
        return True


if __name__ == "__main__":  # the image's CMD: the variables were checked above, before gunicorn reads any
    from gunicorn.app.wsgiapp import run

    sys.argv = ["gunicorn", "--config", "python:osemock.server.gunicorn_conf", "osemock.server.wsgi:create_app()"]
    run()
