"""References, discrepancies and deliveries: the rows about cac:BillingReference,
cac:DiscrepancyResponse, cac:AdditionalDocumentReference, cac:DespatchDocumentReference and
cac:Delivery, and the rows of the notes' sheets that depend on the note's type (catálogo 09/10).

Most of these rows are a context ("Si 'Código de tipo de nota de crédito' es '13'", "Si la Serie del
comprobante empieza con 'F'", "Si 'Tipo de operación' es igual a '1004'") followed by a sentence the
core knows or one of the few this family adds (a list of allowed values, a list of allowed formats, a
repeated reference).  Contexts about the element itself become guards (:mod:`guards`); the note type,
which SUNAT words in several ways (quoted or not, with or without its name), is a sentence here that
puts a predicate on the document root and compiles the rest of the condition.

Only rows of this family are compiled here (:func:`_mine`), so the generic sentences below cannot
take over another family's rows.  Python is kept for what needs the store of a running mock (the
modified document or advance: 3218, 3260, 4368) or arithmetic (a type-13 note's instalments, 3319).
"""
from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from typing import Any, Callable

from osemock.cpe import ns
from osemock.cpe.errors import SunatError
from osemock.cpe.numbers import correlativo, decimal_of
from osemock.cpe.xmlparse import parse_xml
from osemock.server.rules import backend, patterns
from osemock.server.rules.arithmetic import TOLERANCE
from osemock.server.rules.backend import python_rule
from osemock.server.rules.catalogs import catalog
from osemock.server.rules.guards import (_CODES, _NEGATION, Guard, add_guard, insert_predicate, judged_in_document,
                                        normalise_rest, path_steps, required_in_document)
from osemock.server.rules.patterns import Check, Node, Violations, sentence
from osemock.server.rules.workbook import WorkbookRow, rows
from osemock.server.rules.patterns import xp

_TAGS = ("cac:BillingReference", "cac:DiscrepancyResponse", "cac:AdditionalDocumentReference",
         "cac:DespatchDocumentReference", "cac:Delivery")
_NOTE_TYPE = "cac:DiscrepancyResponse/cbc:ResponseCode"


@lru_cache(maxsize=None)
def _family_rows() -> frozenset[tuple[str, int]]:
    """The (sheet, row) of every row of this family: its tag is a reference, discrepancy or delivery,
    or it is a note's row that depends on the note's type."""
    found = set()
    for sheet in ("factura", "boleta", "nota_credito", "nota_debito"):
        for row in rows(sheet):
            about_note_type = sheet.startswith("nota") and re.search(r"tipo de nota de (?:crédito|débito)", row.condition,
                                                                     re.IGNORECASE)
            if any(tag in row.tag for tag in _TAGS) or about_note_type:
                found.add((sheet, row.row))
    return frozenset(found)


def _mine(row: WorkbookRow) -> bool:
    return (row.sheet, row.row) in _family_rows()


def _reworded(row: WorkbookRow, condition: str) -> WorkbookRow:
    return WorkbookRow(row.sheet, row.row, row.field, row.tag, condition, row.severity, row.code, row.listado)


