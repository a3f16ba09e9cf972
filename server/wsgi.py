"""The only place where the pieces are composed into one WSGI application.

Each SUNAT/OSE path gets its own spyne application bound to one shared :class:`Engine`; ``GET``
with ``?wsdl`` (and the imported ``billService.ns1.wsdl`` / ``billService.xsd2.xsd``, also spelled
``?ns1.wsdl``) serves the official WSDL files with the address of this server; ``/_osemock/`` is the
mock's own reserved prefix (health, the CDR-signing certificate).  Every SOAP call is journaled.
"""
from __future__ import annotations

import io
import json
import logging
import time
from importlib.resources import files
from typing import Any, Callable, Iterable

import yaml
from spyne.server.wsgi import WsgiApplication

from osemock.server.clock import Clock
from osemock.server.engine import Engine
from osemock.server.engine.endpoints import ENDPOINTS, Endpoint
from osemock.server.keys import load_or_create_identity
from osemock.server.profiles import load_profile
from osemock.server.rules.engine import workbook_check
from osemock.server.rules.signature_rules import signature_check
from osemock.server.settings import Settings
from osemock.server.soap import render
from osemock.server.soap.service import build_application
from osemock.server.store import Store

log = logging.getLogger(__name__)

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
        self.soap = {path: WsgiApplication(build_application(engine, endpoint)) for path, endpoint in ENDPOINTS.items()}
        self.fallback: Callable[..., Iterable[bytes]] | None = None
        """Another WSGI app (the portal) for paths the mock does not own."""

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        method = environ.get("REQUEST_METHOD", "GET")
        if path in ENDPOINTS:
            if method == "POST":
                return self._soap(ENDPOINTS[path], environ, start_response)
            return self._wsdl(ENDPOINTS[path], environ, start_response)
        static = self._static_wsdl(path, environ)
        if static is not None:
            return _respond(start_response, 200, static, "text/xml; charset=utf-8")
        if path.startswith(ADMIN_PREFIX + "/"):
            return self._admin(path[len(ADMIN_PREFIX):], environ, start_response)
        if self.fallback is not None:
            return self.fallback(environ, start_response)
        return _respond(start_response, 404, b"not found\n", "text/plain")

    # -- SOAP ---------------------------------------------------------------------------------------
    def _soap(self, endpoint: Endpoint, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > self.settings.max_request_bytes:
            return _respond(start_response, 413, b"request too large\n", "text/plain")
        body = environ["wsgi.input"].read(length) if length else environ["wsgi.input"].read(self.settings.max_request_bytes + 1)
        if len(body) > self.settings.max_request_bytes:
            return _respond(start_response, 413, b"request too large\n", "text/plain")
        content_type = environ.get("CONTENT_TYPE", "")
        if self.engine.profile.strict_content_type and not content_type.lower().startswith("text/xml"):
            payload = render.render_plain_fault("Client", f"Content-Type no soportado: {content_type or '(vacio)'}; SOAP 1.1 usa text/xml")
            self._journal(endpoint, environ, body, 500, payload, "fault:content-type", None, started)
            return _respond(start_response, 500, payload, "text/xml; charset=utf-8")
        peeked = _peek_operation(body)
        fault = self.engine.store.take_fault(peeked[0])
        if fault is not None and (fault["code"] or fault["http_status"]):
            time.sleep(fault["delay_seconds"] or 0)
            if fault["http_status"]:
                status, payload, kind = fault["http_status"], b"injected failure\n", "text/plain"
            else:
                from osemock.cpe.errors import SunatError

                status = self.engine.profile.fault_http_status
                payload = render.render_fault(SunatError(fault["code"]), self.engine.profile.fault_dialect)
                kind = "text/xml; charset=utf-8"
            self._journal(endpoint, environ, body, status, payload, f"injected:{fault['code'] or status}", None, started,
                          peeked)
            return _respond(start_response, status, payload, kind)
        environ = dict(environ, **{"wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))})
        if not content_type:
            environ["CONTENT_TYPE"] = "text/xml; charset=utf-8"
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"] = int(status.split(" ", 1)[0])
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        chunks = list(self.soap[endpoint.path](environ, capture))
        payload = b"".join(chunks)
        if fault is not None and fault["delay_seconds"]:
            time.sleep(fault["delay_seconds"])  # processed and stored; only the answer is late
        self._journal(endpoint, environ, body, captured.get("status", 0), payload, None, None, started, peeked)
        return [payload]

    def _journal(self, endpoint: Endpoint, environ: dict[str, Any], body: bytes, status: int, payload: bytes,
                 outcome: str | None, file_name: str | None, started: float,
                 peeked: tuple[str | None, str | None] | None = None) -> None:
        operation, name = peeked or _peek_operation(body)
        if outcome is None:
            outcome = _peek_outcome(payload)
        keep = self.settings.journal_bodies
        try:
            self.engine.store.journal({
                "received_at": self.engine.clock.now().isoformat(),
                "path": endpoint.path,
                "operation": operation,
                "username": _peek_username(body),
                "file_name": file_name or name,
                "outcome": outcome,
                "http_status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                "request_body": body if keep else None,
                "response_body": payload if keep else None,
            })
        except Exception:  # the journal must never cost the caller its answer
            log.exception("could not journal a request to %s", endpoint.path)

    # -- WSDL ---------------------------------------------------------------------------------------
    def _wsdl(self, endpoint: Endpoint, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
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
            return _respond(start_response, 405, b"POST a SOAP 1.1 envelope here, or GET ?wsdl\n", "text/plain")
        text = _wsdl_text(endpoint.wsdl_set, file_name)
        if text is None:
            return _respond(start_response, 404, b"not found\n", "text/plain")
        return _respond(start_response, 200, self._fill(text, endpoint, environ), "text/xml; charset=utf-8")

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

    @staticmethod
    def _fill(text: str, endpoint: Endpoint, environ: dict[str, Any]) -> bytes:
        host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME', 'localhost')}:{environ.get('SERVER_PORT', '80')}"
        scheme = environ.get("wsgi.url_scheme", "http")
        return text.replace("{{ADDRESS}}", f"{scheme}://{host}{endpoint.path}").encode("utf-8")

    # -- reserved prefix ----------------------------------------------------------------------------
    def _admin(self, path: str, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if path.startswith("/tickets/"):
            return self._ticket(path[len("/tickets/"):], environ, start_response)
        if path == "/faults":
            return self._faults(environ, start_response)
        if path == "/health":
            body = json.dumps({"status": "ok", "profile": self.engine.profile.name}).encode()
            return _respond(start_response, 200, body, "application/json")
        if path == "/certificate.pem":
            return _respond(start_response, 200, self.engine.identity.cert_pem, "application/x-pem-file")
        return _respond(start_response, 404, b"not found\n", "text/plain")


    def _faults(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """``POST /_osemock/faults`` ``{"operation": "sendBill", "delay_seconds": 2, "code": "0130",
        "http_status": 503, "times": 1}`` plans a fault for the next calls; ``GET`` lists them; ``DELETE``
        clears them.  A delay alone still processes the call (and stores its result) but answers late."""
        method = environ.get("REQUEST_METHOD")
        store = self.engine.store
        if method == "DELETE":
            store.clear_faults()
        elif method == "POST":
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
                data = json.loads(environ["wsgi.input"].read(length) or b"{}")
                code = data.get("code")
                if code is not None and not (isinstance(code, str) and code.isdigit() and len(code) == 4):
                    raise ValueError("code must be a 4-digit SUNAT code")
                store.add_fault(data.get("operation"), float(data.get("delay_seconds", 0)), code,
                                int(data["http_status"]) if data.get("http_status") else None, int(data.get("times", 1)))
            except (ValueError, TypeError, AttributeError, KeyError) as error:
                return _respond(start_response, 400, json.dumps({"error": f"bad request: {error}"}).encode(), "application/json")
        body = json.dumps([dict(row) for row in store.faults()]).encode()
        return _respond(start_response, 200, body, "application/json")

    def _ticket(self, ticket: str, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """``GET /_osemock/tickets/{ticket}``: its state; ``POST`` with ``{"after_polls": n,
        "after_seconds": s}``: when a pending ticket becomes due (``{}``: settle it now)."""
        if environ.get("REQUEST_METHOD") == "POST":
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
                data = json.loads(environ["wsgi.input"].read(length) or b"{}") if length else {}
                after_polls = data.get("after_polls")
                after_seconds = data.get("after_seconds")
                if after_polls is not None:
                    after_polls = int(after_polls)
                if after_seconds is not None:
                    after_seconds = float(after_seconds)
            except (ValueError, TypeError, AttributeError) as error:
                return _respond(start_response, 400, json.dumps({"error": f"bad request: {error}"}).encode(), "application/json")
            if not self.engine.release_ticket(ticket, after_polls, after_seconds):
                return _respond(start_response, 404, json.dumps({"error": "no pending ticket " + ticket}).encode(),
                                "application/json")
        rows = self.engine.store.query("SELECT ticket, emitter_ruc, operation, file_name, status_code, response_code,"
                                       " polls, after_polls, ready_at, created_at, processed_at FROM tickets WHERE ticket=?",
                                       (ticket,))
        if not rows:
            return _respond(start_response, 404, json.dumps({"error": "unknown ticket " + ticket}).encode(), "application/json")
        return _respond(start_response, 200, json.dumps(dict(rows[0])).encode(), "application/json")


def _respond(start_response: StartResponse, status: int, body: bytes, content_type: str) -> list[bytes]:
    reasons = {200: "OK", 400: "Bad Request", 503: "Service Unavailable", 404: "Not Found", 405: "Method Not Allowed", 413: "Payload Too Large",
               500: "Internal Server Error"}
    start_response(f"{status} {reasons.get(status, 'Error')}",
                   [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


def _peek_operation(body: bytes) -> tuple[str | None, str | None]:
    """Operation and fileName for the journal, without a second full parse."""
    from lxml import etree

    try:
        root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False))
    except etree.XMLSyntaxError:
        return None, None
    body_el = root.find("{http://schemas.xmlsoap.org/soap/envelope/}Body")
    if body_el is None or len(body_el) == 0:
        return None, None
    call = body_el[0]
    return etree.QName(call).localname, call.findtext("fileName")


def _peek_username(body: bytes) -> str | None:
    start = body.find(b"Username>")
    if start < 0:
        return None
    end = body.find(b"<", start)
    return body[start + 9:end].decode("utf-8", "replace").strip() or None


def _peek_outcome(payload: bytes) -> str:
    if b"Fault>" in payload:
        start = payload.find(b"<faultstring>")
        return "fault:" + payload[start + 13:start + 17].decode("ascii", "replace") if start >= 0 else "fault"
    return "ok"


def create_app(settings: Settings | None = None) -> OsemockApp:
    """Build the whole mock from settings: store, profile, registry, identity, engine, SOAP."""
    settings = settings or Settings.from_env()
    profile = load_profile(settings.profile)
    store = Store(settings.db)
    if settings.registry is not None:
        store.seed_registry(yaml.safe_load(settings.registry.read_text(encoding="utf-8")) or {})
    identity = load_or_create_identity(settings.keys_dir, profile.ose_ruc, profile.ose_name)
    engine = Engine(store, profile, identity, clock=Clock.starting_at(settings.clock), checks=[signature_check, workbook_check])
    return OsemockApp(engine, settings)
