"""A look at the request before spyne does: what is not a SOAP 1.1 envelope is answered here.

spyne trusts its input more than a public endpoint may: a DTD (entity bombs), bytes that are not
in the declared charset, an envelope with no Body or two Bodies reach code paths that raise instead
of answering.  The screen parses once with a hardened parser (no DTD, no entities, no network, no
huge trees) and hands spyne only a well-formed envelope in UTF-8, without xsi:type marks on the call;
everything else becomes SUNAT's 0305 ("El sistema no puede procesar el archivo xml") in the profile's
dialect.

The body's encoding is what its BOM or XML declaration says; with neither, the charset of the HTTP
Content-Type (RFC 7303 §3), which VB6 or FoxPro code sending an ANSI string relies on; with none of the
three, UTF-8.
"""
from __future__ import annotations

import codecs
import re

from lxml import etree

from osemock.cpe.errors import SunatError

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
#: NuSOAP and rpc-style stacks mark every field of the call with its XSD type (``xsd:string``,
#: ``xsd:base64Binary``…).  Every field of SUNAT's operations is text to the mock, and spyne refuses a
#: type it has no class for, so the screen drops the marks, as a JAX-WS service reads past them.
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
#: ``huge_tree``: a lot's ZIP past ~7 MB is a base64 text node past libxml2's 10 MB cap, refused as
#: 0305 although the request was within ``OSE_MAX_REQUEST_BYTES``.  The body is bounded by that limit and
#: may hold no DTD or entity, so lifting the cap costs memory in proportion to the body, no more (the
#: depth stays capped, at 2048).
ENVELOPE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, load_dtd=False)


def has_dtd(body: bytes) -> bool:
    """Whether an envelope declares a DTD or an entity (which no SOAP message may: 0305)."""
    return b"<!DOCTYPE" in body[:4096] or b"<!ENTITY" in body[:65536]


def screen(body: bytes, charset: str | None = None) -> tuple[bytes, etree._Element]:
    """The body spyne may parse (re-encoded as UTF-8 when it came otherwise) and its one call element;
    :class:`SunatError` 0305 when it is not one well-formed SOAP 1.1 envelope with exactly one Body
    holding one call.  ``charset`` is the HTTP Content-Type's, for a body that names no encoding."""
    if charset:
        body = in_utf8(body, charset)
    if has_dtd(body):
        raise SunatError("0305", "El mensaje SOAP no puede tener DTD ni entidades")
    try:
        root = etree.fromstring(body, ENVELOPE_PARSER)
    except (etree.XMLSyntaxError, ValueError) as error:
        raise SunatError("0305", f"El mensaje SOAP no es XML bien formado: {str(error)[:200]}") from None
    if root.tag != f"{{{SOAP_ENV}}}Envelope":
        raise SunatError("0305", "El mensaje no es un sobre SOAP 1.1 (soapenv:Envelope)")
    bodies = root.findall(f"{{{SOAP_ENV}}}Body")
    if len(bodies) != 1:
        raise SunatError("0305", f"El sobre SOAP debe tener un Body; tiene {len(bodies)}")
    calls = [child for child in bodies[0] if isinstance(child.tag, str)]
    if len(calls) != 1:
        raise SunatError("0305", f"El Body SOAP debe tener una operacion; tiene {len(calls)}")
    typed = [element for element in calls[0].iter() if XSI_TYPE in element.attrib]
    for element in typed:
        del element.attrib[XSI_TYPE]
    if typed or not _is_utf8(body):
        return etree.tostring(root, encoding="UTF-8", xml_declaration=True), calls[0]
    return body, calls[0]


#: Byte order marks: UTF-8's, UTF-16's and UTF-32's (lxml reads them).
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
#: An XML declaration that names an encoding.
_DECLARED = re.compile(r"\s*<\?xml[^>]*?\sencoding\s*=")


def in_utf8(body: bytes, charset: str) -> bytes:
    """``body`` in UTF-8 when it names no encoding of its own and ``charset`` is another; 0305 when its
    bytes are not in that charset or the mock knows no such charset."""
    if body.startswith(_BOMS) or _DECLARED.match(body[:200].decode("latin-1")):
        return body
    try:
        if codecs.lookup(charset).name == "utf-8":
            return body  # read as UTF-8 anyway, and judged as such by the parser
        text = body.decode(charset)
    except LookupError:
        raise SunatError("0305", f"El charset del Content-Type no se conoce: {charset[:40]!r}") from None
    except UnicodeDecodeError as error:
        raise SunatError("0305", f"El mensaje SOAP no esta en el charset de su Content-Type ({charset[:40]}): "
                                 f"{error.reason} en el byte {error.start}") from None
    if _DECLARED.match(text[:200]):  # a UTF-16 body without BOM names its encoding in UTF-16's bytes
        return body
    return text.encode("utf-8")


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
