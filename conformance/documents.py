"""An emitter's own documents through the kit: read the corpus and what each one should get, lint it
offline first, send it (signed if asked), follow tickets, and judge the answer.

A document must be accepted unless a sidecar file says otherwise: beside ``F001-9.xml`` a file
``F001-9.xml.expected`` or ``F001-9.expected`` holding ``2017`` (the code the target must answer),
or YAML ``{code: "0", observations: ["4287"], reason: "…"}``.  Codes stay strings (``0100`` is not
an octal number).
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import requests
import yaml

from osemock.client import ClientError, OseClient, Outcome, Prepared, Status, Unanswered, prepare
from osemock.client.outcome import cdr_subject, same_number
from osemock.client.transport import NotSent
from osemock.conformance.casetime import CaseClient
from osemock.cpe import ns
from osemock.cpe.archive import write_document_zip
from osemock.cpe.document import DocumentHeader, read_header
from osemock.cpe.errors import CpeError
from osemock.cpe.naming import parse_base, xml_files
from osemock.cpe.numbers import CORRELATIVO_DIGITS, correlativo
from osemock.cpe.signature import KeyPair
from osemock.cpe.xmlparse import parse_xml
from osemock.server.rules.lint import LintResult, lint

#: Sending order (by the type the document's content says): documents before the notes that modify
#: them, summaries last (an RA voids what was sent).
_ORDER = {"01": 0, "03": 0, "07": 1, "08": 1, "20": 2, "40": 2, "RC": 3, "RA": 4, "RR": 4}
_SUMMARIES = ("RC", "RA", "RR")
#: Where a summary whose ID ends in more digits than a correlativo holds goes: after the day's others
#: (``int()`` of thousands of digits raises).
_PAST_EVERY_CORRELATIVO = 10 ** CORRELATIVO_DIGITS


@dataclass(frozen=True)
class Expectation:
    """What the target must answer for one document."""

    code: str = "0"
    observations: tuple[str, ...] = ()
    reason: str = ""

    def __str__(self) -> str:
        text = "accepted (0)" if self.code == "0" else self.code
        return text + (f" with observations {', '.join(self.observations)}" if self.observations else "")

    def judge(self, outcome: Outcome) -> str | None:
        """``None`` when the outcome meets the expectation, else why it does not.  The CDR must be
        this document's too: signed (its signature verifies) and naming the document sent."""
        got = [o.code for o in outcome.observations]
        if outcome.status is Status.PENDING:
            return f"no verdict yet: {pending(outcome)}"
        if self.code == "0":
            if not outcome.accepted:
                return f"expected acceptance, got {outcome.status.value} {outcome.code}: {outcome.description}"
        elif outcome.code != self.code:
            return f"expected {self.code}, got {outcome.status.value} {outcome.code or '-'}: {outcome.description}"
        missing = [code for code in self.observations if code not in got]
        if missing:
            return f"expected observations {', '.join(missing)}; the CDR has {', '.join(got) or 'none'}"
        return cdr_problem(outcome)


def cdr_problem(outcome: Outcome) -> str | None:
    """Why the CDR an answer carries is not this document's answer: its signature does not verify
    (it was altered after the endpoint signed it, or signed by another key than the trusted one), or
    it names another document than the one sent (cac:DocumentReference's cbc:ID, else the
    cac:Response's cbc:ReferenceID; and its cbc:DocumentTypeCode where an OSE states it: a credit
    note FF50-1 is not the factura FF50-1); ``None`` when it is, or when there is no CDR."""
    if outcome.cdr_xml is None:
        return None
    if outcome.signature_verified is False:
        return f"the CDR's signature does not verify ({outcome.signature_problem or 'no reason given'})"
    sent = parse_base(outcome.document or "")
    if sent is None:  # a document that could not be read for its name: nothing to compare with
        return None
    subject = cdr_subject(outcome.cdr_xml)  # the client's reading: each part at its fixed place
    named, type_code = subject.reference_id, subject.type_code
    if named is None:
        return f"the CDR does not name the document it answers (no DocumentReference ID); {sent.series_number} was sent"
    if not same_number(named, sent.series_number):
        return f"the CDR answers {named}, not {sent.series_number} (the document sent)"
    if type_code and sent.kind == "document" and type_code != sent.type_code:
        return f"the CDR answers a document of type {type_code} {named}, not the {sent.type_code} sent"
    return None


def pending(outcome: Outcome) -> str:
    """What a ticket still at 98 says: no verdict yet (not a rejection with code 98)."""
    ticket = f"the ticket {outcome.ticket}" if outcome.ticket else "the ticket"
    return f"{ticket} was still at 98 (en proceso) when the kit stopped waiting"


@dataclass
class NoAnswer(Outcome):
    """A document sent whose answer did not come (the timeout passed, or the line dropped after it went
    out): whether the endpoint took it is unknown (unlike a document that could not be sent at all)."""


