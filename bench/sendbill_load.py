"""Load on loopback: N concurrent emitters sending distinct signed documents to a real ``osemock serve``.

Prints throughput, p50/p95/p99 latency, the CPU each request cost the server and this client, how
busy each server process was, the peak RSS of every server process, and any answer that was not 200.
Documents are signed before the clock starts, and every worker is warmed up first, so the numbers
measure the server (auth, ZIP, XSD, signature verification, the workbook rules, duplicate control, a
signed CDR and a SQLite commit).  ``--mix`` sends facturas, boletas and resúmenes diarios
(sendSummary, whose ticket is settled at once) instead of facturas only.  The clients share the
machine's CPUs with the server, so they post on raw sockets, which costs little (see :func:`post`).

    .venv/bin/python bench/sendbill_load.py --requests 3000 --concurrency 16 --workers 2 --mix
    .venv/bin/python bench/sendbill_load.py --rate 150 --seconds 10 --workers 2     # latency at a fixed load
    .venv/bin/python bench/sendbill_load.py --requests 3000 --concurrency 16 --workers 2 --mix --runs 10

A VM's speed drifts from one minute to the next, so one run says little about a target: ``--runs``
measures again on a fresh server and store each time (the same documents) and ends with the spread.

The server runs on the interpreter that runs this script, and the report names it: a CPython built
without profile-guided optimization (pyenv's default build) costs the server more CPU than an optimized
one (the Docker image's ``python:3.11-slim``, Debian's ``python3.11``); the README's Speed section says
how much, and how to run the bench on another interpreter.
"""
from __future__ import annotations

import argparse
import base64
import http.client
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from osemock.cpe import ns
from osemock.cpe.archive import write_document_zip
from osemock.cpe.signature import sign
from osemock.fixtures import dated, document_bytes, emitter_keypair, factura_with_lines
from osemock.fixtures.summaries import RcLine, resumen_diario

