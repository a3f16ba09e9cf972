"""The pytest plugin as a user meets it: installed, so its fixtures are in any suite; the endpoint
suite passing unchanged against other osemock servers reached by URL (both fault dialects), as it
would against a real OSE test endpoint; scenario control through the admin client."""
from __future__ import annotations

import pytest

from osemock.client import Status
from osemock.conformance.admin import AdminError, OseAdmin
from osemock.conformance.connection import make_client
from osemock.conformance.factory import DocumentFactory
from osemock.conformance.target import Target
from osemock.fixtures.summaries import comunicacion_baja
from tests.conformance.helpers import run

USER_SUITE = '''
def test_my_erp_gets_its_factura_accepted(ose_client, ose_documents):
    number, xml = ose_documents.factura(lines=2)
    outcome = ose_client.send_bill(xml)
    assert outcome.accepted and outcome.signature_verified

def test_the_store_is_reset_between_tests(ose_server):
    assert ose_server.store.query("SELECT COUNT(*) AS n FROM documents")[0]["n"] == 0

def test_outage_drill(ose_client, ose_admin, ose_documents):
    ose_admin.plan_fault("sendBill", http_status=503, times=1)
    number, xml = ose_documents.factura()
    assert ose_client.send_bill(xml).accepted        # the client retried the 503
'''


