"""Requests past 2 MiB, up to ``OSE_MAX_REQUEST_BYTES`` (64 MiB; 413 beyond), over real HTTP: a big
factura and a lot of a thousand documents are taken like small ones, under waitress (one process) and
gunicorn (``--workers``).  spyne's own 2 MiB cap answered every larger request fault 0305 "Request too
long", and libxml2's 10 MB cap on a text node (a ZIP's base64 is one) answered 0305 past it."""
from __future__ import annotations

import base64
import io
import time
import zipfile

import pytest

from osemock.fixtures import signed_document
from tests.helpers import lot_of_facturas
from tests.serving import serve

from .envelopes import Reply, call

RUC = "20123456789"
DAY = "2026-11-20"
CLOCK = f"{DAY}T18:00:00-05:00"
USER = (RUC + "BIZLINKS", "TESTBIZLINKS")
MiB = 1024 * 1024


def big_factura(numero: int, request_bytes: int) -> tuple[str, bytes]:
    """(ZIP name, ZIP) of a valid signed factura whose sendBill request is about ``request_bytes``: a
    comment before its root (outside the signature) pads it, and the ZIP stores it as it is, so the
    base64 is 4/3 of it.  The comment stays under libxml2's 10 MB for one node of the document."""
    name = f"{RUC}-01-F001-{numero}"
    xml = signed_document(f"{RUC}-01-F001-1.xml", numero=numero, issue_date=DAY)
    xml = xml.replace(b"?>", b"?><!--" + b"x" * (request_bytes * 3 // 4) + b"-->", 1)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(f"{name}.xml", xml)
    return f"{name}.zip", buffer.getvalue()


def send_bill(url: str, numero: int, request_bytes: int) -> Reply:
    name, content = big_factura(numero, request_bytes)
    return call(url, "sendBill", {"fileName": name, "contentFile": base64.b64encode(content).decode()},
                username=USER[0], password=USER[1])


@pytest.mark.parametrize("request_bytes", [int(2.5 * MiB), 12 * MiB], ids=["2.5MiB", "12MiB-past-libxml2s-10MB-node"])
def test_a_sendbill_past_2_mib_gets_its_cdr(make_mock, request_bytes):
    mock = make_mock("ose", clock=CLOCK)
    reply = send_bill(mock.url(), 1, request_bytes)
    assert reply.status == 200 and not reply.is_fault, reply.body[:600]
    assert reply.text("applicationResponse")
    assert mock.app.engine.store.document(RUC, "01", "F001", 1)["status"] == "accepted"


def test_a_sendbill_past_2_mib_gets_its_cdr_under_gunicorn(tmp_path):
    process, base = serve("--workers", "2", "--db", str(tmp_path / "store.sqlite3"), "--clock", CLOCK)
    try:
        reply = send_bill(base + "/ol-ti-itcpe/billService", 1, 12 * MiB)
        assert reply.status == 200 and not reply.is_fault, reply.body[:600]
        assert reply.text("applicationResponse")
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_the_configured_limit_is_the_limit(make_mock):
    """OSE_MAX_REQUEST_BYTES of 3 MiB: 2.5 MiB is taken, 3.5 MiB is 413 (not a SUNAT code blaming the document)."""
    mock = make_mock("ose", clock=CLOCK, max_request_bytes=3 * MiB)
    assert not send_bill(mock.url(), 1, int(2.5 * MiB)).is_fault
    assert send_bill(mock.url(), 2, int(3.5 * MiB)).status == 413


def test_a_lot_of_a_thousand_documents_is_taken_and_settled(make_mock):
    """1000 documents (OSE_ZIP_MAX_ENTRIES): 3.4 MB zipped, 4.5 MB of request."""
    mock = make_mock("ose", clock=CLOCK)
    lot = lot_of_facturas(1000, DAY)
    started = time.monotonic()
    sent = call(mock.url(), "sendPack", {"fileName": f"{RUC}-LT-20261120-1.zip",
                                         "contentFile": base64.b64encode(lot).decode()}, username=USER[0], password=USER[1])
    assert sent.status == 200 and sent.text("ticket"), sent.body[:600]
    final = call(mock.url(), "getStatus", {"ticket": sent.text("ticket")}, username=USER[0], password=USER[1])
    assert final.text("statusCode") == "0", final.body[:600]
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(final.text("content")))) as results:
        assert sorted(results.namelist()) == sorted(f"R-{RUC}-01-F001-{n}.zip" for n in range(1, 1001))
    assert mock.app.engine.store.query("SELECT count(*) AS n FROM documents WHERE lot_ticket=?",
                                       (sent.text("ticket"),))[0]["n"] == 1000
    assert time.monotonic() - started < 20
