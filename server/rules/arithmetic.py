"""The arithmetic of a CPE: line tax = base × rate, totals = sums (a line's value and prices: the line-items family).

Each rule is bound to the workbook rows of its code (so it runs in SUNAT's order) and uses SUNAT's
tolerance of ± 1.  The document totals follow the workbook's own algebra of global charges, discounts
and advances (catálogo 53):

* the IGV/IVAP base of the document = Σ values of its taxed lines − global discounts that affect the
  base (02, and 04 for advances) + global charges that affect it (49); the IGV = that base × the
  lines' rate, less the ISC advances (20); the IVAP = that base × the IVAP's rate in force
  (:data:`IVAP_RATE`), whatever rate the lines state;
* exonerated and unaffected bases lose their own advances (05, 06);
* ``LineExtensionAmount`` (total valor de venta) = Σ line values − 02 + 49 — advances are not
  deducted there but from the payable amount, through ``PrepaidAmount``;
* ``TaxInclusiveAmount`` = total valor de venta + ISC (with its advances 20 added back) + other taxes
  + ICBPER + IGV on (Σ IGV line bases − 02 + 49);
* ``AllowanceTotalAmount`` = line discounts 01 + global discounts 03 (and 63 on a factura);
  ``ChargeTotalAmount`` = line charges 48 + global charges 45, 46, 50;
* ``PayableAmount`` = precio de venta + other charges − other discounts − advances + rounding.

The rows of a boleta are observations (4xxx) of the same algebra, and the notes' rows split by the
type of the modified document: an error on a note modifying a factura, an observation otherwise (the
split is read from each row's wording by :mod:`osemock.server.rules.families.document_taxes`).  The
notes' rows state no global adjustments: a note that carries global charges or discounts is not
judged on the rows they would change, as a mock must never reject a valid document.
"""
from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Any, Callable, Iterator

from lxml import etree

from osemock.cpe import ns
from osemock.cpe.numbers import decimal_of
from osemock.server.rules.backend import python_rule
from osemock.server.rules.patterns import memo, xp

Violations = Iterator[tuple[str, str, str | None]]
Rule = Callable[[etree._Element, Any], Violations]
TOLERANCE = Decimal("1")
ZERO = Decimal(0)
TAXES_IN_TOTAL = ("1000", "1016", "2000", "7152", "9999")
SALE_BASES = ("1000", "1016", "9995", "9997", "9998")
NOTES = ("nota_credito", "nota_debito")
_LINES = ("cac:InvoiceLine", "cac:CreditNoteLine", "cac:DebitNoteLine")

# catálogo 53: global discounts (D) and charges (C) by what they change
BASE_DISCOUNTS = ("02", "04")
"""D: lower the IGV/IVAP base (02 discounts, 04 taxed advances)."""
VALUE_DISCOUNTS = ("02",)
"""D: lower the total valor de venta (advances are deducted from the payable amount instead)."""
BASE_CHARGES = ("49",)
ISC_ADVANCES = ("20",)
EXONERATED_ADVANCES = ("05",)
UNAFFECTED_ADVANCES = ("06",)
ADVANCES = ("04", "05", "06")
OTHER_LINE_DISCOUNTS = ("01",)
OTHER_GLOBAL_DISCOUNTS = {"factura": ("03", "63"), "boleta": ("03",)}
OTHER_LINE_CHARGES = ("48",)
OTHER_GLOBAL_CHARGES = ("45", "46", "50")
#: The IVAP's rate in force (percent): 4 % since Ley N.º 28211 created the tax (2004); the workbook's Parámetros 024
#: ('Tasa Vigente del IVAP') keeps it by date without stating it.  The IVAP rows of the document totals
#: (factura 354 and 421, boleta 350, the notes' 3295/4302) multiply by it, not by the rate the lines
#: state: only the IGV rows carry the note "según la tasa consignada en las líneas" (IGV at 18 or 10.5).
IVAP_RATE = Decimal(4)
#: Line affectations (catálogo 07) of a free line that still bears IGV.
FREE_IGV_AFFECTATIONS = {"11", "12", "13", "14", "15", "16"}


