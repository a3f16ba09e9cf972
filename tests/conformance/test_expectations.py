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


@pytest.mark.parametrize("named", ["as SUNAT names them", "otherwise"])
def test_numbers_and_correlativos_go_in_the_order_of_their_numbers(tmp_path, named):
    """RC-…-10 sorted before RC-…-2 by file name: the resumen that modifies a boleta went before the
    one that informs it (2663); F001-10 went before F001-9 likewise."""
    from osemock.conformance.factory import DocumentFactory
    from osemock.fixtures.summaries import RcLine, resumen_diario

    factory = DocumentFactory("20123456789", seed=4, start=9)
    day = factory.today
    files = {}
    for _ in range(2):
        number, files[number] = factory.factura()
    files["RC-2"] = resumen_diario(day, [RcLine("03", "B002-1", "1", "118.00")], number=2, reference_date=day)[1]
    files["RC-10"] = resumen_diario(day, [RcLine("03", "B002-1", "2", "100.00")], number=10, reference_date=day)[1]
    names = {"F001-9": "20123456789-01-F001-9", "F001-10": "20123456789-01-F001-10",
             "RC-2": f"20123456789-RC-{day:%Y%m%d}-2", "RC-10": f"20123456789-RC-{day:%Y%m%d}-10"}
    if named != "as SUNAT names them":
        names = {"F001-9": "z-factura", "F001-10": "a-factura", "RC-2": "z-first-summary", "RC-10": "a-second-summary"}
    for key, xml in files.items():
        (tmp_path / f"{names[key]}.xml").write_bytes(xml)
    assert [d.path.stem for d in load_corpus(tmp_path)] == [names[k] for k in ("F001-9", "F001-10", "RC-2", "RC-10")]


def test_a_document_that_cannot_be_read_goes_by_its_file_names_number(tmp_path):
    for name in ("20123456789-01-F001-10", "20123456789-01-F001-9", "20123456789-RC-20261120-10",
                 "20123456789-RC-20261120-2"):
        (tmp_path / f"{name}.xml").write_bytes(b"<Invoice")
    assert [d.path.stem for d in load_corpus(tmp_path)] == [
        "20123456789-01-F001-9", "20123456789-01-F001-10", "20123456789-RC-20261120-2", "20123456789-RC-20261120-10"]


def test_a_summary_numbered_past_any_correlativo_goes_after_the_days_others(tmp_path):
    """A resumen whose ID ends in thousands of digits (a corpus's garbled file) made loading the corpus
    raise int()'s ValueError; it goes after the day's other resúmenes, to get its code from the target."""
    from osemock.fixtures.summaries import RcLine, resumen_diario

    day = "2026-11-20"
    for number, name in ((2, "ordinary"), (3, "garbled")):
        xml = resumen_diario(day, [RcLine("03", "B002-1", "1", "118.00")], number=number, reference_date=day)[1]
        if name == "garbled":
            xml = xml.replace(b"RC-20261120-3<", b"RC-20261120-" + b"7" * 5000 + b"<")
        (tmp_path / f"{name}.xml").write_bytes(xml)
    assert [d.path.stem for d in load_corpus(tmp_path)] == ["ordinary", "garbled"]
