"""The HTTP under zeep: one deadline for the whole of a call, and SOAP or nothing.

requests applies its timeout to each read of the socket, so a server that trickles a byte a second
never trips it and a call with ``timeout=30`` could wait for hours.  Here the timeout is the time a
call may take in all: connecting, sending and receiving the whole answer end by one deadline.  No
thread watches the clock: each read of the answer is given the time left as its socket timeout (the
connection class hands http.client a socket whose file does that), and connecting and sending are
given at most the time left.  A call past its deadline raises ``requests.ReadTimeout`` (a
``requests.Timeout``), whatever part of the answer it was waiting for.

A call that fails otherwise after its request went out whole (the line dropped, reset, or the answer
cut short or undecodable) raises :class:`AnswerLost`: like a timeout, the server may have taken it.  One
that fails before (refused, no route, a name or TLS handshake that failed) raises what requests raised:
nothing reached the service, so it can be sent again.  The connection says which, since the
exceptions do not: urllib3 wraps a failed TLS handshake as it wraps a TLS error in the answer, and
swallows a reset while sending to read whatever answer came.
"""
from __future__ import annotations

import io
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Iterator, Protocol

import requests
from lxml import etree
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ReadTimeoutError
from zeep.exceptions import TransportError
from zeep.transports import Transport


@dataclass
class _Call:
    """The call running in this context."""

    deadline: float
    """The monotonic time by which it must be over."""
    went_out: bool = False
    """Its request was handed whole to the socket: from then on, the server may have taken it."""


_CALL: ContextVar[_Call | None] = ContextVar("osemock_client_call", default=None)


class AnswerLost(requests.RequestException):
    """The request went out whole, then the connection failed before a whole answer came (dropped,
    reset, cut short): the server may have taken it, as when the answer times out.  Its message is
    the failure's, which is its ``__cause__``."""


class NotSent(requests.Timeout):
    """A call that was not made: the time it shares with other calls (its :class:`CallBudget`) is
    spent.  Nothing went out, and trying again at once meets the same empty budget.  ``reason`` is
    the budget's word, and the budget's own ``requests.Timeout`` is its ``__cause__``."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"not sent: {reason}")
        self.reason = reason


#: What a SOAP answer's Content-Type may say.
_XML_TYPES = frozenset({"text/xml", "application/xml", "application/soap+xml", "multipart/related"})
#: The envelope namespaces of SOAP 1.1 and 1.2.
_SOAP_ENVELOPES = frozenset({"http://schemas.xmlsoap.org/soap/envelope/", "http://www.w3.org/2003/05/soap-envelope"})
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


def _not_a_fault(content: bytes) -> str | None:
    """What well-formed XML is, when it is no SOAP envelope with a Fault in its Body (``<error>``, an
    envelope with an empty Body); ``None`` for a fault, and for what is not XML, which zeep reports as
    such itself.  zeep reads any such XML under an error status as a fault without a code."""
    try:
        root = etree.fromstring(content, _PARSER)
    except etree.XMLSyntaxError:
        return None
    name = etree.QName(root)
    if name.namespace in _SOAP_ENVELOPES and name.localname == "Envelope":
        if root.find(f"{{{name.namespace}}}Body/{{{name.namespace}}}Fault") is not None:
            return None
        return "a SOAP envelope without a fault"
    return f"an XML answer (<{name.localname}>), not a SOAP fault"


def _time_left(timeout: Any) -> Any:
    """``timeout`` cut to the time the current call has left (never 0, which would mean non-blocking)."""
    call = _CALL.get()
    if call is None:
        return timeout
    left = max(call.deadline - time.monotonic(), 0.001)
    return left if not isinstance(timeout, (int, float)) else min(timeout, left)


class _DeadlineReader(io.RawIOBase):
    """The socket's file as http.client reads the answer (status line, headers, body): every read
    waits only as long as the call has left, and none starts after the deadline."""

    def __init__(self, raw: io.RawIOBase, sock: Any, deadline: float) -> None:
        super().__init__()
        self._raw, self._sock, self._deadline = raw, sock, deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the answer did not arrive whole within the call's timeout")
        self._sock.settimeout(left)
        return self._raw.readinto(buffer)

    def close(self) -> None:
        if not self.closed:
            self._raw.close()  # the socket's own file: the connection may close the socket once it is done
        super().close()


class _DeadlineSocket:
    """The connection's socket for the length of one ``getresponse``: the same socket, but the file
    http.client reads the answer from is a :class:`_DeadlineReader`."""

    def __init__(self, sock: Any, deadline: float) -> None:
        self._sock, self._deadline = sock, deadline

    def makefile(self, mode: str = "rb", *args: Any, **kwargs: Any) -> io.BufferedReader:
        return io.BufferedReader(_DeadlineReader(self._sock.makefile(mode, buffering=0), self._sock, self._deadline))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class _Deadlined:
    """What the HTTP and HTTPS connections add: connect and send within the time left, and read the
    answer through a :class:`_DeadlineSocket`."""

    sock: Any
    timeout: Any

    def connect(self) -> None:
        self.timeout = _time_left(self.timeout)
        super().connect()  # type: ignore[misc]

    def request(self, *args: Any, **kwargs: Any) -> None:
        self.timeout = _time_left(self.timeout)  # the socket's timeout while the request is sent
        super().request(*args, **kwargs)  # type: ignore[misc]
        call = _CALL.get()
        if call is not None:
            call.went_out = True

    def getresponse(self) -> Any:
        call, sock = _CALL.get(), self.sock
        if call is None or sock is None:
            return super().getresponse()  # type: ignore[misc]
        self.sock = wrapped = _DeadlineSocket(sock, call.deadline)
        try:
            return super().getresponse()  # type: ignore[misc]
        finally:
            if self.sock is wrapped:  # still open (a keep-alive connection): the socket itself again
                self.sock = sock


class _HTTPConnection(_Deadlined, HTTPConnection):
    pass


class _HTTPSConnection(_Deadlined, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


class _DeadlineAdapter(HTTPAdapter):
    """requests' adapter whose pools make :class:`_Deadlined` connections."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **kwargs)
        if not proxy.lower().startswith("socks"):  # SOCKS has connections of its own
            manager.pool_classes_by_scheme = _POOLS
        return manager