# -- guards: contexts about the reference itself ----------------------------------------------------
_SERIE = "normalize-space(cbc:ID)"
for _guard in (
    # "Si documento que se modifica es una factura (Tipo de documento que modifica es '01')",
    # "Si la nota de crédito modifica un Documento autorizado (tipo de comprobante '05', '06', …)"
    Guard(r"Si (?:el )?(?:documento que se modifica es|la nota(?: de)? (?:crédito|débito) modifica) (?:a )?una? [^(]+?"
          rf"\((?:Tipo de documento que modifica es|tipo de comprobante) {_CODES}\)",
          "cac:InvoiceDocumentReference", "cbc:DocumentTypeCode='{code}'"),
    Guard(r"Si 'Tipo de comprobante que modifica' es vacío o guion", "cac:InvoiceDocumentReference",
          "normalize-space(cbc:DocumentTypeCode)='' or normalize-space(cbc:DocumentTypeCode)='-'"),
    # "la Serie del comprobante" is the note's own serie (its cbc:ID): the workbook says "Serie del
    # documento que modifica" when it means the reference's, and 2116/2399 say what a note of serie
    # F or B may modify
    Guard(r"(?:Si )?la Serie del comprobante empieza con ['\"]F['\"]", "/*", f"starts-with({_SERIE},'F')"),
    Guard(r"(?:Si )?la Serie del comprobante empieza con ['\"]B['\"]", "/*", f"starts-with({_SERIE},'B')"),
    Guard(r"(?:Si )?la Serie del comprobante empieza con número", "/*",
          f"{_SERIE}!='' and translate(substring({_SERIE},1,1),'0123456789','')=''"),
    Guard(r"Si existe el [\"']Número de la guía de remisión relacionada[\"']", "cac:DespatchDocumentReference",
          "normalize-space(cbc:ID)!=''"),
    Guard(r"Si existe el [\"']Número de otro documento relacionado[\"']", "cac:AdditionalDocumentReference",
          "normalize-space(cbc:ID)!=''"),
    Guard(r"[\"']Tipo de otro documento relacionado[\"'] es '?99'?", "cac:AdditionalDocumentReference",
          "cbc:DocumentTypeCode='99'"),
    # advance payments (anticipos) listed as related documents
    Guard(r"Si existe identificador de pago \(cbc:DocumentStatusCode\)", "cac:AdditionalDocumentReference",
          "cbc:DocumentStatusCode"),
    Guard(rf"Si 'Tipo de comprobante que se realizó el anticipo' es (?:igual a )?{_NEGATION}{_CODES}",
          "cac:AdditionalDocumentReference", "cbc:DocumentTypeCode='{code}'"),
    Guard(r"Si 'Tipo de documento del emisor del anticipo' existe y 'Tipo de comprobante que se realizo el anticipo' "
          r"es '?02'? \(Factura\)", "cac:AdditionalDocumentReference",
          "cac:IssuerParty/cac:PartyIdentification/cbc:ID/@schemeID and cbc:DocumentTypeCode='02'"),
    Guard(r"Si 'Tipo de documento del emisor del anticipo' existe y 'Tipo de comprobante que se realizo el anticipo' "
          r"es '?03'? \(Boleta\)", "cac:AdditionalDocumentReference",
          "cac:IssuerParty/cac:PartyIdentification/cbc:ID/@schemeID and cbc:DocumentTypeCode='03'"),
):
    add_guard(_guard)


# -- the note's type --------------------------------------------------------------------------------
_NOTE_CODE = r"'?\d\d(?:-[^',]*)?'?(?:\s*\([^)]*\))?"
_NOTE_TYPE_CLAUSE = re.compile(
    r"Si (?:el )?[\"']Código (?:de )?tipo de nota de (?:crédito|débito)[\"'] es (?:igual a )?"
    rf"(?P<negated>diferente (?:a|de) )?(?P<codes>{_NOTE_CODE}(?:(?:,|,? o| y)\s*{_NOTE_CODE})*)"
    r"(?-i:\s+[A-ZÁÉÍÓÚ][^,'\"]*(?=,))?(?:,\s*|\s+y\s+)(?P<rest>.+)", re.IGNORECASE | re.DOTALL)
_VALUE_THEN_NOTE_TYPE = re.compile(r"Si valor Tag UBL es '(?P<value>\d+)' y 'Código de tipo de nota de (?:crédito|débito)' es "
                                   r"diferente de '(?P<code>\d\d)'")
_LINE_TAX_CLAUSE = re.compile(r"Si 'Código de tributo por línea' es '?(?P<code>\d{4})'?(?:\s*\([^)]*\))?,\s*(?P<rest>.+)",
                              re.DOTALL)


