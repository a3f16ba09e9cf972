"""The emitter's side of billService: send, poll and fetch, the way a careful integrator would.

    from osemock.client import OseClient
    client = OseClient("mock", ruc="20123456789", user="BIZLINKS", password="TESTBIZLINKS")
    outcome = client.send_bill(open("20123456789-01-F001-1.xml", "rb").read())
    outcome.status, outcome.code, outcome.observations, outcome.signature_verified

zeep talks to the bundled official WSDL with the service address overridden.  Calls are retried with
backoff on what is worth retrying (system codes 0100, 0109, 0130–0138, HTTP 5xx without a SOAP
fault, connection errors).  A send whose request went out and whose answer never came whole (it timed
out, the line dropped, the answer was cut short, or a 5xx but 503 without a SOAP fault came in its place) is never
sent again blindly, since the service may have taken it: a sendBill asks getStatusCdr first, and a CDR found there is the answer; a sendSummary
or sendPack, whose ticket nothing can ask for, raises :class:`Unanswered`.  One that never reached the
service (refused, connect timeout) is tried again.  1033 (already accepted) is answered with the CDR
fetched by getStatusCdr when the service has it.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, TypeVar

import requests
from cryptography import x509
from urllib3.exceptions import LocationValueError
from zeep import Client
from zeep.exceptions import Error as ZeepError
from zeep.exceptions import Fault, TransportError
from zeep.wsse.username import UsernameToken

from osemock.client.documents import Prepared, prepare
from osemock.client.endpoints import Endpoint, resolve, wsdl_path
from osemock.client.outcome import (Outcome, Status, document_hash, fault_code, from_fault, other_document,
                                    read_cdr)
from osemock.client.transport import AnswerLost, CallBudget, NotSent, SoapTransport
from osemock.cpe.archive import LOT_ANSWER_LIMITS, answer_entries
from osemock.cpe.errors import CpeError
from osemock.cpe.signature import KeyPair, SignatureMethod, digest_value

T = TypeVar("T")

#: System codes SUNAT and OSEs answer when the fault is theirs: worth another try.
RETRYABLE_CODES = frozenset({"0100", "0109"} | {f"{n:04d}" for n in range(130, 139)})
#: What an answer with a 5xx status and no SOAP fault says of a request that reached the server: it
#: failed while handling it (500: a proxy's or an app server's error page) or, behind a gateway, failed
#: or timed out answering (502 Bad Gateway, 504 Gateway Timeout; a CDN's 520/524, a 507…).  The service
#: may have taken the request.  Only a 503 (unavailable) says it was turned away before the service:
#: tried again.
FAILED_ANSWERS = {
    500: "an error page, no SOAP fault: the server failed while handling it",
    502: "a gateway's answer: the service behind it failed answering",
    504: "a gateway's answer: the service behind it timed out answering",
}
FAILED_ANSWER = "an error status, no SOAP fault: the service may have taken it and failed answering"
NOT_TAKEN = 503


def failed_answer(status: int) -> str | None:
    """Why a ``status`` without a SOAP fault may hide a taken send (:data:`FAILED_ANSWERS`); ``None`` for
    statuses that say nothing reached the service (below 500, and 503)."""
    if status < 500 or status == NOT_TAKEN:
        return None
    return FAILED_ANSWERS.get(status, FAILED_ANSWER)
#: What requests (or urllib3, unwrapped) raises when no request can be made at all: a URL it cannot
#: parse, a scheme it has no adapter for, a proxy of the environment it cannot use, a host that is no
#: name.  Nothing went out, and trying again changes nothing.
NO_REQUEST = (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema, requests.exceptions.MissingSchema,
              requests.exceptions.URLRequired, requests.exceptions.InvalidHeader, LocationValueError)
_BINDING = "{http://service.gem.factura.comppago.registro.servicio.sunat.gob.pe/}BillServicePortBinding"
_CONSULT_BINDING = "{http://service.ws.consulta.comppago.electronico.registro.servicio2.sunat.gob.pe/}BillConsultServicePortBinding"


class ClientError(Exception):
    """The call could not be completed (after the retries); the message says why."""


class Unanswered(ClientError):
    """A send went out and its answer never came whole: the service may have taken it, and what it
    decided is unknown until asked (the message says what to check).  Sending it again blindly could
    void, or refuse, what was taken."""


class GatewayFailure(AnswerLost):
    """A 5xx but 503 without a SOAP fault (:func:`failed_answer`) in place of the answer to a send
    that went out: the service may have taken the send and failed or timed out answering, as when the
    line drops (its ``__cause__`` is zeep's ``TransportError``)."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(f"HTTP {status}: {text}")
        self.status = status


def went_out(error: requests.RequestException) -> bool:
    """Whether the request had gone out when ``error`` ended the call, so the server may have taken it:
    an answer that timed out, or a connection that failed after the request was sent whole
    (:class:`~osemock.client.transport.AnswerLost`); not a connection that was never made, nor a call
    its budget did not let start (:class:`~osemock.client.transport.NotSent`)."""
    return isinstance(error, AnswerLost) or (isinstance(error, requests.Timeout)
                                              and not isinstance(error, (requests.ConnectTimeout, NotSent)))


def _first_line(error: Exception) -> str:
    """The first line of an error's message, shortened (zeep puts the whole answer after it)."""
    line = (str(getattr(error, "message", "") or error).strip().splitlines() or [""])[0]
    return line if len(line) <= 200 else line[:200] + "…"


@dataclass
class RetryPolicy:
    """How often and how patiently to try again."""

    attempts: int = 3
    backoff: float = 0.5
    """Seconds before the second attempt; doubled each time."""
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)


