"""The ``ose_admin`` pytest fixture: a mock of its own per test, or a running one given by URL."""
from __future__ import annotations

import subprocess
import sys

from osemock.client import OseClient, RetryPolicy, Status

from tests.admin.conftest import factura


def test_ose_admin_starts_a_mock(ose_admin):
    assert ose_admin.health()["status"] == "ok" and ose_admin.mock is not None
    ose_admin.scenario(action="observation", code="4287")
    client = OseClient(ose_admin.endpoint, "20123456789", "BIZLINKS", "TESTBIZLINKS", retry=RetryPolicy(attempts=1))
    ose_admin.freeze("2026-11-20T18:00:00-05:00")
    assert client.send_bill(factura(1)).status is Status.OBSERVED


def test_ose_admin_drives_a_running_mock_and_resets_it(mock, tmp_path):
    mock.admin.scenario(action="empty", times=None)   # left over: the fixture's reset removes it
    test_file = tmp_path / "test_remote.py"
    test_file.write_text(
        "def test_remote(ose_admin):\n"
        "    assert ose_admin.mock is None and ose_admin.scenarios() == []\n"
        "    ose_admin.scenario(action='drop')\n"
        "    assert len(ose_admin.scenarios(active=True)) == 1\n")
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file),
                          "--ose-target", mock.url()], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert mock.admin.scenarios() == []   # the fixture cleared what its test planned
