"""The ZIPs of the protocol: reading what an emitter sends, writing the CDR SUNAT-style.

Reading maps every way a ZIP can be wrong onto SUNAT's codes 0155–0161 (General sheet) and refuses
archives that would expand past the configured limits, so a ZIP bomb costs no memory.

Writing reproduces the byte layout of SUNAT's CDR ZIPs (PROTOCOL.md §9.3): an empty ``dummy/``
directory entry first, then ``R-{name}.xml``, deflated, general-purpose flag 0x0002, no data
descriptor, no extra fields, "version made by" 0.
"""
from __future__ import annotations

import io
import os
import zipfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Iterator

from osemock.cpe.errors import ArchiveError, SunatError
from osemock.cpe.naming import CpeName, parse_xml_name


@dataclass(frozen=True)
class ZipLimits:
    """Caps on what an incoming ZIP may expand to."""

    max_entries: int = 1000
    """Files in one archive (a lot's documents); more is refused as corrupt.  Folders (``dummy/``) are
    no documents and are not counted, but may be as many again at most."""
    max_xml_bytes: int = 50 * 1024 * 1024
    """Uncompressed size of one XML."""
    max_total_bytes: int = 200 * 1024 * 1024
    """Uncompressed size of the whole archive (sendPack lots)."""
    max_ratio: int = 1000
    """Largest compression ratio accepted for an entry (XML compresses ~10–40×)."""


    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "ZipLimits":
        """The limits, each overridable by ``OSE_ZIP_MAX_ENTRIES``, ``OSE_ZIP_MAX_XML_BYTES``,
        ``OSE_ZIP_MAX_TOTAL_BYTES`` and ``OSE_ZIP_MAX_RATIO``."""
        env = os.environ if env is None else env
        defaults = cls()
        values = {}
        for field_name in ("max_entries", "max_xml_bytes", "max_total_bytes", "max_ratio"):
            raw = env.get(f"OSE_ZIP_{field_name.upper()}")
            try:
                values[field_name] = int(raw) if raw else getattr(defaults, field_name)
            except ValueError:
                values[field_name] = 0
            if values[field_name] < 1:
                raise ValueError(f"OSE_ZIP_{field_name.upper()} must be a whole number of 1 or more, not {raw!r}")
        return cls(**values)


@lru_cache(maxsize=1)
def default_limits() -> ZipLimits:
    """The limits of this process's environment, read at the first ZIP (a server checks them at start:
    ``Settings.check``), not at import, where a typo would break every import of this module."""
    return ZipLimits.from_env()


@dataclass(frozen=True)
class XmlEntry:
    """One XML taken out of a request ZIP."""

    name: str
    content: bytes


@contextmanager
def _open(content: bytes, limits: ZipLimits) -> Iterator[tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]]:
    """The archive, opened once, and its entries (0155 empty, 0156 unreadable, or more files, or more
    folders, than ``max_entries``).  Every entry is read from this one archive: opening it again for
    each entry parsed the whole central directory each time, 1000 × 1000 records for a lot of 1000."""
    if not content:
        raise SunatError("0155", "Validation empty File error (codigo: 0155)")  # SUNAT's words, code included
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zlib.error, ValueError, OSError, EOFError) as exc:
        raise SunatError("0156", f"Validation ZIP File error: {exc}") from None
    with archive:
        files = len(_file_entries(infos))
        if files > limits.max_entries or len(infos) - files > limits.max_entries:
            kind = "files" if files > limits.max_entries else "folders"
            raise SunatError("0156", f"Validation ZIP File error: more than {limits.max_entries} {kind}")
        yield archive, infos