class OseClient:
    """A billService client bound to one endpoint and one emitter's SOL credentials."""

    def __init__(self, endpoint: str | Endpoint, ruc: str, user: str, password: str, *,
                 timeout: float = 30.0, retry: RetryPolicy | None = None,
                 trusted: list[x509.Certificate | str | Path | bytes] | None = None, certificate: KeyPair | None = None,
                 signature_method: SignatureMethod = SignatureMethod.RSA_SHA256,
                 budget: CallBudget | None = None) -> None:
        self.endpoint = endpoint if isinstance(endpoint, Endpoint) else resolve(endpoint)
        self.ruc = ruc
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.trusted = None if trusted is None else [trusted_certificate(item) for item in trusted]
        """Certificates a CDR's signature must chain to (the mock's, an OSE's); ``None``: integrity only."""
        self.certificate = certificate
        self.signature_method = signature_method
        self.budget = budget
        """Time the calls share beyond each one's ``timeout`` (:class:`~osemock.client.transport.CallBudget`)."""
        self._username = user if _starts_with_a_ruc(user) else ruc + user
        self._password = password
        self._bill = self._service(self.endpoint.wsdl_set, _BINDING, self.endpoint.url)
        self._consult = (self._service("consult", _CONSULT_BINDING, self.endpoint.consult_url)
                         if self.endpoint.consult_url else None)

    def _service(self, wsdl_set: str, binding: str, address: str) -> Any:
        transport = SoapTransport(self.timeout, self.budget)
        client = Client(str(wsdl_path(wsdl_set)), transport=transport,
                        wsse=UsernameToken(self._username, self._password))
        return client.create_service(binding, address)

    # -- calls ------------------------------------------------------------------------------------------
    def _call(self, operation: Callable[[], T], idempotent: bool = True) -> T:
        """Run one SOAP call with the retry policy; SOAP faults that are not retryable propagate.

        A send (not ``idempotent``) that :func:`went_out` and got no whole answer is not tried again:
        the ``requests`` error propagates, since the server may have taken it; so does a 5xx but 503
        without a SOAP fault (:class:`GatewayFailure`), which says the server failed or timed out
        answering, not that it never got the send.  One that never reached the server (refused, connect
        timeout, a 503) is tried again, as every failure of a call that changes nothing (getStatus,
        getStatusCdr) is; one no request can be made for (:data:`NO_REQUEST`: a URL or proxy requests
        cannot use) fails at once, and so does one its budget does not let start (:class:`NotSent`),
        saying what the try before it met, if any."""
        delay, failed = self.retry.backoff, None
        for attempt in range(1, self.retry.attempts + 1):
            try:
                return operation()
            except Fault as fault:
                code, _ = fault_code(fault.code, fault.message, fault.detail)
                if code not in RETRYABLE_CODES or attempt == self.retry.attempts:
                    raise
            except TransportError as error:
                if not idempotent and failed_answer(error.status_code):
                    raise GatewayFailure(error.status_code, _first_line(error)) from error
                if error.status_code < 500 or attempt == self.retry.attempts:
                    raise ClientError(f"HTTP {error.status_code} from {self.endpoint.url}: {_first_line(error)}") from error
            except ZeepError as error:  # XML, but not the service's SOAP: a proxy's page, another service
                raise ClientError(f"{self.endpoint.url} did not answer the service's SOAP: {_first_line(error)}") from error
            except NO_REQUEST as error:
                raise ClientError(f"no request can be made to {self.endpoint.url}: {_first_line(error)}") from error
            except NotSent as error:  # the time it shares is spent: another try would meet it again
                raise ClientError(str(error) if failed is None
                                  else f"{self._failed(failed)}; not tried again: {error.reason}") from error
            except requests.RequestException as error:
                if not idempotent and went_out(error):
                    raise
                if attempt == self.retry.attempts:
                    raise ClientError(self._failed(error)) from error
                failed = error
            self.retry.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")

    def _failed(self, error: requests.RequestException) -> str:
        """What a call that got no whole answer ran into."""
        if isinstance(error, GatewayFailure):
            return (f"HTTP {error.status} from {self.endpoint.url} after the request went out "
                    f"({failed_answer(error.status)}): {error.__cause__ and _first_line(error.__cause__)}")
        if isinstance(error, requests.Timeout):
            return f"no answer from {self.endpoint.url} within {self.timeout} s"
        if isinstance(error, AnswerLost) and isinstance(error.__cause__, requests.ConnectionError):
            return f"no answer from {self.endpoint.url}: the line dropped after the request went out: {error}"
        if isinstance(error, requests.ConnectionError):
            return f"cannot reach {self.endpoint.url}: {error}"
        return f"broken answer from {self.endpoint.url}: {error}"  # cut short, or that does not decode

    def _outcome_of(self, operation: Callable[[], bytes], document: str, xml: bytes | None = None) -> Outcome:
        try:
            cdr_zip = self._call(operation, idempotent=False)
        except Fault as fault:
            outcome = from_fault(*fault_code(fault.code, fault.message, fault.detail))
            outcome.document = document
            return outcome
        return _for_document(_answered_cdr(cdr_zip, self.trusted), document, xml)

    def prepare(self, xml: bytes) -> Prepared:
        """The document signed (when this client has a certificate and it is unsigned), named and zipped."""
        return prepare(xml, self.certificate, self.signature_method)

    def send_bill(self, xml: bytes | Prepared) -> Outcome:
        """sendBill one document: its CDR's outcome, or the fault's."""
        doc = xml if isinstance(xml, Prepared) else self.prepare(xml)
        try:
            outcome = self._outcome_of(lambda: self._bill.sendBill(doc.zip_name, doc.zip), doc.base, doc.xml)
        except requests.RequestException as lost:  # it went out (see _call): timed out, the line dropped, a 5xx but 503
            # The server may have accepted it and only the answer got lost: ask before sending again.
            try:
                known = self._held_cdr(doc.base, doc.xml)
            except ClientError as error:
                known, asked = None, f"getStatusCdr could not say whether it was taken ({error})"
            else:
                asked = f"getStatusCdr found no CDR of {doc.base}"
            if known is not None:
                return known
            try:
                outcome = self._outcome_of(lambda: self._bill.sendBill(doc.zip_name, doc.zip), doc.base, doc.xml)
            except (requests.RequestException, ClientError) as error:  # each says what became of the second
                if isinstance(error.__cause__, NotSent):
                    again = f"not sent again ({error.__cause__.reason})"
                elif isinstance(error, requests.RequestException):
                    again = f"sent once more: {self._failed(error)}"
                else:
                    again = f"then: {error}"
                raise Unanswered(f"{self._failed(lost)}; {asked}; {again}: it may have been taken; ask getStatusCdr "
                                 "again before sending it once more") from error
        if outcome.code == "1033":
            known = self._existing_cdr(doc.base, doc.xml)
            if known is not None:
                return known
        return outcome

    def _existing_cdr(self, base: str, xml: bytes | None = None) -> Outcome | None:
        """:meth:`_held_cdr`, or ``None`` when getStatusCdr cannot be asked (a 1033 then stands)."""
        try:
            return self._held_cdr(base, xml)
        except (ClientError, requests.RequestException):
            return None

    def _held_cdr(self, base: str, xml: bytes | None = None) -> Outcome | None:
        """The CDR of a document the service already holds, via getStatusCdr; ``None`` if it has none,
        or if its CDR names another document's hash than ``xml``'s signature (the number was used
        before for other content: that 1033 is this document's answer, not an acceptance); an exception
        outcome when what it holds is no CDR one can read, or names another document.  A getStatusCdr
        that got no answer raises its :class:`ClientError`: whether the service holds it is unknown."""
        ruc, type_code, serie, numero = base.split("-")
        found = self.get_status_cdr(ruc, type_code, serie, int(numero))
        if found.cdr_zip is None:
            return None
        if found.status is Status.EXCEPTION:  # a CDR that cannot be read, or another document's: no acceptance
            return found
        held = document_hash(found.cdr_xml)
        if xml is not None and held is not None and held != _digest(xml):
            return None
        found.already_sent = True
        found.document = base
        return found

    def send_summary(self, xml: bytes | Prepared) -> Outcome:
        """sendSummary an RC/RA/RR: a pending outcome carrying the ticket (or the fault's outcome).

        :class:`Unanswered` when it went out and no ticket came back: it may have been taken."""
        doc = xml if isinstance(xml, Prepared) else self.prepare(xml)
        return self._ticket(lambda: self._bill.sendSummary(doc.zip_name, doc.zip), doc.base,
                            "the documents it names")

    def send_pack(self, lot_name: str, lot_zip: bytes) -> Outcome:
        """sendPack a lot ``{RUC}-LT-{YYYYMMDD}-{n}.zip`` of several documents.

        :class:`Unanswered` when it went out and no ticket came back: it may have been taken."""
        return self._ticket(lambda: self._bill.sendPack(lot_name, lot_zip), lot_name.removesuffix(".zip"),
                            "each of its documents (getStatusCdr)")

    def _ticket(self, operation: Callable[[], str], document: str, what_to_check: str) -> Outcome:
        """A ticket's pending outcome.  A send that went out and got no ticket back is not sent again:
        the service may have taken it and given a ticket nobody can ask for, and a second copy gets a
        ticket of its own whose verdict is about the copy (2324 for a baja already presented, 1033 for a
        lot's documents), not about the first."""
        try:
            ticket = self._call(operation, idempotent=False)
        except requests.RequestException as error:  # it went out (see _call)
            raise Unanswered(f"{self._failed(error)}. {document} may have been taken under a ticket that never came "
                             f"back: check the state of {what_to_check} before sending it again (a copy gets a "
                             "ticket of its own, and a verdict on the copy)") from error
        except Fault as fault:
            outcome = from_fault(*fault_code(fault.code, fault.message, fault.detail))
            outcome.document = document
            return outcome
        if not str(ticket or "").strip():  # a pending outcome without a ticket could never be followed
            return Outcome(Status.EXCEPTION, "", f"{self.endpoint.url} answered without a ticket", document=document)
        return Outcome(Status.PENDING, "98", "En proceso", ticket=ticket, document=document)

    def get_status(self, ticket: str, wait: bool = False, timeout: float = 120.0, interval: float = 1.0,
                   sleep: Callable[[float], None] = time.sleep, document: str | None = None) -> Outcome:
        """getStatus of a ticket; with ``wait``, poll (interval growing to 10 s) until it is final or
        ``timeout`` seconds have passed (then the outcome is still pending).  ``document``, the summary's
        base name (``20123456789-RA-20261120-1``), is what its CDR must answer; a lot's CDRs are each
        read, verified and checked against the document their entry names (``outcome.documents``)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                status = self._call(lambda: self._bill.getStatus(ticket))
            except Fault as fault:
                outcome = from_fault(*fault_code(fault.code, fault.message, fault.detail))
                outcome.ticket = ticket
                return outcome
            if status is None:
                return Outcome(Status.EXCEPTION, "", f"{self.endpoint.url} answered getStatus without a status",
                               ticket=ticket)
            code = str(status.statusCode or "")
            if code == "98":
                if wait and time.monotonic() + interval <= deadline:
                    sleep(interval)
                    interval = min(interval * 1.5, 10.0)
                    continue
                return Outcome(Status.PENDING, "98", "En proceso", ticket=ticket)
            content = status.content
            if code in ("0", "99") and content:
                outcome = _answered_cdr(content, self.trusted, _cdr_or_lot)
                if document is not None and not outcome.documents:
                    outcome = _for_document(outcome, document)
                outcome.ticket = ticket
                return outcome
            text = content.decode("utf-8", "replace") if isinstance(content, bytes) else str(content or "")
            return Outcome(Status.EXCEPTION, code, text, ticket=ticket)

    def get_status_cdr(self, ruc: str, type_code: str, serie: str, numero: int) -> Outcome:
        """The CDR of a document by RUC, type, serie and number (billService at an OSE, billConsultService at SUNAT)."""
        if not self.endpoint.is_ose and self._consult is None:
            raise ClientError(f"{self.endpoint.name} has no getStatusCdr (SUNAT keeps it in billConsultService, "
                              "which its beta does not have)")
        service = self._bill if self.endpoint.is_ose else self._consult
        document = f"{ruc}-{type_code}-{serie}-{numero}"
        try:
            status = self._call(lambda: service.getStatusCdr(ruc, type_code, serie, numero))
        except Fault as fault:
            outcome = from_fault(*fault_code(fault.code, fault.message, fault.detail))
            outcome.document = document
            return outcome
        if status is None:
            return Outcome(Status.EXCEPTION, "", f"{self.endpoint.url} answered getStatusCdr without a status",
                           document=document)
        code = str(status.statusCode or "")
        if status.content:
            return _for_document(_answered_cdr(status.content, self.trusted), document)
        outcome = Outcome(Status.EXCEPTION, code, str(getattr(status, "statusMessage", "") or ""))
        outcome.document = document
        return outcome


def _starts_with_a_ruc(user: str) -> bool:
    """The WSS username is the sender's RUC and its SOL user (PROTOCOL.md §4, §13): a user that starts
    with 11 digits names its RUC already, the emitter's or a PSE's sending for it; only a bare SOL user
    (``BIZLINKS``) gets the emitter's RUC put in front."""
    head = user[:11]
    return len(head) == 11 and head.isascii() and head.isdigit()