def read_expectation(path: Path) -> Expectation:
    """The sidecar of ``path`` (``NAME.xml.expected`` or ``NAME.expected``), or acceptance."""
    for sidecar in (path.with_name(path.name + ".expected"), path.with_suffix(".expected")):
        if sidecar.is_file():
            try:
                data = yaml.load(sidecar.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)  # every scalar a string
            except (OSError, UnicodeDecodeError) as error:
                raise ValueError(f"{sidecar}: cannot read it ({error})") from None
            except yaml.YAMLError as error:
                raise ValueError(f"{sidecar}: not a code nor YAML ({error.__class__.__name__})") from error
            if isinstance(data, str):
                return _checked(sidecar, Expectation(data.strip()))
            if isinstance(data, dict) and data.get("code"):
                observations = data.get("observations") or []
                if isinstance(observations, str):
                    observations = observations.split()
                if not isinstance(observations, list) or not all(isinstance(o, str) for o in observations):
                    raise ValueError(f"{sidecar}: observations are a list of codes (4287)")
                return _checked(sidecar, Expectation(str(data["code"]).strip(), tuple(o.strip() for o in observations),
                                                     str(data.get("reason", ""))))
            raise ValueError(f"{sidecar}: write a code (2017) or a mapping with 'code'")
    return Expectation()


def _checked(sidecar: Path, expectation: Expectation) -> Expectation:
    """``expectation`` when its codes are SUNAT codes (0, or four digits): a typo ('2O17') would
    otherwise fail its document with a confusing "expected 2O17, got 2017"."""
    if expectation.code != "0" and not re.fullmatch(r"[0-9]{4}", expectation.code):
        raise ValueError(f"{sidecar}: {expectation.code!r} is not a SUNAT code (0, or four digits such as 2017)")
    for code in expectation.observations:
        if not re.fullmatch(r"[0-9]{4}", code):
            raise ValueError(f"{sidecar}: observation {code!r} is not a SUNAT code (four digits such as 4287)")
    return expectation


@dataclass
class CorpusDocument:
    path: Path
    xml: bytes
    expectation: Expectation
    preflight: LintResult | None = None

    @property
    def name(self) -> str:
        return self.path.name

    @cached_property
    def _read(self) -> tuple[DocumentHeader | None, bool]:
        """Its header (``None`` when the XML cannot be read) and whether it is readable and unsigned."""
        try:
            root = parse_xml(self.xml)
        except CpeError:
            return None, False
        unsigned = root.find(f".//{{{ns.DS}}}Signature") is None
        try:
            return read_header(root), unsigned
        except CpeError:
            return None, unsigned

    @property
    def header(self) -> DocumentHeader | None:
        """What its content says it is; ``None`` when the XML cannot be read."""
        return self._read[0]

    @property
    def unsigned(self) -> bool:
        """Readable, and without a ds:Signature: sent as it is, the endpoint refuses it (0306, 2085)."""
        return self._read[1]

    @cached_property
    def type_code(self) -> str:
        """The type its content says (the root, the InvoiceTypeCode: what names its ZIP); the file
        name's (SUNAT's ``RUC-TT-SERIE-N``) only when the XML cannot be read."""
        if self.header is not None and self.header.type_code:
            return self.header.type_code
        parts = self.path.stem.split("-")
        return parts[1] if len(parts) > 1 else ""

    @cached_property
    def sending_key(self) -> tuple[int, str, str, str, int, str]:
        """Where it goes in the run, by what its content says: documents before the notes on them,
        summaries last (:data:`_ORDER`); a serie's documents by their number and a day's summaries by
        their correlativo, as numbers (RC-…-2 before RC-…-10, F001-9 before F001-10), whatever the
        files are called.  A document that cannot be read goes by its SUNAT file name, if it has one,
        after the others of its kind."""
        group = _ORDER.get(self.type_code, len(_ORDER))
        header = self.header
        if header is not None and header.id:
            if self.type_code in _SUMMARIES:
                number = re.search(r"([0-9]+)$", header.id)
                kept = correlativo(number[1]) if number else 0  # None: too long for any correlativo
                return (group, "", header.issue_date or "", self.type_code,
                        _PAST_EVERY_CORRELATIVO if kept is None else kept, self.name)
            if header.serie is not None and header.numero is not None:
                return (group, "", "", f"{self.type_code}-{header.serie}", header.numero, self.name)
        named = parse_base(self.path.stem)
        if named is not None and named.kind == "summary":
            return (group, "~", named.issue_date.isoformat(), named.type_code, named.correlativo, self.name)
        if named is not None:
            return (group, "~", "", f"{named.type_code}-{named.serie}", named.numero, self.name)
        return (group, "~", "", "", 0, self.name)


