"""A mock holding an accepted, an observed and a rejected factura, for the portal pages."""
from __future__ import annotations

import pytest

from tests.admin.conftest import factura, mock  # noqa: F401  (the mock fixture)


@pytest.fixture
def filled(mock):  # noqa: F811
    client = mock.client()
    client.send_bill(factura(1))
    mock.admin.scenario(action="observation", code="4287", numero=4)
    client.send_bill(factura(4))
    mock.admin.scenario(action="code", code="2017", numero=5)
    client.send_bill(factura(5))
    mock.ids = {row["numero"]: row["id"] for row in mock.app.engine.store.query("SELECT id, numero FROM documents")}
    return mock