@sentence
def note_type_context(row: WorkbookRow, path: str | None) -> Check | None:
    """"Si 'Código de tipo de nota de crédito' es '13' y …", "Si "Código de tipo de nota de débito" es 12
    (IVAP), …": the rest of the condition, judged only in notes of (or not of) those types."""
    if path is None or not _mine(row) or not path.startswith("/*"):
        return None
    cond = row.condition.strip().rstrip(". ")
    reverse = _VALUE_THEN_NOTE_TYPE.fullmatch(cond)
    if reverse:  # "Si valor Tag UBL es '17' y 'Código de tipo de nota de crédito' es diferente de '12'"
        value = reverse["value"]
        guarded = insert_predicate(path, "/*", f"not({_NOTE_TYPE}='{reverse['code']}')")
        return guarded and Check(row, "note-type:value-listed", patterns.each(guarded, lambda v, node: v != value), guarded)
    match = _NOTE_TYPE_CLAUSE.fullmatch(cond)
    if match is None:
        return None
    codes = re.findall(r"\d\d", re.sub(r"\([^)]*\)|-[^',]*", "", match["codes"]))
    predicate = " or ".join(f"{_NOTE_TYPE}='{code}'" for code in codes)
    if match["negated"]:
        predicate = f"not({predicate})"
    guarded = insert_predicate(path, "/*", predicate)
    check = guarded and patterns.compile_sentence(_reworded(row, normalise_rest(match["rest"])), guarded)
    if not check:
        return None
    return Check(row, f"note-type:{check.kind.rpartition(':')[2]}", check.run, check.path or guarded)


@sentence
def line_tax_context(row: WorkbookRow, path: str | None) -> Check | None:
    """"Si 'Código de tributo por línea' es 1016 (IVAP), …" with the tax code unquoted (the core guard
    wants it quoted): the rest, judged inside that tax's subtotals only."""
    if path is None or not _mine(row) or "cac:TaxSubtotal/" not in path:
        return None
    match = _LINE_TAX_CLAUSE.fullmatch(row.condition.strip().rstrip(". "))
    if match is None:
        return None
    guarded = insert_predicate(path, "cac:TaxSubtotal", f"cac:TaxCategory/cac:TaxScheme/cbc:ID='{match['code']}'")
    rest = match["rest"]
    rest = "Si " + rest if rest.startswith(("'", '"')) else normalise_rest(rest)
    check = guarded and patterns.compile_sentence(_reworded(row, rest), guarded)
    return Check(row, check.kind, check.run, check.path or guarded) if check else None


# -- rest of a guarded condition, as SUNAT words it after the guard ---------------------------------
_REQUIRED = {"No existe el Tag UBL o es vacío": False, "No existe el Tag UBL": True}


@sentence
def guarded_rest(row: WorkbookRow, path: str | None) -> Check | None:
    """The rest of a guarded condition that still carries a connective or another wording of a simple
    sentence ("y no existe el tag o es vacio", "si el Tag UBL no existe o es vacio", "el tag existe, el
    formato…", "'Tipo de operación' es diferente de '0201' y '0208', el valor…")."""
    if path is None or not _mine(row):
        return None
    cond = row.condition.strip().rstrip(". ")
    rest = None
    if re.match(r"y\s", cond, re.IGNORECASE):
        rest = normalise_rest(cond[2:])
    elif re.match(r"si el tag ubl no existe o es vac[ií]o$", cond, re.IGNORECASE):
        rest = "No existe el Tag UBL o es vacío"
    elif re.match(r"el tag ubl no existe o es vac[ií]o$", cond, re.IGNORECASE):
        rest = "No existe el Tag UBL o es vacío"
    elif match := re.match(r"el (?:tag|Tag UBL)(?: existe)?,\s*(.+)", cond, re.IGNORECASE | re.DOTALL):
        rest = "Si el Tag UBL existe, " + match[1]
    elif match := re.match(r"el atributo existe,\s*(.+)", cond, re.IGNORECASE | re.DOTALL):
        rest = normalise_rest(match[1])
    elif cond.startswith(("'", '"')):
        rest = "Si " + cond
    elif re.fullmatch(r"El Tag UBL es vacío", cond, re.IGNORECASE):
        rest = "Si existe el tag y es vacío"
    elif re.fullmatch(r"existe tipo de carga, y no existe el tag", cond, re.IGNORECASE):
        rest = "No existe el Tag UBL"  # cbc:AttributeID (the type of load) is mandatory in its dimension
    if rest is None or rest == cond:
        return None
    if rest in _REQUIRED:
        path = _referential(row, path)
        if judged_in_document(path):  # "Si 'Tipo de operación' es '0201' o '0208', si el Tag UBL no existe…"
            return Check(row, "guarded:required-in-document", required_in_document(path, allow_empty=_REQUIRED[rest]), path)
        return Check(row, "required", _required_here(path, allow_empty=_REQUIRED[rest]), path)
    check = patterns.compile_sentence(_reworded(row, rest), _referential(row, path))
    return Check(row, check.kind, check.run, check.path or _referential(row, path)) if check else None


