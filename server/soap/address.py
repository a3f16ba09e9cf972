"""The address a served WSDL names for its service (``soap:address``): where this client reached the mock.

Clients post where the WSDL says (PHP SoapClient, zeep, wsimport's generated stubs), so the address must be
one they can reach: the Host they asked with, or with none the address of the socket they connected to
(waitress's ``SERVER_NAME`` is ``waitress.invalid`` then, a host that never resolves).  The Host header
is the client's text put into XML: what is not ``host[:port]`` is refused rather than served, as it
served a WSDL with elements of the client's making.

Behind a reverse proxy (TLS on its side) the client reached the proxy: a trusted proxy's
``X-Forwarded-Proto`` and ``X-Forwarded-Host`` name the address instead.  This module decides it for both
servers the mock runs under: gunicorn alone read X-Forwarded-Proto (waitress needs a setting, and drops
the headers without it), and neither read X-Forwarded-Host, so the same proxy got https from one and http
from the other.
"""
from __future__ import annotations

import ipaddress
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


class Proxies:
    """The peers whose ``X-Forwarded-*`` headers are believed (``OSE_FORWARDED_ALLOW_IPS``): addresses and
    networks separated by commas, as gunicorn's ``forwarded_allow_ips`` takes them, or ``*`` for any peer.
    Believing one costs little: the headers only change the WSDL address the asking client gets back."""

    def __init__(self, allowed: str) -> None:
        items = [item.strip() for item in allowed.split(",") if item.strip()]
        self.anyone = "*" in items
        self.spec = ",".join(items)
        """The list as gunicorn's ``forwarded_allow_ips`` takes it (no blank items)."""
        try:  # strict, as gunicorn: 10.0.0.1/8 (host bits set) is a mistake, not 10.0.0.0/8
            self.networks = [ipaddress.ip_network(item) for item in items if item != "*"]
        except ValueError:
            raise ValueError(f"OSE_FORWARDED_ALLOW_IPS must be IP addresses or networks separated by commas, "
                             f"or *, not {allowed!r}") from None

    def trust(self, peer: str | None) -> bool:
        if self.anyone:
            return True
        try:
            address = ipaddress.ip_address(peer or "")
        except ValueError:  # no IP peer (a test server, a unix socket): no proxy we know of
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in network for network in self.networks)


def _first(value: str | None) -> str:
    """The first of a header's comma-separated values: the one the first proxy, the client's, wrote."""
    return (value or "").split(",", 1)[0].strip()


def forwarded_scheme(environ: dict[str, Any]) -> str | None:
    """The scheme a proxy says the client used: ``X-Forwarded-Proto``, else ``X-Forwarded-Ssl: on`` or
    ``X-Forwarded-Protocol: ssl`` (the headers gunicorn read for it, so none it took is lost)."""
    proto = _first(environ.get("HTTP_X_FORWARDED_PROTO")).lower()
    if proto in ("http", "https"):
        return proto
    if _first(environ.get("HTTP_X_FORWARDED_SSL")).lower() == "on" or \
            _first(environ.get("HTTP_X_FORWARDED_PROTOCOL")).lower() == "ssl":
        return "https"
    return None


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


def service_address(environ: dict[str, Any], path: str, proxies: Proxies) -> str:
    """The URL of the service at ``path`` as this client reaches it, ready for an XML attribute's
    quotes (escaped, though a checked host holds nothing to escape); :class:`HostRefused` for a Host
    (or a trusted proxy's X-Forwarded-Host) that is not ``host[:port]``."""
    proxied = proxies.trust(environ.get("REMOTE_ADDR"))
    forwarded_host = _first(environ.get("HTTP_X_FORWARDED_HOST")) if proxied else ""
    given = environ.get("HTTP_HOST", "").strip()
    if forwarded_host:
        host = checked_host(forwarded_host, "X-Forwarded-Host")
    else:
        host = checked_host(given) if given else local_host(environ)
    scheme = (forwarded_scheme(environ) if proxied else None) or environ.get("wsgi.url_scheme", "http")
    return escape(f"{scheme}://{host}{path}", {'"': "&quot;"})