@lru_cache(maxsize=None)
def _path(path: str) -> etree.XPath:
    return etree.XPath(path, namespaces=ns.UBL, regexp=False)  # no EXSLT: see patterns._xpath


def _amount(node: etree._Element | None, path: str) -> Decimal | None:
    if node is None:
        return None
    return memo(f"amount {path}", node, lambda element: _read_amount(element, path))


def _read_amount(node: etree._Element, path: str) -> Decimal | None:
    found = _path(path)(node)
    if not found:
        return None
    return decimal_of(found[0] if isinstance(found[0], str) else found[0].text or "")


def _lines(root: etree._Element) -> list[etree._Element]:
    return memo("lines", root, _path(" | ".join(_LINES)))


def _subtotals(holder: etree._Element) -> list[etree._Element]:
    return memo("subtotals", holder, _path("cac:TaxTotal/cac:TaxSubtotal"))


def _read_code(subtotal: etree._Element) -> str:
    found = _path("cac:TaxCategory/cac:TaxScheme/cbc:ID/text()")(subtotal)
    return found[0].strip() if found else ""


def _code(subtotal: etree._Element) -> str:
    return memo("tax code", subtotal, _read_code)


def _affectation(subtotal: etree._Element) -> str:
    return (subtotal.findtext(f"{{{ns.CAC}}}TaxCategory/{{{ns.CBC}}}TaxExemptionReasonCode") or "").strip()


def _is_note(root: etree._Element) -> bool:
    return etree.QName(root).localname in ("CreditNote", "DebitNote")


def _adjustments(holder: etree._Element, codes: tuple[str, ...]) -> Decimal:
    """Σ cbc:Amount of the cac:AllowanceCharge of ``holder`` (the document or a line) whose reason
    code (catálogo 53) is one of ``codes``."""
    total = ZERO
    for charge in memo("cac:AllowanceCharge", holder, _path("cac:AllowanceCharge")):
        reason = (charge.findtext(f"{{{ns.CBC}}}AllowanceChargeReasonCode") or "").strip()
        if reason in codes:
            total += _amount(charge, "cbc:Amount") or ZERO
    return total


def _line_adjustments(root: etree._Element, codes: tuple[str, ...]) -> Decimal:
    return sum((_adjustments(line, codes) for line in _lines(root)), ZERO)


def _has_global_adjustments(root: etree._Element) -> bool:
    return bool(xp(root, "cac:AllowanceCharge | cac:PrepaidPayment | */cbc:PrepaidAmount[. > 0]"))


def _unjudged_note(root: etree._Element) -> bool:
    """A note with global adjustments: its rows state sums of lines only (see the module's docstring)."""
    return _is_note(root) and _has_global_adjustments(root)


def _line_note(line: etree._Element) -> str:
    return f"Error en la linea: {(line.findtext(f'{{{ns.CBC}}}ID') or '').strip()}"


def _off(actual: Decimal | None, expected: Decimal) -> bool:
    return actual is not None and abs(actual - expected) > TOLERANCE


def _rules(*codes: str, tag: str | None = None, sheets: tuple[str, ...] | None = None) -> Callable[[Rule], Rule]:
    """Bind one rule to several codes (the error of a factura, the observation of a boleta…)."""
    def register(function: Rule) -> Rule:
        for code in codes:
            python_rule(code, tag, sheets)(function)
        return function
    return register


def _global_subtotals(root: etree._Element, tax: str) -> list[etree._Element]:
    return [s for s in _subtotals(root) if _code(s) == tax]


def _global(root: etree._Element, tax: str, field: str) -> Decimal | None:
    found = _global_subtotals(root, tax)
    return _amount(found[0], field) if found else None


