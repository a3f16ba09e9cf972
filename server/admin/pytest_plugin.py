"""The ``ose_admin`` pytest fixture (installed as the ``osemock_admin`` pytest plugin).

Without options it starts a mock on a free loopback port for the test (a fresh SQLite store in the
test's temporary folder); with ``--osemock-admin-url`` (or ``OSEMOCK_ADMIN_URL``) it drives a mock
already running, e.g. the Docker service container of a CI job, and resets it before the test.  When
the conformance kit's plugin (``osemock``) is installed too, its own ``ose_admin`` is the one in force
and this one steps aside (one fixture name, one meaning)::

    def test_my_erp_survives_a_lost_answer(ose_admin):
        ose_admin.scenario(action="lost", operation="sendBill", delay_seconds=3)
        erp.send(..., endpoint=ose_admin.endpoint)
"""
from __future__ import annotations

import os
from typing import Any, Iterator

import pytest


def pytest_addoption(parser: Any) -> None:
    group = parser.getgroup("osemock", "osemock admin API")
    group.addoption("--osemock-admin-url", default=os.environ.get("OSEMOCK_ADMIN_URL"),
                    help="Base URL of a running osemock for the ose_admin fixture (default: start one per test)"
                         " [env OSEMOCK_ADMIN_URL].")
    group.addoption("--osemock-profile", default="ose", help="Profile of the mock ose_admin starts (default ose).")


def pytest_configure(config: Any) -> None:
    if not config.pluginmanager.hasplugin("osemock"):
        config.pluginmanager.register(_Fixtures(), "osemock_admin_fixtures")


class _Fixtures:
    """Registered by :func:`pytest_configure` unless the conformance kit provides ``ose_admin``."""

    @pytest.fixture
    def ose_admin(self, request: Any, tmp_path_factory: Any) -> Iterator[Any]:
        yield from _ose_admin(request, tmp_path_factory)


def _ose_admin(request: Any, tmp_path_factory: Any) -> Iterator[Any]:
    """An :class:`~osemock.server.admin.client.AdminClient` on a clean mock, with ``endpoint`` (its OSE
    billService URL), ``base_url`` and, when the fixture started it, ``mock`` (the ThreadedMock)."""
    from osemock.server.admin.client import AdminClient

    url = request.config.getoption("osemock_admin_url")
    mock = None
    if url:
        admin = AdminClient(url)
        admin.reset()
    else:
        from osemock.server.settings import Settings
        from osemock.server.threaded import ThreadedMock

        folder = tmp_path_factory.mktemp("osemock")
        mock = ThreadedMock(Settings(db=folder / "osemock.sqlite3", profile=request.config.getoption("osemock_profile")))
        mock.start()
        admin = AdminClient(mock.base_url)
    admin.mock = mock  # type: ignore[attr-defined]
    admin.endpoint = f"{admin.base_url}/ol-ti-itcpe/billService"  # type: ignore[attr-defined]
    try:
        yield admin
    finally:
        if mock is not None:
            mock.stop()
        else:
            admin.clear_scenarios()
