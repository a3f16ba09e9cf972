"""Running pytest and the CLI in a child process (a fresh interpreter, as a user runs them), and the
deliberately broken emitter corpus."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from osemock.client import prepare
from osemock.conformance.factory import DocumentFactory
from osemock.fixtures import emitter_keypair

RUC = "20123456789"


def run(args: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    """``python -m ARGS`` in ``cwd``; output kept for the assertion message."""
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


def report_cases(folder: Path) -> dict[str, dict]:
    """The report.json cases by document file (or case name)."""
    data = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    return {case["name"]: case for case in data["cases"]}


def _without_customer_name(xml: bytes) -> bytes:
    """The customer's RegistrationName left empty (2021)."""
    start = xml.index(b"<cbc:RegistrationName>", xml.index(b"AccountingCustomerParty"))
    end = xml.index(b"</cbc:RegistrationName>", start)
    return xml[:start] + b"<cbc:RegistrationName>" + xml[end:]


def broken_corpus(folder: Path) -> dict[str, str]:
    """Write a corpus of good and deliberately broken documents with their sidecars; returns
    {file name: code the mock must answer}."""
    factory = DocumentFactory(RUC, seed=11, start=1)
    expected: dict[str, str] = {}

    def put(number: str, type_code: str, xml: bytes, code: str, sidecar: bool = True) -> None:
        name = f"{RUC}-{type_code}-{number}.xml"
        (folder / name).write_bytes(xml)
        if sidecar and code != "0":
            (folder / f"{name}.expected").write_text(f"{code}\n", encoding="utf-8")
        expected[name] = code

    folder.mkdir(parents=True, exist_ok=True)
    good, xml = factory.factura(lines=3)
    put(good, "01", xml, "0")
    number, xml = factory.boleta(lines=2)
    put(number, "03", xml, "0")
    number, xml = factory.credit_note(("01", good))
    put(number, "07", xml, "0")
    number, xml = factory.factura(lines=2)
    put(number, "01", xml.replace(b"<cbc:Percent>18</cbc:Percent>", b"<cbc:Percent>19</cbc:Percent>", 1), "3103")  # IGV at 19 %
    number, xml = factory.factura(lines=2)
    put(number, "01", _without_customer_name(xml), "2021")
    number, xml = factory.factura(lines=1)
    put(number, "01", xml.replace(b'<cbc:PayableAmount currencyID="PEN">', b'<cbc:PayableAmount currencyID="PEN">9', 1), "3280")
    number, xml = factory.factura(lines=1)
    put(number, "01", xml.replace(b'currencyID="PEN"', b'currencyID="USD"', 3), "2071")
    number, xml = factory.credit_note(("01", "F001-99999"))
    put(number, "07", xml, "2119")
    number, xml = factory.factura(lines=1)
    put(number, "01", xml.replace(b"<cbc:InvoiceTypeCode", b"<cbc:TipoDocumento", 1)
        .replace(b"</cbc:InvoiceTypeCode>", b"</cbc:TipoDocumento>", 1), "0306")
    number, xml = factory.factura(lines=1)
    signed = prepare(xml, emitter_keypair()).xml
    put(number, "01", signed.replace(b"<cbc:Description>", b"<cbc:Description>OFERTA ", 1), "2335")  # altered after signing
    return expected
