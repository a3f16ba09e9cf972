"""The arithmetic of a CPE: line tax = base × rate, totals = sums (a line's value and prices: the line-items family).

Each rule is bound to the workbook rows of its code (so it runs in SUNAT's order) and uses SUNAT's
tolerance of ± 1.  Documents with global charges, discounts or advances (cac:AllowanceCharge,
PrepaidAmount) are only judged where those cannot change the result; the full discount algebra of
the workbook is not modelled yet, and a mock must never reject a valid document.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Iterator

from lxml import etree

from osemock.cpe import ns
from osemock.server.rules.backend import python_rule

Violations = Iterator[tuple[str, str, str | None]]
TOLERANCE = Decimal("1")
TAXES_IN_TOTAL = ("1000", "1016", "2000", "7152", "9999")
_LINES = ("cac:InvoiceLine", "cac:CreditNoteLine", "cac:DebitNoteLine")


@lru_cache(maxsize=None)
def _path(path: str) -> etree.XPath:
    return etree.XPath(path, namespaces=ns.UBL)


def _amount(node: etree._Element | None, path: str) -> Decimal | None:
    if node is None:
        return None
    found = _path(path)(node)
    if not found:
        return None
    try:
        return Decimal((found[0] if isinstance(found[0], str) else found[0].text or "").strip())
    except InvalidOperation:
        return None


def _lines(root: etree._Element) -> list[etree._Element]:
    return _path(" | ".join(_LINES))(root)


def _subtotals(holder: etree._Element) -> list[etree._Element]:
    return _path("cac:TaxTotal/cac:TaxSubtotal")(holder)


def _code(subtotal: etree._Element) -> str:
    found = _path("cac:TaxCategory/cac:TaxScheme/cbc:ID/text()")(subtotal)
    return found[0].strip() if found else ""


def _has_global_adjustments(root: etree._Element) -> bool:
    return bool(root.xpath("cac:AllowanceCharge | cac:PrepaidPayment | */cbc:PrepaidAmount[. > 0]", namespaces=ns.UBL))


def _line_note(line: etree._Element) -> str:
    return f"Error en la linea: {(line.findtext(f'{{{ns.CBC}}}ID') or '').strip()}"


def _off(actual: Decimal | None, expected: Decimal) -> bool:
    return actual is not None and abs(actual - expected) > TOLERANCE


@python_rule("3103", "TaxSubtotal/cbc:TaxAmount")
def line_igv_is_rate_times_base(root: etree._Element, source: Any) -> Violations:
    """Line IGV/IVAP (affectation 10–17) = rate × taxable base."""
    for line in _lines(root):
        for subtotal in _subtotals(line):
            reason = (subtotal.findtext(f"{{{ns.CAC}}}TaxCategory/{{{ns.CBC}}}TaxExemptionReasonCode") or "").strip()
            if reason not in {"10", "11", "12", "13", "14", "15", "16", "17"}:
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
@python_rule("3292", "NoteLine/cac:TaxTotal/cbc:TaxAmount")
def line_tax_total_is_sum(root: etree._Element, source: Any) -> Violations:
    """A line's TaxTotal = the sum of its IGV, IVAP, ISC, ICBPER and other-tax amounts."""
    for line in _lines(root):
        total = _amount(line, "cac:TaxTotal/cbc:TaxAmount")
        expected = sum((_amount(s, "cbc:TaxAmount") or Decimal(0) for s in _subtotals(line) if _code(s) in TAXES_IN_TOTAL),
                       Decimal(0))
        if _off(total, expected):
            yield "cac:TaxTotal/cbc:TaxAmount", str(total), _line_note(line)


@python_rule("3294", "TaxTotal/cbc:TaxAmount")
@python_rule("4301", "TaxTotal/cbc:TaxAmount", sheets=("boleta",))
def document_tax_total_is_sum(root: etree._Element, source: Any) -> Violations:
    """The document's TaxTotal = the sum of its IGV, IVAP, ISC, ICBPER and other-tax subtotals."""
    total = _amount(root, "cac:TaxTotal/cbc:TaxAmount")
    expected = sum((_amount(s, "cbc:TaxAmount") or Decimal(0) for s in _subtotals(root) if _code(s) in TAXES_IN_TOTAL),
                   Decimal(0))
    if _off(total, expected):
        yield "cac:TaxTotal/cbc:TaxAmount", str(total), None