_steps = path_steps


def _required_here(path: str, allow_empty: bool) -> patterns.Runner:
    """Required under each node of the path's parent, as the core's "No existe el Tag UBL", except that
    a line of an address (cac:AddressLine, which the schema never lets go without its cbc:Line) is
    required of the address itself, so the rule can fire."""
    steps = _steps(path)
    cut = -3 if len(steps) > 3 and steps[-2] == "cac:AddressLine" else -1
    anchors, tail = patterns.xpath("/".join(steps[:cut])), patterns.xpath("/".join(steps[cut:]))
    assert anchors is not None and tail is not None

    def run(root: Node, source: Any = None) -> Violations:
        for anchor in anchors(root):
            found = tail(anchor)
            if not found or (not allow_empty and not any(patterns.text(node) for node in found)):
                yield patterns.short(path), ""
    return patterns.needing(patterns.element_names("/".join(steps[:cut])), run)  # no anchor, nothing to require


def _referential(row: WorkbookRow, path: str) -> str:
    """A referential value of a 1004 line (cac:DeliveryTerms/cbc:Amount) belongs to the referential
    type of the row that opens its block ("…tipo valor referencial = 02"): SUNAT lists the same tag
    once per type."""
    if "cac:Delivery/cac:DeliveryTerms/cbc:Amount" not in path:
        return path
    for previous in reversed([r for r in rows(row.sheet) if r.row < row.row]):
        if "cac:DeliveryTerms/" not in previous.tag:
            break
        match = re.search(r"tipo valor referencial = (\d+)", previous.condition)
        if match:
            return insert_predicate(path, "cac:DeliveryTerms", f"cbc:ID='{match[1]}'") or path
    return path


# -- simple sentences of this family ----------------------------------------------------------------
_VALUE_LIST = re.compile(r"(?:el (?:valor|formato) del (?:tag ubl|atributo) |el tag ubl |el valor |valor del tag ubl |)"
                         r"es diferente(?: de| a)?:?\s*(?P<list>.+)", re.IGNORECASE | re.DOTALL)
_LIST_WORDS = {"y", "o", "vacío", "vacio", "guion"}


def _allowed_values(listed: str) -> set[str] | None:
    """The values of "'01', '05' … y '56', vacío y guion ('-')"; ``None`` when the text is not a plain list."""
    values = re.findall(r"['\"]([^'\"]*)['\"]", listed)
    leftover = re.sub(r"\([^)]*\)", "", re.sub(r"['\"][^'\"]*['\"]", "", listed))
    words = set(re.findall(r"[^\s,.]+", leftover.lower()))
    if not values or words - _LIST_WORDS:
        return None
    return set(values) | ({""} if words & {"vacío", "vacio"} else set())


def _formats(listed: str) -> list[re.Pattern[str]] | None:
    """The formats of "- [F][A-Z0-9]{3}-[0-9]{1,8} - (E001)-[0-9]{1,8} - Vacio" (a blank inside a format
    is a typo of the workbook: "[EG07] {4}")."""
    found = []
    for item in re.split(r"\s+-\s+", " " + listed.strip()):
        item = item.strip()
        if not item:
            continue
        if item.lower() in ("vacio", "vacío"):
            found.append(re.compile(""))
            continue
        try:
            found.append(re.compile(item.replace(" ", "")))
        except re.error:
            return None
    return found or None


def _one_of(values: set[str]) -> Callable[[str, Node], bool]:
    return lambda value, node: value in values


