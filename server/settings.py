"""Settings of one mock server, read once (at app creation, never at import) from ``OSE_*`` variables."""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

#: The smallest request limit that still lets a SOAP envelope with a small ZIP in.
MIN_REQUEST_BYTES = 1024
#: A proxy on the same machine (gunicorn's default ``forwarded_allow_ips``).
DEFAULT_FORWARDED_ALLOW_IPS = "127.0.0.1,::1"


class SettingError(ValueError):
    """A configuration value the server cannot start with; the message names the variable or flag, so
    ``osemock serve`` and the container stop with one line instead of a traceback."""


def env_bool(value: str | None, default: bool, name: str = "the value") -> bool:
    """``1/true/yes/on`` is true, ``0/false/no/off`` false (unlike ``bool("false")``)."""
    if value is None or value.strip() == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise SettingError(f"{name} must be 1/true/yes/on or 0/false/no/off, not {value!r}")


def env_int(value: str | None, default: int, name: str, minimum: int, maximum: int | None = None) -> int:
    """A whole number from the environment, within ``minimum``…``maximum``."""
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value.strip())
    except ValueError:
        number = None
    if number is None or number < minimum or (maximum is not None and number > maximum):
        span = f"from {minimum} to {maximum}" if maximum is not None else f"of {minimum} or more"
        raise SettingError(f"{name} must be a whole number {span}, not {value!r}")
    return number


