"""Portal pages over real HTTP: the list and its filters, a document, downloads, the consult, the registry."""
from __future__ import annotations

import io
import zipfile

import pytest
import requests
from lxml import html

from tests.admin.conftest import DAY, RUC


def page(mock, path: str, **params):
    answer = requests.get(mock.url(path), params=params, timeout=10)
    assert answer.status_code == 200, answer.text
    return html.fromstring(answer.text)


def listed(mock, **params) -> list[str]:
    return [a.text for a in page(mock, "/", **params).xpath('//table[@id="documents"]//td[1]/a')]


def test_documents_list_and_filters(filled):
    assert sorted(listed(filled)) == [f"{RUC}-01-F001-{n}" for n in (1, 4, 5)]
    assert listed(filled, outcome="rejected") == [f"{RUC}-01-F001-5"]
    assert listed(filled, outcome="observed") == [f"{RUC}-01-F001-4"]
    assert listed(filled, outcome="accepted") == [f"{RUC}-01-F001-1"]
    assert listed(filled, numero="4") == [f"{RUC}-01-F001-4"]
    assert listed(filled, numero="9" * 25) == []  # past SQLite's integers: no document, not a 500
    assert listed(filled, numero="9" * 5000) == []  # past int()'s 4,300 digits too
    assert listed(filled, ruc="20999999999") == []
    assert len(listed(filled, type="01", serie="f001", **{"from": DAY, "to": DAY})) == 3
    assert listed(filled, **{"from": "2026-11-21"}) == []


@pytest.mark.parametrize("numero, shown", [
    ("F001-4", [4]), ("f001-4", [4]), ("F001 - 00000004", [4]), (f"{RUC}-01-F001-4", [4]),
    ("F002-4", []), (f"{RUC}-03-F001-4", []), ("F001-" + "9" * 5000, []),
])
def test_the_number_filter_takes_serie_and_number(filled, numero, shown):
    """The Número field skipped anything but digits, so "F001-4" listed every document."""
    found = page(filled, "/", numero=numero)
    assert [a.text for a in found.xpath('//table[@id="documents"]//td[1]/a')] == [f"{RUC}-01-F001-{n}" for n in shown]
    assert not found.xpath('//*[@id="filter-problem"]')


@pytest.mark.parametrize("numero", ["abc", "F001-", "F001-4x", "F0001-4", "\u00b2"])
def test_a_number_filter_that_names_no_number_lists_nothing_and_says_why(filled, numero):
    """"abc" listed every document, as if the field were empty."""
    found = page(filled, "/", numero=numero)
    assert found.xpath('//table[@id="documents"]//td[1]/a') == []
    problem = found.xpath('string(//*[@id="filter-problem"])')
    assert numero in problem and "F001-123" in problem, problem


def test_document_page_shows_findings_xml_cdr_and_timeline(filled):
    doc = page(filled, f"/documents/{filled.ids[5]}")
    assert doc.xpath('//table[@id="findings"]//td[1]/text()') == ["2017"]
    assert "cbc:PayableAmount" in doc.xpath('string(//pre[@id="document-xml"])')
    timeline = doc.xpath('//table[@id="timeline"]//td[2]//text()')
    assert "sendBill" in timeline
    observed = page(filled, f"/documents/{filled.ids[4]}")
    assert observed.xpath('//table[@id="findings"]//td[1]/text()') == ["4287"]
    assert "ApplicationResponse" in observed.xpath('string(//pre[@id="cdr-xml"])')


def test_timeline_holds_this_number_only_with_its_lookups(filled):
    """F001-1's timeline listed F001-10's sendBill (a file-name prefix) and never its getStatusCdr."""
    from tests.admin.conftest import factura

    client = filled.client()
    assert client.send_bill(factura(10)).accepted
    assert client.get_status_cdr(RUC, "01", "F001", 1).accepted
    doc = page(filled, f"/documents/{filled.ids[1]}")
    rows = [[cell.text_content().strip() for cell in row.xpath("td")] for row in doc.xpath('//table[@id="timeline"]//tr[td]')]
    assert [row[1] for row in rows] == ["sendBill", "getStatusCdr"], rows
    assert all(f"{RUC}-01-F001-10" not in " ".join(row) for row in rows)


