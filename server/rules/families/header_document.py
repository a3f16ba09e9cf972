"""The header rows about the document as a whole: which operation types a document type allows
(catálogo 51, the customer's document type by operation: 2800), the currency of every total (2071),
the sending deadlines and the signature block.  The sentences are this family's
(:func:`.header.family_sentence`); arithmetic-free Python only where a row compares fields.
"""
from __future__ import annotations

import re
from typing import Any

from osemock.cpe.dates import day_of
from osemock.server.rules.backend import python_rule, sent_too_late
from osemock.server.rules.catalogs import entries
from osemock.server.rules.families.header import LISTING, family_sentence, fixed_path, quoted
from osemock.server.rules.patterns import Check, each, root_of, short, text, xpath
from osemock.server.rules.workbook import WorkbookRow, rows
from osemock.server.rules.patterns import in_one_currency, xp

_LINES = "*[self::cac:InvoiceLine or self::cac:CreditNoteLine or self::cac:DebitNoteLine]"


# -- operation type --------------------------------------------------------------------------------
_DOCUMENT_NAMES = {"01": "factura", "03": "boleta"}


def _operations_named(sheet: str) -> set[str]:
    """The operation types the sheet's own conditions name ("Si 'Tipo de operación' es '2106 …'")."""
    named: set[str] = set()
    for row in rows(sheet):
        for match in re.finditer(r"[Tt]ipo de operación' es (?:igual a )?(?:diferente (?:a|de) )?"
                                 r"((?:['\"]\d{4}[^'\"]*['\"](?:,|,? o| y|\s)*)+)", row.condition):
            named |= set(re.findall(r"\d{4}", match[1]))
    return named


@family_sentence
def operation_for_document(row: WorkbookRow, path: str | None) -> Check | None:
    """"Si valor del atributo es diferente al listado (catálogo 51) según el 'Tipo de documento'": the
    operation type must be in catalog 51 and allowed there for the document's type (factura/boleta).
    SUNAT's catalog file lacks operation types its own workbook validates (2002 retención de segunda
    categoría, 2106 tax free in the factura sheet): a type the sheet names and the catalog lacks passes."""
    if path is None or not re.fullmatch(r"Si valor del atributo es diferente al listado \(catálogo 51\) según el "
                                        r"'Tipo de documento'", row.condition.strip()):
        return None
    known = entries("51")
    newer = _operations_named(row.sheet) - set(known)
    path = fixed_path(path)

    def allowed(value: str, node: Any) -> bool:
        if value in newer:
            return True
        if value not in known:
            return False
        kind = _DOCUMENT_NAMES.get(text((xp(root_of(node), "cbc:InvoiceTypeCode") or [""])[0]))
        flag = known[value].get(kind) if kind else None
        return flag is None or flag.strip() == "1"
    return Check(row, "catalog", each(path, allowed), path)


@family_sentence
def otherwise_only(row: WorkbookRow, path: str | None) -> Check | None:
    """"Si no es uno de los cuatro casos anteriores, el valor del Tag UBL es diferente de '6'": the
    operation types named by the previous rows of the same code and tag are exempt; any other
    operation allows only the listed values.  The operation type is read from cbc:InvoiceTypeCode/@listID
    (the workbook's field) and cbc:ProfileID (which the common guards read): either exempts."""
    match = re.fullmatch(rf"Si no es uno de los (\w+) casos anteriores, el valor del Tag UBL es diferente (?:de|a) {LISTING}",
                         row.condition.strip())
    if path is None or match is None or not path.startswith("/*/"):
        return None
    previous = [r for r in rows(row.sheet) if r.code == row.code and r.tag == row.tag and r.row < row.row]
    operations = sorted({code for r in previous for code in re.findall(r"'(\d{4})", r.condition)
                         if "Tipo de operación" in r.condition})
    if not operations:
        return None
    named = " or ".join(f".='{op}'" for op in operations)  # each node read once, against every operation
    exempt = f"cbc:ProfileID[{named}] or cbc:InvoiceTypeCode/@listID[{named}]"
    guarded = f"/*[not({exempt})]{path[2:]}"
    allowed = set(quoted(match[2]))
    return Check(row, "fixed-value", each(guarded, lambda value, node: value in allowed), guarded)


# -- currency --------------------------------------------------------------------------------------
#: The line and document totals whose currency must be the document's (2071): the amounts the workbook
#: names one by one with "el valor es diferente al ingresado en 'Tipo de moneda'".  Percepción and
#: detracción amounts (cac:PaymentTerms, perception charges, transport references) are not totals, and
#: neither is the ICBPER cbc:PerUnitAmount, which no row ties to the document's currency.
_TAX_AMOUNTS = ("cac:TaxTotal/cbc:TaxAmount/@currencyID | cac:TaxTotal/cac:TaxSubtotal/cbc:TaxableAmount/@currencyID"
                " | cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount/@currencyID")
