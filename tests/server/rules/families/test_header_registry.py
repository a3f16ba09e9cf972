"""Proofs of the header rows that read SUNAT's lists from the registry: padrones, establishments and
the status of emitters and customers.  Silent when the registry does not declare the list."""
from __future__ import annotations

import sqlite3

import pytest

from osemock.server.store import Store

from ..proofs import codes_with_store

PROVEN_CODES = ("3097", "3281", "1086", "4013", "4014", "3239", "4199", "2010", "2011", "3207", "4204", "1083", "1080")

RUC, CUSTOMER = "20123456789", "20100070970"
FACTURA, BOLETA = "20123456789-01-F001-1.xml", "20123456789-03-B001-1.xml"
CREDIT = "20123456789-07-FC01-1.xml"
ADDRESS_TYPE = "/*/cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cac:RegistrationAddress/cbc:AddressTypeCode"


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "osemock.sqlite3")


def _codes(store: Store, base: str, steps: list[tuple] = ()) -> list[str]:
    return codes_with_store(store, base, steps, sender=RUC)


def _operation(code: str) -> list[tuple]:
    return [("set", "/*/cbc:ProfileID", code), ("set", "/*/cbc:InvoiceTypeCode/@listID", code)]


def _emitter(**lists) -> dict:
    return {"emitters": [{"ruc": RUC, "name": "EMPRESA DE PRUEBAS", **lists}]}


def test_export_of_services_needs_padron_05(store):
    store.seed_registry(_emitter(padrones=[]))
    assert "3097" in _codes(store, FACTURA, _operation("0201"))
    assert "3097" in _codes(store, BOLETA, _operation("0201"))
    store.seed_registry(_emitter(padrones=["05"]))
    assert "3097" not in _codes(store, FACTURA, _operation("0201"))


def test_tax_free_needs_padron_14(store):
    store.seed_registry(_emitter(padrones=[{"padron": "05"}]))
    assert "3281" in _codes(store, FACTURA, _operation("2106"))
    store.seed_registry(_emitter(padrones=["05", {"padron": 14}]))
    assert "3281" not in _codes(store, FACTURA, _operation("2106"))


def test_padrones_not_declared_are_unknown(store):
    store.seed_registry(_emitter())
    codes = _codes(store, FACTURA, _operation("0201")) + _codes(store, FACTURA, _operation("2106"))
    assert not {"3097", "3281", "1086"} & set(codes)


def test_emitter_without_operating_capacity(store):
    store.seed_registry(_emitter(padrones=[{"padron": "02", "from": "2020-01-01"}]))
    assert "1086" in _codes(store, FACTURA)
    assert "1086" in _codes(store, CREDIT)
    assert "1086" not in _codes(store, BOLETA)  # the boleta sheet has no such row
    store.seed_registry(_emitter(padrones=[{"padron": "02", "from": "2020-01-01", "to": "2020-12-31"}]))
    assert "1086" not in _codes(store, FACTURA)


def test_customer_status_and_condition_are_observations(store):
    store.seed_registry({"taxpayers": [{"ruc": CUSTOMER, "status": "BAJA DE OFICIO", "condition": "NO HABIDO"}]})
    codes = _codes(store, FACTURA)
    assert "4013" in codes and "4014" in codes
    store.seed_registry({"taxpayers": [{"ruc": CUSTOMER}]})
    codes = _codes(store, CREDIT)
    assert "4013" not in codes and "4014" not in codes


def test_unknown_customer_ruc_when_the_registry_holds_every_taxpayer(store):
    store.seed_registry({"taxpayers": [{"ruc": "20555555551"}]})
    assert "1083" not in _codes(store, FACTURA)  # the registry does not claim to hold them all
    store.seed_registry({"taxpayers_complete": True, **_emitter()})
    assert "1083" in _codes(store, FACTURA)
    assert "1083" in _codes(store, CREDIT)
    store.seed_registry({"taxpayers": [{"ruc": CUSTOMER}]})
    assert "1083" not in _codes(store, FACTURA)
    assert "1083" not in _codes(store, BOLETA)  # a DNI customer


