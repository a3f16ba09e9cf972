"""The only place where the pieces are composed into one WSGI application.

Each SUNAT/OSE path gets its own spyne application bound to one shared :class:`Engine`; ``GET``
with ``?wsdl`` (and the imported ``billService.ns1.wsdl`` / ``billService.xsd2.xsd``, also spelled
``?ns1.wsdl``) serves the official WSDL files with the address of this server.  Every other path goes
to one Flask application: the admin JSON API under ``/_osemock`` (a prefix no SUNAT path can clash
with) and the portal at ``/``.  Every SOAP call is journaled; before it reaches spyne the planned
scenarios (:mod:`osemock.server.admin.scenarios`) may decide it misbehaves.

For gunicorn: ``gunicorn 'osemock.server.wsgi:create_app()'`` (settings from ``OSE_*`` variables).
"""
from __future__ import annotations

import gc
import io
import logging
import re
import socket
import time
from dataclasses import dataclass
from email.message import Message
from importlib.resources import files
from typing import Any, Callable, Iterable

from spyne import const as spyne_const
from spyne.server.wsgi import WsgiApplication

from osemock.server import registry
from osemock.server.admin import progression
from osemock.server.admin.scenarios import Decision, Scenarios, scenario_check
from osemock.server.admin.shared_clock import SharedClock
from osemock.server.body_deadline import BODY_DEADLINES
from osemock.server.engine import Engine
from osemock.server.engine.endpoints import ENDPOINTS, Endpoint
from osemock.server.engine.validation import BETWEEN_CHECKS, INJECTED, Injection
from osemock.server.keys import load_or_create_identity
from osemock.server.profiles import load_profile
from osemock.server.rules.engine import warm_up, workbook_check
from osemock.server.rules.signature_rules import signature_check
from osemock.server.settings import Settings
from osemock.cpe import xsd
from osemock.cpe.archive import default_limits
from osemock.cpe.errors import SunatError
from osemock.server.soap import render
from osemock.server.soap.address import HostRefused, Proxies, client_socket, service_address
from osemock.server.soap.compressed import expanded
from osemock.server.soap.mtom import is_multipart, unpacked
from osemock.server.soap.peek import Peeked, peek_outcome, peek_target, peek_username, target_of
from osemock.server.soap.refusal import RequestRefused
from osemock.server.soap.screen import screen
from osemock.server.soap.service import build_application
from osemock.server.store import Store
from osemock.server.turn import EngineTurn

log = logging.getLogger(__name__)

#: The process's engine turn: one SOAP answer at a time (see :mod:`osemock.server.turn`).
ENGINE_TURN = EngineTurn()

StartResponse = Callable[..., Any]
ADMIN_PREFIX = "/_osemock"


def _wsdl_text(wsdl_set: str, file_name: str) -> str | None:
    resource = files("osemock.server.soap").joinpath("wsdl", wsdl_set, file_name)
    return resource.read_text(encoding="utf-8") if resource.is_file() else None


