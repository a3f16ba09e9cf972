"""Payments, charges and advances: the rows of cac:PaymentTerms (forma de pago, cuotas, detracción,
percepción), cac:PaymentMeans (the Banco de la Nación account of a detracción), cac:PrepaidPayment
(anticipos) and the document-level cac:AllowanceCharge (global charges and discounts, FISE,
percepción, retenciones).

Most of these rows are simple sentences behind a context ("Si 'Indicador' es 'FormaPago', …",
"Si 'Tipo de operación' es '2001' y 'Forma de pago' es 'Contado', …").  They are handled as data:

* :data:`GUARDS` — the contexts this family's rows speak of, registered with the common guards;
* :data:`REWORDINGS` — other wordings of sentences the engine already knows (the "* Validación a
  partir del …" notes, "el valor del tag es diferente al listado", a value condition stated first);
* :data:`SECTIONS` — the workbook groups the rows of one tag by the data item they describe (the
  'field' column): a format row in the "Monto de la percepción" group is about the percepción charge,
  not about every charge of the document, so an unguarded value row is read inside its group;
* a few sentence compilers (a value that must not appear, a tag that must exist somewhere in the
  document, positive amounts, dates) that serve every row worded that way.

Arithmetic and cross-field rows (charge = base × factor, the cuotas add up to the amount due, an
advance names the document it was invoiced on) are Python rules in :mod:`.payments_rules`.
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Callable, Iterator

from lxml import etree

from osemock.cpe import ns
from osemock.cpe.dates import day_of
from osemock.cpe.numbers import decimal_format, decimal_of
from osemock.server.rules.guards import path_steps, GUARDS as _ALL_GUARDS
from osemock.server.rules.guards import Guard, add_guard, insert_predicate, normalise_rest
from osemock.server.rules.patterns import (Check, compile_sentence, each, element_names, needing, root_of, sentence, short,
                                           text, unique, xp, xpath)
from osemock.server.rules.workbook import WorkbookRow

Node = etree._Element
Violations = Iterator[tuple[str, str]]

#: One or more quoted codes: "'51' o '52' o '53' (Percepción)", "'1001', '1002' y '1004'".
CODES = r"'[^']*'(?:\s*\([^)]*\))?(?:(?:,|,? o| y|,? y/o)\s*'[^']*'(?:\s*\([^)]*\))?)*"
_NEGATION = r"(?P<negated>diferente (?:a|de)\s*|distinto (?:a|de)\s*)?"

#: An instalment's identifier, Cuota[0-9]{3}, in XPath 1.0 (which has no regular expressions).
CUOTA = ("starts-with(cbc:PaymentMeansID, 'Cuota') and string-length(cbc:PaymentMeansID) = 8 and "
         "translate(substring(cbc:PaymentMeansID, 6), '0123456789', '') = ''")
CUOTA_ID = re.compile(r"Cuota[0-9]{3}")
BUYER_SCHEME = "cac:AccountingCustomerParty/cac:Party/cac:PartyIdentification/cbc:ID/@schemeID"
_REASON = "cbc:AllowanceChargeReasonCode='{code}'"


def codes_of(wording: str) -> list[str]:
    """The codes of a :data:`CODES` wording, without their descriptions ('2001 - Operación…' → 2001)."""
    return [code.strip() for code in re.findall(r"'\s*([^'\s-][^'-]*?)\s*(?:-[^']*)?'", wording)]


# -- contexts -------------------------------------------------------------------------------------

#: The contexts of this family's rows.  Most specific first; appended after the common guards.
GUARDS = [
    # narrow reading: a forma de pago other than Contado is stated (a missing one is 3244's business)
    Guard(r"Si (?:la )?'Forma de pago' es diferente de 'Contado'", "/*",
          "cac:PaymentTerms[cbc:ID='FormaPago']/cbc:PaymentMeansID[. != 'Contado']"),
    Guard(rf"Si (?:la )?'Forma de pago' es (?:igual a )?{_NEGATION}(?P<codes>{CODES})", "/*",
          "cac:PaymentTerms[cbc:ID='FormaPago']/cbc:PaymentMeansID='{code}'"),
    Guard(rf"Si (?:el )?'Código de tipo de nota de crédito' es (?:igual a )?{_NEGATION}(?P<codes>{CODES})", "/*",
          "cac:DiscrepancyResponse/cbc:ResponseCode='{code}'"),
    Guard(r"Si (?:el )?'Tipo de Documento del adquiriente o usuario' es igual a RUC \(6\)", "/*", f"{BUYER_SCHEME}='6'"),
    Guard(r"Si (?:el )?Tipo de documento de identidad del receptor del comprobante \([^)]*\) es diferente de 6-RUC",
          "/*", f"not({BUYER_SCHEME}='6')"),
    Guard(r"(?:Si )?\"Tipo de moneda\" del comprobante es \"PEN\"", "/*", "cbc:DocumentCurrencyCode='PEN'"),
    Guard(rf"Si existe un tag cac:PaymentTerms con cbc:ID igual a 'FormaPago' y con (?:'Forma de pago' igual a|valor "
          rf"del tag igual a) (?P<codes>{CODES})", "cac:PaymentTerms", "cbc:ID='FormaPago' and cbc:PaymentMeansID='{code}'"),
    Guard(r"Si existe un tag cac:PaymentTerms con cbc:ID igual a 'FormaPago' y (?:con valor del tag con formato:|el "
          r"formato del '?Identificador de la cuota'? es:) Cuota\[0-9\]\{3\}", "cac:PaymentTerms",
          f"cbc:ID='FormaPago' and {CUOTA}"),
    Guard(rf"Si \"Código de motivo de cargo/descuento\" es (?:igual a )?{_NEGATION}(?P<codes>{CODES})",
          "cac:AllowanceCharge", _REASON),
    # The workbook writes the indicator 'Percepción'; documents carry it as cbc:ID 'Percepcion'.
    Guard(r"Si existe el atributo y el \"Indicador\" \(/Invoice/cac:PaymentTerms/cbc:ID\) es 'Percepci[óo]n'",
          "cac:PaymentTerms", "cbc:ID='Percepcion'"),
    Guard(rf"Si 'Tipo de comprobante que se realizó el anticipo' es (?P<codes>{CODES})", "cac:AdditionalDocumentReference",
          "cbc:DocumentTypeCode='{code}'"),
    Guard(r"Si 'Tipo de documento del emisor del anticipo' existe y 'Tipo de comprobante que se realizo el anticipo' es "
          r"'?02'? \(Factura\)", "cac:AdditionalDocumentReference",
          "cac:IssuerParty/cac:PartyIdentification/cbc:ID/@schemeID and cbc:DocumentTypeCode='02'"),
    Guard(r"Si 'Tipo de documento del emisor del anticipo' existe y 'Tipo de comprobante que se realizo el anticipo' es "
          r"'?03'? \(Boleta\)", "cac:AdditionalDocumentReference",
          "cac:IssuerParty/cac:PartyIdentification/cbc:ID/@schemeID and cbc:DocumentTypeCode='03'"),
    Guard(r"Si existe identificador de pago \(cbc:DocumentStatusCode\)", "cac:AdditionalDocumentReference", "cbc:DocumentStatusCode"),
    # A percepción is always in soles (2792, 2788), whatever the document's currency: the rows that want
    # a charge in the document's currency are about the other charges.
    Guard(r"Si existe el atributo(?=, el valor (?:del atributo )?es diferente al ingresado en 'Tipo de moneda')",
          "cac:AllowanceCharge", "not(" + " or ".join(_REASON.format(code=c) for c in ("51", "52", "53")) + ")"),
    Guard(r"Si existe 'Indicador de cargo(?:/descuento)?'", "cac:AllowanceCharge", "cbc:ChargeIndicator"),
    Guard(r"Si 'Importe del anticipo' existe", "cac:PrepaidPayment", "cbc:PaidAmount"),
]
for _guard in GUARDS:
    add_guard(_guard)

#: The data item ('field' column) a group of rows describes → the step and predicate it is about.
SECTIONS: list[tuple[str, str, str]] = [
    (r"^Monto de la percepción", "cac:AllowanceCharge", " or ".join(_REASON.format(code=c) for c in ("51", "52", "53"))),
    (r"^FISE", "cac:AllowanceCharge", _REASON.format(code="45")),
    (r"Porcentaje de la retención", "cac:AllowanceCharge", _REASON.format(code="62")),
    (r"Renta de segunda categoría", "cac:AllowanceCharge", _REASON.format(code="63")),
    (r"^Monto total incluido la percepción", "cac:PaymentTerms", "cbc:ID='Percepcion'"),
    (r"detracción$", "cac:PaymentTerms", "cbc:ID='Detraccion'"),
    (r"^Número de cuenta en el Banco de la Nación", "cac:PaymentMeans", "cbc:ID='Detraccion'"),
    (r"^(?:Forma de pago|Monto del pago único o de las cuotas)", "cac:PaymentTerms", "cbc:ID='FormaPago'"),
    (r"^Importe del anticipo$", "cac:AdditionalDocumentReference", "cbc:DocumentStatusCode"),
]
#: The tags that say which group a node belongs to: never read inside a group.
_DISCRIMINATORS = ("cac:PaymentTerms/cbc:ID", "cac:PaymentMeans/cbc:ID", "cac:AllowanceCharge/cbc:ChargeIndicator",
                   "cac:AllowanceCharge/cbc:AllowanceChargeReasonCode", "cac:AdditionalDocumentReference/cbc:DocumentTypeCode",
                   "cac:AdditionalDocumentReference/cbc:DocumentStatusCode")
_FAMILY_STEPS = ("cac:PaymentTerms", "cac:PaymentMeans", "cac:PrepaidPayment", "cac:AllowanceCharge")
_ADVANCE_DOCUMENT, _ADVANCE_GROUP = "cac:AdditionalDocumentReference", "Importe del anticipo"


steps = path_steps


def _plain(step: str) -> str:
    return step.split("[", 1)[0]


def in_family(path: str | None, row: WorkbookRow) -> bool:
    """Whether ``path`` is one of this family's document-level nodes (the references of the documents
    that carried the advances count, in their "Importe del anticipo" group)."""
    if not path:
        return False
    parts = steps(path)
    if len(parts) < 3 or _plain(parts[1]) != "*":
        return False
    return _plain(parts[2]) in _FAMILY_STEPS or (_plain(parts[2]) == _ADVANCE_DOCUMENT and row.field == _ADVANCE_GROUP)


def section_path(row: WorkbookRow, path: str) -> str | None:
    """``path`` read inside the group of rows ``row`` belongs to, or ``None`` when that changes nothing."""
    if "[" in path or any(path.endswith(tag) for tag in _DISCRIMINATORS):
        return None
    for wording, step, predicate in SECTIONS:
        if re.search(wording, row.field):
            return insert_predicate(path, step, predicate) if f"/{step}/" in path else None
    return None


def _row(row: WorkbookRow, condition: str) -> WorkbookRow:
    return WorkbookRow(row.sheet, row.row, row.field, row.tag, condition, row.severity, row.code, row.listado)


# -- other wordings of known sentences -------------------------------------------------------------

#: (wording, rewrite, attributes only): the rewrite is compiled in the row's place.
REWORDINGS: list[tuple[str, str, bool]] = [
    (r"(?P<s>.+?)\s*\*\s*Validación a partir del \d{2}/\d{2}/\d{4} es ERROR", "{s}", False),
    (r"(?:,|[Yy])\s+(?P<s>.+)", "{s}", False),
    # "Si 'A' es 'x' y 'B' es 'y', …": the common guards would read "'x' y 'B'" as two codes of A
    (r"(?P<a>Si .+?'[^']*'(?:\s*\([^)]*\))?) y (?P<b>'[^']+' es .+)", "{a}, y {b}", False),
    (r"(?:Si )?[Ee]xiste el Tag UBL, (?P<s>.+)", "{s}", False),
    (r"El valor del tag es (?:diferente al listado|distinto a los valores del catálogo \d+)",
     "El valor del Tag UBL es diferente al listado", False),
    (r"El valor ingresado es diferente a '(?P<v>[^']*)'", "Si existe el atributo, el valor ingresado es diferente a '{v}'", True),
    (r"El valor (?:del atributo )?es diferente al ingresado en 'Tipo de moneda'",
     "Si existe el atributo, el valor es diferente al ingresado en 'Tipo de moneda'", True),
    (r"(?:[Ll]a |[Ee]l )?(?P<s>'[^']+' es .+)", "Si {s}", False),
    # two conditions on the same cac:PaymentTerms: one guard that says both
    (r"Si el 'Indicador' es 'FormaPago',? y el formato del '?Identificador de la cuota'? es:? Cuota\[0-9\]\{3\} y (?P<s>.+)",
     "Si existe un tag cac:PaymentTerms con cbc:ID igual a 'FormaPago' y el formato del 'Identificador de la cuota' es: "
     "Cuota[0-9]{{3}}, {s}", False),
    (rf"Si el valor del tag es (?:igual a )?(?P<c>{CODES}) y (?:el )?(?P<s>.+)", "Si {s}, el valor del Tag UBL es igual a {c}",
     False),
    (rf"El valor del tag es igual a (?P<c>{CODES}), (?:la |el )?(?P<s>'.+)", "Si {s}, el valor del Tag UBL es igual a {c}",
     False),
    (rf"(?P<s>.+), cuando el código de motivo de cargo (?:es )?igual a (?P<c>{CODES})",
     "Si 'Código de motivo de cargo/descuento' es {c}, {s}", False),
]


@sentence
def root_condition_after_root_condition(row: WorkbookRow, path: str | None) -> Check | None:
    """Two conditions on the document ('Tipo de operación' and 'Forma de pago'): the second is compiled
    on the bare path and run only on documents that satisfy the first."""
    if not in_family(path, row) or not path.startswith("/*[") or not row.condition.startswith("Si "):
        return None
    if not any(guard.step == "/*" and guard.regex.fullmatch(row.condition.strip()) for guard in _ALL_GUARDS):
        return None
    root_step = steps(path)[1]
    bare = "/*" + path[len("/" + root_step):]
    check = compile_sentence(row, bare)
    if check is None:
        return None
    condition = xpath(f"/{root_step}")
    assert condition is not None

    def run(root: Node, source: Any = None) -> Violations:
        if condition(root):
            yield from check.run(root, source)
    inner = check.path or bare
    return Check(row, check.kind, run, f"/{root_step}{inner[2:]}")


@sentence
def read_inside_its_group(row: WorkbookRow, path: str | None) -> Check | None:
    """An unguarded value row of a group (percepción, detracción, forma de pago…) judges that group's nodes."""
    if not in_family(path, row):
        return None
    scoped = section_path(row, path)
    return compile_sentence(row, scoped) if scoped else None


