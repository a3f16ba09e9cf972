"""The lines of a summary: the arithmetic of a resumen diario line (its total, IGV/IVAP, perception)
and the logic across lines (a document twice, added and modified together, voided twice…).

Rows 116 and 117 (4019) share code and tag and differ by the document type and the rates SUNAT
accepts, so they are compiled from their wording (a sentence) rather than bound by code.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from osemock.server.rules import patterns
from osemock.server.rules.arithmetic import IVAP_RATE
from osemock.server.rules.backend import python_rule
from osemock.server.rules.families.summaries import (
    LINE, RC, VOIDS, Node, Violations, amount_sum, child_text, decimal_of, line_tax, lines_of,
)
from osemock.server.rules.patterns import Check, sentence
from osemock.server.rules.workbook import WorkbookRow
from osemock.server.rules.patterns import xp


# -- arithmetic of a summary line ---------------------------------------------------------------------
@sentence
def igv_row(row: WorkbookRow, path: str | None) -> Check | None:
    """The IGV/IVAP of a line against its taxed sales (4019, 4302): rows 116/117 differ only by the
    document type and the rates SUNAT accepts, so the row's own wording picks them."""
    if row.sheet not in RC or path is None or row.severity != "observation" \
            or not path.endswith("sac:SummaryDocumentsLine/cac:TaxTotal/cbc:TaxAmount"):
        return None
    cond = row.condition
    if cond.startswith('Si Código de tributo es "1000", y "Tipo de comprobante" es igual a "03"'):
        code, rates, types = "1000", (Decimal("18"), Decimal("10.5")), lambda t: t == "03"
    elif cond.startswith('Si Código de tributo es "1000", y "Tipo de comprobante" es diferente de "03"'):
        code, rates, types = "1000", (Decimal("18"), Decimal("10.5"), Decimal("10")), lambda t: t != "03"
    elif cond.startswith('Si Código de tributo es "1016"'):
        code, rates, types = "1016", (IVAP_RATE,), lambda t: True
    else:
        return None

    def run(root: Node, source: Any = None) -> Violations:
        for line in xp(root, LINE):
            if not types(child_text(line, "cbc:DocumentTypeCode")):
                continue
            for total in xp(line, f"cac:TaxTotal[cac:TaxSubtotal/cac:TaxCategory/cac:TaxScheme/cbc:ID='{code}']"
                                    "/cbc:TaxAmount"):
                tax = decimal_of(patterns.text(total))
                if tax is None or tax <= 0:
                    continue
                base = amount_sum(line, "sac:BillingPayment[cbc:InstructionID='01']/cbc:PaidAmount")
                if code == "1000":
                    base += line_tax(line, "2000")
                if all(abs(tax - base * rate / 100) > 5 for rate in rates):
                    yield "cac:TaxTotal/cbc:TaxAmount", patterns.text(total)
    return Check(row, "arithmetic", run)


@python_rule("4027", "TotalAmount", sheets=RC)
def total_amount_differs(root: Node, source: Any) -> Violations:
    """The line's total: its sales (01–04, not the free 05), every tax and its charges, ±5."""
    for line in xp(root, LINE):
        total = decimal_of(child_text(line, "sac:TotalAmount"))
        if total is None:
            continue
        expected = (amount_sum(line, "sac:BillingPayment[cbc:InstructionID='01' or cbc:InstructionID='02' or "
                                  "cbc:InstructionID='03' or cbc:InstructionID='04']/cbc:PaidAmount")
                    + amount_sum(line, "cac:TaxTotal/cbc:TaxAmount")
                    + amount_sum(line, "cac:AllowanceCharge[normalize-space(cbc:ChargeIndicator)='true']/cbc:Amount"))
        if abs(total - expected) > 5:
            yield "sac:TotalAmount", str(total)


@python_rule("2071", "TotalAmount", sheets=RC)
def line_in_another_currency(root: Node, source: Any) -> Violations:
    """Every amount of a line is in the line's currency (sac:TotalAmount/@currencyID), except the
    perception's, which is always in soles."""
    for line in xp(root, LINE):
        currency = child_text(line, "sac:TotalAmount/@currencyID")
        for value in xp(line, ".//@currencyID[not(ancestor::sac:SUNATPerceptionSummaryDocumentReference)]"):
            if value.strip() != currency:
                yield "sac:TotalAmount/currencyID", value.strip()
                break


@python_rule("2278", "TaxTotal", sheets=RC)
def line_without_igv(root: Node, source: Any) -> Violations:
    """Every line carries an IGV (1000) or IVAP (1016) total, even at zero."""
    for line in xp(root, LINE):
        if not xp(line, "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cac:TaxScheme[cbc:ID='1000' or cbc:ID='1016']"):
            yield "cac:TaxTotal", child_text(line, "cbc:ID")


