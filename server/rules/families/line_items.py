"""Line items: the rows about each cac:InvoiceLine / cac:CreditNoteLine / cac:DebitNoteLine itself and
its item — the line number, the quantity and its unit (catálogo 03), the item's codes (producto SUNAT /
UNSPSC, GTIN), its additional properties (catálogo 55 concepts), the unit and reference prices (free
lines, catálogo 16) and the line's charges and discounts (catálogo 53).

Most rows are worded as one of a few sentences; :data:`SENTENCES` maps each wording to the check it
means, so a new row with a known wording needs no code.  Context clauses that only this family uses
("Si existe en la línea un cac:TaxSubtotal con 'Código de tributo por línea' igual a '9996'…", "Si el
'Código del concepto' es '7014' y…") become XPath predicates in the row's path, and the rest of the
sentence compiles as any simple sentence would.  Arithmetic is Python: the line value rows by their
wording (free line or not, type of the modified document), the charge = base × factor and the unit
price with taxes bound to their codes.

The line's cac:TaxTotal and cac:Delivery belong to other families.
"""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any, Callable, Iterator

from lxml import etree

from osemock.cpe import ns
from osemock.cpe.numbers import decimal_of
from osemock.server.rules import patterns
from osemock.server.rules.backend import python_rule
from osemock.server.rules.catalogs import catalog
from osemock.server.rules.patterns import Check, sentence
from osemock.server.rules.workbook import WorkbookRow, rows
from osemock.server.rules import arithmetic
from osemock.server.rules.patterns import memo, xp

Node = etree._Element
Builder = Callable[[re.Match[str], WorkbookRow, str], "Check | None"]
_LINE = re.compile(r"/cac:(?:Invoice|CreditNote|DebitNote)Line(?=[/\[]|$)")
_LINES = "cac:InvoiceLine | cac:CreditNoteLine | cac:DebitNoteLine"
_FREE = ("cac:TaxTotal/cac:TaxSubtotal[cac:TaxCategory/cac:TaxScheme/cbc:ID='{tax}' "
         "and number(cbc:TaxableAmount) > 0]")


# -- helpers ---------------------------------------------------------------------------------------------
def _line_parts(path: str) -> tuple[str, str, str] | None:
    """``path`` cut at its line step: (document part, line step with its predicates, inside-line part)."""
    match = _LINE.search(path)
    if match is None:
        return None
    end, depth = match.end(), 0
    while end < len(path) and (path[end] == "[" or depth):
        depth += {"[": 1, "]": -1}.get(path[end], 0)
        end += 1
    return path[:match.start()] or "/*", path[match.start() + 1:end], path[end:]


def _with_predicate(path: str, step: str, predicate: str) -> str | None:
    """``path`` with ``[predicate]`` after its last ``step`` (a line step when ``step`` is ``"line"``)."""
    if step == "line":
        parts = _line_parts(path)
        return f"{parts[0]}/{parts[1]}[{predicate}]{parts[2]}" if parts else None
    index = path.rfind(f"/{step}")
    if index < 0:
        return None
    cut = index + len(step) + 1
    return f"{path[:cut]}[{predicate}]{path[cut:]}"


def _codes(text: str) -> list[str]:
    """The codes of a list as the workbook writes it: "'7004', '7005' y '7012'", "'3055'", "7001"."""
    return re.findall(r"'?(\d+)'?", text)


def _line_number(line: Node) -> str:
    return (line.findtext(f"{{{ns.CBC}}}ID") or "").strip()


def _concepts(line: Node) -> set[str]:
    return memo("concepts", line, _read_concepts)


def _read_concepts(line: Node) -> set[str]:
    return {code.strip() for code in xp(line, "cac:Item/cac:AdditionalItemProperty/cbc:NameCode/text()")}


def _runner_per_document(path: str, judge: Callable[[Node], Iterator[str]]) -> patterns.Runner:
    """A runner over the documents the document part of ``path`` selects (a guard may restrict it)."""
    parts = _line_parts(path)
    documents = parts[0] if parts else "/*"
    assert patterns.xpath(documents) is not None

    def run(root: Node, source: Any = None) -> patterns.Violations:
        for document in xp(root, documents):
            for value in judge(document):
                yield patterns.short(path), value
    return run


def _runner_per_line(path: str, judge: Callable[[Node], bool]) -> patterns.Runner:
    """A runner that yields every line (of ``path``'s line step) ``judge`` refuses."""
    parts = _line_parts(path)
    assert parts is not None
    lines_path = f"{parts[0]}/{parts[1]}"
    lines = patterns.xpath(lines_path)
    assert lines is not None

    def run(root: Node, source: Any = None) -> patterns.Violations:
        for line in memo(lines_path, root, lines):  # the same lines for every such check
            if not judge(line):
                yield patterns.short(path), f"linea {_line_number(line)}"
    return run