@sentence
def reworded(row: WorkbookRow, path: str | None) -> Check | None:
    """A sentence the engine knows, worded otherwise (see :data:`REWORDINGS`)."""
    if not in_family(path, row):
        return None
    condition = row.condition.strip().rstrip(". ").strip()
    for wording, rewrite, attributes_only in REWORDINGS:
        match = re.fullmatch(wording, condition, re.DOTALL)
        if match is None or (attributes_only and "/@" not in path):
            continue
        new = normalise_rest(rewrite.format(**match.groupdict()))
        if new != condition:
            check = compile_sentence(_row(row, new), path)
            if check is not None:
                return Check(row, check.kind, check.run, check.path or path)
    return None


# -- value sentences -------------------------------------------------------------------------------

def _decimal(value: str, integers: int, decimals: int) -> Decimal | None:
    if not decimal_format(integers, decimals).fullmatch(value):
        return None
    return Decimal(value)


def _strictly_positive(match: re.Match[str]) -> Callable[[str, Node], bool]:
    integers, decimals = int(match["i"]), int(match["d"])

    def judge(value: str, node: Node) -> bool:
        amount = _decimal(value, integers, decimals)
        return amount is not None and amount > 0
    return judge


def _allowed(match: re.Match[str]) -> Callable[[str, Node], bool]:
    patterns = [re.escape(item).replace(re.escape("[0-9]{3}"), r"\d{3}") for item in re.findall(r"-\s*(\S+)", match["items"])]
    allowed = re.compile("|".join(patterns))
    return lambda value, node: bool(allowed.fullmatch(value))


