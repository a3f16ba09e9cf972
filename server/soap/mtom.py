"""SOAP calls sent as MTOM/XOP (``multipart/related; type="application/xop+xml"``), put back together as
the one envelope the screen reads.

SUNAT's WSDL marks ``contentFile`` ``xmime:expectedContentTypes="application/octet-stream"``, which is
what makes JAX-WS with MTOM on and WCF with ``messageEncoding="Mtom"`` send it as a binary part the
envelope points at (``<xop:Include href="cid:…"/>``); the Java OSEs read such a call.  The root part,
each xop:Include replaced by the base64 of the part it names, is the call: what an inline sender sends.
The MIME is read by the standard library's ``email`` parser.  The call put together is held to
``OSE_MAX_REQUEST_BYTES`` as an inline one is (a part's base64 is 4/3 of it).
"""
from __future__ import annotations

import base64
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from urllib.parse import unquote

from lxml import etree

from osemock.cpe.errors import SunatError
from osemock.server.soap.refusal import RequestRefused
from osemock.server.soap.screen import ENVELOPE_PARSER, has_dtd, in_utf8

XOP_INCLUDE = "{http://www.w3.org/2004/08/xop/include}Include"


def is_multipart(content_type: str) -> bool:
    """Whether a request's Content-Type is a multipart/related message (MTOM/XOP, or SOAP with attachments)."""
    return content_type.strip().lower().startswith("multipart/related")


def unpacked(body: bytes, content_type: str, limit: int) -> tuple[bytes, str]:
    """The call inside an MTOM message and the Content-Type it stands for (the root part's ``type``:
    ``text/xml`` for SOAP 1.1, with its charset).  :class:`RequestRefused` 400 for a multipart that is
    not one (no boundary, no parts, a ``start`` or ``cid:`` that names no part), 413 past ``limit``."""
    message = BytesParser(policy=compat32).parsebytes(b"Content-Type: " + content_type.encode("latin-1", "replace")
                                                      + b"\r\n\r\n" + body)
    if message.get_boundary() is None:
        raise RequestRefused(400, "the multipart/related Content-Type names no boundary")
    parts = message.get_payload() if message.is_multipart() else []
    if not isinstance(parts, list) or not parts:
        raise RequestRefused(400, f"the multipart/related body has no part within its boundary {message.get_boundary()!r}")
    root = _root(message, parts)
    data = root.get_payload(decode=True) or b""
    if root.get_content_type() == "application/xop+xml":
        kind = root.get_param("type") or message.get_param("start-info") or "text/xml"
    else:  # SOAP with attachments: the envelope is the root as it is
        kind = root.get_content_type()
    charset = root.get_content_charset()
    effective = f"{kind}; charset={charset}" if charset else str(kind)
    return _inlined(data, charset, {_content_id(part): part for part in parts if part is not root}, limit), effective


def _root(message: Message, parts: list[Message]) -> Message:
    """The part the ``start`` parameter names, or the first (MTOM's default)."""
    start = message.get_param("start")
    if not isinstance(start, str) or not start.strip():
        return parts[0]
    wanted = start.strip().strip("<>")
    for part in parts:
        if _content_id(part) == wanted:
            return part
    raise RequestRefused(400, f"the multipart/related start parameter {start!r} names no part")


def _content_id(part: Message) -> str:
    return (part.get("Content-ID") or "").strip().strip("<>")


def _inlined(root: bytes, charset: str | None, attachments: dict[str, Message], limit: int) -> bytes:
    """The root with every xop:Include replaced by its part's base64; a root that does not parse, or has
    a DTD, is handed on as it came, for the screen to answer (0305 names what is wrong with it).  Written
    back from its tree, a root's DOCTYPE was dropped and its entities left as references: the screen's
    "no DTD nor entities" never saw them."""
    if has_dtd(root):
        return root
    try:
        envelope = etree.fromstring(in_utf8(root, charset) if charset else root, ENVELOPE_PARSER)  # the screen's hardening
    except (etree.XMLSyntaxError, ValueError, SunatError):
        return root
    includes = list(envelope.iter(XOP_INCLUDE))
    if not includes:
        return root
    size = len(root)
    for include in includes:
        href = include.get("href", "")
        part = attachments.get(unquote(href.removeprefix("cid:")))
        if part is None:
            raise RequestRefused(400, f"xop:Include names {href[:100]!r}, and no part of the multipart has that Content-ID")
        content = base64.b64encode(part.get_payload(decode=True) or b"").decode("ascii")
        size += len(content)
        if size > limit:
            raise RequestRefused(413, f"request too large: more than {limit} bytes once its MTOM parts are inlined as base64")
        parent, previous = include.getparent(), include.getprevious()
        text = content + (include.tail or "")
        if previous is not None:
            previous.tail = (previous.tail or "") + text
        else:
            parent.text = (parent.text or "") + text
        parent.remove(include)
    return etree.tostring(envelope, encoding="UTF-8", xml_declaration=True)
