"""A mock with the clock at the sample documents' date, and helpers to send them over real HTTP."""
from __future__ import annotations

import base64

import pytest
import requests

from osemock.client import OseClient, RetryPolicy
from osemock.cpe.archive import write_document_zip
from osemock.fixtures import signed_document
from osemock.server.admin.client import AdminClient
from tests.server.envelopes import envelope, security

RUC = "20123456789"
DAY = "2026-11-20"
CLOCK = f"{DAY}T18:00:00-05:00"


@pytest.fixture
def mock(make_mock):
    served = make_mock("ose", clock=CLOCK)
    served.admin = AdminClient(served.base_url)
    served.client = lambda **kw: OseClient(served.url(), RUC, "BIZLINKS", "TESTBIZLINKS",
                                           **{"retry": RetryPolicy(attempts=1), **kw})
    return served


def factura(number: int, serie: str = "F001") -> bytes:
    """A signed sample factura renumbered ``serie-number`` (the samples F001-1, -4, -5 exist as they are)."""
    return signed_document(f"{RUC}-01-{serie}-{number}.xml", issue_date=DAY)


def raw_send_bill(mock, name: str, timeout: float = 30) -> requests.Response:
    """sendBill without any client logic in between (to see exactly what came back)."""
    zipped = write_document_zip(f"{name}.xml", signed_document(f"{name}.xml", issue_date=DAY))
    body = envelope("sendBill", {"fileName": f"{name}.zip", "contentFile": base64.b64encode(zipped).decode()},
                    security(f"{RUC}BIZLINKS", "TESTBIZLINKS"))
    return requests.post(mock.url(), data=body, headers={"Content-Type": "text/xml; charset=utf-8"}, timeout=timeout)


def stored(mock, numero: int, serie: str = "F001"):
    return mock.app.engine.store.document(RUC, "01", serie, numero)
