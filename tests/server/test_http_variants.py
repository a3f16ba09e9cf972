"""HTTP-level variants of a SOAP call answered alike by the two servers the mock runs under: waitress
(``osemock serve``) and gunicorn (``--workers 2``, the container).  The probe found them apart on paths
with repeated slashes, proxy headers, a missing or hostile Host, compressed or MTOM bodies and the HTTP
charset; each case here runs against both, each a real server process on loopback."""
from __future__ import annotations

import base64
import gzip
import http.client
import itertools
import zlib
from dataclasses import dataclass

import pytest
import requests

from osemock.cpe.archive import write_document_zip
from osemock.fixtures import signed_document
from tests.serving import serve

from .envelopes import envelope, security

RUC = "20123456789"
DAY = "2026-11-20"
CLOCK = f"{DAY}T18:00:00-05:00"
PATH = "/ol-ti-itcpe/billService"
_numbers = itertools.count(1)


@dataclass(frozen=True)
class Server:
    name: str
    host: str
    port: int


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


@pytest.fixture(scope="module", params=["waitress", "gunicorn"])
def server(request, tmp_path_factory):
    """One mock per server kind for the module (a gunicorn start is seconds), each on its own store."""
    yield from _served(request.param, tmp_path_factory.mktemp(request.param))


def _served(kind: str, folder, **environment: str):
    """A real ``osemock serve`` of ``kind`` (waitress, or gunicorn with two workers) on a store in
    ``folder``, started with ``environment`` added, stopped when the fixture ends."""
    options = ["--workers", "2"] if kind == "gunicorn" else []
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environment.items():
            patch.setenv(name, value)
        process, base = serve(*options, "--db", str(folder / "store.sqlite3"), "--clock", CLOCK)
    host, port = base.removeprefix("http://").rsplit(":", 1)
    try:
        yield Server(kind, host, int(port))
    finally:
        process.terminate()
        process.wait(timeout=20)