def _any_pattern(match: re.Match[str]) -> Callable[[str, Node], bool]:
    """The workbook's list of regular expressions ("- [F][A-Z0-9]{3}-[0-9]{1,8} - (E001)-[0-9]{1,8}")."""
    allowed = re.compile("|".join(f"(?:{item})" for item in re.findall(r"-\s*(\S+)", match["items"])))
    return lambda value, node: bool(allowed.fullmatch(value))


def _names_an_advance(value: str, node: Node) -> bool:
    """The payment identifier of an advance's document is one of the document's cac:PrepaidPayment."""
    return value in {text(n) for n in xp(root_of(node), "cac:PrepaidPayment/cbc:ID")}


def _positive(value: str, node: Node) -> bool:
    amount = decimal_of(value)
    return amount is None or amount > 0  # a malformed amount is the format rows' business


def _after_issue(value: str, node: Node) -> bool:
    due, issued = day_of(value), day_of(root_of(node).findtext(f"{{{ns.CBC}}}IssueDate"))
    return due is None or issued is None or due > issued  # a malformed date is the format rows' business


def _not_above_total(value: str, node: Node) -> bool:
    total = root_of(node).xpath("cac:LegalMonetaryTotal/cbc:PayableAmount/text()", namespaces=ns.UBL)
    amount, payable = decimal_of(value), decimal_of(total[0]) if total else None
    return amount is None or payable is None or amount <= payable


