"""Snapshots: the whole state of a store as one JSON document, and back.

A test suite can prepare a state once (emitters, accepted documents, pending tickets), export it, and
import it before each test instead of sending everything again.  Binary columns (ZIPs, CDRs, bodies)
travel as ``{"base64": …}``; the mock's signing key is not part of it (it lives in the data folder).

An import is checked row by row before anything is stored: every value of the kind its column holds,
and the rows the mock reads on every request as the live API checks them (a scenario as
``POST /scenarios`` does, the registry's dates as ``/seed`` does).  Taken as they came, a scenario
with ``delay_seconds: "x"`` or ``100000`` made every SOAP call a 500 or a hang, and a document whose
findings were not JSON made the portal's pages 500.
"""
from __future__ import annotations

import base64
import json
import math
import sqlite3
from datetime import datetime
from typing import Any

from osemock.server import registry
from osemock.server.admin.fields import FieldError
from osemock.server.engine.endpoints import ENDPOINTS, ticket_paths
from osemock.server.store import REGISTRY_TABLES, Store

FORMAT = "osemock-snapshot/1"
#: What a snapshot holds: the whole registry, then the documents, tickets, journal, scenarios and the
#: shared state (clock, ticket progression).  No foreign keys, so the order is only for reading.
TABLES = (*REGISTRY_TABLES, "documents", "tickets", "requests", "scenarios", "osemock_state")
#: Columns that belong to a live process, not to the state: a ticket's claim is the hold of the poll
#: settling it.  Exported, an import kept the ticket at 98 until that claim aged out (60 s), with
#: nobody settling it; they are left out, and dropped unread on import (an older osemock exported them).
PROCESS_COLUMNS = {"tickets": ("claimed_at", "claimed_by")}


class SnapshotError(ValueError):
    """Raised when a snapshot cannot be imported (wrong format, unknown table or column)."""


def export_state(store: Store, journal: bool = True) -> dict[str, Any]:
    """Every row of every table of :data:`TABLES` (the request journal only when ``journal``), all read
    at one moment: an RA settled between the documents and the tickets was exported with its ticket at 0
    and its factura still accepted, a state no request leads to and none gets out of."""
    tables: dict[str, list[dict[str, Any]]] = {}
    with store.reading() as db:
        for table in TABLES:
            if table == "requests" and not journal:
                continue
            if not _exists(store, table):
                continue
            left_out = PROCESS_COLUMNS.get(table, ())
            tables[table] = [{key: _encode(row[key]) for key in row.keys() if key not in left_out}
                             for row in db.execute(f"SELECT * FROM {table}")]
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
            kinds = {column["name"]: column["type"].upper() for column in db.execute(f"PRAGMA table_info({table})")}
            db.execute(f"DELETE FROM {table}")
            for number, row in enumerate(rows):
                place = f"table {table!r}, row {number}"
                if not isinstance(row, dict):
                    raise SnapshotError(f"table {table!r}: a row is a JSON object of its columns")
                if not set(row) <= set(kinds):
                    raise SnapshotError(f"table {table!r}: unknown columns {sorted(set(row) - set(kinds))}")
                if not row:
                    raise SnapshotError(f"table {table!r}: a row without columns")
                left_out = PROCESS_COLUMNS.get(table, ())  # an older osemock's: dropped unread
                values = {name: _decode(value) for name, value in row.items() if name not in left_out}
                for name, value in values.items():
                    if not _of_kind(value, kinds[name]):
                        raise SnapshotError(f"{place}: {name} is {KIND_NAMES[kinds[name]]}, not {row[name]!r}")
                check = ROW_CHECKS.get(table)
                if check is not None:
                    try:
                        values = check(values)
                    except FieldError as error:
                        raise SnapshotError(f"{place}: {error}") from None
                try:
                    db.execute(f"INSERT INTO {table} ({', '.join(values)}) VALUES ({', '.join('?' for _ in values)})",
                               tuple(values.values()))
                except (sqlite3.Error, OverflowError) as error:  # a NOT NULL, a repeated key, 2**64…
                    raise SnapshotError(f"table {table!r}: a row SQLite refuses ({error})") from None
            counts[table] = len(rows)
    return counts


#: What a value of each declared column type is, as the store writes it (and an export reads it back).
KIND_NAMES = {"TEXT": "text", "INTEGER": "a whole number", "REAL": "a number", "BLOB": 'binary, as {"base64": "…"}'}


def _of_kind(value: Any, kind: str) -> bool:
    """Whether ``value`` is what a column of that declared type holds (``None`` is left to NOT NULL)."""
    if value is None:
        return True
    if kind == "TEXT":
        return isinstance(value, str)
    if kind == "INTEGER":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "REAL":
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if kind == "BLOB":
        return isinstance(value, bytes)
    return True


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


def _check_state(row: dict[str, Any]) -> dict[str, Any]:
    """A shared-state row every process will read: the clock or the ticket progression, usable (a bad
    one would fail every later request, or be silently ignored)."""
    from osemock.server.admin import progression, shared_clock

    checks = {shared_clock.KEY: shared_clock.state_problem, progression.KEY: progression.override_problem}
    key = row.get("key")
    if key not in checks:
        raise FieldError(f"key is one of {sorted(checks)}, not {key!r}")
    problem = checks[key](row.get("value"))
    if problem:
        raise FieldError(f"{key}: {problem}")
    return row


