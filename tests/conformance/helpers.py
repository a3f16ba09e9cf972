"""Running pytest and the CLI in a child process (a fresh interpreter, as a user runs them), the
deliberately broken emitter corpus, and broken endpoints: silent, trickling, closed, forging CDRs."""
from __future__ import annotations

import base64
import io
import json
import re
import socket
import subprocess
import sys
import threading
import time
import zipfile
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import requests

from osemock.client import prepare
from osemock.conformance.factory import DocumentFactory
from osemock.fixtures import emitter_keypair
from tests.helpers import raw_server

RUC = "20123456789"


def run(args: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    """``python -m ARGS`` in ``cwd``; output kept for the assertion message."""
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


def report_cases(folder: Path) -> dict[str, dict]:
    """The report.json cases by document file (or case name)."""
    data = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    return {case["name"]: case for case in data["cases"]}


def _without_customer_name(xml: bytes) -> bytes:
    """The customer's RegistrationName left empty (2021)."""
    start = xml.index(b"<cbc:RegistrationName>", xml.index(b"AccountingCustomerParty"))
    end = xml.index(b"</cbc:RegistrationName>", start)
    return xml[:start] + b"<cbc:RegistrationName>" + xml[end:]


def broken_corpus(folder: Path) -> dict[str, str]:
    """Write a corpus of good and deliberately broken documents with their sidecars; returns
    {file name: code the mock must answer}."""
    factory = DocumentFactory(RUC, seed=11, start=1)
    expected: dict[str, str] = {}

    def put(number: str, type_code: str, xml: bytes, code: str, sidecar: bool = True) -> None:
        name = f"{RUC}-{type_code}-{number}.xml"
        (folder / name).write_bytes(xml)
        if sidecar and code != "0":
            (folder / f"{name}.expected").write_text(f"{code}\n", encoding="utf-8")
        expected[name] = code

    folder.mkdir(parents=True, exist_ok=True)
    good, xml = factory.factura(lines=3)
    put(good, "01", xml, "0")
    number, xml = factory.boleta(lines=2)
    put(number, "03", xml, "0")
    number, xml = factory.credit_note(("01", good))
    put(number, "07", xml, "0")
    number, xml = factory.factura(lines=2)
    # IGV at 19 % on every line: 3103 needs a line whose IGV is then off by more than 1 (a base above 100)
    put(number, "01", xml.replace(b"<cbc:Percent>18</cbc:Percent>", b"<cbc:Percent>19</cbc:Percent>"), "3103")
    number, xml = factory.factura(lines=2)
    put(number, "01", _without_customer_name(xml), "2021")
    number, xml = factory.factura(lines=1)
    put(number, "01", xml.replace(b'<cbc:PayableAmount currencyID="PEN">', b'<cbc:PayableAmount currencyID="PEN">9', 1), "3280")
    number, xml = factory.factura(lines=1)
    put(number, "01", xml.replace(b'currencyID="PEN"', b'currencyID="USD"', 3), "2071")
    number, xml = factory.credit_note(("01", "F001-99999"))
    put(number, "07", xml, "2119")
    number, xml = factory.factura(lines=1)
    put(number, "01", xml.replace(b"<cbc:InvoiceTypeCode", b"<cbc:TipoDocumento", 1)
        .replace(b"</cbc:InvoiceTypeCode>", b"</cbc:TipoDocumento>", 1), "0306")
    number, xml = factory.factura(lines=1)
    signed = prepare(xml, emitter_keypair()).xml
    put(number, "01", signed.replace(b"<cbc:Description>", b"<cbc:Description>OFERTA ", 1), "2335")  # altered after signing
    return expected


@contextmanager
def silent_endpoint() -> Iterator[str]:
    """A billService URL whose server takes connections and never answers (a hung endpoint)."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        yield f"http://127.0.0.1:{silent.getsockname()[1]}/ol-ti-itcpe/billService"


@contextmanager
def trickling_endpoint(seconds: float = 6.0) -> Iterator[str]:
    """A billService URL whose server answers every request at once with a 200 whose chunked body
    comes a byte every 0.25 s (a stuck proxy), and closes it after ``seconds``: a call bounded only
    per read lasts that long instead of its timeout."""
    def trickle(connection: socket.socket) -> None:
        with connection:
            try:
                connection.recv(65536)
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n\r\n")
                ends = time.monotonic() + seconds
                while time.monotonic() < ends:
                    connection.sendall(b"1\r\n \r\n")
                    time.sleep(0.25)
            except OSError:  # the client gave up
                pass

    with raw_server(trickle) as port:
        yield f"http://127.0.0.1:{port}/ol-ti-itcpe/billService"


def closed_endpoint() -> str:
    """A billService URL where nothing listens (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/ol-ti-itcpe/billService"


_CDR = re.compile(rb"(<(?:\w+:)?applicationResponse>)([A-Za-z0-9+/=\s]+)(</)")


@contextmanager
def forging_proxy(upstream: str, mode: str) -> Iterator[str]:
    """A broken endpoint in front of a real mock at ``upstream`` (its base URL): every call forwarded,
    but each sendBill's CDR ``altered`` after the mock signed it (its description upper-cased: the
    signature no longer verifies), or ``replayed`` (every sendBill answered with the first CDR it
    passed: signed, but another document's).  Yields the proxy's base URL."""
    first: list[bytes] = []

    def altered(cdr: bytes) -> bytes:
        source = zipfile.ZipFile(io.BytesIO(base64.b64decode(cdr)))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for info in source.infolist():
                data = source.read(info.filename)
                target.writestr(info.filename, data.replace(b"ha sido aceptad", b"HA SIDO ACEPTAD"))
        return base64.b64encode(out.getvalue())

    def forged(found: re.Match) -> bytes:
        if mode == "altered":
            return found[1] + altered(found[2]) + found[3]
        first[:] = first or [found[2]]
        return found[1] + first[0] + found[3]

    class Forwarding(BaseHTTPRequestHandler):
        def _forward(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
            answer = requests.request(self.command, upstream + self.path, data=body or None, headers=headers,
                                      timeout=30)
            content = _CDR.sub(forged, answer.content)
            self.send_response(answer.status_code)
            for name, value in answer.headers.items():
                if name.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        do_GET = do_POST = _forward

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Forwarding)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
