"""Rows SUNAT applies and an OSE does not ("Validación no aplica para OSE"): silent at the OSE
profile, firing at SUNAT's, judged against a real store."""
from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import pytest

from osemock.cpe.document import read_header
from osemock.cpe.xmlparse import parse_xml
from osemock.fixtures import signed_document
from osemock.fixtures.summaries import resumen_reversiones
from osemock.server.clock import LIMA
from osemock.server.engine.validation import CheckInput
from osemock.server.rules.engine import findings
from osemock.server.store import Store

PROVEN_CODES = ("2308", "2345", "2958", "2398", "3286", "4028", "3320")
RUC = "20123456789"


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "osemock.sqlite3")


def _codes(store: Store, xml: bytes, channel: str, now: str = "2026-11-20T12:00:00") -> list[str]:
    root = parse_xml(xml)
    profile = SimpleNamespace(channel=channel, max_days_late=30, check_note_references=False)
    source = CheckInput(root, read_header(root), RUC, store=store, profile=profile,
                        now=datetime.fromisoformat(now).replace(tzinfo=LIMA))
    return [f.code for f in findings(root, source.header.type_code, source)]


def _stored(store: Store, type_code: str, serie: str, numero: int, status: str = "accepted", payable: str = "10.00"):
    store.add_document({"emitter_ruc": RUC, "type_code": type_code, "serie": serie, "numero": numero, "status": status,
                        "response_code": "0", "file_name": f"{serie}-{numero}.zip", "payable_amount": payable,
                        "issue_date": "2026-11-20", "received_at": "2026-11-20T10:00:00-05:00",
                        "responded_at": "2026-11-20T10:00:00-05:00"})


def test_reversion_rows_at_sunat_only(store):
    _, guia = resumen_reversiones("2026-11-20", [("09", "T001", 1)])
    assert "2308" in _codes(store, guia, "sunat")
    assert "2308" not in _codes(store, resumen_reversiones("2026-11-20", [("20", "R001", 1)])[1], "sunat")
    _, bad_serie = resumen_reversiones("2026-11-20", [("04", "X001", 1)])
    assert "2345" in _codes(store, bad_serie, "sunat")
    assert "2345" not in _codes(store, bad_serie, "ose")


def test_liquidacion_reversed_late_or_rejected(store):
    _, late = resumen_reversiones("2026-11-20", [("04", "L001", 1)], reference_date="2026-11-10")
    assert "2958" in _codes(store, late, "sunat")
    assert "2958" not in _codes(store, late, "sunat", now="2026-11-15T12:00:00")
    _stored(store, "04", "L001", 2, status="rejected")
    _, rejected = resumen_reversiones("2026-11-20", [("04", "L001", 2)])
    assert "2398" in _codes(store, rejected, "sunat")


@pytest.mark.parametrize("note, modified, code", [
    (f"{RUC}-07-FC01-1.xml", ("01", "F001", 1), "3286"),
    (f"{RUC}-07-BC01-1.xml", ("03", "B001", 1), "4028"),
    (f"{RUC}-07-FC01-13.xml", ("01", "F001", 7), "3320"),
])
def test_notes_above_what_they_modify(store, note, modified, code):
    _stored(store, *modified, payable="0.50")
    xml = signed_document(note, issue_date="2026-11-20")
    assert code in _codes(store, xml, "sunat")
    assert code not in _codes(store, xml, "ose")


def test_a_note_within_its_document_is_fine(store):
    _stored(store, "01", "F001", 1, payable="100000.00")
    assert "3286" not in _codes(store, signed_document(f"{RUC}-07-FC01-1.xml", issue_date="2026-11-20"), "sunat")