def test_supervised_companies_send_their_operations_elsewhere(store):
    store.seed_registry(_emitter(padrones=["SEE-EMPRESAS-SUPERVISADAS"]))
    assert "1080" in _codes(store, FACTURA, _operation("2100"))
    assert "1080" in _codes(store, BOLETA, _operation("2101"))
    assert "1080" not in _codes(store, FACTURA)
    store.seed_registry(_emitter(padrones=[]))
    assert "1080" not in _codes(store, FACTURA, _operation("2100"))


def test_emitter_status_and_condition(store):
    store.seed_registry(_emitter(status="SUSPENSION TEMPORAL", condition="NO HABIDO"))
    codes = _codes(store, FACTURA)
    assert "2010" in codes and "2011" in codes


def test_establishment_must_be_registered(store):
    store.seed_registry(_emitter(establishments=["0001"]))
    assert "3239" in _codes(store, FACTURA, [("set", ADDRESS_TYPE, "0002")])
    assert "3239" in _codes(store, CREDIT, [("set", ADDRESS_TYPE, "0002")])
    assert "4199" in _codes(store, BOLETA, [("set", ADDRESS_TYPE, "0002")])
    contingency = _codes(store, FACTURA, [("set", "/*/cbc:ID", "0001-7"), ("set", ADDRESS_TYPE, "0002")])
    assert "4199" in contingency and "3239" not in contingency
    assert not {"3239", "4199"} & set(_codes(store, FACTURA, [("set", ADDRESS_TYPE, "0001")]))
    assert not {"3239", "4199"} & set(_codes(store, FACTURA))  # 0000, the domicilio fiscal


def test_establishments_not_declared_are_unknown(store):
    store.seed_registry(_emitter())
    assert not {"3239", "4199"} & set(_codes(store, FACTURA, [("set", ADDRESS_TYPE, "0002")]))


def test_contingency_receipts_must_be_authorized(store):
    store.seed_registry(_emitter(physical_receipts=[{"type": "01", "serie": "0001", "from": 1, "to": 500}],
                                 contingency_receipts=[{"serie": "0001", "from": 1, "to": 50}]))
    assert not {"3207", "4204"} & set(_codes(store, FACTURA, [("set", "/*/cbc:ID", "0001-20")]))
    late = _codes(store, FACTURA, [("set", "/*/cbc:ID", "0001-120")])
    assert "4204" in late and "3207" not in late
    unknown = _codes(store, BOLETA, [("set", "/*/cbc:ID", "0001-20")])  # the physical range is of facturas
    assert "3207" in unknown and "4204" not in unknown
    assert "3207" in _codes(store, CREDIT, [("set", "/*/cbc:ID", "0002-1")])
    assert not {"3207", "4204"} & set(_codes(store, FACTURA))  # electronic series are not judged


def test_receipt_lists_not_declared_are_unknown(store):
    store.seed_registry(_emitter())
    assert not {"3207", "4204"} & set(_codes(store, FACTURA, [("set", "/*/cbc:ID", "0001-20")]))


def test_a_store_of_the_previous_schema_still_opens(tmp_path):
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE emitters (ruc TEXT PRIMARY KEY, name TEXT NOT NULL DEFAULT '', "
                   "status TEXT NOT NULL DEFAULT 'ACTIVO', condition TEXT NOT NULL DEFAULT 'HABIDO')")
        db.execute("INSERT INTO emitters (ruc) VALUES (?)", (RUC,))
    store = Store(path)
    assert store.emitter(RUC)["status"] == "ACTIVO"
    assert store.padrones(RUC) is None and store.establishments(RUC) is None
    store.seed_registry(_emitter(padrones=["05"], establishments=[1]))
    assert [row["padron"] for row in store.padrones(RUC)] == ["05"]
    assert store.establishments(RUC) == {"0001"}
