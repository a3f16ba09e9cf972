"""Crash safety: ``osemock serve`` killed with SIGKILL in the middle of a load run and started again.

Every document whose CDR reached a client is in the store and consultable with that very CDR, and
nothing half-written is visible (no accepted document without its CDR, a sound SQLite file).
"""
from __future__ import annotations

import base64
import os
import signal
import sqlite3
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from lxml import etree

from osemock.cpe import ns
from osemock.cpe.archive import write_document_zip
from osemock.cpe.signature import sign
from osemock.fixtures import _PARSER, dated, document_bytes, emitter_keypair

from tests.serving import free_port, serve

from .envelopes import call, send_bill

RUC = "20123456789"
AUTH = {"username": RUC + "BIZLINKS", "password": "TESTBIZLINKS"}


def _factura(numero: int, template: etree._Element) -> tuple[str, bytes]:
    root = etree.fromstring(etree.tostring(template), _PARSER)
    root.find(f"{{{ns.CBC}}}ID").text = f"F001-{numero}"
    name = f"{RUC}-01-F001-{numero}"
    return name, write_document_zip(f"{name}.xml", etree.tostring(sign(root, emitter_keypair()), xml_declaration=True,
                                                                       encoding="UTF-8"))


def _serve(port: int, db) -> subprocess.Popen:
    return serve("--db", str(db), port=port)[0]


@pytest.mark.slow
def test_sigkill_mid_load_loses_nothing_a_client_holds(tmp_path):
    db = tmp_path / "store.sqlite3"
    template = dated(etree.fromstring(document_bytes(f"{RUC}-01-F001-1.xml"), _PARSER))
    documents = [_factura(numero, template) for numero in range(1, 161)]
    port = free_port()
    server = _serve(port, db)
    url = f"http://127.0.0.1:{port}/ol-ti-itcpe/billService"
    received: dict[str, bytes] = {}
    lock = threading.Lock()

    def send(document: tuple[str, bytes]) -> None:
        name, zipped = document
        try:
            reply = send_bill(url, f"{name}.zip", zipped, **AUTH)
        except requests.RequestException:
            return  # the server died under this request: the client holds no CDR
        if reply.status == 200 and not reply.is_fault:
            with lock:
                received[name] = base64.b64decode(reply.text("applicationResponse"))

    def kill_mid_run() -> None:
        deadline = time.monotonic() + 60
        while len(received) < 20 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(server.pid, signal.SIGKILL)

    killer = threading.Thread(target=kill_mid_run)
    killer.start()
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(send, documents))
    killer.join()
    server.wait(timeout=10)
    assert 0 < len(received) < len(documents), "the kill should land mid-run"

    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    server = _serve(port, db)
    try:
        for name, cdr_zip in received.items():
            serie, numero = name.split("-")[2:]
            status = call(url, "getStatusCdr", {"rucComprobante": RUC, "tipoComprobante": "01", "serieComprobante": serie,
                                                "numeroComprobante": numero}, **AUTH)
            assert status.text("statusCode") == "0", name
            assert base64.b64decode(status.text("content")) == cdr_zip, name
        with sqlite3.connect(db) as raw:
            half = raw.execute("SELECT count(*) FROM documents WHERE status='accepted' AND cdr_zip IS NULL").fetchone()[0]
        assert half == 0
        # the run can go on: a document that never got its answer may be sent again
        unanswered = [d for d in documents if d[0] not in received]
        reply = send_bill(url, f"{unanswered[-1][0]}.zip", unanswered[-1][1], **AUTH)
        assert reply.status == 200 or reply.code() == "1033"
    finally:
        server.terminate()
        server.wait(timeout=10)
