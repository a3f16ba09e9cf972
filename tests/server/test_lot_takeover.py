"""A lot whose settling dies half-way (a process killed) and is taken over by a later poll gives every
entry the verdict it gets without a crash: the CDR, the code and its detail, under the same entry.

The crash is a check that raises past everything when the settling reaches a given entry, after the
entries before it were judged and stored as they would be; the next poll finds the claim aged (a
minute of real time) and settles the lot again, with what the dead settling had stored.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from osemock.fixtures import signed_document
from osemock.server.engine.tickets import process_ticket

from .test_codes import RUC, resign
from .test_tickets import CLOCK, DAY, PATHS, _age_the_claim, _lot_results, _send_lot, get_status


class Crash(BaseException):
    """The process dies here: nothing of the settling after this point runs."""


def _lot() -> list[tuple[str, bytes]]:
    old = (date.fromisoformat(DAY) - timedelta(days=30)).isoformat()
    rejected = resign(signed_document(f"{RUC}-01-F001-4.xml", issue_date=DAY).replace(
        b'<cbc:PayableAmount currencyID="PEN">', b'<cbc:PayableAmount currencyID="PEN">1'))
    altered = signed_document(f"{RUC}-01-F001-1.xml", numero=3, issue_date=DAY).replace(
        b'<cbc:PayableAmount currencyID="PEN">', b'<cbc:PayableAmount currencyID="PEN">1')  # not signed again
    other_f001_1 = resign(signed_document(f"{RUC}-01-F001-4.xml", issue_date=DAY, numero=1).replace(
        b"<cbc:ID>F001-1</cbc:ID>", b"<cbc:ID>F001-00000001</cbc:ID>"))
    return [
        (f"{RUC}-03-B001-00000005.xml", signed_document(f"{RUC}-03-B001-1.xml", numero=5, issue_date=old)),  # 1079
        (f"{RUC}-03-B001-5.xml", signed_document(f"{RUC}-03-B001-1.xml", numero=5, issue_date=DAY)),  # accepted
        (f"{RUC}-01-F001-4.xml", rejected),  # 3280, stored as rejected
        (f"{RUC}-01-F001-3.xml", altered),  # 2335, stored as rejected; SUNAT's front end words its detail
        (f"{RUC}-01-F001-1.xml", signed_document(f"{RUC}-01-F001-1.xml", issue_date=DAY)),  # accepted
        (f"{RUC}-01-F001-00000001.xml", other_f001_1),  # 1033: the number is the entry before's
        (f"{RUC}-01-F001-2.xml", signed_document(f"{RUC}-01-F001-1.xml", numero=2, issue_date=DAY)),  # the crash
    ]


def _verdicts(reply: Any) -> tuple[str, list[tuple[str, str, str]], list[str]]:
    """statusCode, each CDR's (name, ResponseCode, the document it names) and the error list's lines."""
    from lxml import etree

    from osemock.cpe.archive import first_xml

    results = _lot_results(reply)
    cdrs = []
    for name, content in sorted(results.items()):
        if name.endswith(".zip"):
            cdr = etree.fromstring(first_xml(content)[1])
            cdrs.append((name, cdr.xpath("//*[local-name()='ResponseCode']")[0].text,
                         cdr.xpath("//*[local-name()='DocumentReference']/*[local-name()='ID']")[0].text))
    errors = next((v.decode().splitlines() for k, v in results.items() if k.endswith("-errors.txt")), [])
    return reply.text("statusCode"), cdrs, errors


def _settled(make_mock, tmp_path, profile: str, entries: list[tuple[str, bytes]],
             crash_at: tuple[str, int] | None) -> tuple:
    """The lot's verdicts, settled in one go, or (``crash_at``: a document and which of its entries) by a
    poll whose process dies when that entry is judged, then taken over."""
    held = tmp_path / f"{profile}-held.yaml"  # named as the profile, whose path the tickets' helpers use
    held.write_text(f"extends: {profile}\nname: {profile}\nticket_after_polls: 1\n")
    mock = make_mock(str(held), clock=CLOCK)
    ticket = _send_lot(mock, entries, path=PATHS[profile])
    assert get_status(mock, ticket).text("statusCode") == "98"
    if crash_at is not None:
        seen: list[str] = []

        def crash(source: Any) -> list[Any]:
            seen.append(source.file_name.base)
            if seen.count(crash_at[0]) == crash_at[1]:
                raise Crash()
            return []

        engine = mock.app.engine
        engine.checks.append(crash)
        with pytest.raises(Crash):
            process_ticket(engine, ticket)  # the poll whose process dies mid-settle
        engine.checks.remove(crash)  # the process that takes over does not
        assert get_status(mock, ticket).text("statusCode") == "98"  # the claim is still live
        _age_the_claim(mock, ticket)
    return _verdicts(get_status(mock, ticket))


@pytest.mark.parametrize("profile, same_name", [("ose", False), ("ose", True), ("sunat-beta", False)],
                         ids=["padded-name", "same-name", "sunat-beta"])
def test_a_lot_taken_over_gives_each_entry_the_verdict_it_gets_without_a_crash(make_mock, tmp_path, profile, same_name):
    """B001-5 comes twice: first issued 30 days ago (1079, an exception: nothing stored), then today
    (accepted, stored with the lot's ticket).  The takeover took the stored document for the first
    entry of its number: the old one's file got today's CDR and today's was a 1033; and the rejections
    (3280, 2335) lost their detail.  Named alike, the 1079 was gone."""
    entries = _lot()
    if same_name:
        entries[0] = (entries[1][0], entries[0][1])
    control = _settled(make_mock, tmp_path, profile, entries, crash_at=None)
    assert control[0] == "99"
    assert control[1] == sorted([(f"R-{RUC}-03-B001-5.zip", "0", "B001-5"), (f"R-{RUC}-01-F001-1.zip", "0", "F001-1"),
                                 (f"R-{RUC}-01-F001-2.zip", "0", "F001-2")])
    assert [line.split(" - ")[0] for line in control[2]] == [
        f"{entries[0][0]}: 1079", f"{RUC}-01-F001-4.xml: 3280", f"{RUC}-01-F001-3.xml: 2335",
        f"{RUC}-01-F001-00000001.xml: 1033"]
    assert all("nodo" in line for line in control[2][:2])  # the detail: which node
    assert control[2][2].endswith("- Incorrect reference digest value" if profile == "sunat-beta"
                                  else '- Incorrect reference digest value: 2335 (nodo: "ds:Reference/@URI" valor: "")')
    crashed = _settled(make_mock, tmp_path, profile, entries, crash_at=(f"{RUC}-01-F001-2", 1))
    assert crashed == control


@pytest.mark.parametrize("crash_after", ["nothing", "the-rejection", "the-correction"])
def test_a_retention_rejected_then_corrected_in_one_lot_is_judged_alike_after_a_takeover(make_mock, tmp_path,
                                                                                       crash_after):
    """A rejected retención leaves its number free, and a corrected one later in the lot takes it (the
    stored row is then the correction's).  Taken over after either, the rejection is still its 2628 with
    its detail, the correction accepted."""
    from .test_tickets import _miscounted_retention

    retention = f"{RUC}-20-R001-1.xml"
    entries = [(retention, _miscounted_retention()), (retention, signed_document(retention, issue_date=DAY)),
               (f"{RUC}-01-F001-2.xml", signed_document(f"{RUC}-01-F001-1.xml", numero=2, issue_date=DAY))]
    control = _settled(make_mock, tmp_path, "ose", entries, crash_at=None)
    assert control[1] == [(f"R-{RUC}-01-F001-2.zip", "0", "F001-2"), (f"R-{RUC}-20-R001-1.zip", "0", "R001-1")]
    assert [line.split(" - ")[0] for line in control[2]] == [f"{retention}: 2628"] and "nodo" in control[2][0]
    crash_at = {"nothing": (f"{RUC}-20-R001-1", 1), "the-rejection": (f"{RUC}-20-R001-1", 2),
                "the-correction": (f"{RUC}-01-F001-2", 1)}[crash_after]
    assert _settled(make_mock, tmp_path, "ose", entries, crash_at=crash_at) == control
