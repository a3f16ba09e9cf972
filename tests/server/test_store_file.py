"""A store file the mock cannot use stops ``osemock serve`` (and the container) in one line before any
worker starts, and ``/_osemock/health`` reads the store for real."""
from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
import requests
from click.testing import CliRunner

from osemock.server.cli import serve
from osemock.server.store import APPLICATION_ID, Store, StoreError


def _tables(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return sorted(row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'"))


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """``path`` as a read-only mount or a root-owned file leaves it: immutable for root (whom file modes
    do not stop), without write permission for anyone else."""
    if os.geteuid() == 0:
        if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode:
            pytest.skip("root, and no chattr +i on this file system: nothing makes a file read-only")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(0o644)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_store_that_cannot_be_written_stops_serve_in_one_line(tmp_path, workers):
    """Before: its tables existed, so it opened without a word; then the shared clock's first write
    was a traceback (one worker) or "Worker failed to boot" (gunicorn)."""
    db = tmp_path / "ro" / "osemock.sqlite3"
    Store(db).close()
    with read_only(db):
        result = CliRunner().invoke(serve, ["--workers", workers, "--port", "0", "--db", str(db)])
    assert result.exit_code == 1, result.output
    assert f"Error: store {db} (--db, OSE_DB): " in result.output and "readonly" in result.output
    assert "Traceback" not in result.output


def test_another_programs_sqlite_file_is_refused_and_left_as_it_was(tmp_path):
    """Before: osemock wrote its tables into it, /health said ok and every sendBill was 0100 (the file's
    own documents table has other columns)."""
    cases = {
        "same-name.sqlite3": ("CREATE TABLE documents (id INTEGER PRIMARY KEY, title TEXT)", "its table documents has no "),
        "notes.sqlite3": ("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)", "it holds the tables notes"),
        "marked.sqlite3": ("PRAGMA application_id = 1234", "another program's SQLite file (application_id 0x4d2)"),
    }
    for name, (statement, message) in cases.items():
        db = tmp_path / name
        with sqlite3.connect(db) as connection:
            connection.execute(statement)
        before = _tables(db)
        with pytest.raises(StoreError, match=re.escape(f"store {db} (--db, OSE_DB): ") + ".*" + re.escape(message)):
            Store(db)
        assert _tables(db) == before
    result = CliRunner().invoke(serve, ["--port", "0", "--db", str(tmp_path / "notes.sqlite3")])
    assert result.exit_code == 1 and "not an osemock store: it holds the tables notes" in result.output


def test_a_new_store_and_one_of_an_osemock_before_the_mark_are_marked_as_osemocks(tmp_path):
    db = tmp_path / "old.sqlite3"
    Store(db).close()
    with sqlite3.connect(db) as connection:
        connection.execute("PRAGMA application_id = 0")   # as an osemock before the mark left it
        connection.execute("CREATE TABLE osemock_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    Store(db).close()
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    empty = tmp_path / "empty.sqlite3"
    empty.touch()
    Store(empty).close()


def test_health_reads_the_store(make_mock):
    """Before: ``SELECT 1``, which never reads the file: ok whatever had become of the store."""
    mock = make_mock("ose")
    assert requests.get(mock.url("/_osemock/health"), timeout=10).json()["status"] == "ok"
    with sqlite3.connect(mock.app.engine.store.path) as connection:
        connection.execute("DROP TABLE documents")
    answer = requests.get(mock.url("/_osemock/health"), timeout=10)
    assert answer.status_code == 503
    assert answer.json()["status"] == "unavailable" and "no such table: documents" in answer.json()["message"]


@pytest.mark.parametrize("workers, stop", [("1", signal.SIGTERM), ("1", signal.SIGINT), ("2", signal.SIGTERM)],
                         ids=["waitress-term", "waitress-ctrl-c", "gunicorn-term"])
def test_a_clean_stop_leaves_the_whole_store_in_its_file(tmp_path, workers, stop):
    """SIGTERM (docker stop, systemd) or Ctrl-C, with one worker or several: once the server has stopped,
    the file named by --db holds everything, and a copy of it alone is the store.  Before, every
    document was still in its -wal file (SIGTERM ended waitress on the spot, and nothing closed the
    store's connections), so the copy held none.  The workers of one server checkpoint together, and
    neither finds the store too busy to."""
    from osemock.cpe.archive import write_document_zip
    from osemock.fixtures import signed_document
    from tests.serving import serve as serving

    from .envelopes import send_bill

    db, day = tmp_path / "osemock.sqlite3", "2026-11-20"
    process, base = serving("--db", str(db), "--clock", f"{day}T18:00:00-05:00", "--workers", workers,
                            output=subprocess.PIPE)
    try:
        for number in (1, 2, 3):
            name = f"20123456789-01-F001-{number}"
            xml = signed_document("20123456789-01-F001-1.xml", issue_date=day, numero=number)
            reply = send_bill(f"{base}/ol-ti-itcpe/billService", f"{name}.zip", write_document_zip(f"{name}.xml", xml),
                              username="20123456789BIZLINKS", password="TESTBIZLINKS")
            assert reply.status == 200 and not reply.is_fault, reply.body
        process.send_signal(stop)
        assert process.wait(timeout=30) == 0
        output = process.stdout.read().decode(errors="replace")
        assert "busy" not in output and "Traceback" not in output, output
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    copy = tmp_path / "copy.sqlite3"
    shutil.copyfile(db, copy)
    with sqlite3.connect(copy) as connection:
        assert connection.execute("SELECT count(*) FROM documents").fetchone()[0] == 3


def test_a_threaded_mock_that_stops_leaves_the_whole_store_in_its_file(make_mock, tmp_path):
    """The mock the tests and the pytest plugin run (:class:`ThreadedMock`) stops as ``osemock serve`` does:
    its store checkpointed, the ``-wal`` empty and the file alone the whole store.  Before, every document
    stayed in ``-wal`` after stop(), so a copy of the file a test (or a kit's run) left held none."""
    from osemock.cpe.archive import write_document_zip
    from osemock.fixtures import signed_document

    from .envelopes import send_bill

    day = "2026-11-20"
    mock = make_mock("ose", clock=f"{day}T18:00:00-05:00")
    for number in (1, 2, 3):
        name = f"20123456789-01-F001-{number}"
        xml = signed_document("20123456789-01-F001-1.xml", issue_date=day, numero=number)
        reply = send_bill(mock.url(), f"{name}.zip", write_document_zip(f"{name}.xml", xml),
                          username="20123456789BIZLINKS", password="TESTBIZLINKS")
        assert reply.status == 200 and not reply.is_fault, reply.body
    db = Path(mock.app.engine.store.path)
    assert Path(f"{db}-wal").stat().st_size > 0   # what a running server wrote is in -wal
    mock.stop()
    assert Path(f"{db}-wal").stat().st_size == 0   # the store's own connections are still open: -wal stays, empty
    copy = tmp_path / "copy.sqlite3"
    shutil.copyfile(db, copy)
    with sqlite3.connect(copy) as connection:
        assert connection.execute("SELECT count(*) FROM documents").fetchone()[0] == 3