class OsemockApp:
    """The mock as a WSGI callable: SOAP endpoints, WSDL files and the reserved ``/_osemock`` prefix."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self.soap = {path: WsgiApplication(build_application(engine, endpoint),
                                           max_content_length=spyne_limit(settings.max_request_bytes))
                     for path, endpoint in ENDPOINTS.items()}
        self.proxies = Proxies(settings.forwarded_allow_ips)
        """Whose X-Forwarded-Proto and X-Forwarded-Host name the WSDL's address (``OSE_FORWARDED_ALLOW_IPS``)."""
        self.scenarios = Scenarios(engine.store)
        progression.prepare(engine.store)
        self.base_profile = engine.profile
        """The profile as configured; the admin API may change the engine's (ticket progression) until reset."""
        self.fallback: Callable[..., Iterable[bytes]] | None = None
        """Another WSGI app (the portal and admin API) for paths the SOAP side does not own."""

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        # every request answers on the store's clock as it is now: a reset or freeze another worker
        # answered a moment ago is in force here too (one indexed read)
        self.engine.clock.sync()
        path = merged_slashes(environ.get("PATH_INFO", "") or "/")
        if path != environ.get("PATH_INFO"):
            environ = dict(environ, PATH_INFO=path)
        method = environ.get("REQUEST_METHOD", "GET")
        if path in ENDPOINTS:
            if method == "POST":
                return self._soap(ENDPOINTS[path], environ, start_response)
            return self._wsdl(ENDPOINTS[path], method, environ, start_response)
        try:
            static = self._static_wsdl(path, environ)
        except HostRefused as refused:
            return _respond(start_response, 400, f"{refused}\n".encode(), "text/plain")
        if static is not None:
            if method not in _READS:
                return _not_allowed(start_response, "GET, HEAD", b"GET this WSDL file\n")
            return _respond(start_response, 200, static, "text/xml; charset=utf-8")
        if self.fallback is not None:
            return self.fallback(environ, start_response)
        return _respond(start_response, 404, b"not found\n", "text/plain")

    # -- SOAP ---------------------------------------------------------------------------------------
    def _soap(self, endpoint: Endpoint, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = Arrival(time.perf_counter(), self.engine.clock.now().isoformat())
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > self.settings.max_request_bytes:
            return _respond(start_response, 413, b"request too large\n", "text/plain")
        body, late = self._read_body(environ, length)
        if body is None:
            return _respond(start_response, 408, f"the request body stopped arriving for {self.settings.read_timeout} s\n"
                            .encode(), "text/plain")
        if length and len(body) < length and late:
            return _respond(start_response, 408, f"the request body did not arrive whole (it has "
                                                 f"{self.settings.body_timeout} s at most)\n".encode(), "text/plain")
        if length and len(body) < length:  # no time ran out: the client closed its side (gunicorn; waitress
            # hands the app no request that is not whole, and closes such a connection unanswered)
            return _respond(start_response, 400, f"the request body ended after {len(body)} of the {length} bytes "
                                                 f"its Content-Length announced: the client stopped sending\n".encode(),
                            "text/plain")
        if len(body) > self.settings.max_request_bytes:
            return _respond(start_response, 413, b"request too large\n", "text/plain")
        try:
            body = expanded(body, environ.get("HTTP_CONTENT_ENCODING", ""), self.settings.max_request_bytes)
        except RequestRefused as refused:
            return _respond(start_response, refused.status, f"{refused}\n".encode(), "text/plain", refused.headers)
        with ENGINE_TURN:  # the body is read: from here on only CPU work, and a scenario's waits
            pauses = BETWEEN_CHECKS.set(self.pause_between_checks)
            try:
                return self._answer(endpoint, environ, start_response, body, started)
            finally:
                BETWEEN_CHECKS.reset(pauses)

    def pause_between_checks(self) -> None:
        """A pause of the rules engine: a long answer lets a waiting one go first (``turn.share_if_long``),
        but not while it holds the store's writer — a summary is judged and applied in one write
        transaction, and the answer let go first would wait for the writer while this one waited for
        the turn, both for ever (a worker hung under load)."""
        if not self.engine.store.writing():
            ENGINE_TURN.share_if_long()

    def _read_body(self, environ: dict[str, Any], length: int) -> tuple[bytes | None, bool]:
        """The request body (up to one byte past the limit when no length is given), and whether
        ``body_timeout`` cut it off; ``None`` when the client sends none of it for ``read_timeout``
        seconds: gunicorn's sockets fail such a read (``gunicorn_conf.limit_reads``), and waitress has
        the whole body before the app runs.  A short body that was not cut off is one the client
        stopped sending (it closed its side), which is no timeout."""
        stream = environ["wsgi.input"]
        sock = environ.get("gunicorn.socket")
        if sock is None:
            return self._read(stream, length), False
        # a client that trickles its body is cut off at body_timeout (see ``body_deadline``)
        with BODY_DEADLINES.watching(sock, self.settings.body_timeout) as expired:
            try:
                return self._read(stream, length), expired()
            except Exception:  # gunicorn's reader on a socket shut mid-body (NoMoreData and kin): a short body
                if expired():
                    return b"", True
                raise

    def _read(self, stream: Any, length: int) -> bytes | None:
        try:
            return stream.read(length) if length else stream.read(self.settings.max_request_bytes + 1)
        except BlockingIOError:
            return None

    def _answer(self, endpoint: Endpoint, environ: dict[str, Any], start_response: StartResponse, body: bytes,
                started: Arrival) -> Iterable[bytes]:
        """Everything after reading the request, in the process's engine turn (see :data:`ENGINE_TURN`)."""
        content_type = environ.get("CONTENT_TYPE", "")
        if is_multipart(content_type):  # MTOM: the call put back together, judged as if sent inline
            try:
                body, content_type = unpacked(body, content_type, self.settings.max_request_bytes)
            except RequestRefused as refused:
                return _respond(start_response, refused.status, f"{refused}\n".encode(), "text/plain", refused.headers)
        if self.engine.profile.strict_content_type and not content_type.lower().startswith("text/xml"):
            payload = render.render_plain_fault("Client", f"Content-Type no soportado: {content_type or '(vacio)'}; SOAP 1.1 usa text/xml")
            self._journal(endpoint, environ, body, 500, payload, "fault:content-type", None, started)
            return _respond(start_response, 500, payload, "text/xml; charset=utf-8")
        try:
            body, call = screen(body, http_charset(content_type))
            refused = None
        except SunatError as error:
            call, refused = None, error
        target = target_of(call, body) if call is not None else Peeked()
        peeked = target.journaled
        if target.operation in ("sendSummary", "sendPack"):  # the calls that open tickets
            self.engine.profile = progression.effective(self.base_profile, self.engine.store)
        decision = self.scenarios.decide(target.scenario_target)
        if decision is not None and not decision.processed:  # the network misbehaves whatever was sent
            return self._misbehave(decision, endpoint, environ, body, start_response, started, peeked)
        if refused is not None:
            payload = render.render_fault(refused, self.engine.profile.fault_dialect)
            headers = [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(payload)))]
            return self._deliver(decision, endpoint, environ, body, start_response, started, (None, None),
                                 self.engine.profile.fault_http_status, headers, payload, f"fault:{refused.code}")
        # the screen hands on UTF-8 whatever charset came (UTF-16 from a .NET client, Latin-1), so spyne
        # is told so: decoding it in the charset the client named answered 0305, or a traceback
        media_type = content_type.split(";", 1)[0].strip() or "text/xml"
        environ = dict(environ, **{"wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)),
                                   "CONTENT_TYPE": f"{media_type}; charset=utf-8"})
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"] = int(status.split(" ", 1)[0])
            captured["headers"] = headers
            return None

        finding = decision.finding if decision is not None else None
        injection = Injection(finding) if finding is not None else None
        token = INJECTED.set(injection)
        try:
            payload = b"".join(self.soap[endpoint.path](environ, capture))
        finally:
            INJECTED.reset(token)
        if decision is not None and injection is not None and not injection.used:
            # answered before the document's checks ran (a 1033 resend, a 0104): the scenario did not act
            # and is given back, and the next one planned for the request may (nothing was stored)
            self.scenarios.unused(decision)
            decision = self.scenarios.decide(target.scenario_target, after=decision.scenario.id, injecting=False)
            if decision is not None and not decision.processed:
                return self._misbehave(decision, endpoint, environ, body, start_response, started, peeked)
        return self._deliver(decision, endpoint, environ, body, start_response, started, peeked,
                             captured.get("status", 500), captured.get("headers", []), payload)

    def _deliver(self, decision: Decision | None, endpoint: Endpoint, environ: dict[str, Any], body: bytes,
                 start_response: StartResponse, started: Arrival, peeked: tuple[str | None, str | None],
                 status: int, headers: list[tuple[str, str]], payload: bytes,
                 answered: str | None = None) -> Iterable[bytes]:
        """Send the answer the request got (a fault included), late or never when a delay or lost scenario
        acts on it; ``answered`` is the journal's outcome when the payload does not say it plainly."""
        if decision is not None and decision.delay_seconds:
            ENGINE_TURN.wait_outside(decision.delay_seconds)  # whatever was stored is; only the answer is late (or lost)
        if decision is not None and decision.action == "lost":
            self._journal(endpoint, environ, body, 0, payload, f"scenario:{decision.scenario.id}:lost", None, started, peeked)
            return _drop(environ, start_response)
        outcome = answered or peek_outcome(payload)
        if decision is not None:
            outcome += f" scenario:{decision.scenario.id}:{decision.action}"
        self._journal(endpoint, environ, body, status, payload, outcome, None, started, peeked)
        start_response(render.status_line(status), headers)
        return [payload]

    def _misbehave(self, decision: Decision, endpoint: Endpoint, environ: dict[str, Any], body: bytes,
                   start_response: StartResponse, started: Arrival, peeked: tuple[str | None, str | None]) -> Iterable[bytes]:
        """Answer a scenario that keeps the call from the engine: a code, an HTTP error, nothing at all."""
        ENGINE_TURN.wait_outside(decision.delay_seconds)
        outcome = f"scenario:{decision.scenario.id}:{decision.action}"
        if decision.action == "drop":
            self._journal(endpoint, environ, body, 0, b"", outcome, None, started, peeked)
            return _drop(environ, start_response)
        if decision.action == "empty":
            status, payload, kind = 200, b"", "text/xml; charset=utf-8"
        elif decision.action == "http_status":
            status = decision.scenario.http_status or 503
            payload, kind = f"{render.status_line(status)}\n".encode(), "text/plain"
        else:
            from osemock.cpe.errors import SunatError

            status = self.engine.profile.fault_http_status
            payload = render.render_fault(SunatError(decision.scenario.code or "0100"), self.engine.profile.fault_dialect)
            kind = "text/xml; charset=utf-8"
            outcome += ":" + (decision.scenario.code or "")
        self._journal(endpoint, environ, body, status, payload, outcome, None, started, peeked)
        return _respond(start_response, status, payload, kind)

    def _journal(self, endpoint: Endpoint, environ: dict[str, Any], body: bytes, status: int, payload: bytes,
                 outcome: str | None, file_name: str | None, started: Arrival,
                 peeked: tuple[str | None, str | None] | None = None) -> None:
        operation, name = peeked if peeked is not None else peek_target(body).journaled
        if outcome is None:
            outcome = peek_outcome(payload)
        keep = self.settings.journal_bodies
        try:
            self.engine.store.journal({
                "received_at": started.received_at,
                "path": endpoint.path,
                "operation": operation,
                "username": peek_username(body),
                "file_name": file_name or name,
                "outcome": outcome,
                "http_status": status,
                "duration_ms": round((time.perf_counter() - started.counter) * 1000, 3),
                "request_body": body if keep else None,
                "response_body": payload if keep else None,
            }, keep_last=self.settings.journal_max_entries)
        except Exception:  # the journal must never cost the caller its answer
            log.exception("could not journal a request to %s", endpoint.path)

    # -- WSDL ---------------------------------------------------------------------------------------
    def _wsdl(self, endpoint: Endpoint, method: str, environ: dict[str, Any],
              start_response: StartResponse) -> Iterable[bytes]:
        """A WSDL file for GET (or HEAD) with its query (``?wsdl``, ``?ns1.wsdl``…); 405 naming what the
        address takes otherwise: POST, and GET and HEAD when the query names a file."""
        query = environ.get("QUERY_STRING", "").lower()
        main = "billConsultService" if endpoint.service == "consult" else "billService"
        names = {
            "wsdl": f"{main}.wsdl",
            "ns1.wsdl": f"{main}.ns1.wsdl",
            "ns2.wsdl": f"{main}.ns2.wsdl",
            "xsd2.xsd": f"{main}.xsd2.xsd",
            "wsdl=1": f"{main}.ns1.wsdl",
            "xsd=1": f"{main}.xsd",
        }
        file_name = names.get(query)
        if file_name is None:
            return _not_allowed(start_response, "POST", b"POST a SOAP 1.1 envelope here, or GET ?wsdl\n")
        if method not in _READS:
            return _not_allowed(start_response, "GET, HEAD, POST", b"GET the WSDL here, or POST a SOAP 1.1 envelope\n")
        text = _wsdl_text(endpoint.wsdl_set, file_name)
        if text is None:
            return _respond(start_response, 404, b"not found\n", "text/plain")
        try:
            filled = self._fill(text, endpoint, environ)
        except HostRefused as refused:
            return _respond(start_response, 400, f"{refused}\n".encode(), "text/plain")
        return _respond(start_response, 200, filled, "text/xml; charset=utf-8")

    def _static_wsdl(self, path: str, environ: dict[str, Any]) -> bytes | None:
        folder, _, file_name = path.rpartition("/")
        if not file_name.endswith((".wsdl", ".xsd")):
            return None
        for endpoint in ENDPOINTS.values():
            if endpoint.path.rpartition("/")[0] == folder:
                text = _wsdl_text(endpoint.wsdl_set, file_name)
                if text is not None:
                    return self._fill(text, endpoint, environ)
        return None

    def _fill(self, text: str, endpoint: Endpoint, environ: dict[str, Any]) -> bytes:
        """The WSDL file with this server's address; :class:`HostRefused` for a Host that is not ``host[:port]``."""
        return text.replace("{{ADDRESS}}", service_address(environ, endpoint.path, self.proxies)).encode("utf-8")


