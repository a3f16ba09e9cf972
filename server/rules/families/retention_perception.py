"""Retention (20, comprobante de retención) and perception (40, comprobante de percepción) documents.

Both are UBL 2.0 documents with the same shape: an agent (who retains or perceives), a counterpart, a
regime (catalog 23 / 22) whose rate applies to every payment or collection, and one
``sac:SUNAT{Retention,Perception}DocumentReference`` per referenced comprobante with its payment, the
amount retained/perceived and the net paid/cashed in soles (with the exchange rate when the
comprobante is in another currency).

Most of their rows name other fields of the document by their workbook name ("Tipo de documento
relacionado", "Tipo de moneda del documento relacionado", "Importe del pago sin retención"…).
:data:`FIELDS` is the dictionary from those names to XPaths, read from the referenced document the
checked node belongs to, so the sentences below (reference guards, comparisons with a field, the
arithmetic "A multiplicado por B menos C", date orders) serve every row that uses those words.
Only the sheets ``retencion`` and ``percepcion`` are compiled here.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal
from typing import Any, Callable, Iterator

from lxml import etree

from osemock.cpe.dates import day_of
from osemock.cpe.numbers import decimal_of
from osemock.server.rules.backend import python_rule
from osemock.server.rules.catalogs import catalog, entries
from osemock.server.rules.guards import Guard, add_guard, normalise_rest
from osemock.server.rules.patterns import Check, compile_sentence, each, sentence, short, text, xpath
from osemock.server.rules.workbook import WorkbookRow

SHEETS = ("retencion", "percepcion")
REFERENCES = ("sac:SUNATRetentionDocumentReference", "sac:SUNATPerceptionDocumentReference")
_REFERENCE_OF = xpath("ancestor-or-self::sac:SUNATRetentionDocumentReference | "
                      "ancestor-or-self::sac:SUNATPerceptionDocumentReference")
TOLERANCE = Decimal("1")
#: Tags SUNAT's 2.0 schemas do not declare: a document carrying them fails the schema (0306) first, so
#: their rows (3322–3324, the exceptional perception) could never fire and are not compiled.
NOT_IN_SCHEMA = ("sac:ExceptionalIndicator",)
Node = etree._Element


# -- the fields the workbook names ---------------------------------------------------------------

def field_key(name: str) -> str:
    """A workbook field name without accents, case, quotes and articles ("Importe del pago sin
    retención" and "Importe de pago sin retención" are one field)."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", plain)
    return " ".join(w for w in words if w not in {"de", "del", "la", "el", "los", "las"})


#: Field name → XPath (relative to the referenced document, or absolute) and the factor its value
#: carries (a rate written as a percentage is used as a fraction).
FIELDS: dict[str, tuple[str, Decimal]] = {field_key(name): (path, Decimal(scale)) for name, path, scale in (
    ("Tipo de documento relacionado", "cbc:ID/@schemeID", "1"),
    ("Tipo de moneda del documento relacionado", "cbc:TotalInvoiceAmount/@currencyID", "1"),
    ("Número de documento relacionado", "cbc:ID", "1"),
    ("Serie y número correlativo del documento relacionado", "cbc:ID", "1"),
    ("Fecha de emisión del documento relacionado", "cbc:IssueDate", "1"),
    ("Fecha de emisión", "/*/cbc:IssueDate", "1"),
    ("Número de documento de identidad del emisor", "/*/cac:AgentParty/cac:PartyIdentification/cbc:ID", "1"),
    ("Importe del pago sin retención", "cac:Payment/cbc:PaidAmount", "1"),
    ("Importe de cobro sin percepción", "cac:Payment/cbc:PaidAmount", "1"),
    ("Tasa de retención", "/*/sac:SUNATRetentionPercent", "0.01"),
    ("Porcentaje de percepción", "/*/sac:SUNATPerceptionPercent", "0.01"),
    ("Tipo de cambio", "*/cac:ExchangeRate/cbc:CalculationRate", "1"),
    ("Importe retenido", "sac:SUNATRetentionInformation/sac:SUNATRetentionAmount", "1"),
    ("Importe percibido", "sac:SUNATPerceptionInformation/sac:SUNATPerceptionAmount", "1"),
    ("Importe total a pagar (neto)", "sac:SUNATRetentionInformation/sac:SUNATNetTotalPaid", "1"),
    ("Importe total a cobrar (neto)", "sac:SUNATPerceptionInformation/sac:SUNATNetTotalCashed", "1"),
    ("Código del régimen de retención", "/*/sac:SUNATRetentionSystemCode", "1"),
    ("Código del régimen de percepción", "/*/sac:SUNATPerceptionSystemCode", "1"),
)}


def _element(node: Node | str) -> Node:
    return node.getparent() if isinstance(node, str) else node


def field_value(node: Node | str, name: str) -> str | None:
    """The text of the field ``name`` for the referenced document ``node`` belongs to (``None`` when absent)."""
    path, _ = FIELDS[field_key(name)]
    element = _element(node)
    context = (_REFERENCE_OF(element) or [element])[0]
    found = xpath(path)(context)
    return text(found[0]) if found else None


def field_amount(node: Node | str, name: str) -> Decimal | None:
    amount = decimal_of(field_value(node, name))
    return amount * FIELDS[field_key(name)][1] if amount is not None else None


def _known(name: str) -> bool:
    return field_key(name) in FIELDS


# -- guards on the referenced document -----------------------------------------------------------

#: "Si <condition on the referenced document>, <simple sentence>": the condition's wording and the
#: predicate the reference element must satisfy.  Rows whose rest is "no existe el Tag" require the
#: tag under every such reference (even when its parent, cac:Payment or cac:ExchangeRate, is absent).
REFERENCE_GUARDS: list[tuple[str, str]] = [
    (r'Si "Tipo de documento relacionado" es diferente a "(?P<a>\w+)" y "Tipo de moneda del documento relacionado" '
     r'es diferente "(?P<b>\w+)"', "not(cbc:ID/@schemeID='{a}') and not(cbc:TotalInvoiceAmount/@currencyID='{b}')"),
    (r'Si "Tipo de documento relacionado" es diferente a "(?P<a>\w+)"', "not(cbc:ID/@schemeID='{a}')"),
    (r'Si "Tipo de documento relacionado" es "(?P<a>\w+)"', "cbc:ID/@schemeID='{a}'"),
    (r'Si "Tipo de moneda del documento relacionado" es "(?P<a>\w+)" y el Tag UBL existe',
     "cbc:TotalInvoiceAmount/@currencyID='{a}'"),
    (r'Si "Tipo de moneda del documento relacionado" es diferente "(?P<a>\w+)" y el Tag UBL existe',
     "not(cbc:TotalInvoiceAmount/@currencyID='{a}')"),
]
_REST_SEPARATOR = r"(?:,\s*|\s+y\s+|\s+)(?P<rest>.+)"

# The regime of a retention, a guard on the document ("Si el “Código del régimen de retención” es “02”").
add_guard(Guard(r"Si el “Código del régimen de retención” es “02” \(TASA 6%\)", "/*", "sac:SUNATRetentionSystemCode='02'"))


def _anchored_required(reference_path: str, relative: str, allow_empty: bool) -> Callable[[Node, Any], Iterator]:
    """Every reference ``reference_path`` selects must carry ``relative`` (non-empty unless ``allow_empty``)."""
    references, step = xpath(reference_path), xpath(relative)

    def run(root: Node, source: Any = None) -> Iterator[tuple[str, str]]:
        for reference in references(root):
            found = step(reference)
            if not found or (not allow_empty and not any(text(f) for f in found)):
                yield relative, ""
    return run


def _reference_guarded(row: WorkbookRow, path: str | None) -> Check | None:
    if path is None:
        return None
    for wording, predicate in REFERENCE_GUARDS:
        match = re.fullmatch(wording + _REST_SEPARATOR, row.condition.strip(), re.DOTALL)
        if match is None:
            continue
        step = next((s for s in REFERENCES if f"/{s}/" in path), None)
        if step is None:
            return None
        condition = predicate.format(**{k: v for k, v in match.groupdict().items() if k != "rest"})
        head, _, relative = path.partition(f"/{step}/")
        anchor = f"{head}/{step}[{condition}]"
        guarded = f"{anchor}/{relative}"
        rest = normalise_rest(match["rest"])
        rest = _reworded(rest)
        if rest in ("No existe el Tag UBL", "No existe el Tag UBL o es vacío"):
            run = _anchored_required(anchor, relative, allow_empty=rest == "No existe el Tag UBL")
            return Check(row, "reference:required", _named(run, path), guarded)
        inner = WorkbookRow(row.sheet, row.row, row.field, row.tag, rest, row.severity, row.code, row.listado)
        check = compile_sentence(inner, guarded)
        if check is None:
            return None
        return Check(row, f"reference:{check.kind.rpartition(':')[2]}", _named(check.run, path), check.path or guarded)
    return None


def _named(run: Callable[[Node, Any], Iterator], path: str) -> Callable[[Node, Any], Iterator]:
    """``run`` with its findings naming the node by the row's own path (a guard's predicate, which
    holds slashes, would otherwise show in the detail)."""
    name = short(path)

    def named(root: Node, source: Any = None) -> Iterator[tuple]:
        for _, *rest in run(root, source):
            yield (name, *rest)
    return named


# -- wordings of simple sentences the core knows under other words --------------------------------

#: Regex of this sheet's wording → the core's wording of the same simple sentence.
REWORDINGS: list[tuple[str, str]] = [
    # the core guard reads "Si existe el tag" and leaves "UBL, …" as the rest: say it the other way round
    (r"Si existe el tag UBL, (.+)", r"Si el Tag UBL existe, \1"),
    (r"""(?:El|el) valor es diferente (?:a|de) ["']?([\w.]+)["']?""", r'El valor del Tag UBL es diferente a "\1"'),
    (r"(?:Es|es) diferente de (\w+)", r'El valor del Tag UBL es diferente a "\1"'),
    (r'El valor del Tag UBL es diferente "(\w+)"', r'El valor del Tag UBL es diferente a "\1"'),
    (r"El (?:valor del )?[Tt]ag UBL esta vacío", "El Tag UBL está vacío"),
    (r"El valor del Tag UBL no está en el listado", "El valor del Tag UBL no existe en el listado"),
]


def _reworded(condition: str) -> str:
    for wording, core in REWORDINGS:
        if re.fullmatch(wording, condition):
            return re.sub(wording, core, condition)
    return condition


def _reworded_sentence(row: WorkbookRow, path: str | None) -> Check | None:
    condition = row.condition.strip().rstrip(". ")
    reworded = _reworded(condition)
    if path is None or reworded == condition:
        return None
    check = compile_sentence(WorkbookRow(row.sheet, row.row, row.field, row.tag, reworded, row.severity, row.code,
                                         row.listado), path)
    return Check(row, check.kind, check.run, check.path) if check else None


# -- sentences of these sheets -------------------------------------------------------------------

def _positive_decimal(integers: int, decimals: int) -> Callable[[str, Node], bool]:
    """"decimal positivo de N enteros y M decimales o es cero": at most N integer digits and M
    decimals, and above zero."""
    pattern = re.compile(rf"[0-9]{{1,{integers}}}(\.[0-9]{{1,{decimals}}})?")
    return lambda value, node: bool(pattern.fullmatch(value)) and Decimal(value) > 0


def _formats(listing: str) -> list[re.Pattern[str]] | None:
    """The regexes of "…el formato: - A - B" (a list) or "…diferente a: A" (one)."""
    listing = listing.strip()
    parts = re.split(r"\s+-\s+", listing[2:]) if listing.startswith("- ") else [listing]
    try:
        return [re.compile(part.strip()) for part in parts]
    except re.error:
        return None


def _differs_from_field(name: str, equal_fails: bool) -> Callable[[str, Node], bool]:
    def judge(value: str, node: Node) -> bool:
        other = field_value(node, name)
        if other is None:
            return True
        return (value != other) if equal_fails else (value == other)
    return judge


def _catalog_rate(number: str, regime: str) -> Callable[[str, Node], bool]:
    """The rate of the document's regime in catalog ``number`` (22/23, attribute ``tasa``)."""
    rates = entries(number)

    def judge(value: str, node: Node) -> bool:
        rate = rates.get(field_value(node, regime) or "", {}).get("tasa")
        if rate is None:
            return True  # an unknown regime is the catalog row's fault (2602/2618)
        return decimal_of(value) == Decimal(rate)
    return judge


_OPERATORS = {"multiplicado por": "*", "menos": "-", "más": "+", "mas": "+"}
_TERM = r'"([^"]+)"'
_EXPRESSION = re.compile(rf'{_TERM}((?:\s+(?:multiplicado por|menos|más|mas)\s+{_TERM})*)')


def _formula(expression: str) -> Callable[[Node], Decimal | None] | None:
    """"A multiplicado por B menos C" over :data:`FIELDS` (products first), or ``None`` when a field
    is unknown."""
    tokens = re.findall(rf'(?:^|\s+(multiplicado por|menos|más|mas)\s+){_TERM}', expression)
    if not tokens or not all(_known(name) for _, name in tokens):
        return None

    def evaluate(node: Node) -> Decimal | None:
        total, product = Decimal(0), None
        sign = Decimal(1)
        for operator, name in tokens:
            value = field_amount(node, name)
            if value is None:
                return None
            symbol = _OPERATORS.get(operator, "")
            if symbol == "*":
                product *= value
            else:
                if product is not None:
                    total += sign * product
                sign = Decimal(-1) if symbol == "-" else Decimal(1)
                product = value
        return total + sign * product
    return evaluate


def _within_tolerance(evaluate: Callable[[Node], Decimal | None]) -> Callable[[str, Node], bool]:
    def judge(value: str, node: Node) -> bool:
        expected, actual = evaluate(node), decimal_of(value)
        # an unreadable amount is the format row's to report
        return expected is None or actual is None or abs(actual - expected) <= TOLERANCE
    return judge


def _date(value: str | None) -> date | None:
    return day_of(value)


def _period(day: date) -> tuple[int, int]:
    return day.year, day.month


def _date_order(same_period: bool, first: str, second: str, later_fails: bool, bound: str,
                first_of_month: bool) -> Callable[[str, Node], bool]:
    """Payment/collection date against the document's dates, when ``first`` is (or is not) of the
    same month/year as ``second``."""
    def judge(value: str, node: Node) -> bool:
        day, one, two, limit = (_date(value), _date(field_value(node, first)), _date(field_value(node, second)),
                                _date(field_value(node, bound)))
        if None in (day, one, two, limit) or (_period(one) == _period(two)) != same_period:
            return True
        if first_of_month:
            limit = limit.replace(day=1)
        return day <= limit if later_fails else day >= limit
    return judge


def _same_period(path: str) -> Callable[[Node, Any], Iterator]:
    """Every date ``path`` selects falls in the month/year of the first one."""
    nodes = xpath(path)

    def run(root: Node, source: Any = None) -> Iterator[tuple[str, str]]:
        periods = [(_date(text(n)), text(n)) for n in nodes(root)]
        known = [p for p in periods if p[0] is not None]
        for day, value in known[1:]:
            if _period(day) != _period(known[0][0]):
                yield short(path), value
    return run


def _unique_with_field(path: str, name: str) -> Callable[[Node, Any], Iterator]:
    """The field ``name`` concatenated with the tag may not repeat.  Narrow reading: the referenced
    document's type is part of the key too (a factura and a debit note may share a series-number)."""
    nodes = xpath(path)

    def run(root: Node, source: Any = None) -> Iterator[tuple[str, str]]:
        seen: set[tuple[str | None, ...]] = set()
        for node in nodes(root):
            key = (field_value(node, "Tipo de documento relacionado"), field_value(node, name), text(node))
            if key in seen:
                yield short(path), f"{key[1]}-{key[2]}"
            seen.add(key)
    return run


def _own_sentence(row: WorkbookRow, path: str | None) -> Check | None:
    if path is None:
        return None
    cond = row.condition.strip().rstrip(". ")
    match = re.fullmatch(r"[Ee]l formato del Tag UBL es diferente a decimal positivo de (\d+) enteros y (\d+) decimales "
                         r"o es cero \(0\)", cond)
    if match:
        return Check(row, "decimal-nonzero", each(path, _positive_decimal(int(match[1]), int(match[2]))))
    match = re.fullmatch(r"[Ee]l formato del Tag UBL es diferente a numérico de (hasta )?(\d+) dígitos", cond)
    if match:
        digits = re.compile(rf"[0-9]{{{'1,' if match[1] else ''}{match[2]}}}")
        return Check(row, "numeric", each(path, lambda value, node: bool(digits.fullmatch(value))))
    match = re.fullmatch(r"[Ee]l formato del Tag UBL (?:no tiene el formato|es diferente a):\s*(.+)", cond, re.DOTALL)
    if match:
        formats = _formats(match[1])
        if formats:
            return Check(row, "format", each(path, lambda value, node: any(f.fullmatch(value) for f in formats)))
    match = re.fullmatch(r'El valor del Tag UBL es diferente a ("\w+"(?:, "\w+")+)', cond)
    if match:
        codes = set(re.findall(r'"(\w+)"', match[1]))
        return Check(row, "catalog", each(path, lambda value, node: value in codes))
    match = re.fullmatch(r"El valor del Tag UBL es diferente al listado", cond)
    params = re.fullmatch(r"Parámetros \(0*(6)\)", row.listado)
    if match and params and catalog("06"):
        # Parámetros (006) is SUNAT's table of identity-document types, catalog 06.
        return Check(row, "catalog", each(path, lambda value, node: value in catalog("06")))
    match = re.fullmatch(r"El valor absoluto es mayor a (\d+)", cond)
    if match:
        bound = Decimal(match[1])
        return Check(row, "bound", each(path, lambda value, node: _abs_within(value, bound)))
    match = re.fullmatch(r"El valor del Tag UBL es mayor al (\d\d)/(\d\d)/(\d{4})", cond, re.IGNORECASE)
    if match:
        limit = date(int(match[3]), int(match[2]), int(match[1]))
        return Check(row, "date-bound", each(path, lambda value, node: (_date(value) or limit) <= limit))
    match = re.fullmatch(r'El valor del Tag UBL es (igual|diferente)(?: al| a)? "([^"]+)"', cond)
    if match and _known(match[2]):
        return Check(row, "field", each(path, _differs_from_field(match[2], equal_fails=match[1] == "igual")))
    match = re.fullmatch(r'El valor del Tag UBL es diferente a(?:l| la)? (?:Tasa de retención|Porcentaje de percepción) '
                         r'del listado para el "([^"]+)"', cond)
    number = re.search(r"Catálogo \(0*(\d+)\)", row.listado)
    if match and number and _known(match[1]) and entries(f"{int(number[1]):02d}"):
        return Check(row, "catalog-rate", each(path, _catalog_rate(f"{int(number[1]):02d}", match[1])))
    match = re.fullmatch(rf'El valor del Tag UBL es diferente a ({_EXPRESSION.pattern}) con una tolerancia de '
                         r'más/menos uno \(1\)', cond)
    if match:
        evaluate = _formula(match[1])
        if evaluate:
            return Check(row, "formula", each(path, _within_tolerance(evaluate)))
    match = re.fullmatch(r'(?:Y )?la "([^"]+)" es (del mismo|de diferente) mes/año \(periodo\) de la "([^"]+)", el valor '
                         r'del Tag UBL es (menor|mayor) (?:a|al) (primer día del mes de )?"([^"]+)"', cond, re.IGNORECASE)
    if match and all(_known(match[i]) for i in (1, 3, 6)):
        judge = _date_order(match[2].lower() == "del mismo", match[1], match[3], match[4].lower() == "mayor", match[6],
                            bool(match[5]))
        return Check(row, "date-order", each(path, judge))
    match = re.fullmatch(r'El valor del Tag UBL es de mes/año \(periodo\) diferente a otra "?(?:fecha de pago|fecha de '
                         r'cobro)"? en /(?:Retention|Perception)', cond, re.IGNORECASE)
    if match:
        return Check(row, "same-period", _same_period(path))
    match = re.fullmatch(r'(?:El|La) "([^"]+)" concatenado con el valor del Tag,? se repite en /(?:Retention|Perception)',
                         cond, re.IGNORECASE)
    if match and _known(match[1]):
        return Check(row, "unique-pair", _unique_with_field(path, match[1]))
    return None


def _abs_within(value: str, bound: Decimal) -> bool:
    amount = decimal_of(value)
    return amount is None or abs(amount) <= bound


@sentence
def retention_perception(row: WorkbookRow, path: str | None) -> Check | None:
    """The sentences of the retention and perception sheets."""
    if row.sheet not in SHEETS or any(tag in row.tag for tag in NOT_IN_SCHEMA):
        return None
    return _reference_guarded(row, path) or _reworded_sentence(row, path) or _own_sentence(row, path)


# -- totals over the referenced documents (Python: sums) -------------------------------------------

_REFERENCE_NODES = xpath("sac:SUNATRetentionDocumentReference | sac:SUNATPerceptionDocumentReference")


def _total(root: Node, name: str, excluded: set[str]) -> Decimal | None:
    """The sum of the field ``name`` over the referenced documents whose type is not ``excluded``;
    ``None`` when an amount is unreadable (its format row reports it)."""
    total = Decimal(0)
    for reference in _REFERENCE_NODES(root):
        if field_value(reference, "Tipo de documento relacionado") in excluded:
            continue
        found = xpath(FIELDS[field_key(name)][0])(reference)
        if not found:
            continue
        amount = decimal_of(text(found[0]))
        if amount is None:
            return None
        total += amount
    return total


def _amount(root: Node, path: str) -> Decimal | None:
    found = xpath(path)(root)
    return decimal_of(text(found[0])) if found else None


def _sum_rule(total_path: str, name: str, excluded: set[str], with_rounding: bool):
    """The document's ``total_path`` equals the sum of ``name`` (plus cbc:PayableRoundingAmount),
    exactly: these rows state no tolerance, where their neighbours spell out "más/menos uno", and a
    sum of amounts of two decimals has no rounding to forgive."""
    def rule(root: Node, source: Any) -> Iterator[tuple[str, str]]:
        stated, expected = _amount(root, total_path), _total(root, name, excluded)
        if stated is None or expected is None:
            return
        if with_rounding:
            expected += _amount(root, "/*/cbc:PayableRoundingAmount") or Decimal(0)
        if stated != expected:
            yield short(total_path), str(stated)
    return rule


python_rule("2628", "cbc:TotalInvoiceAmount", sheets=("retencion",))(
    _sum_rule("/*/cbc:TotalInvoiceAmount", "Importe retenido", {"07", "20"}, with_rounding=False))
python_rule("2629", "sac:SUNATTotalPaid", sheets=("retencion",))(
    _sum_rule("/*/sac:SUNATTotalPaid", "Importe total a pagar (neto)", {"07", "20"}, with_rounding=True))
python_rule("2667", "cbc:TotalInvoiceAmount", sheets=("percepcion",))(
    _sum_rule("/*/cbc:TotalInvoiceAmount", "Importe percibido", {"07", "40"}, with_rounding=False))
python_rule("2668", "sac:SUNATTotalCashed", sheets=("percepcion",))(
    _sum_rule("/*/sac:SUNATTotalCashed", "Importe total a cobrar (neto)", {"07", "40"}, with_rounding=True))

# 2600 (sent after the "plazo máximo vigente") is left out: SUNAT keeps that deadline per document type
# (parameter 004, "Plazo máximo de envío"), the mock only knows the CPE's (the profile's max_days_late,
# 2108), and a wrong deadline would reject valid retentions and perceptions.
