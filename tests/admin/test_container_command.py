"""The Docker image's start command, run outside Docker: the CMD and ENV of docker/Dockerfile, read from
the file itself, with only the store and port moved to a temporary folder.  Two gunicorn workers
share the store, as in the container."""
from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from osemock.client import OseClient, RetryPolicy, Status
from osemock.server.admin.client import AdminClient

from tests.admin.conftest import DAY, RUC, factura
from tests.serving import free_port, wait_until_healthy

DOCKERFILE = Path(__file__).resolve().parents[2] / "docker" / "Dockerfile"


def dockerfile_instructions() -> tuple[list[str], dict[str, str]]:
    """CMD (exec form) and the ENV values of the Dockerfile, continuation lines joined."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    command: list[str] = []
    env: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("CMD "):
            command = json.loads(line[4:])
        elif line.startswith("ENV "):
            for pair in shlex.split(line[4:]):
                key, _, value = pair.partition("=")
                env[key] = value
    return command, env


@pytest.fixture
def container_command(tmp_path):
    command, env = dockerfile_instructions()
    assert command == ["python", "-m", "osemock.server.gunicorn_conf"]
    port = free_port()
    env.update(OSE_DB=str(tmp_path / "data" / "osemock.sqlite3"), PORT=str(port), HOST="127.0.0.1",
               OSE_CLOCK=f"{DAY}T18:00:00-05:00")
    bin_dir = str(Path(sys.executable).parent)
    process = subprocess.Popen(command, cwd=tmp_path, env={**os.environ, **env, "PATH": bin_dir + os.pathsep + os.environ["PATH"]},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    wait_until_healthy(base, process)   # the HEALTHCHECK's URL
    yield base
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def test_the_container_command_serves_soap_portal_and_admin(container_command):
    base = container_command
    admin = AdminClient(base)
    client = OseClient(f"{base}/ol-ti-itcpe/billService", RUC, "BIZLINKS", "TESTBIZLINKS", retry=RetryPolicy(attempts=1))
    assert client.send_bill(factura(1)).status is Status.ACCEPTED
    assert f"{RUC}-01-F001-1" in requests.get(base + "/", timeout=10).text
    assert requests.get(base + "/documents/1/pdf", timeout=10).content.startswith(b"%PDF")
    # behind a TLS proxy (any peer is one to the image): the WSDL names the address the proxy forwards
    wsdl = requests.get(f"{base}/ol-ti-itcpe/billService?wsdl", timeout=10,
                        headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "ose.example.pe"}).text
    assert 'location="https://ose.example.pe/ol-ti-itcpe/billService"' in wsdl
    # a dropped connection through gunicorn's own socket
    admin.scenario(action="drop")
    with pytest.raises(requests.ConnectionError):
        requests.post(f"{base}/ol-ti-itcpe/billService", data=b"<x/>", headers={"Content-Type": "text/xml"}, timeout=10)
    # every worker follows a frozen clock (several requests land on both workers)
    admin.freeze("2026-12-24T23:59:00-05:00")
    time.sleep(1.2)
    readings = {AdminClient(base).clock()["now"] for _ in range(12)}
    assert readings == {"2026-12-24T23:59:00-05:00"}


def test_the_healthcheck_command_runs_outside_docker(container_command):
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    healthcheck = next(line for line in text.splitlines() if line.startswith("HEALTHCHECK"))
    command = json.loads(healthcheck[healthcheck.index("CMD") + 3:])
    port = container_command.rsplit(":", 1)[1]
    assert subprocess.run([sys.executable, *command[1:]], env={**os.environ, "PORT": port}, timeout=30).returncode == 0
    assert subprocess.run([sys.executable, *command[1:]], env={**os.environ, "PORT": str(free_port())},
                          capture_output=True, timeout=30).returncode != 0


def test_the_image_holds_every_package_and_runs_as_a_user_with_a_volume():
    import re

    import yaml

    text = DOCKERFILE.read_text()
    setup = (DOCKERFILE.parents[1] / "setup.py").read_text()
    roots = re.search(r"ROOTS = \((.*?)\)", setup).group(1)
    for root in [*re.findall(r'"(\w+)"', roots), "osemock"]:
        assert f"COPY {root} /src/{root}" in text, f"the image would lack osemock.{root}"
    assert re.search(r"^USER osemock$", text, re.M) and 'VOLUME ["/data"]' in text and "OSE_DB=/data/" in text
    compose = yaml.safe_load((DOCKERFILE.parent / "compose.yaml").read_text())
    service = compose["services"]["osemock"]
    assert service["build"]["dockerfile"] == "docker/Dockerfile" and "osemock-data:/data" in service["volumes"]
    job = yaml.safe_load((DOCKERFILE.parent / "ci-example.yml").read_text())["jobs"]["conformance"]
    assert "/_osemock/health" in job["services"]["osemock"]["options"]


def test_the_container_command_stops_on_a_registry_mistake_in_one_line(tmp_path):
    command, env = dockerfile_instructions()
    registry = tmp_path / "registry.yaml"
    registry.write_text("emitters:\n  - ruc: 20123456789\n    users:\n      - user: X\n")
    env.update(OSE_DB=str(tmp_path / "osemock.sqlite3"), PORT=str(free_port()), HOST="127.0.0.1", OSE_REGISTRY=str(registry))
    bin_dir = str(Path(sys.executable).parent)
    done = subprocess.run(command, cwd=tmp_path, env={**os.environ, **env, "PATH": bin_dir + os.pathsep + os.environ["PATH"]},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert f"registry {registry}: emitters[0].users[0]: 'password' is a required property" in output
    assert "Traceback" not in output and "Worker failed to boot" not in output


def _run_the_image(tmp_path, **variables: str) -> subprocess.CompletedProcess:
    """The Dockerfile's CMD with its ENV, the store in ``tmp_path``, ``variables`` on top, to its end."""
    command, env = dockerfile_instructions()
    env.update({"OSE_DB": str(tmp_path / "osemock.sqlite3"), "PORT": str(free_port()), "HOST": "127.0.0.1", **variables})
    bin_dir = str(Path(sys.executable).parent)
    return subprocess.run(command, cwd=tmp_path, env={**os.environ, **env, "PATH": bin_dir + os.pathsep + os.environ["PATH"]},
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("value", ["abc", "2.5"])
def test_the_container_command_names_a_worker_count_gunicorn_cannot_read(tmp_path, value):
    """Before: gunicorn reads WEB_CONCURRENCY on import, before any configuration: a ValueError traceback."""
    done = _run_the_image(tmp_path, WEB_CONCURRENCY=value)
    assert done.returncode == 1
    assert done.stderr.strip() == f"osemock: WEB_CONCURRENCY must be a whole number of 1 or more, not '{value}'"


def test_the_container_command_names_a_port_in_use_in_one_line(tmp_path):
    """Before: gunicorn retried five times and logged eleven lines over five seconds."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = _run_the_image(tmp_path, PORT=str(port))
    output = done.stdout + done.stderr
    assert done.returncode == 1 and "Retrying" not in output and "Traceback" not in output
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in output
