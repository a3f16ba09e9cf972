"""Numbers as a comprobante writes them, read the way SUNAT's validators read them.

SUNAT's checks are Java and XSLT with ASCII character classes: a correlativo is one to eight of
``0-9``, an amount is xsd:decimal's lexical form (a sign, digits, one point). Python's own parsers
are more generous, and a rule that used them would accept what SUNAT rejects, or raise where SUNAT
answers a code:

* ``str.isdigit`` is true for '²' and '١٢٣'; ``int('١٢٣')`` is 123 and ``int('²')`` raises;
  ``int()`` of more than 4,300 digits raises; SQLite cannot hold a number above 2**63.
* ``Decimal`` takes 'NaN', 'sNaN', 'Infinity', '1E+999999999', '1_000' and '١٢٣', and ordering a
  NaN raises.

So every place that reads a number out of a document, a file name or a request goes through here.
"""
from __future__ import annotations

import re
from functools import lru_cache
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")

CENT = Decimal("0.01")

#: A correlativo has at most eight digits (file names, series-number IDs): a longer one is no document.
CORRELATIVO_DIGITS = 8


def digits(text: str | None) -> bool:
    """Whether ``text`` is one or more ASCII digits (``str.isdigit`` also takes '²' and '١٢٣')."""
    return bool(text) and text.isascii() and text.isdigit()  # type: ignore[union-attr]


def decimal_of(text: str | None) -> Decimal | None:
    """The amount ``text`` writes, surrounding whitespace ignored; ``None`` when it is not a plain
    decimal (no exponent, NaN, infinity, underscore or non-ASCII digit)."""
    if text is None:
        return None
    text = text.strip()
    return Decimal(text) if _DECIMAL.fullmatch(text) else None


@lru_cache(maxsize=None)
def decimal_format(integers: int, decimals: int) -> re.Pattern[str]:
    """The workbook's "decimal de N enteros y hasta M decimales": no sign, no leading zero, at most
    ``integers`` digits before the point and one to ``decimals`` after it."""
    return re.compile(rf"(0|[1-9][0-9]{{0,{integers - 1}}})(\.[0-9]{{1,{decimals}}})?")


def correlativo(text: str | None) -> int | None:
    """A document's number (one to eight ASCII digits) as an int; ``None`` for anything else, which
    no stored document can carry."""
    if text is None:
        return None
    text = text.strip()
    return int(text) if digits(text) and len(text) <= CORRELATIVO_DIGITS else None


def cents(amount: Decimal) -> Decimal:
    """``amount`` rounded half up to cents, as SUNAT rounds a tax; an amount too long to carry cents
    within Decimal's 28 digits comes back as it is (its format row rejects it anyway)."""
    try:
        return amount.quantize(CENT, ROUND_HALF_UP)
    except InvalidOperation:
        return amount
