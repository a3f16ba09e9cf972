"""The mock's memory: documents, their CDRs, tickets, the request journal and the emitter registry.

SQLite in WAL mode, one connection per thread, so several threads and several server processes can
share one file.  A document is committed before its CDR leaves the server, so a CDR a client holds
always has its document in the store.  Uniqueness of ``(RUC, type, serie, number)`` is enforced by
the database, which is what turns concurrent duplicates into exactly one acceptance.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

#: The largest integer an SQLite column holds: numbers from a request are bounded by it before a query.
MAX_INTEGER = 2**63 - 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY,
    emitter_ruc TEXT NOT NULL,
    type_code TEXT NOT NULL,
    serie TEXT NOT NULL,
    numero INTEGER NOT NULL,
    status TEXT NOT NULL,             -- accepted | rejected | voided
    response_code TEXT NOT NULL,      -- 0 or the rejection code
    findings TEXT NOT NULL DEFAULT '[]',
    file_name TEXT NOT NULL,
    zip BLOB,
    xml BLOB,
    cdr_zip BLOB,
    cdr_id TEXT,
    document_hash TEXT,
    issue_date TEXT,
    customer TEXT,
    payable_amount TEXT,
    currency TEXT,
    sender_ruc TEXT,
    received_at TEXT NOT NULL,
    responded_at TEXT NOT NULL,
    request_id INTEGER,
    UNIQUE (emitter_ruc, type_code, serie, numero)
);
CREATE TABLE IF NOT EXISTS tickets (
    ticket TEXT PRIMARY KEY,
    emitter_ruc TEXT NOT NULL,
    sender_ruc TEXT NOT NULL,
    operation TEXT NOT NULL,
    file_name TEXT NOT NULL,
    zip BLOB,
    status_code TEXT NOT NULL,        -- 98 until processed, then 0 or 99
    response_code TEXT,
    cdr_zip BLOB,
    polls INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    processed_at TEXT
);
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY,
    received_at TEXT NOT NULL,
    path TEXT,
    operation TEXT,
    username TEXT,
    file_name TEXT,
    outcome TEXT,
    http_status INTEGER,
    duration_ms REAL,
    request_body BLOB,
    response_body BLOB
);
CREATE TABLE IF NOT EXISTS emitters (
    ruc TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'ACTIVO',
    condition TEXT NOT NULL DEFAULT 'HABIDO'
);
CREATE TABLE IF NOT EXISTS sol_users (
    ruc TEXT NOT NULL,
    user TEXT NOT NULL,
    password TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    can_send INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (ruc, user)
);
CREATE TABLE IF NOT EXISTS certificates (
    ruc TEXT NOT NULL,
    fingerprint TEXT NOT NULL,       -- SHA-256 of the DER certificate, hex
    subject TEXT NOT NULL DEFAULT '',
    retired_at TEXT,                 -- fecha de baja communicated to SUNAT
    revoked INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (ruc, fingerprint)
);
CREATE TABLE IF NOT EXISTS pse_links (
    pse_ruc TEXT NOT NULL,
    emitter_ruc TEXT NOT NULL,
    PRIMARY KEY (pse_ruc, emitter_ruc)
);
CREATE TABLE IF NOT EXISTS taxpayers (   -- contribuyentes that are not emitters of this mock (customers)
    ruc TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'ACTIVO',
    condition TEXT NOT NULL DEFAULT 'HABIDO'
);
CREATE TABLE IF NOT EXISTS padrones (    -- SUNAT's padrones a RUC is on (ind_padron), with their validity
    ruc TEXT NOT NULL,
    padron TEXT NOT NULL,             -- 02 sin capacidad operativa, 05 exportador de servicios, 14 tax free…
    valid_from TEXT NOT NULL DEFAULT '',
    valid_to TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (ruc, padron, valid_from)
);
CREATE TABLE IF NOT EXISTS establishments (   -- establecimientos anexos (cbc:AddressTypeCode)
    ruc TEXT NOT NULL,
    code TEXT NOT NULL,
    PRIMARY KEY (ruc, code)
);
CREATE TABLE IF NOT EXISTS receipt_ranges (   -- authorized physical / contingency receipts (serie, numbers)
    ruc TEXT NOT NULL,
    list TEXT NOT NULL,               -- physical_receipts | contingency_receipts
    type_code TEXT NOT NULL DEFAULT '',   -- '' for any type
    serie TEXT NOT NULL,
    first INTEGER NOT NULL,
    last INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS declared_lists (   -- the lists the registry declares for a RUC (absent: unknown)
    ruc TEXT NOT NULL,
    list TEXT NOT NULL,               -- padrones | establishments | physical_receipts | contingency_receipts;
                                      -- ruc '*' list 'taxpayers': the registry holds every contribuyente
    PRIMARY KEY (ruc, list)
);
"""