def _is_free(line: etree._Element) -> bool:
    """A free line (operación gratuita): a 9996 subtotal with a base above zero."""
    return any(_code(s) == "9996" and (_amount(s, "cbc:TaxableAmount") or ZERO) > 0 for s in _subtotals(line))


def _line_values(root: etree._Element, taxes: tuple[str, ...]) -> Decimal:
    """Σ line values (cbc:LineExtensionAmount) of the lines with a subtotal of ``taxes`` whose base > 0."""
    total = ZERO
    for line in _lines(root):
        if any(_code(s) in taxes and (_amount(s, "cbc:TaxableAmount") or ZERO) > 0 for s in _subtotals(line)):
            total += _amount(line, "cbc:LineExtensionAmount") or ZERO
    return total


def _line_sum(root: etree._Element, tax: str, field: str, *, positive_base: bool = False,
              skip_free: bool = False) -> Decimal:
    """Σ ``field`` of the line subtotals of ``tax``."""
    total = ZERO
    for line in _lines(root):
        if skip_free and _is_free(line):
            continue
        for subtotal in _subtotals(line):
            if _code(subtotal) != tax:
                continue
            if positive_base and (_amount(subtotal, "cbc:TaxableAmount") or ZERO) <= 0:
                continue
            total += _amount(subtotal, field) or ZERO
    return total


def _rated_lines(root: etree._Element, tax: str, default_rate: Decimal) -> tuple[Decimal, set[Decimal]]:
    """(Σ line base × line rate, the rates) of the line subtotals of ``tax``."""
    total, rates = ZERO, set()
    for line in _lines(root):
        for subtotal in _subtotals(line):
            if _code(subtotal) == tax:
                base = _amount(subtotal, "cbc:TaxableAmount") or ZERO
                rate = _amount(subtotal, "cac:TaxCategory/cbc:Percent")
                rate = default_rate if rate is None else rate
                total += base * rate / 100
                if base > 0:
                    rates.add(rate)
    return total, rates


def _rated_with_adjustment(root: etree._Element, tax: str, default_rate: Decimal, adjustment: Decimal) -> Decimal | None:
    """Σ line base × rate, plus ``adjustment`` (of the base) × the lines' one rate; ``None`` when an
    adjustment meets lines of different rates (3462 answers that document)."""
    total, rates = _rated_lines(root, tax, default_rate)
    if not adjustment:
        return total
    if len(rates) > 1:
        return None
    rate = next(iter(rates), default_rate)
    return total + adjustment * rate / 100


def _monetary_total(root: etree._Element) -> etree._Element | None:
    found = xp(root, "cac:LegalMonetaryTotal | cac:RequestedMonetaryTotal")
    return found[0] if found else None


def subject_to_ivap(root: etree._Element) -> bool:
    """A document subject to IVAP: a line with a 1016 subtotal whose base is above zero."""
    return any(_code(s) == "1016" and (_amount(s, "cbc:TaxableAmount") or ZERO) > 0
               for line in _lines(root) for s in _subtotals(line))


# -- lines ------------------------------------------------------------------------------------------
@python_rule("3103", "TaxSubtotal/cbc:TaxAmount")
def line_igv_is_rate_times_base(root: etree._Element, source: Any) -> Violations:
    """Line IGV/IVAP (affectation 10–17) = rate × taxable base."""
    for line in _lines(root):
        for subtotal in _subtotals(line):
            if _affectation(subtotal) not in {"10", "11", "12", "13", "14", "15", "16", "17"}:
                continue
            base, rate = _amount(subtotal, "cbc:TaxableAmount"), _amount(subtotal, "cac:TaxCategory/cbc:Percent")
            tax = _amount(subtotal, "cbc:TaxAmount")
            if base is not None and rate is not None and _off(tax, base * rate / 100):
                yield "cac:TaxSubtotal/cbc:TaxAmount", str(tax), _line_note(line)


