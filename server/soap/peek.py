"""What the journal and the scenarios read of a SOAP envelope before spyne processes it.

The journal files a request under its operation and file name, and a scenario matches it by
operation, RUC, type, serie and number: both are read here once, cheaply (the username and the
answer's fault code by byte search), so a request the engine refuses, or a scenario answers in the
engine's place, is still journaled and matched by what it was about.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lxml import etree

from osemock.cpe.naming import document_base, parse_zip_name
from osemock.cpe.numbers import correlativo, digits
from osemock.server.admin.scenarios import Target


@dataclass(frozen=True)
class Peeked:
    """What the journal and the scenarios need from an envelope, read once without processing it."""

    operation: str | None = None
    file_name: str | None = None
    username: str | None = None
    ruc: str | None = None
    type_code: str | None = None
    serie: str | None = None
    numero: int | None = None

    @property
    def scenario_target(self) -> Target:
        return Target(self.operation, self.ruc, self.type_code, self.serie, self.numero)

    @property
    def journaled(self) -> tuple[str | None, str | None]:
        """Operation and the name the journal files the request under: its fileName, or for a lookup
        the document it asks about (so the portal's timeline finds it)."""
        name = self.file_name
        if name is None and self.operation in _LOOKUPS and self.ruc and self.type_code and self.serie and self.numero:
            name = document_base(self.ruc, self.type_code, self.serie.upper(), self.numero)
        return self.operation, name


#: Operations that ask about one document by RUC, type, serie and number.
_LOOKUPS = ("getStatusCdr", "getStatusAR", "getStatus")


def peek_target(body: bytes) -> Peeked:
    """Operation, fileName and the document it is about (from the file name, getStatusCdr's fields or
    the user's RUC), without a second full parse."""
    try:
        root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False))
    except etree.XMLSyntaxError:
        return Peeked()
    body_el = root.find("{http://schemas.xmlsoap.org/soap/envelope/}Body")
    if body_el is None or len(body_el) == 0 or not isinstance(body_el[0].tag, str):
        return Peeked()
    return target_of(body_el[0], body)


def target_of(call: Any, body: bytes) -> Peeked:
    """What :func:`peek_target` says, from the call element the screen already parsed."""
    operation, file_name, username = etree.QName(call).localname, call.findtext("fileName"), peek_username(body)
    fields = {etree.QName(el).localname: (el.text or "").strip() for el in call.iter() if isinstance(el.tag, str)}
    ruc = type_code = serie = None
    numero: int | None = None
    if file_name:
        try:
            name = parse_zip_name(file_name)
            ruc, type_code, serie, numero = name.ruc, name.type_code, name.serie, name.numero
        except Exception:  # a bad name is the engine's to answer (0151); it still matches by operation
            pass
    elif fields.get("rucComprobante"):
        ruc, type_code, serie = fields.get("rucComprobante"), fields.get("tipoComprobante"), fields.get("serieComprobante")
        numero = correlativo(fields.get("numeroComprobante"))
    if ruc is None and username and digits(username[:11]):
        ruc = username[:11]
    return Peeked(operation, file_name, username, ruc, type_code, serie, numero)


def peek_username(body: bytes) -> str | None:
    start = body.find(b"Username>")
    if start < 0:
        return None
    end = body.find(b"<", start)
    return body[start + 9:end].decode("utf-8", "replace").strip() or None


def peek_outcome(payload: bytes) -> str:
    """The journal's outcome of an answer: ``ok`` or ``fault:NNNN``, the code read where the dialect puts
    it (SUNAT's ``faultcode`` ``soap-env:Client.1033``; an OSE's ``faultstring``).  Reading the
    faultstring alone journaled a SUNAT fault as ``fault:El c``, its message's first letters."""
    if b"Fault>" not in payload:
        return "ok"
    code = _FAULT_CODE.search(payload)
    return "fault:" + (code[1] or code[2]).decode("ascii") if code else "fault"


_FAULT_CODE = re.compile(rb"<faultcode>[^<]*\.(\d{4})</faultcode>|<faultstring>(\d{4})</faultstring>")
