"""Shared test fixtures: a real mock on loopback per test, per profile."""
from __future__ import annotations

from pathlib import Path

import pytest


SHARED = Path(__file__).resolve().parents[1].parent / "shared"



@pytest.fixture
def make_mock(tmp_path):
    """Start mocks with given settings; all are stopped after the test."""
    from osemock.server.settings import Settings
    from osemock.server.threaded import ThreadedMock

    started: list[ThreadedMock] = []

    def start(profile: str = "ose", **settings) -> ThreadedMock:
        settings.setdefault("db", tmp_path / f"{Path(profile).name}-{len(started)}.sqlite3")
        mock = ThreadedMock(Settings(profile=profile, data_dir=tmp_path / "keys", **settings)).start()
        started.append(mock)
        return mock

    yield start
    for mock in started:
        mock.stop()


@pytest.fixture
def ose(make_mock):
    """A mock with the default OSE profile."""
    return make_mock("ose")
