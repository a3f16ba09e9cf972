"""Document taxes and totals: the rows of /…/cac:TaxTotal (the global one), cac:LegalMonetaryTotal and
cac:RequestedMonetaryTotal.

The arithmetic (bases, taxes and totals as sums of the lines, with the global charges, discounts
and advances) lives in :mod:`osemock.server.rules.arithmetic`; this module holds

* the context guards these rows add: the type of the document a note modifies ("Si el 'Tipo de
  documento que modifica' es '01', …"), the type of the note ("Si 'Código de tipo de nota de
  crédito' es '13' …") and the export operation types ("Si 'Tipo de operación' es de exportación
  '0200' o …");
* the sentences of these rows the core does not know (one TaxTotal, a forbidden tax code, zero
  amounts, the rounding's absolute value, the legends that need an exonerated total…);
* the *scopes* of the arithmetic rows: a row worded "Si el 'Tipo de documento que modifica' es '01'"
  (or "diferente de '01'", "es una factura sujeta al IVAP", "'Tipo de operación' es diferente a
  '0113'") runs its Python rule only on the documents it speaks of, so that the error row and its
  observation twin never both fire;
* the cross-field rows about which global subtotals must exist.
"""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any, Callable, Iterator

from lxml import etree

from osemock.cpe import ns
from osemock.cpe.dates import day_of
from osemock.cpe.numbers import decimal_of
from osemock.server.rules import arithmetic
from osemock.server.rules.backend import python_rule, python_rule_for
from osemock.server.rules.guards import OPERATION_TYPE, Guard, add_guard, insert_predicate
from osemock.server.rules.patterns import Check, compile_sentence, each, required, root_of, same_currency, sentence, short, xpath
from osemock.server.rules.workbook import WorkbookRow
from osemock.server.rules.patterns import xp

Node = etree._Element
_FAMILY = re.compile(r"^/?(Invoice|CreditNote|DebitNote)/cac:(TaxTotal|LegalMonetaryTotal|RequestedMonetaryTotal)\b")
_CODES = r"(?P<codes>'[^']*'(?:\s*\([^)]*\))?(?:(?:,|,? o| y|,? y/o)\s*'[^']*'(?:\s*\([^)]*\))?)*)"
_NEGATION = r"(?P<negated>diferente (?:a|de)\s*|distinto (?:a|de)\s*)?"
_MODIFIED_TYPE = "cac:BillingReference/cac:InvoiceDocumentReference/cbc:DocumentTypeCode"


def _in_family(row: WorkbookRow) -> bool:
    return bool(_FAMILY.match(row.tag.strip()))


# -- guards -----------------------------------------------------------------------------------------
add_guard(Guard(rf"(?:Si )?(?:el )?'Tipo de documento que modifica' es (?:igual a )?{_NEGATION}{_CODES}", "/*",
                f"{_MODIFIED_TYPE}='{{code}}'"))
add_guard(Guard(rf"(?:Si )?(?:el )?'Código de tipo de nota de (?:crédito|débito)' es (?:igual a )?{_NEGATION}{_CODES}",
                "/*", "cac:DiscrepancyResponse/cbc:ResponseCode='{code}'"))
add_guard(Guard(rf"Si (?:el )?'Tipo de operación' es de exportación {_CODES}", "/*", OPERATION_TYPE))


# -- wordings that need a small repair before they compile ---------------------------------------------
_REPAIRS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"'(\d+)(,? y )"), r"'\1'\2"),                                     # "'01, y" → "'01', y"
    (re.compile(r"^si "), "Si "),
    (re.compile(r"^Si existe el tag UBL(,| y) ", re.IGNORECASE), r"Si el Tag UBL existe\1 "),  # the core guard reads "…tag" + "UBL, …"
    (re.compile(r"\"(Código de tipo de nota de (?:crédito|débito))\" es (\d+)"), r"'\1' es '\2'"),
]


def _repaired(condition: str) -> str:
    for pattern, replacement in _REPAIRS:
        condition = pattern.sub(replacement, condition)
    return condition


