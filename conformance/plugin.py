"""The pytest plugin (entry point ``pytest11``): ``pip install osemock`` and an emitter's own test
suite has an OSE to talk to.

Fixtures: ``ose_target`` (session; what the options and ``OSE_*`` variables describe),
``ose_server`` (the in-process mock, reset before the test; skipped against a real endpoint),
``ose_client`` (an :class:`~osemock.client.OseClient` for the target, signing with the target's
certificate), ``ose_admin`` (scenario control: faults, tickets; skipped where the target is not an
osemock), ``ose_documents`` (fresh documents of the target's emitter) and ``ose_case`` (what a test
records for the HTML/JSON/JUnit report written with ``--ose-report DIR``).

    def test_my_erp_sends(ose_client, ose_documents):
        number, xml = ose_documents.factura()
        assert ose_client.send_bill(xml).accepted
"""
from __future__ import annotations

import json
import os
import warnings
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, TYPE_CHECKING, Iterator

import pytest

from osemock.conformance.report import ERROR, FAILED, PASSED, SKIPPED, CaseResult, Report, report_folder
from osemock.conformance.target import Target

if TYPE_CHECKING:  # the client stack (zeep, signxml) loads when a fixture is used, not in every pytest run
    from osemock.conformance.connection import Connection

_CASE = pytest.StashKey[CaseResult]()
_REPORT = pytest.StashKey[Report]()
CORPUS = pytest.StashKey[list]()
"""The emitter's documents (``--emitter-xml``), read once at start."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("osemock", "osemock conformance kit")
    group.addoption("--ose-target", default=None,
                    help="mock (an in-process mock, the default), a known endpoint (ose-test, sunat-beta…) "
                         "or a billService URL [env OSE_TARGET]")
    group.addoption("--ose-ruc", default=None, help="Emitter RUC [env OSE_RUC; default 20123456789]")
    group.addoption("--ose-user", default=None, help="SOL user [env OSE_USER; default the target's test user: MODDATOS at SUNAT beta, BIZLINKS at an OSE]")
    group.addoption("--ose-password", default=None, help="SOL password [env OSE_PASSWORD]")
    group.addoption("--ose-profile", default=None, help="Profile of the in-process mock: ose, sunat-beta, "
                                                        "sunat-prod [env OSE_PROFILE]")
    group.addoption("--ose-cert", default=None, help="Signing certificate, PFX/P12 or PEM [env OSE_CERT; "
                                                     "default the TEST-ONLY one from osemock.fixtures]")
    group.addoption("--ose-cert-password", default=None, help="[env OSE_CERT_PASSWORD]")
    group.addoption("--ose-registry", default=None, help="Emitter registry YAML the in-process mock loads "
                                                         "(SOL users for sunat-prod) [env OSE_REGISTRY]")
    group.addoption("--ose-timeout", default=None, metavar="SECONDS",
                    help="Seconds one call may wait for its answer, 1-3600 [env OSE_TIMEOUT; default 60]")
    group.addoption("--ose-clock", default=None, metavar="ISO",
                    help="Start the in-process mock's clock here, e.g. 2026-11-20T12:00:00 [env OSE_CLOCK]")
    group.addoption("--emitter-xml", default=None, metavar="DIR",
                    help="Folder of the emitter's own documents for the emitter-documents suite")
    group.addoption("--ose-sign", action="store_true",
                    help="Sign the emitter's unsigned documents with --ose-cert before sending")
    group.addoption("--ose-compare", default=None, metavar="TARGET",
                    help="A second target: the emitter documents go to both and their answers are compared")
    group.addoption("--ose-report", default=None, metavar="DIR",
                    help="Write junit.xml, report.html and report.json of the run here")


def pytest_configure(config: pytest.Config) -> None:
    try:  # a bad option is a usage error at start, not a traceback in every test
        target = target_from_config(config)
        target.check_files()  # only the files given: the default certificate waits for a fixture
        target.credentials  # a mock without a test user (sunat-prod) needs one of the registry's
    except ValueError as error:
        raise pytest.UsageError(f"osemock: {error}") from error
    compared = config.getoption("--ose-compare", default=None)
    if compared:
        try:  # said before the first run of the corpus, not after it in every comparison
            target_from_config(config, compared).credentials
        except ValueError as error:
            raise pytest.UsageError(f"osemock --ose-compare: {error}") from error
    if config.getoption("--ose-report", default=None):
        try:
            report_folder(config.getoption("--ose-report"))
        except ValueError as error:
            raise pytest.UsageError(f"osemock --ose-report: {error}") from error
        if not _is_xdist_worker(config):  # a worker's cases go to the controller, which writes the report
            config.stash[_REPORT] = Report("osemock conformance", target.describe())
            config.pluginmanager.register(_CaseCollector(config.stash[_REPORT]), "osemock-report")
    if config.getoption("--emitter-xml", default=None):
        from osemock.conformance.documents import load_corpus

        try:  # a missing folder or an unreadable sidecar is said once, before anything runs
            config.stash[CORPUS] = load_corpus(config.getoption("--emitter-xml"))
        except ValueError as error:
            raise pytest.UsageError(f"osemock --emitter-xml: {error}") from error


def target_from_config(config: pytest.Config, endpoint: str | None = None) -> Target:
    """The target the ``--ose-*`` options (then ``OSE_*`` variables) describe; ``endpoint`` overrides
    ``--ose-target`` (the second target of a comparison).

    In a comparison (``--ose-compare``) the in-process mock is sent as its own test user: the SOL
    user and password given are the real endpoint's, which the mock does not know (every document
    was 0103 there, and every comparison a difference)."""
    target = Target.from_env(endpoint=endpoint or config.getoption("--ose-target"), ruc=config.getoption("--ose-ruc"),
                             user=config.getoption("--ose-user"), password=config.getoption("--ose-password"),
                             profile=config.getoption("--ose-profile"), cert=config.getoption("--ose-cert"),
                             cert_password=config.getoption("--ose-cert-password"),
                             registry=config.getoption("--ose-registry"), timeout=config.getoption("--ose-timeout"),
                             clock=config.getoption("--ose-clock"))
    if target.is_mock and config.getoption("--ose-compare", default=None):
        target = replace(target, user=None, password=None)
    return target


@pytest.fixture(scope="session")
def ose_target(pytestconfig: pytest.Config) -> Target:
    """The target of this run (options, then ``OSE_*`` variables, then defaults)."""
    return target_from_config(pytestconfig)


@pytest.fixture(scope="session")
def ose_connection(ose_target: Target) -> Iterator[Connection]:
    """The session's connection: one in-process mock for the whole session when the target is ``mock``."""
    with ExitStack() as stack:
        with _known_import_warnings_ignored():  # the stack loads here, inside the test's warning filters
            from osemock.conformance.connection import connect
            from osemock.conformance import factory  # noqa: F401 (ose_documents': Faker)

            connection = stack.enter_context(connect(ose_target))  # the mock's app loads the portal lazily
        yield connection