def _file_entries(infos: list[zipfile.ZipInfo]) -> list[zipfile.ZipInfo]:
    return [info for info in infos if not info.is_dir()]


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: ZipLimits) -> bytes:
    if info.file_size > limits.max_xml_bytes:
        raise SunatError("0156", f"Validation ZIP File error: {info.filename} exceeds {limits.max_xml_bytes} bytes")
    if info.compress_size and info.file_size / info.compress_size > limits.max_ratio:
        raise SunatError("0156", f"Validation ZIP File error: {info.filename} compression ratio too high")
    try:
        with archive.open(info) as stream:
            data = stream.read(limits.max_xml_bytes + 1)
    except (zipfile.BadZipFile, zlib.error, ValueError, OSError, EOFError, NotImplementedError) as exc:
        # zipfile raises NotImplementedError for a compression method it does not support (an emitter
        # zipping with, say, Deflate64): that is a ZIP SUNAT cannot read either, so 0156 like any other.
        raise SunatError("0156", f"Validation ZIP File error: {exc}") from None
    if len(data) > limits.max_xml_bytes:
        raise SunatError("0156", f"Validation ZIP File error: {info.filename} exceeds {limits.max_xml_bytes} bytes")
    return data


def _check_xml_name(entry: str, expected: CpeName | None) -> None:
    if "/" in entry or "\\" in entry or entry.startswith("."):
        raise SunatError("0159", f"Validation XML Filename error: {entry}")
    parsed = parse_xml_name(entry)
    if parsed is None:
        raise SunatError("0159", f"Validation XML Filename error: {entry}")
    if expected is not None and parsed.base != expected.base:
        raise SunatError("0161", f"{entry} <> {expected.base}.zip")


def read_single_xml(content: bytes, expected: CpeName, limits: ZipLimits | None = None) -> XmlEntry:
    """The one XML of a sendBill/sendSummary ZIP, named like the ZIP (codes 0155–0161)."""
    limits = limits or default_limits()
    with _open(content, limits) as (archive, infos):
        files = _file_entries(infos)
        if not files:
            raise SunatError("0157", "Validation File count error")
        if len(files) > 1:
            raise SunatError("0158", f"Validation File count error: {len(files)} files")
        info = files[0]
        _check_xml_name(info.filename, expected)
        data = _read(archive, info, limits)
    if not data.strip():
        raise SunatError("0160", f"Validation empty XML File error: {info.filename}")
    return XmlEntry(info.filename, data)


def read_lot(content: bytes, limits: ZipLimits | None = None) -> list[XmlEntry]:
    """Every file of a sendPack lot, folders aside, whatever its name or content: what concerns the ZIP
    as a whole refuses the lot (0155–0157, and 0156 for a bomb or past the limits), while an entry badly
    named or empty is that entry's problem (:func:`lot_document_name`), a line of the lot's errors as
    any other entry's refusal is, and the other documents are taken."""
    limits = limits or default_limits()
    total = 0
    entries = []
    with _open(content, limits) as (archive, infos):
        files = _file_entries(infos)
        if not files:
            raise SunatError("0157", "Validation File count error")
        for info in files:
            data = _read(archive, info, limits)
            total += len(data)
            if total > limits.max_total_bytes:
                raise SunatError("0156", "Validation ZIP File error: lot exceeds the size limit")
            entries.append(XmlEntry(info.filename, data))
    return entries


def lot_document_name(entry: XmlEntry) -> CpeName:
    """The name of a lot's entry, which must be a single document's XML: 0159 for any other name (a
    folder path, ``../``, a summary's or another file's), 0160 for an empty entry, as a sendBill of it
    would be answered."""
    _check_xml_name(entry.name, None)
    name = parse_xml_name(entry.name)
    if name is None or name.kind != "document":
        raise SunatError("0159", f"Validation XML Filename error: {entry.name}")
    if not entry.content.strip():
        raise SunatError("0160", f"Validation empty XML File error: {entry.name}")
    return name


def _dos_time(when: datetime) -> tuple[int, int, int, int, int, int]:
    return (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)


