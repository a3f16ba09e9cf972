"""The seam between the protocol engine and the business rules.

After the envelope-level checks (auth, name, ZIP, XSD, file name against content) the engine hands
the parsed document to every registered :data:`DocumentCheck`; each returns findings.  The first
finding of severity ``error`` decides the verdict (SUNAT stops at its first error); observations are
collected into the CDR.  The rule engine registers itself here; the protocol layer never knows rules.
"""
from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterable

from lxml import etree

from osemock.cpe.catalog import lookup
from osemock.cpe.document import DocumentHeader
from osemock.cpe.naming import CpeName


@dataclass(frozen=True)
class Finding:
    """One rule's verdict on one node."""

    code: str
    severity: str
    """``error`` or ``observation`` (the workbook's TIPO DE RETORNO)."""
    xpath: str | None = None
    value: str | None = None
    note: str | None = None
    """Extra context SUNAT writes before the node, e.g. ``Error en la linea: 2``."""
    front_end: str | None = None
    """What SUNAT's front end (DataPower) writes after `` - Detalle: `` when it refuses the document
    before the back end's rules see it, a signature that does not verify: its own words alone, with no
    code or node (``Incorrect reference digest value``, observed_faults.csv row 2335)."""

    @property
    def message(self) -> str:
        return lookup(self.code).message

    def detail_in(self, dialect: str) -> str:
        """The detail a fault or a rejection CDR carries in a profile's ``fault_dialect``: SUNAT's own
        words where its front end refused the document; the back end's ``… NNNN (nodo…)`` otherwise,
        and always at an OSE, whose answers name the node (PROTOCOL.md §6.2)."""
        return self.front_end if dialect == "sunat" and self.front_end else self.detail

    @property
    def detail(self) -> str:
        """The text after ``- Detalle:`` in SUNAT's style: ``… NNNN (nodo: "X" valor: "V")``."""
        parts = [self.note] if self.note else []
        where = f'{self.code} (nodo: "{self.xpath}" valor: "{self.value or ""}")' if self.xpath else self.code
        parts.append(where)
        return ": ".join(parts)


@dataclass
class CheckInput:
    """What a check sees: the parsed document, its header, who sent it, the name of the file it came in,
    and the mock's state.

    ``file_name``, ``store``, ``profile`` and ``now`` are ``None`` offline (``osemock validate``): rules
    that need the file name, the registry, the stored documents or the clock then stay silent.
    """

    root: etree._Element
    header: DocumentHeader
    sender_ruc: str | None = None
    store: Any = None
    profile: Any = None
    now: datetime | None = None
    file_name: CpeName | None = None
    extra: dict[str, object] = field(default_factory=dict)


DocumentCheck = Callable[[CheckInput], Iterable[Finding]]

#: What a check that runs long calls between its steps (the rules engine: every few rules), set by
#: the server for the request being answered so it can let a waiting request go first (see
#: ``server.turn``); unset offline.
BETWEEN_CHECKS: ContextVar[Callable[[], None] | None] = ContextVar("osemock_between_checks", default=None)


@dataclass
class Injection:
    """A verdict put into a document's checks from outside the rules (a scenario of the admin API), and
    whether the call got that far (a resend answered 1033, a 0306 never reaches the checks: it has not
    acted).  A summary or lot keeps it with its ticket, for the checks that run when the ticket settles."""

    finding: Finding
    used: bool = False


#: The injection of the call being processed: set by the WSGI layer for one SOAP request, and by the
#: ticket's settling from what the ticket kept; read by the check that carries it (registered first).
INJECTED: ContextVar[Injection | None] = ContextVar("osemock_injected_finding", default=None)


def split_findings(findings: Iterable[Finding]) -> tuple[Finding | None, list[Finding]]:
    """The first error (the verdict) and every observation."""
    error = None
    observations = []
    for finding in findings:
        if finding.severity == "error":
            if error is None:
                error = finding
        else:
            observations.append(finding)
    return error, observations