# -- judges of single values -----------------------------------------------------------------------------
def _numeric(digits: int, up_to: bool, non_zero: bool) -> Callable[[str, Node], bool]:
    pattern = re.compile(rf"[0-9]{{{1 if up_to else digits},{digits}}}")
    return lambda value, node: bool(pattern.fullmatch(value)) and not (non_zero and int(value) == 0)


def _decimal(integers: int, decimals: int, positive: bool) -> Callable[[str, Node], bool]:
    """A decimal of ``integers``.``decimals`` digits; "(positivo mayor a cero)" refuses zero and a sign,
    a plain "decimal" accepts a leading minus (the narrow reading)."""
    pattern = re.compile(rf"{'' if positive else '-?'}[0-9]{{1,{integers}}}(\.[0-9]{{1,{decimals}}})?")
    return lambda value, node: bool(pattern.fullmatch(value)) and (not positive or Decimal(value) > 0)


def _is_date(value: str, node: Node) -> bool:
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _not_positive(value: str, node: Node) -> bool:
    number = decimal_of(value)
    return number is None or number <= 0


# -- sentence builders -----------------------------------------------------------------------------------
def _each(kind: str, judge: Callable[[str, Node], bool]) -> Builder:
    def build(match: re.Match[str], row: WorkbookRow, path: str) -> Check | None:
        return Check(row, kind, patterns.each(path, judge))
    return build


def _numeric_sentence(match: re.Match[str], row: WorkbookRow, path: str) -> Check:
    """'numérico de hasta 3 dígitos; o, es igual cero' (line number), 'numérico de 8 dígitos' (UNSPSC)."""
    return Check(row, "numeric", patterns.each(path, _numeric(int(match["digits"]), bool(match["up_to"]),
                                                             bool(match["zero"]))))


def _unique_line_number(match: re.Match[str], row: WorkbookRow, path: str) -> Check | None:
    """Two lines of a document with the same cbc:ID."""
    if not path.endswith(f"/{match[1]}/cbc:ID"):
        return None

    def judge(document: Node) -> Iterator[str]:
        seen: set[str] = set()
        for line in xp(document, match[1]):
            number = _line_number(line)
            if number in seen:
                yield number
            seen.add(number)
    return Check(row, "unique-line", _runner_per_document(path, judge))


def _attribute_required(match: re.Match[str], row: WorkbookRow, path: str) -> Check | None:
    """'No existe el atributo del Tag UBL o es vacío' (the unit of a quantity) or 'no existe el atributo
    @schemeID' written on the element's tag (the GTIN's structure): the attribute is wanted."""
    if match["name"]:  # "no existe el atributo @schemeID" about an element tag
        if "/@" in path:
            return None
        attribute = f"{path}/@{match['name']}"
        return Check(row, "required", patterns.required(attribute, allow_empty=True), attribute)
    return Check(row, "required", patterns.required(path)) if "/@" in path else None


def _catalog(match: re.Match[str], row: WorkbookRow, path: str) -> Check | None:
    """'…diferente al Catálogo N.° 03', '…distinto al catálogo nro 06': the catalog named in the sentence
    itself (the row's listado column is often empty)."""
    codes = catalog(f"{int(match['number']):02d}")
    if not codes or (match["attribute"] and "/@" not in path):
        return None
    return Check(row, "catalog", patterns.each(path, lambda value, node: value in codes))


def _listed(match: re.Match[str], row: WorkbookRow, path: str) -> Check | None:
    """'…no se encuentra en el listado' (Catálogo 25), '8 ceros' and '8 nueves' accepted where stated."""
    number = re.search(r"Cat[aá]logo\s*\(?\s*0*(\d+)", row.listado)
    codes = catalog(f"{int(number[1]):02d}") if number else frozenset()
    if not codes:
        return None
    allowed = set(re.findall(r"\('(\d+)'\)", match[0]))
    return Check(row, "catalog", patterns.each(path, lambda value, node: value in codes or value in allowed))


def _required_nonzero(match: re.Match[str], row: WorkbookRow, path: str) -> Check:
    """The quantity must exist and not be zero (its decimal format is another row)."""
    present = patterns.required(path)
    nonzero = patterns.each(path, lambda value, node: decimal_of(value) is None or decimal_of(value) != 0)

    def run(root: Node, source: Any = None) -> patterns.Violations:
        yield from present(root, source)
        yield from nonzero(root, source)
    return Check(row, "required-nonzero", run)


