"""The header rows fed by the registry file, over real HTTP: a padrón rejects, a customer's status is
an observation in the CDR (issue: header family)."""
from __future__ import annotations

import base64

from osemock.cpe.archive import first_xml, write_document_zip
from osemock.fixtures import signed_document

from .test_codes import BASE, RUC, assert_fault, send


def _factura_zip() -> bytes:
    return write_document_zip(f"{BASE}.xml", signed_document(f"{BASE}.xml"))


def _mock(make_mock, tmp_path, registry: str):
    path = tmp_path / "registry.yaml"
    path.write_text(registry)
    return make_mock("ose", registry=path)


def test_emitter_without_operating_capacity_is_rejected(make_mock, tmp_path):
    mock = _mock(make_mock, tmp_path, f"""
emitters:
  - ruc: "{RUC}"
    padrones:
      - {{padron: "02", from: "2020-01-01"}}
""")
    assert_fault(send(mock, f"{BASE}.zip", _factura_zip()), "1086", mock)


def test_customer_not_active_is_an_observation(make_mock, tmp_path):
    mock = _mock(make_mock, tmp_path, """
taxpayers:
  - {ruc: "20100070970", status: BAJA DE OFICIO}
""")
    reply = send(mock, f"{BASE}.zip", _factura_zip())
    assert reply.status == 200, reply.body
    _, xml = first_xml(base64.b64decode(reply.text("applicationResponse")))
    assert b"4013" in xml and b"4014" not in xml