#: Columns added after the first release: ``(table, column, declaration)``; an older store gets them
#: on open, so a SQLite file from an earlier osemock keeps working.
MIGRATIONS = (
    ("tickets", "after_polls", "INTEGER NOT NULL DEFAULT 0"),   # getStatus answers 98 this many times first
    ("tickets", "ready_at", "TEXT"),                           # …and until this moment
    ("tickets", "claimed_at", "TEXT"),                         # a process is working on it since then
    ("tickets", "xml", "BLOB"),                                # the summary's XML, kept for processing
    ("documents", "voided_by", "TEXT"),                        # the ticket of the RA/RC/RR that voided it
    ("documents", "informed_by", "TEXT"),                      # the ticket of the RC that informed it
    ("documents", "lot_ticket", "TEXT"),                       # the ticket of the sendPack it came in
    ("tickets", "injected", "TEXT"),                           # a scenario's verdict for its settling (JSON)
    ("tickets", "claimed_by", "TEXT"),                         # the token of the settling that claimed it
    ("tickets", "path", "TEXT"),                               # the service path it came in on
)


class DuplicateDocument(Exception):
    """Raised when a document number is already in the store; carries the stored status."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


@dataclass(frozen=True)
class SolUser:
    """A SOL user of the emitter registry."""

    ruc: str
    user: str
    password: str
    active: bool
    can_send: bool


#: The tables the emitter registry fills (a registry file, ``POST /_osemock/seed``): what
#: ``reset {"registry": true}`` forgets and what a snapshot carries besides the documents.
REGISTRY_TABLES = ("emitters", "sol_users", "certificates", "pse_links", "taxpayers", "padrones", "establishments",
                   "receipt_ranges", "declared_lists")


class StoreError(Exception):
    """The store's file cannot be one: its folder cannot be made, the file is not SQLite, is another
    program's, or cannot be written."""


#: SQLite's ``application_id`` of an osemock store (the letters "OSEm"): the mark of a store this program
#: made.  A file without it (a new one, or a store of an osemock before the mark) must hold nothing but
#: osemock's tables; one with another program's mark is refused.
APPLICATION_ID = 0x4F53456D

#: The tables other modules keep in the store besides :data:`SCHEMA`'s (``admin/shared_clock.py``,
#: ``admin/scenarios.py``).
OTHER_TABLES = ("osemock_state", "scenarios")


