"""What a lot's entries may be, over real HTTP: each entry is judged on its own, as a sendBill of it
would be, and gets its CDR or its line in ``R-…-errors.txt``, a badly named or empty one too; only
what concerns the ZIP as a whole (unreadable, no document, a bomb, past the limits) refuses the lot
at sendPack."""
from __future__ import annotations

import pytest

from osemock.fixtures import signed_document
from tests.helpers import zip_of

from .test_codes import RUC, assert_fault
from .test_tickets import CLOCK, DAY, _credentials, _lot_results, _send_lot, get_status
from .envelopes import call

GOOD = f"{RUC}-01-F001-1.xml"
ERRORS = f"R-{RUC}-LT-20261120-1-errors.txt"


@pytest.mark.parametrize("entry, code", [
    ((f"../{RUC}-01-F001-2.xml", b"<x/>"), "0159"),
    ((f"sub/{RUC}-01-F001-2.xml", b"<x/>"), "0159"),
    ((".hidden.xml", b"<x/>"), "0159"),
    (("readme.txt", b"hello"), "0159"),
    ((f"{RUC}-RC-20261120-1.xml", b"<x/>"), "0159"),
    ((f"{RUC}-01-F001-2.xml", b""), "0160"),
    ((f"{RUC}-01-F001-2.xml", b"  \n"), "0160"),
    ((f"{RUC}-01-F001-2.xml", b"\x00\x01 not xml"), "0306"),
], ids=["parent-folder", "sub-folder", "dot-name", "not-xml-name", "summary-name", "empty", "blank", "not-xml"])
def test_a_bad_entry_is_a_line_of_its_own_and_the_good_document_is_taken(make_mock, entry, code):
    """A bad name or an empty entry refused the whole lot at sendPack (0159, 0160) and the good
    document with it, while a summary-named or unreadable entry was a line of its own."""
    mock = make_mock("ose", clock=CLOCK)
    ticket = _send_lot(mock, [(GOOD, signed_document(GOOD, issue_date=DAY)), entry])
    assert ticket, "refused at sendPack"
    final = get_status(mock, ticket)
    assert final.text("statusCode") == "99", final.body
    results = _lot_results(final)
    assert set(results) == {f"R-{RUC}-01-F001-1.zip", ERRORS}
    line = results[ERRORS].decode()
    assert line.startswith(f"{entry[0]}: {code} - ") and "\n" not in line, line
    assert mock.app.engine.store.document(RUC, "01", "F001", 1)["status"] == "accepted"


def test_a_folder_entry_is_no_document_of_the_lot(make_mock):
    """A ``dummy/`` folder (as SUNAT's own ZIPs have) is neither a line nor a document."""
    mock = make_mock("ose", clock=CLOCK)
    ticket = _send_lot(mock, [("dummy/", b""), (GOOD, signed_document(GOOD, issue_date=DAY))])
    final = get_status(mock, ticket)
    assert final.text("statusCode") == "0", final.body
    assert set(_lot_results(final)) == {f"R-{RUC}-01-F001-1.zip"}


@pytest.mark.parametrize("lot, code", [
    (b"not a zip", "0156"),
    (zip_of(("dummy/", b"")), "0157"),
    (zip_of((GOOD, b"<a>" + b" " * 60_000_000 + b"</a>")), "0156"),  # a bomb: past the ratio and the size
], ids=["unreadable", "no-document", "bomb"])
def test_what_concerns_the_whole_zip_still_refuses_the_lot(make_mock, lot, code):
    import base64

    mock = make_mock("ose", clock=CLOCK)
    username, password = _credentials(mock)
    reply = call(mock.url(), "sendPack", {"fileName": f"{RUC}-LT-20261120-1.zip",
                                          "contentFile": base64.b64encode(lot).decode()},
                 username=username, password=password)
    assert_fault(reply, code, mock)