def _text_sentence(match: re.Match[str], row: WorkbookRow, path: str) -> Check | None:
    """'alfanumérico de 1 a 30 carácteres' without line breaks or tabs (rows that permit them are the core's)."""
    note = match["note"]
    if "permite" in note and "no se permite" not in note and "no permite" not in note:
        return None
    kind, judge = patterns.text_format(int(match["low"] or 1), int(match["high"]), note)
    return Check(row, kind, patterns.each(path, judge))


def _generic_product_code(match: re.Match[str], row: WorkbookRow, path: str) -> Check:
    """An 8-digit product code ending in 4 (or 6) zeros names a segment or family, not a product."""
    length, zeros = int(match["length"]), min(int(match["zeros1"]), int(match["zeros2"]))
    return Check(row, "generic-code", patterns.each(
        path, lambda value, node: not (len(value) == length and value.endswith("0" * zeros))))


def _operation_needs_product(match: re.Match[str], row: WorkbookRow, path: str) -> Check | None:
    """(After an operation-type guard) no line of the document carries one of these product codes."""
    wanted = set(_codes(match["codes"]))
    if _line_parts(path) is None:
        return None

    def judge(document: Node) -> Iterator[str]:
        found = xp(document, f"({_LINES})/cac:Item/cac:CommodityClassification/cbc:ItemClassificationCode/text()")
        if not wanted & {code.strip() for code in found}:
            yield ""
    return Check(row, "operation-product", _runner_per_document(path, judge))


def _one_of(match: re.Match[str], row: WorkbookRow, path: str) -> Check | None:
    """'…es diferente a 'GTIN-8', 'GTIN-12', 'GTIN-13' y 'GTIN-14'': one of the listed values (the core
    reads a single value only)."""
    values = set(re.findall(r"'([^']*)'", match["values"]))
    if match["attribute"] and "/@" not in path:
        return None
    return Check(row, "fixed-value", patterns.each(path, lambda value, node: value in values))


def _charge_indicator(match: re.Match[str], row: WorkbookRow, path: str) -> Check | None:
    """'Si valor del tag es diferente de 'true' para 'código de motivo de cargo' igual a '47' y '48''."""
    predicate = " or ".join(f"cbc:AllowanceChargeReasonCode='{code}'" for code in _codes(match["codes"]))
    guarded = _with_predicate(path, "cac:AllowanceCharge", predicate)
    if guarded is None or patterns.xpath(guarded) is None:
        return None
    expected = match["value"]
    return Check(row, "charge-indicator", patterns.each(guarded, lambda value, node: value == expected), guarded)


def _price_type_required(match: re.Match[str], row: WorkbookRow, path: str) -> Check | None:
    """A reference price (cbc:PriceAmount) needs its 'Código de precio'."""
    if not path.endswith("cac:AlternativeConditionPrice/cbc:PriceTypeCode"):
        return None
    guarded = path.replace("cac:AlternativeConditionPrice/", "cac:AlternativeConditionPrice[cbc:PriceAmount]/")
    return Check(row, "required", patterns.required(guarded), guarded)


def _line_context(match: re.Match[str], row: WorkbookRow, path: str) -> Check | None:
    """'Si (no) existe en la línea un cac:TaxSubtotal con 'Código de tributo por línea' igual a '9996' cuyo
    'Monto base' es mayor a cero…' (a free line), optionally 'y 'Código de precio' es (diferente de) '02'',
    then a simple sentence — or nothing: the context itself is the error."""
    free = _FREE.format(tax=match["tax"])
    guarded = _with_predicate(path, "line", f"not({free})" if match["negated"] else free)
    if guarded and match["price"]:
        price = f"cbc:PriceTypeCode='{match['price']}'"
        guarded = _with_predicate(guarded, "cac:AlternativeConditionPrice",
                                  f"cbc:PriceTypeCode and not({price})" if match["price_negated"] else price)
    if guarded is None or patterns.xpath(guarded) is None:
        return None
    rest = (match["rest"] or "").strip().rstrip(". ")
    if not rest:
        return Check(row, "forbidden", patterns.each(guarded, lambda value, node: False), guarded)
    inner = WorkbookRow(row.sheet, row.row, row.field, row.tag, rest[:1].upper() + rest[1:], row.severity, row.code,
                        row.listado)
    check = patterns.compile_sentence(inner, guarded)
    return Check(row, f"free-line:{check.kind}", check.run, check.path or guarded) if check else None


