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
