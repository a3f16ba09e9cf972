"""What the kit talks to: the in-process mock or a real endpoint, with the emitter's credentials.

One description serves the pytest plugin (``--ose-target`` and friends), ``osemock check`` and
``osemock homologate``; the environment (``OSE_TARGET``, ``OSE_RUC``, ``OSE_USER``, ``OSE_PASSWORD``,
``OSE_PROFILE``, ``OSE_CERT``, ``OSE_CERT_PASSWORD``, ``OSE_REGISTRY``, ``OSE_TIMEOUT``, ``OSE_CLOCK``) fills what the
options leave out, so a CI job
can point the same suite elsewhere without editing it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from osemock.cpe.signature import KeyPair

MOCK = "mock"
#: SOL credentials each mock profile takes for any RUC.
PROFILE_CREDENTIALS = {"ose": ("BIZLINKS", "TESTBIZLINKS"), "sunat-beta": ("MODDATOS", "moddatos"),
                       "sunat-prod": ("MODDATOS", "moddatos")}
#: The test user of SUNAT beta, for any RUC (shared/design/ANCHORS.md §1.2): sent to a SUNAT endpoint
#: when the user gives none, where the OSE test user (``BIZLINKS``) is an unknown user (0103).
SUNAT_TEST_USER = PROFILE_CREDENTIALS["sunat-beta"]
#: The billService path of each profile on the mock.
PROFILE_PATHS = {"ose": "/ol-ti-itcpe/billService", "sunat-beta": "/ol-ti-itcpfegem-beta/billService",
                 "sunat-prod": "/ol-ti-itcpfegem/billService"}


@dataclass(frozen=True)
class Target:
    """One endpoint and the emitter identity used against it."""

    endpoint: str = MOCK
    """``mock`` (an in-process mock started for the run), a known name (``ose-test``, ``sunat-beta``…) or a billService URL."""
    ruc: str = "20123456789"
    user: str | None = None
    """SOL user; ``None``: the target's test user (:meth:`test_user`)."""
    password: str | None = None
    profile: str = "ose"
    """Profile of the in-process mock (and the default credentials)."""
    cert: Path | None = None
    """Signing certificate (PFX/P12 or PEM); ``None``: the TEST-ONLY certificate from fixtures."""
    cert_password: str | None = None
    registry: Path | None = None
    """Emitter registry (YAML/JSON) the in-process mock loads: SOL users for ``sunat-prod``, certificates."""
    timeout: float = 60.0
    """Seconds one call may wait for its answer (retried twice): an endpoint that takes connections and
    never answers costs the run this much a call, not minutes."""
    clock: str | None = None
    """Where the in-process mock's clock starts (ISO date-time): documents dated then, the kit's own
    samples say, are judged on time (2108, 2329) instead of late."""

    @property
    def is_mock(self) -> bool:
        return self.endpoint == MOCK

    @property
    def credentials(self) -> tuple[str, str]:
        """The SOL user and password sent: the ones given, else the target's test user."""
        if self.user and self.password:
            return self.user, self.password
        default_user, default_password = self.test_user()
        return self.user or default_user, self.password or default_password

    def test_user(self) -> tuple[str, str]:
        """Who the kit is where the user says nothing: the in-process mock's own test user (its
        profile's, or for a profile without one, ``sunat-prod``, the registry's first user of the
        RUC); ``MODDATOS``/``moddatos`` at SUNAT beta (a name or URL of its billServices, as beta
        takes for any RUC); ``BIZLINKS``/``TESTBIZLINKS`` at an OSE, whatever ``profile`` (which is the
        in-process mock's).  :class:`ValueError` when there is none: the mock's ``sunat-prod`` without a
        registry user, and SUNAT production, which has no test user (MODDATOS is an unknown user there,
        0103, in every case)."""
        if self.is_mock:
            return _mock_test_user(self.profile, self.registry, self.ruc)
        from osemock.client.endpoints import resolve

        wsdl_set = resolve(self.endpoint).wsdl_set
        if wsdl_set.startswith("sunat") and wsdl_set.endswith("beta"):
            return SUNAT_TEST_USER
        if wsdl_set.startswith("sunat"):
            raise ValueError(f"SUNAT production ({self.endpoint}) has no test user: give the emitter's SOL "
                             "user and password (--user, --password)")
        return PROFILE_CREDENTIALS["ose"]

    def keypair(self) -> "KeyPair":
        """The certificate documents are signed with."""
        from osemock.fixtures import CERTS, emitter_keypair
        from osemock.cpe.signature import load_keypair

        if self.cert is not None:
            return load_keypair(self.cert, self.cert_password)
        if (CERTS / f"emitter-{self.ruc}.pem").is_file():
            return emitter_keypair(self.ruc)
        return emitter_keypair()

    def check_files(self) -> None:
        """Read the certificate and the registry given, so a missing or broken file is one usage error
        at start rather than the same error in every case; :class:`ValueError` names the file."""
        if self.cert is not None:
            try:
                self.keypair()
            except OSError as error:
                raise ValueError(f"cannot read the certificate {self.cert}: {error.strerror or error}") from None
            except ValueError as error:  # a PFX's "wrong password?" does not name its file
                named = str(self.cert) in str(error)
                raise ValueError(str(error) if named else f"certificate {self.cert}: {error}") from None
        if self.registry is not None:
            from osemock.server.registry import load as load_registry

            load_registry(self.registry)  # a RegistryError names the file

    def describe(self) -> str:
        where = f"in-process mock ({self.profile})" if self.is_mock else self.endpoint
        return f"{where}, RUC {self.ruc}, user {self.credentials[0]}"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> "Target":
        """A target from ``OSE_*`` variables, then explicit overrides (``None`` ignored)."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for field_name, variable in (("endpoint", "OSE_TARGET"), ("ruc", "OSE_RUC"), ("user", "OSE_USER"),
                                     ("password", "OSE_PASSWORD"), ("profile", "OSE_PROFILE"),
                                     ("cert", "OSE_CERT"), ("cert_password", "OSE_CERT_PASSWORD"),
                                     ("registry", "OSE_REGISTRY"), ("timeout", "OSE_TIMEOUT"), ("clock", "OSE_CLOCK")):
            if env.get(variable):
                values[field_name] = env[variable]
        values.update({k: v for k, v in overrides.items() if v is not None})
        for path_field in ("cert", "registry"):
            if values.get(path_field) is not None:
                values[path_field] = Path(str(values[path_field]))
        if "timeout" in values:
            try:
                values["timeout"] = float(values["timeout"])  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise ValueError(f"a timeout is a number of seconds, not {values['timeout']!r}") from None
            if not 1 <= values["timeout"] <= 3600:  # type: ignore[operator]
                raise ValueError(f"a timeout is 1 to 3600 seconds, not {values['timeout']}")
        if values.get("clock") is not None:
            from osemock.server.clock import parse_moment

            try:
                parse_moment(str(values["clock"]))
            except (TypeError, ValueError):
                raise ValueError(f"a clock is an ISO date-time such as 2026-11-20T12:00:00, not {values['clock']!r}") from None
        target = replace(cls(), **values)  # type: ignore[arg-type]
        if not (len(target.ruc) == 11 and target.ruc.isdigit()):
            raise ValueError(f"a RUC has 11 digits, not {target.ruc!r}")
        if target.is_mock:
            from osemock.server.profiles import load_profile

            loaded = load_profile(target.profile)  # raises ValueError for an unknown profile or a mistaken file
            if loaded.wildcard_user is None and target.registry is None:
                raise ValueError(f"profile {target.profile} has no test user: its SOL users come from a registry "
                                 "(--registry, OSE_REGISTRY)")
        else:
            from osemock.client.endpoints import resolve

            resolve(target.endpoint)  # raises ValueError for what is neither a known name nor a URL
        return target


@lru_cache(maxsize=None)
def _mock_test_user(profile: str, registry: Path | None, ruc: str) -> tuple[str, str]:
    """The SOL user an in-process mock of ``profile`` (loaded with ``registry``) takes for ``ruc``."""
    from osemock.server.profiles import load_profile
    from osemock.server.registry import load as load_registry

    loaded = load_profile(profile)
    if loaded.wildcard_user is not None:
        return loaded.wildcard_user, loaded.wildcard_password or ""
    if registry is not None:
        for emitter in load_registry(registry).get("emitters") or []:
            if str(emitter.get("ruc")) != ruc:
                continue
            for user in emitter.get("users") or []:
                if user.get("active", True) and user.get("can_send", True):
                    return str(user["user"]), str(user["password"])
    raise ValueError(f"profile {profile} has no test user and the registry lists no SOL user of RUC {ruc} "
                     "that may send: give --user and --password")
