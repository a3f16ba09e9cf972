"""Running a sheet's rules over a document, in the workbook's order.

SUNAT stops at its first error (the verdict) and collects every observation; :func:`findings` returns
everything in order so a lint mode can show it all, and the server's check keeps the order so the
first error is the one SUNAT would answer.
"""
from __future__ import annotations

import threading
from functools import lru_cache
from typing import Iterator

from lxml import etree

from osemock.server.engine.validation import BETWEEN_CHECKS, CheckInput, Finding
from osemock.server.rules.backend import python_rule_for
from osemock.server.rules.patterns import Check, Runner, child_index, compile_row, one_document
from osemock.server.rules.workbook import SHEETS, WorkbookRow, rows

#: Rows the protocol layer already decides: file name against content and duplicates at reception,
#: an unknown ticket at getStatus (0127).  Not run twice.  (A summary's ID against its file name,
#: 2220, is a rule of its row: what its sheet lists before it is judged first.)
DECIDED_BY_INTAKE = {"1003", "1032", "1033", "1034", "1035", "1036", "1049", "0127"}


_COMPILE_LOCK = threading.Lock()

#: What a check needs present, its runner, code and severity, per check, in order (see :func:`_plan`).
_Plan = tuple[tuple[frozenset[str] | None, Runner, str, str], ...]


def compiled(sheet: str) -> tuple[Check, ...]:
    """The compiled checks of a sheet, in workbook order (compiled once per process; the threads of
    a server that all start with a first request wait for the one that compiles)."""
    with _COMPILE_LOCK:
        return _compiled(sheet)


@lru_cache(maxsize=None)
def _compiled(sheet: str) -> tuple[Check, ...]:
    """The compiled checks of a sheet, in workbook order."""
    checks = []
    for row in rows(sheet):
        if row.code in DECIDED_BY_INTAKE:
            continue
        check = compile_row(row) or python_rule_for(row)
        if check is not None:
            checks.append(check)
    return tuple(checks)


def findings(root: etree._Element, type_code: str, source: CheckInput | None = None,
             signature: bool = True) -> Iterator[Finding]:
    """Every finding over ``root``: the Firma sheet first (as SUNAT checks the signature before the
    content; with ``signature=False``, for a document linted before it is signed, only its rows on the
    UBL ``cac:Signature`` block, which the emitter writes and signing does not add), then the rules of
    ``type_code``'s sheet, each in workbook order."""
    sheet = SHEETS.get(type_code)
    if sheet is None:
        return
    firma = _plan("firma") if signature else _unsigned_firma_plan()
    with one_document():
        yield from _findings(root, firma + _plan(sheet), source)


def signature_findings(root: etree._Element, source: CheckInput | None = None) -> Iterator[Finding]:
    """The Firma sheet's findings alone (what the signature's structure lacks)."""
    with one_document():
        yield from _findings(root, _plan("firma"), source)


def _findings(root: etree._Element, plan: _Plan, source: CheckInput | None) -> Iterator[Finding]:
    seen: set[tuple[object, ...]] = set()
    # the tags the document has, read off the walk the rules' child paths share (a walk of its own
    # costs as much again: a Python object for every element)
    present = {path[-1] for path in child_index(root) if path} | {root.tag}
    pause = BETWEEN_CHECKS.get()
    for start in range(0, len(plan), _PAUSE_EVERY):
        if pause is not None:
            pause()  # a document of thousands of lines lets the server answer others meanwhile
        for needs, run, code, severity in plan[start:start + _PAUSE_EVERY]:
            if needs is not None and not needs <= present:
                continue  # it judges nodes this document cannot have
            for node, value, *note in run(root, source):
                finding = Finding(code, severity, node, value, note[0] if note else None)
                key = (code, node, value, finding.note)
                if key not in seen:  # one rule bound to several rows of a code speaks once per node
                    seen.add(key)
                    yield finding


#: Checks between two pauses of :func:`_findings`.
_PAUSE_EVERY = 16


@lru_cache(maxsize=None)
def _plan(sheet: str) -> _Plan:
    """:func:`_distinct` as plain tuples (what the loop above reads for every check of every
    document, without attribute lookups: the loop is run some 400 times a document)."""
    return tuple((getattr(check.run, "needs", None), check.run, check.row.code, check.row.severity)
                 for check in _distinct(sheet))


def added_by_signing(row: WorkbookRow) -> bool:
    """Whether a Firma row judges the ``ds:Signature`` that signing adds (rows 3–19, under
    ``ext:UBLExtensions``), not the ``cac:Signature`` block the emitter writes itself (rows 21–28):
    only the first kind has nothing to judge before the document is signed."""
    return row.tag.startswith("ext:UBLExtensions")


@lru_cache(maxsize=None)
def _unsigned_firma_plan() -> _Plan:
    """The Firma sheet's plan without the rows on the signature to come (:func:`added_by_signing`)."""
    return tuple(step for step, check in zip(_plan("firma"), _distinct("firma")) if not added_by_signing(check.row))


@lru_cache(maxsize=None)
def _distinct(sheet: str) -> tuple[Check, ...]:
    """The checks worth running: the workbook repeats a row (same code, condition, field and tag) once
    per data item it lists, and a repeat can only say what the first one said."""
    from osemock.server.rules.patterns import tag_to_xpath

    seen: set[tuple[str, ...]] = set()
    kept = []
    for check in compiled(sheet):
        identity = getattr(check.run, "identity", None)
        key = (check.row.code, check.row.severity, identity) if identity else \
            (check.row.code, check.row.severity, check.row.condition, check.row.field, check.kind,
             check.path or tag_to_xpath(check.row.tag) or check.row.tag)
        if key not in seen:
            seen.add(key)
            kept.append(check)
    return tuple(kept)


def warm_up() -> None:
    """Compile every sheet now (a server does it at start, so no request pays for it)."""
    for sheet in set(SHEETS.values()) | {"firma"}:
        _plan(sheet)


def workbook_check(source: CheckInput) -> Iterator[Finding]:
    """The engine seam: the workbook's rules for the document's type."""
    if source.header.type_code:
        yield from findings(source.root, source.header.type_code, source)