def test_timeline_dates_a_void_when_its_ticket_settled_and_keeps_date_order(filled):
    """The baja's event carried the document's own response time (two days before the RA) and came
    last, after lookups made once it was voided: it carries its ticket's processed_at now, in date order."""
    from osemock.fixtures.summaries import comunicacion_baja

    client = filled.client()
    filled.admin.advance(days=1)
    client.get_status_cdr(RUC, "01", "F001", 1)  # on the 21st, before the baja
    filled.admin.advance(days=1)
    _, baja = comunicacion_baja("2026-11-22", [("01", "F001", 1)], reference_date=DAY)
    ticket = client.send_summary(baja).ticket
    assert client.get_status(ticket, wait=True, interval=0.1).accepted
    filled.admin.advance(hours=1)
    client.get_status_cdr(RUC, "01", "F001", 1)
    doc = page(filled, f"/documents/{filled.ids[1]}")
    rows = [[cell.text_content().strip() for cell in row.xpath("td")] for row in doc.xpath('//table[@id="timeline"]//tr[td]')]
    assert [row[1] for row in rows] == ["sendBill", "getStatusCdr", "dado de baja por el ticket", "getStatusCdr"], rows
    processed = filled.app.engine.store.query("SELECT processed_at FROM tickets WHERE ticket=?", (ticket,))[0][0]
    assert rows[2][0] == processed[:19].replace("T", " ") and rows[2][0].startswith("2026-11-22"), rows
    assert rows[2][2] == ticket


def test_downloads(filled):
    base = f"{RUC}-01-F001-1"
    sent = requests.get(filled.url(f"/documents/{filled.ids[1]}/zip"), timeout=10)
    assert sent.headers["Content-Disposition"] == f'attachment; filename="{base}.zip"'
    assert zipfile.ZipFile(io.BytesIO(sent.content)).namelist() == [f"{base}.xml"]
    xml = requests.get(filled.url(f"/documents/{filled.ids[1]}/xml"), timeout=10)
    assert xml.content.startswith(b"<?xml") and xml.headers["Content-Type"].startswith("application/xml")
    cdr = requests.get(filled.url(f"/documents/{filled.ids[1]}/cdr"), timeout=10)
    assert zipfile.ZipFile(io.BytesIO(cdr.content)).namelist()[-1] == f"R-{base}.xml"
    assert requests.get(filled.url("/documents/999"), timeout=10).status_code == 404
    assert requests.get(filled.url(f"/documents/{filled.ids[1]}/exe"), timeout=10).status_code == 404


@pytest.mark.parametrize("data, state", [
    ({"issue_date": DAY, "total": "354.00"}, "accepted"),
    ({"issue_date": DAY, "total": "354"}, "accepted"),
    ({"issue_date": "2026-11-19", "total": "354.00"}, "mismatch"),
    ({"issue_date": DAY, "total": "300.00"}, "mismatch"),
    ({"issue_date": DAY, "total": "354.00 "}, "accepted"),
    ({"issue_date": DAY, "total": "3.5400E+02"}, "mismatch"),   # no amount SUNAT writes: it matched
    ({"issue_date": DAY, "total": "3_54.00"}, "mismatch"),
    ({"issue_date": DAY, "total": "\u0663\u0665\u0664.\u0660\u0660"}, "mismatch"),
    ({"type": " 01 ", "serie": " F001 ", "numero": " 1 ", "ruc": f" {RUC} "}, "accepted"),  # " 01" was "no existe"
    ({"numero": "77"}, "not-found"),
    ({"numero": "uno"}, "error"),
    ({"numero": "\u00b2"}, "error"),
    ({"numero": "9" * 25}, "not-found"),
    ({"numero": "9" * 5000}, "not-found"),
    ({"ruc": "123"}, "error"),
])
def test_consult_like_sunat(filled, data, state):
    form = {"ruc": RUC, "type": "01", "serie": "F001", "numero": "1", **data}
    answer = requests.post(filled.url("/consult"), data=form, timeout=10)
    assert answer.status_code == 200
    badge = html.fromstring(answer.text).xpath('//div[@id="answer"]/span/@class')
    assert badge == [f"badge {state}"]


