"""Snapshots: the whole state of a store as one JSON document, and back.

A test suite can prepare a state once (emitters, accepted documents, pending tickets), export it, and
import it before each test instead of sending everything again.  Binary columns (ZIPs, CDRs, bodies)
travel as ``{"base64": …}``; the mock's signing key is not part of it (it lives in the data folder).
"""
from __future__ import annotations

import base64
import sqlite3
from typing import Any

from osemock.server.store import REGISTRY_TABLES, Store

FORMAT = "osemock-snapshot/1"
#: What a snapshot holds: the whole registry, then the documents, tickets, journal, scenarios and the
#: shared state (clock, ticket progression).  No foreign keys, so the order is only for reading.
TABLES = (*REGISTRY_TABLES, "documents", "tickets", "requests", "scenarios", "osemock_state")


class SnapshotError(ValueError):
    """Raised when a snapshot cannot be imported (wrong format, unknown table or column)."""


def export_state(store: Store, journal: bool = True) -> dict[str, Any]:
    """Every row of every table of :data:`TABLES` (the request journal only when ``journal``)."""
    tables: dict[str, list[dict[str, Any]]] = {}
    for table in TABLES:
        if table == "requests" and not journal:
            continue
        if not _exists(store, table):
            continue
        tables[table] = [{key: _encode(row[key]) for key in row.keys()}
                         for row in store.query(f"SELECT * FROM {table}")]
    return {"format": FORMAT, "tables": tables}


def import_state(store: Store, snapshot: Any) -> dict[str, int]:
    """Replace the tables the snapshot holds with its rows (one transaction); rows per table."""
    if not isinstance(snapshot, dict) or snapshot.get("format") != FORMAT or not isinstance(snapshot.get("tables"), dict):
        raise SnapshotError(f"not an osemock snapshot (format {FORMAT!r} expected)")
    counts: dict[str, int] = {}
    with store.transaction() as db:
        for table, rows in snapshot["tables"].items():
            if table not in TABLES or not _exists(store, table):
                raise SnapshotError(f"unknown table {table!r}")
            if not isinstance(rows, list):
                raise SnapshotError(f"table {table!r} is not a list of rows")
            columns = {row["name"] for row in db.execute(f"PRAGMA table_info({table})")}
            db.execute(f"DELETE FROM {table}")
            for row in rows:
                if not isinstance(row, dict):
                    raise SnapshotError(f"table {table!r}: a row is a JSON object of its columns")
                if not set(row) <= columns:
                    raise SnapshotError(f"table {table!r}: unknown columns {sorted(set(row) - columns)}")
                if not row:
                    raise SnapshotError(f"table {table!r}: a row without columns")
                if table == "osemock_state":
                    _check_state(row)
                try:
                    db.execute(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})",
                               tuple(_decode(value) for value in row.values()))
                except (sqlite3.Error, OverflowError) as error:  # a NOT NULL, a repeated key, 2**64…
                    raise SnapshotError(f"table {table!r}: a row SQLite refuses ({error})") from None
            counts[table] = len(rows)
    return counts


def _exists(store: Store, table: str) -> bool:
    return bool(store.query("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)))


def _encode(value: Any) -> Any:
    if isinstance(value, (bytes, memoryview)):
        return {"base64": base64.b64encode(bytes(value)).decode("ascii")}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) != {"base64"} or not isinstance(value["base64"], str):
            raise SnapshotError("a binary value is {\"base64\": \"…\"}")
        try:
            return base64.b64decode(value["base64"], validate=True)
        except ValueError:
            raise SnapshotError("a binary value is {\"base64\": \"…\"} with base64 text in it") from None
    return value


def _check_state(row: dict[str, Any]) -> None:
    """A shared-state row every process will read: the clock or the ticket progression, usable (a bad
    one would fail every later request, or be silently ignored)."""
    from osemock.server.admin import progression, shared_clock

    checks = {shared_clock.KEY: shared_clock.state_problem, progression.KEY: progression.override_problem}
    key = row.get("key")
    if key not in checks:
        raise SnapshotError(f"table 'osemock_state': key is one of {sorted(checks)}, not {key!r}")
    problem = checks[key](row.get("value"))
    if problem:
        raise SnapshotError(f"table 'osemock_state', {key}: {problem}")
