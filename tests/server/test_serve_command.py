"""``osemock serve`` and the container's gunicorn command refuse settings they cannot serve with in one
line, and tell where they listen when the system picks the port."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import requests
from click.testing import CliRunner

from osemock.server.cli import serve
from tests.serving import free_port


@pytest.mark.parametrize("flags, message", [
    (["--threads", "0"], "Invalid value for '--threads': 0 is not in the range x>=1"),
    (["--workers", "0"], "Invalid value for '--workers': 0 is not in the range x>=1"),
    (["--port", "70000"], "Invalid value for '--port': 70000 is not in the range 0<=x<=65535"),
])
def test_serve_refuses_flags_it_cannot_serve_with(tmp_path, flags, message):
    result = CliRunner().invoke(serve, [*flags, "--db", str(tmp_path / "s.db")])
    assert result.exit_code == 2 and message in result.output


@pytest.mark.parametrize("environ, flags, message", [
    ({"OSE_MAX_REQUEST_BYTES": "lots"}, [], "Error: OSE_MAX_REQUEST_BYTES must be a whole number of 1024 or more, not 'lots'"),
    ({}, ["--clock", "ayer"], "Error: clock (--clock, OSE_CLOCK) must be an ISO date-time such as 2026-11-20T12:00:00, not 'ayer'"),
    ({"OSE_PROFILE": "bizlink"}, [], "Error: unknown profile 'bizlink'"),
    ({"OSE_ZIP_MAX_RATIO": "0"}, [], "Error: OSE_ZIP_MAX_RATIO must be a whole number of 1 or more, not '0'"),
    ({"OSE_FORWARDED_ALLOW_IPS": "proxy.local"}, [],
     "Error: OSE_FORWARDED_ALLOW_IPS must be IP addresses or networks separated by commas, or *, not 'proxy.local'"),
])
def test_serve_names_a_setting_it_cannot_start_with(tmp_path, environ, flags, message):
    result = CliRunner().invoke(serve, [*flags, "--db", str(tmp_path / "s.db")], env=environ)
    assert result.exit_code == 1 and message in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_port_zero_serves_on_the_port_it_prints(tmp_path, workers):
    process = subprocess.Popen([sys.executable, "-m", "osemock", "serve", "--port", "0", "--workers", workers,
                                "--db", str(tmp_path / "s.db")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            found = re.match(r"osemock \(ose\) on (http://127\.0\.0\.1:(\d+))/ol-ti-itcpe/billService", line)
            if found:
                break
        assert found, "".join(lines)
        assert int(found[2]) != 0
        assert not [line for line in lines if " WARNING " in line], "".join(lines)  # a clean start says nothing to heed
        assert requests.get(found[1] + "/_osemock/health", timeout=10).ok
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.mark.parametrize("variable, value, message", [
    ("OSE_THREADS", "0", "osemock: OSE_THREADS must be a whole number of 1 or more, not '0'"),
    ("WEB_CONCURRENCY", "0", "osemock: WEB_CONCURRENCY must be a whole number of 1 or more, not '0'"),
    ("PORT", "http", "osemock: PORT must be a whole number from 0 to 65535, not 'http'"),
    ("OSE_CLOCK", "mañana", "clock (--clock, OSE_CLOCK) must be an ISO date-time"),
    ("OSE_DB", "/dev/null/s.db", "store /dev/null/s.db (--db, OSE_DB): "),
    ("OSE_FORWARDED_ALLOW_IPS", "10.0.0.1/8", "osemock: OSE_FORWARDED_ALLOW_IPS must be IP addresses or networks"),
])
def test_the_container_command_stops_on_a_bad_setting_in_one_line(tmp_path, variable, value, message):
    """Before: no worker at all and a server that never answered (WEB_CONCURRENCY=0), or a traceback."""
    environ = {**os.environ, "OSE_DB": str(tmp_path / "s.db"), "PORT": "0", variable: value}
    done = subprocess.run([sys.executable, "-m", "gunicorn", "--config", "python:osemock.server.gunicorn_conf",
                           "osemock.server.wsgi:create_app()"], env=environ, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert message in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_names_a_store_it_cannot_open(tmp_path, workers):
    """Before: a traceback from mkdir or from SQLite ("file is not a database")."""
    (tmp_path / "notes.txt").write_text("not a store")
    (tmp_path / "file").write_text("a file where the store's folder should be")
    for db, message in ((tmp_path / "notes.txt", "file is not a database"), (tmp_path / "file" / "s.db", "File exists")):
        result = CliRunner().invoke(serve, ["--workers", workers, "--db", str(db)])
        assert result.exit_code == 1, result.output
        assert f"Error: store {db} (--db, OSE_DB): " in result.output and message in result.output


def test_a_port_in_use_or_a_host_that_is_no_address_is_one_line(tmp_path):
    """A second ``make serve`` on the same port printed waitress's OSError traceback."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = CliRunner().invoke(serve, ["--port", str(port), "--db", str(tmp_path / "s.db")])
    assert result.exit_code == 1, result.output
    assert f"Error: cannot listen on 127.0.0.1:{port}: Address already in use" in result.output
    result = CliRunner().invoke(serve, ["--host", "999.1.1.1", "--port", "0", "--db", str(tmp_path / "s.db")])
    assert result.exit_code == 1 and "Error: cannot listen on 999.1.1.1:0" in result.output


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_names_a_data_folder_it_cannot_keep_the_cdr_key_in(tmp_path, workers):
    """Before: OSE_DATA_DIR was never checked; a FileExistsError or FileNotFoundError traceback from the
    key's folder, or "Worker failed to boot"."""
    (tmp_path / "file").write_text("a file where the data folder should be")
    for folder, message in ((tmp_path / "file", "is not a folder"), (tmp_path / "file" / "keys", "Not a directory")):
        result = CliRunner().invoke(serve, ["--workers", workers, "--port", "0", "--db", str(tmp_path / "s.db")],
                                    env={"OSE_DATA_DIR": str(folder)})
        assert result.exit_code == 1, result.output
        assert f"Error: data folder {folder} (OSE_DATA_DIR)" in result.output and message in result.output


