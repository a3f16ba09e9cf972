"""Numbers read as SUNAT reads them: Python's own parsers accept, or raise on, what SUNAT answers with a code."""
from decimal import Decimal

import pytest

from osemock.cpe.numbers import cents, correlativo, decimal_of, digits


@pytest.mark.parametrize("text, expected", [
    ("354.00", Decimal("354.00")), (" 18 ", Decimal("18")), ("-0.01", Decimal("-0.01")), ("+5", Decimal("5")),
    (".5", Decimal(".5")), ("5.", Decimal("5")), ("9" * 400, Decimal("9" * 400)),
])
def test_plain_decimals_are_read(text, expected):
    assert decimal_of(text) == expected


@pytest.mark.parametrize("text", [
    None, "", " ", ".", "-", "NaN", "sNaN", "-nan", "Infinity", "-Inf", "1E+999999999", "1e3", "0e0", "1_000",
    "\u0661\u0662\u0663", "\uff11\uff12", "1,50", "1 000", "1.2.3", "0x10",
])
def test_what_python_would_take_but_sunat_would_not_is_no_number(text):
    assert decimal_of(text) is None


def test_digits_are_ascii_digits_only():
    assert digits("0123456789")
    for text in ("", None, "\u00b2", "\u0661\u0662\u0663", "12a", " 12", "-1", "\uff11"):
        assert not digits(text), text


@pytest.mark.parametrize("text, expected", [
    ("1", 1), ("00000587", 587), (" 42 ", 42), ("99999999", 99_999_999),
    ("123456789", None), ("9" * 20, None), ("9" * 5000, None), ("\u00b2", None), ("\u0661\u0662\u0663", None),
    ("", None), (None, None), ("1.0", None),
])
def test_a_correlativo_has_one_to_eight_ascii_digits(text, expected):
    assert correlativo(text) == expected


def test_cents_round_half_up_and_leave_what_cannot_carry_cents():
    assert cents(Decimal("0.125")) == Decimal("0.13")
    assert cents(Decimal("2.5") * Decimal("0.5")) == Decimal("1.25")
    huge = Decimal("9" * 40)
    assert cents(huge) == huge  # quantize would raise InvalidOperation past 28 digits


def test_decimal_format_is_the_workbooks_decimal_of_n_integers_and_m_decimals():
    from osemock.cpe.numbers import decimal_format

    pattern = decimal_format(12, 2)
    assert all(pattern.fullmatch(v) for v in ("0", "0.5", "123456789012.12"))
    assert not any(pattern.fullmatch(v) for v in ("01", "-1", "1.", "1.123", "1234567890123", "\u0661", "1e3"))
    assert decimal_format(12, 2) is pattern  # compiled once