def _global_base_rule(code: str, tax: str) -> None:
    @python_rule(code, "TaxSubtotal/cbc:TaxableAmount")
    def global_base_is_sum_of_lines(root: etree._Element, source: Any) -> Violations:
        if _has_global_adjustments(root):
            return
        for subtotal in _subtotals(root):
            if _code(subtotal) != tax:
                continue
            expected = Decimal(0)
            for line in _lines(root):
                for line_subtotal in _subtotals(line):
                    base = _amount(line_subtotal, "cbc:TaxableAmount") or Decimal(0)
                    if _code(line_subtotal) == tax and base > 0:
                        expected += _amount(line, "cbc:LineExtensionAmount") or Decimal(0)
            actual = _amount(subtotal, "cbc:TaxableAmount")
            if _off(actual, expected):
                yield "cac:TaxSubtotal/cbc:TaxableAmount", str(actual), None

    global_base_is_sum_of_lines.__doc__ = f"Global taxable amount of {tax} = sum of the line values of {tax} lines."


for _code_, _tax_ in (("3277", "1000"), ("3293", "1016"), ("3273", "9995"), ("3275", "9997"), ("3274", "9998")):
    _global_base_rule(_code_, _tax_)


@python_rule("3291", "TaxSubtotal/cbc:TaxAmount")
def global_igv_is_rate_times_bases(root: etree._Element, source: Any) -> Violations:
    """Global IGV = Σ line base × line rate (IGV lines), without global discounts."""
    if _has_global_adjustments(root):
        return
    for subtotal in _subtotals(root):
        if _code(subtotal) != "1000":
            continue
        expected = Decimal(0)
        for line in _lines(root):
            for line_subtotal in _subtotals(line):
                if _code(line_subtotal) == "1000":
                    base = _amount(line_subtotal, "cbc:TaxableAmount") or Decimal(0)
                    rate = _amount(line_subtotal, "cac:TaxCategory/cbc:Percent") or Decimal(18)
                    expected += base * rate / 100
        actual = _amount(subtotal, "cbc:TaxAmount")
        if _off(actual, expected):
            yield "cac:TaxSubtotal/cbc:TaxAmount", str(actual), None


def _monetary_total(root: etree._Element) -> etree._Element | None:
    found = root.xpath("cac:LegalMonetaryTotal | cac:RequestedMonetaryTotal", namespaces=ns.UBL)
    return found[0] if found else None


@python_rule("3278", "cbc:LineExtensionAmount")
@python_rule("4309", "LegalMonetaryTotal/cbc:LineExtensionAmount", sheets=("boleta",))
def total_value_is_sum_of_lines(root: etree._Element, source: Any) -> Violations:
    """Total valor de venta = Σ line values of taxed, exported, exonerated and unaffected lines."""
    total = _monetary_total(root)
    if total is None or _has_global_adjustments(root):
        return
    expected = Decimal(0)
    for line in _lines(root):
        if any(_code(s) in ("1000", "1016", "9995", "9997", "9998") and (_amount(s, "cbc:TaxableAmount") or 0) > 0
               for s in _subtotals(line)):
            expected += _amount(line, "cbc:LineExtensionAmount") or Decimal(0)
    actual = _amount(total, "cbc:LineExtensionAmount")
    if _off(actual, expected):
        yield "cbc:LineExtensionAmount", str(actual), None


@python_rule("3279", "TaxInclusiveAmount")
def total_price_is_value_plus_taxes(root: etree._Element, source: Any) -> Violations:
    """Total precio de venta = total valor de venta + the document's taxes (no IVAP, no global adjustments)."""
    total = _monetary_total(root)
    if total is None or _has_global_adjustments(root) or any(_code(s) == "1016" for s in _subtotals(root)):
        return
    value, taxes = _amount(total, "cbc:LineExtensionAmount"), _amount(root, "cac:TaxTotal/cbc:TaxAmount")
    actual = _amount(total, "cbc:TaxInclusiveAmount")
    if value is not None and taxes is not None and _off(actual, value + taxes):
        yield "cbc:TaxInclusiveAmount", str(actual), None


@python_rule("3280", "PayableAmount")
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
