"""The one place where answers become SOAP bytes, in the dialect of the profile.

Prefixes matter because some clients match them literally (PROTOCOL.md §2.1): DataPower-made
answers (sendBill, sendSummary, sendPack, faults) use ``soap-env`` + ``br``; answers passed through
from SUNAT's Java back end (getStatus, getStatusCdr, getStatusAR) use ``S`` + ``ns2``.

Fault dialects (§6): ``sunat`` puts the code in ``faultcode`` (``soap-env:Client.0151``) and the
catalog message plus `` - Detalle: …`` in ``faultstring``; ``ose`` (SUNAT's OSE manual) puts the code
alone in ``faultstring`` and the description in ``detail/message``.
"""
from __future__ import annotations

import base64
from http import HTTPStatus

from lxml import etree

from osemock.cpe import ns
from osemock.cpe.errors import SunatError
from osemock.server.engine.answers import CdrAnswer, StatusAnswer, TicketAnswer

_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'

#: System errors travel as ``Server.NNNN``; validation and business errors as ``Client.NNNN``.
_SERVER_CODES = {"0100", "0109", "0110", "0130", "0131", "0132", "0133", "0134", "0135", "0136",
                 "0137", "0138", "0200", "0201", "0202", "0203", "0204", "0250", "0251", "0252", "0253"}

#: Response element and wrapper of each status-style operation.
_STATUS_SHAPES = {
    "getStatus": ("getStatusResponse", "status"),
    "getStatusCdr": ("getStatusCdrResponse", "statusCdr"),
    "getStatusAR": ("getStatusResponseAR", "status"),
}


def _bytes(root: etree._Element) -> bytes:
    return _DECLARATION + etree.tostring(root, encoding="UTF-8")


def _datapower_envelope() -> tuple[etree._Element, etree._Element]:
    envelope = etree.Element(f"{{{ns.SOAP_ENV}}}Envelope", nsmap={"soap-env": ns.SOAP_ENV})
    etree.SubElement(envelope, f"{{{ns.SOAP_ENV}}}Header")
    body = etree.SubElement(envelope, f"{{{ns.SOAP_ENV}}}Body")
    return envelope, body


def _child(parent: etree._Element, name: str, text: str | None) -> etree._Element:
    element = etree.SubElement(parent, name)
    element.text = text
    return element


def render_answer(operation: str, answer: CdrAnswer | TicketAnswer | StatusAnswer) -> bytes:
    """The response envelope of a successful call."""
    if isinstance(answer, StatusAnswer):
        return _render_status(operation, answer)
    envelope, body = _datapower_envelope()
    response = etree.SubElement(body, f"{{{ns.SUNAT_SERVICE}}}{operation}Response", nsmap={"br": ns.SUNAT_SERVICE})
    if isinstance(answer, CdrAnswer):
        _child(response, "applicationResponse", base64.b64encode(answer.cdr_zip).decode("ascii"))
    else:
        _child(response, "ticket", answer.ticket)
    return _bytes(envelope)


def _render_status(operation: str, answer: StatusAnswer) -> bytes:
    element, wrapper = _STATUS_SHAPES[operation]
    envelope = etree.Element(f"{{{ns.SOAP_ENV}}}Envelope", nsmap={"S": ns.SOAP_ENV})
    body = etree.SubElement(envelope, f"{{{ns.SOAP_ENV}}}Body")
    response = etree.SubElement(body, f"{{{ns.SUNAT_SERVICE}}}{element}", nsmap={"ns2": ns.SUNAT_SERVICE})
    status = etree.SubElement(response, wrapper)
    if answer.content is not None:
        if answer.status_code in ("0127", "0126"):
            # SUNAT beta writes the plain text of the problem here, not base64 (PROTOCOL.md §8.1).
            _child(status, "content", answer.content.decode("utf-8"))
        else:
            _child(status, answer.content_name, base64.b64encode(answer.content).decode("ascii"))
    _child(status, "statusCode", answer.status_code)
    if answer.message is not None:
        _child(status, "statusMessage", answer.message)
    return _bytes(envelope)


def fault_kind(code: str) -> str:
    """``Server`` for system errors, ``Client`` for everything the sender can fix."""
    return "Server" if code in _SERVER_CODES else "Client"


def sunat_detail(error: SunatError, ticket: str | None = None) -> str | None:
    """What DataPower writes after `` - Detalle: ``: ``xxx.xxx.xxx value='ticket: … error: …'``."""
    if not error.detail:
        return None
    if error.code == "0111" or error.detail.startswith(("http://", "Rejected", "Incorrect")):
        return error.detail
    return f"xxx.xxx.xxx value='ticket: {ticket or ''} error: {error.detail}'"


#: What DataPower writes after `` - Detalle: `` when it refuses a call itself (observed_faults.csv).
_DATAPOWER_DETAILS = {"0111": "Rejected by policy."}


def _sunat_faultstring(error: SunatError, ticket: str | None) -> str:
    """SUNAT's faultstring: the catalog message `` - Detalle: `` something, as every billService fault
    observed has it (PROTOCOL.md §6.1).  A code with no detail of its own (one a scenario injects, an
    unexpected error's 0100) gets DataPower's own text for it, or the back end's
    ``xxx.xxx.xxx value='ticket: … error: NNNN'`` (the code alone, as a finding without a node writes it)."""
    detail = (sunat_detail(error, ticket) or _DATAPOWER_DETAILS.get(error.code)
              or f"xxx.xxx.xxx value='ticket: {ticket or ''} error: {error.code}'")
    return f"{error.message} - Detalle: {detail}"


def render_fault(error: SunatError, dialect: str, ticket: str | None = None) -> bytes:
    """The fault envelope of a SUNAT code, in the dialect asked for."""
    envelope, body = _datapower_envelope()
    fault = etree.SubElement(body, f"{{{ns.SOAP_ENV}}}Fault")
    if dialect == "sunat":
        _child(fault, "faultcode", f"soap-env:{fault_kind(error.code)}.{error.code}")
        _child(fault, "faultstring", _sunat_faultstring(error, ticket))
    else:
        detail = sunat_detail(error, ticket)
        _child(fault, "faultcode", f"soap-env:{fault_kind(error.code)}")
        _child(fault, "faultstring", error.code)
        holder = etree.SubElement(fault, "detail")
        message = etree.SubElement(holder, f"{{{ns.SUNAT_SERVICE}}}message", nsmap={None: ns.SUNAT_SERVICE})
        message.text = error.message + (f" - Detalle: {detail}" if detail else "")
    return _bytes(envelope)


def render_plain_fault(faultcode: str, faultstring: str) -> bytes:
    """A fault that carries no SUNAT code (unknown operation, not SOAP at all)."""
    envelope, body = _datapower_envelope()
    fault = etree.SubElement(body, f"{{{ns.SOAP_ENV}}}Fault")
    _child(fault, "faultcode", f"soap-env:{faultcode}")
    _child(fault, "faultstring", faultstring)
    return _bytes(envelope)


def status_line(code: int) -> str:
    """``"503 Service Unavailable"``; a status the standard library does not name (a scenario may ask
    for any) is ``"599 Error"``."""
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return f"{code} Error"
