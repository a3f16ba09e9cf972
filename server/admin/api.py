"""The admin JSON API under ``/_osemock``: the protocol layer of :mod:`osemock.server.admin`.

Each view unpacks JSON, calls the store, the scenarios, the clock or the engine, and renders JSON;
errors are ``{"error": "...", "message": "..."}`` with a 4xx status, never a traceback.  The
description of every route is ``openapi.yaml`` beside this module (served at
``/_osemock/openapi.json``).
"""
from __future__ import annotations

import json
import re
import sqlite3
from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from osemock.cpe.numbers import digits
from osemock.server import registry
from osemock.server.admin import described, progression
from osemock.server.admin.fields import FieldError, number
from osemock.server.admin.reset import reset_mock
from osemock.server.admin.snapshot import SnapshotError, export_state, import_state
from osemock.server.clock import EARLIEST, LATEST
from osemock.server.profiles import MAX_TICKET_POLLS, MAX_TICKET_SECONDS
from osemock.server.registry import RegistryError
from osemock.server.store import MAX_INTEGER

PREFIX = "/_osemock"
bp = Blueprint("admin", __name__, url_prefix=PREFIX)

#: Journal columns listed without the bodies (those come with one entry).
JOURNAL_COLUMNS = "id, received_at, path, operation, username, file_name, outcome, http_status, duration_ms"
#: A ticket's columns in the admin views (``path``: the service path it came in on, which decides a lot's 0151).
TICKET_COLUMNS = ("ticket, emitter_ruc, sender_ruc, operation, path, file_name, status_code, response_code, polls,"
                  " after_polls, ready_at, created_at, processed_at")


class AdminError(Exception):
    """Raised by a view for a request it cannot honour; rendered as JSON with ``status``."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


def mock() -> Any:
    """The :class:`OsemockApp` this Flask app serves."""
    return current_app.extensions["osemock"]


def body() -> Any:
    """The JSON body (``{}`` when empty); 400 when it is not JSON."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        raise AdminError(400, "bad-json", f"the body is not JSON: {error}") from None
    except ValueError:  # int() refuses more than 4,300 digits (its message says to raise Python's limit)
        raise AdminError(400, "bad-json", "the body is not JSON this API reads: a number of more than "
                                          "4,300 digits") from None
    except RecursionError:
        raise AdminError(400, "bad-json", "the body is not JSON this API reads: nested too deep") from None
    if _has_lone_surrogate(data):
        raise AdminError(400, "bad-json", "the body is not JSON this API reads: a \\uD800–\\uDFFF escape without its "
                                          "other half is no character (the store keeps UTF-8 text)")
    return data


#: What is left of a ``\uD8xx`` escape without its other half once JSON is read (a pair is one character).
_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_lone_surrogate(data: Any) -> bool:
    """Whether a text anywhere in ``data`` (a key too) holds half a surrogate pair: UTF-8 cannot encode
    it, so storing it was a 500 (UnicodeEncodeError), in any route that keeps text."""
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def _object(*known: str) -> dict[str, Any]:
    """The request's JSON object; with ``known``, a field outside them is a 400 (``{"weeks": 3}`` moved
    nothing and said nothing)."""
    data = body()
    if not isinstance(data, dict):
        raise AdminError(400, "bad-request", "a JSON object is expected")
    unknown = sorted(set(data) - set(known)) if known else []
    if unknown:
        raise AdminError(400, "bad-request", f"unknown fields: {', '.join(unknown)} (expected: {', '.join(known)})")
    return data


def _query_int(name: str, default: int | None, minimum: int, maximum: int) -> int | None:
    """The query parameter ``name`` as an integer within ``minimum``…``maximum`` (``default`` when
    absent); 400 otherwise, as the OpenAPI description says, rather than quietly reading something else."""
    if name not in request.args:
        return default
    raw = request.args[name].strip()
    if not re.fullmatch(r"-?[0-9]{1,19}", raw) or not minimum <= int(raw) <= maximum:
        raise AdminError(400, "bad-request", f"{name} must be an integer from {minimum} to {maximum}")
    return int(raw)


_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no")


def _query_bool(name: str, default: bool) -> bool:
    """The query parameter ``name`` as a boolean (true/false, 1/0, yes/no); 400 for anything else."""
    if name not in request.args:
        return default
    raw = request.args[name].strip().lower()
    if raw not in _TRUE + _FALSE:
        raise AdminError(400, "bad-request", f"{name} must be true or false")
    return raw in _TRUE


