"""A mock running in a background thread on a free loopback port: for tests and the pytest plugin.

    with ThreadedMock(Settings(db=tmp / "ose.sqlite3")) as mock:
        zeep_client(mock.url("/ol-ti-itcpe/billService?wsdl"))
"""
from __future__ import annotations

import threading
from types import TracebackType

from waitress.server import create_server

from osemock.server.settings import Settings
from osemock.server.wsgi import OsemockApp, create_app, leave_serving


def waitress_body_limit(max_request_bytes: int) -> int:
    """waitress's ``max_request_body_size`` for a mock whose largest body is ``max_request_bytes``.

    waitress refuses a body whose length *reaches* its limit, and counts a chunked body's framing
    (sizes and line ends) too: given the mock's limit, a body of exactly that size got 413 with one
    worker and passed under gunicorn.  It gets room above it; the app answers 413 beyond the limit,
    on the declared length before reading, and on the body it read."""
    return max_request_bytes + max(4096, max_request_bytes // 16)


class ThreadedMock:
    """A real HTTP server (waitress) serving :class:`OsemockApp` until :meth:`stop`."""

    def __init__(self, settings: Settings, host: str = "127.0.0.1", port: int = 0, threads: int = 4) -> None:
        self.app: OsemockApp = create_app(settings)
        self._server = create_server(self.app, host=host, port=port, threads=threads,
                                     max_request_body_size=waitress_body_limit(settings.max_body_bytes), ident="osemock",
                                     clear_untrusted_proxy_headers=False)  # the app decides whom to believe
        self.host = host
        self.port = int(self._server.effective_port)  # type: ignore[union-attr]
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str = "/ol-ti-itcpe/billService") -> str:
        """Absolute URL of a path on this server."""
        return self.base_url + path

    def start(self) -> "ThreadedMock":
        """Start serving; returns at once, the socket is already listening."""
        self._thread = threading.Thread(target=self._serve, name="osemock-server", daemon=True)
        self._thread.start()
        return self

    def _serve(self) -> None:
        # waitress's own run() loops until every keep-alive connection has timed out; polling in
        # short rounds lets stop() end the loop at once, and the loop thread closes what it owns.
        server = self._server
        while not self._stopping.is_set():
            server.asyncore.loop(timeout=0.05, map=server._map, count=1)  # type: ignore[union-attr]
        for channel in list(server._map.values()):  # type: ignore[union-attr]
            channel.close()
        server.task_dispatcher.shutdown()  # type: ignore[union-attr]

    def stop(self) -> None:
        """Stop serving, close every connection and wait for the thread; then write the store's ``-wal``
        into its file, as ``osemock serve`` does when it stops (:func:`~osemock.server.wsgi.leave_serving`):
        the store's connections live as long as the process that ran the mock (a test session), so its
        file alone held none of what the mock stored, for whoever copies or opens it after the run."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        leave_serving(self.app)

    def __enter__(self) -> "ThreadedMock":
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
