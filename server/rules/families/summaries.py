"""Summaries and voids: the resumen diario (RC, SummaryDocuments), the comunicación de baja (RA) and the
resumen de reversiones (RR, both VoidedDocuments).

Their sheets speak of the summary's *line* (``sac:SummaryDocumentsLine``, ``sac:VoidedDocumentsLine``)
the way the CPE sheets speak of the document: "Si "Tipo de documento" es 03, 07 o 08, …", "Si existe
tag de "Adquiriente o usuario", …".  Such a context condition is data here (:data:`LINE_GUARDS`): it
becomes an XPath predicate on the line (or on the step it names) and the rest of the sentence compiles
as any simple sentence.  The sentences the core does not know (numeric formats, value lists, "se
repite en …", SUNAT's regular expressions) are compiled by :func:`summary_sentence`.  The arithmetic
and cross-line logic of the lines live in :mod:`.summaries_lines`, the dates in :mod:`.summaries_dates`
(Python rules bound per sheet).

Everything here is restricted to the three summary sheets, so the CPE sheets never see it.
Rows marked "No aplica para SEE-OSE" are not compiled: an OSE never applies them.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Iterator

from lxml import etree

from osemock.cpe import ns
from osemock.cpe.numbers import decimal_format, decimal_of
from osemock.server.rules import patterns
from osemock.server.rules.catalogs import catalog, entries, parametros_catalog
from osemock.server.rules.guards import normalise_rest
from osemock.server.rules.patterns import Check, sentence
from osemock.server.rules.workbook import WorkbookRow
from osemock.server.rules.patterns import xp

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


#: The context conditions of the summary sheets, most specific first.  'Tipo de operación' in the RC
#: sheet is the line's "Código de operación del ítem" (cac:Status/cbc:ConditionCode: 1 add, 2 modify,
#: 3 void), the only operation a summary line has.
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
        # a second condition of the line ("… y 'Tipo de operación' es diferente de '3'") is the line's
        # too: the CPE sheets' guards would read it as the document's operation type
        check = _guarded(inner, guarded) or patterns.compile_sentence(inner, guarded)
        if check is None:
            return None
        kind = check.kind if check.kind.startswith("guarded:") else f"guarded:{check.kind}"
        return Check(row, kind, check.run, check.path or guarded)
    return None


# -- simple sentences of the summaries ------------------------------------------------------------------
def _plain(text: str) -> str:
    """Lower case without accents: the sheets write "vacío" and "vacio", "numérico" and "númerico"."""
    return "".join(c for c in unicodedata.normalize("NFD", text.lower()) if unicodedata.category(c) != "Mn")


def amount_sum(node: Node | None, path: str) -> Decimal:
    """The sum of the amounts ``path`` selects under ``node`` (unreadable amounts count as zero: their
    format rows answer for them)."""
    if node is None:
        return Decimal(0)
    return sum((decimal_of(patterns.text(n)) or Decimal(0) for n in xp(node, path)), Decimal(0))


def _decimal_format(integers: int, decimals: int) -> Callable[[str, Node], bool]:
    pattern = decimal_format(integers, decimals)
    return lambda value, node: bool(pattern.fullmatch(value))


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


def _listado(row: WorkbookRow) -> str | None:
    return parametros_catalog(row.listado)


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
            mine, theirs = decimal_of(patterns.text(node)), decimal_of(total or "")
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
            rate, value = decimal_of(rates.get(regime, {}).get("tasa", "")), decimal_of(patterns.text(node))
            if rate is not None and (value is None or value != rate):
                yield patterns.short(path), patterns.text(node)
    return run


#: "No aplica para SEE-OSE", "Validación no aplica para OSE": rows an OSE never applies.
_NOT_FOR_OSE = re.compile(r"no aplica para (?:SEE-)?OSE", re.IGNORECASE)


@sentence
def summary_sentence(row: WorkbookRow, path: str | None) -> Check | None:
    """The sentences of the summary sheets the core does not compile."""
    if row.sheet not in SHEETS or path is None or _NOT_FOR_OSE.search(row.condition):
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
        digits = re.compile(rf"[0-9]{{1,{match[1]}}}")
        return Check(row, "numeric", each(path, lambda value, node: bool(digits.fullmatch(value))))
    match = re.fullmatch(r"el formato del tag ubl es diferente a numerico de (\d+) digitos", plain)
    if match:
        digits = re.compile(rf"[0-9]{{{match[1]}}}")
        return Check(row, "numeric", each(path, lambda value, node: bool(digits.fullmatch(value))))
    match = re.fullmatch(r"el formato del tag ubl es diferente (?:a|de) (?:numerico|decimal) de (\d+) enteros y "
                         r"(?:hasta )?(\d+) decimales(?: o menor a cero)?", plain)
    if match:
        return Check(row, "decimal", each(path, _decimal_format(int(match[1]), int(match[2]))))
    if plain == "el valor del tag ubl es menor a 1":
        return Check(row, "minimum", each(path, lambda value, node: (decimal_of(value) is None) or decimal_of(value) >= 1))
    if plain == "el valor del tag ubl es menor o igual a cero (0)":
        return Check(row, "positive", each(path, lambda value, node: (decimal_of(value) is None) or decimal_of(value) > 0))
    if plain == "el valor del tag ubl es cero (0)":
        return Check(row, "zero", each(path, lambda value, node: decimal_of(value) != 0))
    match = re.fullmatch(r"la longitud del tag ubl es menor de (\d+) caracteres", plain)
    if match:
        least = int(match[1])
        return Check(row, "length", each(path, lambda value, node: len(value) >= least))
    match = re.fullmatch(r"el valor del tag ubl (?:no puede repetirse|se repite) en (?:el )?(/\S+)", plain)
    if match:
        scope = _scope_of(path, match[1])
        if scope is not None and path.startswith(scope + "/"):
            return Check(row, "unique-within", patterns.unique(path, within=scope))  # once per document or line
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
        return Check(row, "same-as-total", _tax_total_mismatch(path))
    if plain.startswith("el valor del tag ubl es diferente a la tasa del listado para el") and _listado(row) == "22":
        return Check(row, "catalog-rate", _perception_rate(path))
    return None


# -- helpers of the line rules -----------------------------------------------------------------------
#: The lines of a resumen diario.
LINE = "/*/sac:SummaryDocumentsLine"


def lines_of(root: Node) -> list[Node]:
    """The lines of any summary or communication."""
    return xp(root, "sac:SummaryDocumentsLine | sac:VoidedDocumentsLine")


def child_text(line: Node, path: str) -> str:
    """The text of the first node ``path`` selects under ``line`` ("" without one)."""
    found = xp(line, path)
    return patterns.text(found[0]) if found else ""


def line_tax(line: Node, code: str) -> Decimal:
    """The line's total of one tax (the cac:TaxTotal whose subtotal carries ``code``)."""
    return amount_sum(line, f"cac:TaxTotal[cac:TaxSubtotal/cac:TaxCategory/cac:TaxScheme/cbc:ID='{code}']/cbc:TaxAmount")
