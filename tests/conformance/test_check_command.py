"""``osemock check``: the kit's suites from the command line, with reports."""
from __future__ import annotations

import json

from tests.conformance.helpers import broken_corpus, run


def test_check_runs_both_suites_and_writes_reports(tmp_path):
    broken_corpus(tmp_path / "corpus")
    result = run(["osemock", "check", "--emitter-xml", str(tmp_path / "corpus"), "--sign",
                  "--report", str(tmp_path / "report")], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert {p.name for p in (tmp_path / "report").iterdir()} == {"junit.xml", "report.html", "report.json"}
    html = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert "endpoint" in html and "emitter_documents" in html and "2335" in html
    agree = [c for c in json.loads((tmp_path / "report" / "report.json").read_text())["cases"]
             if c["name"].startswith("test_targets_agree")]
    assert [(c["verdict"], "osemock check --compare" in c["message"]) for c in agree] == [("skipped", True)]


def test_check_says_what_is_missing(tmp_path):
    result = run(["osemock", "check", "--suite", "documents"], tmp_path)
    assert result.returncode == 2 and "--emitter-xml" in result.stderr


def test_check_and_homologate_refuse_a_bad_certificate_or_registry_before_running(tmp_path):
    """Before, each of the suite's tests failed on it in turn (eleven errors for one wrong file)."""
    (tmp_path / "junk.pem").write_text("junk")
    (tmp_path / "registry.yaml").write_text("emitters:\n  - ruc: 20123456789\n    users:\n      - user: X\n")
    for command in (["check", "--cert", "junk.pem"], ["check", "--registry", "registry.yaml"],
                    ["homologate", "--registry", "registry.yaml"]):
        result = run(["osemock", *command], tmp_path)
        assert result.returncode == 2, (command, result.stdout[-500:])
        assert ("junk.pem must hold a private key" in result.stderr
                or "registry registry.yaml: emitters[0].users[0]: 'password' is a required property" in result.stderr)
        assert "Traceback" not in result.stderr and "passed" not in result.stdout


def test_check_and_homologate_refuse_an_unknown_profile_or_number_before_running(tmp_path):
    """Before, ``check --profile`` was not looked at until each test of the suite failed on it."""
    for command, message in ((["check", "--profile", "bizlink"], "unknown profile 'bizlink'"),
                             (["homologate", "--profile", "bizlink"], "unknown profile 'bizlink'"),
                             (["check", "--profile", "sunat-prod"], "profile sunat-prod has no test user"),
                             (["homologate", "--first-number", "0"], "0 is not in the range 1<=x<=99999900")):
        result = run(["osemock", *command], tmp_path)
        assert result.returncode == 2 and message in result.stderr, (command, result.stderr[-500:])
        assert "Traceback" not in result.stderr and "passed" not in result.stdout


def test_check_and_homologate_refuse_a_report_folder_they_cannot_write_before_running(tmp_path):
    """homologate ran every case, then ended in a FileNotFoundError traceback when it wrote the report."""
    (tmp_path / "a-file").write_text("")
    for command in (["check", "--report", "a-file/reports"], ["homologate", "--report", "a-file/reports"]):
        result = run(["osemock", *command], tmp_path)
        assert result.returncode == 2, (command, result.stdout[-500:])
        assert "cannot make the report folder a-file/reports" in result.stdout + result.stderr
        assert "Traceback" not in result.stderr and "passed" not in result.stdout and "aprobados" not in result.stdout


def _failure_lines(stdout: str) -> list[str]:
    """What ``osemock check`` printed between its FAILURES header and the closing count (but the
    line that says where the reports went)."""
    return [line for line in stdout.split(" FAILURES ", 1)[1].splitlines()[1:-1]
            if not line.startswith("osemock report: ")]


def test_check_against_a_silent_endpoint_ends_within_its_timeout_and_reports_why(tmp_path):
    """An endpoint that takes the connection and never answers: a case's calls share --timeout (the
    factura's send, getStatusCdr tried three times and a resend each waited all of it: about six
    times it a case), the terminal gets one line a case, and the reports say why each case failed,
    not where the exception was raised.  The wrong-password case shares it too: its client of its own
    waited the whole timeout on each call, about seven times it."""
    from tests.conformance.helpers import report_cases, silent_endpoint

    with silent_endpoint() as url:
        result = run(["osemock", "check", "--target", url, "--timeout", "1", "--report", "report",
                      "--", "-k", "wsdl or unknown_ticket or factura_is_accepted or wrong_password"], tmp_path)
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Traceback" not in result.stdout + result.stderr
    assert [line.split(": ", 1)[0] for line in _failure_lines(result.stdout)] == [
        "test_endpoint.py::test_wsdl_describes_the_billservice_operations",
        "test_endpoint.py::test_factura_is_accepted_with_a_signed_cdr",
        "test_endpoint.py::test_wrong_password_is_refused_with_an_auth_code", "test_endpoint.py::test_unknown_ticket_is_0127"]
    cases = report_cases(tmp_path / "report")
    assert "Read timed out" in cases["test_wsdl_describes_the_billservice_operations"]["message"]
    assert "no answer from" in cases["test_unknown_ticket_is_0127"]["message"]
    # the factura's day asked of the (would-be) osemock's clock: 1 s more, once a run
    assert cases["test_factura_is_accepted_with_a_signed_cdr"]["duration"] < 5.5  # it was about 7 s
    assert cases["test_unknown_ticket_is_0127"]["duration"] < 3.5  # three tries of 1 s, and backoffs
    assert cases["test_wrong_password_is_refused_with_an_auth_code"]["duration"] < 3.5  # it was about 6.5 s
    junit = (tmp_path / "report" / "junit.xml").read_text(encoding="utf-8")
    assert "no answer from" in junit


def test_check_against_an_endpoint_that_drips_its_answers_ends_within_its_timeout(tmp_path):
    """A 200 whose body comes a byte at a time never trips requests' per-read timeout: the WSDL fetch and
    the probe of scenario control (whether the target is an osemock) waited as long as the dripping
    lasted (for ever at a stuck proxy).  Each is bounded whole by --timeout now."""
    from tests.conformance.helpers import report_cases, trickling_endpoint

    with trickling_endpoint(seconds=8) as url:
        result = run(["osemock", "check", "--target", url, "--timeout", "1", "--report", "report",
                      "--", "-k", "wsdl or a_system_fault"], tmp_path)
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Traceback" not in result.stdout + result.stderr
    cases = report_cases(tmp_path / "report")
    wsdl, admin = cases["test_wsdl_describes_the_billservice_operations"], cases["test_a_system_fault_is_retried"]
    assert wsdl["verdict"] == "failed" and f"no whole answer from {url}?wsdl within 1 s" in wsdl["message"], wsdl
    assert admin["verdict"] == "skipped" and "is not an osemock" in admin["message"], admin
    assert wsdl["duration"] < 2.5 and admin["duration"] < 2.5, (wsdl["duration"], admin["duration"])  # were 8 s


def test_check_says_one_line_a_failure_at_a_closed_port(tmp_path):
    """pytest's --tb=line printed urllib3's and requests' whole chain of exceptions behind the client's
    "cannot reach": some twenty lines for one case."""
    from tests.conformance.helpers import closed_endpoint

    url = closed_endpoint()
    result = run(["osemock", "check", "--target", url, "--timeout", "1",
                  "--", "-k", "unknown_ticket or factura_is_accepted"], tmp_path)
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    lines = _failure_lines(result.stdout)
    assert len(lines) == 2, result.stdout
    assert lines[1].startswith(f"test_endpoint.py::test_unknown_ticket_is_0127: osemock.client.client.ClientError: "
                               f"cannot reach {url}"), lines
    assert len(result.stdout.strip().splitlines()) == 5, result.stdout  # progress, header, 2 failures, count


def test_check_refuses_a_document_folder_without_documents(tmp_path):
    """Before, an empty folder (or one of upper-case *.XML, not read) passed every case and exited 0."""
    (tmp_path / "empty").mkdir()
    result = run(["osemock", "check", "--emitter-xml", "empty"], tmp_path)
    assert result.returncode == 2 and "no *.xml file in the folder empty" in result.stderr, result.stderr


def test_check_starts_the_in_process_mock_at_a_given_clock(tmp_path):
    """The kit's own samples are dated 2026-11-20: on the in-process mock's real clock a factura of
    then is late (2108); ``--clock`` starts the mock on their day, and a wrong clock is a usage error."""
    from osemock.fixtures import DOCUMENTS

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    name = "20123456789-01-F001-1.xml"
    (corpus / name).write_bytes((DOCUMENTS / name).read_bytes())
    command = ["osemock", "check", "--suite", "documents", "--emitter-xml", str(corpus), "--sign"]
    late = run([*command, "--clock", "2026-11-30T12:00:00"], tmp_path)
    assert late.returncode == 1 and "2108" in late.stdout, late.stdout[-800:]
    on_time = run([*command, "--clock", "2026-11-20T12:00:00"], tmp_path)
    assert on_time.returncode == 0, on_time.stdout[-800:]
    wrong = run([*command, "--clock", "yesterday"], tmp_path)
    assert wrong.returncode == 2 and "ISO date-time" in wrong.stderr
