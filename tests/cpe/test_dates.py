"""Dates read as SUNAT reads them: an xs:date may carry a timezone (what JAXB writes); its day is the
day as written, and whatever is no xs:date is no day (the rules leave it to the format rows)."""
from datetime import date

import pytest
from lxml import etree

from osemock.cpe.dates import day_of, iso_day
from osemock.cpe.document import read_header
from osemock.fixtures import signed_document


@pytest.mark.parametrize("text", ["2026-11-26", "2026-11-26Z", "2026-11-26-05:00", "2026-11-26+14:00", " 2026-11-26-05:00\n"])
def test_an_offset_is_dropped_and_the_day_kept(text):
    assert day_of(text) == date(2026, 11, 26)
    assert iso_day(text) == "2026-11-26"


@pytest.mark.parametrize("text", [
    None, "", " ", "26/11/2026", "2026-11-26T10:00:00", "2026-1-26", "2026-02-30", "2026-11-26+15:00", "2026-11-26z",
    "0000-01-01", "-0001-01-01", "10000-01-01", "9" * 30 + "-01-01", "\u0662\u0660\u0662\u0666-11-26",
])
def test_what_is_no_xs_date_is_no_day(text):
    assert day_of(text) is None
    assert iso_day(text) == text  # left as written, for the rules to report


def test_the_header_keeps_the_day_alone():
    """What the store keeps and the CDR echoes: the day, so a note, an RA or a perception compares days."""
    root = etree.fromstring(signed_document("20123456789-01-F001-1.xml", issue_date="2026-11-20"))
    root.find("{*}IssueDate").text = "2026-11-20-05:00"
    assert read_header(root).issue_date == "2026-11-20"


def test_digits_of_other_scripts_are_no_date():
    """The plain form is read by the standard library, whose int() takes any script's digits; xs:date
    takes ASCII digits only."""
    assert day_of("٢٠٢٦-١١-٢٦") is None
