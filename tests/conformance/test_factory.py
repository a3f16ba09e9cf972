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
