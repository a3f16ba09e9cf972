"""SUNAT file names: what a ZIP sent to billService may be called, and what each part means.

Three shapes exist (PROTOCOL.md §5.1, SUNAT's General sheet):

* a single document, ``{RUC}-{TT}-{SERIE}-{NUMERO}`` (sendBill);
* a summary, ``{RUC}-{RC|RA|RR}-{YYYYMMDD}-{n}`` (sendSummary);
* a lot, ``{RUC}-LT-{YYYYMMDD}-{n}`` (sendPack).

:func:`parse` recognises the shape only; which method and endpoint may take which shape is the
engine's decision, because it is where the codes 0151/0152/0153 depend on context.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from osemock.cpe.errors import SunatError

#: Document types a single-document name may carry (catalog 01 types sent over billService).
DOCUMENT_TYPES = ("01", "03", "04", "07", "08", "09", "20", "31", "40")
SUMMARY_TYPES = ("RC", "RA", "RR")
LOT_TYPE = "LT"

_RUC = r"(?P<ruc>[12][0-9]{10})"
_DOCUMENT = re.compile(_RUC + r"-(?P<tt>[0-9]{2})-(?P<serie>[A-Z0-9]{4})-(?P<numero>[0-9]{1,8})")
_SUMMARY = re.compile(_RUC + r"-(?P<tt>RC|RA|RR|LT)-(?P<fecha>[0-9]{8})-(?P<n>[0-9]{1,5})")
_ZIP_SUFFIX = re.compile(r"\.(zip|ZIP)$")
_XML_SUFFIX = re.compile(r"\.(xml|XML)$")


@dataclass(frozen=True)
class CpeName:
    """A parsed file name, without its extension."""

    base: str
    ruc: str
    type_code: str
    serie: str | None = None
    numero: int | None = None
    issue_date: date | None = None
    correlativo: int | None = None

    @property
    def kind(self) -> str:
        """``document``, ``summary`` or ``lot``."""
        if self.type_code in SUMMARY_TYPES:
            return "summary"
        if self.type_code == LOT_TYPE:
            return "lot"
        return "document"

    @property
    def cdr_base(self) -> str:
        """Base name of the CDR SUNAT answers with: ``R-`` + the same base."""
        return f"R-{self.base}"

    @property
    def series_number(self) -> str:
        """``SERIE-NUMERO`` for a document, ``TT-YYYYMMDD-n`` for a summary or lot."""
        if self.kind == "document":
            return f"{self.serie}-{self.numero}"
        return self.base.split("-", 1)[1]


def parse_base(base: str) -> CpeName | None:
    """Parse a base name (no extension); ``None`` when it has none of the three shapes."""
    match = _DOCUMENT.fullmatch(base)
    if match:
        if match["tt"] not in DOCUMENT_TYPES:
            return None
        return CpeName(base, match["ruc"], match["tt"], match["serie"], int(match["numero"]))
    match = _SUMMARY.fullmatch(base)
    if match:
        try:
            issued = date(int(match["fecha"][:4]), int(match["fecha"][4:6]), int(match["fecha"][6:]))
        except ValueError:
            return None
        correlativo = int(match["n"])
        if not 1 <= correlativo <= 99999:
            return None
        return CpeName(base, match["ruc"], match["tt"], issue_date=issued, correlativo=correlativo)
    return None


def parse_zip_name(file_name: str | None) -> CpeName:
    """Parse the ``fileName`` of a request; a name of no known shape is SUNAT's 0151."""
    name = (file_name or "").strip()
    base = _ZIP_SUFFIX.sub("", name)
    parsed = parse_base(base) if base != name else None
    if parsed is None:
        raise SunatError("0151", f"Validation ZIP Filename error: {name}")
    return parsed


def parse_xml_name(entry_name: str) -> CpeName | None:
    """Parse the name of the XML inside the ZIP; ``None`` when it is not ``{base}.xml``."""
    base = _XML_SUFFIX.sub("", entry_name)
    if base == entry_name:
        return None
    return parse_base(base)


def document_base(ruc: str, type_code: str, serie: str, numero: int | str) -> str:
    """Base name of a single document, e.g. ``20123456789-01-F001-1``."""
    return f"{ruc}-{type_code}-{serie}-{int(numero)}"


def xml_files(folder: Path) -> list[Path]:
    """The documents of a folder: its files named ``*.xml`` or ``*.XML`` (both are SUNAT names), sorted.

    A broken link of that name is kept: reading it fails and names it, where skipping it would leave a
    document out without a word."""
    return sorted(path for path in folder.iterdir()
                  if _XML_SUFFIX.search(path.name) and (path.is_file() or _broken_link(path)))


def _broken_link(path: Path) -> bool:
    return path.is_symlink() and not path.exists()
