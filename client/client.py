"""The emitter's side of billService: send, poll and fetch, the way a careful integrator would.

    from osemock.client import OseClient
    client = OseClient("mock", ruc="20123456789", user="BIZLINKS", password="TESTBIZLINKS")
    outcome = client.send_bill(open("20123456789-01-F001-1.xml", "rb").read())
    outcome.status, outcome.code, outcome.observations, outcome.signature_verified

zeep talks to the bundled official WSDL with the service address overridden.  Calls are retried with
backoff on what is worth retrying (system codes 0100, 0109, 0130–0138, HTTP 5xx without a SOAP
fault, connection errors).  A sendBill that timed out is never sent again blindly: getStatusCdr is
asked first, and a CDR found there is the answer.  1033 (already accepted) is answered with the CDR
fetched by getStatusCdr when the service has it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, TypeVar

import requests
from cryptography import x509
from zeep import Client
from zeep.exceptions import Error as ZeepError
from zeep.exceptions import Fault, TransportError
from zeep.wsse.username import UsernameToken

from osemock.client.documents import Prepared, prepare
from osemock.client.endpoints import Endpoint, resolve, wsdl_path
from osemock.client.outcome import Outcome, Status, document_hash, fault_code, from_fault, read_cdr
from osemock.client.transport import SoapTransport
from osemock.cpe.archive import answer_entries
from osemock.cpe.errors import CpeError
from osemock.cpe.signature import KeyPair, SignatureMethod, digest_value

T = TypeVar("T")

#: System codes SUNAT and OSEs answer when the fault is theirs: worth another try.
RETRYABLE_CODES = frozenset({"0100", "0109"} | {f"{n:04d}" for n in range(130, 139)})
_BINDING = "{http://service.gem.factura.comppago.registro.servicio.sunat.gob.pe/}BillServicePortBinding"
_CONSULT_BINDING = "{http://service.ws.consulta.comppago.electronico.registro.servicio2.sunat.gob.pe/}BillConsultServicePortBinding"


class ClientError(Exception):
    """The call could not be completed (after the retries); the message says why."""


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
                 signature_method: SignatureMethod = SignatureMethod.RSA_SHA256) -> None:
        self.endpoint = endpoint if isinstance(endpoint, Endpoint) else resolve(endpoint)
        self.ruc = ruc
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.trusted = None if trusted is None else [trusted_certificate(item) for item in trusted]
        """Certificates a CDR's signature must chain to (the mock's, an OSE's); ``None``: integrity only."""
        self.certificate = certificate
        self.signature_method = signature_method
        self._username = user if _starts_with_a_ruc(user) else ruc + user
        self._password = password
        self._bill = self._service(self.endpoint.wsdl_set, _BINDING, self.endpoint.url)
        self._consult = (self._service("consult", _CONSULT_BINDING, self.endpoint.consult_url)
                         if self.endpoint.consult_url else None)

    def _service(self, wsdl_set: str, binding: str, address: str) -> Any:
        transport = SoapTransport(self.timeout)
        client = Client(str(wsdl_path(wsdl_set)), transport=transport,
                        wsse=UsernameToken(self._username, self._password))
        return client.create_service(binding, address)

    # -- calls ------------------------------------------------------------------------------------------
    def _call(self, operation: Callable[[], T], idempotent: bool = True) -> T:
        """Run one SOAP call with the retry policy; SOAP faults that are not retryable propagate.

        A timeout is retried only for calls that change nothing (getStatus, getStatusCdr); for a send
        it propagates, since the server may have taken it."""
        delay = self.retry.backoff
        for attempt in range(1, self.retry.attempts + 1):
            try:
                return operation()
            except Fault as fault:
                code, _ = fault_code(fault.code, fault.message, fault.detail)
                if code not in RETRYABLE_CODES or attempt == self.retry.attempts:
                    raise
            except TransportError as error:
                if error.status_code < 500 or attempt == self.retry.attempts:
                    raise ClientError(f"HTTP {error.status_code} from {self.endpoint.url}: {_first_line(error)}") from error
            except ZeepError as error:  # XML, but not the service's SOAP: a proxy's page, another service
                raise ClientError(f"{self.endpoint.url} did not answer the service's SOAP: {_first_line(error)}") from error
            except requests.Timeout as error:
                if not idempotent:
                    raise
                if attempt == self.retry.attempts:
                    raise ClientError(f"no answer from {self.endpoint.url} within {self.timeout} s") from error
            except requests.ConnectionError as error:
                if attempt == self.retry.attempts:
                    raise ClientError(f"cannot reach {self.endpoint.url}: {error}") from error
            except requests.RequestException as error:  # an answer cut short, or that does not decode
                if attempt == self.retry.attempts:
                    raise ClientError(f"broken answer from {self.endpoint.url}: {error}") from error
            self.retry.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")

    def _outcome_of(self, operation: Callable[[], bytes], document: str) -> Outcome:
        try:
            cdr_zip = self._call(operation, idempotent=False)
        except Fault as fault:
            outcome = from_fault(*fault_code(fault.code, fault.message, fault.detail))
            outcome.document = document
            return outcome
        outcome = _answered_cdr(cdr_zip, self.trusted)
        outcome.document = document
        return outcome

    def prepare(self, xml: bytes) -> Prepared:
        """The document signed (when this client has a certificate and it is unsigned), named and zipped."""
        return prepare(xml, self.certificate, self.signature_method)

    def send_bill(self, xml: bytes | Prepared) -> Outcome:
        """sendBill one document: its CDR's outcome, or the fault's."""
        doc = xml if isinstance(xml, Prepared) else self.prepare(xml)
        try:
            outcome = self._outcome_of(lambda: self._bill.sendBill(doc.zip_name, doc.zip), doc.base)
        except requests.Timeout:
            # The server may have accepted it and only the answer got lost: ask before sending again.
            known = self._existing_cdr(doc.base, doc.xml)
            if known is not None:
                return known
            try:
                outcome = self._outcome_of(lambda: self._bill.sendBill(doc.zip_name, doc.zip), doc.base)
            except requests.Timeout as error:
                raise ClientError(f"no answer from {self.endpoint.url} within {self.timeout} s, twice") from error
        if outcome.code == "1033":
            known = self._existing_cdr(doc.base, doc.xml)
            if known is not None:
                return known
        return outcome

    def _existing_cdr(self, base: str, xml: bytes | None = None) -> Outcome | None:
        """The CDR of a document the service already holds, via getStatusCdr; ``None`` if it has none,
        or if its CDR names another document's hash than ``xml``'s signature (the number was used
        before for other content: that 1033 is this document's answer, not an acceptance)."""
        ruc, type_code, serie, numero = base.split("-")
        try:
            found = self.get_status_cdr(ruc, type_code, serie, int(numero))
        except (ClientError, requests.RequestException):
            return None
        if found.cdr_zip is None:
            return None
        held = document_hash(found.cdr_xml)
        if xml is not None and held is not None and held != _digest(xml):
            return None
        found.already_sent = True
        found.document = base
        return found

    def send_summary(self, xml: bytes | Prepared) -> Outcome:
        """sendSummary an RC/RA/RR: a pending outcome carrying the ticket (or the fault's outcome)."""
        doc = xml if isinstance(xml, Prepared) else self.prepare(xml)
        return self._ticket(lambda: self._bill.sendSummary(doc.zip_name, doc.zip), doc.base)

    def send_pack(self, lot_name: str, lot_zip: bytes) -> Outcome:
        """sendPack a lot ``{RUC}-LT-{YYYYMMDD}-{n}.zip`` of several documents."""
        return self._ticket(lambda: self._bill.sendPack(lot_name, lot_zip), lot_name.removesuffix(".zip"))

    def _ticket(self, operation: Callable[[], str], document: str) -> Outcome:
        try:
            ticket = self._call(operation, idempotent=False)
        except requests.Timeout as error:
            raise ClientError(f"no ticket from {self.endpoint.url} within {self.timeout} s; "
                              "the summary may have been taken: check before sending it again") from error
        except Fault as fault:
            outcome = from_fault(*fault_code(fault.code, fault.message, fault.detail))
            outcome.document = document
            return outcome
        if not str(ticket or "").strip():  # a pending outcome without a ticket could never be followed
            return Outcome(Status.EXCEPTION, "", f"{self.endpoint.url} answered without a ticket", document=document)
        return Outcome(Status.PENDING, "98", "En proceso", ticket=ticket, document=document)

    def get_status(self, ticket: str, wait: bool = False, timeout: float = 120.0, interval: float = 1.0,
                   sleep: Callable[[float], None] = time.sleep) -> Outcome:
        """getStatus of a ticket; with ``wait``, poll (interval growing to 10 s) until it is final or
        ``timeout`` seconds have passed (then the outcome is still pending)."""
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
            outcome = _answered_cdr(status.content, self.trusted)
        else:
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


def _cdr_or_lot(content: bytes, trusted: list[x509.Certificate] | None) -> Outcome:
    """A ticket's content: one CDR ZIP (summaries) or a ZIP of CDR ZIPs (lots)."""
    entries = answer_entries(content)
    inner = [name for name in entries if name.lower().endswith(".zip")]
    errors = [name for name in entries if name.endswith("-errors.txt")]
    if not inner and not errors:
        return read_cdr(content, trusted)
    problems = entries[errors[0]].decode("utf-8", "replace") if errors else ""
    code = problems.split(": ", 1)[1][:4] if ": " in problems else ("0" if not problems else "")
    outcome = Outcome(Status.REJECTED if problems else Status.ACCEPTED, code, problems or f"{len(inner)} CDR",
                      cdr_zip=content)
    return outcome


def _digest(xml: bytes) -> str | None:
    """The DigestValue of a signed document's XML (``None`` when unreadable or unsigned)."""
    from osemock.cpe.xmlparse import parse_xml

    try:
        return digest_value(parse_xml(xml))
    except CpeError:
        return None
