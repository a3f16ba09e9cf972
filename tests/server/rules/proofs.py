"""Explicit proofs for rules the generic mutation cannot reach: a valid base document, a few edits
written as data, and the code the edited document must earn.

    EDITS = [
        Edit("3110", FACTURA_EXONERADA, [("set", "/*/cac:InvoiceLine[1]/cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount", "5.00")]),
        Edit("3119", FACTURA, [("set", "/*/cbc:ProfileID", "1004")], why="1004 needs the line's delivery address"),
    ]

    @pytest.mark.parametrize("edit", EDITS, ids=str)
    def test_edit_earns_its_code(edit):
        assert_earns(edit)

Steps: ``("set", xpath, text)`` (element text or attribute value; ``None`` removes the node),
``("attr", xpath, name, value)``, ``("remove", xpath)`` (every match), ``("append", parent_xpath,
xml)``, ``("before", xpath, xml)``, ``("after", xpath, xml)``.  XPaths and snippets use the UBL
prefixes (cbc, cac, ext, sac, ds).  A proof whose edit the schema refuses (0306) fails: it would
prove nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from osemock.cpe import ns
from osemock.cpe.xmlparse import parse_xml
from osemock.fixtures import signed_document
from osemock.server.rules.lint import LintResult, lint

_WRAPPER = "<wrapper " + " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in ns.UBL.items()) + ">{}</wrapper>"


@dataclass(frozen=True)
class Edit:
    """A small edit of a valid base document and the code it must earn."""

    code: str
    base: str
    steps: list[tuple[Any, ...]] = field(default_factory=list)
    why: str = ""

    def __str__(self) -> str:
        return f"{self.code}-{self.base.rsplit('-', 2)[-2]}-{self.why or len(self.steps)}"[:90]


def _snippet(xml: str) -> list[etree._Element]:
    return list(etree.fromstring(_WRAPPER.format(xml)))


def _one(root: etree._Element, xpath: str) -> Any:
    found = root.xpath(xpath, namespaces=ns.UBL)
    assert found, f"the base document has no {xpath}"
    return found[0]


def apply(root: etree._Element, steps: list[tuple[Any, ...]]) -> etree._Element:
    """Apply the edit's steps to ``root`` (in place) and return it."""
    for op, xpath, *args in steps:
        if op == "remove":
            found = root.xpath(xpath, namespaces=ns.UBL)
            assert found, f"the base document has no {xpath}"
            for node in found:
                if isinstance(node, etree._ElementUnicodeResult):
                    del node.getparent().attrib[node.attrname]
                else:
                    node.getparent().remove(node)
        elif op == "set":
            node, value = _one(root, xpath), args[0]
            if isinstance(node, etree._ElementUnicodeResult):
                if value is None:
                    del node.getparent().attrib[node.attrname]
                else:
                    node.getparent().set(node.attrname, value)
            elif value is None:
                node.getparent().remove(node)
            else:
                node.text = value
        elif op == "attr":
            name, value = args
            node = _one(root, xpath)
            if value is None:
                node.attrib.pop(name, None)
            else:
                node.set(name, value)
        elif op == "append":
            _one(root, xpath).extend(_snippet(args[0]))
        elif op == "before":
            node = _one(root, xpath)
            for new in _snippet(args[0]):
                node.addprevious(new)
        elif op == "after":
            node = _one(root, xpath)
            for new in reversed(_snippet(args[0])):
                node.addnext(new)
        else:
            raise ValueError(f"unknown edit step {op!r}")
    return root


def edited(edit: Edit) -> bytes:
    """The base document, dated today, edited and then signed, as an emitter's software signs what it
    wrote (linting verifies the signature as a sendBill does); an edit of the signature itself is made
    after signing."""
    from osemock.cpe.signature import sign
    from osemock.fixtures import _PARSER, dated, document_bytes, emitter_keypair

    if any("ds:" in str(step[1]) or "UBLExtension" in str(step[1]) for step in edit.steps):
        root = parse_xml(signed_document(edit.base))
        return etree.tostring(apply(root, edit.steps), xml_declaration=True, encoding="UTF-8")
    root = apply(dated(etree.fromstring(document_bytes(edit.base), _PARSER), None), edit.steps)
    return etree.tostring(sign(root, emitter_keypair()), xml_declaration=True, encoding="UTF-8")


def resigned(xml: bytes) -> bytes:
    """A document edited after signing, signed again (its old signature replaced), as its emitter would."""
    from osemock.cpe.signature import sign
    from osemock.fixtures import emitter_keypair

    return etree.tostring(sign(parse_xml(xml), emitter_keypair()), xml_declaration=True, encoding="UTF-8")


def assert_earns(edit: Edit) -> LintResult:
    """The edited document earns ``edit.code`` (and the base document earns no error)."""
    result = lint(edited(edit), edit.base)
    codes = [f.code for f in result.findings]
    assert codes != ["0306"], f"the schema refuses this edit: {result.findings[0].detail}"
    assert edit.code in codes, f"expected {edit.code}, got {codes}"
    return result


def codes_with_store(store: Any, base: str, steps: list[tuple[Any, ...]] = (), *, sender: str = "20123456789",
                     max_days_late: int = 3) -> list[str]:
    """The codes the rules give the edited sample as a running mock would: with its store (registry,
    documents) and a profile that checks no note references."""
    from datetime import datetime
    from types import SimpleNamespace

    from osemock.cpe.document import read_header
    from osemock.server.clock import LIMA
    from osemock.server.engine.validation import CheckInput
    from osemock.server.rules.engine import findings

    root = apply(parse_xml(signed_document(base)), list(steps))
    profile = SimpleNamespace(max_days_late=max_days_late, check_note_references=False, verify_signatures=False)
    source = CheckInput(root, read_header(root), sender, store=store, profile=profile, now=datetime.now(LIMA))
    return [f.code for f in findings(root, source.header.type_code, source)]
