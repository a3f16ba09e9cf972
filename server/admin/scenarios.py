"""Scenarios: misbehaviour planned on purpose, for the requests that match.

A scenario matches on operation, RUC, document type, serie and number (each optional), and says what
the mock does instead of its normal answer:

==============  =====================================================================  ==========
action          what the caller sees                                                   processed?
==============  =====================================================================  ==========
``code``        that SUNAT code: 0100–1999 as a fault; 2000–3999 as the verdict of the  only 2000+
                document (sendBill: stored rejected, fault or rejection CDR by profile)
                or of a summary or lot (sendSummary, sendPack: the ticket as usual, its
                getStatus 99 with the CDR or a fault by profile)
``observation`` accepted, with that observation (4000+) in the CDR (sendBill)          yes
``delay``       the normal answer (a fault too), ``delay_seconds`` late                 yes
``http_status`` a bare HTTP error (502, 503…)                                          no
``empty``       HTTP 200 with an empty body                                            no
``drop``        the connection closes before any answer                                no
``lost``        the call is processed and stored, then no answer: the client times     yes
                out ("did my factura go through?"); held ``delay_seconds`` (30)
==============  =====================================================================  ==========

A scenario fires ``times`` times (``None``: until removed), each time a match passes its
``probability``; the draw for the n-th match is ``Random(f"{seed}:{n}")``, so a seeded run misbehaves
the same way every time.  A request gets the first scenario planned that fires and can act on it: one
that acts through the document's checks (an observation, a rejection code) and finds they never ran
(a 0104, a 1033 resend) is given back, and the next one planned is considered.  The request path reads
the table once (no write) when nothing is planned.
"""
from __future__ import annotations

import random
from dataclasses import asdict, dataclass, fields
from typing import Any, Iterator

from osemock.cpe import numbers
from osemock.cpe.catalog import lookup
from osemock.server.admin import described
from osemock.server.admin.fields import FieldError, number
from osemock.server.engine.validation import INJECTED, CheckInput, Finding
from osemock.server.store import MAX_INTEGER, Store

SCHEMA = """
CREATE TABLE IF NOT EXISTS scenarios (
    id INTEGER PRIMARY KEY,
    operation TEXT, ruc TEXT, type_code TEXT, serie TEXT, numero INTEGER,   -- NULL matches anything
    action TEXT NOT NULL,
    code TEXT,
    delay_seconds REAL NOT NULL DEFAULT 0,
    http_status INTEGER,
    remaining INTEGER,                 -- NULL: no limit
    probability REAL NOT NULL DEFAULT 1,
    seed INTEGER NOT NULL DEFAULT 0,
    matched INTEGER NOT NULL DEFAULT 0,
    fired INTEGER NOT NULL DEFAULT 0,
    note TEXT
)
"""

LOST_DEFAULT_SECONDS = 30.0
#: The operations whose call is processed into a verdict: a rejection code (2000–3999) can only be the
#: outcome of one of these (getStatus reports what settling a ticket gave; it decides nothing).
PROCESSING = ("sendBill", "sendSummary", "sendPack")


class ScenarioError(FieldError):
    """Raised when a scenario description is invalid (the admin API answers 400 with the message)."""


@dataclass(frozen=True)
class Target:
    """What one SOAP request is about, read from its envelope without processing it."""

    operation: str | None = None
    ruc: str | None = None
    type_code: str | None = None
    serie: str | None = None
    numero: int | None = None


