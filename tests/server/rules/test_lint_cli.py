import json

from lxml import etree

from osemock.cli import main
from osemock.fixtures import DOCUMENTS, signed_document
from osemock.server.rules.coverage import report


def test_validate_accepts_a_valid_document(tmp_path, capsys):
    """The verdict is one line whatever the path's length (a table title wrapped a long one over lines)."""
    deep = tmp_path / "a-checkout-folder-with-a-long-name" / "fixtures" / "documents"
    deep.mkdir(parents=True)
    path = deep / "20123456789-01-F001-1.xml"
    path.write_bytes((DOCUMENTS / "20123456789-01-F001-1.xml").read_bytes())
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    # the samples are unsigned: judged as they will be signed
    assert out == f"{path}: ACEPTADO (sin firma: se juzga como quedará firmado)\n"


def test_validate_judges_an_unsigned_documents_cac_signature_block(tmp_path, capsys):
    """Signing adds the ds:Signature, never the UBL cac:Signature block the emitter writes: an unsigned
    document without the block (or its DigitalSignatureAttachment) gets the verdict it gets once signed
    (Firma rows 21–28), not ACEPTADO."""
    from osemock.cpe import ns
    from osemock.cpe.signature import sign
    from osemock.fixtures import document_bytes, emitter_keypair

    def without(path: str) -> bytes:
        root = etree.fromstring(document_bytes("20123456789-01-F001-1.xml"))
        node = root.find(path, {"cac": ns.CAC})
        node.getparent().remove(node)
        return etree.tostring(root)

    for path, code in (("cac:Signature", "2076"), ("cac:Signature/cac:DigitalSignatureAttachment", "2083")):
        unsigned = without(path)
        verdicts = []
        for data in (unsigned, etree.tostring(sign(etree.fromstring(unsigned), emitter_keypair()))):
            (tmp_path / "f.xml").write_bytes(data)
            assert main(["validate", "--json", str(tmp_path / "f.xml")]) == 1
            (result,) = json.loads(capsys.readouterr().out)
            verdicts.append((result["signed"], result["verdict"]))
        assert verdicts == [(False, code), (True, code)]


def test_validate_refuses_a_type_it_has_no_sheet_for(tmp_path, capsys):
    """An Invoice typed 99 (no such type) or 04 (a liquidación de compra, a SelfBilledInvoice that no
    OSE takes) is 1003, as the factura sheet's row on cbc:InvoiceTypeCode says; it was ACEPTADO with no
    finding, as no sheet judged it, where a sendBill refuses it (1003 named -01-, 0151 named -99-)."""
    from osemock.cpe.catalog import lookup
    from osemock.cpe.signature import sign
    from osemock.fixtures import emitter_keypair

    for code in ("99", "04"):
        retyped = signed_document("20123456789-01-F001-1.xml").replace(
            b">01</cbc:InvoiceTypeCode>", f">{code}</cbc:InvoiceTypeCode>".encode())
        path = tmp_path / f"{code}.xml"
        path.write_bytes(etree.tostring(sign(etree.fromstring(retyped), emitter_keypair())))
        assert main(["validate", "--json", str(path)]) == 1
        (result,) = json.loads(capsys.readouterr().out)
        assert (result["accepted"], result["verdict"]) == (False, "1003")
        assert result["findings"][0] == {"code": "1003", "severity": "error", "node": "cbc:InvoiceTypeCode",
                                         "value": code, "message": lookup("1003").message,
                                         "detail": f'1003 (nodo: "cbc:InvoiceTypeCode" valor: "{code}")'}


def test_validate_judges_deadlines_only_when_told_when_the_document_arrives(tmp_path, capsys):
    """Offline there is no clock: a factura of the 20th is fine on its own; received on the 24th it is
    late (2108, over three days at an OSE) and on the 18th it is dated in the future (2329)."""
    sample = signed_document("20123456789-01-F001-1.xml", issue_date="2026-11-20")
    path = tmp_path / "20123456789-01-F001-1.xml"
    path.write_bytes(sample)
    verdicts = {}
    for at in (None, "2026-11-23", "2026-11-24T09:00:00-05:00", "2026-11-17"):
        code = main(["validate", "--json", str(path), *(["--at", at] if at else [])])
        (result,) = json.loads(capsys.readouterr().out)
        assert code == (0 if result["accepted"] else 1) and result["signed"]
        verdicts[at] = result["verdict"]
    assert verdicts == {None: "0", "2026-11-23": "0", "2026-11-24T09:00:00-05:00": "2108", "2026-11-17": "2329"}
    assert main(["validate", str(path), "--at", "yesterday"]) == 2
    assert "'now' or an ISO date or date-time" in capsys.readouterr().err


def test_validate_reports_every_finding_as_json(tmp_path, capsys):
    from osemock.cpe.signature import sign
    from osemock.fixtures import document_bytes, emitter_keypair

    edited = document_bytes("20123456789-01-F001-1.xml").replace(b">2.1<", b">2.0<", 1).replace(
        b'listAgencyName="PE:SUNAT" listName="Tipo de Documento"', b'listAgencyName="SUNAT" listName="Tipo de Documento"')
    bad = etree.tostring(sign(etree.fromstring(edited), emitter_keypair()))  # signed after the edits, as an ERP would
    path = tmp_path / "bad.xml"
    path.write_bytes(bad)
    assert main(["validate", "--json", str(path)]) == 1
    (result,) = json.loads(capsys.readouterr().out)
    assert result["verdict"] == "2074"
    assert {"2074", "4251"} <= {f["code"] for f in result["findings"]}