@bp.errorhandler(AdminError)
def _admin_error(error: AdminError) -> tuple[Response, int]:
    return jsonify({"error": error.error, "message": error.message}), error.status


@bp.errorhandler(FieldError)
@bp.errorhandler(SnapshotError)
def _value_error(error: ValueError) -> tuple[Response, int]:
    return jsonify({"error": "bad-request", "message": str(error)}), 400


# -- health and identity ---------------------------------------------------------------------------
@bp.get("/health")
def health() -> Response | tuple[Response, int]:
    """Liveness for load balancers and Docker's HEALTHCHECK: the store answers a read of its own tables
    (503 when it does not: ``SELECT 1`` said ok without reading the file)."""
    app = mock()
    try:
        app.engine.store.touch()
    except sqlite3.Error as error:
        return jsonify({"status": "unavailable", "message": f"store {app.engine.store.path}: {error}"}), 503
    return jsonify({"status": "ok", "profile": app.engine.profile.name})


@bp.get("/certificate.pem")
def certificate() -> Response:
    return Response(mock().engine.identity.cert_pem, mimetype="application/x-pem-file")


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(described.description())


# -- state ---------------------------------------------------------------------------------------
@bp.post("/reset")
def reset() -> Response:
    """Forget documents, tickets, the journal and scenarios; the clock and ticket progression go back to
    their configuration.  ``{"registry": true}`` forgets the emitter registry too."""
    data = _object("registry")
    if not isinstance(data.get("registry", False), bool):
        raise AdminError(400, "bad-request", "registry must be true or false")
    app = mock()
    reset_mock(app.engine, app.base_profile, registry=bool(data.get("registry")))
    return jsonify({"status": "reset", "registry": bool(data.get("registry"))})


@bp.post("/seed")
def seed() -> Response:
    """Add emitters, SOL users, certificates (PEM text) and PSE links, in the registry file's shape."""
    data = _object()
    emitters = data.get("emitters")
    if not isinstance(emitters, list) or not all(isinstance(e, dict) and e.get("ruc") for e in emitters):
        raise AdminError(400, "bad-request", "emitters: a list of objects with a ruc is expected")
    for emitter in emitters:
        ruc = str(emitter["ruc"])
        if not (digits(ruc) and len(ruc) == 11):
            raise AdminError(400, "bad-request", f"ruc {ruc!r} is not 11 digits")
        for certificate in _listed(emitter, "certificates"):
            if not isinstance(certificate, dict) or "-----BEGIN CERTIFICATE-----" not in str(certificate.get("pem", "")):
                raise AdminError(400, "bad-request", "certificates[].pem: the PEM text of a certificate is expected")
        for user in _listed(emitter, "users"):
            if not isinstance(user, dict) or not user.get("user") or user.get("password") is None:
                raise AdminError(400, "bad-request", "users[]: objects with user and password are expected")
    try:
        mock().engine.store.seed_registry(registry.check(data))  # one transaction: nothing stored on an error
    except RegistryError as error:
        raise AdminError(400, "bad-request", f"registry: {error}") from None
    except ValueError as error:
        raise AdminError(400, "bad-request", f"could not read a certificate: {error}") from None
    return jsonify({"seeded": [str(e["ruc"]) for e in emitters]})


def _listed(item: dict[str, Any], name: str) -> list[Any]:
    """``item[name]`` when it is a list (anything else is left to the registry schema to name)."""
    value = item.get(name)
    return value if isinstance(value, list) else []


@bp.get("/emitters")
def emitters() -> Response:
    store = mock().engine.store
    result = []
    for row in store.query("SELECT * FROM emitters ORDER BY ruc"):
        item = dict(row)
        item["users"] = [{"user": u["user"], "active": bool(u["active"]), "can_send": bool(u["can_send"])}
                         for u in store.query("SELECT * FROM sol_users WHERE ruc=? ORDER BY user", (row["ruc"],))]
        item["certificates"] = [dict(c) for c in store.certificates(row["ruc"])]
        item["pse_for"] = [r["emitter_ruc"] for r in store.query("SELECT emitter_ruc FROM pse_links WHERE pse_ruc=?",
                                                                 (row["ruc"],))]
        result.append(item)
    return jsonify(result)


@bp.get("/snapshot")
def snapshot_export() -> Response:
    return jsonify(export_state(mock().engine.store, journal=_query_bool("journal", True)))


@bp.put("/snapshot")
@bp.post("/snapshot")
def snapshot_import() -> Response:
    app = mock()
    counts = import_state(app.engine.store, body())
    app.engine.clock.sync()
    return jsonify({"imported": counts})


