"""SUNAT's catalogs (01–65) as sets of codes, from the XML files beside this module."""
from __future__ import annotations

import io
import re
from functools import lru_cache
from importlib.resources import files
from types import MappingProxyType
from typing import Mapping

from lxml import etree


#: The attributes of a code that has none besides its id (most of catálogo 25's 53,316), shared.
_NO_ATTRIBUTES: Mapping[str, str] = MappingProxyType({})


@lru_cache(maxsize=None)
def entries(number: str) -> dict[str, Mapping[str, str]]:
    """Each code of catalog ``number`` with its attributes (cat_05's ``name``, ``UN_ECE_5153``…).

    Read code by code, each dropped once read: catálogo 25 is a 2.9 MB file whose whole tree took
    39 MB that a server process kept (freed, never handed back); this way it costs 10 MB."""
    resource = files(__package__).joinpath(f"cat_{number}.xml")
    if not resource.is_file():
        return {}
    codes: dict[str, Mapping[str, str]] = {}
    for _, code in etree.iterparse(io.BytesIO(resource.read_bytes()), tag="c", resolve_entities=False,
                                   no_network=True, load_dtd=False):
        attributes = {k: v for k, v in code.attrib.items() if k != "id"}
        codes[(code.get("id") or "").strip()] = attributes or _NO_ATTRIBUTES
        code.clear()
        while code.getprevious() is not None:  # the codes already read, still children of the root
            del code.getparent()[0]
    return codes


@lru_cache(maxsize=None)
def catalog(number: str) -> frozenset[str]:
    """The codes of catalog ``number`` (``"02"``, ``"13"``…); empty when SUNAT ships none."""
    return frozenset(entries(number))


#: SUNAT's "Parámetros (NNN)" tables (the workbook's LISTADOS column) that are catalogs the mock holds:
#: 006 is catálogo 06 (identity documents), 019 catálogo 22 (perception regimes and their rates)…
PARAMETROS = {"005": "05", "006": "06", "017": "11", "018": "19", "019": "22"}


def parametros_catalog(listado: str) -> str | None:
    """The catalog number of a LISTADOS cell naming a "Parámetros (NNN)" table the mock holds, else ``None``."""
    match = re.fullmatch(r"Parámetros \((\d{3})\)", listado.strip())
    return PARAMETROS.get(match[1]) if match else None
