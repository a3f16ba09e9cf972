import io
import zipfile
from datetime import datetime

import pytest

from ..helpers import zip_of

from osemock.cpe.archive import (LOT_ANSWER_LIMITS, XmlEntry, ZipLimits, answer_entries, first_xml, lot_document_name,
                                 read_lot, read_single_xml, write_cdr_zip, write_document_zip)
from osemock.cpe.errors import ArchiveError, SunatError
from osemock.cpe.naming import parse_zip_name

NAME = parse_zip_name("20123456789-01-F001-1.zip")
XML = b"<?xml version='1.0'?><Invoice/>"




def code_of(content: bytes, limits: ZipLimits = ZipLimits()) -> str:
    with pytest.raises(SunatError) as raised:
        read_single_xml(content, NAME, limits)
    return raised.value.code


def test_reads_the_one_xml():
    entry = read_single_xml(write_document_zip("20123456789-01-F001-1.xml", XML), NAME)
    assert entry.content == XML


def test_uppercase_extension_and_folders_are_fine():
    entry = read_single_xml(zip_of(("dummy/", b""), ("20123456789-01-F001-1.XML", XML)), NAME)
    assert entry.name.endswith(".XML")


@pytest.mark.parametrize("content, code", [
    (b"", "0155"),
    (b"this is not a zip", "0156"),
    (zip_of(("dummy/", b"")), "0157"),
    (zip_of(("20123456789-01-F001-1.xml", XML), ("20123456789-01-F001-2.xml", XML)), "0158"),
    (zip_of(("factura.xml", XML)), "0159"),
    (zip_of(("../20123456789-01-F001-1.xml", XML)), "0159"),
    (zip_of(("20123456789-01-F001-1.xml", b"  \n")), "0160"),
    (zip_of(("20123456789-01-F001-2.xml", XML)), "0161"),
])
def test_zip_codes(content, code):
    assert code_of(content) == code


def test_zip_bomb_is_refused_without_expanding():
    bomb = zip_of(("20123456789-01-F001-1.xml", b"<a>" + b" " * 20_000_000 + b"</a>"))
    assert len(bomb) < 100_000
    assert code_of(bomb, ZipLimits(max_ratio=100)) == "0156"
    assert code_of(bomb, ZipLimits(max_xml_bytes=1_000_000)) == "0156"


def test_truncated_zip_is_corrupt():
    content = write_document_zip("20123456789-01-F001-1.xml", XML * 100)
    assert code_of(content[: len(content) // 2]) == "0156"


def test_lot_reads_every_document():
    entries = read_lot(zip_of(("20123456789-01-F001-1.xml", XML), ("20123456789-01-F001-2.xml", XML)))
    assert [e.name for e in entries] == ["20123456789-01-F001-1.xml", "20123456789-01-F001-2.xml"]


def test_a_lots_badly_named_or_empty_entry_is_that_entrys_problem():
    """read_lot refused the whole lot for one such entry (0159, 0160); it is the entry's own line now."""
    entries = read_lot(zip_of(("20123456789-01-F001-1.xml", XML), ("../x.xml", XML), ("20123456789-01-F001-2.xml", b"")))
    assert [e.name for e in entries] == ["20123456789-01-F001-1.xml", "../x.xml", "20123456789-01-F001-2.xml"]
    assert lot_document_name(entries[0]).base == "20123456789-01-F001-1"
    for entry, code in zip(entries[1:], ("0159", "0160")):
        with pytest.raises(SunatError) as raised:
            lot_document_name(entry)
        assert raised.value.code == code
    with pytest.raises(SunatError, match="0159"):
        lot_document_name(XmlEntry("20123456789-RC-20261120-1.xml", XML))


def test_folders_do_not_count_as_a_lots_documents():
    """1000 documents and SUNAT's ``dummy/`` folder were 0156 'more than 1000 entries'."""
    documents = [(f"20123456789-01-F001-{n}.xml", XML) for n in range(1, 1001)]
    assert len(read_lot(zip_of(("dummy/", b""), *documents), ZipLimits())) == 1000
    with pytest.raises(SunatError, match="more than 1000 files"):
        read_lot(zip_of(*documents, ("20123456789-01-F001-1001.xml", XML)), ZipLimits())
    with pytest.raises(SunatError, match="more than 5 folders"):
        read_lot(zip_of(*documents[:1], *((f"d{n}/", b"") for n in range(6))), ZipLimits(max_entries=5))


@pytest.mark.parametrize("read", [read_lot, answer_entries], ids=["lot", "answer"])
def test_a_zip_of_a_thousand_entries_is_read_in_one_pass(read):
    """Each entry was read by opening the archive again, which parses its whole central directory: a
    1000-entry lot spent some 8 s (seconds of the sendPack call, and again when its ticket settled)
    reading 1000 × 1000 directory records.  Opened once, it is a few milliseconds."""
    import time

    lot = zip_of(*((f"20123456789-01-F001-{n}.xml", XML) for n in range(1, 1001)))
    started = time.perf_counter()
    entries = read(lot, ZipLimits())
    assert len(entries) == 1000
    assert time.perf_counter() - started < 1.0


def test_a_lots_answer_is_read_within_the_largest_lots_and_no_further():
    """1000 CDRs and the error list are read; one entry more is no lot's answer (ArchiveError)."""
    cdr = write_cdr_zip("R-20123456789-01-F001-1.xml", XML, datetime(2026, 11, 20, 10, 30, 0))
    answer = [(f"R-20123456789-01-F001-{n}.zip", cdr) for n in range(1, 1001)] + [("R-errors.txt", b"x: 2017 - y")]
    assert len(answer_entries(zip_of(*answer), LOT_ANSWER_LIMITS)) == 1001
    with pytest.raises(ArchiveError, match="more than 1001 files"):
        answer_entries(zip_of(*answer, ("R-more.txt", b"z")), LOT_ANSWER_LIMITS)


def test_cdr_zip_layout_is_sunats():
    content = write_cdr_zip("R-20123456789-01-F001-1.xml", XML, datetime(2026, 11, 20, 10, 30, 0))
    archive = zipfile.ZipFile(io.BytesIO(content))
    first, second = archive.infolist()
    assert first.filename == "dummy/" and first.file_size == 0
    assert second.filename == "R-20123456789-01-F001-1.xml"
    assert second.compress_type == zipfile.ZIP_DEFLATED
    assert second.flag_bits & 0x0002 and not second.flag_bits & 0x0008
    assert second.create_version == 0 and second.extract_version == 20
    assert second.date_time == (2026, 11, 20, 10, 30, 0)
    assert content[:4] == b"PK\x03\x04" and b"dummy/" in content[:64]
    assert first_xml(content) == ("R-20123456789-01-F001-1.xml", XML)


def test_limits_come_from_the_environment():
    limits = ZipLimits.from_env({"OSE_ZIP_MAX_ENTRIES": "5", "OSE_ZIP_MAX_RATIO": "50"})
    assert (limits.max_entries, limits.max_ratio, limits.max_xml_bytes) == (5, 50, ZipLimits().max_xml_bytes)
    with pytest.raises(ValueError, match="OSE_ZIP_MAX_ENTRIES"):
        ZipLimits.from_env({"OSE_ZIP_MAX_ENTRIES": "many"})
    with pytest.raises(ValueError, match="OSE_ZIP_MAX_RATIO must be a whole number of 1 or more, not .0."):
        ZipLimits.from_env({"OSE_ZIP_MAX_RATIO": "0"})