def exchange(server: Server, method: str, target: str, body: bytes | None = None,
             headers: dict[str, str] | None = None, *, skip_host: bool = False) -> Answer:
    """One request exactly as given (the target is not normalised, as ``requests`` would)."""
    connection = http.client.HTTPConnection(server.host, server.port, timeout=30)
    try:
        connection.putrequest(method, target, skip_host=skip_host, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()


def bill_envelope() -> bytes:
    """A sendBill of a fresh signed factura (a number never sent before, so never 1033)."""
    numero = next(_numbers)
    name = f"{RUC}-01-F001-{numero}"
    archive = write_document_zip(f"{name}.xml", signed_document(f"{RUC}-01-F001-1.xml", numero=numero, issue_date=DAY))
    return envelope("sendBill", {"fileName": f"{name}.zip", "contentFile": base64.b64encode(archive).decode()},
                    security(RUC + "BIZLINKS", "TESTBIZLINKS"))


SOAP_HEADERS = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"urn:sendBill"'}


def accepted(answer: Answer) -> bool:
    return answer.status == 200 and b"applicationResponse" in answer.body


@pytest.mark.parametrize("path", ["/" + PATH, PATH.replace("/billService", "//billService"), "/" + PATH.replace("/", "//")])
def test_repeated_slashes_reach_the_endpoint(server, path):
    """A base URL with a trailing slash joined to the path (``…8080/`` + ``/ol-ti-itcpe/billService``):
    waitress merged leading slashes and answered the CDR, gunicorn kept them and answered the portal's
    404.  Both merge them now, as Tomcat and JAX-WS servers forgive it, for the call and its WSDL."""
    answer = exchange(server, "POST", path, bill_envelope(), SOAP_HEADERS)
    assert accepted(answer), (answer.status, answer.body[:300])
    wsdl = exchange(server, "GET", path + "?wsdl")
    assert wsdl.status == 200 and f"{PATH}\"".encode() in wsdl.body, wsdl.body[:300]
    imported = exchange(server, "GET", path.replace("billService", "billService.ns1.wsdl"))
    assert imported.status == 200 and b"wsdl:definitions" in imported.body


def soap_address(answer: Answer) -> str | None:
    from lxml import etree

    found = etree.fromstring(answer.body).xpath("//*[local-name()='address']/@location")
    return found[0] if found else None


@pytest.mark.parametrize("version", ["HTTP/1.0", "HTTP/1.1"])
def test_a_wsdl_asked_without_host_names_the_address_the_client_reached(server, version):
    """No Host header (an HTTP/1.0 client, hand-built requests): waitress's WSDL named
    ``http://waitress.invalid:PORT``, a host that never resolves; both name the socket's address now."""
    import socket

    with socket.create_connection((server.host, server.port), timeout=30) as connection:
        connection.sendall(f"GET {PATH}?wsdl {version}\r\nConnection: close\r\n\r\n".encode())
        raw = b""
        while chunk := connection.recv(65536):
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.split(b" ", 2)[1] == b"200", head
    if b"chunked" in head.lower():  # not expected: both answer with a Content-Length
        pytest.fail(head.decode())
    assert soap_address(Answer(200, {}, body)) == f"http://{server.host}:{server.port}{PATH}"


@pytest.mark.parametrize("host", ['x"/><evil/><a b="', "ose.example.pe/evil", "a b", "[::1", "ose:port", "ose:99999"])
def test_a_host_that_is_not_host_port_gets_400_not_a_wsdl(server, host):
    """The Host header went into the WSDL's soap:address as it came: ``x"/><evil/><a b="`` served a WSDL
    with an element of the client's making.  A Host that is not ``host[:port]`` is refused in one line."""
    answer = exchange(server, "GET", PATH + "?wsdl", headers={"Host": host}, skip_host=True)
    assert answer.status == 400, answer.body[:300]
    assert answer.headers["content-type"] == "text/plain" and answer.body.startswith(b"the Host header is not host[:port]")
    assert answer.body.count(b"\n") == 1 and b"definitions" not in answer.body
    imported = exchange(server, "GET", PATH.replace("billService", "billService.ns1.wsdl"), headers={"Host": host},
                        skip_host=True)
    assert imported.status == 400


@pytest.mark.parametrize("host", ["ose.example.pe", "ose.example.pe:8443", "10.0.0.7:8080", "[::1]:8080", "[2001:db8::7]",
                                  "mock_ose.local"])
def test_a_host_of_host_port_is_the_wsdl_address(server, host):
    answer = exchange(server, "GET", PATH + "?wsdl", headers={"Host": host}, skip_host=True)
    assert answer.status == 200 and soap_address(answer) == f"http://{host}{PATH}"


@pytest.fixture(scope="module", params=["waitress", "gunicorn"])
def server_trusting_no_one_here(request, tmp_path_factory):
    """A mock whose only trusted proxy is an address the tests never connect from."""
    yield from _served(request.param, tmp_path_factory.mktemp(request.param + "-untrusting"),
                       OSE_FORWARDED_ALLOW_IPS="10.9.9.9, 192.0.2.0/24")


@pytest.mark.parametrize("forwarded, address", [
    ({"X-Forwarded-Proto": "https"}, "https://ose.example.pe"),
    ({"X-Forwarded-Proto": "https", "X-Forwarded-Host": "public.example.pe:8443"}, "https://public.example.pe:8443"),
    ({"X-Forwarded-Host": "public.example.pe, inner.example"}, "http://public.example.pe"),
    ({"X-Forwarded-Proto": "https, http"}, "https://ose.example.pe"),
    ({"X-Forwarded-Ssl": "on"}, "https://ose.example.pe"),
    ({"X-Forwarded-Proto": "http"}, "http://ose.example.pe"),
])
def test_a_trusted_proxy_names_the_wsdl_address(server, forwarded, address):
    """Behind a TLS proxy on the same machine gunicorn's WSDL said https and waitress's http (so its clients
    posted in plain HTTP to the proxy's public name), and neither read X-Forwarded-Host.  Both take
    X-Forwarded-Proto and X-Forwarded-Host from a trusted proxy (loopback unless OSE_FORWARDED_ALLOW_IPS)."""
    answer = exchange(server, "GET", PATH + "?wsdl", headers={"Host": "ose.example.pe", **forwarded}, skip_host=True)
    assert answer.status == 200 and soap_address(answer) == address + PATH


def test_a_trusted_proxys_forwarded_host_must_be_host_port(server):
    answer = exchange(server, "GET", PATH + "?wsdl", headers={"X-Forwarded-Host": 'x"><evil/>'})
    assert answer.status == 400 and answer.body.startswith(b"the X-Forwarded-Host header is not host[:port]")


def test_proxy_headers_from_an_untrusted_peer_are_ignored(server_trusting_no_one_here):
    answer = exchange(server_trusting_no_one_here, "GET", PATH + "?wsdl",
                      headers={"Host": "ose.example.pe", "X-Forwarded-Proto": "https", "X-Forwarded-Ssl": "on",
                               "X-Forwarded-Host": "public.example.pe"}, skip_host=True)
    assert answer.status == 200 and soap_address(answer) == "http://ose.example.pe" + PATH


def _raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-15)
    return packer.compress(data) + packer.flush()