#: (wording, kind, judge factory taking the match): "each node's value must pass the judge".
VALUE_SENTENCES: list[tuple[str, str, Callable[[re.Match[str]], Callable[[str, Node], bool]]]] = [
    (rf"El valor del (?:tag|Tag UBL) es igual a (?P<codes>{CODES})", "forbidden-value",
     lambda m: (lambda value, node, banned=frozenset(codes_of(m["codes"])): value not in banned)),
    (r"El valor del tag es diferente (?:a|de) '(?P<v>[^']*)'", "fixed-value",
     lambda m: (lambda value, node, expected=m["v"]: value == expected)),
    (r"El valor del tag es diferente de:(?P<items>(?:\s*-\s*\S+)+)", "catalog", _allowed),
    (r"El formato del Tag UBL es diferente a:(?P<items>(?:\s*-\s*\S+)+)", "catalog", _any_pattern),
    (rf"El valor del tag UBL es diferente a (?P<codes>{CODES})", "catalog",
     lambda m: (lambda value, node, allowed=frozenset(codes_of(m["codes"])): value in allowed)),
    (r"No existe un '(?:Importe del anticipo|Monto anticipado)' con 'Identificador de pago' igual al valor del tag UBL",
     "matched", lambda m: _names_an_advance),
    (r"(?:Si el Tag UBL existe, )?[Ee]l formato del Tag UBL es diferente de decimal \(positivo mayor a cero\) de "
     r"(?P<i>\d+) enteros y hasta (?P<d>\d+) decimales", "decimal-nonzero", _strictly_positive),
    (r"El valor del Tag Ubl es 0 \(cero\)", "nonzero", lambda m: (lambda value, node: decimal_of(value) != 0)),
    (r"Es menor o igual a 0 \(cero\)", "positive", lambda m: _positive),
    (r"El formato es diferente de YYYY-MM-DD", "date-format",
     lambda m: (lambda value, node: bool(re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value)))),
    (r"El valor del (?:tag|Tag) UBL es menor o igual a la 'Fecha de emisión' \(/Invoice/cbc:IssueDate\)", "after-issue",
     lambda m: _after_issue),
    (r"El valor del (?:tag|Tag) UBL es mayor (?:a|al) (?:\"Importe total\"|'Importe total de la venta, cesión en uso o del "
     r"servicio prestado' \(/Invoice/cac:LegalMonetaryTotal/cbc:PayableAmount\))", "not-above-total",
     lambda m: _not_above_total),
]


