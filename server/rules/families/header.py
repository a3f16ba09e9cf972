"""The header family: numbering, dates, document and operation type, currency, leyendas, the parties
(emitter, customer, sales agent) and the signature block.

Most of these rows are simple sentences once their context is read: "Si 'Tipo de documento del
adquiriente' es '6', el formato … es diferente a numérico de 11 dígitos" is the customer's document
type guarding a digits format.  The workbook words the same condition in several ways (double quotes,
``RUC (6)``, ``es 6``), so :data:`REWORDINGS` first brings a condition to the one wording the guards
know; the guards of this module (:data:`HEADER_GUARDS`) are data like the common ones, and the few
sentences below (digits, one of a few values, a numbering format, a leyenda that must exist…) each
serve every row worded that way.  Rows about the document as a whole (operation types, currency,
deadlines, signature) live in :mod:`.header_document`, rows that need the registry in
:mod:`.header_registry`.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from osemock.server.rules.catalogs import catalog, parametros_catalog
from osemock.server.rules.guards import Guard, add_guard
from osemock.server.rules.patterns import Check, compile_sentence, each, sentence, short, text, unique, xpath
from osemock.server.rules.workbook import WorkbookRow
from osemock.server.rules.patterns import xp

_CODES = r"(?P<codes>'[^']*'(?:\s*\([^)]*\))?(?:(?:,|,? o| y|,? y/o)\s*'[^']*'(?:\s*\([^)]*\))?)*)"
_SHORT_CODE = r"(?P<codes>'[A-Z0-9]{1,4}')"
_STARTS_WITH_DIGIT = "translate(substring(normalize-space(cbc:ID), 1, 1), '0123456789', '##########') = '#'"
_MODIFIED_TYPE = "cac:BillingReference/cac:InvoiceDocumentReference/cbc:DocumentTypeCode"
_LINES = "*[self::cac:InvoiceLine or self::cac:CreditNoteLine or self::cac:DebitNoteLine]"

#: The context conditions of this family's rows, as data (see :mod:`osemock.server.rules.guards`).
HEADER_GUARDS = [
    Guard(rf"Si (?:el )?'Tipo de documento del adquiriente o usuario' es (?:igual a )?{_CODES}", "cbc:ID",
          "@schemeID='{code}'"),
    Guard(r"Si (?:la )?[Ss]erie del documento no inicia con número", "/*", f"not({_STARTS_WITH_DIGIT})"),
    Guard(r"Si (?:la )?[Ss]erie del documento inicia con número", "/*", _STARTS_WITH_DIGIT),
    Guard(r"Si 'Serie del comprobante' no inicia con 'F' o 'Tipo de documento que modifica' es diferente de '01'", "/*",
          f"not(starts-with(normalize-space(cbc:ID), 'F') and {_MODIFIED_TYPE}='01')"),
    Guard(rf"Si 'Serie del comprobante' inicia con {_SHORT_CODE}", "/*", "starts-with(normalize-space(cbc:ID), '{code}')"),
    Guard(rf"(?:y )?'Tipo de documento que modifica' es (?:igual a )?(?P<negated>diferente (?:a|de) )?{_SHORT_CODE}", "/*",
          f"{_MODIFIED_TYPE}='{{code}}'"),
    Guard(rf"(?:y )?no existe Leyenda con 'Código de leyenda' igual a {_CODES}", "/*",
          "not(cbc:Note/@languageLocaleID='{code}')"),
    Guard(rf"Si existe una línea con código de 'Afectación al IGV o IVAP' con valor {_CODES} cuyo 'Monto base' es mayor "
          r"a cero \(cbc:TaxableAmount > 0\)", "/*",
          f"{_LINES}/cac:TaxTotal/cac:TaxSubtotal[number(cbc:TaxableAmount) > 0]"
          "/cac:TaxCategory/cbc:TaxExemptionReasonCode='{code}'"),
    Guard(r"Si existe Dirección del lugar en el que se entrega el bien \(tag Dirección completa y detallada\)", "/*",
          "cac:Delivery/cac:DeliveryLocation/cac:Address/cac:AddressLine/cbc:Line[normalize-space()]"),
    Guard(r"Si existe el numero de RUC del agente de ventas(?:, y existe el tag)?,(?: y)?", "cbc:ID", "normalize-space()"),
]
for _guard in HEADER_GUARDS:
    add_guard(_guard)

_OPERATION_LIST = r"""(['"]\d{4}['"](?:(?:,?\s+o\s+|,\s*|\s+)['"]\d{4}['"])*)"""

#: Other wordings of a condition → the wording the guards and sentences know.
REWORDINGS: list[tuple[str, str | Callable[[re.Match[str]], str]]] = [
    (r"^Si existe tag de \"Adquiriente o usuario\" y ", "Si "),
    (r"^Si (?:el )?[\"'](?:Tipo de documento de identidad del adquiriente(?: o usuario)?|Tipo de documento del "
     r"adquiriente o usuario)[\"'] es ", "Si 'Tipo de documento del adquiriente o usuario' es "),
    (r"^(Si 'Tipo de documento del adquiriente o usuario' es )(?:RUC )?\(?(\w)\)?,", r"\1'\2',"),
    (r"^(Si 'Tipo de documento del adquiriente o usuario' es .*?),", lambda m: m[1].replace('"', "'") + ","),
    (r"^Si no existe el (atributo|Tag UBL)", r"No existe el \1"),
    (r"^Si el atributo existe, el valor del atributo no existe en el listado$",
     "Si el Tag UBL existe, el valor del Tag UBL no está en el listado"),
    (r"^Si el formato del Tag UBL es diferente a alfanumérico", "El formato del Tag UBL es diferente a alfanumérico"),
    # a list of operation types in double quotes, or with an "o" left out ('0203' '0204'): the guard's wording
    (rf"^(Si 'Tipo de operación' es ){_OPERATION_LIST}", lambda m: m[1] + " o ".join(f"'{code}'" for code in re.findall(r"\d{4}", m[2]))),
    # the value that is the violation, named with its description (boleta row 93: "es 6-RUC")
    (r", el valor del Tag UBL es (\w)-RUC$", r", el valor del Tag UBL es '\1'"),
    (r",? y el valor del Tag UBL es diferente al listado y gui[oó]n '-'$", ", el Tag UBL es diferente al listado y diferente de guión '-'"),
]


#: The sheets and tags this family answers for; its sentences leave every other row to its own family.
SHEETS = ("factura", "boleta", "nota_credito", "nota_debito", "firma")
_TAGS = re.compile(r"^/?(?:Invoice|CreditNote|DebitNote|invoice)/(?:cbc:ID\b(?!/)|cbc:IssueDate|cbc:IssueTime|cbc:DueDate"
                   r"|cbc:InvoiceTypeCode|cbc:DocumentCurrencyCode|cbc:Note|ext:UBLExtensions|cac:Signature"
                   r"|cac:AccountingSupplierParty|cac:AccountingCustomerParty|cac:SellerSupplierParty"
                   r"|cac:BuyerCustomerParty)")


def in_family(row: WorkbookRow) -> bool:
    """Whether ``row`` belongs to the header family (every row of the Firma sheet does)."""
    return row.sheet == "firma" or (row.sheet in SHEETS and bool(_TAGS.match(row.tag.strip())))


def family_sentence(compiler: Callable[[WorkbookRow, "str | None"], "Check | None"]):
    """Register ``compiler`` for this family's rows only."""
    def gated(row: WorkbookRow, path: str | None) -> Check | None:
        return compiler(row, path) if in_family(row) else None
    gated.__name__, gated.__doc__ = compiler.__name__, compiler.__doc__
    sentence(gated)
    return compiler


def _reworded(condition: str) -> str:
    for pattern, replacement in REWORDINGS:
        condition = re.sub(pattern, replacement, condition)
    return condition


def fixed_path(path: str) -> str:
    """A few tags are written ``/invoice/…`` in the workbook: the root is any document."""
    return re.sub(r"^/invoice/", "/*/", path)


def _with(row: WorkbookRow, condition: str) -> WorkbookRow:
    return WorkbookRow(row.sheet, row.row, row.field, row.tag, condition, row.severity, row.code, row.listado)


def _as(row: WorkbookRow, check: Check | None, path: str) -> Check | None:
    return Check(row, check.kind, check.run, check.path or path) if check else None


@family_sentence
def reworded(row: WorkbookRow, path: str | None) -> Check | None:
    """Another wording of a known sentence: compiled as that sentence, bound to the original row."""
    if path is None:
        return None
    fixed = fixed_path(path)
    condition = _reworded(row.condition.strip())
    if condition == row.condition.strip() and fixed == path:
        return None
    if fixed.endswith("/cbc:Note") and condition.startswith("El formato del Tag UBL"):
        # "Descripción de la leyenda": a leyenda is a note with its code (narrow reading; free notes pass)
        fixed += "[@languageLocaleID]"
    return _as(row, compile_sentence(_with(row, condition), fixed), fixed)


# -- values --------------------------------------------------------------------------------------
def quoted(listing: str) -> list[str]:
    return re.findall(r"['\"]([^'\"]+)['\"]", listing)


LISTING = r"((?:['\"][^'\"]+['\"](?:,\s*|\s+[yo]\s+)?)+)\.?"


@family_sentence
def one_of(row: WorkbookRow, path: str | None) -> Check | None:
    """"El valor (del Tag UBL) es diferente de '1' y '6'": the value must be one of those."""
    match = re.fullmatch(rf"(?:El|el) (?:valor|Tag UBL)(?: del (?:Tag UBL|tag|atributo))? es diferente (?:a|de) {LISTING}",
                         row.condition.strip())
    if path is None or match is None:
        return None
    allowed = set(quoted(match[1]))
    return Check(row, "fixed-value", each(path, lambda value, node: value in allowed))


@family_sentence
def forbidden(row: WorkbookRow, path: str | None) -> Check | None:
    """"El valor del Tag UBL es '6'" (after a guard): that value is the violation."""
    match = re.fullmatch(rf"(?:El|el) valor del Tag UBL es {LISTING}", row.condition.strip())
    if path is None or match is None:
        return None
    refused = set(quoted(match[1]))
    return Check(row, "forbidden-value", each(path, lambda value, node: value not in refused))


@family_sentence
def catalog_or_dash(row: WorkbookRow, path: str | None) -> Check | None:
    """"El Tag UBL es diferente al listado y diferente de guión '-'": a catalog code or a dash.  The list
    is a catalog, or a "Parámetros" table that is one (factura row 98's Parámetros (006): catálogo 06)."""
    match = re.fullmatch(r"El Tag UBL es diferente al listado (?:y diferente de|o) gui[oó]n(?: '-')?", row.condition.strip())
    listed = re.search(r"Cat[aá]logo\s*\(?0*(\d+)", row.listado)
    number = f"{int(listed[1]):02d}" if listed else parametros_catalog(row.listado)
    if path is None or match is None or not number or not catalog(number):
        return None
    allowed = catalog(number) | {"-"}
    return Check(row, "catalog", each(path, lambda value, node: value in allowed))


@family_sentence
def digits(row: WorkbookRow, path: str | None) -> Check | None:
    """"El formato del Tag UBL es diferente a numérico de 11 dígitos": exactly that many digits."""
    match = re.fullmatch(r"(?:El|el) (?:formato|valor) del Tag(?: UBL)? es diferente (?:a|de) numérico de (\d+) dígitos",
                         row.condition.strip().rstrip("."))
    if path is None or match is None:
        return None
    pattern = re.compile(rf"[0-9]{{{int(match[1])}}}")
    return Check(row, "digits", each(path, lambda value, node: bool(pattern.fullmatch(value))))


@family_sentence
def when_not_empty(row: WorkbookRow, path: str | None) -> Check | None:
    """"(Si el Tag UBL existe y) es diferente de vacío, <sentence>": the sentence on non-empty values."""
    match = re.fullmatch(r"Es diferente de vacío,\s*(.+)", row.condition.strip())
    if path is None or match is None:
        return None
    guarded = f"{path}[normalize-space(.) != '']"
    if xpath(guarded) is None:
        return None
    return _as(row, compile_sentence(_with(row, match[1][:1].upper() + match[1][1:]), guarded), guarded)


@family_sentence
def numbering_format(row: WorkbookRow, path: str | None) -> Check | None:
    """"El formato del Tag UBL no tiene el formato: - [F][A-Z0-9]{3}-[0-9]{1,8} - [0-9]{1,4}-[0-9]{1,8}":
    the value must match one of the listed expressions (serie-número; numeric series are contingency)."""
    match = re.fullmatch(r"El formato del Tag UBL no tiene el formato:\s*-\s*(.+)", row.condition.strip())
    if path is None or match is None:
        return None
    try:
        formats = [re.compile(part.strip()) for part in re.split(r"\s+-\s+", match[1])]
    except re.error:
        return None
    return Check(row, "format", each(path, lambda value, node: any(f.fullmatch(value) for f in formats)))


# -- repetition and presence -----------------------------------------------------------------------
@family_sentence
def more_than_one(row: WorkbookRow, path: str | None) -> Check | None:
    """"Existe más de un Tag UBL (en el XML) cac:X/cac:Y": the last step may appear once in its holder."""
    match = re.fullmatch(r"Existe más de un Tag UBL (?:en el XML )?((?:ca[cb]:\w+/)*ca[cb]:\w+)", row.condition.strip())
    if match is None:
        return None
    holder_path, _, step = f"/*/{match[1]}".rpartition("/")
    if xpath(holder_path) is None or xpath(step) is None:
        return None

    def run(root: Any, source: Any = None):
        for holder in xp(root, holder_path):
            found = xp(holder, step)
            if len(found) > 1:
                yield short(f"{holder_path}/{step}"), str(len(found))
    return Check(row, "single", run, f"{holder_path}/{step}")


@family_sentence
def repeated_value(row: WorkbookRow, path: str | None) -> Check | None:
    """"El valor del atributo se repite en el comprobante": each value once per document."""
    if path is None or row.condition.strip().rstrip(".") != "El valor del atributo se repite en el comprobante":
        return None
    return Check(row, "repeated", unique(path))


@family_sentence
def legend_required(row: WorkbookRow, path: str | None) -> Check | None:
    """"(After a guard) no existe código de leyenda igual a '2006'": the document must carry that
    leyenda (cbc:Note/@languageLocaleID) whenever the guard selects it."""
    match = re.fullmatch(r"(?:Y )?[Nn]o existe código de leyenda igual a '(\d+)'", row.condition.strip().rstrip("."))
    if path is None or match is None or not path.endswith("cbc:Note/@languageLocaleID"):
        return None
    holder_path = path[: -len("/cbc:Note/@languageLocaleID")]
    code = match[1]
    if xpath(holder_path) is None:
        return None

    def run(root: Any, source: Any = None):
        for holder in xp(root, holder_path):
            if code not in (text(n) for n in xp(holder, "cbc:Note/@languageLocaleID")):
                yield "cbc:Note/languageLocaleID", code
    return Check(row, "legend-required", run)