def trusted_certificate(item: x509.Certificate | str | Path | bytes) -> x509.Certificate:
    """A trusted certificate as given: the certificate, its PEM file's path, or its PEM bytes (the
    mock's ``/_osemock/certificate.pem``); anything else is refused now, not at the first CDR."""
    if isinstance(item, x509.Certificate):
        return item
    if isinstance(item, (str, Path)):
        try:
            item = Path(item).read_bytes()
        except OSError as error:
            raise ValueError(f"trusted certificate {item}: {error.strerror or error}") from None
    if isinstance(item, (bytes, bytearray)):
        try:
            return x509.load_pem_x509_certificate(bytes(item))
        except ValueError as error:
            raise ValueError(f"a trusted certificate must be PEM ({error})") from None
    raise TypeError(f"trusted takes certificates, PEM file paths or PEM bytes, not {type(item).__name__}")


def _answered_cdr(content: bytes, trusted: list[x509.Certificate] | None,
                  read: Callable[[bytes, list[x509.Certificate] | None], Outcome] = read_cdr) -> Outcome:
    """The CDR an answer carries. One that cannot be read (not a ZIP, no XML, past the size limits) is
    an exception outcome that keeps the bytes: the document's state is unknown until getStatusCdr says."""
    if not content:
        return Outcome(Status.EXCEPTION, "", "the answer carries no CDR (applicationResponse is empty)", cdr_zip=content)
    try:
        return read(content, trusted)
    except CpeError as error:
        return Outcome(Status.EXCEPTION, "", f"the CDR in the answer could not be read: {error}", cdr_zip=content)