@sentence
def allowed_values(row: WorkbookRow, path: str | None) -> Check | None:
    """"El Tag UBL es diferente de '01', '05', … y '56'", "el valor del Tag UBL es diferente de '40'",
    "es diferente de '01' y '02'": the value must be one of the list ("vacío" allows an empty tag)."""
    if path is None or not _mine(row):
        return None
    cond = row.condition.strip().rstrip(". ")
    match = re.fullmatch(r"El formato del Tag UBL es diferente a:\s*(-.+)", cond, re.DOTALL)
    if match and (formats := _formats(match[1])):
        return Check(row, "format", patterns.each(path, lambda value, node: any(f.fullmatch(value) for f in formats)))
    match = _VALUE_LIST.fullmatch(cond)
    values = _allowed_values(match["list"]) if match else None
    if values is None:
        # "'Tipo de documento que modifica' es '03'" on that very tag: the listed values are refused
        match = re.fullmatch(r"[\"']Tipo de (?:documento que modifica|otro documento relacionado)[\"'] ?es (?P<other>diferente de )?"
                             r"(?P<list>.+)", cond)
        listed = _allowed_values(match["list"]) if match else None
        if listed is None:
            return None
        if match["other"]:
            return Check(row, "fixed-value", patterns.each(path, _one_of(listed)))
        return Check(row, "value-listed", patterns.each(path, lambda value, node: value not in listed))
    return Check(row, "fixed-value", patterns.each(path, _one_of(values)))


def _is_zero(value: str) -> bool:
    return decimal_of(value) == 0


_POSITIVE = re.compile(r"(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?")


@sentence
def amounts(row: WorkbookRow, path: str | None) -> Check | None:
    """"valor del Tag UBL es diferente de cero" (a type-13 note moves no money), "el valor del Tag UBL
    es igual a 0 (cero)", "decimal (positivo mayor a cero) de 12 enteros y hasta 2 decimales"."""
    if path is None or not _mine(row):
        return None
    cond = row.condition.strip().rstrip(". ")
    if re.fullmatch(r"(?:El )?valor del Tag UBL es diferente de cero", cond, re.IGNORECASE):
        return Check(row, "zero", patterns.each(path, lambda value, node: _is_zero(value)))
    if re.fullmatch(r"(?:El )?valor del Tag UBL es igual a 0 \(cero\)", cond, re.IGNORECASE):
        return Check(row, "non-zero", patterns.each(path, lambda value, node: not _is_zero(value)))
    if re.fullmatch(r"(?:Si el Tag UBL existe, )?El formato del Tag UBL es diferente de decimal \(positivo mayor a cero\) "
                    r"de 12 enteros y hasta 2 decimales", cond, re.IGNORECASE):
        return Check(row, "decimal", patterns.each(path, lambda value, node: bool(_POSITIVE.fullmatch(value))
                                                   and not _is_zero(value)))
    return None


@sentence
def other_formats(row: WorkbookRow, path: str | None) -> Check | None:
    """A notes' related document number: 6 to 30 characters, no whitespace at all (not even a space);
    the notes' types as the catalog of their sheet (09 credit, 10 debit); the export country."""
    if path is None or not _mine(row):
        return None
    cond = row.condition.strip().rstrip(". ")
    match = re.fullmatch(r"El formato del Tag UBL es diferente a alfanumérico de entre (\d+) y (\d+) caracteres .*espacio.*",
                         cond, re.DOTALL)
    if match:
        kind, judge = patterns.text_format(int(match[1]), int(match[2]), cond)
        return Check(row, kind, patterns.each(path, judge))
    if cond == "El Tag UBL no existe en el listado" and path.endswith(_NOTE_TYPE):
        codes = catalog("09" if row.sheet == "nota_credito" else "10")
        return Check(row, "catalog", patterns.each(path, lambda value, node: value in codes))
    match = re.fullmatch(r"El valor es diferente al Catálogo (\d+) o el valor es igual a '([^']+)'", cond)
    if match and catalog(f"{int(match[1]):02d}"):
        codes, refused = catalog(f"{int(match[1]):02d}"), match[2]
        return Check(row, "catalog", patterns.each(path, lambda value, node: value in codes and value != refused))
    match = re.fullmatch(r"Si el atributo del Tag UBL no existe o es diferente a '?(\w+)'?(?: \([^)]*\))?", cond)
    if match and "/@" in path:
        element, _, attribute = path.rpartition("/@")
        expected = match[1]
        return Check(row, "fixed-value", _attribute_is(element, attribute, expected))
    return None


