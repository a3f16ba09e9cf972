"""Report files: refused at start where they cannot be written, and put in place whole."""
from __future__ import annotations

import json

import pytest

from osemock.conformance.report import CaseResult, Report
from tests.conformance.helpers import run


@pytest.mark.parametrize("command", [["homologate", "--groups", "13"], ["check"]])
def test_a_report_file_that_is_a_folder_is_a_usage_error_before_running(tmp_path, command):
    """With reports/junit.xml a folder, homologate sent every case and then died in an IsADirectoryError
    traceback, its table never printed; check wrote nothing of it and ended the same way."""
    (tmp_path / "reports" / "junit.xml").mkdir(parents=True)
    result = run(["osemock", *command, "--report", "reports"], tmp_path)
    assert result.returncode == 2, result.stdout[-1000:] + result.stderr[-1000:]
    assert "cannot write the report reports/junit.xml: a folder has its name" in result.stderr
    assert "Traceback" not in result.stderr and "aprobados" not in result.stdout and "passed" not in result.stdout
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == ["junit.xml"]


def test_reports_are_all_made_before_any_is_replaced(tmp_path):
    """A report that could not be made (here its JSON) left the files written before it: a new
    junit.xml beside the last run's report.json."""
    before = Report("run 1", "mock", [CaseResult("endpoint", "test_one")])
    written = before.write(tmp_path)
    old = {path.name: path.read_bytes() for path in written}
    after = Report("run 2", "mock", [CaseResult("endpoint", "test_two", other={"code": {"0"}})])  # a set: no JSON
    with pytest.raises(TypeError):
        after.write(tmp_path)
    assert {path.name: path.read_bytes() for path in tmp_path.iterdir()} == old  # no partial file left either
    after.cases[0].other = {"code": "0"}
    after.write(tmp_path)
    assert json.loads((tmp_path / "report.json").read_text())["title"] == "run 2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junit.xml", "report.html", "report.json"]


CASES_SUITE = '''
import pytest

@pytest.mark.parametrize("n", range(4))
def test_sends(ose_case, n):
    ose_case.document, ose_case.expected, ose_case.code = f"F001-{n}", "0", "0"

def test_is_refused(ose_case):
    ose_case.expected = "0"
    assert False, "0103 El Usuario no es valido"
'''


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one-process", "xdist"])
def test_the_report_holds_every_case_of_the_run(tmp_path, workers):
    """Under xdist each worker kept its cases, every process wrote the folder and the controller, with
    none, wrote it last: junit.xml said tests="0", report.json counted nothing, and CI went green."""
    (tmp_path / "test_cases.py").write_text(CASES_SUITE, encoding="utf-8")
    result = run(["pytest", "-p", "no:cacheprovider", "-q", "test_cases.py", "--ose-report", "reports", *workers],
                 tmp_path)
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    data = json.loads((tmp_path / "reports" / "report.json").read_text(encoding="utf-8"))
    assert data["counts"] == {"passed": 4, "failed": 1, "skipped": 0, "error": 0}
    cases = {case["name"]: case for case in data["cases"]}
    assert [cases[f"test_sends[{n}]"]["document"] for n in range(4)] == [f"F001-{n}" for n in range(4)]
    assert "0103 El Usuario no es valido" in cases["test_is_refused"]["message"]
    junit = (tmp_path / "reports" / "junit.xml").read_text(encoding="utf-8")
    assert 'tests="5"' in junit and 'failures="1"' in junit
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == ["junit.xml", "report.html", "report.json"]
    said = [line for line in result.stdout.splitlines() if "osemock report: " in line]
    assert said == ["osemock report: reports/junit.xml, reports/report.html, reports/report.json"]  # not after [100%]


def test_check_under_xdist_reports_every_case(tmp_path):
    result = run(["osemock", "check", "--report", "reports", "--", "-n", "2"], tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    data = json.loads((tmp_path / "reports" / "report.json").read_text(encoding="utf-8"))
    assert data["counts"] == {"passed": 13, "failed": 0, "skipped": 0, "error": 0}


def test_tests_of_the_same_name_in_two_folders_are_two_junit_cases(tmp_path):
    """``tests/unit/test_billing.py::test_send`` and ``tests/integration/test_billing.py::test_send`` were
    both ``osemock.billing`` / ``test_send`` in junit.xml: one test to CI, twice."""
    from junitparser import JUnitXml

    for folder in ("unit", "integration"):
        (tmp_path / "tests" / folder).mkdir(parents=True)
        (tmp_path / "tests" / folder / "__init__.py").write_text("")
        (tmp_path / "tests" / folder / "test_billing.py").write_text(
            "def test_send(ose_case):\n    pass\n\n"
            "class TestVoid:\n    def test_send(self, ose_case):\n        pass\n", encoding="utf-8")
    result = run(["pytest", "-p", "no:cacheprovider", "-q", "tests", "--ose-report", "reports"], tmp_path)
    assert result.returncode == 0, result.stdout[-2000:]
    cases = [(case.classname, case.name) for suite in JUnitXml.fromfile(str(tmp_path / "reports" / "junit.xml"))
             for case in suite]
    assert sorted(cases) == [("osemock.tests.integration.test_billing", "test_send"),
                             ("osemock.tests.integration.test_billing.TestVoid", "test_send"),
                             ("osemock.tests.unit.test_billing", "test_send"),
                             ("osemock.tests.unit.test_billing.TestVoid", "test_send")]
