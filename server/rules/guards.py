"""Guarded sentences: "Si <something about the context>, <a simple sentence>".

A large share of SUNAT's rows put a condition on the context before a simple check: the document's
operation type ("Si 'Tipo de operación' es '1004', …"), the tax of the subtotal ("Si 'Código de
tributo por línea' es '2000', …"), the kind of payment term ("Si 'Indicador PaymentTerms' es igual a
'Detraccion', …").  Each guard below is data: the wording it recognises, the step of the tag's path
the condition is about, and the XPath predicate that step must satisfy.  The guard becomes that
predicate inside the row's path, and the rest of the sentence compiles as any simple sentence would,
so "required", "format" or "catalog" keep one implementation whether guarded or not.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from osemock.server.rules.workbook import WorkbookRow

_CODES = r"(?P<codes>'[^']*'(?:\s*\([^)]*\))?(?:(?:,|,? o| y|,? y/o)\s*'[^']*'(?:\s*\([^)]*\))?)*)"
_NEGATION = r"(?P<negated>diferente (?:a|de)\s*|distinto (?:a|de)\s*)?"


#: The document's operation type (catálogo 51) is ``code``: cbc:ProfileID, or InvoiceTypeCode/@listID
#: (the workbook's field) when the document has no ProfileID.
OPERATION_TYPE = "(cbc:ProfileID='{code}' or (not(cbc:ProfileID) and cbc:InvoiceTypeCode/@listID='{code}'))"


@dataclass(frozen=True)
class Guard:
    """One wording of a context condition."""

    wording: str
    """Regex of the guard (matched at the start of the condition; ``codes`` and ``negated`` groups)."""
    step: str
    """The step of the path the predicate attaches to; ``/*`` is the document root."""
    predicate: str
    """XPath predicate for one code (``{code}``); several codes are OR'd, ``negated`` wraps ``not()``."""

    @property
    def regex(self) -> re.Pattern[str]:
        return _compiled(self.wording)


_CACHE: dict[str, re.Pattern[str]] = {}


def _compiled(wording: str) -> re.Pattern[str]:
    if wording not in _CACHE:
        _CACHE[wording] = re.compile(rf"(?:{wording})(?:,\s*|\s+y\s+|\s+)(?P<rest>.+)", re.IGNORECASE | re.DOTALL)
    return _CACHE[wording]


#: The guards, most specific first.  Families may append their own (:func:`add_guard`).
GUARDS: list[Guard] = [
    Guard(rf"Si (?:el )?'Tipo de operación' es (?:igual a )?{_NEGATION}{_CODES}", "/*", OPERATION_TYPE),
    Guard(rf"Si (?:el )?'Código de tributo(?: por línea)?' es (?:igual a )?{_NEGATION}{_CODES}", "cac:TaxSubtotal",
          "cac:TaxCategory/cac:TaxScheme/cbc:ID='{code}'"),
    Guard(rf"Si (?:el )?'Indicador PaymentTerms' es (?:igual a )?{_NEGATION}{_CODES}", "cac:PaymentTerms", "cbc:ID='{code}'"),
    Guard(rf"Si (?:el )?'Indicador PaymentMeans' es (?:igual a )?{_NEGATION}{_CODES}", "cac:PaymentMeans", "cbc:ID='{code}'"),
    Guard(rf"Si (?:el )?'Indicador' es (?:igual a )?{_NEGATION}{_CODES}", "cac:PaymentTerms", "cbc:ID='{code}'"),
    Guard(rf"Si (?:el )?'?Código de motivo de cargo/descuento'? es (?:igual a )?{_NEGATION}{_CODES}",
          "cac:AllowanceCharge", "cbc:AllowanceChargeReasonCode='{code}'"),
    Guard(r"(?:Si |y )?cuyo 'Monto base' es mayor a cero \(cbc:TaxableAmount > 0\)", "cac:TaxSubtotal",
          "number(cbc:TaxableAmount) > 0"),
    Guard(r"Si (?:existe el Tag UBL|el Tag UBL existe|existe el tag|el tag existe)", "", ""),
]


def add_guard(guard: Guard) -> Guard:
    """Register a family's guard (tried after the common ones)."""
    GUARDS.append(guard)
    return guard


#: How the rest of a guarded sentence is worded once the guard is cut off → the simple sentence.
_REST = {
    "no existe el tag": "No existe el Tag UBL",
    "no existe el tag ubl": "No existe el Tag UBL",
    "no existe el tag o es vacío": "No existe el Tag UBL o es vacío",
    "no existe el tag o es vacio": "No existe el Tag UBL o es vacío",
    "no existe el tag ubl o es vacío": "No existe el Tag UBL o es vacío",
    "no existe el tag ubl o es vacio": "No existe el Tag UBL o es vacío",
}


def normalise_rest(rest: str) -> str:
    """The rest of a guarded condition, worded as the simple sentence it is."""
    rest = rest.strip().rstrip(". ").strip()
    rest = _REST.get(rest.lower(), rest)
    return rest[:1].upper() + rest[1:]


def _predicate(guard: Guard, match: re.Match[str]) -> str:
    if not guard.predicate:
        return ""
    if "{code}" not in guard.predicate:
        return guard.predicate
    # the code is the first word of each quoted item: '0112 Venta Interna - Sustenta…' is 0112
    codes = re.findall(r"'\s*([^'\s-][^'\s-]*)[^']*'", match.group("codes"))
    if not codes:
        return ""
    codes = [code.strip() for code in codes]
    if len(codes) > 1 and _takes_a_set(guard.predicate):
        # X='a' or X='b' … read X once: X[.='a' or .='b'] (the same nodes, a third of the work)
        tests = " or ".join(f".='{code}'" for code in codes)
        joined = _EQUALS_CODE.sub(lambda _: f"[{tests}]", guard.predicate)
    else:
        joined = " or ".join(guard.predicate.format(code=code) for code in codes)
    return f"not({joined})" if match.groupdict().get("negated") else joined


#: ``path='{code}'``: a location path (not a function's value) compared with the code.
_EQUALS_CODE = re.compile(r"(?<=[\w@.\-])='\{code\}'")


def _takes_a_set(predicate: str) -> bool:
    """Whether "the predicate for code a, or for code b, …" is the predicate with its ``path='{code}'``
    made ``path[.='a' or .='b' …]``: true when the code appears once, as such a comparison, outside any
    not(); and for :data:`OPERATION_TYPE`, whose two comparisons sit in branches of one "or"."""
    if predicate == OPERATION_TYPE:
        return True
    return predicate.count("{code}") == 1 and len(_EQUALS_CODE.findall(predicate)) == 1 and "not(" not in predicate


def path_steps(path: str) -> list[str]:
    """The steps of an XPath, the slashes inside predicates and quotes left in their step
    (``/*[a/b='x']/cac:C`` → ``['', "*[a/b='x']", 'cac:C']``)."""
    parts, depth, quote, current = [], 0, "", ""
    for char in path:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == "/" and depth == 0:
            parts.append(current)
            current = ""
            continue
        current += char
    return parts + [current]


def insert_predicate(path: str, step: str, predicate: str) -> str | None:
    """``path`` with ``[predicate]`` on its last ``step`` (``/*``: the root); ``None`` when the path
    has no such step."""
    if not predicate:
        return path
    if step == "/*":
        end = _end_of_root_predicates(path)
        return f"{path[:end]}[{predicate}]{path[end:]}" if end else None
    # split on the "/" outside predicates, so a step that already carries one (a guard before this
    # one: "cac:TaxSubtotal[…]") is still found and gets a second predicate
    parts = path_steps(path)
    for index in range(len(parts) - 1, -1, -1):
        if parts[index].split("[", 1)[0] == step:
            parts[index] = f"{parts[index]}[{predicate}]"
            return "/".join(parts)
    return None


def _end_of_root_predicates(path: str) -> int | None:
    """Where the root step ``/*`` and its predicates end (so a second guard can add its own), or
    ``None`` when the path does not start at the root."""
    if not path.startswith("/*"):
        return None
    parts = path_steps(path)
    if len(parts) < 3 or not parts[1].startswith("*"):
        return None
    return 1 + len(parts[1])


_REQUIRED = ("No existe el Tag UBL", "No existe el Tag UBL o es vacío")
#: Repeating aggregates: a tag required inside one of them is judged per aggregate, not per document.
_LINE_STEP = re.compile(r"cac:(?:Invoice|CreditNote|DebitNote)Line|sac:\w+Line\b|cac:PaymentTerms")


def judged_in_document(guarded: str) -> bool:
    """Whether a tag required under a guard on the root is wanted of the document as a whole: the root
    carries a guard's predicate, and no repeating aggregate (:data:`_LINE_STEP`) nor a step a predicate
    picks (only such subtotals, only such charges…) lies on the way.  The same whether the guard is the
    core's or a family's, and whatever words the rest of the condition uses ("no existe el tag", "si el
    Tag UBL no existe o es vacio", "y el Tag UBL no existe…")."""
    end = _end_of_root_predicates(guarded)
    return end is not None and end > len("/*") and "[" not in guarded[end:] and not _LINE_STEP.search(guarded[end:])


def required_in_document(guarded: str, allow_empty: bool):
    """A document that meets a root guard ("Si 'Tipo de operación' es '0302', no existe el tag") must
    carry the tag, whatever containers are missing on the way: its context is the document, not the
    tag's parent (which the plain "required" check needs, so optional containers do not over-fire)."""
    from osemock.server.rules.patterns import short, text, xp, xpath

    end = _end_of_root_predicates(guarded)
    applies, selected = guarded[:end], "/*" + guarded[end:]
    assert xpath(applies) is not None and xpath(selected) is not None

    def run(root, source=None):
        if not xp(root, applies):
            return
        found = xp(root, selected)
        if not found or (not allow_empty and not any(text(node) for node in found)):
            yield short(guarded), ""
    return run


def compile_guarded(row: WorkbookRow, path: str):
    """The check of a guarded row, or ``None`` when no guard (or no rest) applies."""
    from osemock.server.rules.patterns import Check, compile_sentence

    for guard in GUARDS:
        match = guard.regex.fullmatch(row.condition.strip())
        if match is None:
            continue
        guarded = insert_predicate(path, guard.step, _predicate(guard, match))
        if guarded is None:
            return None
        inner = WorkbookRow(row.sheet, row.row, row.field, row.tag, normalise_rest(match.group("rest")),
                            row.severity, row.code, row.listado)
        if guard.step == "/*" and inner.condition in _REQUIRED and judged_in_document(guarded):
            return Check(row, "guarded:required-in-document",
                         required_in_document(guarded, allow_empty=inner.condition == "No existe el Tag UBL"), guarded)
        check = compile_sentence(inner, guarded)
        if check is None:
            return None
        kind = check.kind if check.kind.startswith("guarded:") else f"guarded:{check.kind}"
        return Check(row, kind, check.run, check.path or guarded)
    return None