class Store:
    """All persistent state of one mock, in one SQLite file (``:memory:`` is not supported: use a file)."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        self._local = threading.local()
        self._writer = threading.RLock()
        try:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            problem = _not_osemock(self.path)  # read before anything is written (WAL mode is a write)
            if problem is None:
                db = self._connection()
                db.executescript(SCHEMA)  # executescript commits on its own
                self._migrate(db)
                problem = self._unwritable()
        except (OSError, sqlite3.DatabaseError) as error:
            problem = str(error)
        if problem is not None:
            raise StoreError(f"store {self.path} (--db, OSE_DB): {problem}")

    def _unwritable(self) -> str | None:
        """Why the store cannot take a write (a read-only file or mount), after writing its mark.  A store
        whose tables exist opens read-only without a word and failed at the first write, in a worker."""
        try:
            with self.transaction() as db:
                db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        except sqlite3.OperationalError as error:
            return f"cannot write it: {error}"
        return None

    def checkpoint(self) -> bool:
        """Write what the ``-wal`` file holds into the store's own file and empty it (a server process
        that stops cleanly); whether it all went.  SQLite does so when the last connection to a file
        closes, but a server's connections live as long as it: after a clean stop everything was still
        in ``-wal``, and a copy of the file named by ``--db`` alone held no document.  Another process's
        checkpoint at the same moment (the workers of one server stop together) makes it busy for a
        moment: it tries again for a few seconds."""
        deadline = time.monotonic() + 5
        try:
            db = sqlite3.connect(self.path, timeout=1, isolation_level=None)
            try:
                while True:
                    busy = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
                    if not busy or time.monotonic() >= deadline:
                        return not busy
                    time.sleep(0.05)
            finally:
                db.close()
        except sqlite3.Error:
            return False

    def touch(self) -> None:
        """Read a row of the store's own tables (``/_osemock/health``): ``SELECT 1`` never reads the file."""
        self.query("SELECT id FROM documents ORDER BY id DESC LIMIT 1")

    def close(self) -> None:
        """Close this thread's connection (a process that only checked the store, before it forks)."""
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    @staticmethod
    def _migrate(db: sqlite3.Connection) -> None:
        """Add the columns of :data:`MIGRATIONS` an older store lacks (safe when several processes open it)."""
        for table, column, declaration in MIGRATIONS:
            present = {row["name"] for row in db.execute(f"PRAGMA table_info({table})")}
            if column not in present:
                try:
                    db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
                except sqlite3.OperationalError as error:  # another process added it first
                    if "duplicate column" not in str(error):
                        raise

    def _connection(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA busy_timeout=30000")
            _ensure_wal(db)
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction taken at once (``BEGIN IMMEDIATE``), so writers queue instead of deadlocking.

        The threads of one process queue on a lock first: SQLite's own busy handler makes a waiting
        writer sleep (1, 2, 5… 100 ms) and, with many threads, those sleeps cost more than the
        writes; the handler is left for the writers of other processes."""
        db = self._connection()
        with self._writer:
            self._local.writing = getattr(self._local, "writing", 0) + 1
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    yield db
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
            finally:
                self._local.writing -= 1

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """Several reads of one moment of the store (a read transaction: WAL keeps its snapshot while
        other connections commit).  One autocommit query per table read each table at its own moment:
        a summary settled between two of them was half in what they returned."""
        db = self._connection()
        if db.in_transaction:  # inside this thread's write transaction, which is one moment already
            yield db
            return
        db.execute("BEGIN")
        try:
            yield db
        finally:
            db.execute("COMMIT")

    def writing(self) -> bool:
        """Whether this thread is inside :meth:`transaction` (holds the process's writer)."""
        return bool(getattr(self._local, "writing", 0))

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        """Rows of a read-only query."""
        return self._connection().execute(sql, params).fetchall()

    def reset(self) -> None:
        """Forget every document, ticket and request; keep the emitter registry."""
        with self.transaction() as db:
            for table in ("documents", "tickets", "requests"):
                db.execute(f"DELETE FROM {table}")

    def forget_registry(self) -> None:
        """Forget the whole registry: emitters and their users, certificates and PSE links, and the
        contribuyentes, padrones, establishments and receipt ranges it declared."""
        with self.transaction() as db:
            for table in REGISTRY_TABLES:
                db.execute(f"DELETE FROM {table}")

    # -- documents ------------------------------------------------------------------------------
    def document(self, ruc: str, type_code: str, serie: str, numero: int) -> sqlite3.Row | None:
        """The stored document with that identity, if any."""
        rows = self.query(
            "SELECT * FROM documents WHERE emitter_ruc=? AND type_code=? AND serie=? AND numero=?",
            (ruc, type_code, serie, numero),
        )
        return rows[0] if rows else None

    def add_document(self, record: dict[str, Any], replacing_rejected: bool = False,
                     guard: Callable[[sqlite3.Connection], None] | None = None) -> int:
        """Store a processed document; :class:`DuplicateDocument` if its number is taken (with
        ``replacing_rejected``, by anything but a rejected document, which this one replaces in the
        same transaction).  ``guard`` runs in the same transaction after the insert: what it raises
        undoes the insert (a lot's document stored only while its settling still holds the ticket)."""
        record = dict(record)
        record["findings"] = json.dumps(record.get("findings", []), ensure_ascii=False)
        columns = ", ".join(record)
        marks = ", ".join("?" for _ in record)
        try:
            with self.transaction() as db:
                if replacing_rejected:
                    db.execute("DELETE FROM documents WHERE emitter_ruc=? AND type_code=? AND serie=? AND numero=? "
                               "AND status='rejected'",
                               (record["emitter_ruc"], record["type_code"], record["serie"], record["numero"]))
                cursor = db.execute(f"INSERT INTO documents ({columns}) VALUES ({marks})", tuple(record.values()))
                if guard is not None:
                    guard(db)
                return int(cursor.lastrowid or 0)
        except sqlite3.IntegrityError:
            existing = self.document(record["emitter_ruc"], record["type_code"], record["serie"], record["numero"])
            raise DuplicateDocument(existing["status"] if existing else "accepted") from None

    # -- journal --------------------------------------------------------------------------------
    def journal(self, entry: dict[str, Any], keep_last: int = 0) -> int:
        """Append one request to the journal; with ``keep_last``, older entries go, a batch at a time
        (so the journal holds at most ``keep_last`` plus a tenth of it, and a prune is rare)."""
        columns = ", ".join(entry)
        marks = ", ".join("?" for _ in entry)
        with self.transaction() as db:
            cursor = db.execute(f"INSERT INTO requests ({columns}) VALUES ({marks})", tuple(entry.values()))
            entry_id = int(cursor.lastrowid or 0)
            if keep_last and entry_id % max(1, min(1000, keep_last // 10)) == 0:
                db.execute("DELETE FROM requests WHERE id <= ?", (entry_id - keep_last,))
            return entry_id

    # -- emitter registry -----------------------------------------------------------------------
    def sol_user(self, ruc: str, user: str) -> SolUser | None:
        """The registered SOL user, if any (users compare case-insensitively, as SOL does)."""
        rows = self.query("SELECT * FROM sol_users WHERE ruc=? AND upper(user)=upper(?)", (ruc, user))
        if not rows:
            return None
        row = rows[0]
        return SolUser(row["ruc"], row["user"], row["password"], bool(row["active"]), bool(row["can_send"]))

    def has_users(self, ruc: str) -> bool:
        """Whether the registry knows any SOL user of that RUC."""
        return bool(self.query("SELECT 1 FROM sol_users WHERE ruc=? LIMIT 1", (ruc,)))

    def emitter(self, ruc: str) -> sqlite3.Row | None:
        """The registry's emitter row, if any."""
        rows = self.query("SELECT * FROM emitters WHERE ruc=?", (ruc,))
        return rows[0] if rows else None

    def is_pse_of(self, pse_ruc: str, emitter_ruc: str) -> bool:
        """Whether ``pse_ruc`` may send documents of ``emitter_ruc`` (0154 otherwise)."""
        return bool(self.query("SELECT 1 FROM pse_links WHERE pse_ruc=? AND emitter_ruc=?", (pse_ruc, emitter_ruc)))

    def certificates(self, ruc: str) -> list[sqlite3.Row]:
        """The certificates the registry says ``ruc`` communicated to SUNAT."""
        return self.query("SELECT * FROM certificates WHERE ruc=?", (ruc,))

    def taxpayer(self, ruc: str) -> sqlite3.Row | None:
        """The registry's contribuyente (an emitter or a listed taxpayer), if any."""
        rows = self.query("SELECT ruc, name, status, condition FROM emitters WHERE ruc=? UNION ALL "
                          "SELECT ruc, name, status, condition FROM taxpayers WHERE ruc=?", (ruc, ruc))
        return rows[0] if rows else None

    def taxpayers_complete(self) -> bool:
        """Whether the registry says its emitters and taxpayers are every contribuyente (``taxpayers_complete``),
        so that a RUC it does not hold does not exist (1083)."""
        return self._declared("*", "taxpayers")

    def _declared(self, ruc: str, name: str) -> bool:
        return bool(self.query("SELECT 1 FROM declared_lists WHERE ruc=? AND list=?", (ruc, name)))

    def padrones(self, ruc: str) -> list[sqlite3.Row] | None:
        """The padrones the registry puts ``ruc`` on; ``None`` when it does not say (rules stay silent)."""
        if not self._declared(ruc, "padrones"):
            return None
        return self.query("SELECT * FROM padrones WHERE ruc=?", (ruc,))

    def establishments(self, ruc: str) -> set[str] | None:
        """The establishment codes (anexos) of ``ruc``; ``None`` when the registry does not list them."""
        if not self._declared(ruc, "establishments"):
            return None
        return {row["code"] for row in self.query("SELECT code FROM establishments WHERE ruc=?", (ruc,))}

    def receipt_authorized(self, ruc: str, list_name: str, type_code: str, serie: str, number: int) -> bool | None:
        """Whether ``list_name`` (``physical_receipts`` or ``contingency_receipts``) of ``ruc`` holds that
        receipt; ``None`` when the registry does not declare the list."""
        if not self._declared(ruc, list_name):
            return None
        return bool(self.query(
            "SELECT 1 FROM receipt_ranges WHERE ruc=? AND list=? AND type_code IN ('', ?) AND serie=? AND ? BETWEEN first AND last",
            (ruc, list_name, type_code, serie, number)))

    def seed_registry(self, data: dict[str, Any]) -> None:
        """Load emitters, SOL users, PSE links, padrones, establishments and other taxpayers (the shape
        of a registry YAML/JSON file); what it does not mention stays as an earlier seed left it."""
        with self.transaction() as db:
            if data.get("taxpayers_complete"):
                db.execute("INSERT OR REPLACE INTO declared_lists (ruc, list) VALUES ('*', 'taxpayers')")
            elif "taxpayers_complete" in data:  # the latest word stands: false after true was ignored (still 1083)
                db.execute("DELETE FROM declared_lists WHERE ruc='*' AND list='taxpayers'")
            for taxpayer in data.get("taxpayers", []):
                db.execute(
                    "INSERT OR REPLACE INTO taxpayers (ruc, name, status, condition) VALUES (?, ?, ?, ?)",
                    (str(taxpayer["ruc"]), taxpayer.get("name", ""), taxpayer.get("status", "ACTIVO"),
                     taxpayer.get("condition", "HABIDO")),
                )
                if "padrones" in taxpayer:  # a customer's padrones (agentes de retención, buenos contribuyentes…)
                    _seed_padrones(db, str(taxpayer["ruc"]), taxpayer["padrones"])
            for emitter in data.get("emitters", []):
                ruc = str(emitter["ruc"])
                db.execute(
                    "INSERT OR REPLACE INTO emitters (ruc, name, status, condition) VALUES (?, ?, ?, ?)",
                    (ruc, emitter.get("name", ""), emitter.get("status", "ACTIVO"), emitter.get("condition", "HABIDO")),
                )
                for user in emitter.get("users", []):
                    db.execute(
                        "INSERT OR REPLACE INTO sol_users (ruc, user, password, active, can_send) VALUES (?, ?, ?, ?, ?)",
                        (ruc, str(user["user"]), str(user["password"]), int(user.get("active", True)),
                         int(user.get("can_send", True))),
                    )
                for certificate in emitter.get("certificates", []):
                    fingerprint, subject = _certificate_identity(certificate["pem"])
                    db.execute(
                        "INSERT OR REPLACE INTO certificates (ruc, fingerprint, subject, retired_at, revoked)"
                        " VALUES (?, ?, ?, ?, ?)",
                        (ruc, fingerprint, subject, certificate.get("retired_at"), int(certificate.get("revoked", False))),
                    )
                for emitter_ruc in emitter.get("pse_for", []):
                    db.execute("INSERT OR REPLACE INTO pse_links VALUES (?, ?)", (ruc, str(emitter_ruc)))
                if "padrones" in emitter:
                    _seed_padrones(db, ruc, emitter["padrones"])
                for list_name in ("physical_receipts", "contingency_receipts"):
                    if list_name in emitter:
                        _declare(db, ruc, list_name)
                        for entry in emitter[list_name] or []:
                            db.execute("INSERT INTO receipt_ranges (ruc, list, type_code, serie, first, last) VALUES (?, ?, ?, ?, ?, ?)",
                                       (ruc, list_name, str(entry.get("type") or ""), str(entry["serie"]),
                                        int(entry.get("from", 1)), int(entry.get("to", entry.get("from", 1)))))
                if "establishments" in emitter:
                    _declare(db, ruc, "establishments")
                    for code in emitter["establishments"] or []:
                        db.execute("INSERT OR REPLACE INTO establishments (ruc, code) VALUES (?, ?)", (ruc, str(code).zfill(4)))


def _not_osemock(path: str) -> str | None:
    """Why the SQLite file at ``path`` is not an osemock store (``None`` when it is one, or is empty).

    Another program's file was taken: osemock wrote its tables into it, its own ``documents`` table
    made every sendBill 0100, and the health check said ok."""
    db = sqlite3.connect(path, timeout=30)
    try:
        mark = db.execute("PRAGMA application_id").fetchone()[0]
        if mark == APPLICATION_ID:
            return None
        if mark:
            return f"another program's SQLite file (application_id {mark:#x}), not an osemock store"
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite%'")]
        expected = _schema_columns()
        strangers = sorted(set(tables) - set(expected) - set(OTHER_TABLES))
        if strangers:
            return f"not an osemock store: it holds the tables {', '.join(strangers[:5])}"
        for table in tables:
            if table in expected:
                present = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
                missing = sorted(expected[table] - present)
                if missing:
                    return f"not an osemock store: its table {table} has no {', '.join(missing[:5])}"
        return None
    finally:
        db.close()


def _schema_columns() -> dict[str, set[str]]:
    """The columns every table of :data:`SCHEMA` has had from the start (not those of :data:`MIGRATIONS`)."""
    db = sqlite3.connect(":memory:")
    try:
        db.executescript(SCHEMA)
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        added = {(table, column) for table, column, _ in MIGRATIONS}
        return {table: {row[1] for row in db.execute(f"PRAGMA table_info({table})") if (table, row[1]) not in added}
                for table in tables}
    finally:
        db.close()


def _ensure_wal(db: sqlite3.Connection) -> None:
    """Put the file in WAL mode once.  Switching needs an exclusive lock the busy handler does not wait
    for, so a connection opened while another process writes (several workers starting on one store)
    reads the mode first — WAL persists in the file — and retries the switch only while it is not WAL."""
    for _ in range(100):
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
                return
            db.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) and "busy" not in str(error):
                raise
            time.sleep(0.05)
    raise sqlite3.OperationalError("could not switch the store to WAL mode: it stays locked")


def _seed_padrones(db: sqlite3.Connection, ruc: str, entries: list[Any] | None) -> None:
    """The padrones (ind_padron) the registry puts ``ruc`` on: ``"05"`` or ``{padron, from, to}``."""
    _declare(db, ruc, "padrones")
    for entry in entries or []:
        entry = entry if isinstance(entry, dict) else {"padron": entry}
        db.execute("INSERT OR REPLACE INTO padrones (ruc, padron, valid_from, valid_to) VALUES (?, ?, ?, ?)",
                   (ruc, str(entry["padron"]).zfill(2), str(entry.get("from") or ""), str(entry.get("to") or "")))


def _declare(db: sqlite3.Connection, ruc: str, name: str) -> None:
    """Record that the registry lists ``name`` for ``ruc`` (replacing what an earlier seed said)."""
    db.execute("INSERT OR REPLACE INTO declared_lists (ruc, list) VALUES (?, ?)", (ruc, name))
    if name.endswith("_receipts"):
        db.execute("DELETE FROM receipt_ranges WHERE ruc=? AND list=?", (ruc, name))
    else:
        db.execute(f"DELETE FROM {name} WHERE ruc=?", (ruc,))


def _certificate_identity(pem: str) -> tuple[str, str]:
    """SHA-256 fingerprint (hex) and subject of a PEM certificate's text (a registry file's certificate
    paths are read, beside it, by ``registry.load``; the admin API takes the text)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    certificate = x509.load_pem_x509_certificate(pem.encode("ascii"))
    return certificate.fingerprint(hashes.SHA256()).hex(), certificate.subject.rfc4514_string()
