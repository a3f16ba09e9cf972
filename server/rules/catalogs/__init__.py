"""SUNAT's catalogs (01–65) as sets of codes, from the XML files beside this module."""
from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

from lxml import etree


@lru_cache(maxsize=None)
def entries(number: str) -> dict[str, dict[str, str]]:
    """Each code of catalog ``number`` with its attributes (cat_05's ``name``, ``UN_ECE_5153``…)."""
    resource = files(__package__).joinpath(f"cat_{number}.xml")
    if not resource.is_file():
        return {}
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(resource.read_bytes(), parser)
    return {(c.get("id") or "").strip(): {k: v for k, v in c.attrib.items() if k != "id"} for c in root.iter("c")}


@lru_cache(maxsize=None)
def catalog(number: str) -> frozenset[str]:
    """The codes of catalog ``number`` (``"02"``, ``"13"``…); empty when SUNAT ships none."""
    return frozenset(entries(number))
