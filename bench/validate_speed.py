"""Validation speed: parse + XSD + workbook rules of a 20-line and a 2,000-line factura.

    .venv/bin/python bench/validate_speed.py

Prints p50/p95 for the 20-line document (target p50 <= 10 ms) and the time of the 2,000-line one
(target < 2 s).
"""
from __future__ import annotations

import statistics
import time

from osemock.fixtures import factura_with_lines
from osemock.server.rules.lint import lint


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
