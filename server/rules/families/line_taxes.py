"""Line taxes: the cac:TaxTotal of every invoice, credit-note and debit-note line.

One TaxTotal per line; one TaxSubtotal per tax code (1000 IGV, 1016 IVAP, 2000 ISC, 7152 ICBPER, 9995
export, 9996 free, 9997 exonerated, 9998 unaffected, 9999 others); the affectation (catalog 07) that
goes with the code; which codes may share a line (3223); the ISC system (catalog 08); the ICBPER bag
count and per-bag amount; zero and non-zero amounts and rates by code and affectation.

Most rows are a context guard ("'Código de tributo por línea' es '2000'", "'Monto base' mayor a cero",
"'Afectación al IGV o IVAP' es '11'…'17'", "'Código de tipo de nota de crédito' es '11'") before a
short sentence ("el valor del tag UBL es igual a 0", "existe el tag UBL"): the guards are data
(:mod:`guards`), the sentences are compiled below and only for tags under a line's TaxTotal, so other
families keep their own readings.  Arithmetic and cross-line conditions are Python rules at the end.
"""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any, Callable, Iterator

from lxml import etree

from osemock.cpe import ns
from osemock.cpe.dates import day_of
from osemock.cpe.numbers import cents, decimal_of
from osemock.server.rules.backend import python_rule
from osemock.server.rules.catalogs import catalog, entries
from osemock.server.rules.guards import OPERATION_TYPE, Guard, add_guard, insert_predicate, normalise_rest
from osemock.server.rules.patterns import Check, compile_sentence, each, required, sentence, short, text, xpath
from osemock.server.rules.workbook import WorkbookRow
from osemock.server.rules import arithmetic
from osemock.server.rules.patterns import xp

Node = etree._Element
Violations = Iterator[tuple[str, str, str | None]]

_LINES = ("cac:InvoiceLine", "cac:CreditNoteLine", "cac:DebitNoteLine")
_MINE = re.compile(r"(?:Invoice|CreditNote|DebitNote)Line/cac:TaxTotal\b")
_TAX_CODE = "cac:TaxCategory/cac:TaxScheme/cbc:ID"

# -- guards -----------------------------------------------------------------------------------------
_CODES = r"(?P<codes>'[^']*'(?:\s*\([^)]*\))?(?:(?:,|,? o| y|,? y/o)\s*'[^']*'(?:\s*\([^)]*\))?)*)"
_NEGATION = r"(?P<negated>diferente (?:a|de)\s*|distinto (?:a|de)\s*)?"
#: "cuyo 'Monto base' es", "y 'Monto base'", or nothing: the common tax-code guard reads "'1000' o
#: '1016' y 'Monto base'" as a list of codes (a harmless extra code) and leaves "mayor a …" behind.
_BASE = r"(?:Si |y )?(?:(?:cuyo |la |el )?'Monto base' (?:es )?)?mayor a "
_SUBTOTAL = "cac:TaxSubtotal"
_AFFECTATION = "cac:TaxCategory/cbc:TaxExemptionReasonCode='{code}'"
_FREE_TAXED = " or ".join(_AFFECTATION.format(code=c) for c in ("11", "12", "13", "14", "15", "16", "17"))

for _guard in (
    Guard(_BASE + r"'seis centésimas' \(cbc:TaxableAmount > 0\.06\)", _SUBTOTAL, "number(cbc:TaxableAmount) > 0.06"),
    Guard(_BASE + r"cero \(cbc:TaxableAmount > 0\)", _SUBTOTAL, "number(cbc:TaxableAmount) > 0"),
    # the workbook drops the closing quote of '17' in some rows: this wording is read as a whole
    Guard(r"(?:Si |y )?(?:la )?'Afectación al IGV o IVAP' es '11', '12', '13', '14', '15', '16' o '17'?", _SUBTOTAL,
          _FREE_TAXED),
    Guard(rf"(?:Si |y )?(?:la )?'Afectación al IGV o IVAP' es (?:igual a )?{_NEGATION}{_CODES}", _SUBTOTAL, _AFFECTATION),
    Guard(r"(?:Si |y )?(?:'Cantidad de bolsas (?:de plástico|plásticas)' )?es mayor a cero \(cbc:BaseUnitMeasure > 0\)",
          _SUBTOTAL, "number(cbc:BaseUnitMeasure) > 0"),
    Guard(rf"(?:Si |y )?(?:el )?'Tipo de operación' es (?:exportación |igual a )?{_NEGATION}{_CODES}", "/*",
          OPERATION_TYPE),
    Guard(rf"Si (?:el )?'Código de tipo de nota de (?:crédito|débito)' es (?:igual a )?{_NEGATION}{_CODES}", "/*",
          "cac:DiscrepancyResponse/cbc:ResponseCode='{code}'"),
):
    add_guard(_guard)