_CONCEPT_HEAD = re.compile(
    r"(?:Si (?:el )?'?c[oó]digo del concepto'? es(?: igual a)?|Si el c[oó]digo de concepto es|"
    r"De existir (?:el )?'?c[oó]digo (?:del|de) concepto'?(?: igual(?: a)?)?) "
    r"(?P<codes>'?\d+'?(?:\s*(?:,|o|y|, o)\s*'?\d+'?)*)(?: \([^)]*\))?(?:,\s*y\s+|,\s*|\s+y\s+)(?P<rest>.+)",
    re.IGNORECASE)
_CONCEPT_REST = {"no existe el tag": "No existe el Tag UBL",
                 "no existe el tag o es vacío": "No existe el Tag UBL o es vacío",
                 "no existe el tag o es vacio": "No existe el Tag UBL o es vacío"}


def _concept_row(row: WorkbookRow, path: str) -> Check | None:
    """A row about the properties of one 'Código del concepto' (the wordings the core does not read:
    "De existir 'Código del concepto' '4005' y…", "Si el código de concepto es 7005 y…", "…, o '3004', no
    existe…"): the rest of the sentence, applied only to the properties whose cbc:NameCode is listed."""
    match = _CONCEPT_HEAD.fullmatch(row.condition.strip().rstrip(". "))
    if match is None or "cac:AdditionalItemProperty/" not in path:
        return None
    rest = re.sub(r"^(?:el tag existe|si el tag existe),\s*", "", match["rest"].strip().rstrip(". "), flags=re.I)
    rest = _CONCEPT_REST.get(rest.lower(), rest[:1].upper() + rest[1:])
    predicate = " or ".join(f"cbc:NameCode='{code}'" for code in _codes(match["codes"]))
    head, _, tail = path.partition("cac:AdditionalItemProperty/")
    guarded = f"{head}cac:AdditionalItemProperty[{predicate}]/{tail}"
    if patterns.xpath(guarded) is None:
        return None
    inner = WorkbookRow(row.sheet, row.row, row.field, row.tag, rest, row.severity, row.code, row.listado)
    check = patterns.compile_sentence(inner, guarded)
    if check is not None and check.kind == "required" and "/" in tail:
        holder = f"{head}cac:AdditionalItemProperty[{predicate}]"
        check = Check(inner, "required", patterns.required_within(holder, tail, rest == "No existe el Tag UBL"), guarded)
    return Check(row, f"concept:{check.kind}", check.run, check.path or guarded) if check else None


def _every_line_has_concept(match: re.Match[str], row: WorkbookRow, path: str) -> Check | None:
    """(After an operation-type guard) every line must carry the concept — or, 'por lo menos en una
    línea' / 'al menos una línea', one line must carry them all."""
    if not path.endswith("cac:AdditionalItemProperty/cbc:NameCode") or _line_parts(path) is None:
        return None
    if not match["any"] and re.fullmatch(r"(?:y )?no existe el tag con (?:código(?: igual a)?|valor) '\d+'",
                                         row.condition.strip().rstrip(". "), re.IGNORECASE):
        return None  # the core's "operation-concept" sentence reads this wording
    wanted = set(_codes(match["codes"]))
    if match["any"]:
        def judge(document: Node) -> Iterator[str]:
            if not any(wanted <= _concepts(line) for line in xp(document, _LINES)):
                yield ", ".join(sorted(wanted))
        return Check(row, "operation-concept-any", _runner_per_document(path, judge))
    return Check(row, "operation-concept", _runner_per_line(path, lambda line: wanted <= _concepts(line)))


def _concept_needs_concept(match: re.Match[str], row: WorkbookRow, path: str) -> Check | None:
    """A line carrying one of the concepts must carry the other too (narrow reading: within the line)."""
    if not path.endswith("cac:AdditionalItemProperty/cbc:NameCode"):
        return None
    present, needed = set(_codes(match["present"])), match["needed"]
    return Check(row, "concept-needs-concept", _runner_per_line(
        path, lambda line: not (present & _concepts(line)) or needed in _concepts(line)))


def _product_needs_concept(match: re.Match[str], row: WorkbookRow, path: str) -> Check | None:
    """A line whose product code is the one stated (and, where stated, whose concept 7002 has the stated
    value) must carry the concept."""
    if not path.endswith("cac:AdditionalItemProperty/cbc:NameCode"):
        return None
    product, needed = match["product"], match["needed"]
    indicator, concept = match["indicator"], match["concept"]

    def judge(line: Node) -> bool:
        codes = {c.strip() for c in xp(line, "cac:Item/cac:CommodityClassification/cbc:ItemClassificationCode/text()")}
        if product not in codes:
            return True
        if indicator:
            values = xp(line, f"cac:Item/cac:AdditionalItemProperty[cbc:NameCode='{concept}']/cbc:Value/text()")
            if indicator not in {v.strip() for v in values}:
                return True
        return needed in _concepts(line)
    return Check(row, "product-concept", _runner_per_line(path, judge))


