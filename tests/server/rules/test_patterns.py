"""The workbook-row compiler: simple conditions become checks that fire on a small edit of a valid
document and stay silent on the valid one."""
from __future__ import annotations

import re

import pytest
from lxml import etree

from osemock.cpe import ns
from osemock.cpe.xmlparse import parse_xml
from osemock.fixtures import DOCUMENTS, signed_document
from osemock.server.rules.engine import compiled, findings
from osemock.server.rules.guards import OPERATION_TYPE, Guard, _takes_a_set
from osemock.server.rules.guards import _predicate as guard_predicate
from osemock.server.rules.patterns import tag_to_xpath
from osemock.server.rules.workbook import SHEETS, rows

FACTURA = "20123456789-01-F001-1.xml"


def codes(root, type_code="01") -> list[str]:
    return [f.code for f in findings(root, type_code)]


def edited(name: str, xpath: str, value: str | None) -> etree._Element:
    root = parse_xml(signed_document(name))
    node = root.xpath(xpath, namespaces=ns.UBL)[0]
    if value is None:
        node.getparent().remove(node)
    else:
        node.text = value
    return root


@pytest.mark.parametrize("tag, xpath", [
    ("/Invoice/cbc:UBLVersionID", "/*/cbc:UBLVersionID"),
    ("/Invoice/cac:AccountingSupplierParty/cac:Party/cac:PartyIdentification/cbc:ID@schemeID (Tipo de documento)",
     "/*/cac:AccountingSupplierParty/cac:Party/cac:PartyIdentification/cbc:ID/@schemeID"),
    ("ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent/ds:Signature/@Id",
     "/*/ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent/ds:Signature/@Id"),
    ("@schemeName", None),
])
def test_tags_become_xpaths(tag, xpath):
    assert tag_to_xpath(tag) == xpath


@pytest.mark.parametrize("name", sorted(p.name for p in DOCUMENTS.glob("*.xml")))
def test_valid_samples_raise_nothing(name):
    from osemock.cpe.document import read_header

    root = parse_xml(signed_document(name))
    assert list(findings(root, read_header(root).type_code)) == []


@pytest.mark.parametrize("xpath, value, code", [
    ("/*/cbc:UBLVersionID", "2.0", "2074"),
    ("/*/cbc:UBLVersionID", "", "2075"),
    ("/*/cbc:CustomizationID", "1.0", "2072"),
    ("/*/cbc:DocumentCurrencyCode", "ZZZ", "3088"),
    ("/*/cac:InvoiceLine[1]/cbc:InvoicedQuantity", "1.12345678901", "2025"),
])
def test_an_edit_earns_the_workbook_code(xpath, value, code):
    assert code in codes(edited(FACTURA, xpath, value))


def test_fixed_attribute_value_is_an_observation():
    root = parse_xml(signed_document(FACTURA))
    root.find(f"{{{ns.CBC}}}InvoiceTypeCode").set("listAgencyName", "SUNAT")
    found = [f for f in findings(root, "01") if f.code == "4251"]
    assert found and found[0].severity == "observation"
    assert found[0].value == "SUNAT"


def test_every_compiled_rule_keeps_the_workbook_code_and_severity():
    for sheet in set(SHEETS.values()):
        by_row = {r.row: r for r in rows(sheet)}
        for check in compiled(sheet):
            assert by_row[check.row.row].code == check.row.code


def _with_property(name_code: str, value: str | None) -> etree._Element:
    root = parse_xml(signed_document(FACTURA))
    classification = root.xpath("/*/cac:InvoiceLine[1]/cac:Item/cac:CommodityClassification", namespaces=ns.UBL)[0]
    prop = etree.Element(f"{{{ns.CAC}}}AdditionalItemProperty")
    etree.SubElement(prop, f"{{{ns.CBC}}}Name").text = "Dato del concepto"
    etree.SubElement(prop, f"{{{ns.CBC}}}NameCode").text = name_code
    if value is not None:
        etree.SubElement(prop, f"{{{ns.CBC}}}Value").text = value
    classification.addnext(prop)
    return root


def test_concept_rows_apply_to_their_concept_only():
    rows_7000 = [c.row.code for c in compiled("factura") if "'7000'" in c.row.condition and "no existe" in c.row.condition]
    assert rows_7000, "the '7000' concept row should compile"
    assert rows_7000[0] in codes(_with_property("7000", None))
    assert rows_7000[0] not in codes(_with_property("7000", "algo"))
    assert rows_7000[0] not in codes(_with_property("4003", None))  # 3001-3004 need their value too (3064)