def host_port(host: str, port: int) -> str:
    """``host:port`` as a URL and gunicorn's ``bind`` take it: an IPv6 address in brackets
    (``::1:8080`` is no URL, and gunicorn read it as host ``:`` and port ``''``)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@dataclass(frozen=True)
class Settings:
    """Configuration of a mock server."""

    db: Path = Path("var/osemock.sqlite3")
    """SQLite file of the store (created with its folder)."""
    data_dir: Path | None = None
    """Where the mock OSE's key and certificate live; defaults to the folder of ``db``."""
    profile: str = "ose"
    """``ose``, ``sunat-beta``, ``sunat-prod`` or a profile YAML file."""
    registry: Path | None = None
    """YAML/JSON file of emitters, SOL users and PSE links loaded at start."""
    max_request_bytes: int = 64 * 1024 * 1024
    """Largest SOAP request body read; a larger request is refused with 413."""
    max_admin_bytes: int = 512 * 1024 * 1024
    """Largest body the admin API and the portal read (413 beyond).  Apart from the SOAP limit: a
    snapshot of a store with a couple of thousand documents is past 64 MiB, and its import was refused
    by the limit meant for one SOAP call."""
    journal_bodies: bool = True
    """Keep request and response bodies in the journal (turn off for long load runs)."""
    journal_max_entries: int = 10_000
    """The journal keeps the last this many requests (0: all).  It is a log, not state: a mock a CI fleet
    uses for weeks kept every request body until the disk was full, and then it could store nothing."""
    read_timeout: int = 30
    """Seconds a client may send nothing in the middle of a request before its connection ends (a body
    it announced: with 408).  Under gunicorn (``--workers`` > 1, the container) a thread reads each
    request, and a few clients that stall half-way (a wrong Content-Length, a dropped network) held
    every thread: no one was answered.  See ``gunicorn_conf.limit_reads``."""
    body_timeout: int = 120
    """Seconds a request's whole body may take to arrive (a client trickling a byte at a time is never
    idle long enough for ``read_timeout``); under gunicorn, where a worker thread reads it."""
    clock: str | None = None
    """ISO date-time the mock's clock starts at (it keeps running); ``None`` = real Lima time."""
    forwarded_allow_ips: str = DEFAULT_FORWARDED_ALLOW_IPS
    """Reverse proxies whose ``X-Forwarded-Proto`` / ``X-Forwarded-Host`` name the WSDL's address: IP
    addresses or networks separated by commas, or ``*`` (the Docker image's, whose proxy's address is
    not known in advance).  Loopback by default, as gunicorn's ``forwarded_allow_ips``."""

    def __post_init__(self) -> None:
        for name in ("db", "data_dir", "registry"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Path):
                object.__setattr__(self, name, Path(value))

    @property
    def keys_dir(self) -> Path:
        return self.data_dir or self.db.parent

    @property
    def max_body_bytes(self) -> int:
        """What the HTTP server lets in before any path is looked at (waitress's ``max_request_body_size``):
        the larger limit; the SOAP paths and the Flask app each hold a body to their own."""
        return max(self.max_request_bytes, self.max_admin_bytes)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> "Settings":
        """Settings from ``OSE_DB``, ``OSE_DATA_DIR``, ``OSE_PROFILE``, ``OSE_REGISTRY``,
        ``OSE_MAX_REQUEST_BYTES``, ``OSE_MAX_ADMIN_BYTES``, ``OSE_JOURNAL_BODIES``, ``OSE_JOURNAL_MAX_ENTRIES``, ``OSE_READ_TIMEOUT``,
        ``OSE_BODY_TIMEOUT``, ``OSE_CLOCK`` and ``OSE_FORWARDED_ALLOW_IPS``, then explicit
        overrides (``None`` ignored)."""
        env = os.environ if environ is None else environ
        settings = cls()
        if env.get("OSE_DB"):
            settings = replace(settings, db=Path(env["OSE_DB"]))
        if env.get("OSE_DATA_DIR"):
            settings = replace(settings, data_dir=Path(env["OSE_DATA_DIR"]))
        if env.get("OSE_PROFILE"):
            settings = replace(settings, profile=env["OSE_PROFILE"])
        if env.get("OSE_REGISTRY"):
            settings = replace(settings, registry=Path(env["OSE_REGISTRY"]))
        settings = replace(settings, max_request_bytes=env_int(env.get("OSE_MAX_REQUEST_BYTES"), settings.max_request_bytes,
                                                               "OSE_MAX_REQUEST_BYTES", MIN_REQUEST_BYTES))
        settings = replace(settings, max_admin_bytes=env_int(env.get("OSE_MAX_ADMIN_BYTES"), settings.max_admin_bytes,
                                                             "OSE_MAX_ADMIN_BYTES", MIN_REQUEST_BYTES))
        settings = replace(settings, journal_bodies=env_bool(env.get("OSE_JOURNAL_BODIES"), True, "OSE_JOURNAL_BODIES"))
        settings = replace(settings, journal_max_entries=env_int(env.get("OSE_JOURNAL_MAX_ENTRIES"), settings.journal_max_entries,
                                                                 "OSE_JOURNAL_MAX_ENTRIES", 0, 10 ** 9))
        settings = replace(settings, read_timeout=env_int(env.get("OSE_READ_TIMEOUT"), settings.read_timeout,
                                                          "OSE_READ_TIMEOUT", 1, 3600))
        settings = replace(settings, body_timeout=env_int(env.get("OSE_BODY_TIMEOUT"), settings.body_timeout,
                                                          "OSE_BODY_TIMEOUT", 1, 3600))
        if env.get("OSE_CLOCK"):
            settings = replace(settings, clock=env["OSE_CLOCK"])
        if env.get("OSE_FORWARDED_ALLOW_IPS", "").strip():
            settings = replace(settings, forwarded_allow_ips=env["OSE_FORWARDED_ALLOW_IPS"].strip())
        given = {k: v for k, v in overrides.items() if v is not None}
        return replace(settings, **given)  # type: ignore[arg-type]

    def check(self) -> Settings:
        """These settings, once the profile loads, the clock reads a moment it may hold, the limits are
        whole numbers in range, the registry file is valid, the store opens and the data folder holds
        the CDR-signing key; :class:`SettingError`
        otherwise.  ``osemock serve`` and the container's gunicorn call it once, before any worker
        starts (each would fail on it in turn, and gunicorn would only say a worker failed to boot)."""
        from osemock.cpe.archive import ZipLimits
        from osemock.server import registry
        from osemock.server.clock import EARLIEST, LATEST, parse_moment
        from osemock.server.profiles import load_profile
        from osemock.server.soap.address import Proxies
        from osemock.server.store import Store, StoreError

        try:
            profile = load_profile(self.profile)
        except (ValueError, OSError, yaml.YAMLError) as error:
            raise SettingError(f"{error} (--profile, OSE_PROFILE)") from None
        if self.clock:
            try:
                moment = parse_moment(self.clock)
            except (ValueError, TypeError):
                raise SettingError(f"clock (--clock, OSE_CLOCK) must be an ISO date-time such as "
                                   f"2026-11-20T12:00:00, not {self.clock!r}") from None
            if not EARLIEST <= moment <= LATEST:
                raise SettingError(f"clock (--clock, OSE_CLOCK) must read between {EARLIEST.date()} and "
                                   f"{LATEST.date()}, not {self.clock!r}")
        try:
            ZipLimits.from_env()
            Proxies(self.forwarded_allow_ips)
        except ValueError as error:
            raise SettingError(str(error)) from None
        if self.max_request_bytes < MIN_REQUEST_BYTES:
            raise SettingError(f"the request limit (OSE_MAX_REQUEST_BYTES) must be {MIN_REQUEST_BYTES} bytes or more")
        if self.max_admin_bytes < MIN_REQUEST_BYTES:
            raise SettingError(f"the admin request limit (OSE_MAX_ADMIN_BYTES) must be {MIN_REQUEST_BYTES} bytes or more")
        try:
            if self.registry is not None:
                registry.load(self.registry)
            Store(self.db).close()
        except (registry.RegistryError, StoreError) as error:
            raise SettingError(str(error)) from None
        self._check_keys(profile.ose_ruc, profile.ose_name)
        return self

    def _check_keys(self, ruc: str, name: str) -> None:
        """The data folder holds (or now gets) the OSE's CDR-signing pair: a folder that cannot be made
        (``/proc/x``), a file in its place or an unreadable key was a traceback from each worker."""
        from osemock.server.keys import load_or_create_identity

        where = "OSE_DATA_DIR" if self.data_dir is not None else "the store's folder: --db, OSE_DB"
        if self.keys_dir.exists() and not self.keys_dir.is_dir():
            raise SettingError(f"data folder {self.keys_dir} ({where}) is not a folder")
        try:
            load_or_create_identity(self.keys_dir, ruc, name)
        except (OSError, ValueError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            raise SettingError(f"data folder {self.keys_dir} ({where}): cannot keep the CDR key there: {reason}") from None
