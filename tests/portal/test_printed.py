"""The printed PDF: its text, and its QR code read back from the image and compared with SUNAT's text."""
from __future__ import annotations

import io

import pypdf
import pytest
import requests
import segno

from osemock.server.portal.printed import read_printed

from tests.admin.conftest import DAY, RUC


def qr_modules(image) -> list[list[bool]]:
    """The module matrix of a QR image drawn with a 4-module quiet zone (dark = True)."""
    gray = image.convert("L")
    width, _ = gray.size
    # the top-left finder pattern starts on the diagonal after the 4-module quiet zone
    first_dark = next(i for i in range(width) if gray.getpixel((i, i)) < 128)
    module = first_dark / 4
    count = round(width / module)
    return [[gray.getpixel((int((c + 0.5) * module), int((r + 0.5) * module))) < 128 for c in range(4, count - 4)]
            for r in range(4, count - 4)]


def test_pdf_carries_the_document_and_sunats_qr(filled):
    answer = requests.get(filled.url(f"/documents/{filled.ids[1]}/pdf"), timeout=10)
    assert answer.headers["Content-Type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(answer.content))
    text = reader.pages[0].extract_text()
    assert f"RUC {RUC}" in text and "FACTURA ELECTR" in text and "F001-00000001" in text and "354.00" in text

    printed = read_printed(filled.app.engine.store.document(RUC, "01", "F001", 1)["xml"])
    digest = filled.app.engine.store.document(RUC, "01", "F001", 1)["document_hash"]
    assert printed.qr_text == f"{RUC}|01|F001|1|54.00|354.00|{DAY}|6|20100070970|{digest}"
    assert digest and digest in text

    images = reader.pages[0].images
    assert len(images) == 1
    drawn = qr_modules(images[0].image)
    expected = [[bool(m) for m in row] for row in segno.make(printed.qr_text, error="q", micro=False).matrix]
    assert drawn == expected


@pytest.mark.parametrize("name, title", [
    ("20123456789-03-B001-1.xml", "BOLETA DE VENTA ELECTR"), ("20123456789-07-FC01-1.xml", "NOTA DE CR"),
    ("20123456789-08-FD01-1.xml", "NOTA DE D"), ("20123456789-20-R001-1.xml", "RETENCI"),
    ("20123456789-40-P001-1.xml", "PERCEPCI"),
])
def test_every_document_type_prints(name, title):
    from osemock.fixtures import signed_document
    from osemock.server.portal.printed import render_pdf

    printed = read_printed(signed_document(name, issue_date=DAY))
    assert printed.qr_text.startswith(f"{RUC}|{name.split('-')[1]}|{name.split('-')[2]}|") and printed.digest
    text = pypdf.PdfReader(io.BytesIO(render_pdf(printed, "ACEPTADO"))).pages[0].extract_text()
    assert title in text and printed.total in text


def test_a_rejected_document_with_fields_no_page_can_hold_still_prints(mock):
    """A rejected document is stored as sent, so its XML holds what SUNAT would never accept: a currency
    outside the PDF fonts' Latin-1, a description taller than a page, a buyer's number too long for any
    QR.  The portal serves no printed form of a rejected document; the renderer, given one, prints what
    fits and says what it left out."""
    from osemock.server.portal.printed import render_pdf
    from lxml import etree

    from osemock.cpe import ns
    from osemock.cpe.signature import sign
    from osemock.fixtures import dated, document_bytes, emitter_keypair

    root = dated(etree.fromstring(document_bytes(f"{RUC}-01-F001-1.xml")), DAY)
    root.find(f"{{{ns.CBC}}}DocumentCurrencyCode").text = "€UR"
    root.find(f"{{{ns.CAC}}}InvoiceLine/{{{ns.CAC}}}Item/{{{ns.CBC}}}Description").text = "X" * 20000
    root.find(f"{{{ns.CAC}}}AccountingCustomerParty//{{{ns.CAC}}}PartyIdentification/{{{ns.CBC}}}ID").text = "9" * 5000
    outcome = mock.client().send_bill(etree.tostring(sign(root, emitter_keypair()), xml_declaration=True, encoding="UTF-8"))
    assert outcome.status == "rejected", outcome

    stored = mock.app.engine.store.query("SELECT id, xml FROM documents")[0]
    assert requests.get(mock.url(f"/documents/{stored['id']}/pdf"), timeout=30).status_code == 404
    reader = pypdf.PdfReader(io.BytesIO(render_pdf(read_printed(stored["xml"]), "RECHAZADO")))
    text = " ".join(page.extract_text() for page in reader.pages)
    unwrapped = "".join(text.split())
    assert "IMPORTETOTAL?UR354.00" in unwrapped and "SincódigoQR" in unwrapped
    assert "X" * 490 + "..." in unwrapped and "X" * 500 not in unwrapped
    assert not any(page.images for page in reader.pages)


def test_a_stored_xml_damaged_after_it_was_taken_is_a_clear_422_not_a_500(mock):
    """The store's XML was parsed when sendBill took it; a file damaged since (a hand-edited store, a
    truncated import) is said to be unreadable, not answered with a traceback's 500."""
    from lxml import etree

    from osemock.cpe.signature import sign
    from osemock.fixtures import dated, document_bytes, emitter_keypair

    root = dated(etree.fromstring(document_bytes(f"{RUC}-01-F001-1.xml")), DAY)
    outcome = mock.client().send_bill(etree.tostring(sign(root, emitter_keypair()), xml_declaration=True, encoding="UTF-8"))
    assert outcome.status == "accepted", outcome
    store = mock.app.engine.store
    stored = store.query("SELECT id, xml FROM documents")[0]
    with store.transaction() as db:
        db.execute("UPDATE documents SET xml=? WHERE id=?", (bytes(stored["xml"])[:200], stored["id"]))

    answer = requests.get(mock.url(f"/documents/{stored['id']}/pdf"), timeout=30)
    assert answer.status_code == 422 and "no se puede leer" in answer.text
