"""Parsing untrusted XML: no DTDs, no entities, no network, no huge trees.

Everything an emitter sends goes through :func:`parse_xml`; a document that is not well-formed, is
not UTF-8 as declared, or declares entities is SUNAT's 0306 "No se puede leer (parsear) el archivo XML".
"""
from __future__ import annotations

from lxml import etree

from osemock.cpe.errors import SunatError

DETAIL_PREFIX = "http://xxx.xxx.xxx/ol-ti-itcpe/billService"


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_comments=False)


def parse_xml(data: bytes, service: str = DETAIL_PREFIX) -> etree._Element:
    """The root element of ``data``; 0306 (with the line) for anything that is not plain, safe XML.
    ``service`` is the address a 0306's detail names, as SUNAT's names the service that was called."""
    if not isinstance(data, bytes):  # a caller's mistake, not a document's: said plainly
        raise TypeError(f"XML is read from the bytes of its file (open(path, 'rb').read()), not {type(data).__name__}")
    if b"<!ENTITY" in data[:4096] or b"<!DOCTYPE" in data[:4096]:
        raise SunatError("0306", f"{service}: Error en la linea 1: DOCTYPE y entidades no permitidos")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else 1
        raise SunatError("0306", f"{service}: Error en la linea {line}: {exc.msg}") from None
    except ValueError as exc:
        raise SunatError("0306", f"{service}: {exc}") from None
    if root is None:
        raise SunatError("0306", f"{service}: No se encontro la raiz del documento")
    if root.getroottree().docinfo.doctype:
        raise SunatError("0306", f"{service}: DOCTYPE no permitido")
    return root