RUC = "20123456789"
ENVELOPE = (
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ser="http://service.sunat.gob.pe">'
    '<soapenv:Header><wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">'
    "<wsse:UsernameToken><wsse:Username>{user}</wsse:Username><wsse:Password>{password}</wsse:Password></wsse:UsernameToken>"
    "</wsse:Security></soapenv:Header><soapenv:Body><ser:{operation}><fileName>{name}.zip</fileName>"
    "<contentFile>{content}</contentFile></ser:{operation}></soapenv:Body></soapenv:Envelope>"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _body(operation: str, name: str, xml: bytes) -> bytes:
    content = base64.b64encode(write_document_zip(f"{name}.xml", xml)).decode()
    return ENVELOPE.format(user=RUC + "BIZLINKS", password="TESTBIZLINKS", operation=operation, name=name,
                           content=content).encode()


_SAMPLES = {"01": "F001", "03": "B001"}


def documents(count: int, type_code: str, serie: str, first: int = 1) -> list[bytes]:
    """``count`` signed documents made from the sample of ``type_code``, as ``serie``-``first``…"""
    template = dated(etree.fromstring(document_bytes(f"{RUC}-{type_code}-{_SAMPLES[type_code]}-1.xml")))
    keypair = emitter_keypair()
    bodies = []
    for number in range(first, first + count):
        document = etree.fromstring(etree.tostring(template))
        document.find(f"{{{ns.CBC}}}ID").text = f"{serie}-{number}"
        signed = etree.tostring(sign(document, keypair), xml_declaration=True, encoding="UTF-8")
        bodies.append(_body("sendBill", f"{RUC}-{type_code}-{serie}-{number}", signed))
    return bodies


def facturas(count: int, serie: str = "F001") -> list[bytes]:
    """``count`` signed facturas F001-1…, each a full SOAP request body."""
    return documents(count, "01", serie)


def mixed(count: int) -> list[bytes]:
    """70 % facturas, 25 % boletas, 5 % resúmenes diarios informing boletas of their own, interleaved."""
    summaries = max(1, count // 20)
    boletas = count // 4
    bodies = documents(count - boletas - summaries, "01", "F001") + documents(boletas, "03", "B001")
    today = time.strftime("%Y-%m-%d")
    for number in range(1, summaries + 1):
        lines = [RcLine("03", f"B002-{number * 10 + i}") for i in range(3)]
        name, xml = resumen_diario(today, lines, number=number)
        bodies.append(_body("sendSummary", name, xml))
    step = max(1, len(bodies) // summaries)
    ordered = bodies[:-summaries]
    for index, body in enumerate(bodies[-summaries:]):
        ordered.insert(min(len(ordered), (index + 1) * step), body)
    return ordered


def _children(pid: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if f"\nPPid:\t{pid}\n" in text:
            found.append(int(status.parent.name))
    return found


def peak_rss_mb(pid: int) -> dict[int, float]:
    """VmHWM (peak resident set) of the server process and its workers, in MB (Linux)."""
    peaks = {}
    for process in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{process}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks[process] = int(line.split()[1]) / 1024
        except OSError:
            continue
    return peaks


def cpu_seconds(pid: int) -> dict[int, float]:
    """User + system CPU seconds used so far by a process and by each of its workers (Linux ``/proc``)."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = {}
    for process in [pid, *_children(pid)]:
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[process] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return used


def _server_durations(db: Path, count: int) -> list[float]:
    """How long the server itself took for the last ``count`` requests (its request journal)."""
    import sqlite3

    with sqlite3.connect(db) as store:
        rows = store.execute("SELECT duration_ms FROM requests ORDER BY id DESC LIMIT ?", (count,)).fetchall()
    return sorted(row[0] for row in rows if row[0] is not None)


def _big_factura(lines: int) -> bytes:
    """A signed factura F098-1 of ``lines`` lines, the sample's first line repeated.  Its totals stay the
    sample's and line numbers pass 999, so the answer is a rejection (2023 first), given after every
    rule has run over every line."""
    document = etree.fromstring(factura_with_lines(lines))
    document.find(f"{{{ns.CBC}}}ID").text = "F098-1"
    signed = etree.tostring(sign(dated(document), emitter_keypair()), xml_declaration=True, encoding="UTF-8")
    return _body("sendBill", f"{RUC}-01-F098-1", signed)


def reference_cpu_ms(rounds: int = 25) -> float:
    """CPU (ms) this process takes to validate the 20-line factura of ``validate_speed.py``, median of
    ``rounds``: how fast the machine is right now.  On a VM whose host is shared, the same sendBill
    costs twice the CPU in some minutes as in others; the reference, taken before and after a run,
    says which kind of minute a run's figures come from."""
    from osemock.server.rules.lint import lint

    small = factura_with_lines(20)
    lint(small)  # compiles the schemas and rules once
    cpu = []
    for _ in range(rounds):
        started = time.process_time()
        lint(small)
        cpu.append((time.process_time() - started) * 1000)
    return statistics.median(cpu)


def post(port: int, path: str, body: bytes) -> tuple[int, bytes]:
    """POST ``body`` on a connection of its own and read the answer to the end: status and body.

    The load generator shares the machine's two CPUs with the server, so it should spend as little
    as it can (as wrk or ab would): one request on a raw socket, ``Connection: close``, costs
    0.2–0.3 ms of CPU against 0.4–0.6 ms with http.client (measured).  The server closes every
    connection after its answer anyway (gunicorn keepalive 0: see server/gunicorn_conf.py)."""
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: text/xml; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode("ascii")
    with socket.create_connection(("127.0.0.1", port), timeout=60) as connection:
        connection.sendall(head + body)
        chunks = []
        while chunk := connection.recv(262144):
            chunks.append(chunk)
    status_line, _, rest = b"".join(chunks).partition(b"\r\n")
    headers, _, answer = rest.partition(b"\r\n\r\n")
    if b"transfer-encoding: chunked" in headers.lower():
        raise RuntimeError("a chunked answer: the bench reads Content-Length answers only")
    return int(status_line.split(b" ", 2)[1]), answer


def _fault(answer: bytes) -> str:
    """faultcode and faultstring of a SOAP fault, for the report."""
    try:
        envelope = etree.fromstring(answer)
    except etree.XMLSyntaxError:
        return repr(answer[:120])
    return " ".join(text.strip() for text in envelope.xpath("//faultcode/text() | //faultstring/text()"))


def _file_name(body: bytes) -> str:
    start = body.find(b"<fileName>") + len(b"<fileName>")
    return body[start:body.find(b"</fileName>")].decode()


def interpreter() -> str:
    """The interpreter this script (and so the server it starts) runs on, and whether its configure line
    asked for profile-guided and link-time optimization (python.org and Docker builds say so there;
    Debian's optimized build does not, so its line says nothing)."""
    import sysconfig

    configure = sysconfig.get_config_var("CONFIG_ARGS") or ""
    built = [flag for flag in ("--enable-optimizations", "--with-lto") if flag in configure]
    return (f"{platform.python_implementation()} {platform.python_version()} "
            f"({os.path.realpath(getattr(sys, '_base_executable', sys.executable))}"
            + (f", built {' '.join(built)}" if built else "") + ")")


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Run:
    """The figures of one run: one server, its own store, the same documents."""

    results: list[tuple[float, int]]
    failures: list[str]
    elapsed: float
    server_cpu: dict[int, float]
    client_cpu: float
    peaks: dict[int, float]
    server_ms: list[float]
    reference: tuple[float, float]

    @property
    def throughput(self) -> float:
        return len(self.results) / self.elapsed


def _start_server(args: argparse.Namespace, port: int, db: Path, log: Any) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "osemock", "serve", "--port", str(port), "--db", str(db),
         "--threads", str(args.threads), "--workers", str(args.workers)],
        stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while server.poll() is None and time.monotonic() < deadline:
        try:
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            probe.request("GET", "/_osemock/health")
            probe.getresponse().read()
            return server
        except OSError:  # not listening yet, or still loading the app
            time.sleep(0.1)
    server.terminate()
    server.wait(timeout=10)
    raise SystemExit(f"the server did not answer its health URL (exit status {server.returncode}); "
                     "--log FILE keeps its output")


def run_once(args: argparse.Namespace, bodies: list[bytes], warmup: list[bytes], log: Any) -> Run:
    """Start a server on a store of its own, warm it, send ``bodies`` and measure."""
    port = free_port()
    path = "/ol-ti-itcpe/billService"
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.sqlite3"
        server = _start_server(args, port, db, log)
        try:
            failures: list[str] = []

            def one(body: bytes) -> tuple[float, int]:
                started = time.perf_counter()
                status, answer = post(port, path, body)
                if status != 200:
                    failures.append(f"{status}: {_fault(answer)} for {_file_name(body)}")
                return time.perf_counter() - started, status

            with ThreadPoolExecutor(args.concurrency) as pool:
                list(pool.map(one, warmup))  # every worker compiles its rules and loads its schemas first
            if args.big:
                big = _big_factura(args.big)
                seconds, status = one(big)
                print(f"{args.big:,}-line factura ({len(big) // 1024} KiB request): answered {status} in {seconds:.2f} s"
                      + (f" ({failures.pop()})" if status != 200 and failures else ""))
            reference_before = reference_cpu_ms()
            server_cpu = cpu_seconds(server.pid)
            client_cpu = _own_cpu()
            started = time.perf_counter()
            if args.rate:
                results: list[tuple[float, int]] = []
                lock = threading.Lock()
                with ThreadPoolExecutor(args.concurrency) as pool:
                    for index, body in enumerate(bodies):
                        delay = started + index / args.rate - time.perf_counter()
                        if delay > 0:
                            time.sleep(delay)
                        pool.submit(lambda b=body: (lambda r: (lock.acquire(), results.append(r), lock.release()))(one(b)))
            else:
                with ThreadPoolExecutor(args.concurrency) as pool:
                    results = list(pool.map(one, bodies))
            elapsed = time.perf_counter() - started
            server_cpu = {pid: seconds - server_cpu.get(pid, 0.0) for pid, seconds in cpu_seconds(server.pid).items()}
            client_cpu = _own_cpu() - client_cpu
            peaks = peak_rss_mb(server.pid)
            server_ms = _server_durations(db, len(bodies))
            reference_after = reference_cpu_ms()
        finally:
            server.terminate()
            server.wait(timeout=10)
    return Run(results, failures, elapsed, server_cpu, client_cpu, peaks, server_ms,
               (reference_before, reference_after))


def percentiles(values: list[float]) -> list[float]:
    """The 1st to 99th percentiles, interpolated between measured values only: with a few dozen
    requests the default method puts p99 beyond the slowest one."""
    return statistics.quantiles(values, n=100, method="inclusive")


def report(args: argparse.Namespace, run: Run) -> None:
    """The figures of one run, a line each."""
    latencies = sorted(r[0] * 1000 for r in run.results)
    ok = sum(1 for r in run.results if r[1] == 200)
    for failure in run.failures[:5]:
        print("not 200 —", failure)
    quantiles = percentiles(latencies)
    kind = "mixed (facturas, boletas, resúmenes)" if args.mix else "facturas"
    print(f"{kind}: {len(run.results)} requests, {ok} answered 200, concurrency {args.concurrency}, "
          f"server {args.workers} worker(s) x {args.threads} threads" + (f", offered {args.rate:.0f} req/s" if args.rate else ""))
    print(f"interpreter: {interpreter()}")
    print(f"throughput: {run.throughput:.1f} req/s")
    print(f"latency ms: p50 {quantiles[49]:.1f}  p95 {quantiles[94]:.1f}  p99 {quantiles[98]:.1f}  max {latencies[-1]:.1f}")
    print(f"CPU per request ms: server {sum(run.server_cpu.values()) / len(run.results) * 1000:.1f}"
          f"  this client {run.client_cpu / len(run.results) * 1000:.1f}  (machine: {os.cpu_count()} CPUs)")
    print(f"machine speed (CPU to validate a 20-line factura, before / after): {run.reference[0]:.1f} / "
          f"{run.reference[1]:.1f} ms")
    print("CPU busy per server process: " + ", ".join(f"{seconds / run.elapsed:.0%}" for seconds in run.server_cpu.values()))
    print("peak RSS MB: " + ", ".join(f"{rss:.0f}" for rss in run.peaks.values()))
    if len(run.server_ms) > 2:
        inside = percentiles(run.server_ms)
        print(f"inside the server (journal) ms: p50 {inside[49]:.1f}  p95 {inside[94]:.1f}  p99 {inside[98]:.1f}")


def summary(runs: list[Run], offered: float = 0) -> None:
    """Several runs in a few lines: the spread is the finding on a VM whose speed drifts.  At an
    ``offered`` rate the throughput is that rate, so it is not set against the machine's speed."""
    throughputs = sorted(run.throughput for run in runs)
    p99s = sorted(percentiles([r[0] * 1000 for r in run.results])[98] for run in runs)
    references = [statistics.mean(run.reference) for run in runs]
    cpu = sorted(sum(run.server_cpu.values()) / len(run.results) * 1000 for run in runs)
    print(f"over {len(runs)} runs:")
    print(f"  throughput req/s: {throughputs[0]:.0f}–{throughputs[-1]:.0f}, median {statistics.median(throughputs):.0f}"
          f"  (each: {', '.join(f'{t:.0f}' for t in (run.throughput for run in runs))})")
    print(f"  latency p99 ms: {p99s[0]:.1f}–{p99s[-1]:.1f}, median {statistics.median(p99s):.1f}")
    print(f"  server CPU per request ms: {cpu[0]:.1f}–{cpu[-1]:.1f}, median {statistics.median(cpu):.1f}")
    print(f"  machine speed (CPU to validate the 20-line factura) ms: {min(references):.1f}–{max(references):.1f}")
    if offered:
        return
    # Throughput follows the machine's speed: their product stays put while either drifts.
    product = statistics.median(run.throughput * speed for run, speed in zip(runs, references))
    print(f"  throughput × machine speed: median {product:,.0f} (so about {product:,.0f} ÷ the speed in ms, in req/s)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2, help="server threads per worker")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes (gunicorn when > 1)")
    parser.add_argument("--mix", action="store_true", help="facturas, boletas and resúmenes diarios")
    parser.add_argument("--rate", type=float, default=0, help="send at this many requests/s instead of as fast as possible")
    parser.add_argument("--seconds", type=float, default=10, help="with --rate: for this long")
    parser.add_argument("--runs", type=int, default=1,
                        help="measure this many times, each on a fresh server and store, and sum the runs up")
    parser.add_argument("--log", type=Path, help="write the server's output (its errors) to this file")
    parser.add_argument("--big", type=int, default=0, metavar="LINES",
                        help="first send one signed factura of LINES lines alone and time its answer")
    args = parser.parse_args(argv)

    count = int(args.rate * args.seconds) if args.rate else args.requests
    bodies = mixed(count) if args.mix else facturas(count)
    warmup = documents(args.workers * 4, "01", "F099")
    runs = []
    with (args.log.open("wb") if args.log else open(os.devnull, "wb")) as log:
        for number in range(1, args.runs + 1):
            if args.runs > 1:
                print(f"run {number} of {args.runs}, {time.strftime('%H:%M:%S')}")
            runs.append(run_once(args, bodies, warmup, log))
            report(args, runs[-1])
    if len(runs) > 1:
        summary(runs, args.rate)
    return 0 if all(status == 200 for run in runs for _, status in run.results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