def _value_needs_concepts(match: re.Match[str], row: WorkbookRow, path: str) -> Check | None:
    """(After an operation-type guard) a line whose concept (e.g. 7015 'Tipo de seguro') has one of the
    stated values must carry every needed concept in the same line."""
    if "cac:AdditionalItemProperty/" not in path or _line_parts(path) is None:
        return None
    concept, values, needed = match["concept"], set(re.findall(r"'([^']*)'", match["values"])), set(_codes(match["needed"]))

    def judge(line: Node) -> bool:
        found = xp(line, f"cac:Item/cac:AdditionalItemProperty[cbc:NameCode='{concept}']/cbc:Value/text()")
        return not values & {value.strip() for value in found} or needed <= _concepts(line)
    return Check(row, "value-concepts", _runner_per_line(path, judge))


def _pattern(match: re.Match[str], row: WorkbookRow, path: str) -> Check | None:
    """'…diferente a: - [0-9]{4}-[0-9]{2}-[0-9]{3}-[0-9]{6}' (the DAM number): the workbook's own regex."""
    try:
        compiled = re.compile(match["regex"])
    except re.error:
        return None
    return Check(row, "pattern", patterns.each(path, lambda value, node: bool(compiled.fullmatch(value))))


def _date_not_before(match: re.Match[str], row: WorkbookRow, path: str) -> Check | None:
    """The date of concept ``later`` (a line's property) is before the date of concept ``earlier``."""
    if "cac:AdditionalItemProperty/" not in path:
        return None
    later, earlier = match["later"], match["earlier"]
    head, _, tail = path.partition("cac:AdditionalItemProperty/")
    guarded = f"{head}cac:AdditionalItemProperty[cbc:NameCode='{later}']/{tail}"
    field = tail.rsplit("/", 1)[-1]

    def judge(value: str, node: Node) -> bool:
        item = node.getparent().getparent().getparent()
        starts = xp(item, f"cac:AdditionalItemProperty[cbc:NameCode='{earlier}']/cac:UsabilityPeriod/{field}/text()")
        return not (_is_date(value, node) and starts and _is_date(starts[0].strip(), node) and value < starts[0].strip())
    return Check(row, "date-order", patterns.each(guarded, judge), guarded)


def _line_value(match: re.Match[str], row: WorkbookRow, path: str) -> Check:
    """Line value = unit value × quantity (a free line, 9996 with a base above zero: its reference value
    '02' × quantity), minus the discounts that affect the base ('00') plus the charges that do ('47')
    where the row says so, ± 1.  A note's rows depend on the type of the document it modifies.  Narrow
    reading: a line with a charge the row does not model (another reason code, or any charge on a row
    without them) is not judged."""
    free, adjusted = not match["not_free"], "'00'" in match["rest"] and "'47'" in match["rest"]
    modifies_factura = None if not match["clause"] else not match["modneg"]

    def run(root: Node, source: Any = None) -> Iterator[tuple[str, str, str | None]]:
        if modifies_factura is not None and (_modified_type(root) == "01") != modifies_factura:
            return
        for line in _lines(root):
            charges = xp(line, "cac:AllowanceCharge")
            reasons = [(c.findtext(f"{{{ns.CBC}}}AllowanceChargeReasonCode") or "").strip() for c in charges]
            if _is_free(line) != free or any(r not in ("00", "01", "47", "48") for r in reasons) \
                    or (not adjusted and any(r in ("00", "47") for r in reasons)):
                continue
            price = _amount(line, "cac:PricingReference/cac:AlternativeConditionPrice[normalize-space(cbc:PriceTypeCode)="
                                  "'02']/cbc:PriceAmount" if free else "cac:Price/cbc:PriceAmount")
            quantity = _amount(line, "cbc:InvoicedQuantity | cbc:CreditedQuantity | cbc:DebitedQuantity")
            value = _amount(line, "cbc:LineExtensionAmount")
            if price is None or quantity is None or value is None:
                continue
            expected = quantity * price - _line_adjustments(line, False, "00") + _line_adjustments(line, True, "47")
            if abs(value - expected) > TOLERANCE:
                yield "cbc:LineExtensionAmount", str(value), _note(line)
    return Check(row, "line-value", run)


