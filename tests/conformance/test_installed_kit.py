"""``pip install osemock`` and the kit is there: the wheel carries the plugin's entry point, the
suites, the report template and the OSE test certificate, and ``pytest --pyargs
osemock.conformance`` runs the suites from the installed package."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_suites_run_from_the_installed_wheel(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path / "wheel"), str(ROOT)],
                   check=True, capture_output=True)
    (wheel,) = (tmp_path / "wheel").glob("osemock-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for data_file in ("osemock/conformance/templates/report.html", "osemock/conformance/suites/test_endpoint.py",
                      "osemock/fixtures/certs/ose-20000000001.pem", "osemock/fixtures/faker_cpe.py"):
        assert data_file in names
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "[pytest11]" in entry_points and "osemock.conformance.plugin" in entry_points
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
                   check=True, capture_output=True)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--pyargs", "osemock.conformance",
                             "--ose-report", str(run_dir / "report")], cwd=run_dir, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(site)}, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "13 passed, 2 skipped" in result.stdout
    check = subprocess.run([sys.executable, "-c", "import osemock.conformance as k; print(k.__file__)"],
                           capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(site)}, cwd=run_dir)
    assert check.stdout.strip().startswith(str(site))