@sentence
def value_sentence(row: WorkbookRow, path: str | None) -> Check | None:
    """A judgement of each node's value (see :data:`VALUE_SENTENCES`)."""
    if not in_family(path, row):
        return None
    condition = row.condition.strip().rstrip(". ").strip()
    for wording, kind, factory in VALUE_SENTENCES:
        match = re.fullmatch(wording, condition)
        if match:
            return Check(row, kind, each(path, factory(match)), path)
    return None


def _required_nonzero(path: str) -> Callable[[Node, Any], Violations]:
    parent_path, _, child = path.rpartition("/")
    holders, step = xpath(parent_path), xpath(child)
    assert holders is not None and step is not None

    def run(root: Node, source: Any = None) -> Violations:
        for holder in holders(root):
            values = [text(node) for node in step(holder)]
            if not values or any(decimal_of(value) == 0 for value in values):
                yield short(path), values[0] if values else ""
    return run


@sentence
def required_and_nonzero(row: WorkbookRow, path: str | None) -> Check | None:
    """'El valor del tag UBL es igual a 0 o no existe': the tag must be there, and not zero."""
    if in_family(path, row) and row.condition.strip().rstrip(". ") == "El valor del tag UBL es igual a 0 o no existe":
        return Check(row, "required", _required_nonzero(path), path)
    return None


