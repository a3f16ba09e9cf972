"""The wheel installs everything under ``osemock.*`` (nothing bare like ``server``) with its data files."""
from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory) -> list[str]:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(ROOT)],
                   check=True, capture_output=True)
    (wheel,) = out.glob("osemock-*.whl")
    return zipfile.ZipFile(wheel).namelist()


def test_only_the_osemock_namespace_is_installed(wheel_names):
    top = {name.split("/", 1)[0] for name in wheel_names if not name.startswith("osemock-")}
    assert top == {"osemock"}


@pytest.mark.parametrize("data_file", [
    "osemock/cpe/catalog/errors.csv",
    "osemock/cpe/schemas/2.1/maindoc/UBL-Invoice-2.1.xsd",
    "osemock/cpe/schemas/2.0/maindoc/UBLPE-SummaryDocuments-1.0.xsd",
    "osemock/server/soap/wsdl/ose/billService.wsdl",
    "osemock/server/soap/wsdl/sunat-prod/billService.ns2.wsdl",
    "osemock/server/profiles/sunat-prod.yaml",
    "osemock/fixtures/certs/emitter-20123456789.pfx",
    "osemock/fixtures/documents/20123456789-01-F001-1.xml",
])
def test_data_files_are_in_the_wheel(wheel_names, data_file):
    assert data_file in wheel_names


def test_console_script_is_declared(wheel_names):
    entry_points = [name for name in wheel_names if name.endswith("entry_points.txt")]
    assert entry_points
