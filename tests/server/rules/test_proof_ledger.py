"""The ledger of proofs: every code the engine implements for the four CPE sheets and Firma has at
least one failing fixture — a generic mutation of a base document (``test_mutations``) or an
explicit edit (``families/test_*.py``, :mod:`proofs`)."""
from __future__ import annotations

import importlib
import pkgutil

from osemock.cpe.xmlparse import parse_xml
from osemock.fixtures import signed_document
from osemock.server.rules.engine import compiled
from osemock.server.rules.patterns import tag_to_xpath

from . import families
from .test_mutations import BASES, MUTABLE_KINDS

from osemock.cpe import ns

SHEETS = ("factura", "boleta", "nota_credito", "nota_debito")


#: Test modules outside ``families/`` whose cases prove codes (their ``PROVEN_CODES``).
PROVING_MODULES = ("tests.server.rules.test_arithmetic", "tests.server.test_backend_rules", "tests.server.test_tickets")


def explicit_codes() -> set[str]:
    """Codes proven by an explicit edit (``EDITS``) or a test module's ``PROVEN_CODES``."""
    names = [f"{families.__name__}.{m.name}" for m in pkgutil.iter_modules(families.__path__)] + list(PROVING_MODULES)
    codes: set[str] = set()
    for name in names:
        loaded = importlib.import_module(name)
        codes |= {edit.code for edit in getattr(loaded, "EDITS", [])}
        codes |= set(getattr(loaded, "PROVEN_CODES", ()))
    return codes


def mutation_codes() -> set[str]:
    codes: set[str] = set()
    for sheet in SHEETS:
        roots = [parse_xml(signed_document(base)) for base in BASES[sheet]]
        for check in compiled(sheet) + compiled("firma"):
            if check.kind.rpartition(":")[2] not in MUTABLE_KINDS:
                continue
            path = check.path or tag_to_xpath(check.row.tag)
            if any(root.xpath(path, namespaces=ns.UBL) for root in roots):
                codes.add(check.row.code)
    return codes


def unproven() -> dict[str, list[str]]:
    proven = explicit_codes() | mutation_codes()
    missing: dict[str, list[str]] = {}
    for sheet in SHEETS + ("firma",):
        for check in compiled(sheet):
            if check.row.code not in proven:
                missing.setdefault(check.row.code, []).append(f"{sheet}:{check.row.row}")
    return missing


def test_every_implemented_code_has_a_failing_fixture():
    assert unproven() == {}
