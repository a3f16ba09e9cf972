"""The rows of SUNAT's rule workbook, one CSV per sheet (see ``sheets/PROVENANCE.md``)."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

#: Sheet (CSV name) per document type code.
SHEETS: dict[str, str] = {
    "01": "factura", "03": "boleta", "07": "nota_credito", "08": "nota_debito",
    "RC": "resumen_diario", "RA": "comunicacion_baja", "RR": "resumen_reversiones",
    "20": "retencion", "40": "percepcion",
}
ROOTS = {"factura": "Invoice", "boleta": "Invoice", "nota_credito": "CreditNote", "nota_debito": "DebitNote",
         "resumen_diario": "SummaryDocuments", "comunicacion_baja": "VoidedDocuments",
         "resumen_reversiones": "VoidedDocuments", "retencion": "Retention", "percepcion": "Perception"}


@dataclass(frozen=True)
class WorkbookRow:
    """One ERROR/OBSERV row of a sheet."""

    sheet: str
    row: int
    field: str
    tag: str
    condition: str
    severity: str
    """``error`` or ``observation`` (TIPO DE RETORNO ERROR / OBSERV)."""
    code: str
    listado: str

    @property
    def key(self) -> str:
        return f"{self.sheet}:{self.row}"


@lru_cache(maxsize=None)
def rows(sheet: str) -> tuple[WorkbookRow, ...]:
    """The rule rows of a sheet, in the workbook's order."""
    text = files(__package__).joinpath("sheets", f"{sheet}.csv").read_text(encoding="utf-8")
    return tuple(
        WorkbookRow(sheet, int(r["row"]), r["field"], r["tag"], r["condition"],
                    "error" if r["severity"] == "ERROR" else "observation", r["code"], r["listado"])
        for r in csv.DictReader(text.splitlines())
    )