# -- sentences --------------------------------------------------------------------------------------
def _is_zero(value: str) -> bool:
    number = decimal_of(value)
    return number is not None and number == 0


def _inner(row: WorkbookRow, condition: str) -> WorkbookRow:
    return WorkbookRow(row.sheet, row.row, row.field, row.tag, condition, row.severity, row.code, row.listado)


def _forbidden(path: str) -> Callable[[Node, Any], Iterator[tuple[str, str]]]:
    """Every node ``path`` selects is a violation (the tag must not exist there)."""
    compiled = xpath(path)
    assert compiled is not None

    def run(root: Node, source: Any = None) -> Iterator[tuple[str, str]]:
        for node in compiled(root):
            yield short(path), text(node)
    return run


def _line_of(node: Node | str) -> Node | None:
    element = node.getparent() if isinstance(node, str) else node
    while element is not None and etree.QName(element).localname not in ("InvoiceLine", "CreditNoteLine", "DebitNoteLine"):
        element = element.getparent()
    return element


def _line_quantity(line: Node) -> Decimal | None:
    found = xp(line, "cbc:InvoicedQuantity | cbc:CreditedQuantity | cbc:DebitedQuantity")
    return decimal_of(text(found[0])) if found else None


def _affectations_by_tax() -> dict[str, set[str]]:
    """Catalog 07's own marks: which affectation codes go with which tax code (igv → 1000, iva → 1016,
    exp → 9995, gra → 9996, exo → 9997, ina → 9998)."""
    mark_of = {"1000": "igv", "1016": "iva", "9995": "exp", "9996": "gra", "9997": "exo", "9998": "ina"}
    return {tax: {code for code, marks in entries("07").items() if marks.get(mark) == "1"} for tax, mark in mark_of.items()}


def _affectation_for_tax(path: str) -> Callable[[Node, Any], Iterator[tuple[str, str]]]:
    """The affectation must be one catalog 07 marks for the subtotal's tax code; for a code the
    catalog does not mark (7152), any code of the catalog is accepted (the narrow reading)."""
    allowed = _affectations_by_tax()
    every = set(catalog("07"))

    def judge(value: str, node: Node) -> bool:
        element = node.getparent() if isinstance(node, str) else node
        tax = text((xp(element, f"../../{_TAX_CODE}") or [""])[0])
        return value in allowed.get(tax, every)
    return each(path, judge)


def _per_line(path: str, judge: Callable[[Node], str | None]) -> Callable[[Node, Any], Iterator[tuple[str, str]]]:
    """Judge each line (the holder of the row's TaxTotal): ``judge`` returns the offending value or None."""
    lines = xpath(path.split("/cac:TaxTotal")[0])
    assert lines is not None

    def run(root: Node, source: Any = None) -> Iterator[tuple[str, str]]:
        for line in lines(root):
            offending = judge(line)
            if offending is not None:
                yield short(path), f"{offending} (linea {(line.findtext(f'{{{ns.CBC}}}ID') or '').strip()})"
    return run


def _codes_above_zero(line: Node) -> list[str]:
    """The tax codes of the line's subtotals whose base is above zero."""
    return [_code(subtotal) for subtotal in _subtotals(line)
            if (arithmetic._amount(subtotal, "cbc:TaxableAmount") or 0) > 0]