@sentence
def repaired_wording(row: WorkbookRow, path: str | None) -> Check | None:
    """A row of this family whose wording has a typo (an unclosed quote, a lower-case "si", a note type
    in double quotes) compiles as its repaired wording would."""
    if path is None or not _in_family(row):
        return None
    fixed = _repaired(row.condition)
    if fixed == row.condition:
        return None
    inner = WorkbookRow(row.sheet, row.row, row.field, row.tag, fixed, row.severity, row.code, row.listado)
    check = compile_sentence(inner, path) or _scoped_python(inner)
    return Check(row, check.kind, check.run, check.path) if check else None


# -- sentences ----------------------------------------------------------------------------------------
def _single(path: str) -> Callable[[Node, Any], Iterator[tuple[str, str]]]:
    assert xpath(path) is not None

    def run(root: Node, source: Any = None) -> Iterator[tuple[str, str]]:
        for extra in xp(root, path)[1:]:
            yield short(path), (extra.findtext(f"{{{ns.CBC}}}TaxAmount") or "").strip()
    return run


def _subtotal_of(node: Node | str) -> Node | None:
    element = node.getparent() if isinstance(node, str) else node
    while element is not None and element.tag != f"{{{ns.CAC}}}TaxSubtotal":
        element = element.getparent()
    return element


def _base_above_zero(node: Node | str) -> bool:
    subtotal = _subtotal_of(node)
    base = subtotal.findtext(f"{{{ns.CBC}}}TaxableAmount") if subtotal is not None else None
    amount = decimal_of(base or "")
    return amount is not None and amount > 0


def _issue_date(node: Node | str) -> date | None:
    return day_of(root_of(node).findtext(f"{{{ns.CBC}}}IssueDate"))


_FORBIDDEN_CODE = re.compile(r"[Ee]xiste un (?:ID|Id|'Código de tributo' \(cbc:ID\) con valor) (?P<codes>'\d+'(?: o '\d+')*)"
                             r"(?: a nivel global)?(?P<positive> con (?:'Total valor de venta' \(cbc:TaxableAmount\)|"
                             r"'Monto base') mayor a cero)?")
_ZERO_FOR_TAXES = re.compile(r"(?:Si el Tag UBL existe, )?el valor del Tag Ubl es diferente de 0 \(cero\), cuando el "
                             rf"'Código de tributo' es {_CODES}", re.IGNORECASE)
_LEGEND = re.compile(r"Si existe 'Código de leyenda' igual a '(?P<legend>\d+)', no existe el ‘[^’]*’ \(cbc:TaxableAmount "
                     r"con 'Código de tributo' igual a '(?P<tax>\d+)'\) o existe con valor igual a 0 \(cero\)")
_BEFORE_DATE = re.compile(r"La 'Fecha de emisión' es menor a '(\d{4}-\d{2}-\d{2})', el valor del Tag Ubl es mayor a cero",
                          re.IGNORECASE)


def _legend_requires_total(legend: str, tax: str) -> Callable[[Node, Any], Iterator[tuple[str, str]]]:
    """A legend (cbc:Note/@languageLocaleID) that speaks of exonerated sales needs that total above zero."""
    has_legend = xpath(f"/*/cbc:Note[@languageLocaleID='{legend}']")
    bases = xpath(f"/*/cac:TaxTotal/cac:TaxSubtotal[cac:TaxCategory/cac:TaxScheme/cbc:ID='{tax}']/cbc:TaxableAmount")
    assert has_legend is not None and bases is not None

    def run(root: Node, source: Any = None) -> Iterator[tuple[str, str]]:
        if has_legend(root) and not any((decimal_of(b.text or "") or 0) > 0 for b in bases(root)):
            yield "cac:TaxSubtotal/cbc:TaxableAmount", legend
    return run