_TOTALS = ("cac:LegalMonetaryTotal/*/@currencyID | cac:RequestedMonetaryTotal/*/@currencyID | " + _TAX_AMOUNTS
           + f" | {_LINES}/cbc:LineExtensionAmount/@currencyID | {_LINES}/cac:Price/cbc:PriceAmount/@currencyID"
           f" | {_LINES}/cac:PricingReference/cac:AlternativeConditionPrice/cbc:PriceAmount/@currencyID"
           + "".join(f" | {_LINES}/{step.strip()}" for step in _TAX_AMOUNTS.split("|")))


#: The branches of :data:`_TOTALS`, read one by one: a union sorts its attribute nodes into document
#: order, which costs more than the reads themselves, and only the values matter here.
_TOTAL_BRANCHES = tuple(branch.strip() for branch in _TOTALS.split(" | "))


@python_rule("2071", "cbc:DocumentCurrencyCode")
def totals_in_document_currency(root: Any, source: Any) -> Any:
    """Every line and document total is in cbc:DocumentCurrencyCode (2071); each other currency is
    named once, in the order of the branches of :data:`_TOTALS`."""
    currency = text((xp(root, "cbc:DocumentCurrencyCode") or [""])[0])
    if not currency or in_one_currency(root):
        return
    named = {currency}
    for branch in _TOTAL_BRANCHES:
        for value in xp(root, branch):
            if text(value) not in named:
                named.add(text(value))
                yield "cbc:DocumentCurrencyCode", text(value)


# -- dates -----------------------------------------------------------------------------------------
python_rule("1079", "cbc:IssueDate", sheets=("boleta",))(sent_too_late)


# -- signature -------------------------------------------------------------------------------------
@family_sentence
def signatory_is_emitter_or_sender(row: WorkbookRow, path: str | None) -> Check | None:
    """"El Tag UBL debe ser igual al RUC del emisor o al RUC que se envía el comprobante": the
    signatory is the emitter or whoever sent the file (a PSE).  Offline the sender is unknown, so a
    signatory other than the emitter is not judged there."""
    if path is None or row.condition.strip() != "El Tag UBL debe ser igual al RUC del emisor o al RUC que se envía el comprobante":
        return None
    if xpath(path) is None:
        return None
    emitter = "/*/cac:AccountingSupplierParty/cac:Party/cac:PartyIdentification/cbc:ID"

    def run(root: Any, source: Any = None):
        sender = getattr(source, "sender_ruc", None)
        issuer = getattr(getattr(source, "header", None), "issuer_ruc", None)
        if not sender or not issuer:
            return  # the Firma sheet runs for every type: the emitter is the header's (any document shape)
        allowed = {issuer, sender} | {text(n) for n in xp(root, emitter)}
        for node in xp(root, path):
            if text(node) not in allowed:
                yield short(path), text(node)
    return Check(row, "signatory", run)


#: Notes of serie B (on boletas) may be sent up to five days after their issue date (1079).
NOTE_ON_BOLETA_DAYS = 5


@python_rule("1079", "cbc:IssueDate", sheets=("nota_credito", "nota_debito"))
def note_on_boleta_sent_too_late(root: Any, source: Any) -> Any:
    """A note of serie B received more than five days after its issue date (the workbook's figure)."""
    if source is None or source.now is None or not text((xp(root, "cbc:ID") or [""])[0]).startswith("B"):
        return
    issued = day_of(text((xp(root, "cbc:IssueDate") or [""])[0]))
    if issued is not None and (source.now.date() - issued).days > NOTE_ON_BOLETA_DAYS:
        yield "cbc:IssueDate", issued.isoformat()


# -- signature formats -------------------------------------------------------------------------------
_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]*")


@family_sentence
def base64_text(row: WorkbookRow, path: str | None) -> Check | None:
    """"El Tag UBL no cumple con el formato de letras de A a Z, … números, "+", "=", como mínimo 2
    caracteres": base64 text.  SUNAT's list leaves out "/" and line breaks, which every base64
    signature and certificate carries; the narrow reading accepts the whole base64 alphabet."""
    match = re.fullmatch(r"El Tag UBL no cumple con el formato de letras de A a Z.*como mínimo (\d+) caracteres\.?",
                         row.condition.strip())
    if path is None or match is None:
        return None
    least = int(match[1])
    return Check(row, "format", each(path, lambda value, node: bool(_BASE64.fullmatch(value))
                                     and len(re.sub(r"\s", "", value)) >= least))
