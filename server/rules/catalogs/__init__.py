"""SUNAT's catalogs (01–65) as sets of codes, from the XML files beside this module."""
from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

from lxml import etree


@lru_cache(maxsize=None)
def catalog(number: str) -> frozenset[str]:
    """The codes of catalog ``number`` (``"02"``, ``"13"``…); empty when SUNAT ships none."""
    resource = files(__package__).joinpath(f"cat_{number}.xml")
    if not resource.is_file():
        return frozenset()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(resource.read_bytes(), parser)
    return frozenset((c.get("id") or "").strip() for c in root.iter("c"))
