"""DocumentFactory (the ``ose_documents`` fixture): the notes it makes stand on the documents it made."""
from __future__ import annotations

from lxml import etree

from osemock.client import OseClient
from osemock.cpe import ns
from osemock.conformance.factory import DocumentFactory
from osemock.fixtures import emitter_keypair

RUC = "20123456789"


def _xpath(xml: bytes, path: str) -> list[str]:
    return etree.fromstring(xml).xpath(path, namespaces={"cac": ns.CAC, "cbc": ns.CBC})


def test_a_credit_note_gives_back_one_unit_of_the_documents_first_item(make_mock):
    """A credit note was built from a fresh random item, never on the document it modifies, and credited
    more than it in about a quarter of the seeds: 3286 on a factura, 4028 on a boleta."""
    mock = make_mock("sunat-beta")  # SUNAT's rows: a note above the document it modifies (an OSE skips them)
    client = OseClient(mock.url("/ol-ti-itcpfegem-beta/billService"), RUC, "MODDATOS", "moddatos",
                       certificate=emitter_keypair())
    answers = []
    for seed in range(5):
        factory = DocumentFactory(RUC, seed=seed, start=seed * 10 + 1)
        for make, type_code in ((factory.factura, "01"), (factory.boleta, "03")):
            number, xml = make(lines=2)
            _, note = factory.credit_note((type_code, number))
            item = "cac:Item/cbc:Description/text()"
            assert _xpath(note, f"cac:CreditNoteLine/{item}") == _xpath(xml, f"cac:InvoiceLine[1]/{item}")
            assert _xpath(note, "cac:CreditNoteLine/cbc:CreditedQuantity/text()") == ["1"]
            outcomes = client.send_bill(xml), client.send_bill(note)
            answers.extend((outcome.code, [found.code for found in outcome.observations]) for outcome in outcomes)
    assert answers == [("0", [])] * 20


def test_runs_a_moment_apart_and_workers_started_together_take_no_number_twice():
    """The numbers came from the clock's second, ten a second: a run of sixty documents and the next
    run a few seconds later, or xdist workers that started in the same second, reused numbers (1033)."""
    from osemock.conformance.factory import clock_start

    def numbers(now: float, count: int, worker: int = 0, workers: int = 1) -> set[str]:
        factory = DocumentFactory(RUC, start=clock_start(now), worker=worker, workers=workers)
        return {factory.next_id("F001") for _ in range(count)}

    started = 1_795_000_000.0
    first_run, next_run = numbers(started, 1000), numbers(started + 1.5, 1000)
    assert not first_run & next_run
    for apart in (0.0, 0.001, 0.002, 0.7):  # workers of one run, started together or a moment apart
        taken = [numbers(started + worker * apart, 250, worker, 4) for worker in range(4)]
        assert len(set().union(*taken)) == 1000, apart
    assert all(1 <= int(number.split("-")[1]) <= 99_999_999 for number in first_run | next_run)
    factory = DocumentFactory(RUC, start=7)  # a start given stands, one number after another
    assert [factory.next_id("F001") for _ in range(2)] == ["F001-7", "F001-8"]


def test_workers_started_together_name_their_summaries_apart():
    """A resumen's correlativo came from the second of the day and the factory's counter alone: two
    xdist workers sending a baja in the same second named it alike, and the second got 2223."""
    factories = [DocumentFactory(RUC, worker=worker, workers=3) for worker in range(3)]
    taken = [[factory.summary_number() for _ in range(5)] for factory in factories]
    assert len({number for numbers in taken for number in numbers}) == 15
    assert all(1 <= number <= 99_999 for numbers in taken for number in numbers)
    alone = DocumentFactory(RUC)
    first = alone.summary_number()
    assert alone.summary_number() > first  # one factory alone: one after another (a second may pass)


PARALLEL_SUITE = '''
import pytest

@pytest.mark.parametrize("n", range(int(__import__("os").environ.get("SENDS", "8"))))
def test_a_factura_is_accepted(ose_client, ose_documents, n):
    number, xml = ose_documents.factura()
    outcome = ose_client.send_bill(xml)
    assert outcome.accepted, (number, outcome.code, outcome.description)
'''


def test_runs_and_xdist_workers_against_one_osemock_send_fresh_numbers(tmp_path, make_mock, monkeypatch):
    from tests.conformance.helpers import run

    (tmp_path / "test_parallel.py").write_text(PARALLEL_SUITE, encoding="utf-8")
    target = ["--ose-target", make_mock().url()]
    monkeypatch.setenv("SENDS", "40")
    for options in ([], [], ["-n", "4"]):  # two runs back to back, then four workers at once
        result = run(["pytest", "-p", "no:cacheprovider", "-q", "test_parallel.py", *target, *options], tmp_path)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-1000:]