@python_rule("2608", "TotalInvoiceAmount", sheets=RC)
def perception_amount_differs(root: Node, source: Any) -> Violations:
    """In soles, the perception is its base times its rate (%), ±1."""
    for reference in xp(root, f"{LINE}/sac:SUNATPerceptionSummaryDocumentReference"):
        if child_text(reference.getparent(), "sac:TotalAmount/@currencyID") != "PEN":
            continue
        amount, base, rate = (decimal_of(child_text(reference, p)) for p in
                              ("cbc:TotalInvoiceAmount", "cbc:TaxableAmount", "sac:SUNATPerceptionPercent"))
        if None not in (amount, base, rate) and abs(amount - base * rate / 100) > 1:
            yield "cbc:TotalInvoiceAmount", str(amount)


@python_rule("2608", "SUNATTotalCashed", sheets=RC)
def total_cashed_differs(root: Node, source: Any) -> Violations:
    """In soles, the total cashed is the line's total plus the perception, ±1."""
    for reference in xp(root, f"{LINE}/sac:SUNATPerceptionSummaryDocumentReference"):
        line = reference.getparent()
        if child_text(line, "sac:TotalAmount/@currencyID") != "PEN":
            continue
        cashed, total, amount = (decimal_of(child_text(reference, "sac:SUNATTotalCashed")), decimal_of(child_text(line, "sac:TotalAmount")),
                                 decimal_of(child_text(reference, "cbc:TotalInvoiceAmount")))
        if None not in (cashed, total, amount) and abs(cashed - (total + amount)) > 1:
            yield "sac:SUNATTotalCashed", str(cashed)


# -- cross-line logic of a summary --------------------------------------------------------------------
def _document(line: Node) -> tuple[str, str]:
    return child_text(line, "cbc:DocumentTypeCode"), child_text(line, "cbc:ID")


@python_rule("3094", "DocumentTypeCode", sheets=RC)
def line_repeated(root: Node, source: Any) -> Violations:
    """The same document with the same state twice in one summary."""
    seen: set[tuple[str, str, str]] = set()
    for line in xp(root, LINE):
        key = (*_document(line), child_text(line, "cac:Status/cbc:ConditionCode"))
        if key in seen:
            yield "cbc:DocumentTypeCode", "-".join(key[:2])
        seen.add(key)


def _in_states(root: Node, first: str, second: str) -> Violations:
    """Documents that one summary gives both states ``first`` and ``second``."""
    states: dict[tuple[str, str], set[str]] = {}
    for line in xp(root, LINE):
        states.setdefault(_document(line), set()).add(child_text(line, "cac:Status/cbc:ConditionCode"))
    for document, found in states.items():
        if {first, second} <= found:
            yield "cbc:DocumentTypeCode", "-".join(document)


@python_rule("3095", "DocumentTypeCode", sheets=RC)
def added_and_modified(root: Node, source: Any) -> Violations:
    """A document added (1) and modified (2) in the same summary."""
    yield from _in_states(root, "1", "2")


@python_rule("3096", "DocumentTypeCode", sheets=RC)
def modified_and_voided(root: Node, source: Any) -> Violations:
    """A document modified (2) and voided (3) in the same summary."""
    yield from _in_states(root, "2", "3")


@python_rule("2514", "AccountingCustomerParty", sheets=RC)
def buyer_missing_above_700(root: Node, source: Any) -> Violations:
    """A line above S/ 700 names its buyer.  Narrow reading: only lines in soles (the threshold is in
    soles; SUNAT's exchange rate is not the mock's to guess)."""
    for line in xp(root, f"{LINE}[not(cac:AccountingCustomerParty)]"):
        total = decimal_of(child_text(line, "sac:TotalAmount"))
        if child_text(line, "sac:TotalAmount/@currencyID") == "PEN" and total is not None and total > 700:
            yield "cac:AccountingCustomerParty", str(total)


@python_rule("2582", "BillingReference", sheets=RC)
def reference_on_a_boleta(root: Node, source: Any) -> Violations:
    """Only notes (07, 08) reference the document they modify."""
    for line in xp(root, f"{LINE}[cac:BillingReference]"):
        if child_text(line, "cbc:DocumentTypeCode") not in ("07", "08"):
            yield "cac:BillingReference", child_text(line, "cbc:ID")


@python_rule("2986", "SUNATPerceptionSummaryDocumentReference", sheets=RC)
def perception_not_allowed(root: Node, source: Any) -> Violations:
    """Perception goes only with a boleta (03) that is not being modified (state 2)."""
    for line in xp(root, f"{LINE}[sac:SUNATPerceptionSummaryDocumentReference]"):
        if child_text(line, "cbc:DocumentTypeCode") != "03" or child_text(line, "cac:Status/cbc:ConditionCode") == "2":
            yield "sac:SUNATPerceptionSummaryDocumentReference", child_text(line, "cbc:ID")


@python_rule("2348", "DocumentNumberID", sheets=VOIDS)
def voided_twice(root: Node, source: Any) -> Violations:
    """The same document (type, serie, number) on two lines of one communication."""
    seen: set[tuple[str, str, str]] = set()
    for line in lines_of(root):
        key = (child_text(line, "cbc:DocumentTypeCode"), child_text(line, "sac:DocumentSerialID"), child_text(line, "sac:DocumentNumberID"))
        if key in seen:
            yield "sac:DocumentNumberID", "".join(key)
        seen.add(key)