# -- journal -------------------------------------------------------------------------------------
@bp.get("/journal")
def journal() -> Response:
    """The last requests, newest first; ``?operation=&outcome=&file_name=&after_id=&limit=``."""
    clauses, params = [], []
    for name in ("operation", "file_name", "username"):
        if request.args.get(name):
            clauses.append(f"{name} LIKE ?")
            params.append(request.args[name].replace("*", "%"))
    if request.args.get("outcome"):  # one word of it: "ok" finds "ok scenario:2:delay" too
        clauses.append("(' ' || outcome || ' ') LIKE ?")
        params.append(f"% {request.args['outcome'].replace('*', '%')} %")
    after = _query_int("after_id", None, 0, MAX_INTEGER)
    if after is not None:
        clauses.append("id > ?")
        params.append(after)
    limit = _query_int("limit", 100, 1, 1000)
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    rows = mock().engine.store.query(f"SELECT {JOURNAL_COLUMNS} FROM requests{where} ORDER BY id DESC LIMIT ?",
                                     (*params, limit))
    return jsonify([dict(row) for row in rows])


@bp.get("/journal/<int:entry_id>")
def journal_entry(entry_id: int) -> Response:
    rows = mock().engine.store.query("SELECT * FROM requests WHERE id=?", (entry_id,))
    if not rows:
        raise AdminError(404, "not-found", f"no journal entry {entry_id}")
    entry = dict(rows[0])
    for name in ("request_body", "response_body"):
        entry[name] = bytes(entry[name]).decode("utf-8", "replace") if entry[name] is not None else None
    return jsonify(entry)


@bp.delete("/journal")
def journal_clear() -> Response:
    with mock().engine.store.transaction() as db:
        db.execute("DELETE FROM requests")
    return jsonify({"status": "cleared"})


# -- clock ---------------------------------------------------------------------------------------
@bp.get("/clock")
def clock() -> Response:
    return jsonify(mock().engine.clock.describe())


@bp.post("/clock/freeze")
def clock_freeze() -> Response:
    """Stop the clock, at ``{"at": "2026-11-20T12:00:00-05:00"}`` or where it stands."""
    at = _object("at").get("at")
    try:
        mock().engine.clock.freeze(at)
    except (TypeError, ValueError) as error:
        raise AdminError(400, "bad-request", f"at: an ISO date-time is expected ({error})") from None
    return jsonify(mock().engine.clock.describe())


_UNITS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}


@bp.post("/clock/advance")
def clock_advance() -> Response:
    """Move the clock by ``{"seconds": …}`` / ``{"days": …}`` (frozen or running)."""
    data = _object(*_UNITS)
    seconds = sum((number(data, name) or 0) * unit for name, unit in _UNITS.items())
    if not seconds:
        raise AdminError(400, "bad-request", "give seconds, minutes, hours or days (not all zero)")
    try:
        mock().engine.clock.advance(timedelta(seconds=seconds))
    except OverflowError:  # more than a timedelta holds, so far more than the clock's range
        raise AdminError(400, "bad-request", f"the clock cannot move that far: the clock reads between "
                                             f"{EARLIEST.date()} and {LATEST.date()}") from None
    except ValueError as error:
        raise AdminError(400, "bad-request", f"the clock cannot move that far: {error}") from None
    return jsonify(mock().engine.clock.describe())


@bp.post("/clock/unfreeze")
def clock_unfreeze() -> Response:
    mock().engine.clock.unfreeze()
    return jsonify(mock().engine.clock.describe())


@bp.post("/clock/restart")
def clock_restart() -> Response:
    mock().engine.clock.restart()
    return jsonify(mock().engine.clock.describe())


# -- tickets ---------------------------------------------------------------------------------------
@bp.get("/tickets")
def tickets() -> Response:
    """Recent tickets, and the progression new tickets get."""
    app = mock()
    rows = app.engine.store.query(f"SELECT {TICKET_COLUMNS} FROM tickets ORDER BY created_at DESC LIMIT 200")
    profile = progression.effective(app.base_profile, app.engine.store)
    return jsonify({"progression": {"after_polls": profile.ticket_after_polls, "after_seconds": profile.ticket_after_seconds},
                    "tickets": [dict(row) for row in rows]})


def _progression(data: dict[str, Any]) -> tuple[int | None, float | None]:
    """``after_polls`` and ``after_seconds`` of a request: not negative, at most a million polls or a day
    (the bounds of a profile's ``ticket_after_polls`` / ``ticket_after_seconds``)."""
    return (number(data, "after_polls", int, minimum=0, maximum=MAX_TICKET_POLLS),
            number(data, "after_seconds", minimum=0, maximum=MAX_TICKET_SECONDS))


