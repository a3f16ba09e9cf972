"""Instructions the workbook rules take for one factura, counted by valgrind's callgrind.

CPU time on the shared development VM drifts by a factor of two from one minute to the next; an
instruction count repeats to within a few tenths of a per cent, so it can tell two versions of a rule
change apart where timings cannot.  The count covers the Firma and factura sheets over the 2-line
sample factura (no store, no clock: the offline rules), warm, per document.

    .venv/bin/python bench/rules_instructions.py               # about a minute and a half
    .venv/bin/python bench/rules_instructions.py --documents 100

Needs ``valgrind`` on the PATH.  It runs this script twice under callgrind, with no document and with
``--documents`` of them, and divides the difference, so start-up and imports cancel out.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys

_CHILD = "OSEMOCK_RULES_DOCUMENTS"


def _judge(count: int, parsed: int) -> None:
    """In the child: compile the rules, judge the sample a few times, parse ``parsed`` copies of it and
    judge ``count`` of them (both runs parse as many, so parsing cancels out too)."""
    from lxml import etree

    from osemock.fixtures import document_bytes
    from osemock.server.rules.engine import findings, warm_up

    sample = document_bytes("20123456789-01-F001-1.xml")
    warm_up()
    for _ in range(5):
        list(findings(etree.fromstring(sample), "01"))
    documents = [etree.fromstring(sample) for _ in range(parsed)]
    for document in documents[:count]:
        list(findings(document, "01"))


def _instructions(count: int, parsed: int) -> int:
    """Instructions callgrind counts for a child that judges ``count`` of ``parsed`` documents."""
    env = {**os.environ, _CHILD: f"{count},{parsed}", "PYTHONHASHSEED": "0"}
    run = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__],
                         env=env, capture_output=True, text=True, check=True)
    found = re.search(r"Collected : (\d+)", run.stderr)
    if found is None:
        raise SystemExit(f"callgrind printed no count:\n{run.stderr[-2000:]}")
    return int(found[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=60)
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (Debian: apt-get install valgrind)", file=sys.stderr)
        return 2
    base, loaded = _instructions(0, args.documents), _instructions(args.documents, args.documents)
    print(f"workbook rules (Firma + factura sheets), 2-line sample factura: "
          f"{(loaded - base) / args.documents / 1e6:.2f} M instructions a document ({args.documents} documents)")
    return 0


if __name__ == "__main__":
    if _CHILD in os.environ:
        _judge(*(int(number) for number in os.environ[_CHILD].split(",")))
    else:
        raise SystemExit(main())
