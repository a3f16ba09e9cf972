"""Settings of one mock server, read once (at app creation, never at import) from ``OSE_*`` variables."""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path


def env_bool(value: str | None, default: bool) -> bool:
    """``1/true/yes/on`` is true, ``0/false/no/off`` false (unlike ``bool("false")``)."""
    if value is None or value.strip() == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"not a boolean: {value!r}")


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
    """Largest HTTP body read; a larger request is refused with 413."""
    journal_bodies: bool = True
    """Keep request and response bodies in the journal (turn off for long load runs)."""
    clock: str | None = None
    """ISO date-time the mock's clock starts at (it keeps running); ``None`` = real Lima time."""

    def __post_init__(self) -> None:
        for name in ("db", "data_dir", "registry"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Path):
                object.__setattr__(self, name, Path(value))

    @property
    def keys_dir(self) -> Path:
        return self.data_dir or self.db.parent

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> "Settings":
        """Settings from ``OSE_DB``, ``OSE_DATA_DIR``, ``OSE_PROFILE``, ``OSE_REGISTRY``,
        ``OSE_MAX_REQUEST_BYTES``, ``OSE_JOURNAL_BODIES`` and ``OSE_CLOCK``, then explicit overrides (``None`` ignored)."""
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
        if env.get("OSE_MAX_REQUEST_BYTES"):
            settings = replace(settings, max_request_bytes=int(env["OSE_MAX_REQUEST_BYTES"]))
        settings = replace(settings, journal_bodies=env_bool(env.get("OSE_JOURNAL_BODIES"), True))
        if env.get("OSE_CLOCK"):
            settings = replace(settings, clock=env["OSE_CLOCK"])
        given = {k: v for k, v in overrides.items() if v is not None}
        return replace(settings, **given)  # type: ignore[arg-type]