#: The wordings of this family → builders.  Matched (case-insensitively) against the whole condition or,
#: under a guard, its rest.
SENTENCES: list[tuple[re.Pattern[str], Builder]] = [(re.compile(wording, re.IGNORECASE), builder) for wording, builder in [
    (r"(?:Si (?:el Tag UBL|el tag) existe, )?El formato del (?:Tag UBL|tag) es diferente (?:de|a) numérico de "
     r"(?P<up_to>hasta )?(?P<digits>\d+) dígitos(?P<zero>; o, es igual (?:a )?cero)?", _numeric_sentence),
    (r"Existe otro (cac:\w+Line) con el mismo valor del Tag UBL \(cbc:ID\)", _unique_line_number),
    (r"No existe el atributo(?: del Tag UBL o es vacío| @(?P<name>\w+)(?: \([^)]*\))?)", _attribute_required),
    (r"(?P<attribute>Si existe el atributo, )?El valor (?:del (?:Tag UBL|tag) )?es (?:diferente|distinto) al? "
     r"Cat[aá]logo(?: N(?:ro|\.?\s*°|º)\.?)?\s*0*(?P<number>\d+)", _catalog),
    (r"(?:Si )?El valor del Tag UBL (?:es diferente de 8 ceros \('0{8}'\) y diferente de 8 nueves \('9{8}'\), y )?"
     r"no se encuentra en el listado", _listed),
    (r"No existe el Tag UBL o es cero \(0\)", _required_nonzero),
    (r"(?:Si existe el tag, )?El (?:formato|valor) del (?:Tag UBL|tag) es diferente (?:a|de) alfanum[ée]rico de "
     r"(?:(?P<low>\d+) (?:a|hasta) |hasta )(?P<high>\d+) car[aá]ct[eé]res(?P<note>.*)",
     _text_sentence),
    (r"Tiene una longitud de (?P<length>\d+) posiciones, el valor del Tag UBL termina en (?P<zeros1>\d+) ceros "
     r"\('0+'\) o termina en (?P<zeros2>\d+) ceros \('0+'\)", _generic_product_code),
    (r"El comprobante no contiene ninguna línea con 'Código de producto SUNAT' con valor "
     r"(?P<codes>'\d+'(?: o '\d+')*)", _operation_needs_product),
    (r"(?P<attribute>Si existe el atributo, )?El valor (?:ingresado |del (?:tag|Tag UBL) )?es diferente (?:a|de) "
     r"(?P<values>'[^']*'(?:\s*(?:,|y|o)\s*'[^']*')*)", _one_of),
    (r"Si valor del tag es diferente (?:de )?'(?P<value>\w+)' para '[Cc]ódigo de motivo de (?:cargo|descuento)' "
     r"igual a (?P<codes>'\d+'(?:\s*(?:,|y|o)\s*'\d+')*)", _charge_indicator),
    (r"Si existe '[^']+' o existe '[^']+' y no existe el Tag UBL o es vacío", _price_type_required),
    (r"Si (?P<clause>el 'Tipo de documento que modifica' es (?P<modneg>diferente de )?'01',? y )?(?P<not_free>no )?existe "
     r"en la línea un cac:TaxSubtotal con 'Código de tributo por línea' igual a '9996' cuyo 'Monto base' es mayor a cero "
     r"\(cbc:TaxableAmount > 0\), el (?:importe es diferente al resultado de multiplicar|valor difiere del resultado del) "
     r"(?P<rest>.+)", _line_value),
    (r"Si (?P<negated>no )?existe en (?:la misma línea|misma la línea|la línea) un cac:TaxSubtotal con 'Código de "
     r"tributo por línea' igual a '(?P<tax>\d+)' cuyo 'Monto base' es mayor a cero \(cbc:TaxableAmount > 0\)"
     r"(?: \([^)]*\))?(?:,? y 'Código de precio' es (?P<price_negated>diferente de )?'(?P<price>\d+)'(?: \([^)]*\))?)?"
     r"(?:,\s*(?P<rest>(?!y ).+)|\.?)", _line_context),
    (r"El (?:valor del )?Tag UBL es mayor a 0 \(cero\)", _each("not-positive", _not_positive)),
    (r"El formato del (?:Tag UBL|tag) es diferente de decimal \(positivo mayor a cero\) de (?P<i>\d+) enteros y "
     r"hasta (?P<d>\d+) decimales",
     lambda m, row, path: Check(row, "decimal", patterns.each(path, _decimal(int(m["i"]), int(m["d"]), True)))),
    (r"El formato del (?:Tag UBL|tag) es diferente de decimal de (?P<i>\d+) enteros y hasta (?P<d>\d+) decimales",
     lambda m, row, path: Check(row, "decimal-signed", patterns.each(path, _decimal(int(m["i"]), int(m["d"]), False)))),
    (r"El formato del (?:Tag UBL|tag) es diferente (?:de|a) YYYY-MM-DD", _each("date", _is_date)),
    (r"El formato del tag es distinto de año - mes",
     _each("year-month", lambda value, node: bool(re.fullmatch(r"[0-9]{4}\s?-\s?(0[1-9]|1[0-2])", value)))),
    (r"El formato del Tag UBL es diferente a: - (?P<regex>\S+)", _pattern),
    (r"No existe el tag con (?:ID|c[oó]digo(?: igual a)?|valor) (?P<codes>'\d+')'?(?P<any> por lo menos en una línea)?",
     _every_line_has_concept),
    (r"No existe (?P<any>al menos una línea) que contenga (?:simultáneamente )?(?:el código|los códigos) "
     r"(?P<codes>'\d+'(?:\s*(?:,|y)\s*'\d+')*)", _every_line_has_concept),
    (r"Si existe un 'Código del concepto' con valor (?P<present>'\d+'(?: o '\d+')*),? y no existe el tag con "
     r"código '(?P<needed>\d+)'", _concept_needs_concept),
    (r"Si (?:'Código de producto SUNAT'|c[oó]digo producto de sunat) de la linea es '(?P<product>\d+)'"
     r"(?: y (?:el )?indicador de primera vivienda = (?P<indicator>\d+) \(c[oó]digo concepto (?P<concept>\d+)\))?,? "
     r"(?:y )?no existe el tag con c[oó]digo '(?P<needed>\d+)'", _product_needs_concept),
    (r"El 'Código del concepto' es '(?P<concept>\d+)' y el valor del tag es igual a (?P<values>'[^']*'(?: o '[^']*')*),? "
     r"(?:y )?no existe en la misma línea (?:los|un) 'Código del concepto' con valor "
     r"(?P<needed>'\d+'(?:\s*(?:,|y)\s*'\d+')*)(?: \([^)]*\))?", _value_needs_concepts),
    (r"Si el 'Código del concepto' es '(?P<later>\d+)' \([^)]*\) y el valor del tag es menor que el valor consignado "
     r"en el tag con 'Código del concepto' '(?P<earlier>\d+)' \([^)]*\)", _date_not_before),
]]


