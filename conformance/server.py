"""The in-process mock the kit starts when the target is ``mock``: a real HTTP server on a free
loopback port, its store in a temporary folder (removed when it stops, or when SIGTERM comes), its
CDRs signed with the TEST-ONLY OSE certificate from fixtures (so a suite can pin it), and a reset
between tests.
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from cryptography import x509

from osemock.conformance.sigterm import keep_on_sigterm, remove_on_sigterm
from osemock.conformance.target import PROFILE_PATHS
from osemock.server.admin.reset import reset_mock
from osemock.server.keys import CERT_FILE, KEY_FILE
from osemock.server.settings import Settings
from osemock.server.threaded import ThreadedMock

OSE_CERT_NAME = "ose-20000000001"


class MockServer:
    """A :class:`ThreadedMock` with a folder of its own; ``with MockServer() as mock: mock.url``."""

    def __init__(self, profile: str = "ose", folder: Path | None = None, **settings: object) -> None:
        self.profile = profile
        self._own_folder = folder is None
        self.folder = Path(folder or tempfile.mkdtemp(prefix="osemock-kit-"))
        if self._own_folder:
            remove_on_sigterm(self.folder)
        keys = self.folder / "keys"
        keys.mkdir(parents=True, exist_ok=True)
        if profile == "ose" and not (keys / KEY_FILE).exists():
            from osemock.fixtures import CERTS

            shutil.copyfile(CERTS / f"{OSE_CERT_NAME}.key.pem", keys / KEY_FILE)
            shutil.copyfile(CERTS / f"{OSE_CERT_NAME}.cert.pem", keys / CERT_FILE)
        self._mock = ThreadedMock(Settings(db=self.folder / "osemock.sqlite3", data_dir=keys, profile=profile,
                                           **settings))  # type: ignore[arg-type]

    @property
    def base_url(self) -> str:
        return self._mock.base_url

    @property
    def url(self) -> str:
        """The billService URL of the profile."""
        return self._mock.url(PROFILE_PATHS.get(self.profile, PROFILE_PATHS["ose"]))

    @property
    def store(self):
        return self._mock.app.engine.store

    @property
    def certificate(self) -> x509.Certificate:
        """The certificate this mock signs its CDRs with."""
        return x509.load_pem_x509_certificate(self._mock.app.engine.identity.cert_pem)

    def reset(self) -> None:
        """Back to the state it started in, as ``POST /_osemock/reset`` puts a served mock: every
        document, ticket, request and scenario forgotten, the ticket progression and the clock as
        configured (the registry stays)."""
        app = self._mock.app
        reset_mock(app.engine, app.base_profile)

    def start(self) -> "MockServer":
        self._mock.start()
        return self

    def stop(self) -> None:
        self._mock.stop()
        if self._own_folder:
            shutil.rmtree(self.folder, ignore_errors=True)
            keep_on_sigterm(self.folder)

    def __enter__(self) -> "MockServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
