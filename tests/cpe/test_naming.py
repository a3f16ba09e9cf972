from datetime import date

import pytest

from osemock.cpe.errors import SunatError
from osemock.cpe.naming import parse_xml_name, parse_zip_name


@pytest.mark.parametrize("name, kind, type_code", [
    ("20123456789-01-F001-1.zip", "document", "01"),
    ("20123456789-03-B001-00000123.ZIP", "document", "03"),
    ("20123456789-07-FC01-99999999.zip", "document", "07"),
    ("10123456789-20-R001-1.zip", "document", "20"),
    ("20123456789-RC-20261120-1.zip", "summary", "RC"),
    ("20123456789-RA-20261120-99999.zip", "summary", "RA"),
    ("20123456789-LT-20261120-3.zip", "lot", "LT"),
])
def test_valid_names(name, kind, type_code):
    parsed = parse_zip_name(name)
    assert parsed.kind == kind
    assert parsed.type_code == type_code
    assert parsed.ruc.startswith(("1", "2"))


def test_parts_of_a_document_name():
    parsed = parse_zip_name("20123456789-01-F001-00000587.zip")
    assert (parsed.serie, parsed.numero, parsed.base) == ("F001", 587, "20123456789-01-F001-00000587")
    assert parsed.cdr_base == "R-20123456789-01-F001-00000587"


def test_parts_of_a_summary_name():
    parsed = parse_zip_name("20123456789-RC-20261120-12.zip")
    assert parsed.issue_date == date(2026, 11, 20)
    assert parsed.correlativo == 12
    assert parsed.series_number == "RC-20261120-12"


@pytest.mark.parametrize("name", [
    None, "", "20123456789-01-F001-1", "20123456789-01-F001-1.xml", "2012345678-01-F001-1.zip",
    "30123456789-01-F001-1.zip", "20123456789-02-F001-1.zip", "20123456789-01-F01-1.zip",
    "20123456789-01-F001-123456789.zip", "20123456789-RC-20261340-1.zip", "20123456789-RC-20261120-0.zip",
    "20123456789-RC-20261120-123456.zip", "XXXXXXXXXXX-01-01-00000002.zip", "../20123456789-01-F001-1.zip",
    # digits of other scripts: Python's \d takes them, SUNAT's [0-9] does not
    "20123456789-01-F001-\u0661\u0662\u0663.zip", "2012345678\u0669-01-F001-1.zip", "20123456789-\u0660\u0661-F001-1.zip",
    "20123456789-RC-2026112\u0660-1.zip",
])
def test_invalid_names_are_0151(name):
    with pytest.raises(SunatError) as raised:
        parse_zip_name(name)
    assert raised.value.code == "0151"
    assert raised.value.message == "El nombre del archivo ZIP es incorrecto"


def test_xml_names():
    assert parse_xml_name("20123456789-01-F001-1.XML").base == "20123456789-01-F001-1"
    assert parse_xml_name("factura.xml") is None
    assert parse_xml_name("20123456789-01-F001-1.zip") is None