def test_validate_reports_a_schema_error(tmp_path, capsys):
    path = tmp_path / "broken.xml"
    path.write_bytes(b"<Invoice><oops></Invoice>")
    assert main(["validate", "--json", str(path)]) == 1
    assert json.loads(capsys.readouterr().out)[0]["verdict"] == "0306"


def test_coverage_report_is_current():
    """docs/RULE_COVERAGE.md is regenerated by `osemock rules coverage`; it must match the code."""
    from pathlib import Path

    committed = (Path(__file__).resolve().parents[3] / "docs" / "RULE_COVERAGE.md").read_text(encoding="utf-8")
    assert committed == report()


def test_a_row_that_names_a_list_without_reading_it_is_not_external_data():
    """The LISTADOS cell alone does not make a row "needs external data": its condition must read the list
    (boleta row 93 names Parámetros (006) and states the forbidden value itself, 6-RUC)."""
    from osemock.server.rules.coverage import status
    from osemock.server.rules.workbook import WorkbookRow

    def row(condition: str, listado: str) -> WorkbookRow:
        return WorkbookRow("boleta", 1, "", "/Invoice/cbc:X", condition, "error", "2800", listado)

    assert status(row("Si 'Tipo de operación' es '0401', el valor del Tag UBL es 6-RUC", "Parámetros (006)"), set()) \
        == "not implemented"
    assert status(row("El valor del Tag UBL no existe en el listado", "Contribuyentes"), set()) == "needs external data"
    assert status(row("Si existe ind_padron igual a '03' para el RUC", "Padrones Contribuyentes"), set()) \
        == "needs external data"


def test_validate_verifies_a_signed_documents_signature(tmp_path, capsys):
    """A signed document is judged as a sendBill judges it: changed after signing, it is 2335 offline too."""
    path = tmp_path / "20123456789-01-F001-1.xml"
    path.write_bytes(signed_document("20123456789-01-F001-1.xml"))
    assert main(["validate", "--json", str(path)]) == 0
    capsys.readouterr()
    path.write_bytes(signed_document("20123456789-01-F001-1.xml").replace(b"TECLADO", b"TECLADA", 1))
    assert main(["validate", "--json", str(path)]) == 1
    (result,) = json.loads(capsys.readouterr().out)
    assert result["verdict"] == "2335" and result["signed"]


def test_validate_says_a_signed_document_the_schema_refuses_is_signed(tmp_path, capsys):
    """Signed-ness is read from the parsed document before the schema judges it: a signed document that
    fails the schema (0306) was reported ``"signed": false``, as if its signature were still to come."""
    path = tmp_path / "20123456789-01-F001-1.xml"
    path.write_bytes(signed_document("20123456789-01-F001-1.xml").replace(
        b"<cbc:IssueDate>", b"<cbc:Unknown>x</cbc:Unknown><cbc:IssueDate>", 1))
    assert main(["validate", "--json", str(path)]) == 1
    (result,) = json.loads(capsys.readouterr().out)
    assert result["verdict"] == "0306" and result["signed"] is True


def _two_extensions(data: bytes) -> etree._Element:
    """A legacy template: an empty ext:UBLExtension before the one the signature goes in."""
    return etree.fromstring(data.replace(b"<ext:UBLExtensions>", b"<ext:UBLExtensions><ext:UBLExtension>"
                                         b"<ext:ExtensionContent/></ext:UBLExtension>", 1))


def test_validate_fills_only_the_place_the_signature_takes(tmp_path, capsys):
    """Every empty ExtensionContent got a placeholder, a signed document's too: one signed with another
    empty ExtensionContent beside the signature was ACEPTADO where a sendBill answers 0306, and so was an
    unsigned template with two (the signature fills one). The unsigned document's one place is still filled."""
    from signxml import DigestAlgorithm, SignatureMethod, XMLSigner

    from osemock.cpe import ns
    from osemock.cpe.signature import INCLUSIVE_C14N, verify
    from osemock.fixtures import document_bytes, emitter_keypair

    keypair = emitter_keypair()
    unsigned = document_bytes("20123456789-01-F001-1.xml")
    # signed by signxml in the second (last) place, as the JDK's helper and others do: the first stays empty
    template = _two_extensions(unsigned)
    contents = template.findall(f".//{{{ns.EXT}}}ExtensionContent")
    etree.SubElement(contents[1], f"{{{ns.DS}}}Signature", Id="placeholder")
    signer = XMLSigner(signature_algorithm=SignatureMethod.RSA_SHA256, digest_algorithm=DigestAlgorithm.SHA256,
                       c14n_algorithm=INCLUSIVE_C14N)
    signed = signer.sign(template, key=keypair.private_key, cert=[keypair.certificate])
    signed.find(f".//{{{ns.DS}}}Signature").set("Id", "SignatureSP")  # not signed: the enveloped transform drops it
    signed = etree.tostring(signed)
    verify(etree.fromstring(signed))  # a good signature: only the empty sibling is wrong

    verdicts = {}
    for name, data in (("signed, an empty one beside", signed), ("unsigned, two empty", etree.tostring(_two_extensions(unsigned))),
                       ("unsigned, one empty", unsigned)):
        path = tmp_path / "f.xml"
        path.write_bytes(data)
        main(["validate", "--json", str(path)])
        (result,) = json.loads(capsys.readouterr().out)
        verdicts[name] = result["verdict"]
        if result["verdict"] == "0306":
            assert "ExtensionContent': Missing child element(s)" in result["findings"][0]["detail"]
    assert verdicts == {"signed, an empty one beside": "0306", "unsigned, two empty": "0306", "unsigned, one empty": "0"}
