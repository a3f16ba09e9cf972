"""Load on loopback: N concurrent emitters sending distinct signed facturas to a real ``osemock serve``.

Prints sendBill requests/s and p50/p95/p99 latency.  Documents are signed before the clock starts,
so the numbers measure the server (auth, ZIP, XSD, duplicate control, signed CDR, SQLite commit).

    .venv/bin/python bench/sendbill_load.py --requests 600 --concurrency 8
"""
from __future__ import annotations

import argparse
import base64
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from lxml import etree

from osemock.cpe import ns
from osemock.cpe.archive import write_document_zip
from osemock.cpe.signature import sign
from osemock.fixtures import dated, document_bytes, emitter_keypair

RUC = "20123456789"
ENVELOPE = (
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ser="http://service.sunat.gob.pe">'
    '<soapenv:Header><wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">'
    "<wsse:UsernameToken><wsse:Username>{user}</wsse:Username><wsse:Password>{password}</wsse:Password></wsse:UsernameToken>"
    "</wsse:Security></soapenv:Header><soapenv:Body><ser:sendBill><fileName>{name}.zip</fileName>"
    "<contentFile>{content}</contentFile></ser:sendBill></soapenv:Body></soapenv:Envelope>"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def facturas(count: int, serie: str = "F001") -> list[bytes]:
    """``count`` signed facturas F001-1…, each a full SOAP request body."""
    template = dated(etree.fromstring(document_bytes(f"{RUC}-01-F001-1.xml")))
    keypair = emitter_keypair()
    bodies = []
    for number in range(1, count + 1):
        document = etree.fromstring(etree.tostring(template))
        document.find(f"{{{ns.CBC}}}ID").text = f"{serie}-{number}"
        signed = etree.tostring(sign(document, keypair), xml_declaration=True, encoding="UTF-8")
        name = f"{RUC}-01-{serie}-{number}"
        content = base64.b64encode(write_document_zip(f"{name}.xml", signed)).decode()
        bodies.append(ENVELOPE.format(user=RUC + "BIZLINKS", password="TESTBIZLINKS", name=name, content=content).encode())
    return bodies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--threads", type=int, default=8, help="server worker threads")
    args = parser.parse_args(argv)

    bodies = facturas(args.requests)
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        server = subprocess.Popen(
            [sys.executable, "-m", "osemock", "serve", "--port", str(port), "--db", str(Path(tmp) / "bench.sqlite3"),
             "--threads", str(args.threads)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}/ol-ti-itcpe/billService"
        try:
            for _ in range(100):
                try:
                    requests.get(f"http://127.0.0.1:{port}/_osemock/health", timeout=1)
                    break
                except requests.ConnectionError:
                    time.sleep(0.1)
            session = requests.Session()
            adapter = requests.adapters.HTTPAdapter(pool_connections=args.concurrency, pool_maxsize=args.concurrency)
            session.mount("http://", adapter)

            def one(body: bytes) -> tuple[float, int]:
                started = time.perf_counter()
                response = session.post(url, data=body, headers={"Content-Type": "text/xml; charset=utf-8"}, timeout=60)
                return time.perf_counter() - started, response.status_code

            started = time.perf_counter()
            with ThreadPoolExecutor(args.concurrency) as pool:
                results = list(pool.map(one, bodies))
            elapsed = time.perf_counter() - started
        finally:
            server.terminate()
            server.wait(timeout=10)
    latencies = sorted(r[0] * 1000 for r in results)
    ok = sum(1 for r in results if r[1] == 200)
    quantiles = statistics.quantiles(latencies, n=100)
    print(f"sendBill: {len(results)} requests, {ok} accepted, concurrency {args.concurrency}, server threads {args.threads}")
    print(f"throughput: {len(results) / elapsed:.1f} req/s")
    print(f"latency ms: p50 {quantiles[49]:.1f}  p95 {quantiles[94]:.1f}  p99 {quantiles[98]:.1f}  max {latencies[-1]:.1f}")
    return 0 if ok == len(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