def _attribute_equal(path: str, expected: str) -> Callable[[Node, Any], Violations]:
    owner_path, _, attribute = path.rpartition("/@")
    owners = xpath(owner_path)
    assert owners is not None

    def run(root: Node, source: Any = None) -> Violations:
        for owner in owners(root):
            value = (owner.get(attribute) or "").strip()
            if value != expected:
                yield short(path), value
    return run


@sentence
def attribute_required_with_value(row: WorkbookRow, path: str | None) -> Check | None:
    """'Si el atributo del Tag UBL no existe o es diferente a 6 (RUC)': every owner carries it, with that value."""
    match = re.fullmatch(r"Si el atributo del Tag UBL no existe o es diferente a (\w+)(?: \([^)]*\))?", row.condition.strip())
    if match is None or not in_family(path, row) or "/@" not in path:
        return None
    return Check(row, "fixed-value", _attribute_equal(path, match[1]), path)


# -- presence and repetition -------------------------------------------------------------------------

_ABSENT = re.compile(rf"[Nn]o existe (?:al menos )?un (?:tag )?(?P<agg>cac:\w+) con (?P<field>cbc:\w+) (?:con valor )?igual a "
                     rf"(?P<codes>{CODES})(?: y con valor del tag igual a (?P<values>{CODES}))?")
_ABSENT_REASON = re.compile(rf"[Nn]o existe un 'Código de motivo de cargo/descuento' igual a (?P<codes>{CODES})")


def _context(path: str) -> str:
    """The part of ``path`` its conditions are about: up to the last step that carries a predicate."""
    parts = steps(path)
    last = max((i for i, step in enumerate(parts) if "[" in step), default=1)
    return "/".join(parts[:last + 1])


@sentence
def required_in_document(row: WorkbookRow, path: str | None) -> Check | None:
    """'…no existe (al menos) un cac:X con cbc:Y igual a V': when the row's context holds, the document
    must carry such an aggregate."""
    if not in_family(path, row):
        return None
    condition = row.condition.strip().rstrip(". ")
    match = _ABSENT.fullmatch(condition)
    if match:
        predicate = " or ".join(f"{match['field']}='{code}'" for code in codes_of(match["codes"]))
        if match["values"]:
            own = path.rsplit("/", 1)[1]
            predicate = f"({predicate}) and ({' or '.join(f'{own}=' + repr(v) for v in codes_of(match['values']))})"
        wanted = f"/*/{match['agg']}[{predicate}]"
    elif _ABSENT_REASON.fullmatch(condition):
        reasons = codes_of(_ABSENT_REASON.fullmatch(condition)["codes"])
        wanted = "/*/cac:AllowanceCharge[" + " or ".join(_REASON.format(code=c) for c in reasons) + "]"
    else:
        return None
    context, present = xpath(_context(path)), xpath(wanted)
    if context is None or present is None:
        return None

    def run(root: Node, source: Any = None) -> Violations:
        if context(root) and not present(root):
            yield short(path), ""
    return Check(row, "presence", run, path)


