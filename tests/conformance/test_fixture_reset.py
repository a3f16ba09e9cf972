"""What one test of an emitter's suite sets on the osemock reaches no later test: the plugin's
fixtures reset the in-process mock, and one served elsewhere (``--ose-target URL``), as the README says."""
from __future__ import annotations

import pytest

from tests.conformance.helpers import run

#: Each drill is followed by a test that looks with ``ose_admin``, then by one that only sends (an
#: emitter's plain test, with ``ose_client`` alone): neither may find the drill in force.
DRILLS_SUITE = '''
from datetime import datetime

from osemock.conformance.factory import DocumentFactory
from osemock.fixtures.summaries import comunicacion_baja
from osemock.server.clock import LIMA


def test_a1_every_send_gets_a_system_fault(ose_admin):
    ose_admin.scenario(action="code", code="0130", operation="sendBill", times=None)

def test_a2_no_scenario_is_planned(ose_admin):
    assert ose_admin.scenarios(active=True) == []

def test_a3_every_send_gets_a_system_fault_again(ose_admin):
    ose_admin.scenario(action="code", code="0130", operation="sendBill", times=None)

def test_a4_a_factura_is_accepted(ose_client, ose_documents):
    outcome = ose_client.send_bill(ose_documents.factura()[1])
    assert outcome.accepted, (outcome.code, outcome.description)


def test_b1_the_clock_stops_in_2020(ose_admin):
    ose_admin.freeze("2020-01-01T12:00:00-05:00")

def test_b2_the_clock_runs(ose_admin):
    clock = ose_admin.clock()
    assert not clock["frozen"] and not clock["now"].startswith("2020"), clock

def test_b3_the_clock_stops_in_2020_again(ose_admin):
    ose_admin.freeze("2020-01-01T12:00:00-05:00")

def test_b4_a_factura_of_today_is_accepted(ose_client):
    today = datetime.now(LIMA).date()
    outcome = ose_client.send_bill(DocumentFactory("20123456789", issued=today).factura()[1])
    assert outcome.accepted, (outcome.code, outcome.description)


def test_c1_new_tickets_are_held(ose_admin):
    ose_admin.progression(after_polls=5)

def test_c2_new_tickets_settle_at_once(ose_admin):
    assert ose_admin.tickets()["progression"]["after_polls"] == 0

def test_c3_new_tickets_are_held_again(ose_admin):
    ose_admin.progression(after_polls=5)

def test_c4_a_baja_settles_at_the_first_poll(ose_client, ose_documents):
    number, xml = ose_documents.factura()
    assert ose_client.send_bill(xml).accepted
    serie, numero = number.split("-")
    _, baja = comunicacion_baja(ose_documents.today, [("01", serie, int(numero))],
                                number=ose_documents.summary_number())
    ticket = ose_client.send_summary(baja).ticket
    status = ose_client.get_status(ticket)
    assert status.accepted, (status.status, status.code)
'''


@pytest.mark.parametrize("where", ["in-process", "served"])
def test_no_drill_reaches_the_next_test(tmp_path, make_mock, where):
    """Before: the in-process mock's reset only emptied its documents, tickets and journal (the
    scenario, the frozen clock and the held progression stayed for every later test), and against a
    served osemock a test with ``ose_client`` alone ran under the drill of the ``ose_admin`` test before."""
    (tmp_path / "test_drills.py").write_text(DRILLS_SUITE, encoding="utf-8")
    target = [] if where == "in-process" else ["--ose-target", make_mock().url()]
    result = run(["pytest", "-p", "no:cacheprovider", "-q", "test_drills.py", *target], tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "12 passed" in result.stdout


ADMIN_SUITE = '''
import pytest

@pytest.mark.parametrize("n", range(2))
def test_a_drill(ose_admin, n):
    ose_admin.scenario(action="code", code="0130", operation="sendBill", times=1)
    assert len(ose_admin.scenarios(active=True)) == 1
'''


def test_admin_tests_of_xdist_workers_sharing_a_served_osemock_are_refused(tmp_path, make_mock):
    """Each worker reset the one osemock before and after its tests, wiping what the others' tests
    had just planned; with a mock of its own per worker (in-process) they may run in parallel."""
    (tmp_path / "test_drills.py").write_text(ADMIN_SUITE, encoding="utf-8")
    served = make_mock()
    shared = run(["pytest", "-p", "no:cacheprovider", "-q", "-n", "2", "test_drills.py", "--ose-target", served.url()],
                 tmp_path)
    assert shared.returncode == 1, shared.stdout[-3000:] + shared.stderr[-1000:]
    assert "2 errors" in shared.stdout
    assert f"ose_admin resets the osemock at {served.base_url}, which the 2 xdist workers of this run share" \
           in shared.stdout
    assert "Traceback" not in shared.stdout
    own = run(["pytest", "-p", "no:cacheprovider", "-q", "-n", "2", "test_drills.py"], tmp_path)
    assert own.returncode == 0 and "2 passed" in own.stdout, own.stdout[-3000:]
    alone = run(["pytest", "-p", "no:cacheprovider", "-q", "test_drills.py", "--ose-target", served.url()], tmp_path)
    assert alone.returncode == 0 and "2 passed" in alone.stdout, alone.stdout[-3000:]