def _line_rate_rule(code: str, tax: str) -> None:
    @python_rule(code, "TaxSubtotal/cbc:TaxAmount")
    def line_tax_is_rate_times_base(root: etree._Element, source: Any) -> Violations:
        for line in _lines(root):
            for subtotal in _subtotals(line):
                base = _amount(subtotal, "cbc:TaxableAmount")
                rate = _amount(subtotal, "cac:TaxCategory/cbc:Percent")
                if _code(subtotal) != tax or base is None or base <= 0 or rate is None:
                    continue
                tax_amount = _amount(subtotal, "cbc:TaxAmount")
                if _off(tax_amount, base * rate / 100):
                    yield "cac:TaxSubtotal/cbc:TaxAmount", str(tax_amount), _line_note(line)

    line_tax_is_rate_times_base.__doc__ = f"Line tax {tax} with a base above zero = rate × base."


_line_rate_rule("3108", "2000")
_line_rate_rule("3109", "9999")


@python_rule("3292", "InvoiceLine/cac:TaxTotal/cbc:TaxAmount")
@python_rule("4293", "InvoiceLine/cac:TaxTotal/cbc:TaxAmount", sheets=("boleta",))
def line_tax_total_is_sum(root: etree._Element, source: Any) -> Violations:
    """A line's TaxTotal = the sum of its IGV, IVAP, ISC, ICBPER and other-tax amounts."""
    for line in _lines(root):
        total = _amount(line, "cac:TaxTotal/cbc:TaxAmount")
        expected = sum((_amount(s, "cbc:TaxAmount") or ZERO for s in _subtotals(line) if _code(s) in TAXES_IN_TOTAL), ZERO)
        if _off(total, expected):
            yield "cac:TaxTotal/cbc:TaxAmount", str(total), _line_note(line)