def _main_tax_missing(codes: set[str], above_zero: bool) -> Callable[[Node], str | None]:
    """3105: the line has no subtotal of a main code (IGV, IVAP, export, free, exonerated, unaffected)."""
    def judge(line: Node) -> str | None:
        present = _codes_above_zero(line) if above_zero else [
            text(n) for n in xp(line, f"cac:TaxTotal/cac:TaxSubtotal/{_TAX_CODE}")]
        return None if codes & set(present) else " ".join(present) or "-"
    return judge


def _combination_refused(combinations: list[set[str]]) -> Callable[[Node], str | None]:
    """3223: the codes with a base above zero must fit in one allowed combination.  Only the codes the
    combinations name are judged (ICBPER, 7152, carries no base); a code alone (an ISC line without
    IGV) fits, as the missing main code is 3105's to report."""
    named = set().union(*combinations)

    def judge(line: Node) -> str | None:
        present = [code for code in _codes_above_zero(line) if code in named]
        if not present or any(set(present) <= allowed for allowed in combinations):
            return None
        return " ".join(present)
    return judge


def _connector(row: WorkbookRow, path: str, match: re.Match[str]) -> Check | None:
    """", el valor…" / "y no existe…": what a guard leaves when the workbook puts a comma or an "y"
    between two conditions; the rest is compiled as it stands."""
    check = compile_sentence(_inner(row, normalise_rest(match[1])), path)
    return Check(row, check.kind, check.run, check.path) if check else None


def _unquoted_guard(row: WorkbookRow, path: str, match: re.Match[str]) -> Check | None:
    """"Si 'Código de tributo por línea' es diferente '2000' (ISC), …", "… es 1016 (IVAP), 'Código de tipo
    de nota de débito' es 12 (IVAP), …": guards whose codes lack the quotes the common guard wants."""
    code = f"{_TAX_CODE}='{match['code']}'"
    guarded = insert_predicate(path, _SUBTOTAL, f"not({code})" if match["neg"] else code)
    if guarded and match["note"]:
        guarded = insert_predicate(guarded, "/*", f"cac:DiscrepancyResponse/cbc:ResponseCode='{match['note']}'")
    check = compile_sentence(_inner(row, normalise_rest(match["rest"])), guarded) if guarded else None
    return Check(row, f"guarded:{check.kind.rpartition(':')[2]}", check.run, check.path or guarded) if check else None


def _zero(row: WorkbookRow, path: str, match: re.Match[str]) -> Check:
    """"…es igual a 0": a zero amount or rate is refused; "…es diferente de 0": only zero is accepted."""
    if match["op"].lower() == "igual a":
        return Check(row, "nonzero", each(path, lambda value, node: not _is_zero(value)), path)
    return Check(row, "zero", each(path, lambda value, node: decimal_of(value) is None or _is_zero(value)), path)


def _present(row: WorkbookRow, path: str, match: re.Match[str]) -> Check:
    """"Existe el tag UBL" (after its guard): the tag must not be there."""
    return Check(row, "forbidden", _forbidden(path), path)


def _fixed(row: WorkbookRow, path: str, match: re.Match[str]) -> Check:
    expected = match[1]
    return Check(row, "fixed-value", each(path, lambda value, node: value == expected), path)


def _integer(row: WorkbookRow, path: str, match: re.Match[str]) -> Check:
    pattern = re.compile(rf"[0-9]{{1,{match[1]}}}")
    return Check(row, "integer", each(path, lambda value, node: pattern.fullmatch(value) is not None), path)


def _tax_total_required(row: WorkbookRow, path: str, match: re.Match[str]) -> Check:
    holder = path.split("/cac:TaxTotal")[0] + "/cac:TaxTotal"
    return Check(row, "required", required(holder, allow_empty=True), holder)


def _tax_total_repeated(row: WorkbookRow, path: str, match: re.Match[str]) -> Check:
    def judge(line: Node) -> str | None:
        count = len(xp(line, "cac:TaxTotal"))
        return str(count) if count > 1 else None
    return Check(row, "repeated", _per_line(path, judge), path)


def _affectation(row: WorkbookRow, path: str, match: re.Match[str]) -> Check | None:
    return Check(row, "catalog-by-tax", _affectation_for_tax(path), path) if "Catálogo (007)" in row.listado else None