#: Warnings the stack's own imports raise (spyne's copy of six predates ``find_spec``, spyne's WSGI
#: server imports ``cgi``), matched by category and text: a suite run with ``-W error`` or
#: ``filterwarnings = ["error"]`` failed every in-process fixture on them, while its own warnings
#: stay errors.
_KNOWN_IMPORT_WARNINGS = (
    (ImportWarning, r"_SixMetaPathImporter\.(find_spec|exec_module)\(\) not found"),
    (DeprecationWarning, r"'cgi' is deprecated"),
)


@contextmanager
def _known_import_warnings_ignored() -> Iterator[None]:
    with warnings.catch_warnings():
        for category, text in _KNOWN_IMPORT_WARNINGS:
            warnings.filterwarnings("ignore", text, category)
        yield


@pytest.fixture
def ose_server(ose_connection: Connection):
    """The in-process mock (a :class:`~osemock.conformance.server.MockServer`), reset for this test."""
    if ose_connection.server is None:
        pytest.skip(f"needs the in-process mock; the target is {ose_connection.target.endpoint}")
    ose_connection.reset()
    return ose_connection.server


@pytest.fixture
def ose_client(ose_connection: Connection):
    """An OseClient for the target, signing unsigned documents; the in-process mock is reset first.
    A target reached by URL is not reset here: an osemock there is reset by the ``ose_admin`` tests
    (before and after each), and a real OSE keeps what every run sent."""
    ose_connection.reset()
    return ose_connection.client()