@pytest.mark.parametrize("coding, pack", [
    ("gzip", gzip.compress), ("x-gzip", gzip.compress), ("GZIP", gzip.compress), ("deflate", zlib.compress),
    ("deflate", _raw_deflate), ("identity", lambda data: data), ("gzip, identity", gzip.compress),
    ("gzip", lambda data: gzip.compress(data[:100]) + gzip.compress(data[100:])),  # two members, as concatenated
], ids=["gzip", "x-gzip", "GZIP", "deflate-zlib", "deflate-raw", "identity", "gzip-identity", "gzip-two-members"])
def test_a_compressed_request_body_is_taken(server, coding, pack):
    """PHP SoapClient with SOAP_COMPRESSION_GZIP, CXF's GZIPFeature and .NET compressing handlers send the
    envelope gzipped with Content-Encoding: it was answered 0305 "no es XML bien formado", blaming the XML."""
    answer = exchange(server, "POST", PATH, pack(bill_envelope()), {**SOAP_HEADERS, "Content-Encoding": coding})
    assert accepted(answer), (answer.status, answer.body[:300])


def test_an_unknown_content_encoding_is_415_naming_it(server):
    answer = exchange(server, "POST", PATH, bill_envelope(), {**SOAP_HEADERS, "Content-Encoding": "br"})
    assert answer.status == 415 and answer.headers["accept-encoding"] == "gzip, deflate"
    assert answer.body.count(b"\n") == 1 and b"'br'" in answer.body


@pytest.mark.parametrize("body", [b"not gzip at all", gzip.compress(b"<soapenv:Envelope/>" * 50)[:-20]], ids=["garbage", "cut-short"])
def test_a_body_that_does_not_decompress_is_400_in_one_line(server, body):
    answer = exchange(server, "POST", PATH, body, {**SOAP_HEADERS, "Content-Encoding": "gzip"})
    assert answer.status == 400 and answer.body.count(b"\n") == 1 and b"gzip" in answer.body, answer.body


def test_a_gzip_bomb_is_413_without_expanding_past_the_limit(server):
    """65 MiB of zeros (65 KB gzipped) for a 64 MiB OSE_MAX_REQUEST_BYTES: refused once the limit is passed."""
    packer = zlib.compressobj(wbits=31)
    bomb = b"".join(packer.compress(bytes(1 << 20)) for _ in range(65)) + packer.flush()
    assert len(bomb) < 100_000
    answer = exchange(server, "POST", PATH, bomb, {**SOAP_HEADERS, "Content-Encoding": "gzip"})
    assert answer.status == 413 and b"decompressed" in answer.body


def latin1_envelope(declaration: str = "") -> bytes:
    """A sendBill in ISO-8859-1 with a non-ASCII byte (a comment in the header), as VB6 or FoxPro code
    builds it in the ANSI code page."""
    text = bill_envelope().decode().replace("<soapenv:Header>", "<soapenv:Header><!-- Facturación -->", 1)
    return (declaration + text).encode("latin-1")


@pytest.mark.parametrize("declaration", ["", '<?xml version="1.0"?>'], ids=["no-declaration", "declaration-without-encoding"])
def test_the_http_charset_applies_when_the_body_names_none(server, declaration):
    """RFC 7303: with no BOM and no encoding declaration the Content-Type's charset is the body's.  It was
    ignored and the Latin-1 bytes read as UTF-8: 0305 "Invalid bytes in character encoding"."""
    answer = exchange(server, "POST", PATH, latin1_envelope(declaration),
                      {**SOAP_HEADERS, "Content-Type": "text/xml; charset=ISO-8859-1"})
    assert accepted(answer), (answer.status, answer.body[:400])


def test_the_bodys_own_declaration_wins_over_the_http_charset(server):
    """Clients label everything charset=utf-8 and declare what they really wrote: the declaration stays
    the body's word, as before."""
    body = latin1_envelope('<?xml version="1.0" encoding="ISO-8859-1"?>')
    assert accepted(exchange(server, "POST", PATH, body, SOAP_HEADERS))


