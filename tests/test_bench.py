"""The load bench still runs end to end: a real ``osemock serve`` per run, signed documents, a report.

It checks that the script works and what it prints, never how fast: speed is read from its numbers
(README, Speed), not asserted.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "sendbill_load.py"


def test_several_runs_each_report_and_sum_up() -> None:
    finished = subprocess.run(
        [sys.executable, str(BENCH), "--requests", "24", "--concurrency", "4", "--mix", "--runs", "2", "--big", "30"],
        capture_output=True, text=True, timeout=300,
    )
    out = finished.stdout
    assert finished.returncode == 0, out + finished.stderr
    assert out.count("24 requests, 24 answered 200") == 2
    assert len(re.findall(r"^30-line factura \(\d+ KiB request\): answered (200|500) in", out, re.MULTILINE)) == 2
    assert re.search(r"^run 2 of 2, \d\d:\d\d:\d\d$", out, re.MULTILINE)
    each = [float(t) for t in re.findall(r"^throughput: ([\d.]+) req/s$", out, re.MULTILINE)]
    assert len(each) == 2 and all(t > 0 for t in each)
    spread = re.search(r"^  throughput req/s: (\d+)–(\d+), median (\d+)", out, re.MULTILINE)
    assert spread, out
    # the spread rounds the measured figures, each run prints them to a tenth: 124.54 is "124.5" and "125"
    assert abs(int(spread[1]) - min(each)) < 0.6 and abs(int(spread[2]) - max(each)) < 0.6
    assert "over 2 runs:" in out and "throughput × machine speed: median" in out
    assert re.search(r"^peak RSS MB: \d+", out, re.MULTILINE)


def test_percentiles_stay_within_what_was_measured() -> None:
    sys.path.insert(0, str(BENCH.parent))
    try:
        import sendbill_load
    finally:
        sys.path.remove(str(BENCH.parent))
    latencies = [float(ms) for ms in range(10, 34)]  # 24 requests, as a short run has
    p = sendbill_load.percentiles(latencies)
    assert p[98] <= max(latencies) and p[0] >= min(latencies)
    assert p[49] == 21.5


def test_runs_at_a_fixed_rate_are_not_set_against_the_machine_speed() -> None:
    finished = subprocess.run([sys.executable, str(BENCH), "--rate", "20", "--seconds", "1", "--runs", "2"],
                              capture_output=True, text=True, timeout=300)
    out = finished.stdout
    assert finished.returncode == 0, out + finished.stderr
    assert out.count("offered 20 req/s") == 2 and "over 2 runs:" in out and "latency p99 ms:" in out
    assert "throughput × machine speed" not in out