def _for_document(outcome: Outcome, base: str, xml: bytes | None = None) -> Outcome:
    """``outcome`` for the document ``base`` when its CDR answers that document (the number, type and
    emitter it names, and the hash when ``xml`` is the signed document sent); otherwise an exception
    outcome saying whose answer it is.  A service that mixes up its CDRs, or a CDR copied over from
    another document, must not make that document's acceptance this one's, signature valid or not."""
    problem = other_document(outcome.cdr_xml, base, _digest(xml) if xml is not None else None)
    if problem is not None:
        outcome = Outcome(Status.EXCEPTION, "", problem,
                          cdr_zip=outcome.cdr_zip, cdr_xml=outcome.cdr_xml,
                          signature_verified=outcome.signature_verified, signature_problem=outcome.signature_problem,
                          ticket=outcome.ticket)
    outcome.document = base
    return outcome


#: A line of a lot's ``R-…-errors.txt``: ``20123456789-01-F001-2.xml: 3280 - message - detail``.
_LOT_ERROR = re.compile(r"(?P<name>[^:\s][^:]*?)\s*:\s*(?P<code>\d{4})\s*-\s*(?P<message>.*)")
#: How bad a document's outcome is, for the lot's: the worst of its documents'.
_SEVERITY = (Status.EXCEPTION, Status.REJECTED, Status.PENDING, Status.OBSERVED, Status.ACCEPTED)