def _repaired_path(tag: str) -> str | None:
    """The XPath of a tag cell the core cannot read: an unclosed '(description', or a description
    pasted before the path ('Ciudad o lugar de destino - Código de ubigeo/Invoice/…')."""
    start = re.search(r"/(?:Invoice|CreditNote|DebitNote)/", tag)
    if start is None:
        return None
    cell = tag[start.start():]
    cell = re.sub(r"\s*\([^)]*$", "", re.sub(r"\s*\([^)]*\)", "", cell))
    return patterns.tag_to_xpath(cell) if cell != tag else None


def _section_scoped(row: WorkbookRow, path: str) -> str:
    """A property row that names no concept ("Si existe el atributo, el valor es diferente de 'TNE'" on
    cbc:ValueQuantity/@unitCode) applies to the concepts its section names: the rows of the same field
    that say "'Código del concepto' … '3006'".  Without them the path stays as it is."""
    tail = path.partition("cac:AdditionalItemProperty/")[2]
    if not tail.startswith(("cbc:Value", "cac:UsabilityPeriod/")) or "concepto" in row.condition.lower():
        return path
    codes: list[str] = []
    for other in rows(row.sheet):
        if other.field == row.field and other.row != row.row and "cac:AdditionalItemProperty/" in other.tag:
            named = _CONCEPT_HEAD.fullmatch(other.condition.strip().rstrip(". "))
            codes += _codes(named["codes"]) if named else []
    if not codes:
        return path
    predicate = " or ".join(f"cbc:NameCode='{code}'" for code in dict.fromkeys(codes))
    return path.replace("cac:AdditionalItemProperty/", f"cac:AdditionalItemProperty[{predicate}]/", 1)


def _in_family(path: str) -> bool:
    return bool(_LINE.search(path)) and "/cac:TaxTotal" not in path and "/cac:Delivery" not in path


@sentence
def line_item_sentence(row: WorkbookRow, path: str | None) -> Check | None:
    """The check of a line-item row whose wording is one of :data:`SENTENCES` (or a concept row)."""
    if path is None:
        repaired = _repaired_path(row.tag)
        if repaired is None or not _in_family(repaired):
            return None
        check = _concept_row(row, repaired) or patterns.compile_sentence(row, repaired)
        return Check(row, check.kind, check.run, check.path or repaired) if check else None
    if not _in_family(path):
        return None
    concept = _concept_row(row, path)
    if concept is not None:
        return concept
    condition = re.sub(r"^y\s+", "", row.condition.strip().rstrip(". "), flags=re.IGNORECASE)  # "…, y no existe…"
    scoped = _section_scoped(row, path)
    for wording, builder in SENTENCES:
        match = wording.fullmatch(condition)
        if match is not None:
            check = builder(match, row, scoped)
            if check is not None:
                return check if scoped == path or check.path else Check(row, check.kind, check.run, scoped)
    return None


