"""Sidecar expectations and the shipped samples: what the emitter-documents suite reads."""
from __future__ import annotations

import pytest

from osemock.client import Observation, Outcome, Status
from osemock.conformance.documents import Expectation, load_corpus, read_expectation
from osemock.fixtures import DOCUMENTS, signed_document
from osemock.server.rules.lint import lint
from tests.conformance.helpers import run


def test_sidecars_keep_codes_as_text(tmp_path):
    document = tmp_path / "20123456789-01-F001-9.xml"
    document.write_bytes(b"<Invoice/>")
    assert read_expectation(document) == Expectation("0")
    (tmp_path / "20123456789-01-F001-9.expected").write_text("0100\n", encoding="utf-8")
    assert read_expectation(document) == Expectation("0100")
    (tmp_path / "20123456789-01-F001-9.xml.expected").write_text(
        'code: "0"\nobservations: [4287]\nreason: bags\n', encoding="utf-8")  # the .xml.expected wins
    assert read_expectation(document) == Expectation("0", ("4287",), "bags")


def test_an_unreadable_sidecar_is_a_clear_error(tmp_path):
    (tmp_path / "20123456789-01-F001-9.xml").write_bytes(b"<Invoice/>")
    (tmp_path / "20123456789-01-F001-9.expected").write_text("code: [1, 2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not a code nor YAML"):
        load_corpus(tmp_path)
    result = run(["osemock", "check", "--emitter-xml", str(tmp_path)], tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stdout + result.stderr
    assert "not a code nor YAML" in result.stdout + result.stderr


@pytest.mark.parametrize("sidecar, message", [
    (b"\xff\xfe", "cannot read it"),
    (b"2O17", "'2O17' is not a SUNAT code"),
    (b"code: '0'\nobservations: [4287, x]\n", "observation 'x' is not a SUNAT code"),
    (b"code: '0'\nobservations: {a: 1}\n", "observations are a list of codes"),
])
def test_a_sidecar_that_is_no_expectation_is_a_clear_error(tmp_path, sidecar, message):
    """Before: a traceback (UnicodeDecodeError) or a document failed later against a code nobody answers."""
    (tmp_path / "20123456789-01-F001-9.xml").write_bytes(b"<Invoice/>")
    (tmp_path / "20123456789-01-F001-9.expected").write_bytes(sidecar)
    with pytest.raises(ValueError, match=message):
        load_corpus(tmp_path)


def test_a_folder_named_like_a_document_is_left_out(tmp_path):
    """It stopped the whole run with pytest's INTERNALERROR (IsADirectoryError)."""
    (tmp_path / "20123456789-01-F001-9.xml").write_bytes(b"<Invoice/>")
    (tmp_path / "old.xml").mkdir()
    assert [d.path.name for d in load_corpus(tmp_path)] == ["20123456789-01-F001-9.xml"]


def test_judging_an_outcome():
    accepted = Outcome(Status.OBSERVED, "0", "ok", [Observation("4287", "…")])
    assert Expectation().judge(accepted) is None
    assert Expectation("0", ("4287",)).judge(accepted) is None
    assert "4288" in Expectation("0", ("4288",)).judge(accepted)
    assert "expected 2017" in Expectation("2017").judge(accepted)
    assert "expected acceptance" in Expectation().judge(Outcome(Status.REJECTED, "3280", "mal"))


def test_the_corpus_goes_documents_first_summaries_last(tmp_path):
    for name in ("20123456789-RA-20261125-1", "20123456789-07-FC01-1", "20123456789-01-F001-2", "20123456789-03-B001-1"):
        (tmp_path / f"{name}.xml").write_bytes(b"<x/>")
    assert [d.type_code for d in load_corpus(tmp_path)] == ["01", "03", "07", "RA"]


def test_the_corpus_goes_in_the_order_its_documents_say_not_their_file_names(tmp_path):
    """Named the way the sidecar example names them (F001-9.xml), the order came from the name's
    second part ('9'), so a credit note FC01-2 went before its factura FF01-1 and got 2119."""
    from osemock.conformance.factory import DocumentFactory
    from osemock.fixtures.summaries import comunicacion_baja

    factory = DocumentFactory("20123456789", seed=3, start=1)
    factura, xml = factory.factura(serie="FF01")
    (tmp_path / f"{factura}.xml").write_bytes(xml)
    note, xml = factory.credit_note(("01", factura), serie="FC01")
    (tmp_path / f"{note}.xml").write_bytes(xml)
    other, xml = factory.factura(serie="F001")
    (tmp_path / f"{other}.xml").write_bytes(xml)
    name, baja = comunicacion_baja(factory.today, [("01", "F001", 3)], number=7, reference_date=factory.today)
    (tmp_path / "A-BAJA.xml").write_bytes(baja)  # sorts before every other name
    assert [(d.name, d.type_code) for d in load_corpus(tmp_path)] == [
        ("F001-3.xml", "01"), ("FF01-1.xml", "01"), ("FC01-2.xml", "07"), ("A-BAJA.xml", "RA")]


def test_fixtures_ship_a_valid_sample_of_every_type():
    samples = sorted(DOCUMENTS.glob("*.xml"))
    assert {p.stem.split("-")[1] for p in samples} >= {"01", "03", "07", "08", "20", "40", "RC", "RA", "RR"}
    for path in samples:
        result = lint(signed_document(path.name), path.name)
        assert result.accepted, (path.name, [(f.code, f.message) for f in result.findings])