def merged_slashes(path: str) -> str:
    """``path`` with each run of slashes as one: a base URL configured with a trailing slash and joined
    to the path (``http://ose:8080/`` + ``/ol-ti-itcpe/billService``) is a common emitter mistake that
    Tomcat and JAX-WS servers forgive.  waitress merged leading slashes itself and gunicorn kept them,
    so one server answered the CDR and the other the portal's 404; merged here, both see one path."""
    return _SLASHES.sub("/", path) if "//" in path else path


_SLASHES = re.compile(r"/{2,}")


def http_charset(content_type: str) -> str | None:
    """The ``charset`` parameter of a Content-Type (quoted or not), or ``None``."""
    if "charset" not in content_type.lower():
        return None
    header = Message()
    header["Content-Type"] = content_type
    charset = header.get_param("charset")
    return charset.strip() or None if isinstance(charset, str) else None


def spyne_limit(max_request_bytes: int) -> int:
    """spyne's own cap on the body it is handed (its ``max_content_length``: fault 0305 "Request too
    long" past it), set where it never refuses what ``OSE_MAX_REQUEST_BYTES`` let in (the app answers
    413 beyond that, before spyne).  spyne's default, 2 MiB, refused every larger request: a lot of
    some 480 documents, a factura with a big attachment.  The screen hands spyne the body re-encoded
    as UTF-8, which is at most twice what came (a Latin-1 byte is at most two UTF-8 bytes, UTF-16's
    two at most three), with a declaration of its own."""
    return 2 * max_request_bytes + 1024