def _main_tax(row: WorkbookRow, path: str, match: re.Match[str]) -> Check:
    codes = set(re.findall(r"'(\d{4})'", match["codes"]))
    return Check(row, "main-tax", _per_line(path, _main_tax_missing(codes, bool(match["base"]))), path)


def _combinations(row: WorkbookRow, path: str, match: re.Match[str]) -> Check:
    combinations = [found for found in (set(re.findall(r"\d{4}", part)) for part in match["list"].split(" - ")) if found]
    return Check(row, "combination", _per_line(path, _combination_refused(combinations)), path)


def _bags_quantity(row: WorkbookRow, path: str, match: re.Match[str]) -> Check:
    """3236: more than zero bags must be the line's quantity (the line is the bags)."""
    def same_as_quantity(value: str, node: Node) -> bool:
        bags, line = decimal_of(value), _line_of(node)
        quantity = _line_quantity(line) if line is not None else None
        return bags is None or bags <= 0 or quantity is None or bags == quantity
    return Check(row, "bags-quantity", each(path, same_as_quantity), path)


def _igv_base_row(row: WorkbookRow, path: str, match: re.Match[str]) -> Check | None:
    if bool(match["absent"]) == bool(match["isc"]):
        return None
    wants_factura = None if not match["modifies"] else not match["other"]
    tolerance = TOLERANCE if match["tolerance"] else Decimal(0)
    return Check(row, "igv-base", _igv_base(path, wants_factura, bool(match["isc"]), tolerance), path)


def _not_with_note(row: WorkbookRow, path: str, match: re.Match[str]) -> Check | None:
    """3230: a value reserved to one type of note (17, IVAP, to type 12)."""
    value, note = match[1], match[2]
    guarded = insert_predicate(path, "/*", f"not(cac:DiscrepancyResponse/cbc:ResponseCode='{note}')")
    if guarded is None:
        return None
    return Check(row, "guarded:not-value", each(guarded, lambda found, node: found != value), guarded)


_I = re.IGNORECASE
#: The line-tax sentences: wording → compiler.  Tried in order on the condition (a guard cut off).
_SHORT: list[tuple[re.Pattern[str], Callable[[WorkbookRow, str, re.Match[str]], Check | None]]] = [
    (re.compile(r"(?:,\s*|[Yy]\s+)(.+)"), _connector),
    (re.compile(r"Si 'Código de tributo por línea' es (?P<neg>diferente )?'?(?P<code>\d{4})'? \([^)]*\),? (?:'Código de "
                r"tipo de nota de (?:crédito|débito)' es '?(?P<note>\d+)'?(?: \([^)]*\))?, )?(?P<rest>.+)"), _unquoted_guard),
    (re.compile(r"el valor del tag UBL es (?P<op>igual a|diferente de) (?:0|cero)(?: \(cero\))?", _I), _zero),
    (re.compile(r"existe el tag UBL", _I), _present),
    (re.compile(r"(?:Si el atributo existe, )?el valor (?:del (?:Tag UBL|atributo) )?es diferente (?:a|de) '([^']+)'", _I),
     _fixed),
    (re.compile(r"El formato del Tag UBL es diferente de entero mayor o igual a cero, y de hasta (\d+) dígitos"), _integer),
    (re.compile(r"No existe el tag cac:\w+Line/cac:TaxTotal"), _tax_total_required),
    (re.compile(r"Existe en el mismo ítem más de un tag cac:TaxTotal"), _tax_total_repeated),
    (re.compile(r"El valor del Tag UBL es diferente al listado según su código de tributo"), _affectation),
    (re.compile(r"No existe en el ítem un cac:TaxSubtotal con (?P<base>monto base mayor a cero \(cbc:TaxableAmount > 0\) "
                r"y )?cbc:ID con alguno de los siguientes valores: (?P<codes>.+)", _I), _main_tax),
    (re.compile(r"En una línea sólo pueden existir las siguientes combinaciones de códigos de tributos con 'Monto base' "
                r"mayor a cero \(cbc:TaxableAmount > 0\):(?P<list>.+)"), _combinations),
    (re.compile(r"Si el Tag UBL existe y el valor del Tag UBL es mayor a cero, el valor del tag es diferente de "
                r"'Cantidad de unidades por ítem'"), _bags_quantity),
    (re.compile(r"Si (?P<modifies>el 'Tipo de documento que modifica' es (?P<other>diferente de )?'01',? y )?(?P<absent>no )?"
                r"existe en la (?:línea )?misma línea un cac:TaxSubtotal con 'Código de tributo por línea' igual a '2000' "
                r"cuyo 'Monto base' es mayor a cero \(cbc:TaxableAmount > 0\), el valor del tag es diferente (?:de la suma )?"
                r"del 'Valor de venta (?:por|del) ítem(?: que modifica)?'(?P<isc> más el 'Monto del tributo de la línea del "
                r"ISC')?(?P<tolerance>, con una tolerancia \+ - 1)?", _I), _igv_base_row),
    (re.compile(r"Si valor Tag UBL es '(\w+)' y 'Código de tipo de nota de (?:crédito|débito)' es diferente de '(\w+)'"),
     _not_with_note),
]


