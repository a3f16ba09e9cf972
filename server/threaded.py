"""A mock running in a background thread on a free loopback port: for tests and the pytest plugin.

    with ThreadedMock(Settings(db=tmp / "ose.sqlite3")) as mock:
        zeep_client(mock.url("/ol-ti-itcpe/billService?wsdl"))
"""
from __future__ import annotations

import threading
from types import TracebackType

from waitress.server import create_server

from osemock.server.settings import Settings
from osemock.server.wsgi import OsemockApp, create_app


class ThreadedMock:
    """A real HTTP server (waitress) serving :class:`OsemockApp` until :meth:`stop`."""

    def __init__(self, settings: Settings, host: str = "127.0.0.1", port: int = 0, threads: int = 4) -> None:
        self.app: OsemockApp = create_app(settings)
        self._server = create_server(self.app, host=host, port=port, threads=threads,
                                     max_request_body_size=settings.max_request_bytes, ident="osemock")
        self.host = host
        self.port = int(self._server.effective_port)  # type: ignore[union-attr]
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str = "/ol-ti-itcpe/billService") -> str:
        """Absolute URL of a path on this server."""
        return self.base_url + path

    def start(self) -> "ThreadedMock":
        """Start serving; returns at once, the socket is already listening."""
        self._thread = threading.Thread(target=self._server.run, name="osemock-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self._server.close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "ThreadedMock":
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
