"""What the portal reads from the store: document searches, one document's story, the buyer's consult.

Plain functions over :class:`Store`; the views only unpack the query string and render.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from osemock.cpe.document import read_header
from osemock.cpe.errors import CpeError
from osemock.cpe.naming import document_base, parse_base
from osemock.cpe.numbers import correlativo, decimal_of, digits
from osemock.cpe.xmlparse import parse_xml
from osemock.server.clock import stored_moment
from osemock.server.store import MAX_INTEGER, Store

STATUS_LABELS = {"accepted": "Aceptado", "rejected": "Rechazado", "voided": "Anulado"}
TYPE_LABELS = {"01": "Factura", "03": "Boleta", "07": "Nota de crédito", "08": "Nota de débito",
               "20": "Retención", "40": "Percepción"}
LIST_COLUMNS = ("id, emitter_ruc, type_code, serie, numero, status, response_code, findings, issue_date, customer,"
                " payable_amount, currency, received_at, file_name")


@dataclass(frozen=True)
class DocumentFilter:
    """A search of the documents list; empty fields match anything."""

    ruc: str = ""
    type_code: str = ""
    serie: str = ""
    numero: str = ""
    date_from: str = ""
    date_to: str = ""
    outcome: str = ""
    """``accepted``, ``observed`` (accepted with observations), ``rejected`` or ``voided``."""
    page: int = 1
    per_page: int = 50

    def where(self) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (("emitter_ruc", self.ruc), ("type_code", self.type_code), ("serie", self.serie.upper())):
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        named = self.named_number()
        if named is None:
            clauses.append("0")  # no number it could mean: nothing, and numero_problem says why
        for column, value in (named or {}).items():
            clauses.append(f"{column} = ?")
            params.append(value)
        if self.date_from:
            clauses.append("issue_date >= ?")
            params.append(self.date_from)
        if self.date_to:
            clauses.append("issue_date <= ?")
            params.append(self.date_to)
        if self.outcome == "observed":
            clauses.append("status = 'accepted' AND findings != '[]'")
        elif self.outcome == "accepted":
            clauses.append("status = 'accepted' AND findings = '[]'")
        elif self.outcome in ("rejected", "voided"):
            clauses.append("status = ?")
            params.append(self.outcome)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    def named_number(self) -> dict[str, Any] | None:
        """The columns the Número field fixes: ``123``, ``F001-123`` (serie and number, as a document
        writes its ID) or a file's base name ``20123456789-01-F001-123``; ``{}`` when empty, ``None``
        when it names no number (anything else matched every document, as if empty)."""
        text = self.numero.strip().upper()
        if not text:
            return {}
        if digits(text):
            return {"numero": _number(text)}
        written = _SERIE_NUMERO.fullmatch(text)
        if written:
            return {"serie": written["serie"], "numero": _number(written["numero"])}
        name = parse_base(text)
        if name is not None and name.kind == "document":
            return {"emitter_ruc": name.ruc, "type_code": name.type_code, "serie": name.serie, "numero": name.numero}
        return None

    @property
    def numero_problem(self) -> str | None:
        """What the list says when the Número field names no number (it lists nothing)."""
        if self.named_number() is not None:
            return None
        return f"«{self.numero.strip()}» no es un número de comprobante: escriba 123, F001-123 o {_EXAMPLE_BASE}."


#: ``SERIE-NUMERO`` as a document's ID writes it (spaces around the dash forgiven); ASCII only.
_SERIE_NUMERO = re.compile(r"(?P<serie>[A-Z0-9]{4})\s*-\s*(?P<numero>[0-9]+)", re.ASCII)
_EXAMPLE_BASE = "20123456789-01-F001-123"


def _number(text: str) -> int:
    """A correlativo's value; -1 (no document) past eight digits, read without int() on the rest."""
    number = correlativo(text)
    return -1 if number is None else number


#: The last page a query string may ask for.
MAX_PAGE = 1_000_000


