"""Proofs of the retention and perception rows that read SUNAT's lists from the registry (a real
SQLite store): the agents' padrones, the receiver's, contingency numbers, ubigeos.  Silent when the
registry does not declare the list."""
from __future__ import annotations

import pytest

from osemock.server.store import Store

from ..proofs import codes_with_store

PROVEN_CODES = ("2917", "2617", "4285", "4091", "4089", "4090", "4086", "2621", "2605", "3207", "3228")
AGENT, RECEIVER = "20123456789", "20100070970"
RETENTION, PERCEPTION = "20123456789-20-R001-1.xml", "20123456789-40-P001-1.xml"


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "osemock.sqlite3")


def _codes(store: Store, base: str, steps: list[tuple] = ()) -> list[str]:
    return codes_with_store(store, base, steps, sender=AGENT, max_days_late=30)


def _registry(agent_padrones=None, receiver_padrones=None, complete=False, **lists) -> dict:
    emitter = {"ruc": AGENT, "name": "EMPRESA DE PRUEBAS", **lists}
    if agent_padrones is not None:
        emitter["padrones"] = agent_padrones
    receiver = {"ruc": RECEIVER, "name": "CLIENTE"}
    if receiver_padrones is not None:
        receiver["padrones"] = receiver_padrones
    return {"emitters": [emitter], "taxpayers": [receiver], "taxpayers_complete": complete}


def test_silent_without_lists(store):
    assert _codes(store, RETENTION) == [] and _codes(store, PERCEPTION) == []


def test_agents_must_be_designated(store):
    store.seed_registry(_registry(agent_padrones=[]))
    assert "2617" in _codes(store, RETENTION)
    assert "4285" in _codes(store, PERCEPTION)
    store.seed_registry(_registry(agent_padrones=["03", "01"]))
    assert not {"2617", "4285"} & set(_codes(store, RETENTION) + _codes(store, PERCEPTION))


@pytest.mark.parametrize("base, padron, code", [
    (RETENTION, "02", "4091"), (RETENTION, "10", "4091"), (PERCEPTION, "03", "4089"), (PERCEPTION, "04", "4090"),
])
def test_receivers_on_a_padron(store, base, padron, code):
    store.seed_registry(_registry(agent_padrones=["01", "03"], receiver_padrones=[padron]))
    assert code in _codes(store, base)


def test_both_on_padron_02(store):
    store.seed_registry(_registry(agent_padrones=["02"], receiver_padrones=["02"]))
    assert "4086" in _codes(store, PERCEPTION)
    store.seed_registry(_registry(agent_padrones=["02"], receiver_padrones=["04"]))
    assert "4086" not in _codes(store, PERCEPTION)


def test_unknown_receiver_when_the_registry_holds_every_taxpayer(store):
    other = [("set", "/*/cac:ReceiverParty/cac:PartyIdentification/cbc:ID", "20999999991")]
    store.seed_registry(_registry())
    assert "2621" not in _codes(store, RETENTION, other)  # the registry does not claim to know them all
    store.seed_registry(_registry(complete=True))
    assert "2621" in _codes(store, RETENTION, other)
    assert "2605" in _codes(store, PERCEPTION, other)
    assert "2621" not in _codes(store, RETENTION)


def test_ubigeo_outside_catalog_13(store):
    assert "2917" in _codes(store, RETENTION, [("set", "/*/cac:AgentParty/cac:PostalAddress/cbc:ID", "999999")])
    assert "2917" in _codes(store, PERCEPTION, [("set", "/*/cac:ReceiverParty/cac:PostalAddress/cbc:ID", "999999")])


def test_contingency_numbers(store):
    contingency = [("set", "/*/cbc:ID", "0001-7")]
    assert "3207" not in _codes(store, RETENTION, contingency)  # nothing declared: silent
    store.seed_registry(_registry(contingency_receipts=[{"serie": "0001", "from": 1, "to": 5}]))
    assert "3207" in _codes(store, RETENTION, contingency)
    store.seed_registry(_registry(contingency_receipts=[{"serie": "0001", "from": 1, "to": 50}]))
    assert "3207" not in _codes(store, RETENTION, contingency)


def test_perception_on_an_unauthorised_physical_document(store):
    physical = [("set", "/*/sac:SUNATPerceptionDocumentReference/cbc:ID", "0001-900")]
    store.seed_registry(_registry(physical_receipts=[{"type": "01", "serie": "0001", "from": 1, "to": 500}]))
    assert "3228" in _codes(store, PERCEPTION, physical)
    assert "3228" not in _codes(store, PERCEPTION, [("set", "/*/sac:SUNATPerceptionDocumentReference/cbc:ID", "0001-90")])
