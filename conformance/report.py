"""Results of a conformance or homologation run, and the three ways they leave the kit: JUnit XML
for CI, a self-contained HTML page a person reads (summary, per-case table, each case's CDR and
findings; no CDN, no script), and JSON for machines.

    report = Report("Homologación", target.describe(), cases)
    report.write("reports/")          # junit.xml, report.html, report.json
"""
from __future__ import annotations

import io
import json
import os
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from junitparser import JUnitXml

PASSED, FAILED, SKIPPED, ERROR = "passed", "failed", "skipped", "error"
#: What :meth:`Report.write` puts in a report folder.
REPORT_FILES = ("junit.xml", "report.html", "report.json")


@dataclass
class CaseResult:
    """One case: what was expected, what the target answered, and why that is a pass or not."""

    suite: str
    name: str
    verdict: str = PASSED
    """``passed``, ``failed``, ``skipped`` or ``error``."""
    title: str = ""
    label: str = ""
    """The verdict in the domain's words (``Aprobado``, ``No aprobado``, ``No enviado``); empty: the verdict."""
    document: str = ""
    expected: str = ""
    """The code expected (``0`` accepted), or a description of the expectation."""
    status: str = ""
    code: str = ""
    description: str = ""
    observations: list[str] = field(default_factory=list)
    ticket: str = ""
    message: str = ""
    """Why it failed (or was skipped)."""
    findings: list[dict[str, Any]] = field(default_factory=list)
    """Offline pre-flight findings (code, severity, node, message)."""
    cdr_xml: str = ""
    duration: float = 0.0
    other: dict[str, Any] | None = None
    """The second target's answer in a comparison run."""

    @property
    def shown_verdict(self) -> str:
        return self.label or self.verdict


@dataclass
class Report:
    title: str
    target: str
    cases: list[CaseResult] = field(default_factory=list)
    started: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))

    def counts(self) -> dict[str, int]:
        counts = {PASSED: 0, FAILED: 0, SKIPPED: 0, ERROR: 0}
        for case in self.cases:
            counts[case.verdict] = counts.get(case.verdict, 0) + 1
        return counts

    @property
    def ok(self) -> bool:
        counts = self.counts()
        return counts[FAILED] == 0 and counts[ERROR] == 0

    def as_dict(self) -> dict[str, Any]:
        return {"title": self.title, "target": self.target, "started": self.started, "counts": self.counts(),
                "cases": [asdict(case) for case in self.cases]}

    # -- writers ------------------------------------------------------------------------------------
    def junit(self) -> "JUnitXml":
        from junitparser import Error, Failure, JUnitXml, Skipped, TestCase, TestSuite

        suites: dict[str, TestSuite] = {}
        for case in self.cases:
            suite = suites.setdefault(case.suite, TestSuite(case.suite))
            test = TestCase(case.name, classname=f"osemock.{case.suite}", time=round(case.duration, 3))
            text = f"{case.shown_verdict}: expected {case.expected or '-'}, got {case.code or '-'} {case.description}"
            if case.verdict == FAILED:
                test.result = [Failure(case.message or text)]
            elif case.verdict == ERROR:
                test.result = [Error(case.message or text)]
            elif case.verdict == SKIPPED:
                test.result = [Skipped(case.message)]
            test.system_out = text
            suite.add_testcase(test)
        xml = JUnitXml(self.title)
        for suite in suites.values():
            suite.update_statistics()
            xml.add_testsuite(suite)
        xml.update_statistics()
        return xml

    def html(self) -> str:
        from jinja2 import Environment, PackageLoader, select_autoescape

        environment = Environment(loader=PackageLoader("osemock.conformance", "templates"),
                                  autoescape=select_autoescape(["html"]))
        environment.filters["pretty_xml"] = _pretty_xml
        return environment.get_template("report.html").render(report=self, counts=self.counts())

    def write(self, folder: str | Path) -> list[Path]:
        """``junit.xml``, ``report.html`` and ``report.json`` in ``folder``: all three made first, then
        each put in place whole (:func:`_replace`), so a run that fails to write leaves the reports
        it had, not half a set or half a file."""
        junit = io.BytesIO()
        self.junit().write(junit, pretty=True)
        contents = {"junit.xml": junit.getvalue(), "report.html": self.html().encode("utf-8"),
                    "report.json": json.dumps(self.as_dict(), ensure_ascii=False, indent=2).encode("utf-8")}
        return [_replace(Path(folder) / name, contents[name]) for name in REPORT_FILES]


def _replace(path: Path, data: bytes) -> Path:
    """``path`` holding ``data``, written beside it under another name and renamed over it: whole or
    not at all (a reader, or a run stopped half-way, never sees half a report)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.partial")
    try:
        with open(partial, "xb") as out:  # the mode the umask gives, as a file written in place had
            out.write(data)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return path


def _pretty_xml(text: str) -> str:
    """A CDR indented for a person (it travels on one line); left as it is if it does not parse."""
    from lxml import etree

    try:
        root = etree.fromstring(text.encode("utf-8"), etree.XMLParser(remove_blank_text=True, resolve_entities=False,
                                                                      no_network=True))
    except etree.XMLSyntaxError:
        return text
    return etree.tostring(root, pretty_print=True, encoding="unicode")


def report_folder(folder: str | Path) -> Path:
    """``folder``, made if missing, once it is known the reports can be written there (and that none
    of them would replace a folder): said before a run of many minutes, not by a traceback at its
    end.  :class:`ValueError` says why not."""
    path = Path(folder)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValueError(f"cannot make the report folder {path}: {error.strerror or error}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ValueError(f"cannot write in the report folder {path}")
    for name in REPORT_FILES:
        if (path / name).is_dir():
            raise ValueError(f"cannot write the report {path / name}: a folder has its name")
    return path
