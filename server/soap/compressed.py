"""Request bodies sent compressed (``Content-Encoding: gzip`` or ``deflate``), expanded before the screen.

PHP SoapClient with ``SOAP_COMPRESSION_GZIP``, CXF's GZIPFeature and .NET handlers that compress send the
envelope gzipped, and a Java OSE's servlet stack takes it; the mock read the gzip as XML and answered
0305 "no es XML bien formado", blaming an envelope that was fine.  A body expands to at most
``OSE_MAX_REQUEST_BYTES``, the limit of a body sent as it is: a gzip bomb is refused (413) once past it,
never expanded whole.
"""
from __future__ import annotations

import zlib

from osemock.server.soap.refusal import RequestRefused

#: zlib's window bits for each coding it reads: gzip's header, or zlib's (``deflate`` as RFC 9110 means it).
_GZIP, _ZLIB, _RAW = 31, 15, -15
#: What the 415 answer offers (``Accept-Encoding``, RFC 7694).
ACCEPTED = "gzip, deflate"


def expanded(body: bytes, content_encoding: str, limit: int) -> bytes:
    """``body`` with the codings of ``content_encoding`` undone (the last applied first); 415 for a coding
    the mock does not read, 400 for bytes that do not decompress, 413 past ``limit`` bytes expanded."""
    codings = [coding.strip().lower() for coding in content_encoding.split(",") if coding.strip()]
    for coding in reversed(codings):
        if coding == "identity":
            continue
        if coding in ("gzip", "x-gzip"):
            body = _inflate(body, _GZIP, coding, limit)
        elif coding == "deflate":
            # RFC 9110's deflate has zlib's header; some clients (old IE-era code, a few PHP builds) send
            # the raw stream, which a zlib header check refuses at its first two bytes
            body = _inflate(body, _ZLIB if _has_zlib_header(body) else _RAW, coding, limit)
        else:
            raise RequestRefused(415, f"Content-Encoding {coding!r} is not supported: send the body as it is, "
                                      f"or gzip or deflate", (("Accept-Encoding", ACCEPTED),))
    return body


def _has_zlib_header(data: bytes) -> bool:
    return len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0


def _inflate(data: bytes, wbits: int, coding: str, limit: int) -> bytes:
    """Every member of the stream (``gzip`` may hold several, one after another), at most ``limit`` bytes."""
    parts: list[bytes] = []
    size = 0
    while True:
        inflater = zlib.decompressobj(wbits)
        try:
            part = inflater.decompress(data, limit + 1 - size)
        except zlib.error as error:
            raise RequestRefused(400, f"the request body does not decompress as {coding}: {error}") from None
        size += len(part)
        if size > limit:
            raise RequestRefused(413, f"request too large: more than {limit} bytes once decompressed")
        parts.append(part)
        if not inflater.eof:
            raise RequestRefused(400, f"the request body does not decompress as {coding}: it ends before its stream does")
        data = inflater.unused_data
        if wbits != _GZIP or not data.strip(b"\0"):  # trailing zeros: padding some writers add
            return b"".join(parts)