def _check_scenario(row: dict[str, Any]) -> dict[str, Any]:
    """A scenario as ``POST /scenarios`` plans it (the description's ``Scenario`` schema, then
    :func:`~osemock.server.admin.scenarios.parse_spec`), with its counters; stored as that route
    would store it."""
    from osemock.server.admin import described
    from osemock.server.admin.scenarios import parse_spec

    described.check("Scenario", row)
    counters = {name: row[name] for name in ("id", "remaining", "matched", "fired") if name in row}
    spec = parse_spec({name: value for name, value in row.items() if name not in counters})
    return {**spec, **counters}


#: A document's states, and the shape of its findings (what :func:`osemock.server.engine.bill` stores).
DOCUMENT_STATES = ("accepted", "rejected", "voided")
SEVERITIES = ("error", "observation")


def _check_document(row: dict[str, Any]) -> dict[str, Any]:
    """A document as the engine stores it: a known state, and findings the portal can read (a JSON list of
    findings, each with its code and severity)."""
    if "status" in row and row["status"] not in DOCUMENT_STATES:
        raise FieldError(f"status is one of {', '.join(DOCUMENT_STATES)}, not {row['status']!r}")
    if row.get("findings") is not None:
        try:
            findings = json.loads(row["findings"])
        except ValueError:
            findings = None
        if not (isinstance(findings, list) and all(
                isinstance(f, dict) and isinstance(f.get("code"), str) and f.get("severity") in SEVERITIES
                for f in findings)):
            raise FieldError("findings is a JSON list of findings, each with its code and severity (error or "
                             f"observation), not {row['findings'][:80]!r}")
    for name in ("received_at", "responded_at"):
        _moment(row, name)
    return row


TICKET_STATES = ("98", "0", "99")
TICKET_OPERATIONS = ("sendSummary", "sendPack")


def _check_ticket(row: dict[str, Any]) -> dict[str, Any]:
    """A ticket as the engine opens it: getStatus reads its moments and settles it by its operation."""
    if "status_code" in row and row["status_code"] not in TICKET_STATES:
        raise FieldError(f"status_code is one of {', '.join(TICKET_STATES)}, not {row['status_code']!r}")
    if "operation" in row and row["operation"] not in TICKET_OPERATIONS:
        raise FieldError(f"operation is one of {', '.join(TICKET_OPERATIONS)}, not {row['operation']!r}")
    for name in ("created_at", "ready_at", "processed_at"):
        _moment(row, name)
    _ticket_path(row)
    if row.get("injected") is not None:
        try:
            kept = json.loads(row["injected"])
        except ValueError:
            kept = None
        if not (isinstance(kept, dict) and isinstance(kept.get("code"), str) and kept.get("severity") in SEVERITIES
                and isinstance(kept.get("note"), (str, type(None)))):
            raise FieldError(f"injected is a scenario's verdict as JSON ({{\"code\", \"severity\", \"note\"}}), "
                             f"not {row['injected'][:80]!r}")
    return row


def _ticket_path(row: dict[str, Any]) -> None:
    """``row["path"]`` a service path its operation opens tickets at (a lot's decides its entries' 0151);
    taken as it came, a lot named any text and settled without the check, or by another path's types.
    Without a path (a snapshot exported before tickets kept it, or the export of a store an older
    osemock left), the ticket is what such a store holds: settled without the path's check, as the engine
    settles those — which path it came in on is not known, and a guessed one would judge it wrongly."""
    path, operation = row.get("path"), row.get("operation")
    if path is None or operation is None:  # a row without its operation is refused at the insert (NOT NULL)
        return
    endpoint = ENDPOINTS.get(path)
    if endpoint is None or not endpoint.opens_tickets(operation):
        raise FieldError(f"path is the service path a {operation} came in on ({', '.join(ticket_paths(operation))}), "
                         f"not {path!r}")


def _moment(row: dict[str, Any], name: str) -> None:
    """``row[name]`` an ISO date-time with its offset, as the mock's clock writes them (a naive one cannot
    be compared with the clock: getStatus failed on it)."""
    value = row.get(name)
    if value is None:
        return
    try:
        aware = datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        aware = False
    if not aware:
        raise FieldError(f"{name} is an ISO date-time with its UTC offset, not {value!r}")


def _check_certificate(row: dict[str, Any]) -> dict[str, Any]:
    """A certificate as ``/seed`` registers it: its fecha de baja a real date (YYYY-MM-DD)."""
    if row.get("retired_at") is not None and not registry.is_date(row["retired_at"]):
        raise FieldError(f"retired_at is a date (YYYY-MM-DD), not {row['retired_at']!r}")
    return row


def _check_padron(row: dict[str, Any]) -> dict[str, Any]:
    """A padrón as ``/seed`` registers it: from and to real dates (YYYY-MM-DD) or '' (open)."""
    for name in ("valid_from", "valid_to"):
        if row.get(name) and not registry.is_date(row[name]):
            raise FieldError(f"{name} is a date (YYYY-MM-DD) or '', not {row[name]!r}")
    return row


#: Each table's check beyond its columns' types: the row as it will be stored, or :class:`FieldError`.
ROW_CHECKS = {"osemock_state": _check_state, "scenarios": _check_scenario, "documents": _check_document,
              "tickets": _check_ticket, "certificates": _check_certificate, "padrones": _check_padron}