@python_rule("3292", "NoteLine/cac:TaxTotal/cbc:TaxAmount")
def note_line_tax_total_is_sum(root: etree._Element, source: Any) -> Violations:
    """A note's line TaxTotal = the sum, when the note modifies a factura ('01'); on another document the
    workbook only observes it (4293, :mod:`families.line_taxes`)."""
    types = xp(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:DocumentTypeCode/text()")
    if types and not any(t.strip() == "01" for t in types):
        return
    yield from line_tax_total_is_sum(root, source)


# -- document taxes ---------------------------------------------------------------------------------
@_rules("3294", "4301")
def document_tax_total_is_sum(root: etree._Element, source: Any) -> Violations:
    """The document's TaxTotal = the sum of its IGV, IVAP, ISC, ICBPER and other-tax subtotals."""
    total = _amount(root, "cac:TaxTotal/cbc:TaxAmount")
    expected = sum((_amount(s, "cbc:TaxAmount") or ZERO for s in _subtotals(root) if _code(s) in TAXES_IN_TOTAL), ZERO)
    if _off(total, expected):
        yield "cac:TaxTotal/cbc:TaxAmount", str(total), None


#: Per global tax base: (error, observation) codes, and the global (discounts, charges) it takes.
_BASES = {
    "1000": (("3277", "4299"), BASE_DISCOUNTS, BASE_CHARGES),
    "1016": (("3293", "4300"), BASE_DISCOUNTS, BASE_CHARGES),
    "9995": (("3273", "4295"), (), ()),
    "9996": (("3276", "4298"), (), ()),
    "9997": (("3275", "4297"), EXONERATED_ADVANCES, ()),
    "9998": (("3274", "4296"), UNAFFECTED_ADVANCES, ()),
}


def _global_base_rule(tax: str) -> None:
    codes, discounts, charges = _BASES[tax]

    @_rules(*codes)
    def global_base_is_sum_of_lines(root: etree._Element, source: Any) -> Violations:
        if _unjudged_note(root):
            return
        expected = _line_values(root, (tax,)) - _adjustments(root, discounts) + _adjustments(root, charges)
        for subtotal in _global_subtotals(root, tax):
            actual = _amount(subtotal, "cbc:TaxableAmount")
            if _off(actual, expected):
                yield "cac:TaxSubtotal/cbc:TaxableAmount", str(actual), None

    global_base_is_sum_of_lines.__doc__ = (f"Global base of {tax} = Σ values of the {tax} lines (base > 0) "
                                           f"− global {discounts or 'nothing'} + global {charges or 'nothing'}.")


for _tax in _BASES:
    _global_base_rule(_tax)


@_rules("3291", "4290")
def global_igv_is_rate_times_bases(root: etree._Element, source: Any) -> Violations:
    """Global IGV = (Σ IGV line bases − discounts 02, 04 + charges 49 − ISC advances 20) × the lines' rate."""
    if _unjudged_note(root):
        return
    adjustment = _adjustments(root, BASE_CHARGES) - _adjustments(root, BASE_DISCOUNTS) - _adjustments(root, ISC_ADVANCES)
    expected = _rated_with_adjustment(root, "1000", Decimal(18), adjustment)
    for subtotal in _global_subtotals(root, "1000"):
        actual = _amount(subtotal, "cbc:TaxAmount")
        if expected is not None and _off(actual, expected):
            yield "cac:TaxSubtotal/cbc:TaxAmount", str(actual), None


def _ivap(root: etree._Element, adjustment: Decimal) -> Decimal:
    """(Σ IVAP line bases + ``adjustment`` of the base) × the IVAP's rate in force (:data:`IVAP_RATE`)."""
    return (_line_sum(root, "1016", "cbc:TaxableAmount") + adjustment) * IVAP_RATE / 100


@_rules("3295", "4302")
def global_ivap_is_rate_times_bases(root: etree._Element, source: Any) -> Violations:
    """Global IVAP = (Σ IVAP line bases − discounts 02, 04 + charges 49) × the IVAP's rate in force: an
    IVAP a document states at another rate, lines and totals agreeing, is still wrong (row 354)."""
    if _unjudged_note(root):
        return
    expected = _ivap(root, _adjustments(root, BASE_CHARGES) - _adjustments(root, BASE_DISCOUNTS))
    for subtotal in _global_subtotals(root, "1016"):
        actual = _amount(subtotal, "cbc:TaxAmount")
        if _off(actual, expected):
            yield "cac:TaxSubtotal/cbc:TaxAmount", str(actual), None


def _global_sum_rule(codes: tuple[str, str], tax: str, field: str, *, positive_base: bool = False,
                     skip_free: bool = False, less: tuple[str, ...] = ()) -> None:
    @_rules(*codes)
    def global_is_sum_of_lines(root: etree._Element, source: Any) -> Violations:
        if less and _unjudged_note(root):
            return
        expected = _line_sum(root, tax, field, positive_base=positive_base, skip_free=skip_free) - _adjustments(root, less)
        for subtotal in _global_subtotals(root, tax):
            actual = _amount(subtotal, field)
            if _off(actual, expected):
                yield f"cac:TaxSubtotal/{field}", str(actual), None

    global_is_sum_of_lines.__doc__ = f"Global {field} of {tax} = Σ the lines' {field} of {tax}" + (
        " (free lines aside)" if skip_free else "") + (f" − global {less}" if less else "") + (
        ".  The workbook states no tolerance on some sheets: ± 1 everywhere (the narrow reading).")


_global_sum_rule(("3296", "4303"), "2000", "cbc:TaxableAmount", skip_free=True)
_global_sum_rule(("3297", "4304"), "9999", "cbc:TaxableAmount")
_global_sum_rule(("3298", "4305"), "2000", "cbc:TaxAmount", skip_free=True, less=ISC_ADVANCES)
_global_sum_rule(("3299", "4306"), "9999", "cbc:TaxAmount")
_global_sum_rule(("3306", "4321"), "7152", "cbc:TaxAmount")
_global_sum_rule(("3302", "4311"), "9996", "cbc:TaxAmount", positive_base=True)


@_rules("3462")
def igv_lines_share_one_rate(root: etree._Element, source: Any) -> Violations:
    """Every line bearing IGV (1000 with base > 0, or a free 9996 line of affectation 11–16 with base
    > 0) states the same rate."""
    rates: dict[Decimal, etree._Element] = {}
    for line in _lines(root):
        for subtotal in _subtotals(line):
            code, base = _code(subtotal), _amount(subtotal, "cbc:TaxableAmount") or ZERO
            bears_igv = code == "1000" or (code == "9996" and _affectation(subtotal) in FREE_IGV_AFFECTATIONS)
            rate = _amount(subtotal, "cac:TaxCategory/cbc:Percent")
            if bears_igv and base > 0 and rate is not None:
                rates.setdefault(rate, line)
    if len(rates) > 1:
        igv = _global(root, "1000", "cbc:TaxAmount")
        yield "cac:TaxSubtotal/cbc:TaxAmount", "" if igv is None else str(igv), None


# -- monetary totals --------------------------------------------------------------------------------
@_rules("3278", "4309", tag="LineExtensionAmount")
def total_value_is_sum_of_lines(root: etree._Element, source: Any) -> Violations:
    """Total valor de venta = Σ values of taxed, exported, exonerated and unaffected lines − global
    discounts 02 + global charges 49."""
    total = _monetary_total(root)
    if total is None or _unjudged_note(root):
        return
    expected = _line_values(root, SALE_BASES) - _adjustments(root, VALUE_DISCOUNTS) + _adjustments(root, BASE_CHARGES)
    actual = _amount(total, "cbc:LineExtensionAmount")
    if _off(actual, expected):
        yield "cbc:LineExtensionAmount", str(actual), None


@_rules("3279", "4310", tag="TaxInclusiveAmount")
def total_price_is_value_plus_taxes(root: etree._Element, source: Any) -> Violations:
    """Total precio de venta = total valor de venta + ISC (+ its advances 20) + other taxes + ICBPER +
    IGV on (Σ IGV line bases − 02 + 49) at the rate its lines state — or, subject to IVAP, + other
    taxes + ICBPER + IVAP on (Σ IVAP line bases − 02 + 49) at the IVAP's rate in force (row 421)."""
    total = _monetary_total(root)
    if total is None or _unjudged_note(root):
        return
    value, actual = _amount(total, "cbc:LineExtensionAmount"), _amount(total, "cbc:TaxInclusiveAmount")
    if value is None or actual is None:
        return
    adjustment = _adjustments(root, BASE_CHARGES) - _adjustments(root, VALUE_DISCOUNTS)
    expected = value + (_global(root, "9999", "cbc:TaxAmount") or ZERO) + (_global(root, "7152", "cbc:TaxAmount") or ZERO)
    if subject_to_ivap(root):
        tax: Decimal | None = _ivap(root, adjustment)
    else:
        expected += (_global(root, "2000", "cbc:TaxAmount") or ZERO) + _adjustments(root, ISC_ADVANCES)
        tax = _rated_with_adjustment(root, "1000", Decimal(18), adjustment)
    if tax is not None and _off(actual, expected + tax):
        yield "cbc:TaxInclusiveAmount", str(actual), None


@_rules("3280", "4312", tag="PayableAmount", sheets=("factura", "boleta"))
def payable_is_price_plus_charges_minus_discounts(root: etree._Element, source: Any) -> Violations:
    """Importe total = precio de venta + other charges − other discounts − advances + rounding."""
    total = _monetary_total(root)
    if total is None:
        return
    price = _amount(total, "cbc:TaxInclusiveAmount")
    if price is None:
        return
    expected = (price + (_amount(total, "cbc:ChargeTotalAmount") or 0) - (_amount(total, "cbc:AllowanceTotalAmount") or 0)
                - (_amount(total, "cbc:PrepaidAmount") or 0) + (_amount(total, "cbc:PayableRoundingAmount") or 0))
    actual = _amount(total, "cbc:PayableAmount")
    if _off(actual, expected):
        yield "cbc:PayableAmount", str(actual), None


@_rules("3280", "4312", tag="PayableAmount", sheets=NOTES)
def note_payable_is_bases_plus_taxes(root: etree._Element, source: Any) -> Violations:
    """A note's importe total = its gravado, inafecto, exonerado, export and IVAP bases + IGV, ISC,
    IVAP, other taxes and ICBPER + other charges + rounding.  A note with discounts or advances at the
    document level is not judged (the row does not say how they count)."""
    total = _monetary_total(root)
    if total is None or _has_global_adjustments(root) or (_amount(total, "cbc:AllowanceTotalAmount") or ZERO) > 0:
        return
    expected = sum((_global(root, tax, "cbc:TaxableAmount") or ZERO for tax in SALE_BASES), ZERO)
    expected += sum((_global(root, tax, "cbc:TaxAmount") or ZERO for tax in TAXES_IN_TOTAL), ZERO)
    expected += (_amount(total, "cbc:ChargeTotalAmount") or ZERO) + (_amount(total, "cbc:PayableRoundingAmount") or ZERO)
    actual = _amount(total, "cbc:PayableAmount")
    if _off(actual, expected):
        yield "cbc:PayableAmount", str(actual), None


def _other_adjustments_rule(codes: tuple[str, ...], field: str, line_codes: tuple[str, ...],
                            global_codes: dict[str, tuple[str, ...]]) -> None:
    for sheet, reasons in global_codes.items():
        @_rules(*codes, tag=field, sheets=(sheet,))
        def total_is_sum_of_other_adjustments(root: etree._Element, source: Any, reasons=reasons) -> Violations:
            total = _monetary_total(root)
            actual = _amount(total, f"cbc:{field}")
            if actual is None:
                return
            expected = _line_adjustments(root, line_codes) + _adjustments(root, reasons)
            if _off(actual, expected):
                yield f"cbc:{field}", str(actual), None

        total_is_sum_of_other_adjustments.__doc__ = (f"{field} = Σ line {line_codes} + global {reasons} "
                                                     "(those that do not change the tax base).")


_other_adjustments_rule(("3300", "4307"), "AllowanceTotalAmount", OTHER_LINE_DISCOUNTS, OTHER_GLOBAL_DISCOUNTS)
_other_adjustments_rule(("3301", "4308"), "ChargeTotalAmount", OTHER_LINE_CHARGES,
                        {"factura": OTHER_GLOBAL_CHARGES, "boleta": OTHER_GLOBAL_CHARGES})


# -- advances ---------------------------------------------------------------------------------------
def _prepaid(root: etree._Element) -> Decimal | None:
    amount = _amount(_monetary_total(root), "cbc:PrepaidAmount")
    return amount if amount is not None and amount > 0 else None


@_rules("2509", tag="PrepaidAmount")
def prepaid_is_sum_of_advances(root: etree._Element, source: Any) -> Violations:
    """Total anticipos (above zero) = Σ cac:PrepaidPayment/cbc:PaidAmount: both are amounts the emitter
    states, so no tolerance is given."""
    prepaid = _prepaid(root)
    if prepaid is None:
        return
    paid = sum((decimal_of(t) or ZERO for t in xp(root, "cac:PrepaidPayment/cbc:PaidAmount/text()")), ZERO)
    if paid != prepaid:
        yield "cbc:PrepaidAmount", str(prepaid), None


@_rules("3287", tag="PrepaidAmount")
def prepaid_needs_an_advance_discount(root: etree._Element, source: Any) -> Violations:
    """Total anticipos above zero needs a global discount for advances (04, 05 or 06) above zero."""
    prepaid = _prepaid(root)
    if prepaid is not None and _adjustments(root, ADVANCES) <= 0:  # amounts are positive (2968): Σ > 0 ⇔ one > 0
        yield "cbc:PrepaidAmount", str(prepaid), None
