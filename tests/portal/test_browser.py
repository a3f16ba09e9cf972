"""The portal in a real browser: Playwright driving Debian's chromium, headless.

Playwright's own browser download is not reachable from CI, so the tests use the system chromium
(``apt-get install chromium``, done by ``make test`` when missing) through ``executable_path``.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.admin.conftest import DAY, RUC

CHROMIUM = os.environ.get("OSEMOCK_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOTS = Path(os.environ.get("OSEMOCK_SCREENSHOTS", "var/screenshots"))

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on this machine (make test installs Debian's"
                                " chromium as root; install it with apt-get install chromium)")


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        yield launched
        launched.close()


@pytest.fixture
def tab(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="es-PE")
    yield context.new_page()
    context.close()


def test_filter_open_a_document_and_download_its_pdf(filled, tab):
    tab.goto(filled.url("/"))
    assert tab.locator("#documents tbody tr").count() == 3
    tab.select_option("select[name=outcome]", "rejected")
    tab.click("button[type=submit]")
    rows = tab.locator("#documents tbody tr")
    assert rows.count() == 1 and "F001-5" in rows.first.inner_text()
    tab.click(f"text={RUC}-01-F001-5")
    assert "2017" in tab.locator("#findings").inner_text()
    assert tab.locator("a", has_text="Representación impresa").count() == 0  # rejected: no valid printed form
    assert "sendBill" in tab.locator("#timeline").inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / "document.png"), full_page=False)
    tab.goto(filled.url("/"))
    tab.screenshot(path=str(SCREENSHOTS / "documents.png"), full_page=True)
    with tab.expect_download() as download:
        tab.goto(filled.url(f"/documents/{filled.ids[1]}"))
        tab.click("text=ZIP enviado")
    assert download.value.suggested_filename == f"{RUC}-01-F001-1.zip"


def test_buyer_consult_form(filled, tab):
    tab.goto(filled.url("/consult"))
    tab.fill("input[name=ruc]", RUC)
    tab.select_option("select[name=type]", "01")
    tab.fill("input[name=serie]", "F001")
    tab.fill("input[name=numero]", "1")
    tab.fill("input[name=issue_date]", DAY)
    tab.fill("input[name=total]", "354.00")
    tab.click("button[type=submit]")
    answer = tab.locator("#answer")
    assert "válido" in answer.inner_text()
    tab.screenshot(path=str(SCREENSHOTS / "consult.png"))
    tab.fill("input[name=total]", "100.00")
    tab.click("button[type=submit]")
    assert "no coinciden" in tab.locator("#answer").inner_text()


def test_consult_offers_the_printed_pdf_only_for_a_document_whose_xml_it_holds(filled, tab):
    """A boleta informed only in a resumen diario is valid, but the mock holds no XML of it to print:
    no "Representación impresa" link to a PDF that is not there; a factura sent whole has one."""
    from osemock.fixtures.summaries import RcLine, resumen_diario

    client = filled.client()
    _, summary = resumen_diario(DAY, [RcLine("03", "B001-7", "1", "59.00")])
    assert client.get_status(client.send_summary(summary).ticket, wait=True, interval=0.1).accepted

    def consult(type_code: str, serie: str, numero: str, total: str):
        tab.goto(filled.url("/consult"))
        tab.fill("input[name=ruc]", RUC)
        tab.select_option("select[name=type]", type_code)
        tab.fill("input[name=serie]", serie)
        tab.fill("input[name=numero]", numero)
        tab.fill("input[name=issue_date]", DAY)
        tab.fill("input[name=total]", total)
        tab.click("button[type=submit]")
        return tab.locator("#answer")

    answer = consult("03", "B001", "7", "59.00")
    assert "válido" in answer.inner_text()
    assert answer.locator("a", has_text="Representación impresa").count() == 0
    assert "resumen diario" in answer.locator("#not-printable").inner_text()
    answer = consult("01", "F001", "1", "354.00")
    link = answer.locator("a", has_text="Representación impresa")
    printed = tab.request.get(filled.url(link.get_attribute("href")))
    assert printed.status == 200 and printed.headers["content-type"] == "application/pdf"


def test_journal_refreshes_itself_and_emitters_list(filled, tab):
    tab.goto(filled.url("/journal"))
    before = tab.locator("#journal tbody tr").count()
    filled.client().get_status_cdr(RUC, "01", "F001", 1)
    tab.wait_for_function(f"document.querySelectorAll('#journal tbody tr').length > {before}", timeout=10000)
    assert "getStatusCdr" in tab.locator("#journal tbody tr").first.inner_text()
    tab.click("text=Emisores")
    assert RUC in tab.locator("#emitters").inner_text()