def write_cdr_zip(xml_name: str, xml: bytes, when: datetime) -> bytes:
    """A CDR ZIP laid out byte for byte like SUNAT's: ``dummy/`` first, then the XML."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        folder = zipfile.ZipInfo("dummy/", _dos_time(when))
        folder.compress_type = zipfile.ZIP_DEFLATED
        _sunat_style(folder)
        archive.writestr(folder, b"")
        entry = zipfile.ZipInfo(xml_name, _dos_time(when))
        entry.compress_type = zipfile.ZIP_DEFLATED
        _sunat_style(entry)
        entry.internal_attr = 1
        archive.writestr(entry, xml, compresslevel=9)
    return _set_maximum_compression_flag(bytearray(buffer.getvalue()))


def _set_maximum_compression_flag(data: bytearray) -> bytes:
    """Set bit 1 ("maximum compression") of every entry's flags, local and central, as SUNAT's ZIPs have.

    :mod:`zipfile` resets ``flag_bits`` while writing, so the two-byte fields are patched afterwards;
    the bit is informational only and changes no CRC.
    """
    end = data.rfind(b"PK\x05\x06")
    entries = int.from_bytes(data[end + 10:end + 12], "little")
    offset = int.from_bytes(data[end + 16:end + 20], "little")
    for _ in range(entries):
        local = int.from_bytes(data[offset + 42:offset + 46], "little")
        for flags_at in (offset + 8, local + 6):
            flags = int.from_bytes(data[flags_at:flags_at + 2], "little") | 0x0002
            data[flags_at:flags_at + 2] = flags.to_bytes(2, "little")
        offset += 46 + sum(int.from_bytes(data[offset + at:offset + at + 2], "little") for at in (28, 30, 32))
    return bytes(data)


def _sunat_style(info: zipfile.ZipInfo) -> None:
    info.create_system = 0
    info.create_version = 0
    info.extract_version = 20
    info.external_attr = 0


def write_document_zip(xml_name: str, xml: bytes) -> bytes:
    """The ZIP an emitter sends: one deflated entry named like the ZIP."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(xml_name, xml)
    return buffer.getvalue()


#: What a CDR ZIP may expand to when a client reads one: SUNAT's are a few KB, so a broken or hostile
#: answer cannot make the emitter's process expand hundreds of MB.
CDR_LIMITS = ZipLimits(max_entries=100, max_xml_bytes=10 * 1024 * 1024, max_total_bytes=10 * 1024 * 1024)

#: What a lot's answer (getStatus of a sendPack ticket) may expand to when a client reads it: a CDR ZIP
#: for each document of the largest lot (``ZipLimits.max_entries``, a rejected one's too where rejections
#: are CDRs) and the error list, each within a CDR's size, 64 KB a document on average in all (SUNAT's
#: CDRs are 3–5 KB).  A lot's answer read within one CDR's limits failed past 100 documents.
LOT_ANSWER_LIMITS = ZipLimits(max_entries=ZipLimits.max_entries + 1, max_xml_bytes=CDR_LIMITS.max_xml_bytes,
                              max_total_bytes=(ZipLimits.max_entries + 1) * 64 * 1024)


def first_xml(content: bytes, limits: ZipLimits = CDR_LIMITS) -> tuple[str, bytes]:
    """The first ``.xml`` entry of a ZIP, skipping folders such as ``dummy/`` (how clients read CDRs);
    :class:`ArchiveError` when the bytes are no readable ZIP, hold no XML or expand past ``limits``."""
    with _as_archive_error(), _open(content, limits) as (archive, infos):
        for info in _file_entries(infos):
            if info.filename.lower().endswith(".xml"):
                return info.filename, _read(archive, info, limits)
    raise ArchiveError("no XML entry in the ZIP")


def answer_entries(content: bytes, limits: ZipLimits = CDR_LIMITS) -> dict[str, bytes]:
    """Every file of a ZIP an OSE answered with (a lot's CDR ZIPs and its list of problems), within
    ``limits``; :class:`ArchiveError` when the bytes are no readable ZIP or expand past them."""
    entries: dict[str, bytes] = {}
    total = 0
    with _as_archive_error(), _open(content, limits) as (archive, infos):
        for info in _file_entries(infos):
            entries[info.filename] = _read(archive, info, limits)
            total += len(entries[info.filename])
            if total > limits.max_total_bytes:
                raise SunatError("0156", "Validation ZIP File error: the archive exceeds the size limit")
    return entries


@contextmanager
def _as_archive_error() -> Iterator[None]:
    """The reader's SUNAT codes (0155/0156), for a client that reads an answer rather than a request."""
    try:
        yield
    except SunatError as error:
        raise ArchiveError(f"not a readable ZIP: {error.detail or error.message}") from None
