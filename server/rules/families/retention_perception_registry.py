"""Retention and perception rows that judge the agent, the receiver or a contingency number against
SUNAT's lists, read from the registry (see README, "registry file").

A retention agent must be on padrón 03 (agentes de retención, 2617) and a perception agent on 01/02
(4285); a receiver the registry lists on a padrón draws the observations SUNAT gives (4091, 4089,
4090, 4086); with ``taxpayers_complete`` a receiver RUC the registry does not hold does not exist
(2621, 2605); a contingency number (serie starting with a digit) must be in the emitter's declared
physical or contingency receipts (3207), and so must a physical document a perception collects on
(3228).  A list the registry does not declare stays silent, as everything does offline.  The ubigeo
list SUNAT calls "Parámetros (016)" is catálogo 13 (2917).
"""
from __future__ import annotations

from typing import Any, Iterator

from lxml import etree

from osemock.cpe import ns
from osemock.cpe.numbers import correlativo, digits
from osemock.server.rules.backend import python_rule
from osemock.server.rules.catalogs import catalog
from osemock.server.rules.families.header_registry import _first, _on_padron
from osemock.server.rules.patterns import xp

Violations = Iterator[tuple[str, str]]
_RETENTION, _PERCEPTION = ("retencion",), ("percepcion",)
_BOTH = _RETENTION + _PERCEPTION
_AGENT = "cac:AgentParty/cac:PartyIdentification/cbc:ID"
_RECEIVER = "cac:ReceiverParty/cac:PartyIdentification/cbc:ID"


def _issued(root: etree._Element) -> str:
    return _first(root, "cbc:IssueDate")


def _padrones(source: Any, ruc: str) -> list[Any] | None:
    if source is None or source.store is None or not ruc:
        return None
    return source.store.padrones(ruc)


def _ubigeo_rule(party: str) -> None:
    @python_rule("2917", f"{party}/cac:PostalAddress/cbc:ID", sheets=_BOTH)
    def ubigeo_not_in_the_list(root: etree._Element, source: Any) -> Violations:
        codes = catalog("13")
        for node in xp(root, f"{party}/cac:PostalAddress/cbc:ID"):
            value = (node.text or "").strip()
            if value and value not in codes:
                yield "cac:PostalAddress/cbc:ID", value

    ubigeo_not_in_the_list.__doc__ = f"The {party} address's ubigeo is not in catálogo 13 (Parámetros 016)."


for _party in ("cac:AgentParty", "cac:ReceiverParty"):
    _ubigeo_rule(_party)


@python_rule("2617", "AgentParty/cac:PartyIdentification/cbc:ID", sheets=_RETENTION)
def retention_agent_not_designated(root: etree._Element, source: Any) -> Violations:
    """The agent is not on padrón 03 (agentes de retención) on the issue date."""
    agent = _first(root, _AGENT)
    padrones = _padrones(source, agent)
    if padrones is not None and not _on_padron(padrones, "03", _issued(root)):
        yield "cac:PartyIdentification/cbc:ID", agent


@python_rule("4285", "AgentParty/cac:PartyIdentification/cbc:ID", sheets=_PERCEPTION)
def perception_agent_not_designated(root: etree._Element, source: Any) -> Violations:
    """The agent is on neither padrón 01 nor 02 (agentes de percepción) on the issue date."""
    agent = _first(root, _AGENT)
    padrones = _padrones(source, agent)
    if padrones is not None and not any(_on_padron(padrones, p, _issued(root)) for p in ("01", "02")):
        yield "cac:PartyIdentification/cbc:ID", agent


def _receiver_on(codes: tuple[str, ...], code: str, sheets: tuple[str, ...], doc: str) -> None:
    @python_rule(code, "ReceiverParty/cac:PartyIdentification/cbc:ID", sheets=sheets)
    def receiver_on_padron(root: etree._Element, source: Any) -> Violations:
        receiver = _first(root, _RECEIVER)
        padrones = _padrones(source, receiver)
        if padrones is not None and any(_on_padron(padrones, p, _issued(root)) for p in codes):
            yield "cac:PartyIdentification/cbc:ID", receiver

    receiver_on_padron.__doc__ = doc


