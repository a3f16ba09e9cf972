"""Extract the rule rows of SUNAT's validation workbook into CSV files (data for the rules engine).

    pip install openpyxl
    python scripts/extract_workbook.py ../shared/reference/wire/sunat-validations/AjustesValidacionesCPEv20260212.xlsx

Writes ``server/rules/sheets/<sheet>.csv``: one line per ERROR/OBSERV row with its workbook row
number, the field, the UBL tag in force (carried down merged cells), the condition, the return type
and code, and the external list (LISTADOS) it needs.  Regenerate when SUNAT publishes a new version.
"""
from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

SHEETS = {
    "Factura2_0": "factura", "Boleta2_0": "boleta", "NotaCredito2_0": "nota_credito",
    "NotaDebito2_0": "nota_debito", "Firma": "firma", "Resumen Diario1_1": "resumen_diario",
    "Comunicación de Baja1_0": "comunicacion_baja", "Resumen de reversiones1_0": "resumen_reversiones",
    "Retenciones1_0": "retencion", "Percepciones1_0": "percepcion",
}
OUT = Path(__file__).resolve().parents[1] / "server" / "rules" / "sheets"
FIELDS = ["row", "field", "tag", "condition", "severity", "code", "listado"]


def _norm(value: object) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _columns(header: tuple) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = _norm(cell).upper()
        if "TAG UBL" in name:
            found["tag"] = index
        elif name.startswith("VALIDACI"):
            found["condition"] = index
        elif name.startswith("TIPO DE") and "RETORNO" in name:
            found["severity"] = index
        elif name.startswith("CODIGO") and "RETORNO" in name:
            found["code"] = index
        elif name == "DATO":
            found["field"] = index
        elif name.startswith("LISTADO"):
            found["listado"] = index
    return found


def extract(workbook_path: Path) -> None:
    import openpyxl

    workbook = openpyxl.load_workbook(workbook_path, read_only=True)
    OUT.mkdir(parents=True, exist_ok=True)
    for title, slug in SHEETS.items():
        rows = list(workbook[title].iter_rows(values_only=True))
        header_at = next(i for i, r in enumerate(rows) if any("TIPO DE" in _norm(c).upper() for c in r or ()))
        cols = _columns(rows[header_at])
        tag = field = element = ""
        out = []
        for number, row in enumerate(rows[header_at + 1:], start=header_at + 2):
            cell = lambda key: row[cols[key]] if key in cols and cols[key] < len(row) else None  # noqa: E731
            if _norm(cell("tag")) not in ("", "-"):
                tag = _norm(cell("tag"))
                if tag.startswith("@"):
                    # an attribute row names only the attribute: it belongs to the last element tag
                    tag = f"{element}/{tag}" if element else tag
                else:
                    element = re.sub(r"\s*\(.*\)\s*$", "", tag.split("@")[0]).strip()
            if _norm(cell("field")) not in ("", "-"):
                field = _norm(cell("field"))
            severity, code = _norm(cell("severity")), _norm(cell("code"))
            if severity not in ("ERROR", "OBSERV") or not re.fullmatch(r"\d{4}", code):
                continue
            listado = _norm(cell("listado"))
            out.append({"row": number, "field": field, "tag": tag, "condition": _norm(cell("condition")),
                        "severity": severity, "code": code, "listado": "" if listado == "-" else listado})
        with open(OUT / f"{slug}.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=FIELDS)
            writer.writeheader()
            writer.writerows(out)
        print(f"{slug}: {len(out)} rules")


if __name__ == "__main__":
    extract(Path(sys.argv[1]))