@bp.post("/tickets/progression")
def ticket_progression() -> Response:
    """How new tickets progress: ``{"after_polls": 2, "after_seconds": 0}`` (every process of the store;
    reset restores the profile's)."""
    data = _object("after_polls", "after_seconds")
    app = mock()
    polls, seconds = _progression(data)
    progression.set_override(app.engine.store, polls, seconds)
    app.engine.profile = progression.effective(app.base_profile, app.engine.store)
    return jsonify({"after_polls": app.engine.profile.ticket_after_polls,
                    "after_seconds": app.engine.profile.ticket_after_seconds})


@bp.route("/tickets/<ticket>", methods=["GET", "POST"])
def ticket(ticket: str) -> Response:
    """``GET``: a ticket's state; ``POST {"after_polls": n, "after_seconds": s}``: when a pending ticket
    becomes due (``{}``: settle it now)."""
    engine = mock().engine
    if request.method == "POST":
        data = _object("after_polls", "after_seconds")
        polls, seconds = _progression(data)
        if not engine.release_ticket(ticket, polls, seconds):
            raise AdminError(404, "not-found", _not_pending(engine, ticket))
    rows = engine.store.query(f"SELECT {TICKET_COLUMNS} FROM tickets WHERE ticket=?", (ticket,))
    if not rows:
        raise AdminError(404, "not-found", "unknown ticket " + ticket)
    return jsonify(dict(rows[0]))


def _not_pending(engine: Any, ticket: str) -> str:
    """Why a ticket cannot be held or settled: unknown, or already settled (its state).  A ticket
    settled before any poll is the usual surprise: the default progression settles it inside
    sendSummary, so a hold has to be set for new tickets before the summary is sent."""
    rows = engine.store.query("SELECT status_code, polls, processed_at FROM tickets WHERE ticket=?", (ticket,))
    if not rows:
        return "unknown ticket " + ticket
    row = rows[0]
    message = (f"no pending ticket {ticket}: it was already settled (status_code {row['status_code']}, "
               f"processed_at {row['processed_at']}, after {row['polls']} polls)")
    if not row["polls"]:
        message += ("; new tickets settle at once unless held: set POST /_osemock/tickets/progression "
                    "(e.g. {\"after_polls\": 1}) before sending the summary")
    return message


# -- scenarios -------------------------------------------------------------------------------------
@bp.get("/scenarios")
def scenarios() -> Response:
    return jsonify([s.to_dict() for s in mock().scenarios.all(active_only=_query_bool("active", False))])


@bp.post("/scenarios")
def scenario_add() -> tuple[Response, int]:
    """One scenario or a list of them, each naming its ``action`` (only ``/faults``, the older API,
    works one out from the other fields)."""
    data = body()
    many = isinstance(data, list)
    described.check("ScenarioSpec", data, many=many)
    added = [scenario.to_dict() for scenario in mock().scenarios.add_all(data if many else [data])]
    return jsonify(added if many else added[0]), 201


@bp.delete("/scenarios")
def scenarios_clear() -> Response:
    mock().scenarios.clear()
    return jsonify([])


# One rule for both methods: with two, werkzeug answered DELETE of an id past SQLite's range 405 (the GET
# rule's method did not match before the id's check failed) where GET answered 404.
@bp.route("/scenarios/<int:scenario_id>", methods=["GET", "DELETE"])
def scenario(scenario_id: int) -> Response:
    """``GET``: one scenario with its counters; ``DELETE``: remove it."""
    if request.method == "DELETE":
        if not mock().scenarios.remove(scenario_id):
            raise AdminError(404, "not-found", f"no scenario {scenario_id}")
        return jsonify({"deleted": scenario_id})
    found = mock().scenarios.get(scenario_id)
    if found is None:
        raise AdminError(404, "not-found", f"no scenario {scenario_id}")
    return jsonify(found.to_dict())


@bp.route("/faults", methods=["GET", "POST", "DELETE"])
def faults() -> Response:
    """The first fault API, kept: ``POST {"operation", "code", "http_status", "delay_seconds", "times"}``
    plans a scenario; ``GET`` lists those still planned; ``DELETE`` clears them all."""
    app = mock()
    if request.method == "DELETE":
        app.scenarios.clear()
    elif request.method == "POST":
        app.scenarios.add(_object())
    return jsonify([s.to_dict() for s in app.scenarios.all(active_only=True)])

