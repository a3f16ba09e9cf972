"""Proof for every compiled rule: a small edit of a valid base document earns the rule's exact code.

For each compiled check, the first base document whose tree holds the checked node is edited the way
the condition describes (node removed, value replaced by one outside the format or catalog…) and
linted; the row's code must be among the findings.  Edits the UBL schema itself refuses (0306) prove
nothing and are counted apart; rows whose node no base document carries are listed as unproven.
"""
from __future__ import annotations

import copy
from collections import Counter

import pytest
from lxml import etree

from osemock.cpe import ns
from osemock.cpe.xmlparse import parse_xml
from osemock.fixtures import signed_document
from osemock.server.rules.engine import compiled, findings
from osemock.server.rules.lint import lint
from osemock.server.rules.patterns import Check, tag_to_xpath

BASES = {
    "factura": ["20123456789-01-F001-1.xml", "20123456789-01-F001-7.xml", "20123456789-01-F001-8.xml", "20123456789-01-F001-4.xml",
                "20123456789-01-F001-6.xml"],
    "boleta": ["20123456789-03-B001-1.xml"],
    "nota_credito": ["20123456789-07-FC01-1.xml"],
    "nota_debito": ["20123456789-08-FD01-1.xml"],
    "resumen_diario": ["20123456789-RC-20261120-1.xml"],
    "comunicacion_baja": ["20123456789-RA-20261120-1.xml"],
    "resumen_reversiones": ["20123456789-RR-20261120-1.xml"],
    "retencion": ["20123456789-20-R001-1.xml"],
}
TYPE = {"factura": "01", "boleta": "03", "nota_credito": "07", "nota_debito": "08", "resumen_diario": "RC", "comunicacion_baja": "RA",
        "resumen_reversiones": "RR", "retencion": "20"}


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


def _mutate(check: Check, root: etree._Element) -> bool:
    """Apply the edit that should violate ``check``; ``False`` when the document has no such node."""
    path = tag_to_xpath(check.row.tag)
    nodes = root.xpath(path, namespaces=ns.UBL)
    if not nodes:
        return False
    node = nodes[0]
    cond = check.row.condition
    if check.kind == "required":
        _set(node, None)
    elif check.kind == "not-empty":
        _set(node, "")
    elif check.kind == "gtin-length":
        return False
    elif check.kind in ("fixed-value", "catalog", "catalog-attribute"):
        _set(node, "ZZ9")
    elif check.kind == "same-currency":
        _set(node, "USD" if str(node) != "USD" else "PEN")
    elif check.kind in ("decimal", "decimal-nonzero"):
        _set(node, "-1")
    elif check.kind == "text":
        _set(node, "A\tB" if "whitespace" in cond else "")
    elif check.kind == "unique":
        repeated = node.getparent() if path.endswith("PriceTypeCode") else node.getparent().getparent().getparent()
        repeated.addnext(copy.deepcopy(repeated))
    elif check.kind == "required-unless":
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
        root = parse_xml(signed_document(base))
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
            root = parse_xml(signed_document(base))
            assert list(findings(root, TYPE[sheet])) == [], base