# -- arithmetic --------------------------------------------------------------------------------------------
TOLERANCE = Decimal("1")


def _amount(node: Node, path: str) -> Decimal | None:
    return memo(f"amount {path}", node, lambda element: _read_amount(element, path))


def _read_amount(node: Node, path: str) -> Decimal | None:
    found = xp(node, path)
    return decimal_of(found[0] if isinstance(found[0], str) else found[0].text or "") if found else None


def _lines(root: Node) -> list[Node]:
    return xp(root, _LINES)


def _is_free(line: Node) -> bool:
    """A free line: a 9996 subtotal with a base above zero (as the arithmetic reads it)."""
    return arithmetic._is_free(line)


def _note(line: Node) -> str:
    return f"Error en la linea: {_line_number(line)}"


def _modified_type(root: Node) -> str:
    found = xp(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:DocumentTypeCode/text()")
    return found[0].strip() if found else ""


def _line_adjustments(line: Node, charge: bool, reason: str) -> Decimal:
    if line.find(f"{{{ns.CAC}}}AllowanceCharge") is None:  # most lines: no charge nor discount to add
        return Decimal(0)
    flag = "true" if charge else "false"
    return sum((decimal_of(a) or Decimal(0) for a in xp(line, f"cac:AllowanceCharge[normalize-space(cbc:ChargeIndicator)='{flag}' and "
        f"normalize-space(cbc:AllowanceChargeReasonCode)='{reason}']/cbc:Amount/text()")), Decimal(0))


@python_rule("3290", "Line/cac:Allowancecharge/cbc:Amount")
@python_rule("4289", "Line/cac:Allowancecharge/cbc:Amount", sheets=("boleta",))
def line_charge_is_base_times_factor(root: Node, source: Any) -> Iterator[tuple[str, str, str | None]]:
    """A line's charge or discount with a reason code and a factor above zero = base × factor (± 1)."""
    for line in _lines(root):
        for charge in xp(line, "cac:AllowanceCharge[cbc:AllowanceChargeReasonCode]"):
            factor = _amount(charge, "cbc:MultiplierFactorNumeric")
            base, amount = _amount(charge, "cbc:BaseAmount"), _amount(charge, "cbc:Amount")
            if factor is None or factor <= 0 or base is None or amount is None:
                continue
            if abs(amount - base * factor) > TOLERANCE:
                yield "cac:AllowanceCharge/cbc:Amount", str(amount), _note(line)


def _reference_price_rule(code: str, sheet: str, modifies_factura: bool | None) -> None:
    @python_rule(code, "AlternativeConditionPrice/cbc:PriceAmount", sheets=(sheet,))
    def reference_price_is_price_with_taxes(root: Node, source: Any) -> Iterator[tuple[str, str, str | None]]:
        if modifies_factura is not None and (_modified_type(root) == "01") != modifies_factura:
            return
        for line in _lines(root):
            if _is_free(line):
                continue
            quantity = _amount(line, "cbc:InvoicedQuantity | cbc:CreditedQuantity | cbc:DebitedQuantity")
            value = _amount(line, "cbc:LineExtensionAmount")
            taxes = _amount(line, "cac:TaxTotal/cbc:TaxAmount")
            if not quantity or value is None or taxes is None:
                continue
            outside_base = _line_adjustments(line, True, "48") - _line_adjustments(line, False, "01")
            expected = (value + taxes + outside_base) / quantity
            for price in xp(line, "cac:PricingReference/cac:AlternativeConditionPrice"
                                    "[normalize-space(cbc:PriceTypeCode)='01']/cbc:PriceAmount/text()"):
                actual = decimal_of(price)
                if actual is not None and abs(actual - expected) > TOLERANCE:
                    yield "cac:AlternativeConditionPrice/cbc:PriceAmount", price.strip(), _note(line)

    reference_price_is_price_with_taxes.__doc__ = (
        "The unit price with taxes (Código de precio '01') of a line that is not free = (line value + line taxes − "
        "discounts '01' + charges '48') ÷ quantity (± 1); narrow reading: other price types are not judged.")


_reference_price_rule("3270", "factura", None)
_reference_price_rule("4287", "boleta", None)
_reference_price_rule("3270", "nota_debito", True)
_reference_price_rule("4287", "nota_debito", False)