def test_zero_is_refused_only_where_an_onerous_tax_applies():
    """A zero tax amount is judged by the rows that name a zero (3111: IGV on a base above 0.06), not
    by the format row (2033 takes 0.00, as SUNAT's does): an IGV of 0.05 is 0.00."""
    taxed = signed_document(FACTURA).replace(
        b'<cbc:TaxAmount currencyID="PEN">36.00</cbc:TaxAmount>', b'<cbc:TaxAmount currencyID="PEN">0.00</cbc:TaxAmount>')
    assert "3111" in codes(parse_xml(taxed)) and "2033" not in codes(parse_xml(taxed))
    tiny = parse_xml(taxed)
    subtotal = tiny.xpath("/*/cac:InvoiceLine[1]/cac:TaxTotal/cac:TaxSubtotal", namespaces=ns.UBL)[0]
    subtotal.find(f"{{{ns.CBC}}}TaxableAmount").text = "0.05"
    assert not {"2033", "3111"} & set(codes(tiny))
    exonerated = parse_xml(signed_document("20123456789-01-F001-4.xml"))
    assert exonerated.xpath("//cac:InvoiceLine/cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount[. = 0]", namespaces=ns.UBL)
    assert codes(exonerated) == []


@pytest.mark.parametrize("scheme, value, fires", [("GTIN-8", "1234567", True), ("GTIN-8", "12345678", False),
                                                  ("GTIN-13", "7751234567890", False), ("GTIN-13", "775123", True)])
def test_gtin_length_follows_its_scheme(scheme, value, fires):
    root = parse_xml(signed_document(FACTURA))
    sellers = root.xpath("/*/cac:InvoiceLine[1]/cac:Item/cac:SellersItemIdentification", namespaces=ns.UBL)[0]
    standard = etree.Element(f"{{{ns.CAC}}}StandardItemIdentification")
    etree.SubElement(standard, f"{{{ns.CBC}}}ID", schemeID=scheme).text = value
    sellers.addnext(standard)
    gtin_codes = {c.row.code for c in compiled("factura") if c.kind == "gtin-length" and scheme in c.row.condition}
    assert gtin_codes
    assert bool(gtin_codes & set(codes(root))) is fires


def test_operation_type_requires_its_concept_on_every_line():
    checks = [c for c in compiled("factura") if c.kind == "operation-concept" and "'1002'" in c.row.condition]
    assert checks
    code = checks[0].row.code
    root = parse_xml(signed_document(FACTURA))
    assert code not in codes(root)  # operation 0101: the rule does not apply
    root.find(f"{{{ns.CBC}}}ProfileID").text = "1002"
    assert code in codes(root)
    classification = root.xpath("/*/cac:InvoiceLine/cac:Item/cac:SellersItemIdentification", namespaces=ns.UBL)
    for anchor in classification:
        prop = etree.Element(f"{{{ns.CAC}}}AdditionalItemProperty")
        etree.SubElement(prop, f"{{{ns.CBC}}}Name").text = "Concepto"
        etree.SubElement(prop, f"{{{ns.CBC}}}NameCode").text = "3001"
        anchor.getparent().append(prop)
    assert code not in codes(root)


@pytest.mark.parametrize("path, needed", [
    ("/*/cac:InvoiceLine/cbc:ID", {"cac:InvoiceLine", "cbc:ID"}),
    ("/*/cac:PaymentTerms[cbc:ID='FormaPago']/cbc:Amount", {"cac:PaymentTerms", "cbc:Amount"}),
    ("/*/cac:InvoiceLine/../cbc:ID", {"cac:InvoiceLine", "cbc:ID"}),
    # a union selects a branch's nodes without the other branch's elements: it needs nothing
    ("cac:LegalMonetaryTotal/cbc:PayableAmount | cac:RequestedMonetaryTotal/cbc:PayableAmount", set()),
])
def test_element_names_are_what_a_selection_cannot_do_without(path, needed):
    """The engine skips a check whose path needs an element the document lacks: a name too many
    would silence a rule that should speak."""
    from osemock.server.rules.patterns import element_names

    prefixes = {"cac": ns.CAC, "cbc": ns.CBC}
    assert element_names(path) == {f"{{{prefixes[n.split(':')[0]]}}}{n.split(':')[1]}" for n in needed}


