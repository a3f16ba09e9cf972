"""Looking documents up by RUC, type, serie and number: getStatusCdr, getStatus (consult), getStatusAR.

billConsultService's getStatus tells the state in 0001 accepted, 0002 rejected, 0003 voided and 0011
not found, so a question it cannot read must not be answered in those codes (an empty RUC was 0001,
which a client reads as "accepted").  Its input errors are the rest of its own family: 0004 a RUC that
is not 11 digits, 0005 a type that is not 2 characters, 0006 a serie that is not 4, 0007 a number not
greater than zero.  PROTOCOL.md §10 only infers that family; these codes are the table the clients
written against the live service map (project-openubl's GetStatusResponseType, Vauxoo's l10n_pe,
JBillStatus).  getStatusAR has its own family (OSE manual §19, PROTOCOL.md §10: 0001 RUC missing,
0002 RUC not 11 digits … 0010 number, 0000 with the CDR, 0011 not found); billConsultService's
getStatusCdr asks its questions the same way and answers 0004 "La constancia existe" with the CDR.
An OSE's getStatusCdr answers 0 with the CDR and a fault 0127 when it has no such document (beatOSE,
Bizlinks).
"""
from __future__ import annotations

import re
import sqlite3
from typing import Callable

from osemock.cpe.errors import SunatError
from osemock.cpe.numbers import correlativo, digits
from osemock.server.engine.answers import StatusAnswer
from osemock.server.engine.core import EngineState, Request

_SERIE = re.compile(r"[A-Z0-9]{4}")


def _fields(request: Request) -> tuple[str, str, str, str]:
    fields = request.fields
    return ((fields.get("rucComprobante") or "").strip(), (fields.get("tipoComprobante") or "").strip(),
            (fields.get("serieComprobante") or "").strip().upper(), (fields.get("numeroComprobante") or "").strip())


def _acuse_problem(ruc: str, tipo: str, serie: str, numero: str) -> StatusAnswer | None:
    """Why getStatusAR (and getStatusCdr) cannot read the question, in the OSE manual's §19 codes."""
    if not ruc:
        return StatusAnswer("0001", message="Debe ingresar el RUC del emisor")
    if not (digits(ruc) and len(ruc) == 11):
        return StatusAnswer("0002", message="El RUC debe tener 11 digitos")
    if not tipo:
        return StatusAnswer("0004", message="Debe ingresar el tipo de comprobante")
    if not serie:
        return StatusAnswer("0006", message="Debe ingresar la serie del comprobante")
    if not _SERIE.fullmatch(serie):
        return StatusAnswer("0007", message="La serie debe tener 4 caracteres alfanumericos")
    if not numero:
        return StatusAnswer("0009", message="Debe ingresar el numero del comprobante")
    if not correlativo(numero):  # not 1 to 8 digits, or zero
        return StatusAnswer("0010", message="El numero debe tener de 1 a 8 digitos y ser mayor que cero")
    return None


def _state_problem(ruc: str, tipo: str, serie: str, numero: str) -> StatusAnswer | None:
    """Why billConsultService's getStatus cannot read the question, in codes that are no state."""
    if not (digits(ruc) and len(ruc) == 11):
        return StatusAnswer("0004", message="Formato de RUC no es válido (debe de contener 11 caracteres numéricos).")
    if len(tipo) != 2:
        return StatusAnswer("0005", message="Formato del tipo de comprobante no es válido (debe de contener 2 caracteres).")
    if not _SERIE.fullmatch(serie):
        return StatusAnswer("0006", message="Formato de serie inválido (debe de contener 4 caracteres).")
    # zero read off the digits: int() of more than 4,300 digits raises, and a number that long is only
    # one no document carries (0011), as a 21-digit one is
    if not digits(numero) or not numero.strip("0"):
        return StatusAnswer("0007", message="El numero de comprobante debe de ser mayor que cero.")
    return None


def _lookup(engine: EngineState, request: Request,
            problem_of: Callable[[str, str, str, str], StatusAnswer | None] = _acuse_problem,
            ) -> tuple[sqlite3.Row | None, StatusAnswer | None]:
    """The document asked for, or the status that says why the question is malformed."""
    ruc, tipo, serie, numero = _fields(request)
    problem = problem_of(ruc, tipo, serie, numero)
    if problem is not None:
        return None, problem
    number = correlativo(numero)  # a number of more than eight digits is no stored document
    return (engine.store.document(ruc, tipo, serie, number) if number else None), None


def _authorised(engine: EngineState, request: Request) -> str:
    principal = engine.principal(request)
    return principal.ruc


def _visible(row: sqlite3.Row | None, caller: str) -> sqlite3.Row | None:
    """The document if the caller emitted or sent it: to anyone else it does not exist (SOL credentials
    see their own RUC's documents; a buyer consults through the portal)."""
    return row if row is not None and caller in (row["emitter_ruc"], row["sender_ruc"]) else None


def get_status_cdr(engine: EngineState, request: Request) -> StatusAnswer:
    """The stored CDR of a document.

    Bizlinks' dialect (fields wrapped in ``statusCdr``) wants the number zero-padded to 8 digits —
    anything else is a ticket it does not know (0127) — and answers the CDR in ``document``.
    """
    caller = _authorised(engine, request)
    bizlinks = request.fields.get("dialect") == "bizlinks"
    if bizlinks and not re.fullmatch(r"[0-9]{8}", (request.fields.get("numeroComprobante") or "").strip()):
        raise SunatError("0127", "El numero de comprobante debe tener 8 digitos (con ceros a la izquierda)")
    row, problem = _lookup(engine, request)
    ose = request.endpoint.service == "bill"
    if problem is not None:
        if ose:
            raise SunatError("0127", problem.message)
        return problem
    row = _visible(row, caller)
    if row is None or row["cdr_zip"] is None:
        if ose:
            raise SunatError("0127", "El comprobante no existe")
        return StatusAnswer("0011", message="El comprobante de pago electronico no existe")
    return StatusAnswer("0" if ose else "0004", row["cdr_zip"], "La constancia existe",
                        content_name="document" if bizlinks else "content")


_STATE_CODES = {
    "accepted": ("0001", "El comprobante existe y esta aceptado."),
    "rejected": ("0002", "El comprobante existe pero esta rechazado."),
    "voided": ("0003", "El comprobante existe pero esta de baja."),
}


def consult_status(engine: EngineState, request: Request) -> StatusAnswer:
    """billConsultService getStatus: the state of a document, no CDR."""
    caller = _authorised(engine, request)
    row, problem = _lookup(engine, request, _state_problem)
    if problem is not None:
        return problem
    row = _visible(row, caller)
    if row is None:
        return StatusAnswer("0011", message="El comprobante de pago electronico no existe")
    code, message = _STATE_CODES[row["status"]]
    return StatusAnswer(code, message=message)


def get_status_ar(engine: EngineState, request: Request) -> StatusAnswer:
    """getStatusAR: 0000 with the CDR, or 0011 when it does not exist."""
    caller = _authorised(engine, request)
    row, problem = _lookup(engine, request)
    if problem is not None:
        return problem
    row = _visible(row, caller)
    if row is None or row["cdr_zip"] is None:
        return StatusAnswer("0011", message="El comprobante no existe")
    return StatusAnswer("0000", row["cdr_zip"], "La constancia existe")