@pytest.fixture
def ose_admin(ose_connection: Connection) -> Iterator[Any]:
    """Scenario control (:class:`~osemock.conformance.admin.OseAdmin`, the whole admin API) of the
    target when it is an osemock: the in-process mock, or one running elsewhere (``--ose-target URL``,
    e.g. a CI service container).  It is reset before the test and again after it, so what the test
    planned (a scenario, a frozen clock, held tickets) reaches no later test, not even one that only
    sends with ``ose_client``, which does not reset an osemock reached by URL."""
    import requests

    from osemock.conformance.admin import OseAdmin, unreachable

    server = ose_connection.server
    admin = OseAdmin(ose_connection.url, reset=server.reset if server is not None else None, mock=server,
                     timeout=min(10.0, ose_connection.target.timeout))
    down = None
    try:  # down is an error (a CI job whose mock did not start must not pass); only another server skips
        osemock = server is not None or admin.available()
    except requests.ConnectionError as error:
        osemock, down = False, unreachable(error)
    if down is not None:  # said in one line, not under urllib3's and requests' chain of exceptions
        pytest.fail(f"osemock: nothing answers at {admin.base_url} ({down}): is the osemock running there?",
                    pytrace=False)
    if not osemock:
        pytest.skip(f"{ose_connection.url} is not an osemock: no scenario control")
    workers = _xdist_worker()[1]
    if server is None and workers > 1:
        pytest.fail(f"osemock: ose_admin resets the osemock at {admin.base_url}, which the {workers} xdist "
                    "workers of this run share: one worker's reset would undo what another's test set. Run "
                    "the ose_admin tests without -n, or against the in-process mock (each worker starts its own)",
                    pytrace=False)
    admin.reset()
    yield admin
    admin.reset()


@pytest.fixture(scope="session")
def ose_documents(ose_target: Target, ose_connection: Connection):
    """A :class:`~osemock.conformance.factory.DocumentFactory` for the target's emitter, issuing on the
    target's day (an osemock's own clock); under xdist, numbering as its worker, so workers sending to
    one endpoint never take the same number."""
    from osemock.conformance.factory import DocumentFactory

    worker, workers = _xdist_worker()
    return DocumentFactory(ose_target.ruc, day=ose_connection.issue_day, worker=worker, workers=workers)