def test_an_emitters_own_suite_gets_the_fixtures_from_the_installed_plugin(tmp_path):
    (tmp_path / "test_erp.py").write_text(USER_SUITE, encoding="utf-8")
    result = run(["pytest", "-p", "no:cacheprovider", "-q", "test_erp.py"], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout


def test_an_emitters_suite_that_makes_warnings_errors_gets_the_fixtures(tmp_path):
    """Under ``filterwarnings = ["error"]`` (or ``-W error``) every in-process fixture failed at setup:
    the server stack, imported when the first fixture needs it, raised the ImportWarning of spyne's
    own copy of six (and spyne's 'cgi' DeprecationWarning) inside the test's warning filters."""
    for project, options in (("ini", []), ("option", ["-W", "error"])):
        (tmp_path / project).mkdir()
        (tmp_path / project / "test_erp.py").write_text(USER_SUITE, encoding="utf-8")
        if not options:
            (tmp_path / project / "pyproject.toml").write_text(
                '[tool.pytest.ini_options]\nfilterwarnings = ["error"]\n', encoding="utf-8")
        result = run(["pytest", "-p", "no:cacheprovider", "-q", *options, "test_erp.py"], tmp_path / project)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
        assert "3 passed" in result.stdout


def test_plugin_options_are_listed_in_help(tmp_path):
    result = run(["pytest", "--help"], tmp_path)
    for option in ("--ose-target", "--ose-ruc", "--ose-profile", "--emitter-xml", "--ose-compare", "--ose-report"):
        assert option in result.stdout


@pytest.mark.parametrize("profile, path, user, password", [
    ("sunat-beta", "/ol-ti-itcpfegem-beta/billService", "MODDATOS", "moddatos"),
    ("ose", "/ol-ti-itcpe/billService", "BIZLINKS", "TESTBIZLINKS"),
])
def test_endpoint_suite_runs_unchanged_against_a_url(tmp_path, make_mock, profile, path, user, password):
    server = make_mock(profile)
    result = run(["pytest", "-p", "no:cacheprovider", "-q", "-rs", "--pyargs", "osemock.conformance.suites.test_endpoint",
                  "--ose-target", server.url(path), "--ose-user", user, "--ose-password", password], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    if profile == "sunat-beta":  # SUNAT's billService has no getStatusCdr: the only skip
        assert "12 passed, 1 skipped" in result.stdout
    else:
        assert "13 passed" in result.stdout


def test_bad_target_options_are_a_clear_error(tmp_path):
    result = run(["pytest", "-p", "no:cacheprovider", "-q", "--pyargs", "osemock.conformance.suites.test_endpoint",
                  "--ose-ruc", "123"], tmp_path)
    assert result.returncode != 0
    assert "a RUC has 11 digits" in result.stdout + result.stderr


def test_admin_holds_and_settles_a_ticket(tmp_path, make_mock):
    held = tmp_path / "held.yaml"
    held.write_text("extends: ose\nname: held\nticket_after_polls: 1\n", encoding="utf-8")
    server = make_mock(str(held))
    admin = OseAdmin(server.url())
    assert admin.available() and admin.health()["profile"] == "held"
    client = make_client(Target(), server.url())
    factory = DocumentFactory("20123456789", start=1)
    number, xml = factory.factura()
    assert client.send_bill(xml).accepted
    _, baja = comunicacion_baja(factory.today, [("01", "F001", 1)])
    ticket = client.send_summary(baja).ticket
    admin.hold(ticket, after_polls=3)
    assert [client.get_status(ticket).code for _ in range(2)] == ["98", "98"]
    assert admin.ticket(ticket)["status_code"] == "98"
    admin.settle(ticket)
    final = client.get_status(ticket)
    assert final.status is Status.ACCEPTED and admin.ticket(ticket)["status_code"] == "0"
    with pytest.raises(AdminError, match="no pending ticket"):
        admin.settle(ticket)
    assert admin.certificate().public_bytes is not None
    admin.reset()  # a mock running elsewhere is reset through its admin API
    with pytest.raises(AdminError):
        admin.ticket(ticket)


def test_a_target_where_nothing_answers_is_unreachable_not_a_server_without_scenario_control(tmp_path):
    """An osemock that was down (refused, unknown host) counted as a target that is not one: its
    ose_admin tests were skipped and the run passed (exit 0)."""
    import requests

    from tests.conformance.helpers import closed_endpoint

    url = closed_endpoint()
    with pytest.raises(requests.ConnectionError):
        OseAdmin(url, timeout=2).available()
    with pytest.raises(requests.ConnectionError):
        OseAdmin("http://osemock.invalid/ol-ti-itcpe/billService", timeout=2).available()
    (tmp_path / "test_drill.py").write_text("def test_drill(ose_admin):\n    ose_admin.plan_fault('sendBill')\n",
                                            encoding="utf-8")
    result = run(["pytest", "-p", "no:cacheprovider", "-q", "-rs", "test_drill.py", "--ose-target", url], tmp_path)
    assert result.returncode == 1 and "1 error" in result.stdout, result.stdout[-2000:]
    assert f"osemock: nothing answers at {url.removesuffix('/ol-ti-itcpe/billService')} (" in result.stdout
    assert "Connection refused" in result.stdout and "skipped" not in result.stdout


def test_the_kits_own_calls_end_within_their_timeout_at_an_endpoint_that_drips_its_answers():
    """The probe of the target's clock (the day documents are issued on) and the admin API read the
    answer with requests' per-read timeout: a body dripping a byte every 0.25 s held ``homologate
    --timeout 2`` as long as it lasted.  Each call is bounded whole by its timeout now."""
    import time
    from datetime import datetime

    import requests

    from osemock.conformance.connection import connect
    from osemock.server.clock import LIMA
    from tests.conformance.helpers import trickling_endpoint

    with trickling_endpoint(seconds=6) as url:
        with connect(Target(endpoint=url, timeout=1)) as connection:
            started = time.monotonic()
            assert connection.issue_day() == datetime.now(LIMA).date()  # not an osemock: Lima's today
            assert time.monotonic() - started < 1.8
        admin = OseAdmin(url, timeout=1)
        started = time.monotonic()
        assert admin.available() is False
        assert time.monotonic() - started < 1.8
        started = time.monotonic()
        with pytest.raises(requests.ReadTimeout, match="no whole answer from .* within 1 s"):
            admin.reset()
        assert time.monotonic() - started < 1.8


@pytest.mark.parametrize("content_type, page", [
    ("text/html", b"<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"),
    ("application/json", b'{"status": "UP"}'),  # another service's health answer
])
def test_admin_is_unavailable_at_a_server_that_answers_any_path(content_type, page):
    """A gateway answering every path with 200 counted as an osemock: the scenario-control case then
    ended in an AdminError (ERROR) instead of being skipped."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    import threading

    class Anything(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Anything)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/ol-ti-itcpe/billService"
        assert OseAdmin(url, timeout=2).available() is False
    finally:
        server.shutdown()
        server.server_close()


def test_a_run_stopped_by_sigterm_leaves_no_mock_folder_behind(tmp_path):
    """A CI job's timeout (SIGTERM) ended the run before any teardown: each run left its in-process
    mock's folder (store, keys) in the temporary folder."""
    import os
    import signal
    import subprocess
    import sys
    import time

    (tmp_path / "test_slow.py").write_text(
        "import pathlib, time\n\n"
        "def test_slow(ose_server):\n"
        "    pathlib.Path('started').write_text(str(ose_server.folder))\n"
        "    time.sleep(60)\n", encoding="utf-8")
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    process = subprocess.Popen([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "test_slow.py"],
                               cwd=tmp_path, env={**os.environ, "TMPDIR": str(temporary)},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "started").exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        folder = (tmp_path / "started").read_text()
        assert folder.startswith(str(temporary)) and os.path.isdir(folder)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == -signal.SIGTERM  # it still dies of the signal
    finally:
        process.kill()
    assert list(temporary.iterdir()) == []
