"""Validation speed: parse + XSD + workbook rules of a 20-line and a 2,000-line factura.

    .venv/bin/python bench/validate_speed.py

Prints p50/p95 for the 20-line document (target p50 <= 10 ms) and the time of the 2,000-line one
(target < 2 s).
"""
from __future__ import annotations

import copy
import statistics
import time

from lxml import etree

from osemock.cpe import ns
from osemock.fixtures import document_bytes
from osemock.server.rules.lint import lint


def factura_with_lines(count: int) -> bytes:
    """The sample factura with its first line repeated ``count`` times (IDs renumbered)."""
    root = etree.fromstring(document_bytes("20123456789-01-F001-1.xml"))
    lines = root.findall(f"{{{ns.CAC}}}InvoiceLine")
    template = lines[0]
    for line in lines:
        root.remove(line)
    for number in range(1, count + 1):
        line = copy.deepcopy(template)
        line.find(f"{{{ns.CBC}}}ID").text = str(number)
        root.append(line)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def main() -> int:
    small = factura_with_lines(20)
    lint(small)  # warm the schema and rule caches
    timings, cpu = [], []
    for _ in range(200):
        started, started_cpu = time.perf_counter(), time.process_time()
        lint(small)
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    quantiles = statistics.quantiles(timings, n=100)
    print(f"20-line factura: p50 {quantiles[49]:.2f} ms  p95 {quantiles[94]:.2f} ms  (CPU {statistics.median(cpu):.2f} ms;"
          f" {len(small)} bytes)")
    big = factura_with_lines(2000)
    started = time.perf_counter()
    result = lint(big)
    print(f"2,000-line factura: {(time.perf_counter() - started) * 1000:.0f} ms  ({len(big) // 1024} KiB, "
          f"{len(result.findings)} findings)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
