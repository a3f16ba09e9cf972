"""SUNAT's homologation set as a dry-run: the historical cases, rebuilt to today's rules, sent and
reported per case the way SUNAT's portal did (Aprobado / No aprobado / No enviado; and Sin respuesta
when a document was sent and its answer never came, En proceso for a ticket still at 98).

The set follows the one SUNAT assigned until 2017 (the case list of a real assignment, see
shared/design/ANCHORS.md §3.5): per factura group five facturas with fixed line counts, then three
credit and three debit notes on given facturas; gratuitas without notes; one factura, its credit
and its debit note in another currency; the same for boletas; one resumen diario; one comunicación
de baja.  Updated to current rules: UBL 2.1 / customization 2.0, forma de pago on facturas,
boletas sent one by one (as OSEs take them today), so the resumen diario informs boletas not sent
before, and the baja voids a factura no note depends on.  Parties and items come from Faker
(``cpe`` provider); every amount follows from the lines.

    cases = build_set("20123456789")
    report = run(client, cases, keypair)     # a Report: one row per case
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from osemock.client import OseClient, Outcome, Status
from osemock.conformance.documents import (CorpusDocument, Expectation, NoAnswer, cdr_problem, findings_of, pending,
                                           preflight, send)
from osemock.conformance.report import ERROR, FAILED, PASSED, CaseResult, Report
from osemock.cpe.signature import KeyPair
from osemock.fixtures.builder import Emitter, Line, Party, credit_note, debit_note, invoice, returned_item
from osemock.fixtures.faker_cpe import cpe_faker
from osemock.server.clock import LIMA


@dataclass(frozen=True)
class Group:
    """One group of the set: a serie, its scenario and the shape of its cases."""

    number: int
    serie: str
    type_code: str
    title: str
    first_case: int
    line_counts: tuple[int, ...]
    notes_on: tuple[int, ...] = ()
    """Which documents of the group (1-based) get a credit note and a debit note."""
    affectations: tuple[str, ...] = ("10",)
    """Catalog 07 codes the lines take in turn."""
    discount: Decimal = Decimal("0")
    currency: str = "PEN"
    isc_rate: Decimal | None = None
    """ISC (sistema al valor) on the first line of each document."""


_FACTURA, _BOLETA = "01", "03"
GROUPS: tuple[Group, ...] = (
    Group(1, "FF11", _FACTURA, "Facturas: ventas gravadas con IGV", 1, (3, 2, 1, 5, 4), (2, 3, 4)),
    Group(2, "FF12", _FACTURA, "Facturas: ventas inafectas y/o exoneradas", 12, (1, 4, 7, 5, 6), (1, 3, 5),
          ("20", "30")),
    Group(3, "FF13", _FACTURA, "Facturas: ventas gratuitas", 23, (7, 2, 5, 4, 3), (), ("11",)),
    Group(4, "FF14", _FACTURA, "Facturas: ventas con descuento global", 32, (2, 1, 4, 3, 5), (2, 3, 5),
          discount=Decimal("0.10")),
    Group(7, "FF50", _FACTURA, "Facturas: operaciones en otra moneda", 49, (5,), (1,), currency="USD"),
    # The boleta groups have line counts and noted documents of their own (listapruebas.json's
    # "Boleta de Venta k con N items", "Nota de crédito de Boleta de Venta k"), not the facturas'.
    Group(8, "BB11", _BOLETA, "Boletas: ventas gravadas con IGV", 52, (4, 7, 5, 3, 2), (2, 3, 4)),
    Group(9, "BB12", _BOLETA, "Boletas: ventas inafectas y/o exoneradas", 63, (2, 4, 7, 5, 1), (1, 4, 5),
          ("20", "30")),
    Group(10, "BB13", _BOLETA, "Boletas: ventas gratuitas", 74, (7, 2, 5, 4, 9), (), ("11",)),
    Group(11, "BB14", _BOLETA, "Boletas: ventas con descuento global", 85, (10, 7, 6, 9, 4), (1, 2, 4),
          discount=Decimal("0.10")),
    Group(12, "BB50", _BOLETA, "Boletas: otra moneda", 96, (3,), (1,), currency="USD"),
    # Groups of the set that the 2017 assignment did not include (its case numbers are unknown, so
    # they are numbered after 100); chosen with --groups.
    Group(5, "FF30", _FACTURA, "Facturas: operaciones gravadas con ISC", 101, (3, 2, 1, 5, 4), (2, 3, 4),
          isc_rate=Decimal("0.17")),
    Group(21, "BB40", _BOLETA, "Boletas: gravadas con ISC", 112, (3, 2, 1, 5, 4), (2, 3, 4),
          isc_rate=Decimal("0.17")),
)
_GRAVADO_BOLETAS = next(group for group in GROUPS if group.number == 8)
#: A summary's correlativo has five digits at most (RC-20261120-99999).
MAX_SUMMARY_NUMBER = 99_999
RESUMEN_GROUP, BAJA_GROUP = 13, 14
EXTRA_GROUPS = (5, 21)
#: The groups of the 2017 assignment, the default set.
ALL_GROUPS = tuple(g.number for g in GROUPS if g.number not in EXTRA_GROUPS) + (RESUMEN_GROUP, BAJA_GROUP)
KNOWN_GROUPS = ALL_GROUPS + EXTRA_GROUPS


@dataclass
class HomologationCase:
    """One case of the set, ready to send (unsigned; the client signs it)."""

    number: int
    group: int
    title: str
    document_id: str
    type_code: str
    xml: bytes
    reference: str = ""
    """The document a note modifies."""

    @property
    def file_name(self) -> str:
        return f"{self.document_id}.xml"


@dataclass
class _Built:
    customer: Party
    lines: list[Line]


@dataclass
class SetBuilder:
    """Builds the cases of the chosen groups for one emitter."""

    ruc: str
    name: str = "EMPRESA DE PRUEBAS OSEMOCK S.A.C."
    seed: int | None = None
    issued: date | None = None
    first_number: int = 1
    """Correlativo of each serie's first document (a real endpoint remembers earlier runs)."""
    summary_number: int | None = None
    """Correlativo of the resumen diario and the baja; ``None``: from ``first_number`` (1 for 1), so
    the seed, the numbers and the day make the whole set, names included."""
    keypair: KeyPair | None = None
    """Signs the summaries (documents are signed by the client)."""
    built: dict[str, _Built] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.fake = cpe_faker(self.seed)
        self.emitter = Emitter(self.ruc, self.name)
        self.today = self.issued or datetime.now(LIMA).date()
        if self.summary_number is None:
            self.summary_number = (self.first_number - 1) % MAX_SUMMARY_NUMBER + 1

    def _lines(self, group: Group, count: int) -> list[Line]:
        return [self.fake.cpe_line(group.affectations[i % len(group.affectations)], group.isc_rate if i == 0 else None)
                for i in range(count)]

    def group_cases(self, group: Group) -> list[HomologationCase]:
        """The group's documents, then a credit note and a debit note on each document it names."""
        documents = self._documents(group)
        ids = [case.document_id.split("-", 2)[2] for case in documents]
        case_number = group.first_case + len(documents)
        notes: list[HomologationCase] = []
        for note_type in ("07", "08"):
            for offset, which in enumerate(group.notes_on):
                notes.append(self._note(group, note_type, case_number, f"{group.serie}-{self.first_number + offset}",
                                        ids[which - 1]))
                case_number += 1
        return documents + notes

    def _documents(self, group: Group) -> list[HomologationCase]:
        kind = "Factura" if group.type_code == _FACTURA else "Boleta"
        cases = []
        for index, count in enumerate(group.line_counts):
            document_id = f"{group.serie}-{self.first_number + index}"
            customer = self.fake.company_party() if group.type_code == _FACTURA else self.fake.person_party()
            lines = self._lines(group, count)
            self.built[document_id] = _Built(customer, lines)
            xml = invoice(self.emitter, document_id, customer, lines, type_code=group.type_code,
                          currency=group.currency, issued=self.today, discount_rate=group.discount)
            cases.append(HomologationCase(group.first_case + index, group.number, f"{kind} con {count} ítem(s)",
                                          f"{self.ruc}-{group.type_code}-{document_id}", group.type_code, xml))
        return cases

    def _note(self, group: Group, note_type: str, case_number: int, note_id: str, reference: str) -> HomologationCase:
        """A credit note giving back one unit of the document's first item, or a debit note raising
        that item's price by 5 %."""
        base = self.built[reference]
        first = base.lines[0]
        modified = (group.type_code, reference)
        if note_type == "07":
            lines = returned_item(base.lines)
            xml = credit_note(self.emitter, note_id, base.customer, lines, modified, "07", currency=group.currency,
                              issued=self.today)
            title = f"Nota de crédito (devolución por ítem) de {reference}"
        else:
            raise_by = max(Decimal("1.00"), (first.unit_value * Decimal("0.05")).quantize(Decimal("0.01")))
            lines = [replace(first, description=f"AJUSTE DE PRECIO - {first.description}", quantity=Decimal(1),
                             unit_value=raise_by)]
            xml = debit_note(self.emitter, note_id, base.customer, lines, modified, "02", currency=group.currency,
                             issued=self.today)
            title = f"Nota de débito (aumento en el valor) de {reference}"
        return HomologationCase(case_number, group.number, title, f"{self.ruc}-{note_type}-{note_id}", note_type, xml,
                                reference)

    def resumen(self) -> HomologationCase:
        """Case 99: a resumen diario informing three boletas not sent one by one."""
        from osemock.fixtures.summaries import RcLine, resumen_diario

        lines = []
        for offset in range(3):
            total = sum((line.value + line.tax for line in self._lines(_GRAVADO_BOLETAS, 2)), Decimal("0.00"))
            lines.append(RcLine("03", f"BR01-{self.first_number + offset}", "1", f"{total:.2f}"))
        name, xml = resumen_diario(self.today, lines, number=self.summary_number,
                                   reference_date=self.today, ruc=self.ruc, keypair=self.keypair)
        return HomologationCase(99, RESUMEN_GROUP, "Resumen diario de 3 boletas (BR01)", name, "RC", xml)

    def baja(self) -> HomologationCase:
        """Case 100: a comunicación de baja of factura FF11 #1 (no note depends on it)."""
        from osemock.fixtures.summaries import comunicacion_baja

        name, xml = comunicacion_baja(self.today, [("01", "FF11", self.first_number)], number=self.summary_number,
                                      reference_date=self.today, ruc=self.ruc, keypair=self.keypair)
        return HomologationCase(100, BAJA_GROUP, f"Comunicación de baja de FF11-{self.first_number}", name, "RA", xml)

    def build(self, groups: tuple[int, ...] = ALL_GROUPS) -> list[HomologationCase]:
        unknown = set(groups) - set(KNOWN_GROUPS)
        if unknown:
            raise ValueError(f"no group {sorted(unknown)} in the set; groups: {', '.join(map(str, sorted(KNOWN_GROUPS)))}")
        if BAJA_GROUP in groups and 1 not in groups:
            raise ValueError("group 14 (baja) voids a factura of group 1: choose group 1 too")
        cases: list[HomologationCase] = []
        for group in GROUPS:
            if group.number in groups:
                cases += self.group_cases(group)
        if RESUMEN_GROUP in groups:
            cases.append(self.resumen())
        if BAJA_GROUP in groups:
            cases.append(self.baja())
        return sorted(cases, key=lambda case: (case.type_code in ("RC", "RA"), case.number))