def _mount_deadlines(session: requests.Session) -> None:
    """``session``'s connections read the deadline of the call they serve (:class:`_Deadlined`)."""
    adapter = _DeadlineAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)


def _deadline_passed(error: requests.RequestException) -> bool:
    """Whether ``error`` is a read the deadline cut (requests reports one in the body as a ConnectionError)."""
    return bool(error.args) and isinstance(error.args[0], ReadTimeoutError)


@contextmanager
def _whole_call(limit: float, answer_from: str = "") -> Iterator[_Call]:
    """The call made inside ends within ``limit`` seconds (or by an enclosing call's deadline, when
    sooner): its connection reads the deadline (:class:`_Deadlined`), and a read it cut is raised as
    the ``requests.ReadTimeout`` it is."""
    deadline, outer = time.monotonic() + limit, _CALL.get()
    call = _Call(deadline if outer is None else min(deadline, outer.deadline))
    token = _CALL.set(call)
    try:
        yield call
    except requests.ConnectionError as error:
        if _deadline_passed(error):
            raise requests.ReadTimeout(f"no whole answer{answer_from} within {limit:g} s", request=error.request) from error
        raise
    finally:
        _CALL.reset(token)


class CallBudget(Protocol):
    """Time several calls share (the conformance kit's case): what the next call may wait at most,
    and what a call that timed out waited in vain."""

    def allowance(self) -> float:
        """Seconds the next call may take; raises a ``requests.Timeout`` saying why when nothing is
        left (the call is then not made: :class:`NotSent`)."""

    def waited_in_vain(self, seconds: float, error: requests.Timeout) -> None:
        """A call ended by its deadline after ``seconds``."""


class SoapTransport(Transport):
    """zeep's transport with a deadline for each call (``timeout`` seconds in all, or less when a
    :class:`CallBudget` shared with other calls has less left), and an error status
    whose body is no SOAP fault (a gateway's HTML page when the OSE is down, a bare 503, an API
    gateway's own XML error) an HTTP error, as it is: zeep parses an HTML page that happens to be
    well-formed, or any other XML, and calls it a SOAP fault with no code."""

    def __init__(self, timeout: float, budget: CallBudget | None = None) -> None:
        super().__init__(timeout=timeout, operation_timeout=timeout)
        self.call_timeout = timeout
        self.budget = budget
        _mount_deadlines(self.session)

    def post(self, address: str, message: Any, headers: dict[str, str]) -> requests.Response:
        limit = self.call_timeout
        if self.budget is not None:
            try:
                limit = min(limit, self.budget.allowance())
            except requests.Timeout as error:  # said apart, for a send not made is no send that went out
                raise NotSent(str(error)) from error
        started = time.monotonic()
        try:
            with _whole_call(limit) as call:
                try:
                    return super().post(address, message, headers)
                except requests.RequestException as error:
                    if call.went_out and not isinstance(error, requests.Timeout) and not _deadline_passed(error):
                        raise AnswerLost(error, request=error.request) from error
                    raise
        except requests.Timeout as error:
            if self.budget is not None:
                self.budget.waited_in_vain(time.monotonic() - started, error)
            raise

    def post_xml(self, address: str, envelope: Any, headers: dict[str, str]) -> requests.Response:
        response = super().post_xml(address, envelope, headers)
        media_type = response.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
        if response.status_code < 400:
            return response
        if media_type not in _XML_TYPES:
            raise TransportError(f"a {media_type or 'untyped'} answer, not SOAP", status_code=response.status_code,
                                 content=response.content)
        what = None if media_type == "multipart/related" else _not_a_fault(response.content)
        if what is not None:
            raise TransportError(what, status_code=response.status_code, content=response.content)
        return response


class DeadlineSession(requests.Session):
    """A requests session whose ``timeout`` bounds each call whole, as :class:`SoapTransport` bounds a
    SOAP call: for the plain HTTP the conformance kit sends a target (its admin API, the WSDL), where a
    server that drips its answer a byte at a time kept requests' per-read timeout from ever tripping.
    Past the deadline a call raises ``requests.ReadTimeout``; one given no number of seconds (``None``
    or a (connect, read) pair) is bounded as requests bounds it.

        with DeadlineSession() as http:
            http.get(url + "?wsdl", timeout=10)     # 10 s in all, however the answer trickles in
    """

    def __init__(self) -> None:
        super().__init__()
        _mount_deadlines(self)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        limit = kwargs.get("timeout")
        if not isinstance(limit, (int, float)) or isinstance(limit, bool):
            return super().request(method, url, *args, **kwargs)
        with _whole_call(limit, f" from {url!s}"):
            return super().request(method, url, *args, **kwargs)