def test_the_container_command_names_a_data_folder_it_cannot_use_in_one_line(tmp_path):
    (tmp_path / "file").write_text("a file where the data folder should be")
    environ = {**os.environ, "OSE_DB": str(tmp_path / "s.db"), "PORT": "0", "OSE_DATA_DIR": str(tmp_path / "file")}
    done = subprocess.run([sys.executable, "-m", "gunicorn", "--config", "python:osemock.server.gunicorn_conf",
                           "osemock.server.wsgi:create_app()"], env=environ, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert f"data folder {tmp_path / 'file'} (OSE_DATA_DIR) is not a folder" in done.stderr
    assert "Traceback" not in done.stderr and "Worker failed to boot" not in done.stderr


def test_serve_flags_win_over_the_containers_variables(tmp_path):
    """Before: `--workers 2` imported the container's settings, so PORT=abc or OSE_THREADS=0 in the
    environment (meant for something else) stopped it with a traceback, and --port/--threads lost."""
    port = free_port()
    environ = {**os.environ, "PORT": "abc", "OSE_THREADS": "0", "WEB_CONCURRENCY": "2.5", "HOST": "nowhere"}
    process = subprocess.Popen([sys.executable, "-m", "osemock", "serve", "--workers", "2", "--threads", "3",
                                "--port", str(port), "--db", str(tmp_path / "s.db")], env=environ,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        first = _banner(process)
        assert first.startswith(f"osemock (ose) on http://127.0.0.1:{port}/") and "workers=2x3 threads" in first, first
        assert requests.get(f"http://127.0.0.1:{port}/_osemock/health", timeout=10).ok
    finally:
        process.terminate()
        process.wait(timeout=20)
    done = subprocess.run([sys.executable, "-m", "osemock", "serve", "--workers", "2", "--port", "0", "--db",
                           str(tmp_path / "s.db")], env={**os.environ, "OSE_WORKER_TIMEOUT": "soon"},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "Error: OSE_WORKER_TIMEOUT must be a whole number of 1 or more, not 'soon'" in done.stderr


def test_a_port_in_use_with_several_workers_is_one_line_at_once(tmp_path):
    """Before: gunicorn retried five times and logged eleven lines over five seconds."""
    import socket
    import time

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "osemock", "serve", "--workers", "2", "--port", str(port), "--db",
                               str(tmp_path / "s.db")], capture_output=True, text=True, timeout=60)
        elapsed = time.monotonic() - started
    assert done.returncode == 1 and elapsed < 4, (elapsed, done.stderr)
    assert done.stderr.strip().splitlines() == [f"Error: cannot listen on 127.0.0.1:{port}: Address already in use"]


@pytest.mark.skipif(not __import__("socket").has_ipv6, reason="no IPv6")
@pytest.mark.parametrize("workers", ["1", "2"])
def test_an_ipv6_host_serves_and_prints_a_url(tmp_path, workers):
    """Before: gunicorn read `::1:PORT` as port '' ("'' is not a valid port number"), and the banner
    printed http://::1:PORT."""
    import socket

    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    process = subprocess.Popen([sys.executable, "-m", "osemock", "serve", "--host", "::1", "--port", "0", "--workers",
                                workers, "--db", str(tmp_path / "s.db")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    try:
        first = _banner(process)
        found = re.match(r"osemock \(ose\) on (http://\[::1\]:(\d+))/ol-ti-itcpe/billService", first)
        assert found, first
        assert requests.get(found[1] + "/_osemock/health", timeout=10).ok
    finally:
        process.terminate()
        process.wait(timeout=20)


def _banner(process: subprocess.Popen) -> str:
    """The first line ``osemock serve`` prints of its own (the server's log lines come before it)."""
    lines = []
    for line in process.stdout:
        lines.append(line)
        if line.startswith("osemock ("):
            return line
    return "".join(lines)


@pytest.mark.parametrize("command", ["serve", "container"])
def test_several_workers_start_without_gunicorns_control_socket(tmp_path, command):
    """osemock does not use gunicorn's control socket (gunicorn 25.1 and later open one by default):
    every server shared ~/.gunicorn/gunicorn.ctl, one that stopped removed it for the others, and where
    HOME cannot be written (a container user without a home) each start logged an ERROR line."""
    from tests.serving import wait_until_healthy

    port = free_port()
    environ = {key: value for key, value in os.environ.items() if key != "XDG_RUNTIME_DIR"}
    environ.update(HOME="/proc/self", OSE_DB=str(tmp_path / "s.db"), PORT=str(port), HOST="127.0.0.1")
    argv = {"serve": ["osemock", "serve", "--workers", "2", "--port", str(port), "--db", str(tmp_path / "s.db")],
            "container": ["osemock.server.gunicorn_conf"]}[command]
    with (tmp_path / "serve.log").open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", *argv], env=environ, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until_healthy(f"http://127.0.0.1:{port}", process)
        finally:
            process.terminate()
            process.wait(timeout=20)
    output = (tmp_path / "serve.log").read_text()
    assert "[ERROR]" not in output and "Control" not in output, output