def _xdist_worker() -> tuple[int, int]:
    """This process's xdist worker and how many there are (``gw2`` of 4: ``(2, 4)``); ``(0, 1)`` outside
    xdist.  Read from the variables xdist sets in each worker."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = os.environ.get("PYTEST_XDIST_WORKER_COUNT", "")
    if not (name.startswith("gw") and name[2:].isdigit() and count.isdigit() and int(name[2:]) < int(count)):
        return 0, 1
    return int(name[2:]), int(count)


@pytest.fixture
def ose_case(request: pytest.FixtureRequest) -> CaseResult:
    """The report row of this test: fill ``document``, ``expected``, ``code``… as the test learns them."""
    case = CaseResult(_suite_of(request.node), request.node.name)
    request.node.stash[_CASE] = case
    return case


def _suite_of(item: pytest.Item) -> str:
    """The suite a test belongs to in the reports (JUnit's ``classname`` is ``osemock.`` and it): the
    kit's own suites by their short names (``endpoint``, ``emitter_documents``), any other test by its
    file and class as its node ID says (``tests.unit.test_billing.TestVoid``), so same-named tests of
    two folders are two cases (by module name alone, ``tests/unit/test_billing.py::test_send`` and
    ``tests/integration/test_billing.py::test_send`` were one, twice)."""
    if item.path.parent == _SUITES:
        return item.path.stem.removeprefix("test_")
    path, *classes = item.nodeid.split("::")[:-1] or [item.nodeid]
    return ".".join([path.removesuffix(".py").replace("/", ".").strip("."), *classes])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    reason = _reason(report) if report.failed else ""
    if report.failed and item.config.option.tbstyle == "line" and item.path.parent == _SUITES:
        crash = _Crash(str(item.path), (item.location[1] or 0) + 1, reason, f"{item.path.name}::{item.name}")
        report.longrepr = _OneLine(crash, shown=report.when != "call")
    if not item.config.getoption("--ose-report", default=None):
        return
    if not (report.when == "call" or (report.when == "setup" and not report.passed)):
        return
    case = item.stash.get(_CASE, None) or CaseResult(_suite_of(item), item.name)
    if report.skipped:
        case.verdict = SKIPPED
        longrepr = report.longrepr
        case.message = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr or "")
    elif report.failed:
        case.verdict = FAILED if report.when == "call" else ERROR
        case.message = reason
    else:
        case.verdict = PASSED
    case.duration = report.duration
    # JSON-like data on the report, which xdist ships from a worker to the controller with the rest of
    # it (a report's extra attributes travel), and any report log can write
    setattr(report, _CASE_ATTRIBUTE, json.loads(json.dumps(asdict(case), default=str)))


_CASE_ATTRIBUTE = "osemock_case"


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


class _CaseCollector:
    """Gathers the cases of ``--ose-report`` where the run's reports all arrive: the one process of a
    plain run, the controller of an xdist run (each worker kept its own, every process wrote the same
    folder and the controller, with none, wrote it last: a report of no test, and CI green)."""

    def __init__(self, report: Report) -> None:
        self.report = report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        case = getattr(report, _CASE_ATTRIBUTE, None)
        if isinstance(case, dict):
            self.report.cases.append(CaseResult(**case))


_SUITES = Path(__file__).parent / "suites"


@dataclass(eq=False)
class _Crash:
    """Where and why a case of the kit's suites failed, said in one line: the test and its reason
    (``--tb=line`` would show where the last exception was raised, after the whole chain of
    exceptions behind it: urllib3's, requests', the client's, for one unreachable target)."""

    path: str
    lineno: int
    message: str
    test: str

    def toterminal(self, tw: Any) -> None:
        tw.line(str(self))

    def __str__(self) -> str:
        return f"{self.test}: {(self.message.splitlines() or [''])[0]}"


@dataclass(eq=False)
class _OneLine:
    """A failure's representation under ``--tb=line``: pytest writes a failure's crash line after
    it (so it shows nothing), an error's header before it (so it shows the line)."""

    reprcrash: _Crash
    shown: bool

    def toterminal(self, tw: Any) -> None:
        if self.shown:
            self.reprcrash.toterminal(tw)

    def __str__(self) -> str:
        return str(self.reprcrash)


def _reason(report: pytest.TestReport) -> str:
    """Why a case failed as its exception says it ("AssertionError: 0103 El Usuario…"), not where it was
    raised (the last line of a short traceback is only the file and the exception's type)."""
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None and crash.message.strip():
        return crash.message.strip()[:2000]
    text = report.longreprtext.strip()
    return text.splitlines()[-1][:2000] if text else ""


_SAID = pytest.StashKey[str]()
"""What became of the reports, said in the terminal summary."""


def pytest_sessionfinish(session: pytest.Session) -> None:
    collected = session.config.stash.get(_REPORT, None)
    folder = session.config.getoption("--ose-report", default=None)
    if collected is not None and folder:
        try:
            said = "osemock report: " + ", ".join(str(p) for p in collected.write(Path(folder)))
        except OSError as error:  # the folder was checked at start; something took it away since
            said = f"osemock report: cannot write the reports in {folder}: {error}"
            session.exitstatus = session.exitstatus or pytest.ExitCode.TESTS_FAILED
        session.config.stash[_SAID] = said


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """The reports' line, on a line of its own: said at the session's end, under ``-q`` it followed
    the progress's ``[100%]`` on the same line (pytest ends that line after the session's end)."""
    said = config.stash.get(_SAID, None)
    if said is not None:
        terminalreporter.write_line(said)