def load_corpus(folder: str | Path) -> list[CorpusDocument]:
    """Every ``*.xml`` of ``folder`` with its expectation, in sending order."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder of XML documents")
    documents = []
    for path in xml_files(folder):
        try:
            xml = path.read_bytes()
        except OSError as error:
            raise ValueError(f"{path}: cannot read it ({error.strerror or error})") from None
        documents.append(CorpusDocument(path, xml, read_expectation(path)))
    if not documents:
        raise ValueError(f"no *.xml file in the folder {folder}")
    documents.sort(key=lambda d: d.sending_key)
    return documents


def preflight(document: CorpusDocument, keypair: KeyPair | None = None) -> LintResult:
    """Lint offline with the mock's own checks (every finding, not only the first) what will be sent:
    signed first when ``keypair`` is given and the document is unsigned; as it is otherwise, so an
    unsigned document sent without ``--sign`` is found unsigned (0306, 2085) before the endpoint
    says so."""
    if keypair is not None:
        document.preflight = lint(_prepared(document, keypair).xml, document.name)
    else:
        document.preflight = lint(document.xml, document.name, sent_unsigned=True)
    return document.preflight


def findings_of(result: LintResult | None) -> list[dict[str, str]]:
    if result is None:
        return []
    return [{"code": f.code, "severity": f.severity, "node": f.xpath or "", "message": f.message}
            for f in result.findings]


def _prepared(document: CorpusDocument, keypair: KeyPair | None) -> Prepared:
    """Signed when a certificate is given and it is unsigned; a document that cannot be read for its
    name goes under its file name, so the target judges the broken XML itself."""
    try:
        return prepare(document.xml, keypair)
    except (CpeError, ValueError):
        base = document.path.stem
        kind = "summary" if document.type_code in ("RC", "RA", "RR") else "document"
        return Prepared(base, document.xml, write_document_zip(f"{base}.xml", document.xml), kind)


def send(client: OseClient, document: CorpusDocument, keypair: KeyPair | None = None,
         ticket_timeout: float = 120.0) -> Outcome:
    """sendBill (or sendSummary and getStatus until 0/99) one document: a case of its own, so the
    calls it takes share the timeout (:mod:`~osemock.conformance.casetime`)."""
    prepared = _prepared(document, keypair)
    if isinstance(client, CaseClient):
        client.new_case()
    try:
        if prepared.kind == "summary":
            outcome = client.send_summary(prepared)
            if outcome.ticket and outcome.status is Status.PENDING:
                ticket = outcome.ticket
                outcome = client.get_status(ticket, wait=True, timeout=ticket_timeout, interval=0.2)
                outcome.ticket = ticket
        else:
            outcome = client.send_bill(prepared)
    except (ClientError, CpeError) as error:
        cause = error.__cause__
        if isinstance(cause, NotSent):  # the case's time was spent: the kind of its last call without an answer
            cause = cause.__cause__
        if isinstance(error, Unanswered):  # its message says it may have been taken
            outcome = NoAnswer(Status.EXCEPTION, "", str(error))
        elif isinstance(cause, requests.Timeout) and not isinstance(cause, requests.ConnectTimeout):
            outcome = NoAnswer(Status.EXCEPTION, "", f"{error} (sent: whether the endpoint took it is unknown)")
        else:
            outcome = Outcome(Status.EXCEPTION, "", str(error))
    outcome.document = prepared.base
    return outcome


@dataclass
class Run:
    """The answers one target gave to a corpus."""

    answers: dict[str, Outcome] = field(default_factory=dict)
    seconds: float = 0.0


def run_corpus(client: OseClient, documents: list[CorpusDocument], keypair: KeyPair | None = None) -> Run:
    """Send every document in order; the answers by file name."""
    run = Run()
    started = time.perf_counter()
    for document in documents:
        run.answers[document.name] = send(client, document, keypair)
    run.seconds = time.perf_counter() - started
    return run


def answer(outcome: Outcome) -> dict[str, object]:
    """What a comparison looks at: status, code and the observation codes."""
    return {"status": outcome.status.value, "code": outcome.code,
            "observations": sorted(o.code for o in outcome.observations), "description": outcome.description}


def differences(first: Outcome, second: Outcome) -> list[str]:
    """Where two targets' answers to one document differ (empty: they agree).  An answer without a code
    (a target that could not be reached, or answered no SOAP) says what happened, not only ``''``."""
    a, b = answer(first), answer(second)
    gaps = [f"{key}: {a[key]!r} vs {b[key]!r}" for key in ("status", "code", "observations") if a[key] != b[key]]
    if gaps:
        gaps += [f"{which} target: {outcome.description[:200]}" for which, outcome in (("first", first), ("second", second))
                 if not outcome.code and outcome.description]
    return gaps