def _attribute_is(element: str, attribute: str, expected: str) -> patterns.Runner:
    selected = patterns.xpath(element)
    assert selected is not None

    def run(root: Node, source: Any = None) -> Violations:
        for node in selected(root):
            value = (node.get(attribute) or "").strip()
            if value != expected:
                yield patterns.short(f"{element}/@{attribute}"), value
    return run


# -- repeated and missing references ----------------------------------------------------------------
def _root_step(path: str) -> str:
    """The root step of a path, with the predicate a guard put on it (``/*[…]``)."""
    return "/" + _steps(path)[1]


def _relative(absolute: str) -> str:
    """``/CreditNote/cac:BillingReference/cac:X`` → ``cac:BillingReference/cac:X``."""
    return absolute.strip().rstrip(".").split("/", 2)[2]


def _offending(path: str, select: str) -> patterns.Runner:
    """A runner that reports every node ``select`` (an XPath over the document) finds; details name
    ``path``'s node."""
    selected = patterns.xpath(select)
    assert selected is not None, select

    def run(root: Node, source: Any = None) -> Violations:
        for node in selected(root):
            yield patterns.short(path), patterns.text(node)
    return run


def _sibling_type_and_id(node: Node) -> str:
    kind = xp(node, "../cbc:DocumentTypeCode/text()") if not isinstance(node, str) else []
    return f"{(kind[0] if kind else '').strip()}|{patterns.text(node)}"


@sentence
def references_in_the_document(row: WorkbookRow, path: str | None) -> Check | None:
    """Rows about how many references a document holds: a reference (type and number) given twice, the
    note's type given twice, references of different types, a note without (or with more than one)
    modified document, a type-13 note without its payment terms."""
    if path is None or not _mine(row):
        return None
    cond = row.condition.strip().rstrip(". ")
    if re.fullmatch(r"El [\"'][^\"']+[\"'] concatenad[ao] con el valor del Tag UBL,? se repite en el /\w+", cond):
        return Check(row, "repeated", patterns.unique(path, key=_sibling_type_and_id))
    if cond == "El tag UBL se repite dentro del mismo documento":
        return Check(row, "repeated", patterns.unique(path, key=lambda node: "once"))
    match = re.fullmatch(r"Existe más de un Tag UBL igual a [\"'](\w+)[\"']", cond, re.IGNORECASE)
    if match:
        value = match[1]
        return Check(row, "repeated", patterns.unique(f"{path}[normalize-space(.)='{value}']", key=lambda node: value))
    if cond.startswith("Si existe más de un documento que se modifica (más de un cac:BillingReference), y no todos "
                       "tienen el mismo 'Tipo de documento que modifica'"):
        return Check(row, "same-type", _offending(path, f"({path})[position() > 1][. != ({path})[1]]"))
    root = _root_step(path)
    match = re.fullmatch(r"No existe un tag (/[\w:/]+)", cond, re.IGNORECASE)
    if match:
        return Check(row, "missing", _offending(path, f"{root}[not({_relative(match[1])})]"))
    match = re.fullmatch(r"Existe m[aá]s de un tag (/[\w:/]+)", cond, re.IGNORECASE)
    if match:
        return Check(row, "repeated", _offending(path, f"({root}/{_relative(match[1])})[position() > 1]/cbc:ID"))
    match = re.fullmatch(r"No existe al menos un tag (cac:\w+) con (cbc:\w+) igual a '([^']+)'", cond, re.IGNORECASE)
    if match:
        return Check(row, "missing", _offending(path, f"{root}[not({match[1]}[{match[2]}='{match[3]}'])]"))
    return None


# -- taxes a note of a given type may not carry -----------------------------------------------------
_TAX_PRESENT = re.compile(r"Existe un (?:'Código de tributo' \(cbc:ID\)|I[Dd]) (?:con valor )?(?P<codes>'\d+'(?:\s*(?:o|,)\s*'\d+')*)"
                          r"(?: a nivel global)?(?P<base> con '(?:Total valor de venta|Monto base)'(?: \(cbc:TaxableAmount\))? "
                          r"mayor a cero)?", re.IGNORECASE)


