"""The emitter's own documents (``--emitter-xml DIR``): each one linted offline, sent (signed with
``--ose-sign``), and judged against its sidecar expectation (acceptance when there is none).

The whole corpus is linted before anything is sent, then sent once in order (documents, notes,
retentions and perceptions, then summaries) on a freshly reset mock, so notes find the documents
they modify; each document is then one test.  With ``--ose-compare TARGET`` the corpus also goes to
a second target, and one more test per document says where the two answers differ.
"""
from __future__ import annotations

import pytest

from osemock.conformance.documents import CorpusDocument, answer, differences, findings_of, preflight, run_corpus
from osemock.conformance.connection import connect
from osemock.conformance.plugin import CORPUS, target_from_config


def _corpus(config: pytest.Config) -> list[CorpusDocument]:
    """The corpus the plugin read at start (the parametrized tests and the run share its objects)."""
    return config.stash.get(CORPUS, [])


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "corpus_document" in metafunc.fixturenames:
        documents = _corpus(metafunc.config)
        reason = "no --emitter-xml DIR given"  # a folder without documents stopped the run at start
        if metafunc.function.__name__ == "test_targets_agree" and documents and not metafunc.config.getoption("--ose-compare"):
            # one skipped case says there is no comparison, not one per document
            documents, reason = [], "no second target to compare with (osemock check --compare, pytest --ose-compare)"
        metafunc.parametrize("corpus_document", documents or [pytest.param(None, marks=pytest.mark.skip(reason=reason))],
                             ids=[d.name for d in documents] or ["no-corpus"])


@pytest.fixture(scope="module")
def corpus(pytestconfig: pytest.Config, ose_target) -> list[CorpusDocument]:
    documents = _corpus(pytestconfig)
    reporter = pytestconfig.pluginmanager.get_plugin("terminalreporter")
    keypair = _keypair(pytestconfig, ose_target)
    for document in documents:  # every finding before anything is sent (signed as it will be sent)
        result = preflight(document, keypair)
        if result.findings and reporter is not None:
            verdict = "accepted" if result.accepted else f"rejected {result.verdict}"
            found = ", ".join(f"{f.code} {f.severity} {f.xpath or ''}".strip() for f in result.findings)
            capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
            with capture.global_and_fixture_disabled():  # shown now, before anything is sent
                reporter.write("\n")
                unsigned = _unsigned(document, keypair is not None)
                reporter.write_line(f"pre-flight {document.name}: {verdict} ({found}){unsigned}")
    return documents


def _unsigned(document: CorpusDocument, signing: bool) -> str:
    """What the pre-flight adds for an unsigned document sent as it is: why it is refused."""
    return "; unsigned, and sent so (no --sign)" if not signing and document.unsigned else ""


def _keypair(config: pytest.Config, target):
    return target.keypair() if config.getoption("--ose-sign") else None


@pytest.fixture(scope="module")
def primary_run(corpus, ose_connection, pytestconfig):
    ose_connection.reset()
    return run_corpus(ose_connection.client(sign=False), corpus, _keypair(pytestconfig, ose_connection.target))


@pytest.fixture(scope="module")
def second_run(corpus, pytestconfig):
    other = pytestconfig.getoption("--ose-compare")
    if not other:
        return None
    target = target_from_config(pytestconfig, other)
    with connect(target) as connection:
        return run_corpus(connection.client(sign=False), corpus, _keypair(pytestconfig, target))


def _record(case, document: CorpusDocument, outcome) -> None:
    case.document, case.expected = outcome.document or document.name, str(document.expectation)
    case.status, case.code, case.description = outcome.status.value, outcome.code, outcome.description
    case.observations = [f"{o.code} {o.message}" for o in outcome.observations]
    case.ticket = outcome.ticket or ""
    case.findings = findings_of(document.preflight)
    case.cdr_xml = outcome.cdr_xml.decode("utf-8", "replace") if outcome.cdr_xml else ""


def test_document_gets_its_expected_answer(corpus_document, corpus, primary_run, ose_case, pytestconfig):
    outcome = primary_run.answers[corpus_document.name]
    _record(ose_case, corpus_document, outcome)
    problem = corpus_document.expectation.judge(outcome)
    if problem:
        lint = corpus_document.preflight
        found = "; ".join(f"{f['code']} {f['severity']} {f['node']}".strip() for f in findings_of(lint)) or "none"
        found += _unsigned(corpus_document, pytestconfig.getoption("--ose-sign"))
        pytest.fail(f"{corpus_document.name}: {problem}. Offline pre-flight found: {found}", pytrace=False)


def test_targets_agree(corpus_document, corpus, primary_run, second_run, ose_case):
    if second_run is None:
        pytest.skip("no second target to compare with (osemock check --compare, pytest --ose-compare)")
    first, second = primary_run.answers[corpus_document.name], second_run.answers[corpus_document.name]
    _record(ose_case, corpus_document, first)
    ose_case.other = answer(second)
    ose_case.expected = "the same answer from both targets"
    gaps = differences(first, second)
    if gaps:
        pytest.fail(f"{corpus_document.name}: the targets differ: {'; '.join(gaps)}", pytrace=False)