@dataclass(frozen=True)
class Scenario:
    """One planned misbehaviour (a row of ``scenarios``)."""

    id: int
    action: str
    operation: str | None = None
    ruc: str | None = None
    type_code: str | None = None
    serie: str | None = None
    numero: int | None = None
    code: str | None = None
    delay_seconds: float = 0
    http_status: int | None = None
    remaining: int | None = 1
    probability: float = 1
    seed: int = 0
    matched: int = 0
    fired: int = 0
    note: str | None = None

    def matches(self, target: Target) -> bool:
        """Whether the request is one this scenario is about (one that acts through the verdict, only a
        call that is processed into one)."""
        if self.action == "observation" and target.operation != "sendBill":
            return False
        if self.action == "code" and self.injects and target.operation not in PROCESSING:
            return False
        for name in ("operation", "ruc", "type_code", "serie"):
            wanted = getattr(self, name)
            if wanted is not None and wanted != getattr(target, name):
                return False
        return self.numero is None or self.numero == target.numero

    @property
    def injects(self) -> bool:
        """Whether it acts through the document's verdict rather than around the call."""
        return self.action == "observation" or (self.action == "code" and int(self.code or 0) >= 2000)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Decision:
    """What the WSGI layer does with one request: the scenario that fired and how it acts."""

    scenario: Scenario
    target: Target

    @property
    def action(self) -> str:
        return self.scenario.action

    @property
    def processed(self) -> bool:
        """Whether the call still reaches the engine (and its result is stored)."""
        return self.action in ("delay", "lost") or self.scenario.injects

    @property
    def finding(self) -> Finding | None:
        """The finding injected into the document's checks, for ``code`` 2000+ and ``observation``."""
        if not self.processed or self.action not in ("code", "observation"):
            return None
        severity = "observation" if self.action == "observation" else "error"
        return Finding(self.scenario.code or "", severity, note=f"escenario {self.scenario.id}")

    @property
    def delay_seconds(self) -> float:
        if self.action == "lost":
            return self.scenario.delay_seconds or LOST_DEFAULT_SECONDS
        return self.scenario.delay_seconds


def parse_spec(data: Any) -> dict[str, Any]:
    """A scenario's columns from its JSON description; :class:`FieldError` says what is wrong.

    The description's ``ScenarioFields`` schema (``openapi.yaml``) checks every field's type and range
    first; this adds what a schema cannot say.  Accepts the older ``/_osemock/faults`` shape too (no
    ``action``: ``http_status`` → http_status, ``code`` → code, otherwise a delay).
    """
    described.check("ScenarioFields", data)
    known = {f.name for f in fields(Scenario)} - {"id", "matched", "fired", "remaining"} | {"times", "match"}
    unknown = set(data) - known
    if unknown:
        raise ScenarioError(f"unknown fields: {', '.join(sorted(unknown))}")
    data = dict(data)
    data.update(data.pop("match", None) or {})
    action = data.get("action") or ("http_status" if data.get("http_status") else "code" if data.get("code") else "delay")
    spec: dict[str, Any] = {"action": action}
    operation = data.get("operation")
    if action == "observation" and operation not in (None, "sendBill"):
        raise ScenarioError("an observation goes into a sendBill's CDR: operation sendBill (or none)")
    spec.update(operation=operation, ruc=data.get("ruc"), type_code=data.get("type_code"))
    spec["serie"] = data["serie"].upper() if data.get("serie") is not None else None
    spec["numero"] = number(data, "numero", int, minimum=1, maximum=10 ** numbers.CORRELATIVO_DIGITS - 1)
    code = data.get("code")
    if action in ("code", "observation"):
        if code is None:
            raise ScenarioError("code must be a 4-digit SUNAT code, as a string")
        try:
            lookup(code)
        except KeyError:
            raise ScenarioError(f"{code} is not in SUNAT's catalog of codes") from None
        if action == "observation" and int(code) < 4000:
            raise ScenarioError("an observation is a code from 4000 on")
        if action == "code" and int(code) >= 4000:
            raise ScenarioError("codes from 4000 on are observations: use action observation")
        if action == "code" and int(code) >= 2000 and operation not in (None, *PROCESSING):
            raise ScenarioError(f"a rejection ({code}) is the verdict of processing a document or summary, which "
                                f"{operation} does not do: plan it on sendBill, sendSummary or sendPack (a ticket's "
                                "getStatus then answers it: statusCode 99 with the CDR, or a fault at an OSE)")
    elif code is not None:
        raise ScenarioError(f"action {action} takes no code")
    spec["code"] = code
    status = number(data, "http_status", int, minimum=400, maximum=599)
    if action == "http_status":
        if status is None:
            raise ScenarioError("http_status must be an HTTP error status (400–599)")
    elif status is not None:
        raise ScenarioError(f"action {action} takes no http_status")
    spec["http_status"] = status
    spec["delay_seconds"] = number(data, "delay_seconds", float, minimum=0, maximum=600) or 0.0
    times = data.get("times", 1)
    spec["remaining"] = None if times is None else number({"times": times}, "times", int, minimum=1, maximum=MAX_INTEGER)
    probability = number(data, "probability", float, minimum=0, maximum=1)
    spec["probability"] = 1.0 if probability is None else probability
    spec["seed"] = number(data, "seed", int, minimum=0, maximum=MAX_INTEGER) or 0
    spec["note"] = data.get("note")
    return spec


