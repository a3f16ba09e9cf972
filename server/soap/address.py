"""The address a served WSDL names for its service (``soap:address``): where this client reached the mock.

Clients post where the WSDL says (PHP SoapClient, zeep, wsimport's generated stubs), so the address must be
one they can reach: the Host they asked with, or with none the address of the socket they connected to
(waitress's ``SERVER_NAME`` is ``waitress.invalid`` then, a host that never resolves).  The Host header
is the client's text put into XML: what is not ``host[:port]`` is refused rather than served, as it
served a WSDL with elements of the client's making.
"""
from __future__ import annotations

import re
import socket
from typing import Any
from xml.sax.saxutils import escape

#: ``host[:port]``: a DNS name or IPv4 address (``_`` too, which internal names use), or an IPv6 literal
#: in brackets, then an optional port.  Nothing that could close the attribute or start markup.
_HOST = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(?P<port>[0-9]{1,5}))?")


class HostRefused(ValueError):
    """Raised when the Host header (or a trusted proxy's X-Forwarded-Host) is not ``host[:port]``."""

    def __init__(self, header: str, value: str) -> None:
        super().__init__(f"the {header} header is not host[:port]: {value[:100]!r}")


def checked_host(value: str, header: str = "Host") -> str:
    """``value`` when it is ``host[:port]`` with a port up to 65535; :class:`HostRefused` otherwise."""
    match = _HOST.fullmatch(value)
    if match is None or (match["port"] is not None and int(match["port"]) > 65535):
        raise HostRefused(header, value)
    return value


def client_socket(environ: dict[str, Any]) -> socket.socket | None:
    """The connection's socket: gunicorn hands it over as ``gunicorn.socket``, waitress through the
    channel behind ``waitress.client_disconnected``; ``None`` under another server."""
    sock = environ.get("gunicorn.socket")
    if sock is None:
        channel = getattr(environ.get("waitress.client_disconnected"), "__self__", None)
        sock = getattr(channel, "socket", None)
    return sock


def local_host(environ: dict[str, Any]) -> str:
    """``host:port`` of the socket the client connected to (the address it used, also when the server
    listens on 0.0.0.0); the server's name and port under a server that hides the socket."""
    sock = client_socket(environ)
    if sock is not None:
        try:
            address, port = sock.getsockname()[:2]
        except OSError:  # the client hung up meanwhile
            pass
        else:
            return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
    return f"{environ.get('SERVER_NAME', 'localhost')}:{environ.get('SERVER_PORT', '80')}"


def service_address(environ: dict[str, Any], path: str) -> str:
    """The URL of the service at ``path`` as this client reaches it, ready for an XML attribute's
    quotes (escaped, though a checked host holds nothing to escape); :class:`HostRefused` for a Host
    that is not ``host[:port]``."""
    given = environ.get("HTTP_HOST", "").strip()
    host = checked_host(given) if given else local_host(environ)
    scheme = environ.get("wsgi.url_scheme", "http")
    return escape(f"{scheme}://{host}{path}", {'"': "&quot;"})