@sentence
def document_tax_sentence(row: WorkbookRow, path: str | None) -> Check | None:
    """The sentences of this family's rows, each by its wording."""
    if path is None or not _in_family(row):
        return None
    cond = row.condition.strip().rstrip(". ")
    if cond == "Si existe el atributo, el valor es diferente al ingresado en 'Tipo de moneda'" and "/@" not in path:
        # the row names the amount, not its attribute: the currency of the amount is meant
        attribute = f"{path}/@currencyID"
        return Check(row, "same-currency", same_currency(attribute), attribute)
    match = re.fullmatch(r"No existe el tag (/\w+(?:/cac:\w+)+)", cond)
    if match:
        tag_path = re.sub(r"^/\w+", "/*", match[1])
        return Check(row, "required", required(tag_path, allow_empty=True), tag_path)
    match = re.fullmatch(r"Existe a nivel global más de un tag (cac:\w+)", cond)
    if match:
        tag_path = f"/*/{match[1]}"
        return Check(row, "single", _single(tag_path), tag_path)
    if cond == "Si el Tag UBL no existe":
        return Check(row, "required", required(path, allow_empty=True))
    match = _ZERO_FOR_TAXES.fullmatch(cond)
    if match and "cac:TaxSubtotal" in path:
        codes = re.findall(r"'(\d+)'", match["codes"])
        predicate = " or ".join(f"cac:TaxCategory/cac:TaxScheme/cbc:ID='{code}'" for code in codes)
        guarded = insert_predicate(path, "cac:TaxSubtotal", predicate)
        return Check(row, "zero", each(guarded, lambda value, node: decimal_of(value) in (None, 0)), guarded)
    if re.fullmatch(r"(?:El )?[Vv]alor del Tag UBL es diferente de cero", cond):
        return Check(row, "zero", each(path, lambda value, node: decimal_of(value) in (None, 0)))
    match = _FORBIDDEN_CODE.fullmatch(cond)
    if match and path.endswith("cac:TaxScheme/cbc:ID"):
        codes, positive = set(re.findall(r"'(\d+)'", match["codes"])), bool(match["positive"])
        return Check(row, "forbidden-value", each(path, lambda value, node: value not in codes or (
            positive and not _base_above_zero(node))))
    match = re.fullmatch(r"El valor absoluto es mayor a (\d+)", cond, re.IGNORECASE)
    if match:
        limit = Decimal(match[1])
        return Check(row, "absolute", each(path, lambda value, node: decimal_of(value) is None or abs(decimal_of(value)) <= limit))
    match = _LEGEND.fullmatch(cond)
    if match:
        return Check(row, "legend-total", _legend_requires_total(match["legend"], match["tax"]))
    match = _BEFORE_DATE.fullmatch(cond)
    if match:
        start = date.fromisoformat(match[1])
        return Check(row, "before-date", each(path, lambda value, node: not (
            (decimal_of(value) or 0) > 0 and (_issue_date(node) or start) < start)))
    return _scoped_python(row)


# -- scopes of the arithmetic rows --------------------------------------------------------------------
def modifies_factura(root: Node) -> bool:
    """A note whose modified document ('Tipo de documento que modifica') is a factura (01)."""
    return any(t.strip() == "01" for t in xp(root, f"{_MODIFIED_TYPE}/text()"))


def _operation(root: Node) -> str:
    return (root.findtext(f"{{{ns.CBC}}}ProfileID") or "").strip()


def _igv_above_zero(root: Node) -> bool:
    return (arithmetic._global(root, "1000", "cbc:TaxAmount") or 0) > 0


#: Wordings that restrict a row to some documents → the documents it speaks of.
SCOPES: list[tuple[re.Pattern[str], Callable[[Node], bool]]] = [
    (re.compile(r"'Tipo de documento que modifica' es (?:igual a )?'01'"), modifies_factura),
    (re.compile(r"'Tipo de documento que modifica' es diferente (?:a|de) '01"), lambda root: not modifies_factura(root)),
    (re.compile(r"\bno es una (?:factura|boleta) sujeta al IVAP"), lambda root: not arithmetic.subject_to_ivap(root)),
    (re.compile(r"(?<!no )\bes una (?:factura|boleta) sujeta al IVAP"), arithmetic.subject_to_ivap),
    (re.compile(r"'Tipo de operación' es diferente a '0113'"), lambda root: _operation(root) != "0113"),
    (re.compile(r"'Tipo de operación' es igual a '0113' y valor del tag UBL es mayor a cero"),
     lambda root: _operation(root) == "0113" and _igv_above_zero(root)),
]


