"""The emitter registry file is checked against its schema before anything is stored."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from osemock.server.registry import RegistryError, check, load
from osemock.server.settings import Settings, SettingError
from osemock.server.yaml_text import read_yaml

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_example_is_a_registry():
    block = re.search(r"A registry file .*?```yaml\n(.*?)```", README.read_text(encoding="utf-8"), re.S)[1]
    assert check(read_yaml(block))["emitters"][0]["ruc"] == "20123456789"


@pytest.mark.parametrize("text, message", [
    ("emitters:\n  - ruc: 20123456789\n    users:\n      - user: X\n", "emitters[0].users[0]: 'password' is a required property"),
    ("emitters:\n  - ruc: '123'\n", "emitters[0].ruc"),
    ("emitters:\n  - ruc: 20123456789\n    users: [{user: X, pasword: y, password: z}]\n", "'pasword' was unexpected"),
    ("emiters: []\n", "'emiters' was unexpected"),
    ("emitters:\n  - ruc: 20123456789\n    physical_receipts: [{serie: '0001', from: x}]\n", "physical_receipts[0].from"),
    ("taxpayers: 5\n", "taxpayers: 5 is not of type 'array'"),
    ("- a list\n", "the registry: ['a list'] is not of type 'object'"),
    ("emitters: [\n", "cannot read it: not YAML: line 2, column 1: expected the node content, but found '<stream end>'"),
    ("emitters:\n  - ruc: 1\n\t- ruc: 2\n", "not YAML: line 3, column 1: found character '\\t' that cannot start any token"),
    # a date that is none was taken, and the rule it feeds stayed silent (compared as text, never reached)
    ("emitters:\n  - ruc: 20123456789\n    certificates: [{pem: x.pem, retired_at: x}]\n",
     "emitters[0].certificates[0].retired_at: 'x' is not a date (YYYY-MM-DD)"),
    ("emitters:\n  - ruc: 20123456789\n    certificates: [{pem: x.pem, retired_at: 20260101}]\n",
     "emitters[0].certificates[0].retired_at: 20260101 is not a date (YYYY-MM-DD)"),
    ("taxpayers:\n  - ruc: 20123456789\n    padrones: [{padron: '02', from: '2026-02-30'}]\n",
     "taxpayers[0].padrones[0].from: '2026-02-30' is not a date (YYYY-MM-DD)"),
    ("emitters:\n  - ruc: 20123456789\n    padrones: [{padron: '02', to: y}]\n", "emitters[0].padrones[0].to: 'y' is not a date"),
    # unquoted, an impossible date stopped the server with PyYAML's "day is out of range for month" and no place
    ("emitters:\n  - ruc: 20123456789\n    padrones: [{padron: '02', from: 2026-02-30}]\n",
     "emitters[0].padrones[0].from: '2026-02-30' is not a date (YYYY-MM-DD)"),
    ("emitters:\n  - ruc: 20123456789\n    certificates: [{pem: x.pem, retired_at: 2026-02-30}]\n",
     "emitters[0].certificates[0].retired_at: '2026-02-30' is not a date (YYYY-MM-DD)"),
    ("emitters:\n  - ruc: 20123456789\n    certificates: [{pem: x.pem, retired_at: 2026-01-01 10:00:00}]\n",
     "emitters[0].certificates[0].retired_at: '2026-01-01 10:00:00' is not a date (YYYY-MM-DD)"),
    ("emitters:\n  - ruc: !!int x\n", "cannot read it: not YAML: line 2, column 10: not a valid !!int: 'x'"),
    ("emitters:\n  - ruc: 20123456789\n    contingency_receipts: [{serie: '0001', from: 50, to: 1}]\n",
     "emitters[0].contingency_receipts[0]: from 50 is after to 1"),
])
def test_a_registry_with_a_mistake_is_named_where(tmp_path, text, message):
    path = tmp_path / "registry.yaml"
    path.write_text(text)
    with pytest.raises(RegistryError) as raised:
        load(path)
    assert message in str(raised.value)


def test_unquoted_yaml_numbers_and_dates_are_taken(tmp_path):
    path = tmp_path / "registry.yaml"
    path.write_text("emitters:\n  - ruc: 20123456789\n    establishments: [0001, 2]\n"
                    "    padrones: [{padron: 2, from: 2026-01-01, to: 2026-03-31}]\n")
    emitter = load(path)["emitters"][0]
    assert emitter["establishments"] == [1, 2]
    assert emitter["padrones"][0] == {"padron": 2, "from": "2026-01-01", "to": "2026-03-31"}   # JSON can send it


@pytest.mark.parametrize("text, message", [
    ("emitters:\n  - ruc: 20123456789\n    users:\n      - user: X\n", "emitters[0].users[0]: 'password' is a required property"),
    ("emitters:\n  - ruc: 20123456789\n    padrones: [{padron: '02', from: x}]\n",
     "emitters[0].padrones[0].from: 'x' is not a date (YYYY-MM-DD)"),
    ("emitters:\n  - ruc: 20123456789\n    padrones: [{padron: '02', from: 2026-02-30}]\n",
     "emitters[0].padrones[0].from: '2026-02-30' is not a date (YYYY-MM-DD)"),
])
def test_serve_refuses_a_registry_with_a_mistake_in_one_line(tmp_path, text, message):
    path = tmp_path / "registry.yaml"
    path.write_text(text)
    done = subprocess.run([sys.executable, "-m", "osemock", "serve", "--registry", str(path), "--db", str(tmp_path / "s.db")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert f"registry {path}: {message}" in done.stderr
    assert "Traceback" not in done.stderr


def test_certificate_files_are_read_beside_the_registry_and_checked_at_start(tmp_path, monkeypatch):
    """From another working folder (a container's), a relative pem stopped the server with a
    FileNotFoundError traceback after the start-up check had passed; so did a missing one."""
    from osemock.fixtures import CERTS

    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "empresa.pem").write_text((CERTS / "emitter-20123456789.cert.pem").read_text())
    registry = tmp_path / "registry.yaml"
    registry.write_text('emitters:\n  - ruc: "20123456789"\n    certificates:\n      - {pem: certs/empresa.pem}\n')
    monkeypatch.chdir("/")
    assert load(registry)["emitters"][0]["certificates"][0]["pem"].startswith("-----BEGIN CERTIFICATE-----")
    registry.write_text('emitters:\n  - ruc: "20123456789"\n    certificates:\n      - {pem: certs/gone.pem}\n')
    with pytest.raises(RegistryError, match=r"emitters\[0\]\.certificates\[0\]: cannot read .*certs/gone\.pem"):
        load(registry)
    registry.write_text('emitters:\n  - ruc: "20123456789"\n    certificates:\n      - {pem: registry.yaml}\n')
    with pytest.raises(RegistryError, match="not a PEM certificate"):
        load(registry)
    with pytest.raises(SettingError, match="not a PEM certificate"):
        Settings(db=tmp_path / "s.sqlite3", registry=registry).check()


def test_taxpayers_complete_false_after_true_is_the_word_that_stands(make_mock, tmp_path):
    """Before: once a store had held true, false (in the file after a restart, or in a seed) was ignored:
    a customer RUC outside the registry stayed 1083."""
    from osemock.client import OseClient, RetryPolicy
    from osemock.fixtures import signed_document
    from osemock.server.admin.client import AdminClient

    db = tmp_path / "s.sqlite3"

    def sent(registry_text: str | None, numero: int, seed: dict | None = None) -> str:
        settings = {}
        if registry_text is not None:
            (tmp_path / "registry.yaml").write_text(registry_text)
            settings["registry"] = tmp_path / "registry.yaml"
        mock = make_mock("ose", db=db, clock="2026-11-20T18:00:00", **settings)
        if seed is not None:
            AdminClient(mock.base_url).seed(seed)
        client = OseClient(mock.url(), "20123456789", "BIZLINKS", "TESTBIZLINKS", retry=RetryPolicy(attempts=1))
        result = client.send_bill(signed_document(f"20123456789-01-F001-1.xml", issue_date="2026-11-20", numero=numero))
        return result.code if not result.accepted else "0"

    emitter = "emitters:\n  - ruc: '20123456789'\n"
    assert sent(emitter + "taxpayers_complete: true\n", 101) == "1083"
    assert sent(emitter + "taxpayers_complete: false\n", 102) == "0"
    assert sent(emitter + "taxpayers_complete: true\n", 103) == "1083"
    assert sent(None, 104, seed={"emitters": [{"ruc": "20123456789"}], "taxpayers_complete": False}) == "0"
    assert sent(None, 105, seed={"emitters": [{"ruc": "20123456789"}]}) == "0"   # a seed without it changes nothing