@dataclass
class Page:
    rows: list[dict[str, Any]]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def search_documents(store: Store, search: DocumentFilter) -> Page:
    """One page of the documents matching ``search``, newest first."""
    where, params = search.where()
    total = store.query(f"SELECT count(*) AS n FROM documents{where}", tuple(params))[0]["n"]
    last = max(1, -(-total // search.per_page))
    page = min(max(search.page, 1), MAX_PAGE, last)  # a page past the end shows the last one, not "3 de 2"
    rows = store.query(f"SELECT {LIST_COLUMNS} FROM documents{where} ORDER BY received_at DESC, id DESC LIMIT ? OFFSET ?",
                       (*params, search.per_page, (page - 1) * search.per_page))
    return Page([_listed(store, row) for row in rows], total, page, search.per_page)


def _listed(store: Store, row: Any) -> dict[str, Any]:
    item = dict(row)
    item["payable_amount"], item["currency"] = total_of(store, item)
    findings = json.loads(item.pop("findings") or "[]")
    item["observations"] = sum(1 for f in findings if f.get("severity") != "error")
    item["outcome"] = outcome_of(item["status"], item["observations"])
    item["base"] = document_base(item["emitter_ruc"], item["type_code"], item["serie"], item["numero"])
    return item


def outcome_of(status: str, observations: int) -> str:
    """``accepted``, ``observed``, ``rejected`` or ``voided`` (the filter's and the badge's word)."""
    if status == "accepted" and observations:
        return "observed"
    return status


def document(store: Store, document_id: int) -> dict[str, Any] | None:
    """One document with its findings decoded and its timeline of requests."""
    rows = store.query("SELECT * FROM documents WHERE id=?", (document_id,))
    if not rows:
        return None
    item = dict(rows[0])
    item["payable_amount"], item["currency"] = total_of(store, item)
    item["findings"] = json.loads(item["findings"] or "[]")
    item["base"] = document_base(item["emitter_ruc"], item["type_code"], item["serie"], item["numero"])
    item["outcome"] = outcome_of(item["status"], sum(1 for f in item["findings"] if f.get("severity") != "error"))
    item["timeline"] = timeline(store, item)
    item["not_printable"] = not_printable(item)
    item["informed_in"] = informed_in(item)
    return item


def informed_in(row: Any) -> str | None:
    """The ticket of the resumen diario that informed a document which has no CDR of its own (a boleta
    or its note an RC added): getStatusCdr answers that it does not exist, so the portal must not call
    it accepted without saying how.  ``None`` for a document answered with its own CDR."""
    return row["informed_by"] if row["informed_by"] and row["cdr_zip"] is None else None


def not_printable(row: Any) -> str | None:
    """Why the portal offers no printed representation (PDF with SUNAT's QR) of a stored document;
    ``None`` when it offers one.  A rejected CPE has no valid printed form: a QR'd page of it would
    pass for a valid one.  A boleta informed only in a resumen diario has no XML to draw it from."""
    if row["status"] == "rejected":
        return "Fue rechazado: un comprobante rechazado no tiene representación impresa válida."
    if not row["xml"]:
        return "Informado en un resumen diario, sin su XML: la representación impresa la entrega el emisor."
    return None


def timeline(store: Store, item: dict[str, Any]) -> list[dict[str, Any]]:
    """What happened to this document, oldest first: the journal's requests about it (its sendBill,
    ``{base}.zip`` in any case, and the lookups of its number, journaled as ``{base}``) and the
    summaries that voided or informed it, each when its ticket was settled, which is when it took
    effect (not when the document was answered, days before a baja).  Only this number: F001-10 is not
    about F001-1."""
    base = item["base"]
    rows = store.query(
        "SELECT id, received_at, operation, file_name, outcome, http_status, duration_ms FROM requests"
        " WHERE file_name = ? OR lower(file_name) = lower(?) ORDER BY id", (base, f"{base}.zip"))
    events = [dict(row) for row in rows]
    for ticket_column, label in (("voided_by", "dado de baja por el ticket"), ("informed_by", "informado en el resumen del ticket")):
        if item.get(ticket_column):
            events.append({"id": None, "received_at": _settled_at(store, item[ticket_column]) or item["responded_at"],
                           "operation": label, "file_name": item[ticket_column], "outcome": "", "http_status": None,
                           "duration_ms": None})
    return sorted(events, key=lambda event: _moment(event["received_at"]))  # stable: the journal's order kept


def _settled_at(store: Store, ticket: str) -> str | None:
    """When the summary of ``ticket`` was settled (``None`` for a ticket the store no longer holds)."""
    rows = store.query("SELECT processed_at, created_at FROM tickets WHERE ticket=?", (ticket,))
    return (rows[0]["processed_at"] or rows[0]["created_at"]) if rows else None


def _moment(stamp: str) -> datetime:
    """A timestamp of the journal or the tickets as an instant to order by (:func:`stored_moment`); one
    that is no date-time goes first."""
    return stored_moment(stamp) or _BEFORE_ALL


_BEFORE_ALL = datetime.min.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class ConsultAnswer:
    """What SUNAT's consult tells a buyer: whether the document exists, and its state."""

    found: bool
    state: str
    message: str
    document_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)
    not_printable: str | None = None
    """Why the answer offers no printed representation (:func:`not_printable`); ``None`` when it does."""

    @property
    def printable(self) -> bool:
        return self.found and self.not_printable is None


def consult(store: Store, ruc: str, type_code: str, serie: str, numero: str, issue_date: str, total: str) -> ConsultAnswer:
    """Look a document up by its printed data, as SUNAT's "Consulta de validez del CPE" does: the issue
    date and total must agree with what the emitter sent, or the buyer is told they do not.  Each field
    is read without the spaces around it, as the SOAP lookups read theirs (" 01" was no type at all)."""
    ruc, type_code, serie, numero, issue_date, total = (
        value.strip() for value in (ruc, type_code, serie, numero, issue_date, total))
    if not (digits(ruc) and len(ruc) == 11):
        return ConsultAnswer(False, "error", "El RUC del emisor debe tener 11 dígitos.")
    if not digits(numero):
        return ConsultAnswer(False, "error", "El número del comprobante debe ser numérico.")
    number = correlativo(numero)
    row = store.document(ruc, type_code, serie.upper(), number) if number is not None else None
    if row is None:
        return ConsultAnswer(False, "not-found", "El comprobante no existe: no fue informado a SUNAT.")
    if issue_date and row["issue_date"] != issue_date:
        return ConsultAnswer(False, "mismatch", "Los datos ingresados no coinciden con el comprobante informado (fecha de emisión).")
    amount, currency = total_of(store, row)
    if total and not _same_amount(total, amount):
        return ConsultAnswer(False, "mismatch", "Los datos ingresados no coinciden con el comprobante informado (importe total).")
    messages = {"accepted": "El comprobante es válido: fue informado y aceptado.",
                "rejected": "El comprobante no es válido: fue rechazado.",
                "voided": "El comprobante fue comunicado de baja (anulado)."}
    if row["status"] == "accepted" and (ticket := informed_in(row)):
        messages["accepted"] = (f"El comprobante es válido: fue informado en el resumen diario del ticket {ticket},"
                                " sin CDR propio (una consulta de su CDR, getStatusCdr, no lo encuentra).")
    return ConsultAnswer(True, row["status"], messages.get(row["status"], row["status"]), row["id"],
                         {"issue_date": row["issue_date"], "total": amount, "currency": currency,
                          "response_code": row["response_code"]}, not_printable=not_printable(row))


#: The types an osemock before this one stored without an amount (they have no PayableAmount).
_TOTAL_FROM_XML = ("20", "40")


def total_of(store: Store, row: Any) -> tuple[str | None, str | None]:
    """The importe total and currency of a stored document, as its printed representation shows them
    (:attr:`DocumentHeader.total_amount`).  The store keeps them since sendBill; a retención or
    percepción stored by an earlier osemock (or imported from its snapshot) has none kept, and gets
    them from its XML by the same definition, so an old store's portal still shows and compares them."""
    amount, currency = row["payable_amount"], row["currency"]
    if amount is not None or row["type_code"] not in _TOTAL_FROM_XML:
        return amount, currency
    found = store.query("SELECT xml FROM documents WHERE id=?", (row["id"],))
    if not found or found[0]["xml"] is None:
        return amount, currency
    try:
        header = read_header(parse_xml(bytes(found[0]["xml"])))
    except CpeError:  # it was parsed before it was stored: this is for a damaged file
        return amount, currency
    return header.total_amount, currency or header.currency


def _same_amount(given: str, stored: str | None) -> bool:
    """The total the buyer typed (thousands separated by commas or not) against the stored one: only a
    plain decimal counts (3.5400E+02, 3_54.00 or Arabic-Indic digits are no amount SUNAT writes)."""
    amount, kept = decimal_of(given.replace(",", "")), decimal_of(stored)
    return amount is not None and kept is not None and amount == kept


def registry(store: Store) -> list[dict[str, Any]]:
    """Emitters of the registry with their users, certificates, PSE links and document counts, plus the
    RUCs that sent documents without being registered (the wildcard credentials)."""
    counts = {row["emitter_ruc"]: row["n"] for row in
              store.query("SELECT emitter_ruc, count(*) AS n FROM documents GROUP BY emitter_ruc")}
    emitters = []
    for row in store.query("SELECT * FROM emitters ORDER BY ruc"):
        ruc = row["ruc"]
        emitters.append({
            **dict(row), "registered": True, "documents": counts.get(ruc, 0),
            "users": [dict(u) for u in store.query("SELECT user, active, can_send FROM sol_users WHERE ruc=? ORDER BY user", (ruc,))],
            "certificates": [dict(c) for c in store.certificates(ruc)],
            "pse_for": [r["emitter_ruc"] for r in store.query("SELECT emitter_ruc FROM pse_links WHERE pse_ruc=?", (ruc,))],
        })
    known = {e["ruc"] for e in emitters}
    for ruc, count in sorted(counts.items()):
        if ruc not in known:
            emitters.append({"ruc": ruc, "name": "", "status": "—", "condition": "—", "registered": False,
                             "documents": count, "users": [], "certificates": [], "pse_for": []})
    return emitters


def journal(store: Store, limit: int = 100, operation: str = "", after_id: int = 0) -> list[dict[str, Any]]:
    """The newest requests of the journal (without bodies): 1 to 1,000 of them."""
    clauses, params = ["id > ?"], [min(max(after_id, 0), MAX_INTEGER)]
    limit = min(max(limit, 1), 1000)
    if operation:
        clauses.append("operation = ?")
        params.append(operation)
    rows = store.query("SELECT id, received_at, path, operation, username, file_name, outcome, http_status, duration_ms"
                       f" FROM requests WHERE {' AND '.join(clauses)} ORDER BY id DESC LIMIT ?", (*params, limit))
    return [dict(row) for row in rows]


TICKET_STATES = {"98": "En proceso", "0": "Procesado", "99": "Procesado con errores"}


def tickets(store: Store, ruc: str = "", limit: int = 200) -> list[dict[str, Any]]:
    """Summaries and lots by ticket, newest first (their CDR and XML are downloads)."""
    where, params = ("WHERE emitter_ruc = ?", (ruc,)) if ruc else ("", ())
    rows = store.query("SELECT ticket, emitter_ruc, sender_ruc, operation, file_name, status_code, response_code, polls,"
                       " after_polls, ready_at, created_at, processed_at, cdr_zip IS NOT NULL AS has_cdr,"
                       f" xml IS NOT NULL AS has_xml FROM tickets {where} ORDER BY created_at DESC LIMIT ?",
                       (*params, limit))
    return [dict(row) for row in rows]