_receiver_on(("01", "02", "03", "10"), "4091", _RETENTION,
             "The retention's receiver is itself an agent or a buen contribuyente (padrón 01, 02, 03 or 10).")
_receiver_on(("03",), "4089", _PERCEPTION, "The perception's customer is on padrón 03.")
_receiver_on(("04",), "4090", _PERCEPTION, "The perception's customer is on padrón 04.")


@python_rule("4086", "ReceiverParty/cac:PartyIdentification/cbc:ID", sheets=_PERCEPTION)
def both_agents_of_perception(root: etree._Element, source: Any) -> Violations:
    """Agent and customer are both on padrón 02."""
    agent, receiver = _first(root, _AGENT), _first(root, _RECEIVER)
    agent_padrones, receiver_padrones = _padrones(source, agent), _padrones(source, receiver)
    if agent_padrones is None or receiver_padrones is None:
        return
    if _on_padron(agent_padrones, "02", _issued(root)) and _on_padron(receiver_padrones, "02", _issued(root)):
        yield "cac:PartyIdentification/cbc:ID", receiver


def _unknown_receiver(code: str, sheets: tuple[str, ...], ruc_only: bool) -> None:
    @python_rule(code, "ReceiverParty/cac:PartyIdentification/cbc:ID", sheets=sheets)
    def receiver_does_not_exist(root: etree._Element, source: Any) -> Violations:
        if source is None or source.store is None or not source.store.taxpayers_complete():
            return
        if ruc_only and _first(root, f"{_RECEIVER}/@schemeID") != "6":
            return
        receiver = _first(root, _RECEIVER)
        if receiver and source.store.taxpayer(receiver) is None:
            yield "cac:PartyIdentification/cbc:ID", receiver

    receiver_does_not_exist.__doc__ = "The receiver's RUC is not a contribuyente (the registry holds them all)."


_unknown_receiver("2621", _RETENTION, ruc_only=False)
_unknown_receiver("2605", _PERCEPTION, ruc_only=True)


def _own_receipt(root: etree._Element, source: Any, list_name: str, type_code: str, document_id: str) -> bool | None:
    serie, _, number = document_id.partition("-")
    if source is None or source.store is None or correlativo(number) is None:
        return None
    return source.store.receipt_authorized(_first(root, _AGENT), list_name, type_code, serie, correlativo(number))


@python_rule("3207", "cbc:ID", sheets=_BOTH)
def contingency_number_not_authorized(root: etree._Element, source: Any) -> Violations:
    """A contingency retention/perception (serie starting with a digit) outside the numbers the
    emitter declared (physical or contingency receipts)."""
    document_id = _first(root, "cbc:ID")
    if not digits(document_id[:1]):
        return
    type_code = "20" if etree.QName(root).localname == "Retention" else "40"
    answers = [_own_receipt(root, source, name, type_code, document_id) for name in ("physical_receipts", "contingency_receipts")]
    if any(a is False for a in answers) and not any(a is True for a in answers):
        yield "cbc:ID", document_id


@python_rule("3228", "SUNATPerceptionDocumentReference/cbc:ID", sheets=_PERCEPTION)
def perceived_physical_document_not_authorized(root: etree._Element, source: Any) -> Violations:
    """A perception collects on a physical document (serie starting with a digit) the emitter's
    authorised physical receipts do not include."""
    for reference in root.iterfind(f"{{{ns.SAC}}}SUNATPerceptionDocumentReference"):
        id_node = reference.find(f"{{{ns.CBC}}}ID")
        if id_node is None:
            continue
        document_id, type_code = (id_node.text or "").strip(), (id_node.get("schemeID") or "").strip()
        if type_code in ("01", "03", "07", "08") and digits(document_id[:1]) \
                and _own_receipt(root, source, "physical_receipts", type_code, document_id) is False:
            yield "sac:SUNATPerceptionDocumentReference/cbc:ID", document_id
