"""Options the kit cannot run with: one usage error at start, whichever way it is run (the pytest
plugin, ``osemock check``), never an error in every case or a run that passes on nothing."""
from __future__ import annotations

import pytest

from tests.conformance.helpers import run


@pytest.mark.parametrize("options, message", [
    (["--ose-cert", "missing.pem"], "osemock: cannot read the certificate missing.pem: No such file or directory"),
    (["--ose-cert", "junk.pem"], "osemock: junk.pem must hold a private key and a certificate in PEM"),
    (["--ose-registry", "missing.yaml"], "osemock: registry missing.yaml: cannot read it"),
    (["--emitter-xml", "empty"], "osemock --emitter-xml: no *.xml file in the folder empty"),
    (["--ose-compare", "notaurl"], "osemock --ose-compare: unknown endpoint 'notaurl'"),
])
def test_bad_plugin_options_are_one_usage_error_at_start(tmp_path, options, message):
    """As ``osemock check`` says them: a missing certificate or registry was an error in each of the 13
    cases, a folder without documents passed green, and a bad second target was found only after the
    whole corpus had been sent to the first, in every comparison."""
    (tmp_path / "junk.pem").write_text("junk")
    (tmp_path / "empty").mkdir()
    result = run(["pytest", "-p", "no:cacheprovider", "-q", "--pyargs", "osemock.conformance.suites", *options], tmp_path)
    assert result.returncode == 4, result.stdout[-1000:] + result.stderr[-1000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"ERROR: {message}"), result.stderr
    assert "passed" not in result.stdout and "error" not in result.stdout


def test_check_refuses_a_second_target_that_is_no_endpoint_before_running(tmp_path):
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "20123456789-01-F001-1.xml").write_bytes(b"<Invoice/>")
    result = run(["osemock", "check", "--emitter-xml", "corpus", "--compare", "notaurl"], tmp_path)
    assert result.returncode == 2 and "--compare: unknown endpoint 'notaurl'" in result.stderr, result.stderr
    assert "passed" not in result.stdout and "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["check", "homologate"])
def test_sunat_production_without_a_user_is_one_usage_error(tmp_path, command):
    """SUNAT production has no test user; homologate sent as one reached the first call and ended in a
    ValueError traceback."""
    result = run(["osemock", command, "--target", "sunat-prod"], tmp_path)
    assert result.returncode == 2 and "has no test user: give the emitter's SOL user" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