def _repeated_among(path: str, aggregate: str) -> Callable[[Node, Any], Violations]:
    """Every value of ``path`` that an earlier ``aggregate`` (a step of the path) already holds: the
    aggregates are counted, not the values (see :data:`DISTINCT`)."""
    parts = steps(path)
    cut = max(index for index, part in enumerate(parts) if _plain(part) == aggregate) + 1
    holders, values = xpath("/".join(parts[:cut])), xpath("/".join(parts[cut:]))
    assert holders is not None and values is not None

    def run(root: Node, source: Any = None) -> Violations:
        earlier: set[str] = set()
        for holder in holders(root):
            own = [text(node) for node in values(holder)]
            for value in own:
                if value in earlier:
                    yield short(path), value
            earlier.update(own)
    return needing(element_names(path), run)  # no such aggregate, nothing to repeat


def _single_per_holder(path: str) -> Callable[[Node, Any], Violations]:
    parent_path, _, child = path.rpartition("/")
    holders, step = xpath(parent_path), xpath(child)
    assert holders is not None and step is not None

    def run(root: Node, source: Any = None) -> Violations:
        for holder in holders(root):
            found = step(holder)
            if len(found) > 1:
                yield short(path), text(found[1])
    return run


#: Values that may appear once among the nodes a row selects (in its group, see :data:`SECTIONS`).  A
#: wording that names the aggregate it counts (``among``: "más de un tag cac:PaymentTerms … con el mismo
#: valor") counts those: a value given twice inside one of them is no repetition among them (two
#: cbc:PaymentMeansID in one term are "más de un tag … dentro del mismo cac:PaymentTerms", 3461).
DISTINCT = [
    r"Si existe más de (?:un )?'Identificador de pago' con el mismo valor",
    r"Existe más de un comprobante de anticipo con el mismo identificador de pago en el comprobante",
    r"Si existe más de un tag (?P<among>cac:PaymentTerms) con cbc:ID igual a '\w+' y con el mismo valor del tag "
    r"cbc:PaymentMeansID \(se repite\)",
]


@sentence
def repeated(row: WorkbookRow, path: str | None) -> Check | None:
    """A value that may appear once in the document (a payment identifier, a forma de pago or cuota), or
    a tag that may appear once in its aggregate ("más de un tag cbc:PaymentMeansID dentro del mismo
    cac:PaymentTerms": read inside the row's group, the formas de pago)."""
    if not in_family(path, row):
        return None
    condition = row.condition.strip().rstrip(". ")
    for wording in DISTINCT:
        match = re.fullmatch(wording, condition)
        if match and match.groupdict().get("among"):
            return Check(row, "distinct", _repeated_among(path, match["among"]), path)
        if match:
            return Check(row, "distinct", unique(path), path)
    match = re.fullmatch(r"Si existe más de un tag (cbc:\w+) dentro del mismo (cac:\w+)", condition)
    parts = steps(path)
    if match and parts[-1] == match[1] and _plain(parts[-2]) == match[2]:
        return Check(row, "single", _single_per_holder(path), path)
    return None


_INDICATOR = re.compile(rf"Si valor del tag es diferente (?:de )?'(?P<value>true|false)' para .*?igual a (?P<codes>{CODES})")


@sentence
def charge_indicator(row: WorkbookRow, path: str | None) -> Check | None:
    """'Si valor del tag es diferente de 'true' para 'Código de motivo de cargo' igual a '45', …': the
    indicator of the charges and discounts of those reasons."""
    match = _INDICATOR.fullmatch(row.condition.strip().rstrip(". "))
    if match is None or not in_family(path, row) or not path.endswith("cac:AllowanceCharge/cbc:ChargeIndicator"):
        return None
    reasons = " or ".join(_REASON.format(code=code) for code in codes_of(match["codes"]))
    guarded = insert_predicate(path, "cac:AllowanceCharge", reasons)
    expected = match["value"]
    return Check(row, "guarded:fixed-value", each(guarded, lambda value, node: value == expected), guarded)
