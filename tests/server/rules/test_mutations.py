"""Proof for every compiled rule: a small edit of a valid base document earns the rule's exact code.

For each compiled check, the first base document whose tree holds the checked node is edited the way
the condition describes (node removed, value replaced by one outside the format or catalog…) and
linted; the row's code must be among the findings.  Edits the UBL schema itself refuses (0306) prove
nothing and are counted apart; rows whose node no base document carries are listed as unproven.
"""
from __future__ import annotations

import copy
import re
from collections import Counter
from functools import lru_cache

import pytest
from lxml import etree

from osemock.cpe import ns
from osemock.cpe.xmlparse import parse_xml
from osemock.fixtures import DOCUMENTS, signed_document
from osemock.server.rules.engine import compiled, findings
from osemock.server.rules.lint import lint
from osemock.server.rules.patterns import Check, tag_to_xpath
from osemock.server.rules.workbook import SHEETS

TYPE = {sheet: code for code, sheet in SHEETS.items()}


def _bases() -> dict[str, list[str]]:
    """Every sample document, by sheet (its type code is the second part of its name); the first
    samples of a type (``F001-1``) come first."""
    found: dict[str, list[str]] = {}
    for path in sorted(DOCUMENTS.glob("*.xml"), key=lambda p: [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", p.name)]):
        sheet = SHEETS.get(path.name.split("-")[1])
        if sheet:
            found.setdefault(sheet, []).append(path.name)
    return found


BASES = _bases()


@lru_cache(maxsize=None)
def _signed(base: str) -> bytes:
    return signed_document(base)


def _set(node, value: str | None) -> None:
    """Give a selected node (element or attribute result) a new value, or remove it (``None``)."""
    if isinstance(node, etree._ElementUnicodeResult):
        owner, name = node.getparent(), node.attrname
        if value is None:
            del owner.attrib[name]
        else:
            owner.set(name, value)
    elif value is None:
        node.getparent().remove(node)
    else:
        node.text = value


#: Kinds of check the generic edit below knows how to violate.
MUTABLE_KINDS = {"required", "not-empty", "fixed-value", "catalog", "catalog-attribute", "same-currency", "decimal",
                 "decimal-nonzero", "text", "unique", "required-unless"}


def _mutate(check: Check, root: etree._Element) -> bool:
    """Apply the edit that should violate ``check``; ``False`` when the document has no such node."""
    path = check.path or tag_to_xpath(check.row.tag)
    nodes = root.xpath(path, namespaces=ns.UBL)
    if not nodes:
        return False
    node = nodes[0]
    cond = check.row.condition
    kind = check.kind.rpartition(":")[2]
    if kind == "required":
        _set(node, None)
    elif kind == "not-empty":
        _set(node, "")
    elif kind == "gtin-length":
        return False
    elif kind in ("fixed-value", "catalog", "catalog-attribute"):
        _set(node, "ZZ9")
    elif kind == "same-currency":
        _set(node, "USD" if str(node) != "USD" else "PEN")
    elif kind in ("decimal", "decimal-nonzero"):
        _set(node, "-1")
    elif kind == "text":
        _set(node, "A\tB" if "whitespace" in cond else "")
    elif kind == "unique":
        repeated = node.getparent() if path.endswith("PriceTypeCode") else node.getparent().getparent().getparent()
        repeated.addnext(copy.deepcopy(repeated))
    elif kind == "required-unless":
        _set(node, None)
    else:
        return False
    return True


def _cases():
    for sheet, bases in BASES.items():
        for check in compiled(sheet) + compiled("firma"):
            yield pytest.param(sheet, bases, check, id=f"{sheet}-{check.row.row}-{check.row.code}")


RESULTS: Counter[str] = Counter()


@pytest.mark.parametrize("sheet, bases, check", list(_cases()))
def test_rule_fires_on_its_edit(sheet, bases, check):
    for base in bases:
        root = parse_xml(_signed(base))
        if not _mutate(check, root):
            continue
        result = lint(etree.tostring(root))
        codes = {f.code for f in result.findings}
        if codes == {"0306"}:
            RESULTS["schema"] += 1
            pytest.skip("the UBL schema refuses this edit first (0306), as SUNAT would")
        assert check.row.code in codes, (check.row, sorted(codes))
        RESULTS["proven"] += 1
        return
    RESULTS["unproven"] += 1
    pytest.skip("no base document carries this node yet")


def test_base_documents_are_clean():
    for sheet, bases in BASES.items():
        for base in bases:
            root = parse_xml(_signed(base))
            assert list(findings(root, TYPE[sheet])) == [], base