@pytest.mark.parametrize("charset, fragment", [("klingon", b"klingon"), ("utf-8", b"0305")])
def test_a_charset_the_body_is_not_in_is_0305(server, charset, fragment):
    answer = exchange(server, "POST", PATH, latin1_envelope(), {**SOAP_HEADERS, "Content-Type": f"text/xml; charset={charset}"})
    assert answer.status == 500 and b"0305" in answer.body and fragment in answer.body, answer.body[:500]


BOUNDARY = "uuid:6b62cda6-95c3-4e6b-8d5a-4e0d2f1a0c11+id=1"
XOP = '<xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" href="cid:{cid}"/>'


def mtom_call(*, inline: bool = False, start: bool = True, cid: str = "zip@osemock", href: str | None = None,
              encoding: str = "binary", padding: int = 0) -> tuple[str, bytes]:
    """(Content-Type, body) of a sendBill as JAX-WS with MTOMFeature or WCF with messageEncoding="Mtom"
    sends it: the envelope as application/xop+xml, contentFile an xop:Include of a binary part."""
    numero = next(_numbers)
    name = f"{RUC}-01-F001-{numero}"
    archive = write_document_zip(f"{name}.xml", signed_document(f"{RUC}-01-F001-1.xml", numero=numero, issue_date=DAY))
    archive += bytes(padding)  # trailing bytes after the ZIP's end: a larger part, still a readable ZIP
    content = base64.b64encode(archive).decode() if inline else XOP.format(cid=href or cid)
    root = envelope("sendBill", {"fileName": f"{name}.zip", "contentFile": content}, security(RUC + "BIZLINKS", "TESTBIZLINKS"))
    body = (f"--{BOUNDARY}\r\nContent-Type: application/xop+xml; charset=UTF-8; type=\"text/xml\"\r\n"
            f"Content-Transfer-Encoding: 8bit\r\nContent-ID: <root.message@cxf.apache.org>\r\n\r\n").encode() + root + b"\r\n"
    if not inline:
        data = base64.encodebytes(archive) if encoding == "base64" else archive
        body += (f"--{BOUNDARY}\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: {encoding}\r\n"
                 f"Content-ID: <{cid}>\r\n\r\n").encode() + data + b"\r\n"
    body += f"--{BOUNDARY}--\r\n".encode()
    content_type = (f'multipart/related; type="application/xop+xml"; boundary="{BOUNDARY}"; '
                    + ('start="<root.message@cxf.apache.org>"; ' if start else "") + 'start-info="text/xml"')
    return content_type, body


@pytest.mark.parametrize("options", [{}, {"start": False}, {"inline": True}, {"encoding": "base64"},
                                     {"cid": "1.urn:uuid:0f1e@apache.org", "href": "1.urn%3Auuid%3A0f1e%40apache.org"}],
                         ids=["xop-binary-part", "no-start-parameter", "base64-inline", "part-in-base64", "percent-encoded-cid"])
def test_an_mtom_call_is_unpacked_and_answered(server, options):
    """JAX-WS with MTOM on and WCF with messageEncoding="Mtom" send contentFile as an attachment, and Java
    OSEs take it; the mock answered 500 "Content-Type no soportado: multipart/related" (0305 "no es XML
    bien formado" with a lenient profile).  The root part with each xop:Include replaced by the base64 of
    its part is the call now."""
    content_type, body = mtom_call(**options)
    answer = exchange(server, "POST", PATH, body, {"Content-Type": content_type, "SOAPAction": '"urn:sendBill"'})
    assert accepted(answer), (answer.status, answer.body[:400])


@pytest.mark.parametrize("content_type, body, words", [
    (None, None, b"cid:nowhere@osemock"),
    ('multipart/related; type="application/xop+xml"', b"--x\r\n\r\n<a/>\r\n--x--\r\n", b"boundary"),
    (f'multipart/related; type="application/xop+xml"; boundary="{BOUNDARY}"', b"no parts at all", b"no part"),
    (f'multipart/related; type="application/xop+xml"; boundary="{BOUNDARY}"; start="<elsewhere>"', None, b"<elsewhere>"),
], ids=["unknown-cid", "no-boundary", "no-parts", "unknown-start"])
def test_a_malformed_mtom_call_is_400_in_one_line(server, content_type, body, words):
    default_type, default_body = mtom_call(href="nowhere@osemock")
    answer = exchange(server, "POST", PATH, body or default_body,
                      {"Content-Type": content_type or default_type, "SOAPAction": '"urn:sendBill"'})
    assert answer.status == 400 and answer.body.count(b"\n") == 1 and words in answer.body, answer.body[:300]