def _respond(start_response: StartResponse, status: int, body: bytes, content_type: str,
             headers: tuple[tuple[str, str], ...] = ()) -> list[bytes]:
    start_response(render.status_line(status),
                   [("Content-Type", content_type), ("Content-Length", str(len(body))), *headers])
    return [body]


#: The methods that read a WSDL file (a server sends HEAD's headers without the body).
_READS = ("GET", "HEAD")


def _not_allowed(start_response: StartResponse, allow: str, body: bytes) -> list[bytes]:
    """405 with the ``Allow`` header a 405 must carry (RFC 9110 §15.5.6): what this address takes."""
    return _respond(start_response, 405, body, "text/plain", (("Allow", allow),))


@dataclass(frozen=True)
class Arrival:
    """When a request arrived: the journal's ``received_at`` (the mock's clock) and the start of its
    ``duration_ms``.  Taken before the body is read, as journaling at the end would date a delayed or
    lost answer after the requests its client sent meanwhile."""

    counter: float  # time.perf_counter()
    received_at: str  # the mock's clock, ISO


def _drop(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
    """Close the client's connection without an answer (a dropped connection, a lost response).

    Both servers the mock runs under expose the socket: gunicorn as ``gunicorn.socket``, waitress
    through the channel behind ``waitress.client_disconnected``.  Elsewhere the answer is cut short
    instead (headers promising a body that never comes), which the client also sees as a broken
    connection."""
    channel = getattr(environ.get("waitress.client_disconnected"), "__self__", None)
    if channel is not None or environ.get("gunicorn.socket") is not None:
        sock = client_socket(environ)  # None: the client hung up
        try:
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # the client hung up first (it timed out): nothing left to drop
        start_response("200 OK", [("Content-Length", "0")])  # goes nowhere: the line is down
        return [b""]
    start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", "1")])
    return [b""]


def create_app(settings: Settings | None = None) -> OsemockApp:
    """Build the whole mock from settings: store, profile, registry, identity, engine, SOAP, portal, admin."""
    from osemock.server.portal import create_portal

    settings = settings or Settings.from_env()
    default_limits()  # an OSE_ZIP_* typo fails here, not at the first request
    profile = load_profile(settings.profile)
    warm_up()  # the rules and the schemas compiled now, not by the first requests
    xsd.load_all()
    store = Store(settings.db)
    if settings.registry is not None:
        store.seed_registry(registry.load(settings.registry))
    identity = load_or_create_identity(settings.keys_dir, profile.ose_ruc, profile.ose_name)
    engine = Engine(store, profile, identity, clock=SharedClock(store, settings.clock),
                    checks=[scenario_check, signature_check, workbook_check])
    app = OsemockApp(engine, settings)
    app.fallback = create_portal(app)
    return app


def leave_serving(app: Any) -> None:
    """Called by a server process that stops cleanly (``osemock serve`` on SIGTERM or Ctrl-C, a gunicorn
    worker as it exits): the store's content goes into its file (:meth:`Store.checkpoint`), so the file
    alone is the whole store once every server on it has stopped.  ``app`` may be ``None`` (a worker
    that never built it)."""
    store = getattr(getattr(app, "engine", None), "store", None)
    if store is not None and not store.checkpoint():
        log.warning("the store %s was busy at this stop: part of it is still in %s-wal, which belongs with it",
                    store.path, store.path)


def settle_for_serving() -> None:
    """Called by a server process once its app is built: what exists now (rules, schemas, catalogs)
    lives as long as the process, so it is kept out of the garbage collector's full passes, which
    otherwise walk it and stall requests (p99 at half load: 109 ms before, 18 ms after).

    spyne also runs a full ``gc.collect()`` after a request whenever a second has passed since the
    last one (so that files of its own upload handling are closed promptly; we have none): in a
    busy process that is one stall a second for nothing, so it is turned off and Python's own
    generational collection is left to do its work."""
    gc.collect()
    gc.freeze()
    spyne_const.MIN_GC_INTERVAL = float("inf")