def _cdr_or_lot(content: bytes, trusted: list[x509.Certificate] | None) -> Outcome:
    """A ticket's content: one CDR ZIP (summaries) or a ZIP of CDR ZIPs (lots), read within the limits
    of the largest lot's answer (a summary's CDR is then read again within one CDR's)."""
    entries = answer_entries(content, LOT_ANSWER_LIMITS)
    inner = [name for name in entries if name.lower().endswith(".zip")]
    errors = [name for name in entries if name.endswith("-errors.txt")]
    if not inner and not errors:
        return read_cdr(content, trusted)
    return _lot(content, entries, inner, errors, trusted)


def _lot(content: bytes, entries: dict[str, bytes], inner: list[str], errors: list[str],
         trusted: list[x509.Certificate] | None) -> Outcome:
    """A lot's outcome: each inner CDR ``R-{document}.zip`` read and verified as a sendBill's is, and
    checked against the document its name gives; each line of the error list the outcome of the
    document it names (unless that document's own CDR already says it was not accepted).  The lot is
    as good as its worst document, its signature as good as its worst CDR's."""
    documents = []
    for name in inner:
        stem = name.rsplit("/", 1)[-1][:-4]
        documents.append(_for_document(_answered_cdr(entries[name], trusted), stem.removeprefix("R-")))
    refused = {d.document for d in documents if not d.accepted}
    for line in (entries[name].decode("utf-8", "replace") for name in errors):
        for text in filter(None, (raw.strip() for raw in line.splitlines())):
            match = _LOT_ERROR.fullmatch(text)
            if match is None:
                documents.append(Outcome(Status.EXCEPTION, "", f"the lot's error list says: {text}"))
                continue
            base = re.sub(r"\.xml$", "", match["name"].rsplit("/", 1)[-1], flags=re.I)
            if base in refused:  # its CDR says so already, signed
                continue
            outcome = from_fault(match["code"], match["message"])
            outcome.document = base
            documents.append(outcome)
    if not documents:
        return Outcome(Status.EXCEPTION, "", "the lot's answer names no document", cdr_zip=content)
    status = min((d.status for d in documents), key=_SEVERITY.index)
    worst = next(d for d in documents if d.status is status)
    counts = {s: sum(d.status is s for d in documents) for s in _SEVERITY}
    description = f"{len(documents)} documents: " + ", ".join(f"{n} {s.value}" for s, n in counts.items() if n)
    cdrs = [d for d in documents if d.signature_verified is not None]
    unverified = [d for d in cdrs if not d.signature_verified]
    return Outcome(status, "0" if status in (Status.ACCEPTED, Status.OBSERVED) else worst.code, description,
                   cdr_zip=content, signature_verified=None if not cdrs else not unverified,
                   signature_problem=f"{unverified[0].document}: {unverified[0].signature_problem}" if unverified else None,
                   documents=documents)


def _digest(xml: bytes) -> str | None:
    """The DigestValue of a signed document's XML (``None`` when unreadable or unsigned)."""
    from osemock.cpe.xmlparse import parse_xml

    try:
        return digest_value(parse_xml(xml))
    except CpeError:
        return None