def test_an_mtom_root_with_a_dtd_is_refused_as_an_inline_one_is(server):
    """Put back together from its parsed tree, the root lost its DOCTYPE and the call went on, where the
    same envelope sent inline is 0305 "no puede tener DTD ni entidades"."""
    content_type, body = mtom_call()
    body = body.replace(b"\r\n\r\n<", b"\r\n\r\n<!DOCTYPE x [<!ENTITY e \"e\">]><", 1)
    assert b"<!DOCTYPE" in body
    answer = exchange(server, "POST", PATH, body, {"Content-Type": content_type, "SOAPAction": '"urn:sendBill"'})
    assert answer.status == 500 and b"0305" in answer.body and b"DTD" in answer.body, answer.body[:400]


def test_an_mtom_call_is_held_to_the_request_limit_once_inlined(make_mock):
    """A part's base64 is 4/3 of it: the call inlined must fit OSE_MAX_REQUEST_BYTES, as the same call sent
    inline must (413 otherwise), whatever the size of its binary parts."""
    mock = make_mock("ose", clock=CLOCK, max_request_bytes=400_000)
    content_type, body = mtom_call(padding=310_000)
    assert len(body) < 400_000
    answer = requests.post(mock.url(), data=body, headers={"Content-Type": content_type}, timeout=30)
    assert answer.status_code == 413 and b"base64" in answer.content, answer.content[:300]


def test_a_lenient_profile_takes_mtom_too(make_mock, tmp_path):
    profile = tmp_path / "lenient.yaml"
    profile.write_text("extends: ose\nname: lenient\nstrict_content_type: false\n")
    mock = make_mock(str(profile), clock=CLOCK)
    content_type, body = mtom_call()
    answer = requests.post(mock.url(), data=body, headers={"Content-Type": content_type}, timeout=30)
    assert answer.status_code == 200 and b"applicationResponse" in answer.content, answer.content[:400]


@pytest.mark.parametrize("method, target, allow", [
    ("GET", PATH, "POST"), ("PUT", PATH, "POST"), ("OPTIONS", PATH, "POST"), ("DELETE", PATH + "?foo", "POST"),
    ("PUT", PATH + "?wsdl", "GET, HEAD, POST"), ("OPTIONS", PATH + "?wsdl", "GET, HEAD, POST"),
    ("PUT", PATH.replace("billService", "billService.ns1.wsdl"), "GET, HEAD"),
])
def test_a_method_an_endpoint_does_not_take_is_405_with_allow(server, method, target, allow):
    """A 405 must say what the resource takes (RFC 9110 §15.5.6): it had no Allow header, and PUT or
    DELETE on ?wsdl or an imported WSDL file served the file as a GET would."""
    answer = exchange(server, method, target, b"" if method in ("PUT", "DELETE") else None)
    assert answer.status == 405 and answer.headers.get("allow") == allow, (answer.status, answer.headers)


def test_head_of_a_wsdl_is_its_headers(server):
    answer = exchange(server, "HEAD", PATH + "?wsdl")
    assert answer.status == 200 and answer.headers["content-type"].startswith("text/xml") and answer.body == b""


def test_a_body_cut_short_by_the_client_is_not_called_a_timeout(server):
    """A client that announces more Content-Length than it sends and then closes its side (an upload cut
    off) got gunicorn's 408 "the request body did not arrive whole (it has 120 s at most)" at once: no
    time had run out, the client had hung up.  gunicorn answers 400 saying so now; waitress hands the app
    no request that is not whole and closes such a connection unanswered (README)."""
    import socket

    body = bill_envelope()
    with socket.create_connection((server.host, server.port), timeout=30) as connection:
        connection.sendall(f"POST {PATH} HTTP/1.1\r\nHost: mock\r\nContent-Type: text/xml; charset=utf-8\r\n"
                           f"Content-Length: {len(body) + 100}\r\n\r\n".encode() + body)
        connection.shutdown(socket.SHUT_WR)
        raw = b""
        while chunk := connection.recv(65536):
            raw += chunk
    if server.name == "waitress":
        assert raw == b""
    else:
        head, _, text = raw.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400 "), raw[:300]
        assert text == f"the request body ended after {len(body)} of the {len(body) + 100} bytes its Content-Length " \
                       f"announced: the client stopped sending\n".encode()