def _scoped_python(row: WorkbookRow) -> Check | None:
    """A row bound to a Python rule whose wording restricts it to some documents: the rule, run only on
    those."""
    if not _in_family(row):
        return None
    applies = [predicate for pattern, predicate in SCOPES if pattern.search(row.condition)]
    if not applies:
        return None
    check = python_rule_for(row)
    if check is None:
        return None

    def run(root: Node, source: Any = None):
        if all(predicate(root) for predicate in applies):
            yield from check.run(root, source)
    return Check(row, "scoped:python", run)


# -- which global subtotals must exist ----------------------------------------------------------------
_DECLARED = ("1000", "1016", "9995", "9996", "9997", "9998")


def _positive(node: Node, path: str) -> bool:
    return (arithmetic._amount(node, path) or 0) > 0


@python_rule("2638")
def line_tax_without_its_total(root: Node, source: Any) -> Iterator[tuple[str, str, str | None]]:
    """A line with a base above zero for IGV, IVAP, export, free, exonerated or unaffected sales needs
    the global subtotal of that tax."""
    declared = {arithmetic._code(s) for s in arithmetic._subtotals(root)}
    missing: list[str] = []
    for line in arithmetic._lines(root):
        for subtotal in arithmetic._subtotals(line):
            code = arithmetic._code(subtotal)
            if code in _DECLARED and code not in declared and code not in missing and _positive(subtotal, "cbc:TaxableAmount"):
                missing.append(code)
    for code in missing:
        yield "cac:TaxTotal/cbc:TaxAmount", code, None


def _free_total(root: Node) -> Decimal | None:
    return arithmetic._global(root, "9996", "cbc:TaxableAmount")


@python_rule("2641")
def free_reference_price_needs_free_total(root: Node, source: Any) -> Iterator[tuple[str, str, str | None]]:
    """A free total (9996) of zero while a line states a referential value of a free item (price type
    02) above zero."""
    total = _free_total(root)
    prices = xp(root, "*/cac:PricingReference/cac:AlternativeConditionPrice[normalize-space(cbc:PriceTypeCode)='02']"
                        "/cbc:PriceAmount/text()")
    if total == 0 and any((decimal_of(p) or 0) > 0 for p in prices):
        yield "cac:TaxSubtotal/cbc:TaxableAmount", str(total), None


@python_rule("2416")
def free_legend_needs_free_total(root: Node, source: Any) -> Iterator[tuple[str, str, str | None]]:
    """A free total (9996) of zero on a document with the legend 1002 (transferencia gratuita)."""
    total = _free_total(root)
    if total == 0 and xp(root, "cbc:Note[@languageLocaleID='1002']"):
        yield "cac:TaxSubtotal/cbc:TaxableAmount", str(total), None


@python_rule("2650")
def isc_with_ivap_lines(root: Node, source: Any) -> Iterator[tuple[str, str, str | None]]:
    """ISC (2000) with a base above zero on a document with a line of affectation 17 (IVAP) whose base
    is above zero: rice under IVAP bears no ISC."""
    isc = [s for s in arithmetic._global_subtotals(root, "2000") if _positive(s, "cbc:TaxableAmount")]
    ivap_lines = [s for line in arithmetic._lines(root) for s in arithmetic._subtotals(line)
                  if arithmetic._affectation(s) == "17" and _positive(s, "cbc:TaxableAmount")]
    if isc and ivap_lines:
        yield "cac:TaxScheme/cbc:ID", "2000", None
