"""Fixtures shared by the client's tests."""
from __future__ import annotations

import pytest


@pytest.fixture
def raw_ose():
    """A real server on loopback that answers every POST with the bytes in ``answer`` (status line,
    headers and body as given: a body shorter than its Content-Length too), counting the requests."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    state = {"answer": b"", "requests": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            self.rfile.read(int(self.headers["Content-Length"]))
            state["requests"] += 1
            self.wfile.write(state["answer"])
            self.close_connection = True

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.state = state
    server.url = f"http://127.0.0.1:{server.server_address[1]}/ol-ti-itcpe/billService"
    yield server
    server.shutdown()
    server.server_close()