class Scenarios:
    """The scenarios of one store: plan, list, remove, and decide for a request."""

    def __init__(self, store: Store) -> None:
        self.store = store
        with store.transaction() as db:
            db.execute(SCHEMA)

    def add(self, data: Any) -> Scenario:
        """Plan a scenario from its JSON description."""
        return self.add_all([data])[0]

    def add_all(self, items: list[Any]) -> list[Scenario]:
        """Plan every scenario of ``items`` or, when one is invalid, none (the first planned fired
        though the request that planned them was refused)."""
        specs = []
        for i, item in enumerate(items):
            try:
                specs.append(parse_spec(item))
            except FieldError as error:
                raise ScenarioError(f"[{i}]: {error}" if len(items) > 1 else str(error)) from None
        ids = []
        with self.store.transaction() as db:
            for spec in specs:
                cursor = db.execute(f"INSERT INTO scenarios ({', '.join(spec)}) VALUES ({', '.join('?' for _ in spec)})",
                                    tuple(spec.values()))
                ids.append(int(cursor.lastrowid or 0))
        return [self.get(scenario_id) for scenario_id in ids]  # type: ignore[misc]

    def get(self, scenario_id: int) -> Scenario | None:
        rows = self.store.query("SELECT * FROM scenarios WHERE id=?", (scenario_id,))
        return _scenario(rows[0]) if rows else None

    def all(self, active_only: bool = False) -> list[Scenario]:
        """Every scenario (or only those that may still fire), oldest first."""
        where = " WHERE remaining IS NULL OR remaining > 0" if active_only else ""
        return [_scenario(row) for row in self.store.query(f"SELECT * FROM scenarios{where} ORDER BY id")]

    def remove(self, scenario_id: int) -> bool:
        with self.store.transaction() as db:
            return db.execute("DELETE FROM scenarios WHERE id=?", (scenario_id,)).rowcount > 0

    def clear(self) -> None:
        with self.store.transaction() as db:
            db.execute("DELETE FROM scenarios")

    def decide(self, target: Target, after: int = 0, injecting: bool = True) -> Decision | None:
        """The scenario that fires for this request, if any (counted as used up by one): the first planned
        that matches and passes its draw.  ``after`` and ``injecting`` look again once the one chosen could
        not act (:meth:`unused`): among those planned after it, and none that acts through the document's
        checks (they did not run)."""
        candidates = [s for s in self.all(active_only=True)
                      if s.id > after and (injecting or not s.injects) and s.matches(target)]
        for candidate in candidates:
            with self.store.transaction() as db:
                row = db.execute("SELECT * FROM scenarios WHERE id=? AND (remaining IS NULL OR remaining > 0)",
                                 (candidate.id,)).fetchone()
                if row is None:
                    continue  # another thread used it up
                scenario = _scenario(row)
                fires = scenario.probability >= 1 or random.Random(f"{scenario.seed}:{scenario.matched}").random() < scenario.probability
                db.execute("UPDATE scenarios SET matched = matched + 1, fired = fired + ?,"
                           " remaining = CASE WHEN remaining IS NULL THEN NULL ELSE remaining - ? END WHERE id=?",
                           (int(fires), int(fires), scenario.id))
            if fires:
                return Decision(scenario, target)
        return None

    def unused(self, decision: Decision) -> None:
        """Give back what :meth:`decide` counted when the scenario did not act after all (its finding
        never reached a document's checks): the next matching request gets it."""
        with self.store.transaction() as db:
            db.execute("UPDATE scenarios SET fired = fired - 1, remaining = CASE WHEN remaining IS NULL THEN NULL"
                       " ELSE remaining + 1 END WHERE id=? AND fired > 0", (decision.scenario.id,))


def _scenario(row: Any) -> Scenario:
    return Scenario(**{key: row[key] for key in row.keys()})


def scenario_check(source: CheckInput) -> Iterator[Finding]:
    """The document check that carries a scenario's injected verdict (registered before the rules)."""
    injection = INJECTED.get()
    if injection is not None:
        injection.used = True
        yield injection.finding