@sentence
def tax_present(row: WorkbookRow, path: str | None) -> Check | None:
    """"existe un 'Código de tributo' (cbc:ID) con valor '9995' o '9997' a nivel global con 'Total valor
    de venta' (cbc:TaxableAmount) mayor a cero": those subtotals are refused (the note's type, a guard,
    says where)."""
    if path is None or not _mine(row) or not path.endswith("cac:TaxSubtotal/cac:TaxCategory/cac:TaxScheme/cbc:ID"):
        return None
    match = _TAX_PRESENT.fullmatch(row.condition.strip().rstrip(". "))
    if match is None:
        return None
    codes = set(re.findall(r"\d+", match["codes"]))
    if match["base"]:
        path = insert_predicate(path, "cac:TaxSubtotal", "number(cbc:TaxableAmount) > 0") or path
    return Check(row, "tax-present", patterns.each(path, lambda value, node: value not in codes), path)


# -- advance payments listed as related documents ---------------------------------------------------
@sentence
def advance_payments(row: WorkbookRow, path: str | None) -> Check | None:
    """An advance (anticipo) listed as a related document needs its payment among the document's
    cac:PrepaidPayment (same identifier), once."""
    if path is None or not _mine(row) or not path.endswith("cbc:DocumentStatusCode"):
        return None
    cond = row.condition.strip().rstrip(". ")
    if re.fullmatch(r"No existe un '(?:Importe del anticipo|Monto anticipado)' con 'Identificador de pago' igual al valor "
                    r"del tag UBL", cond, re.IGNORECASE):
        return Check(row, "prepaid", patterns.each(path, lambda value, node: value in {
            patterns.text(n) for n in patterns.xp(patterns.root_of(node), "cac:PrepaidPayment/cbc:ID")}))
    if re.fullmatch(r"Existe más de un comprobante de anticipo con el mismo identificador de pago en el comprobante", cond,
                    re.IGNORECASE):
        return Check(row, "repeated", patterns.unique(path))
    return None


# -- deliveries of a transport service (operation 1004) ---------------------------------------------
@sentence
def referential_values(row: WorkbookRow, path: str | None) -> Check | None:
    """"no existe o existe mas de un tipo valor referencial = 01": each line of a transport service
    (1004, a guard) carries exactly one cac:DeliveryTerms of each referential type."""
    if path is None or not _mine(row) or "/cac:InvoiceLine/" not in path:
        return None
    match = re.fullmatch(r"No existe o existe m[aá]s de un tipo valor referencial = (\d+)", row.condition.strip().rstrip(". "),
                         re.IGNORECASE)
    if match is None:
        return None
    lines = path.split("/cac:InvoiceLine/")[0] + "/cac:InvoiceLine"
    kind = match[1]
    return Check(row, "referential", _offending(path, f"{lines}[count(cac:Delivery/cac:DeliveryTerms[cbc:ID='{kind}']) != 1]/cbc:ID"))


# -- Python: the modified document in the store, and a type-13 note's instalments --------------------
@python_rule("4368", "BillingReference")
def note_on_a_boleta_in_another_currency(root: Node, source: Any) -> Violations:
    """A note on an electronic boleta (type 03, serie B/E) in a currency other than the boleta's (an
    observation; the store of a running mock holds the boleta's currency).  Whatever the note's type:
    row 104 names none, unlike rows 96–102 that leave type 10 out."""
    currency = (root.findtext(f"{{{ns.CBC}}}DocumentCurrencyCode") or "").strip()
    for reference, stored in backend._note_references(root, source, with_type_10=True):
        kind = (reference.findtext(f"{{{ns.CBC}}}DocumentTypeCode") or "").strip()
        if (stored is not None and stored["currency"] and kind == "03"
                and backend._reference_id(reference).startswith(("B", "E")) and currency != stored["currency"]):
            yield "cbc:DocumentCurrencyCode", currency


def _amount(node: Node) -> Decimal | None:
    return decimal_of(node.findtext(f"{{{ns.CBC}}}Amount"))