@sentence
def line_tax_sentence(row: WorkbookRow, path: str | None) -> Check | None:
    """The sentences of the line-tax rows (after their guards are cut off), for tags under a line's
    TaxTotal only: the same wording elsewhere is another family's to read."""
    if path is None or not _MINE.search(path):
        return None
    cond = row.condition.strip().rstrip(". ")
    for wording, compiler in _SHORT:
        match = wording.fullmatch(cond)
        if match:
            return compiler(row, path, match)
    return None


# -- arithmetic and cross-line rules -----------------------------------------------------------------
_NOTES = ("nota_credito", "nota_debito")
_ICBPER_RATES = ((date(2023, 1, 1), Decimal("0.50")), (date(2022, 1, 1), Decimal("0.40")),
                 (date(2021, 1, 1), Decimal("0.30")), (date(2020, 1, 1), Decimal("0.20")),
                 (date(2019, 8, 1), Decimal("0.10")))
"""ICBPER per bag by issue date (Ley 30884, D.S. 180-2019-EF: S/ 0.10 from August 2019, rising S/ 0.10 a
year to S/ 0.50 from 2023)."""
TOLERANCE = Decimal("1")


_amount = arithmetic._amount


# The lines, their subtotals and tax codes as the arithmetic reads them (once per document).
_lines, _code, _subtotals = arithmetic._lines, arithmetic._code, arithmetic._subtotals


def _note(line: Node) -> str:
    return f"Error en la linea: {(line.findtext(f'{{{ns.CBC}}}ID') or '').strip()}"


