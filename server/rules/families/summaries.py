"""Summaries and voids: the resumen diario (RC, SummaryDocuments), the comunicación de baja (RA) and the
resumen de reversiones (RR, both VoidedDocuments).

Their sheets speak of the summary's *line* (``sac:SummaryDocumentsLine``, ``sac:VoidedDocumentsLine``)
the way the CPE sheets speak of the document: "Si "Tipo de documento" es 03, 07 o 08, …", "Si existe
tag de "Adquiriente o usuario", …".  Such a context condition is data here (:data:`LINE_GUARDS`): it
becomes an XPath predicate on the line (or on the step it names) and the rest of the sentence compiles
as any simple sentence.  The sentences the core does not know (numeric formats, value lists, "se
repite en …", SUNAT's regular expressions) are compiled by :func:`summary_sentence`; arithmetic and
cross-line logic are Python rules bound per sheet.

Everything here is restricted to the three summary sheets, so the CPE sheets never see it.
Rows marked "No aplica para SEE-OSE" are not compiled: an OSE never applies them.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Iterator

from lxml import etree

from osemock.cpe import ns
from osemock.server.rules import patterns
from osemock.server.rules.backend import python_rule
from osemock.server.rules.catalogs import catalog, entries
from osemock.server.rules.guards import normalise_rest
from osemock.server.rules.patterns import Check, sentence
from osemock.server.rules.workbook import WorkbookRow

Node = etree._Element
Violations = Iterator[tuple[str, str]]

RC = ("resumen_diario",)
VOIDS = ("comunicacion_baja", "resumen_reversiones")
SHEETS = RC + VOIDS
_LINE_STEPS = ("sac:SummaryDocumentsLine", "sac:VoidedDocumentsLine")


# -- context conditions on the line ------------------------------------------------------------------
_CODE = r"""["']?[0-9A-Z]{1,4}["']?(?!\w)"""
_CODES = rf"(?P<codes>{_CODE}(?:(?:,|,? o|,? y) {_CODE})*)"
_NEG = r"(?P<negated>diferente (?:a|de) )?"


@dataclass(frozen=True)
class LineGuard:
    """One wording of a context condition of a summary's rows."""

    wording: str
    """Regex matched at the start of the condition (``codes`` and ``negated`` groups when it names codes)."""
    predicate: str
    """XPath predicate (``{code}`` for each code, OR'd; ``not()`` when negated)."""
    step: str | None = None
    """The step the predicate attaches to; ``None``: the summary's line."""


LINE_GUARDS: list[LineGuard] = [
    LineGuard(rf'Si "Tipo de documento" es {_CODES}', "cbc:DocumentTypeCode='{code}'"),
    LineGuard(rf'Si "Tipo de documento que modifica" es {_CODES}',
              "cac:BillingReference/cac:InvoiceDocumentReference/cbc:DocumentTypeCode='{code}'"),
    LineGuard(rf"(?:y )?'Tipo de operación' es {_NEG}{_CODES}", "cac:Status/cbc:ConditionCode='{code}'"),
    LineGuard(r'Si existe tag de "Adquiriente o usuario"', "cac:AccountingCustomerParty"),
    LineGuard(rf'(?:y )?"Tipo de documento (?:de identidad )?del adquiriente(?: o usuario)?" es {_CODES}',
              "cac:AccountingCustomerParty/cbc:AdditionalAccountID='{code}'"),
    LineGuard(rf'Si "Código de tributo" es {_CODES}', "cac:TaxCategory/cac:TaxScheme/cbc:ID='{code}'", "cac:TaxSubtotal"),
]


def _predicate(guard: LineGuard, match: re.Match[str]) -> str:
    if "{code}" not in guard.predicate:
        return guard.predicate
    codes = re.findall(r"[0-9A-Z]{1,4}", match.group("codes"))
    joined = " or ".join(guard.predicate.format(code=code) for code in codes)
    return f"not({joined})" if match.groupdict().get("negated") else joined


def attach(path: str, step: str, predicate: str) -> str | None:
    """``path`` with ``[predicate]`` after the last ``step`` (and its predicates); ``None`` without one."""
    found = [m for m in re.finditer(rf"/{re.escape(step)}(?=[\[/]|$)", path)]
    if not found:
        return None
    end = found[-1].end()
    while end < len(path) and path[end] == "[":
        depth = 0
        for index in range(end, len(path)):
            depth += {"[": 1, "]": -1}.get(path[index], 0)
            if depth == 0:
                end = index + 1
                break
    return f"{path[:end]}[{predicate}]{path[end:]}"


def _line_step(path: str) -> str | None:
    return next((step for step in _LINE_STEPS if f"/{step}" in path), None)


def _guarded(row: WorkbookRow, path: str) -> Check | None:
    for guard in LINE_GUARDS:
        match = re.fullmatch(rf"(?:{guard.wording})(?:,\s*|\s+y\s+|\s+)(?P<rest>.+)", row.condition.strip(), re.DOTALL)
        if match is None:
            continue
        step = guard.step or _line_step(path)
        guarded = attach(path, step, _predicate(guard, match)) if step else None
        if guarded is None or patterns.xpath(guarded) is None:
            return None
        inner = WorkbookRow(row.sheet, row.row, row.field, row.tag, normalise_rest(match.group("rest")),
                            row.severity, row.code, row.listado)
        check = patterns.compile_sentence(inner, guarded)
        if check is None:
            return None
        kind = check.kind if check.kind.startswith("guarded:") else f"guarded:{check.kind}"
        return Check(row, kind, check.run, check.path or guarded)
    return None


# -- simple sentences of the summaries ------------------------------------------------------------------
def _plain(text: str) -> str:
    """Lower case without accents: the sheets write "vacío" and "vacio", "numérico" and "númerico"."""
    return "".join(c for c in unicodedata.normalize("NFD", text.lower()) if unicodedata.category(c) != "Mn")


def _number(value: str) -> Decimal | None:
    try:
        return Decimal(value.strip())
    except (InvalidOperation, AttributeError):
        return None


def _amount(node: Node | None, path: str) -> Decimal:
    """The sum of the amounts ``path`` selects under ``node`` (unreadable amounts count as zero: their
    format rows answer for them)."""
    if node is None:
        return Decimal(0)
    return sum((_number(patterns.text(n)) or Decimal(0) for n in node.xpath(path, namespaces=ns.UBL)), Decimal(0))


def _decimal_format(integers: int, decimals: int) -> Callable[[str, Node], bool]:
    pattern = re.compile(rf"(0|[1-9]\d{{0,{integers - 1}}})(\.\d{{1,{decimals}}})?")
    return lambda value, node: bool(pattern.fullmatch(value))


def _unique(path: str, scope: str) -> patterns.Runner:
    """A value may appear once per ``scope`` (an XPath from the root: the document or each line)."""
    holders = patterns.xpath(scope)
    relative = path[len(scope):].lstrip("/")
    step = patterns.xpath(relative)
    assert holders is not None and step is not None

    def run(root: Node, source: Any = None) -> Violations:
        for holder in holders(root):
            seen: set[str] = set()
            for node in step(holder):
                value = patterns.text(node)
                if value in seen:
                    yield patterns.short(path), value
                seen.add(value)
    return run


def _scope_of(path: str, container: str) -> str | None:
    """The XPath (a prefix of ``path``) that ``se repite en <container>`` names: the document or the line."""
    if container.rstrip("/").lower().endswith(("summarydocumentsline", "voideddocumentsline")):
        step = _line_step(path)
        if step is None:
            return None
        head, _, _ = path.partition(f"/{step}")
        rest = path[len(head) + len(step) + 1:]
        predicates = re.match(r"(\[[^\]]*\])*", rest)
        return f"{head}/{step}{predicates.group(0) if predicates else ''}"
    return "/*"


def _regex_alternatives(text: str) -> re.Pattern[str] | None:
    """SUNAT's "- regex1 - regex2" list as one pattern (any alternative matches)."""
    parts = [p.strip() for p in re.split(r"(?:^|\s)-\s", text) if p.strip()]
    try:
        return re.compile("|".join(f"(?:{p})" for p in parts)) if parts else None
    except re.error:
        return None


#: SUNAT's "Parámetros (NNN)" lists and the catalogs that hold them.
PARAMETROS = {"005": "05", "006": "06", "017": "11", "018": "19", "019": "22"}


def _listado(row: WorkbookRow) -> str | None:
    match = re.fullmatch(r"Parámetros \((\d{3})\)", row.listado.strip())
    return PARAMETROS.get(match[1]) if match else None


def _fixed_pen(path: str) -> patterns.Runner:
    """The attribute must exist and be PEN (the perception is always in soles)."""
    required, fixed = patterns.required(path), patterns.each(path, lambda value, node: value == "PEN")

    def run(root: Node, source: Any = None) -> Violations:
        yield from required(root, source)
        yield from fixed(root, source)
    return run


def _tax_total_mismatch(path: str) -> patterns.Runner:
    """A subtotal's tax amount must equal its cac:TaxTotal's ("el Tag anterior")."""
    compiled = patterns.xpath(path)
    assert compiled is not None

    def run(root: Node, source: Any = None) -> Violations:
        for node in compiled(root):
            total = node.getparent().getparent().findtext(f"{{{ns.CBC}}}TaxAmount")
            mine, theirs = _number(patterns.text(node)), _number(total or "")
            if mine is not None and theirs is not None and mine != theirs:
                yield patterns.short(path), patterns.text(node)
    return run


def _perception_rate(path: str) -> patterns.Runner:
    """The perception's percent is the rate catalog 22 gives its regime (2, 1 or 0.5)."""
    compiled = patterns.xpath(path)
    rates = entries("22")
    assert compiled is not None

    def run(root: Node, source: Any = None) -> Violations:
        for node in compiled(root):
            regime = (node.getparent().findtext(f"{{{ns.SAC}}}SUNATPerceptionSystemCode") or "").strip()
            rate, value = _number(rates.get(regime, {}).get("tasa", "")), _number(patterns.text(node))
            if rate is not None and (value is None or value != rate):
                yield patterns.short(path), patterns.text(node)
    return run


@sentence
def summary_sentence(row: WorkbookRow, path: str | None) -> Check | None:
    """The sentences of the summary sheets the core does not compile."""
    if row.sheet not in SHEETS or path is None or "No aplica para SEE-OSE" in row.condition:
        return None
    guarded = _guarded(row, path)
    if guarded is not None:
        return guarded
    cond = row.condition.strip().rstrip(". ")
    plain = _plain(cond)
    each = patterns.each
    if plain in ("el tag ubl es vacio", "el valor del tag ubl es vacio"):
        return Check(row, "required", patterns.required(path))
    match = re.fullmatch(r'el valor del tag ubl es diferente (?:a |de )?"?(\w+)"?(?: \(\w+\))?', plain)
    if match:
        expected = cond.split('"')[1] if '"' in cond else re.search(r"(\w+)(?: \(\w+\))?$", cond)[1]
        return Check(row, "fixed-value", each(path, lambda value, node: value == expected))
    if plain == 'el valor de la propiedad no existe o es diferente "pen"':
        return Check(row, "fixed-value", _fixed_pen(path))
    match = re.fullmatch(r"el valor del tag ubl es diferente a ((?:[\"']?\w{2}[\"']?(?:, | y ))+[\"']?\w{2}[\"']?)", plain)
    if match:
        allowed = set(re.findall(r"\w{2}", match[1])) - {"y"}
        return Check(row, "catalog", each(path, lambda value, node: value in allowed))
    match = re.fullmatch(r"el formato del tag ubl es numerico (?:positivo )?(?:de )?hasta (\d+) digitos", plain)
    if match:
        digits = re.compile(rf"\d{{1,{match[1]}}}")
        return Check(row, "numeric", each(path, lambda value, node: bool(digits.fullmatch(value))))
    match = re.fullmatch(r"el formato del tag ubl es diferente a numerico de (\d+) digitos", plain)
    if match:
        digits = re.compile(rf"\d{{{match[1]}}}")
        return Check(row, "numeric", each(path, lambda value, node: bool(digits.fullmatch(value))))
    match = re.fullmatch(r"el formato del tag ubl es diferente (?:a|de) (?:numerico|decimal) de (\d+) enteros y "
                         r"(?:hasta )?(\d+) decimales(?: o menor a cero)?", plain)
    if match:
        return Check(row, "decimal", each(path, _decimal_format(int(match[1]), int(match[2]))))
    if plain == "el valor del tag ubl es menor a 1":
        return Check(row, "minimum", each(path, lambda value, node: (_number(value) is None) or _number(value) >= 1))
    if plain == "el valor del tag ubl es menor o igual a cero (0)":
        return Check(row, "positive", each(path, lambda value, node: (_number(value) is None) or _number(value) > 0))
    if plain == "el valor del tag ubl es cero (0)":
        return Check(row, "zero", each(path, lambda value, node: _number(value) != 0))
    match = re.fullmatch(r"la longitud del tag ubl es menor de (\d+) caracteres", plain)
    if match:
        least = int(match[1])
        return Check(row, "length", each(path, lambda value, node: len(value) >= least))
    match = re.fullmatch(r"el valor del tag ubl (?:no puede repetirse|se repite) en (?:el )?(/\S+)", plain)
    if match:
        scope = _scope_of(path, match[1])
        if scope is not None and path.startswith(scope + "/"):
            return Check(row, "unique-within", _unique(path, scope))
    match = re.fullmatch(r"el formato del tag ubl es diferente(?: a)?:?\s*(-\s.*)", cond, re.IGNORECASE)
    if match:
        pattern = _regex_alternatives(match[1])
        if pattern is not None:
            return Check(row, "pattern", each(path, lambda value, node: bool(pattern.fullmatch(value))))
    number = _listado(row)
    if number and plain in ("el valor del tag ubl es diferente al listado", "el tag ubl no existe en el listado"):
        codes = catalog(number)
        return Check(row, "catalog", each(path, lambda value, node: value in codes))
    if number and plain == "el valor del tag ubl es diferente al listado y guion (-)":
        codes = catalog(number) | {"-"}
        return Check(row, "catalog", each(path, lambda value, node: value in codes))
    if plain == "el valor del tag ubl es diferente al tag anterior" and path.endswith("cac:TaxSubtotal/cbc:TaxAmount"):
        return Check(row, "python", _tax_total_mismatch(path))
    if plain.startswith("el valor del tag ubl es diferente a la tasa del listado para el") and _listado(row) == "22":
        return Check(row, "python", _perception_rate(path))
    return _igv_row(row, path)


# -- arithmetic of a summary line ---------------------------------------------------------------------
_LINE = "/*/sac:SummaryDocumentsLine"


def _lines(root: Node) -> list[Node]:
    return root.xpath("sac:SummaryDocumentsLine | sac:VoidedDocumentsLine", namespaces=ns.UBL)


def _child(line: Node, path: str) -> str:
    found = line.xpath(path, namespaces=ns.UBL)
    return patterns.text(found[0]) if found else ""


def _tax(line: Node, code: str) -> Decimal:
    """The line's total of one tax (the cac:TaxTotal whose subtotal carries ``code``)."""
    return _amount(line, f"cac:TaxTotal[cac:TaxSubtotal/cac:TaxCategory/cac:TaxScheme/cbc:ID='{code}']/cbc:TaxAmount")


def _igv_row(row: WorkbookRow, path: str) -> Check | None:
    """The IGV/IVAP of a line against its taxed sales (4019, 4302): rows 116/117 differ only by the
    document type and the rates SUNAT accepts, so the row's own wording picks them."""
    if not path.endswith("sac:SummaryDocumentsLine/cac:TaxTotal/cbc:TaxAmount") or row.severity != "observation":
        return None
    cond = row.condition
    if cond.startswith('Si Código de tributo es "1000", y "Tipo de comprobante" es igual a "03"'):
        code, rates, types = "1000", (Decimal("18"), Decimal("10.5")), lambda t: t == "03"
    elif cond.startswith('Si Código de tributo es "1000", y "Tipo de comprobante" es diferente de "03"'):
        code, rates, types = "1000", (Decimal("18"), Decimal("10.5"), Decimal("10")), lambda t: t != "03"
    elif cond.startswith('Si Código de tributo es "1016"'):
        code, rates, types = "1016", (Decimal("4"),), lambda t: True
    else:
        return None

    def run(root: Node, source: Any = None) -> Violations:
        for line in root.xpath(_LINE, namespaces=ns.UBL):
            if not types(_child(line, "cbc:DocumentTypeCode")):
                continue
            for total in line.xpath(f"cac:TaxTotal[cac:TaxSubtotal/cac:TaxCategory/cac:TaxScheme/cbc:ID='{code}']"
                                    "/cbc:TaxAmount", namespaces=ns.UBL):
                tax = _number(patterns.text(total))
                if tax is None or tax <= 0:
                    continue
                base = _amount(line, "sac:BillingPayment[cbc:InstructionID='01']/cbc:PaidAmount")
                if code == "1000":
                    base += _tax(line, "2000")
                if all(abs(tax - base * rate / 100) > 5 for rate in rates):
                    yield "cac:TaxTotal/cbc:TaxAmount", patterns.text(total)
    return Check(row, "python", run)


@python_rule("4027", "TotalAmount", sheets=RC)
def total_amount_differs(root: Node, source: Any) -> Violations:
    """The line's total: its sales (01–04, not the free 05), every tax and its charges, ±5."""
    for line in root.xpath(_LINE, namespaces=ns.UBL):
        total = _number(_child(line, "sac:TotalAmount"))
        if total is None:
            continue
        expected = (_amount(line, "sac:BillingPayment[cbc:InstructionID='01' or cbc:InstructionID='02' or "
                                  "cbc:InstructionID='03' or cbc:InstructionID='04']/cbc:PaidAmount")
                    + _amount(line, "cac:TaxTotal/cbc:TaxAmount")
                    + _amount(line, "cac:AllowanceCharge[normalize-space(cbc:ChargeIndicator)='true']/cbc:Amount"))
        if abs(total - expected) > 5:
            yield "sac:TotalAmount", str(total)


@python_rule("2071", "TotalAmount", sheets=RC)
def line_in_another_currency(root: Node, source: Any) -> Violations:
    """Every amount of a line is in the line's currency (sac:TotalAmount/@currencyID), except the
    perception's, which is always in soles."""
    for line in root.xpath(_LINE, namespaces=ns.UBL):
        currency = _child(line, "sac:TotalAmount/@currencyID")
        for value in line.xpath(".//@currencyID[not(ancestor::sac:SUNATPerceptionSummaryDocumentReference)]",
                                namespaces=ns.UBL):
            if value.strip() != currency:
                yield "sac:TotalAmount/currencyID", value.strip()
                break


@python_rule("2278", "TaxTotal", sheets=RC)
def line_without_igv(root: Node, source: Any) -> Violations:
    """Every line carries an IGV (1000) or IVAP (1016) total, even at zero."""
    for line in root.xpath(_LINE, namespaces=ns.UBL):
        if not line.xpath("cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cac:TaxScheme[cbc:ID='1000' or cbc:ID='1016']",
                          namespaces=ns.UBL):
            yield "cac:TaxTotal", _child(line, "cbc:ID")


@python_rule("2608", "TotalInvoiceAmount", sheets=RC)
def perception_amount_differs(root: Node, source: Any) -> Violations:
    """In soles, the perception is its base times its rate (%), ±1."""
    for reference in root.xpath(f"{_LINE}/sac:SUNATPerceptionSummaryDocumentReference", namespaces=ns.UBL):
        if _child(reference.getparent(), "sac:TotalAmount/@currencyID") != "PEN":
            continue
        amount, base, rate = (_number(_child(reference, p)) for p in
                              ("cbc:TotalInvoiceAmount", "cbc:TaxableAmount", "sac:SUNATPerceptionPercent"))
        if None not in (amount, base, rate) and abs(amount - base * rate / 100) > 1:
            yield "cbc:TotalInvoiceAmount", str(amount)


@python_rule("2608", "SUNATTotalCashed", sheets=RC)
def total_cashed_differs(root: Node, source: Any) -> Violations:
    """In soles, the total cashed is the line's total plus the perception, ±1."""
    for reference in root.xpath(f"{_LINE}/sac:SUNATPerceptionSummaryDocumentReference", namespaces=ns.UBL):
        line = reference.getparent()
        if _child(line, "sac:TotalAmount/@currencyID") != "PEN":
            continue
        cashed, total, amount = (_number(_child(reference, "sac:SUNATTotalCashed")), _number(_child(line, "sac:TotalAmount")),
                                 _number(_child(reference, "cbc:TotalInvoiceAmount")))
        if None not in (cashed, total, amount) and abs(cashed - (total + amount)) > 1:
            yield "sac:SUNATTotalCashed", str(cashed)


# -- cross-line logic of a summary --------------------------------------------------------------------
def _document(line: Node) -> tuple[str, str]:
    return _child(line, "cbc:DocumentTypeCode"), _child(line, "cbc:ID")


@python_rule("3094", "DocumentTypeCode", sheets=RC)
def line_repeated(root: Node, source: Any) -> Violations:
    """The same document with the same state twice in one summary."""
    seen: set[tuple[str, str, str]] = set()
    for line in root.xpath(_LINE, namespaces=ns.UBL):
        key = (*_document(line), _child(line, "cac:Status/cbc:ConditionCode"))
        if key in seen:
            yield "cbc:DocumentTypeCode", "-".join(key[:2])
        seen.add(key)


def _in_states(root: Node, first: str, second: str) -> Violations:
    """Documents that one summary gives both states ``first`` and ``second``."""
    states: dict[tuple[str, str], set[str]] = {}
    for line in root.xpath(_LINE, namespaces=ns.UBL):
        states.setdefault(_document(line), set()).add(_child(line, "cac:Status/cbc:ConditionCode"))
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
    for line in root.xpath(f"{_LINE}[not(cac:AccountingCustomerParty)]", namespaces=ns.UBL):
        total = _number(_child(line, "sac:TotalAmount"))
        if _child(line, "sac:TotalAmount/@currencyID") == "PEN" and total is not None and total > 700:
            yield "cac:AccountingCustomerParty", str(total)


@python_rule("2582", "BillingReference", sheets=RC)
def reference_on_a_boleta(root: Node, source: Any) -> Violations:
    """Only notes (07, 08) reference the document they modify."""
    for line in root.xpath(f"{_LINE}[cac:BillingReference]", namespaces=ns.UBL):
        if _child(line, "cbc:DocumentTypeCode") not in ("07", "08"):
            yield "cac:BillingReference", _child(line, "cbc:ID")


@python_rule("2986", "SUNATPerceptionSummaryDocumentReference", sheets=RC)
def perception_not_allowed(root: Node, source: Any) -> Violations:
    """Perception goes only with a boleta (03) that is not being modified (state 2)."""
    for line in root.xpath(f"{_LINE}[sac:SUNATPerceptionSummaryDocumentReference]", namespaces=ns.UBL):
        if _child(line, "cbc:DocumentTypeCode") != "03" or _child(line, "cac:Status/cbc:ConditionCode") == "2":
            yield "sac:SUNATPerceptionSummaryDocumentReference", _child(line, "cbc:ID")


@python_rule("2348", "DocumentNumberID", sheets=VOIDS)
def voided_twice(root: Node, source: Any) -> Violations:
    """The same document (type, serie, number) on two lines of one communication."""
    seen: set[tuple[str, str, str]] = set()
    for line in _lines(root):
        key = (_child(line, "cbc:DocumentTypeCode"), _child(line, "sac:DocumentSerialID"), _child(line, "sac:DocumentNumberID"))
        if key in seen:
            yield "sac:DocumentNumberID", "".join(key)
        seen.add(key)


# -- dates -------------------------------------------------------------------------------------------
def _date(root: Node, tag: str) -> date | None:
    try:
        return date.fromisoformat((root.findtext(f"{{{ns.CBC}}}{tag}") or "").strip())
    except ValueError:
        return None


def _received(source: Any) -> date | None:
    """The day the summary is received: the mock's clock; ``None`` offline (the rule stays silent)."""
    return source.now.date() if source is not None and getattr(source, "now", None) is not None else None


@python_rule("2346", "IssueDate", sheets=SHEETS)
def issue_date_not_the_ids(root: Node, source: Any) -> Violations:
    """The issue date is the date the file name carries (``RC-YYYYMMDD-n``).  The file name's ID is
    the document's cbc:ID (2220 answers otherwise), so the document's own ID gives that date."""
    match = re.fullmatch(r"R[ACR]-(\d{4})(\d{2})(\d{2})-\d+", (root.findtext(f"{{{ns.CBC}}}ID") or "").strip())
    issued = _date(root, "IssueDate")
    if match and issued is not None and issued.isoformat() != "-".join(match.groups()):
        yield "cbc:IssueDate", issued.isoformat()


@python_rule("2236", "IssueDate", sheets=RC)
@python_rule("2301", "IssueDate", sheets=VOIDS)
def generated_after_reception(root: Node, source: Any) -> Violations:
    """A summary cannot be generated after the day it is received."""
    received, issued = _received(source), _date(root, "IssueDate")
    if received is not None and issued is not None and issued > received:
        yield "cbc:IssueDate", issued.isoformat()


@python_rule("2671", "ReferenceDate", sheets=SHEETS)
def documents_after_summary(root: Node, source: Any) -> Violations:
    """The documents summarised (or voided) were issued on or before the summary's own date."""
    referenced, issued = _date(root, "ReferenceDate"), _date(root, "IssueDate")
    if referenced is not None and issued is not None and referenced > issued:
        yield "cbc:ReferenceDate", referenced.isoformat()


def _late(root: Node, source: Any) -> bool:
    received, referenced = _received(source), _date(root, "ReferenceDate")
    return received is not None and referenced is not None and received - referenced > timedelta(days=7)


@python_rule("4443", "ReferenceDate", sheets=RC)
def summary_sent_late(root: Node, source: Any) -> Violations:
    """The documents are more than 7 days older than the summary's reception (an observation)."""
    if _late(root, source):
        yield "cbc:ReferenceDate", (root.findtext(f"{{{ns.CBC}}}ReferenceDate") or "").strip()


@python_rule("2957", "DocumentTypeCode", sheets=RC)
def voided_too_late_in_summary(root: Node, source: Any) -> Violations:
    """An electronic boleta or note (serie not starting with a digit) is voided (state 3) more than 7
    days after its issue date (the summary's cbc:ReferenceDate)."""
    if not _late(root, source):
        return
    for line in root.xpath(f"{_LINE}[cac:Status/cbc:ConditionCode='3']", namespaces=ns.UBL):
        if not _child(line, "cbc:ID")[:1].isdigit():
            yield "cbc:DocumentTypeCode", _child(line, "cbc:ID")


@python_rule("2957", "DocumentNumberID", sheets=("comunicacion_baja",))
def voided_too_late(root: Node, source: Any) -> Violations:
    """An electronic document is voided more than 7 days after its issue date.  Reading: the issue
    date is the communication's cbc:ReferenceDate ("Fecha de generación del documento dado de baja",
    which 2375 holds equal to the stored document's)."""
    if not _late(root, source):
        return
    for line in _lines(root):
        if not _child(line, "sac:DocumentSerialID")[:1].isdigit():
            yield "sac:DocumentNumberID", _child(line, "sac:DocumentSerialID") + "-" + _child(line, "sac:DocumentNumberID")