@python_rule("3319", "PaymentTerms/cbc:Amount", sheets=("nota_credito",))
def instalments_add_up_to_the_credit(root: Node, source: Any) -> Violations:
    """A type-13 credit note to a RUC customer restates the credit: its 'Credito' amount is the sum of
    its instalments (Cuota001…), within SUNAT's ± 1."""
    if (root.findtext(f"{{{ns.CAC}}}DiscrepancyResponse/{{{ns.CBC}}}ResponseCode") or "").strip() != "13":
        return
    customer = xp(root, "cac:AccountingCustomerParty/cac:Party/cac:PartyIdentification/cbc:ID/@schemeID")
    if not customer or customer[0].strip() != "6":
        return
    terms = xp(root, "cac:PaymentTerms[cbc:ID='FormaPago']")
    credit = [t for t in terms if (t.findtext(f"{{{ns.CBC}}}PaymentMeansID") or "").strip() == "Credito"]
    instalments = [_amount(t) for t in terms if re.fullmatch(r"Cuota[0-9]{3}", (t.findtext(f"{{{ns.CBC}}}PaymentMeansID") or "").strip())]
    if not credit or not instalments or any(a is None for a in instalments):
        return
    total, expected = _amount(credit[0]), sum(instalments, Decimal(0))
    if total is not None and abs(total - expected) > TOLERANCE:
        yield "cac:PaymentTerms/cbc:Amount", str(total)


_ADVANCE_TYPES = {"02": "01", "03": "03"}
"""Type of the related document (catálogo 12: factura/boleta emitida por anticipos) → its CPE type."""


@python_rule("3218", "AdditionalDocumentReference")
def advance_document_unknown(root: Node, source: Any) -> Violations:
    """An advance (anticipo) the emitter itself issued electronically (serie B/F/E) must be a document
    this mock accepted.  Checked against the store of a running mock, as the notes' references are
    (and switched off with them, ``check_note_references``)."""
    if source is None or source.store is None:
        return
    if source.profile is not None and not getattr(source.profile, "check_note_references", True):
        return
    issuer = backend._issuer(root)
    for related in xp(root, "cac:AdditionalDocumentReference[cbc:DocumentStatusCode]"):
        kind = _ADVANCE_TYPES.get((related.findtext(f"{{{ns.CBC}}}DocumentTypeCode") or "").strip())
        advance_issuer = xp(related, "cac:IssuerParty/cac:PartyIdentification/cbc:ID/text()")
        number = (related.findtext(f"{{{ns.CBC}}}ID") or "").strip()
        serie, _, numero = number.partition("-")
        if kind is None or not advance_issuer or advance_issuer[0].strip() != issuer or serie[:1] not in ("B", "F", "E") \
                or correlativo(numero) is None:
            continue
        stored = source.store.document(issuer, kind, serie, correlativo(numero))
        if stored is None or stored["status"] != "accepted":
            yield "cac:AdditionalDocumentReference/cbc:ID", number


@python_rule("3260", "BillingReference", sheets=("nota_credito",))
def payment_adjustment_of_a_cash_sale(root: Node, source: Any) -> Violations:
    """A type-13 credit note adjusts the instalments of a factura sold on credit: the stored factura
    (its XML, in the store of a running mock) must say 'FormaPago' 'Credito'.  Silent when the store
    does not hold the factura's XML."""
    if (root.findtext(f"{{{ns.CAC}}}DiscrepancyResponse/{{{ns.CBC}}}ResponseCode") or "").strip() != "13":
        return
    for reference, stored in backend._note_references(root, source):
        if stored is None or not stored["xml"] or \
                (reference.findtext(f"{{{ns.CBC}}}DocumentTypeCode") or "").strip() != "01":
            continue
        try:
            factura = parse_xml(bytes(stored["xml"]))
        except SunatError:
            continue
        if not xp(factura, "cac:PaymentTerms[cbc:ID='FormaPago'][normalize-space(cbc:PaymentMeansID)='Credito']"):
            yield "cac:InvoiceDocumentReference/cbc:ID", backend._reference_id(reference)