def _modifies_factura(root: Node) -> bool | None:
    """Whether a note's 'Tipo de documento que modifica' is '01' (None: not a note, or no reference)."""
    if etree.QName(root).localname == "Invoice":
        return None
    types = xp(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:DocumentTypeCode/text()")
    return None if not types else any(t.strip() == "01" for t in types)


def _isc_above_zero(line: Node) -> Decimal | None:
    """The line's ISC amount when it has an ISC subtotal with a base above zero."""
    for subtotal in _subtotals(line):
        if _code(subtotal) == "2000" and (_amount(subtotal, "cbc:TaxableAmount") or 0) > 0:
            return _amount(subtotal, "cbc:TaxAmount") or Decimal(0)
    return None


def _igv_base(path: str, wants_factura: bool | None, with_isc: bool, tolerance: Decimal):
    """3272/4294: the IGV/IVAP base of a line = its value, plus its ISC when the line has ISC with a base
    above zero.  Judged on IGV and IVAP subtotals with a base above zero (the narrow reading: a zero-base
    subtotal some emitters add beside an exonerated one is no IGV base); a note only when the type of the
    document it modifies is the one the row names (a factura, '01', or another)."""
    def run(root: Node, source: Any = None) -> Iterator[tuple[str, str, str | None]]:
        if wants_factura is not None and _modifies_factura(root) is not wants_factura:
            return
        for line in _lines(root):
            isc = _isc_above_zero(line)
            value = _amount(line, "cbc:LineExtensionAmount")
            if (isc is not None) != with_isc or value is None:
                continue
            expected = value + (isc or 0)
            for subtotal in _subtotals(line):
                base = _amount(subtotal, "cbc:TaxableAmount")
                if _code(subtotal) in ("1000", "1016") and base is not None and base > 0 and abs(base - expected) > tolerance:
                    yield short(path), str(base), _note(line)
    return run


@python_rule("4293", "NoteLine/cac:TaxTotal/cbc:TaxAmount", sheets=_NOTES)
def note_line_tax_total_is_sum(root: Node, source: Any) -> Violations:
    """A note on a document other than a factura: the line's TaxTotal = the sum of its IGV, IVAP, ISC,
    ICBPER and other-tax amounts (± 1), an observation."""
    if _modifies_factura(root) is not False:
        return
    for line in _lines(root):
        total = _amount(line, "cac:TaxTotal/cbc:TaxAmount")
        expected = sum((_amount(s, "cbc:TaxAmount") or Decimal(0) for s in _subtotals(line)
                        if _code(s) in ("1000", "1016", "2000", "7152", "9999")), Decimal(0))
        if total is not None and abs(total - expected) > TOLERANCE:
            yield "cac:TaxTotal/cbc:TaxAmount", str(total), _note(line)


@python_rule("2644", "InvoiceLine/cac:TaxTotal", sheets=("factura", "boleta"))
def ivap_lines_alone(root: Node, source: Any) -> Violations:
    """An IVAP line (affectation 17, base above zero) cannot share the document with a line of another
    affectation with a base above zero: rice under IVAP is invoiced on its own."""
    affectations = []
    for line in _lines(root):
        for subtotal in _subtotals(line):
            base = _amount(subtotal, "cbc:TaxableAmount")
            code = text((xp(subtotal, "cac:TaxCategory/cbc:TaxExemptionReasonCode") or [""])[0])
            if code and base is not None and base > 0:
                affectations.append((line, code))
    if any(code == "17" for _, code in affectations):
        for line, code in affectations:
            if code != "17":
                yield "cac:TaxCategory/cbc:TaxExemptionReasonCode", code, _note(line)


def _bag_subtotals(root: Node) -> Iterator[tuple[Node, Node, Decimal]]:
    """(line, ICBPER subtotal, bags) for every ICBPER subtotal with more than zero bags."""
    for line in _lines(root):
        for subtotal in _subtotals(line):
            bags = _amount(subtotal, "cbc:BaseUnitMeasure")
            if _code(subtotal) == "7152" and bags is not None and bags > 0:
                yield line, subtotal, bags


@python_rule("4318", "Line/cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount")
def icbper_is_bags_times_rate(root: Node, source: Any) -> Violations:
    """ICBPER of a line = per-bag amount × bags (rounded to cents), an observation."""
    for line, subtotal, bags in _bag_subtotals(root):
        rate, amount = _amount(subtotal, "cac:TaxCategory/cbc:PerUnitAmount"), _amount(subtotal, "cbc:TaxAmount")
        if rate is None or amount is None:
            continue
        if amount != cents(rate * bags):
            yield "cac:TaxSubtotal/cbc:TaxAmount", str(amount), _note(line)


def icbper_rate(issued: date) -> Decimal | None:
    """The ICBPER per bag in force on ``issued`` (None before the tax existed)."""
    return next((rate for since, rate in _ICBPER_RATES if issued >= since), None)


@python_rule("4237", "Line/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:PerUnitAmount")
def icbper_rate_in_force(root: Node, source: Any) -> Violations:
    """In soles, the per-bag amount is the rate in force on the issue date, an observation."""
    if text((xp(root, "cbc:DocumentCurrencyCode") or [""])[0]) != "PEN":
        return
    issued = day_of(text((xp(root, "cbc:IssueDate") or [""])[0]))
    if issued is None:
        return
    expected = icbper_rate(issued)
    for line, subtotal, _ in _bag_subtotals(root):
        rate = _amount(subtotal, "cac:TaxCategory/cbc:PerUnitAmount")
        if expected is not None and rate is not None and rate != expected:
            yield "cac:TaxCategory/cbc:PerUnitAmount", str(rate), _note(line)