def clock_numbers(now: datetime | None = None) -> tuple[int, int]:
    """The correlativos of a run at a real endpoint that names none: its documents' from the clock's
    second, its summaries' the second of the day (their names hold the day), so reruns a second
    apart or more reuse no name (1033)."""
    now = now or datetime.now(LIMA)
    return (int(now.timestamp()) % 1_000_000) * 10 + 1, now.hour * 3600 + now.minute * 60 + now.second + 1


def build_set(ruc: str, groups: tuple[int, ...] = ALL_GROUPS, **options: object) -> list[HomologationCase]:
    """The cases of ``groups`` for emitter ``ruc`` (see :class:`SetBuilder` for the options)."""
    return SetBuilder(ruc, **options).build(groups)  # type: ignore[arg-type]


def _verdict(outcome: Outcome) -> tuple[str, str, str]:
    """(verdict, label, why): Aprobado only for an acceptance whose CDR is this document's (signed,
    naming it); a ticket still at 98 has no verdict yet, and a document sent whose answer never came
    was sent (whether the endpoint took it is unknown)."""
    problem = cdr_problem(outcome)
    if outcome.accepted and problem is None:
        return PASSED, "Aprobado", ""
    if outcome.status is Status.PENDING:
        return ERROR, "En proceso", pending(outcome)
    if isinstance(outcome, NoAnswer):
        return ERROR, "Sin respuesta", outcome.description
    if outcome.status is Status.EXCEPTION and not outcome.code and outcome.cdr_xml is None:
        return ERROR, "No enviado", outcome.description  # a CDR that is not this document's was an answer
    answer = f"{outcome.code} {outcome.description}".strip()
    return FAILED, "No aprobado", f"{answer}: {problem}" if problem else answer


def run(client: OseClient, cases: list[HomologationCase], target: str = "", keypair: KeyPair | None = None) -> Report:
    """Send every case in order (tickets followed to their CDR) and report each one; documents are
    signed with ``keypair`` (default: the client's certificate)."""
    keypair = keypair or client.certificate
    report = Report("Homologación SUNAT (dry-run)", target or client.endpoint.url)
    for case in cases:
        document = CorpusDocument(Path(case.file_name), case.xml, Expectation())
        findings = findings_of(preflight(document, keypair))  # signed, as it is sent
        started = time.perf_counter()
        outcome = send(client, document, keypair)
        verdict, label, why = _verdict(outcome)
        report.cases.append(CaseResult(
            suite=f"Grupo {case.group:02d}", name=f"Caso {case.number}", verdict=verdict, label=label,
            title=case.title, document=outcome.document or case.document_id, expected="0 (aceptado)",
            status=outcome.status.value, code=outcome.code, description=outcome.description,
            observations=[f"{o.code} {o.message}" for o in outcome.observations], ticket=outcome.ticket or "",
            message=why,
            findings=findings, cdr_xml=outcome.cdr_xml.decode("utf-8", "replace") if outcome.cdr_xml else "",
            duration=time.perf_counter() - started))
    return report