_GUARDED_DOCUMENTS = [
    "<Invoice {ns}><cbc:ProfileID>0200</cbc:ProfileID><cbc:InvoiceTypeCode listID='0101'>01</cbc:InvoiceTypeCode></Invoice>",
    "<Invoice {ns}><cbc:ProfileID>0101</cbc:ProfileID><cbc:InvoiceTypeCode listID='0200'>01</cbc:InvoiceTypeCode></Invoice>",
    "<Invoice {ns}><cbc:InvoiceTypeCode listID='0201'>01</cbc:InvoiceTypeCode></Invoice>",
    "<Invoice {ns}><cbc:InvoiceTypeCode listID='0101'>01</cbc:InvoiceTypeCode></Invoice>",
    "<Invoice {ns}><cbc:ProfileID>0101</cbc:ProfileID><cbc:ProfileID>0201</cbc:ProfileID></Invoice>",
    "<Invoice {ns}><cac:TaxSubtotal><cac:TaxCategory><cac:TaxScheme><cbc:ID>1000</cbc:ID></cac:TaxScheme></cac:TaxCategory>"
    "</cac:TaxSubtotal><cac:TaxSubtotal><cac:TaxCategory><cac:TaxScheme><cbc:ID>9997</cbc:ID><cbc:ID>2000</cbc:ID>"
    "</cac:TaxScheme></cac:TaxCategory></cac:TaxSubtotal></Invoice>",
]


@pytest.mark.parametrize("predicate", [OPERATION_TYPE, "cac:TaxCategory/cac:TaxScheme/cbc:ID='{code}'"])
@pytest.mark.parametrize("codes", [("0200", "0201"), ("0200", "0101", "0201"), ("1000", "2000"), ("9999", "0102")])
def test_a_guard_on_several_codes_reads_its_node_once_and_selects_the_same(predicate, codes):
    """``path[.='a' or .='b']`` for ``path='a' or path='b'`` (see guards._predicate): same nodes selected."""
    assert _takes_a_set(predicate)
    match = re.match(r"(?P<codes>.*)", ", ".join(f"'{code}'" for code in codes))
    one_by_one = " or ".join(predicate.format(code=code) for code in codes)
    as_a_set = guard_predicate(Guard("", "/*", predicate), match)
    assert as_a_set != one_by_one and "[." in as_a_set
    declarations = " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in ns.UBL.items() if prefix in ("cac", "cbc"))
    for text in _GUARDED_DOCUMENTS:
        root = etree.fromstring(text.format(ns=declarations))
        for element in root.iter():
            for negated in (False, True):
                wrap = (lambda p: f"not({p})") if negated else (lambda p: p)
                expected = element.xpath(f"boolean(self::*[{wrap(one_by_one)}])", namespaces=ns.UBL)
                assert element.xpath(f"boolean(self::*[{wrap(as_a_set)}])", namespaces=ns.UBL) == expected


@pytest.mark.parametrize("predicate", ["not(cbc:ID='{code}')", "normalize-space(cbc:ID)='{code}'",
                                       "cbc:ID='{code}' and cbc:Name='{code}'"])
def test_a_guard_that_is_not_a_plain_comparison_keeps_one_test_per_code(predicate):
    assert not _takes_a_set(predicate)


def test_a_path_of_child_steps_reads_the_same_from_the_index_as_from_xpath():
    """Inside the engine a ``/*/a/b[/@x]`` path is read from one walk of the document: the same nodes,
    in document order, and attribute values that still know their element."""
    from osemock.server.rules.patterns import _ChildPath, _xpath, one_document

    root = parse_xml(signed_document(FACTURA))
    for path in ("/*", "/*/cac:InvoiceLine/cbc:ID", "/*/cac:InvoiceLine/cac:Price/cbc:PriceAmount/@currencyID",
                 "/*/cac:InvoiceLine/cac:Item/cbc:Nothing", "/*/cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount"):
        compiled = _xpath(path)
        assert isinstance(compiled, _ChildPath)
        plain = compiled(root)
        with one_document():
            indexed = compiled(root)
        assert [str(n) if isinstance(n, str) else n for n in indexed] == \
               [str(n) if isinstance(n, str) else n for n in plain]
        assert [n.getparent() for n in indexed if isinstance(n, str)] == [n.getparent() for n in plain if isinstance(n, str)]
    assert not isinstance(_xpath("/*/cac:InvoiceLine[1]/cbc:ID"), _ChildPath)  # predicates stay XPath's
