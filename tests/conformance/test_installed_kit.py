"""``pip install osemock`` and the kit is there: the wheel carries the plugin's entry point, the
suites, the report template and the OSE test certificate, and ``pytest --pyargs
osemock.conformance`` runs the suites from the installed package."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(folder), str(ROOT)],
                   check=True, capture_output=True)
    (built,) = folder.glob("osemock-*.whl")
    return built


def _installed(wheel: Path, site: Path) -> dict[str, str]:
    """The environment of a process that finds the wheel installed in ``site`` first."""
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
                   check=True, capture_output=True)
    return {**os.environ, "PYTHONPATH": str(site)}


def test_suites_run_from_the_installed_wheel(tmp_path, wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for data_file in ("osemock/conformance/templates/report.html", "osemock/conformance/suites/test_endpoint.py",
                      "osemock/fixtures/certs/ose-20000000001.pem", "osemock/fixtures/faker_cpe.py"):
        assert data_file in names
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "[pytest11]" in entry_points and "osemock.conformance.plugin" in entry_points
    site = tmp_path / "site"
    environment = _installed(wheel, site)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--pyargs", "osemock.conformance",
                             "--ose-report", str(run_dir / "report")], cwd=run_dir, capture_output=True, text=True,
                            env=environment, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "13 passed, 2 skipped" in result.stdout
    check = subprocess.run([sys.executable, "-c", "import osemock.conformance as k; print(k.__file__)"],
                           capture_output=True, text=True, env=environment, cwd=run_dir)
    assert check.stdout.strip().startswith(str(site))


def test_check_from_the_installed_wheel_says_no_warning_of_its_own(tmp_path, wheel):
    """``osemock check`` runs pytest in the process that imported osemock; pytest then warned, on every
    run, that it could not rewrite the asserts of the installed plugin's package (already imported)."""
    environment = _installed(wheel, tmp_path / "site")
    result = subprocess.run([sys.executable, "-m", "osemock", "check"], cwd=tmp_path, capture_output=True, text=True,
                            env=environment, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "13 passed" in result.stdout
    assert "PytestAssertRewriteWarning" not in result.stdout + result.stderr and "warning" not in result.stdout
