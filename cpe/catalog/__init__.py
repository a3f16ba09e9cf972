"""SUNAT's catalog of return codes (``errors.csv``), the only source of the messages osemock writes.

>>> lookup("0151").message
'El nombre del archivo ZIP es incorrecto'
>>> lookup("4000").severity
'observation'
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files


@dataclass(frozen=True)
class CatalogEntry:
    """One code of SUNAT's catalog."""

    code: str
    message: str

    @property
    def severity(self) -> str:
        """``exception`` (0100–1999), ``rejection`` (2000–3999) or ``observation`` (4000+), by range."""
        return severity_of(self.code)


def severity_of(code: str) -> str:
    """The class SUNAT gives a code by its numeric range (PROTOCOL.md §7)."""
    number = int(code)
    if number < 2000:
        return "exception"
    if number < 4000:
        return "rejection"
    return "observation"


@lru_cache(maxsize=1)
def _entries() -> dict[str, CatalogEntry]:
    text = files(__package__).joinpath("errors.csv").read_text(encoding="utf-8")
    return {
        row["code"]: CatalogEntry(row["code"], row["message"].strip())
        for row in csv.DictReader(text.splitlines())
    }


def lookup(code: str) -> CatalogEntry:
    """The catalog entry for ``code``; raises ``KeyError`` for a code SUNAT never published."""
    return _entries()[code]


def all_codes() -> list[str]:
    """Every code of the catalog, in its order."""
    return list(_entries())
