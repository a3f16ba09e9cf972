"""Looking a document up by RUC, type, serie and number, over real HTTP: what a question the service
cannot read is answered, on each operation, in codes that never read as a state."""
from __future__ import annotations

import pytest

from .envelopes import call
from .test_codes import RUC
from .test_tickets import CLOCK, _credentials, bill

CONSULT = "/ol-it-wsconscpegem/billConsultService"


def _ask(mock, path: str, operation: str, ruc: str = RUC, tipo: str = "01", serie: str = "F001", numero: str = "1"):
    username, password = _credentials(mock)
    return call(mock.url(path), operation, {"rucComprobante": ruc, "tipoComprobante": tipo, "serieComprobante": serie,
                                            "numeroComprobante": numero}, username=username, password=password)


@pytest.mark.parametrize("question, code", [
    ({"ruc": ""}, "0004"),
    ({"ruc": "2012345678"}, "0004"),
    ({"ruc": "2012345678A"}, "0004"),
    ({"tipo": ""}, "0005"),
    ({"tipo": "1"}, "0005"),
    ({"serie": ""}, "0006"),
    ({"serie": "F01"}, "0006"),
    ({"numero": ""}, "0007"),
    ({"numero": "0"}, "0007"),
    ({"numero": "\u00b2"}, "0007"),  # passes str.isdigit, then breaks int()
    ({"numero": "\u0661"}, "0007"),  # would be read as 1
    ({"numero": "9" * 25}, "0011"),  # greater than zero, and no document has such a number
    ({"numero": "9" * 5000}, "0011"),  # past int()'s 4,300 digits: it was a traceback and fault 0100
    ({"numero": "0" * 5000}, "0007"),
])
def test_get_status_answers_a_question_it_cannot_read_in_codes_that_are_no_state(make_mock, question, code):
    """billConsultService's getStatus tells the state in 0001 accepted, 0002 rejected, 0003 voided: an
    empty RUC was 0001 and a 10-digit one 0002, read by a client as accepted and rejected."""
    mock = make_mock("sunat-beta", clock=CLOCK)
    assert bill(mock, f"{RUC}-01-F001-1").status == 200
    assert _ask(mock, CONSULT, "getStatus").text("statusCode") == "0001"
    reply = _ask(mock, CONSULT, "getStatus", **question)
    assert reply.status == 200 and reply.text("statusCode") == code, reply.body
    assert not reply.text("content")


def test_get_status_ar_keeps_the_manuals_codes(make_mock):
    """getStatusAR's own family (OSE manual §19): 0001 RUC missing, 0002 RUC not 11 digits, 0010 number."""
    mock = make_mock("sunat-beta", clock=CLOCK)
    path = "/ol-ti-itcpfegem-beta/billService"
    assert _ask(mock, path, "getStatusAR", ruc="").text("statusCode") == "0001"
    assert _ask(mock, path, "getStatusAR", ruc="2012345678").text("statusCode") == "0002"
    assert _ask(mock, path, "getStatusAR", numero="\u00b2").text("statusCode") == "0010"


def test_numbers_past_int_limit_get_their_codes_on_every_lookup(make_mock, caplog):
    """int() refuses more than 4,300 digits: getStatus raised there (logged a traceback, answered fault
    0100, which clients retry).  The other lookups of a number answer its family's code for a number
    that is too long, and nothing is logged as unexpected."""
    huge = "9" * 5000
    sunat = make_mock("sunat-beta", clock=CLOCK)
    assert _ask(sunat, "/ol-ti-itcpfegem-beta/billService", "getStatusAR", numero=huge).text("statusCode") == "0010"
    assert _ask(sunat, CONSULT, "getStatusCdr", numero=huge).text("statusCode") == "0010"
    ose = make_mock("ose", clock=CLOCK)
    reply = _ask(ose, "/ol-ti-itcpe/billService", "getStatusCdr", numero=huge)
    assert reply.is_fault and reply.code() == "0127", reply.body
    assert not [r for r in caplog.records if "unexpected error" in r.getMessage()]