def test_consult_reports_a_rejected_document(filled):
    answer = requests.post(filled.url("/consult"), data={"ruc": RUC, "type": "01", "serie": "F001", "numero": "5"}, timeout=10)
    assert "fue rechazado" in answer.text


def test_a_rejected_document_offers_no_printed_representation(filled):
    """A rejected CPE has no valid printed form, but the consult and the document page offered its PDF,
    with SUNAT's QR, and the route served it."""
    answer = requests.post(filled.url("/consult"), data={"ruc": RUC, "type": "01", "serie": "F001", "numero": "5"}, timeout=10)
    card = html.fromstring(answer.text).xpath('//div[@id="answer"]')[0]
    assert not card.xpath('.//a[contains(., "Representación impresa")]')
    assert "rechazado" in card.xpath('string(.//*[@id="not-printable"])')
    doc = page(filled, f"/documents/{filled.ids[5]}")
    assert not doc.xpath('//a[contains(., "Representación impresa")]') and doc.xpath('//a[contains(., "XML")]')
    printed = requests.get(filled.url(f"/documents/{filled.ids[5]}/pdf"), timeout=10)
    assert printed.status_code == 404 and "application/pdf" not in printed.headers["Content-Type"]
    assert "rechazado" in printed.text
    accepted = page(filled, f"/documents/{filled.ids[1]}")
    assert accepted.xpath('//a[contains(., "Representación impresa")]')


def test_a_boleta_informed_only_in_a_resumen_is_said_so(filled):
    """A boleta an RC informed has no CDR of its own (getStatusCdr: 0127 "El comprobante no existe"),
    yet the portal called it "informado y aceptado" with nothing more; it now says where it was informed
    and that it has no CDR of its own.  The SOAP answer stays as it was."""
    from osemock.fixtures.summaries import RcLine, resumen_diario

    client = filled.client()
    _, summary = resumen_diario(DAY, [RcLine("03", "B001-7", "1", "59.00")])
    ticket = client.send_summary(summary).ticket
    assert client.get_status(ticket, wait=True, interval=0.1).accepted
    assert client.get_status_cdr(RUC, "03", "B001", 7).code == "0127"
    badge, text = _answer_card(filled, ruc=RUC, type="03", serie="B001", numero="7", issue_date=DAY, total="59.00")
    assert badge == "badge accepted" and "resumen diario" in text and ticket in text and "sin CDR propio" in text, text
    document_id = filled.app.engine.store.document(RUC, "03", "B001", 7)["id"]
    facts = " ".join(page(filled, f"/documents/{document_id}").xpath('string(//dl[@class="facts"])').split())
    assert "sin CDR propio" in facts and ticket in facts, facts
    badge, text = _answer_card(filled, ruc=RUC, type="01", serie="F001", numero="1")
    assert "sin CDR propio" not in text and "informado y aceptado" in text


def test_emitters_and_journal(filled):
    filled.admin.seed({"emitters": [{"ruc": "20999999999", "name": "PSE DE PRUEBA SAC", "pse_for": [RUC],
                                     "users": [{"user": "ENVIOS", "password": "secreto"}]}]})
    rows = page(filled, "/emitters").xpath('//table[@id="emitters"]/tbody/tr')
    texts = [" ".join(row.xpath(".//text()")) for row in rows]
    assert any("PSE DE PRUEBA SAC" in t and "ENVIOS" in t and RUC in t for t in texts)
    assert any(RUC in t and "no registrado" in t for t in texts)
    assert "secreto" not in " ".join(texts)
    journal = page(filled, "/journal")
    assert journal.xpath('//meta[@http-equiv="refresh"]')
    assert journal.xpath('//table[@id="journal"]//td[3]/text()')[:3] == ["sendBill"] * 3
    assert not page(filled, "/journal", live="0").xpath('//meta[@http-equiv="refresh"]')
    entry_id = journal.xpath('//table[@id="journal"]//td[1]/a/text()')[0]
    assert "sendBill" in page(filled, f"/journal/{entry_id}").xpath("string(//pre[1])")


