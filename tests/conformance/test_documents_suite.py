"""The emitter-documents suite on a deliberately broken corpus: every document reported with the
code the mock answers, the pre-flight findings beside it, and a wrong expectation failing the run;
``--ose-compare`` reporting exactly where two targets disagree."""
from __future__ import annotations

import json

from tests.conformance.helpers import broken_corpus, report_cases, run

SUITE = "osemock.conformance.suites.test_emitter_documents"


def _by_document(folder) -> dict[str, dict]:
    cases = report_cases(folder)
    return {name.split("[", 1)[1].rstrip("]"): case for name, case in cases.items()
            if name.startswith("test_document_gets_its_expected_answer")}


def test_broken_corpus_is_reported_with_the_right_codes(tmp_path):
    expected = broken_corpus(tmp_path / "corpus")
    result = run(["pytest", "-p", "no:cacheprovider", "-q", "--pyargs", SUITE, "--emitter-xml", str(tmp_path / "corpus"),
                  "--ose-sign", "--ose-report", str(tmp_path / "report")], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    cases = _by_document(tmp_path / "report")
    assert set(cases) == set(expected)
    for name, code in expected.items():
        case = cases[name]
        assert case["verdict"] == "passed", case
        assert case["code"] == code, (name, case["code"], case["description"])
    # the offline pre-flight found the wrong rate, and what follows from it, before anything was sent
    assert "3103" in [f["code"] for f in cases[next(n for n, c in expected.items() if c == "3103")]["findings"]]
    assert cases[next(n for n, c in expected.items() if c == "0")]["cdr_xml"].count("ApplicationResponse") >= 1


def test_a_document_that_misses_its_expectation_fails_with_its_code(tmp_path):
    expected = broken_corpus(tmp_path / "corpus")
    broken = next(name for name, code in expected.items() if code == "3280")
    (tmp_path / "corpus" / f"{broken}.expected").unlink()  # now it must be accepted, and it is not
    result = run(["pytest", "-p", "no:cacheprovider", "-q", "--pyargs", SUITE, "--emitter-xml", str(tmp_path / "corpus"),
                  "--ose-sign", "--ose-report", str(tmp_path / "report")], tmp_path)
    assert result.returncode == 1
    assert "expected acceptance, got rejected 3280" in result.stdout
    cases = _by_document(tmp_path / "report")
    assert cases[broken]["verdict"] == "failed" and cases[broken]["code"] == "3280"
    assert [c for c in cases.values() if c["verdict"] == "failed"] == [cases[broken]]
    junit = (tmp_path / "report" / "junit.xml").read_text(encoding="utf-8")
    assert 'failures="1"' in junit


def test_comparison_names_the_document_two_targets_answer_differently(tmp_path, make_mock):
    expected = broken_corpus(tmp_path / "corpus")
    lenient = tmp_path / "lenient.yaml"
    lenient.write_text("extends: ose\nname: lenient\nverify_signatures: false\n", encoding="utf-8")
    other = make_mock(str(lenient))
    result = run(["pytest", "-p", "no:cacheprovider", "-q", "--pyargs", SUITE, "--emitter-xml", str(tmp_path / "corpus"),
                  "--ose-sign", "--ose-compare", other.url("/ol-ti-itcpe/billService"),
                  "--ose-report", str(tmp_path / "report")], tmp_path)
    assert result.returncode == 1, result.stdout
    data = json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))
    disagreements = [c for c in data["cases"] if c["name"].startswith("test_targets_agree") and c["verdict"] == "failed"]
    altered = next(name for name, code in expected.items() if code == "2335")
    assert [c["name"] for c in disagreements] == [f"test_targets_agree[{altered}]"]
    assert disagreements[0]["other"]["code"] == "0" and disagreements[0]["code"] == "2335"


def test_a_second_target_that_cannot_be_reached_says_so():
    """The comparison said only "code: '0' vs ''" for a second target that was down."""
    from osemock.client import Outcome, Status
    from osemock.conformance.documents import differences

    accepted = Outcome(Status.ACCEPTED, "0", "La Factura ha sido aceptada")
    down = Outcome(Status.EXCEPTION, "", "cannot reach http://127.0.0.1:9/ol-ti-itcpe/billService: refused")
    assert differences(accepted, down)[-1] == "second target: cannot reach http://127.0.0.1:9/ol-ti-itcpe/billService: refused"
    assert differences(accepted, accepted) == []


def test_comparison_with_the_mock_sends_it_as_its_own_test_user(tmp_path, make_mock):
    """README's ``--target ose-test --user … --password … --compare mock``: the in-process mock got the
    real endpoint's SOL user, answered 0103 to every document, and every comparison was a difference."""
    from osemock.conformance.factory import DocumentFactory

    registry = tmp_path / "emitters.yaml"
    registry.write_text('emitters:\n  - ruc: "20123456789"\n    users:\n      - {user: USUARIO, password: CLAVE}\n',
                        encoding="utf-8")
    endpoint = make_mock("ose", registry=registry)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    number, xml = DocumentFactory("20123456789", start=1).factura()
    (corpus / f"20123456789-01-{number}.xml").write_bytes(xml)
    result = run(["osemock", "check", "--suite", "documents", "--emitter-xml", str(corpus), "--sign",
                  "--target", endpoint.url("/ol-ti-itcpe/billService"), "--user", "USUARIO", "--password", "CLAVE",
                  "--compare", "mock", "--report", "report", "-v"], tmp_path)
    assert result.returncode == 0, result.stdout[-2000:]
    agree = [c for name, c in report_cases(tmp_path / "report").items() if name.startswith("test_targets_agree")]
    assert [(c["verdict"], c["other"]["code"]) for c in agree] == [("passed", "0")]


def test_preflight_of_a_document_sent_unsigned_finds_what_the_endpoint_will(tmp_path):
    """Without --sign an unsigned document was linted as it would be once signed: "Offline pre-flight
    found: none", then the endpoint refused it (0306)."""
    from osemock.conformance.factory import DocumentFactory

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    number, xml = DocumentFactory("20123456789", start=1).factura()
    name = f"20123456789-01-{number}.xml"
    (corpus / name).write_bytes(xml)
    result = run(["osemock", "check", "--suite", "documents", "--emitter-xml", str(corpus), "--report", "report"],
                 tmp_path)
    assert result.returncode == 1, result.stdout[-2000:]
    assert f"pre-flight {name}: rejected 0306 (0306 error); unsigned, and sent so (no --sign)" in result.stdout
    case = report_cases(tmp_path / "report")[f"test_document_gets_its_expected_answer[{name}]"]
    assert case["code"] == "0306" and [f["code"] for f in case["findings"]] == ["0306"]
    assert "Offline pre-flight found: 0306 error; unsigned, and sent so (no --sign)" in case["message"]