def test_unknown_pages_are_html_404(filled):
    answer = requests.get(filled.url("/nowhere"), timeout=10)
    assert answer.status_code == 404 and "text/html" in answer.headers["Content-Type"]


def test_tickets_and_scenarios_pages(filled):
    from osemock.fixtures.summaries import comunicacion_baja

    ticket = filled.client().send_summary(comunicacion_baja(DAY, [("01", "F001", 1)])[1]).ticket
    row = page(filled, "/tickets").xpath('//table[@id="tickets"]/tbody/tr')[0]
    assert row.xpath("string(td[1])") == ticket and row.xpath("string(td[2])") == f"{RUC}-RA-20261120-1"
    assert row.xpath("string(td[4])").strip().startswith("0 ")
    cdr = requests.get(filled.url(f"/tickets/{ticket}/cdr"), timeout=10)
    assert zipfile.ZipFile(io.BytesIO(cdr.content)).namelist()[-1] == f"R-{RUC}-RA-20261120-1.xml"
    assert requests.get(filled.url("/tickets/1/cdr"), timeout=10).status_code == 404
    scenarios = page(filled, "/scenarios").xpath('//table[@id="scenarios"]/tbody/tr')
    assert [r.xpath("string(td[2])") for r in scenarios] == ["observation", "code"]
    assert [r.xpath("string(td[10])") for r in scenarios] == ["1", "1"]


def test_a_page_past_the_end_shows_the_last_one(filled):
    """It showed an empty table titled "página 3 de 2"."""
    from osemock.server.portal import queries

    search = queries.DocumentFilter(page=3, per_page=2)
    shown = queries.search_documents(filled.app.engine.store, search)
    assert (shown.page, shown.pages, len(shown.rows)) == (2, 2, 1)
    text = page(filled, "/", page="3").text_content()
    assert "página 3" not in text


def _answer_card(mock, **data) -> tuple[str, str]:
    answer = requests.post(mock.url("/consult"), data=data, timeout=10)
    assert answer.status_code == 200
    card = html.fromstring(answer.text).xpath('//div[@id="answer"]')[0]
    return card.xpath("string(span/@class)"), " ".join(card.text_content().split())


@pytest.mark.parametrize("name, total", [("20-R001-1", "70.80"), ("40-P001-1", "23.60")])
def test_retention_and_perception_carry_the_total_they_print(filled, name, total):
    """A retención's or percepción's importe total is its TotalInvoiceAmount (it has no PayableAmount):
    the store kept no amount, so the consult printed "None None" and matched no total, and the list and
    the document page showed none; the PDF printed TotalInvoiceAmount.  One amount now, stored, compared
    and printed; a store written before (the amount NULL) reads it from the XML."""
    from osemock.fixtures import signed_document
    from osemock.server.portal.printed import read_printed

    filled.client().send_bill(signed_document(f"{RUC}-{name}.xml", issue_date=DAY))
    type_code, serie, numero = name.split("-")
    store = filled.app.engine.store
    row = store.document(RUC, type_code, serie, int(numero))  # the perception is rejected (2609): it shows all the same
    assert read_printed(row["xml"]).total == total

    def shown() -> None:
        badge, text = _answer_card(filled, ruc=RUC, type=type_code, serie=serie, numero=numero, issue_date=DAY, total=total)
        assert badge == f"badge {row['status']}" and f"PEN {total}" in text and "None" not in text, text
        listed_row = page(filled, "/", type=type_code).xpath('//table[@id="documents"]/tbody/tr')[0]
        assert " ".join(listed_row.xpath("string(td[5])").split()) == f"PEN {total}"
        facts = page(filled, f"/documents/{row['id']}").xpath('string(//dl[@class="facts"])')
        assert f"PEN {total}" in " ".join(facts.split())

    shown()
    with store.transaction() as db:  # as an osemock before this one stored it
        db.execute("UPDATE documents SET payable_amount = NULL, currency = NULL WHERE id = ?", (row["id"],))
    shown()
    assert _answer_card(filled, ruc=RUC, type=type_code, serie=serie, numero=numero, total="1.00")[0] == "badge mismatch"
