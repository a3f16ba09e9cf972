"""Compiling workbook rows into checks: the condition's wording decides the kind of check.

Most of SUNAT's rows are one of a handful of sentences ("No existe el Tag UBL o es vacío", "Si existe
el atributo, el valor ingresado es diferente a 'PE:SUNAT'", "El formato del Tag UBL es diferente de
decimal positivo de 12 enteros y hasta 2 decimales", "…no está en el listado" with a catalog).  Each
sentence pattern below turns such a row into a :class:`Check`; rows whose conditions need arithmetic or
other documents are left to Python rules.  The code, severity and message always come from the row
and the catalog, never from here.
"""
from __future__ import annotations

import re
import threading
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Iterator

from lxml import etree

from osemock.cpe import ns
from osemock.cpe.numbers import decimal_format, decimal_of
from osemock.server.rules.catalogs import catalog, entries
from osemock.server.rules.workbook import WorkbookRow

Node = etree._Element
#: A check yields (node path for the detail, offending value) for every violation.
Violations = Iterator[tuple[str, str]]
#: A compiled check: the document root and the :class:`CheckInput` (registry, clock) in, violations out.
Runner = Callable[[Node, Any], Violations]


@dataclass(frozen=True)
class Check:
    """A compiled row: what it selects and how it judges."""

    row: WorkbookRow
    kind: str
    run: Runner
    path: str | None = None
    """The XPath the check judges, when it differs from the row's tag (a guard's predicate added)."""


#: Sentence compilers registered by the rule families (:mod:`osemock.server.rules.families`): each
#: takes a row and the XPath of its tag (``None`` when the tag is not a plain path) and returns a
#: :class:`Check` or ``None``.  They are tried after the sentences of this module.
SentenceCompiler = Callable[[WorkbookRow, "str | None"], "Check | None"]
_SENTENCES: list[SentenceCompiler] = []


def sentence(compiler: SentenceCompiler) -> SentenceCompiler:
    """Register a sentence compiler of a rule family."""
    _SENTENCES.append(compiler)
    return compiler


_CURRENCY_FIELD = "/*/cbc:DocumentCurrencyCode"


@lru_cache(maxsize=None)
def _xpath(path: str) -> Callable[[Any], Any] | None:
    """``path`` compiled once.  No rule uses EXSLT regular expressions, and lxml registers them on
    every evaluation unless told not to (a fifth of the cost of a short path).  A path of plain child
    steps from the root is read from the document's index instead (:class:`_ChildPath`)."""
    try:
        compiled = etree.XPath(path, namespaces=ns.UBL, regexp=False)
    except etree.XPathSyntaxError:
        return None
    match = _CHILD_PATH.fullmatch(path)
    if match is None:
        return compiled
    steps = tuple(f"{{{ns.UBL[prefix]}}}{local}" for prefix, local in re.findall(r"/([a-z]+):([\w.\-]+)", match[1]))
    if len(steps) != match[1].count("/"):
        return compiled  # a prefix the namespaces do not know: XPath says what that means
    return _ChildPath(steps, match[2], compiled)


#: ``/*/cac:A/cbc:B`` or ``/*/cac:A/cbc:B/@attr``: child steps from the root, an attribute at the end.
_CHILD_PATH = re.compile(r"/\*((?:/[a-z]+:[\w.\-]+)*)(?:/@([\w.\-]+))?")


class _AttributeValue(str):
    """An attribute's value that knows its element, as the strings lxml's XPath returns do (rules ask a
    value's ``getparent()`` for its line)."""

    element: Node

    def getparent(self) -> Node:
        return self.element


class _ChildPath:
    """A path of child steps from the root, answered from one walk of the document (:func:`child_index`)
    while the engine judges it, and by XPath outside: the rules ask a document a hundred such paths, and
    each XPath evaluation costs more than a dictionary lookup by far."""

    __slots__ = ("steps", "attribute", "compiled")

    def __init__(self, steps: tuple[str, ...], attribute: str | None, compiled: etree.XPath) -> None:
        self.steps, self.attribute, self.compiled = steps, attribute, compiled

    def __call__(self, node: Any) -> list[Any]:
        cache = _RUN_MEMO.get()
        if cache is None:
            return self.compiled(node)
        root = node if node.getparent() is None else node.getroottree().getroot()
        elements = child_index(root).get(self.steps, ())
        if self.attribute is None:
            return list(elements)
        values = []
        for element in elements:
            value = element.get(self.attribute)
            if value is not None:
                found = _AttributeValue(value)
                found.element = element
                values.append(found)
        return values


def child_index(root: Node) -> dict[tuple[str, ...], list[Node]]:
    """Every element of the document by its path of tags below the root, in document order: walked
    once per document being judged (:func:`one_document`), built anew outside."""
    cache = _RUN_MEMO.get()
    if cache is None:
        return _child_index(root)
    index = cache.get(("child index", root))
    if index is None:
        index = cache[("child index", root)] = _child_index(root)
    return index


def _child_index(root: Node) -> dict[tuple[str, ...], list[Node]]:
    index: dict[tuple[str, ...], list[Node]] = {(): [root]}
    paths: dict[Node, tuple[str, ...]] = {root: ()}
    for element in root.iter(etree.Element):
        if element is root:
            continue
        path = paths[element.getparent()] + (element.tag,)
        paths[element] = path
        found = index.get(path)
        if found is None:
            index[path] = [element]
        else:
            found.append(element)
    return index


def tag_to_xpath(tag: str) -> str | None:
    """The XPath of a workbook tag (``/Invoice/cac:X/cbc:ID@schemeID (Tipo…)`` → ``/*/cac:X/cbc:ID/@schemeID``)."""
    path = re.sub(r"\s*\([^)]*\)", "", tag).strip().replace("cac:Allowancecharge", "cac:AllowanceCharge")  # a workbook typo
    parts = set(path.split())
    if len(parts) == 1:
        # a merged cell lists the same tag once per data item it carries
        path = parts.pop()
    path = re.sub(r"(?<=[\w])@", "/@", path).replace("/.../", "//")
    # the Firma sheet skips the ds:Transforms step of an XMLDSig reference
    path = path.replace("/ds:Reference/ds:Transform/", "/ds:Reference/ds:Transforms/ds:Transform/")
    if not path or path.startswith("@") or " " in path:
        return None
    path = re.sub(r"^/(Invoice|CreditNote|DebitNote|SummaryDocuments|VoidedDocuments|Retention|Perception)\b", "/*", path)
    if not path.startswith("/"):
        path = "/*/" + path
    if not re.fullmatch(r"[/*\w:@.\-]+", path):
        return None
    return path if _xpath(path) is not None else None


def _short(path: str) -> str:
    """The node as SUNAT names it in a detail: the last two steps, ``@attr`` as ``/attr`` (a guard's
    predicates left out)."""
    while re.search(r"\[[^\[\]]*\]", path):
        path = re.sub(r"\[[^\[\]]*\]", "", path)
    steps = [s for s in path.split("/") if s and s != "*"]
    return "/".join(steps[-2:]).replace("@", "")


def root_of(node: Node | str) -> Node:
    """The document root of a selected element or attribute value."""
    element = node.getparent() if isinstance(node, str) else node
    return element.getroottree().getroot()


def _text(node: object) -> str:
    return (node if isinstance(node, str) else (node.text or "")).strip()


def element_names(path: str) -> frozenset[str]:
    """The elements (Clark names) a node of ``path`` sits under, predicates left out: a document that
    lacks any of them has no such node, so a check that only judges such nodes need not run."""
    while re.search(r"\[[^\[\]]*\]", path):
        path = re.sub(r"\[[^\[\]]*\]", "", path)
    if "|" in path:
        return frozenset()  # a union: each branch needs its own elements, the whole needs none of them
    names = set()
    for step in path.replace("//", "/").split("/"):
        prefix, colon, local = step.partition(":")
        if colon and prefix in ns.UBL and re.fullmatch(r"[\w.\-]+", local):
            names.add(f"{{{ns.UBL[prefix]}}}{local}")
    return frozenset(names)


def needing(names: frozenset[str], run: Runner, identity: str | None = None) -> Runner:
    """Mark ``run`` as silent on documents without every element of ``names`` (see :func:`element_names`);
    the engine then skips it there.  ``identity`` says what the runner does, when that is all of it (two
    runners with one identity give the same findings, so the engine runs one)."""
    run.needs = names  # type: ignore[attr-defined]
    run.identity = identity  # type: ignore[attr-defined]
    return run


#: Steps that are one of several alternatives under their parent: XMLDSig's KeyInfo may carry several
#: X509Data (the certificate in one, its subject name in another, as the JDK and .NET may write them),
#: so a tag the workbook wants under X509Data (Firma row 18, 2101) is wanted in one of them, not in each.
_ALTERNATIVES = ("ds:X509Data",)


def _required(path: str, allow_empty: bool, anchored: bool = False) -> Runner:
    parent_path, _, child = path.rpartition("/")
    if parent_path.rpartition("/")[2] in _ALTERNATIVES:  # the holder is the alternatives' parent
        parent_path, _, alternative = parent_path.rpartition("/")
        child = f"{alternative}/{child}"
    parent = _xpath(parent_path or "/*")
    step = _xpath(child if not child.startswith("@") else child)
    assert parent is not None and step is not None
    anchor_path = anchor_of(path) if anchored else parent_path or "/*"
    if anchor_path == (parent_path or "/*"):
        def run(root: Node, source: Any = None) -> Violations:
            for holder in memo(parent_path or "/*", root, parent):
                found = step(holder)
                if not found:
                    yield _short(path), ""
                elif not allow_empty and not any(_text(f) for f in found):
                    yield _short(path), ""
        return needing(element_names(parent_path or "/*"), run, f"required {allow_empty} {path}")

    # the anchors with no parent of the tag under them: one query, not one per anchor
    lacking_path = f"{anchor_path}[not({parent_path[len(anchor_path) + 1:]})]"
    lacking = _xpath(lacking_path)
    assert lacking is not None
    in_document = anchor_path == "/*"

    def run_anchored(root: Node, source: Any = None) -> Violations:
        parents = memo(parent_path, root, parent)
        if (not parents) if in_document else memo(lacking_path, root, lacking):
            yield _short(path), ""  # a missing container on the way is a missing tag
        for holder in parents:
            found = step(holder)
            if not found or (not allow_empty and not any(_text(f) for f in found)):
                yield _short(path), ""
    return needing(element_names(anchor_path), run_anchored, f"required {allow_empty} {path} within {anchor_path}")


#: Aggregates SUNAT judges one by one (each line, each tax subtotal, each charge…): a tag required
#: inside one is wanted in every one there is, and a document without any has nothing to judge there.
#: Every other container on a required tag's path is wanted too: a factura without
#: cac:PartyLegalEntity has no customer name (2021), not a name nobody needs to check; a document
#: without ds:Signature has no signature Id (2085).  A step found anywhere (``//ds:Signature``) is
#: judged one by one: each signature wants its KeyInfo.
_AGGREGATE = re.compile(
    r"cac:(?:Invoice|CreditNote|DebitNote)Line|sac:\w+Line|sac:SUNAT(?:Retention|Perception)DocumentReference"
    r"|cac:(?:TaxSubtotal|AllowanceCharge|PaymentTerms|PaymentMeans|PrepaidPayment|AdditionalItemProperty"
    r"|AdditionalDocumentReference|DespatchDocumentReference)"
    r"|sac:BillingPayment")


def anchor_of(path: str) -> str:
    """The deepest node on the way to ``path``'s tag that is judged one by one: the root, an aggregate
    (:data:`_AGGREGATE`), a step a guard's predicate picks, or one found anywhere below (``//``)."""
    from osemock.server.rules.guards import path_steps

    steps = path_steps(path)[:-1]
    end = 2  # "/*" and its predicates
    for index in range(2, len(steps)):
        if "[" in steps[index] or _AGGREGATE.fullmatch(steps[index]) or steps[index - 1] == "":
            end = index + 1
    return "/".join(steps[:end])


def _each(path: str, judge: Callable[[str, Node], bool], identity: str | None = None) -> Runner:
    compiled = _xpath(path)
    assert compiled is not None

    def run(root: Node, source: Any = None) -> Violations:
        for node in memo(path, root, compiled):
            value = _text(node)
            if not judge(value, node):
                yield _short(path), value
    return needing(element_names(path), run, f"{identity} {path}" if identity else None)


def required_within(holder_path: str, relative: str, allow_empty: bool) -> Runner:
    """A runner that wants ``relative`` (a path of several steps) under every node ``holder_path``
    selects: missing intermediate elements count as a missing tag."""
    holders, step = _xpath(holder_path), _xpath(relative)
    assert holders is not None and step is not None
    path = f"{holder_path}/{relative}"

    def run(root: Node, source: Any = None) -> Violations:
        for holder in xp(root, holder_path):
            found = xp(holder, relative)
            if not found or (not allow_empty and not any(_text(f) for f in found)):
                yield _short(path), ""
    return needing(element_names(holder_path), run)  # no holder, nothing to require


#: What rules have already read from the document being judged, keyed by (purpose, element): set
#: by the engine for one document at a time (the tree does not change while its rules run).
_RUN_MEMO: ContextVar[dict[tuple[str, Any], Any] | None] = ContextVar("osemock_rules_memo", default=None)


@contextmanager
def one_document() -> Iterator[None]:
    """Rules run inside share what they read of the document (see :func:`memo`)."""
    token = _RUN_MEMO.set({})
    try:
        yield
    finally:
        _RUN_MEMO.reset(token)


def memo(purpose: str, element: Any, compute: Callable[[Any], Any]) -> Any:
    """``compute(element)``, once per document being judged (plain call outside :func:`one_document`)."""
    cache = _RUN_MEMO.get()
    if cache is None:
        return compute(element)
    key = (purpose, element)
    value = cache.get(key, _UNREAD)
    if value is _UNREAD:
        value = cache[key] = compute(element)
    return value


_UNREAD = object()


def xp(node: Any, path: str) -> Any:
    """``node.xpath(path)`` with the UBL prefixes, compiled once per path (a string XPath is compiled
    on every call, five times slower), and read once per document (:func:`memo`: rules ask the same
    node the same path again and again).  Callers must not change the list they get."""
    compiled = _xpath(path)
    if compiled is None:
        return node.xpath(path, namespaces=ns.UBL)
    return memo(path, node, compiled)


#: Building blocks for the families' sentence compilers.
xpath = _xpath
short = _short
text = _text


def text_format(low: int, high: int, note: str = "") -> tuple[str, Callable[[str, Node], bool]]:
    """The kind and judge of "alfanumérico de low a high caracteres" followed by ``note`` (its
    parenthesis): no whitespace at all where it says "no permite 'whitespace character'", else no
    whitespace but spaces."""
    if _NO_WHITESPACE.search(note):
        return "text-no-whitespace", _text_without_whitespace(low, high)
    return "text", _text_format(low, high)


def each(path: str, judge: Callable[[str, Node], bool]) -> Runner:
    """A runner that judges the text of every node ``path`` selects: ``judge(value, node)`` (the node
    is an element or an attribute's value; :func:`root_of` gives its document)."""
    return _each(path, judge)


def required(path: str, allow_empty: bool = False) -> Runner:
    """A runner that wants ``path``'s last step under every node its parent path selects."""
    return _required(path, allow_empty)


_ONEROUS = {"1000", "1016", "2000", "7152", "9999"}
_HOLDERS = {f"{{{ns.CAC}}}{name}" for name in ("InvoiceLine", "CreditNoteLine", "DebitNoteLine")}


def _is_nonzero(value: str) -> bool:
    return decimal_of(value) != 0  # an unreadable value is not a zero (its format row reports it)


#: A payment term: its amount (the credit pending, an instalment) is money owed, never a tax figure.
_PAYMENT_TERMS = f"{{{ns.CAC}}}PaymentTerms"


def _adjusts_payments_only(element: Node) -> bool:
    """A credit note of type 13 (ajustes de montos y/o fechas de pago) changes a credit factura's
    instalments and moves no money: its lines and totals are zero (3315 wants its total at zero).  Its
    payment terms are not: they restate the instalments (see :func:`_zero_refused`)."""
    root = element.getroottree().getroot()
    return root.tag == f"{{{ns.CREDIT_NOTE}}}CreditNote" and (root.findtext(
        f"{{{ns.CAC}}}DiscrepancyResponse/{{{ns.CBC}}}ResponseCode") or "").strip() == "13"


_SUMMARY_LINE = f"{{{ns.SAC}}}SummaryDocumentsLine"
#: Taxes whose total a resumen diario's line states only when it is due (ISC, otros tributos, ICBPER).
_SUMMARY_DUE_TAXES = {"2000", "9999", "7152"}


def _zero_refused_in_summary(element: Node) -> bool:
    """A resumen diario line's payment (sac:BillingPayment, 2254) and its ISC, other-taxes and ICBPER
    totals (2048) are never zero; its IGV/IVAP total is, on an exonerated, unaffected or export line
    (2278 wants that total on every line), and its charges are the OBSERV row's (2266)."""
    holder = element.getparent()
    if holder.tag == f"{{{ns.SAC}}}BillingPayment":
        return True
    if holder.tag == f"{{{ns.CAC}}}TaxTotal":
        scheme = xp(holder, "cac:TaxSubtotal/cac:TaxCategory/cac:TaxScheme/cbc:ID/text()")
        return bool(scheme) and scheme[0].strip() in _SUMMARY_DUE_TAXES
    return False


def _zero_refused(node: Node | str) -> bool:
    """Whether a zero amount is wrong here: on a line/document that carries an onerous tax (IGV, IVAP,
    ISC, ICBPER, others) with a base above zero; in a payment term always (a type-13 credit note's
    cuotas included: only its lines and totals are zero).

    Not inside a cac:TaxTotal: a tax's base, amount and rate are zero on a tiny base (0.05 at 18% is
    0.00 of IGV), the sheets say when a zero there is wrong in rows of their own, which would never
    answer if the format row refused every zero first (3111 a zero IGV on a base above 0.06, 2993 a
    zero rate, 3104 a zero ISC rate, 3238 a zero ICBPER per bag, 2643 a zero IVAP base), and the sums
    catch a zero total; SUNAT's own format checks of the tax amounts accept 0.00."""
    element = node.getparent() if isinstance(node, str) else node
    if element is None:
        return True
    parent = element.getparent()
    if parent is not None and parent.tag == _PAYMENT_TERMS:
        return True  # an instalment of zero is no instalment, whatever the taxes (NotaCredito row 445, 3253)
    if _adjusts_payments_only(element):
        return False
    if parent is not None and parent.getparent() is not None and parent.getparent().tag == _SUMMARY_LINE:
        return _zero_refused_in_summary(element)
    holder = element
    while holder is not None:
        if holder.tag == f"{{{ns.CAC}}}TaxTotal":
            return False
        if holder.tag in _HOLDERS or holder.getparent() is None:
            break
        holder = holder.getparent()
    for subtotal in xp(holder, "cac:TaxTotal/cac:TaxSubtotal"):
        scheme = xp(subtotal, "cac:TaxCategory/cac:TaxScheme/cbc:ID/text()")
        base = xp(subtotal, "cbc:TaxableAmount/text()")
        if scheme and scheme[0].strip() in _ONEROUS and base and _is_nonzero(base[0]):
            return True
    return False


#: Every currencyID of a document, as plain strings.
_EVERY_CURRENCY = etree.XPath("//@currencyID", smart_strings=False)


def _in_one_currency(root: Node) -> bool:
    """Every currencyID of the document is its cbc:DocumentCurrencyCode."""
    expected = {_text(n) for n in memo(_CURRENCY_FIELD, root, _xpath(_CURRENCY_FIELD))}
    return all(value.strip() in expected for value in _EVERY_CURRENCY(root))


def in_one_currency(root: Node) -> bool:
    """Whether every amount of the document is in its own currency (read once per document): nearly
    every document is, and then no check of a currencyID can find anything."""
    return memo("in one currency", root, _in_one_currency)


def same_currency(path: str) -> Runner:
    """Every currencyID ``path`` selects is the document's currency (read once per document)."""
    compiled, currency = _xpath(path), _xpath(_CURRENCY_FIELD)
    assert compiled is not None and currency is not None

    def run(root: Node, source: Any = None) -> Violations:
        if in_one_currency(root):
            return
        expected = {_text(n) for n in memo(_CURRENCY_FIELD, root, currency)}
        for node in xp(root, path):
            value = _text(node)
            if value not in expected:
                yield _short(path), value
    return needing(element_names(path), run, f"same-currency {path}")


def _present_and_nonempty_fails(path: str) -> Runner:
    compiled = _xpath(path)
    assert compiled is not None

    def run(root: Node, source: Any = None) -> Violations:
        for node in xp(root, path):
            if not _text(node):
                yield _short(path), ""
    return needing(element_names(path), run, f"not-empty {path}")


def _decimal(integers: int, decimals: int, non_zero: bool) -> Callable[[str, Node], bool]:
    pattern = decimal_format(integers, decimals)

    def judge(value: str, node: Node) -> bool:
        if not pattern.fullmatch(value):
            return False
        return not non_zero or float(value) != 0
    return judge


_CONTROL_CHARACTER = re.compile(r"[\t\n\r\f\v]")
_OPERATION_TYPE = "/*/cbc:ProfileID | /*/cbc:InvoiceTypeCode/@listID"


def _raw(node: object) -> str:
    """The value as sent (:func:`_text` strips it): a tab or a line break at either end is still in it."""
    return node if isinstance(node, str) else (node.text or "")  # type: ignore[attr-defined]


def _text_format(low: int, high: int) -> Callable[[str, Node], bool]:
    """'alfanumérico de low a high caracteres (se considera cualquier carácter incluido espacio, no se
    permite ningún otro "whitespace character")': spaces count, tabs and line breaks anywhere refuse."""
    def judge(value: str, node: Node) -> bool:
        raw = _raw(node)
        return low <= len(raw) <= high and not _CONTROL_CHARACTER.search(raw)
    return judge


def _text_without_whitespace(low: int, high: int) -> Callable[[str, Node], bool]:
    """'… no permite "whitespace character": espacio, salto de línea…': not even a space (a document
    number, an identity number)."""
    def judge(value: str, node: Node) -> bool:
        raw = _raw(node)
        return low <= len(raw) <= high and not _WHITESPACE.search(raw)
    return judge


#: "no permite 'whitespace character'", "no se permite ningún otro…" is the plain text sentence.
_NO_WHITESPACE = re.compile(r"\bno permite [\"']whitespace", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s")


def _catalog_number(listado: str) -> str | None:
    match = re.search(r"Cat[aá]logo\s*\(?\s*(?:N[°º]\s*)?0*(\d+)", listado)
    return f"{int(match[1]):02d}" if match else None


def _sibling_catalog_attribute(path: str, sibling: str, number: str, attribute: str) -> Runner:
    compiled = _xpath(path)
    assert compiled is not None
    known = entries(number)

    # "../x" is read from the parent, so the checks of one cac:TaxScheme (its name, its UN/ECE code) share it
    from_parent = sibling[len("../"):] if sibling.startswith("../") else None

    def run(root: Node, source: Any = None) -> Violations:
        for node in memo(path, root, compiled):
            found = xp(node.getparent(), from_parent) if from_parent else xp(node, sibling)
            code = _text((found or [""])[0])
            expected = known.get(code, {}).get(attribute)
            if expected is not None and _text(node) != expected:
                yield _short(path), _text(node)
    return needing(element_names(path), run)


def _operation_types(root: Node) -> set[str]:
    """The document's operation types (cbc:ProfileID, or the InvoiceTypeCode's listID)."""
    return {_text(n) for n in _xpath(_OPERATION_TYPE)(root)}


def _concept_required(path: str, operation: str, concept: str) -> Runner:
    """For documents of operation type ``operation`` (cbc:ProfileID), every line must carry an
    AdditionalItemProperty whose NameCode is ``concept``."""
    lines, has_concept = path.split("/cac:Item/")[0], f"cac:Item/cac:AdditionalItemProperty[cbc:NameCode='{concept}']"
    assert _xpath(lines) is not None and _xpath(has_concept) is not None

    def run(root: Node, source: Any = None) -> Violations:
        if operation not in memo("operation types", root, _operation_types):
            return
        for line in xp(root, lines):
            if not xp(line, has_concept):
                yield _short(path), f"{concept} (linea {(line.findtext(f'{{{ns.CBC}}}ID') or '').strip()})"
    return run


def unique(path: str, within: str | None = None, key: Callable[[Node], str] | None = None) -> Runner:
    """Every node of ``path`` whose value (or ``key(node)``) an earlier node already had: across the
    document, or afresh inside each node of ``within`` (a leading part of ``path``: each line, each
    TaxTotal…)."""
    read = key or _text
    step = path if within is None else path[len(within):].lstrip("/")
    assert _xpath(step) is not None and (within is None or _xpath(within) is not None)

    def run(root: Node, source: Any = None) -> Violations:
        for holder in (xp(root, within) if within is not None else [root]):
            seen: set[str] = set()
            for node in xp(holder, step):
                value = read(node)
                if value in seen:
                    yield _short(path), _text(node)
                seen.add(value)
    return needing(element_names(path), run)


def _required_unless_tax(path: str, exempt_code: str) -> Runner:
    """Inside each cac:TaxSubtotal, the tag must exist unless the subtotal's tax code is ``exempt_code``."""
    head, _, tail = path.partition("cac:TaxSubtotal/")
    subtotals = head + "cac:TaxSubtotal"
    assert _xpath(subtotals) is not None and _xpath(tail) is not None

    def run(root: Node, source: Any = None) -> Violations:
        for subtotal in xp(root, subtotals):
            code = _text((xp(subtotal, "cac:TaxCategory/cac:TaxScheme/cbc:ID") or [""])[0])
            if code != exempt_code and not any(_text(n) for n in xp(subtotal, tail)):
                yield _short(path), ""
    return run


_CONCEPT = re.compile(r"(?:Si (?:el )?'Código del concepto' es(?: igual a)?|De existir 'Código del concepto' igual a) "
                      r"'?(\d+(?:'?, '?\d+)*(?:'? o '?\d+)?)'?(?: \([^)]*\))?(?:,| y) (.*)")
_CONCEPT_REST = {
    "no existe el tag": "No existe el Tag UBL",
    "no existe el tag o es vacío": "No existe el Tag UBL o es vacío",
    "no existe el tag o es vacio": "No existe el Tag UBL o es vacío",
}


def _concept_row(row: WorkbookRow, path: str) -> Check | None:
    """Rows about one 'Código del concepto' of cac:AdditionalItemProperty: the simple check of the rest
    of the sentence, applied only to the properties whose cbc:NameCode is that concept."""
    match = _CONCEPT.fullmatch(row.condition.rstrip(". "))
    if match is None or "cac:AdditionalItemProperty/" not in path:
        return None
    codes = re.findall(r"\d+", match[1])
    rest = match[2].rstrip(". ")
    rest = _CONCEPT_REST.get(rest, rest)
    rest = re.sub(r"^el (?:valor|formato) del (?:tag|Tag UBL) es diferente a alfanum[ée]rico",
                  "El formato del Tag UBL es diferente a alfanumérico", rest)
    catalog_match = re.fullmatch(r"el valor del tag es distinto al catálogo(?: nro)? (\d+)", rest)
    if catalog_match:
        rest, listado = "El valor del Tag UBL es diferente al listado", f"Catálogo ({catalog_match[1]})"
    else:
        listado = row.listado
    head, _, tail = path.partition("cac:AdditionalItemProperty/")
    predicate = " or ".join(f"cbc:NameCode='{code}'" for code in codes)
    guarded = f"{head}cac:AdditionalItemProperty[{predicate}]/{tail}"
    if _xpath(guarded) is None:
        return None
    inner = WorkbookRow(row.sheet, row.row, row.field, row.tag, rest, row.severity, row.code, listado)
    check = compile_sentence(inner, guarded)
    if check is not None and check.kind == "required" and "/" in tail:
        # the property exists and the tag under it does not, even when its parent (UsabilityPeriod) is missing
        holder = f"{head}cac:AdditionalItemProperty[{predicate}]"
        check = Check(inner, "required", required_within(holder, tail, rest == "No existe el Tag UBL"), guarded)
    return Check(row, f"concept:{check.kind}", check.run, check.path or guarded) if check else None


def compile_row(row: WorkbookRow) -> Check | None:
    """The check of a row whose condition is one of the simple sentences; ``None`` otherwise."""
    from osemock.server.rules import families  # noqa: F401 - registers the families' sentences

    path = tag_to_xpath(row.tag)
    if path is None:
        return _family_sentence(row, None)
    return _concept_row(row, path) or compile_sentence(row, path)


def compile_sentence(row: WorkbookRow, path: str) -> Check | None:
    """The check of ``row``'s condition over ``path``: a guarded sentence (:mod:`guards`), a simple one
    of this module, or one a rule family registered."""
    from osemock.server.rules.guards import compile_guarded

    compiling = _COMPILING.__dict__.setdefault("keys", set())
    key = (row.sheet, row.row, row.condition, path)
    if key in compiling or len(compiling) >= _MAX_DEPTH:  # a rewording that leads back to itself
        return None
    compiling.add(key)
    try:
        return compile_guarded(row, path) or _compile(row, path) or _family_sentence(row, path)
    finally:
        compiling.discard(key)


#: The (row, condition, path) this thread is compiling right now: guards and families reword
#: conditions and compile the result again; a wording must never lead back to itself, nor grow a
#: path for ever.
_COMPILING = threading.local()
_MAX_DEPTH = 16


def _family_sentence(row: WorkbookRow, path: str | None) -> Check | None:
    for compiler in _SENTENCES:
        check = compiler(row, path)
        if check is not None:
            return check
    return None


def _compile(row: WorkbookRow, path: str) -> Check | None:
    cond = row.condition.rstrip(". ")
    if cond.startswith(("Si existe el atributo", "No existe el atributo")) and "/@" not in path:
        return None  # an attribute condition on an element tag: an inconsistent row, left to review
    if cond in ("No existe el Tag UBL o es vacío", "No existe el atributo o es vacío", "No existe el Tag UBL o es vacio"):
        return Check(row, "required", _required(path, allow_empty=False, anchored=True))
    if cond == "El Tag UBL está vacío":
        return Check(row, "required", _required(path, allow_empty=False))
    if cond in ("No existe el Tag UBL", "No existe el atributo"):
        return Check(row, "required", _required(path, allow_empty=True, anchored=True))
    if cond in ("Si existe el tag y es vacío", "Si existe el atributo y es vacío"):
        return Check(row, "not-empty", _present_and_nonempty_fails(path))
    match = re.fullmatch(r"Si existe el atributo, el valor ingresado es diferente a '([^']*)'", cond)
    if match:
        expected = match[1]
        return Check(row, "fixed-value", _each(path, lambda value, node: value == expected, f"equals {expected!r}"))
    match = re.fullmatch(r"Si 'Tipo de operación' es (?:igual a )?'(\d{4})[^']*',? (?:y )?no existe el tag con "
                         r"(?:código(?: igual a)?|valor) '(\d+)'", cond)
    if match and path.endswith("cac:AdditionalItemProperty/cbc:NameCode"):
        return Check(row, "operation-concept", _concept_required(path, match[1], match[2]))
    match = re.fullmatch(r'El atributo @(\w+) del Tag UBL es diferente a "([^"]+)"', cond)
    if match and path.endswith(f"/@{match[1]}"):
        expected = match[2]
        return Check(row, "fixed-value", _each(path, lambda value, node: value == expected, f"equals {expected!r}"))
    match = re.fullmatch(r"Si el atributo @schemeID del tag es (GTIN-\d+), y la longitud del Tag UBL es diferente de (\d+) "
                         r"caracteres", cond)
    if match:
        scheme, length = match[1], int(match[2])
        return Check(row, "gtin-length", _each(f"{path}[@schemeID='{scheme}']", lambda value, node: len(value) == length))
    match = re.fullmatch(r"Existe en el mismo ítem otro cac:AlternativeConditionPrice con el mismo valor del Tag UBL "
                         r"\(cbc:PriceTypeCode\)", cond)
    if match and path.endswith("cac:AlternativeConditionPrice/cbc:PriceTypeCode"):
        return Check(row, "unique", unique(path, within=path.split("/cac:PricingReference/")[0]))
    if cond in ("Si existe el atributo, el valor es diferente al ingresado en 'Tipo de moneda'",
                "Si existe el atributo, el valor del atributo es diferente al ingresado en 'Tipo de moneda'"):
        return Check(row, "same-currency", same_currency(path))
    match = re.fullmatch(r'El valor del Tag UBL es diferente (?:de|a)\s+"?([\w.]+)"?', cond)
    if match:
        expected = match[1]
        return Check(row, "fixed-value", _each(path, lambda value, node: value == expected, f"equals {expected!r}"))
    match = re.fullmatch(r"(Si el Tag UBL existe, )?[Ee]l formato del Tag UBL es diferente de decimal positivo de (\d+) "
                         r"enteros y hasta (\d+) decimales( y diferente de cero)?(\..*)?", cond)
    if match:
        # "…y diferente de cero" is stated for tags that a valid exonerated, unaffected, export or free
        # line carries as 0.00: zero is refused only where an onerous tax applies (see _zero_refused).
        fmt = _decimal(int(match[2]), int(match[3]), False)
        if not match[4]:
            return Check(row, "decimal", _each(path, fmt, f"decimal {match[2]}.{match[3]}"))
        return Check(row, "decimal-nonzero", _each(path, lambda value, node: fmt(value, node) and (
            _is_nonzero(value) or not _zero_refused(node)), f"decimal-nonzero {match[2]}.{match[3]}"))
    match = re.fullmatch(r"(?:Si existe el tag, )?[Ee]l formato del Tag UBL es diferente a alfanum[ée]rico de "
                         r"(?:(\d+) (?:a|hasta) |hasta )(\d+) caract[eé]res.*", cond)
    if match:
        low, high = int(match[1] or 1), int(match[2])
        if re.search(r"permite [\"']whitespace", cond) and not _NO_WHITESPACE.search(cond):
            # 'permite "whitespace character"': line breaks, tabs allowed
            return Check(row, "text-any", _each(path, lambda value, node: low <= len(value) <= high, f"text-any {low}-{high}"))
        kind, judge = text_format(low, high, cond)
        return Check(row, kind, _each(path, judge, f"{kind} {low}-{high}"))
    match = re.fullmatch(r"Si el tag es diferente al '(Nombre del tributo|Código internacional del tributo)' del "
                         r"listado según el 'Código de tributo(?: por línea)?' \(Catálogo 5\)", cond)
    if match:
        attribute = "name" if match[1] == "Nombre del tributo" else "UN_ECE_5153"
        return Check(row, "catalog-attribute", _sibling_catalog_attribute(path, "../cbc:ID", "05", attribute))
    match = re.fullmatch(r"Existe (a nivel global|en el mismo ítem) más de un cac:TaxSubtotal con el mismo valor del "
                         r"Tag UBL \(cbc:ID\)", cond)
    if match and path.endswith("cac:TaxSubtotal/cac:TaxCategory/cac:TaxScheme/cbc:ID"):
        return Check(row, "unique", unique(path, within=path.split("/cac:TaxSubtotal/")[0]))
    match = re.fullmatch(r"Si el 'Código de tributo' es diferente de '(\d+)' y no existe el Tag UBL", cond)
    if match and "cac:TaxSubtotal/" in path:
        return Check(row, "required-unless", _required_unless_tax(path, match[1]))
    if cond in ("Si el Tag UBL existe, el valor del Tag UBL no está en el listado", "El valor del Tag UBL es diferente al listado",
                "El valor del Tag UBL no existe en el listado", "El valor del tag es distinto al Catálogo",
                "El valor del Tag UBL es diferente al código del tributo del listado", "El Tag UBL no existe en el listado") \
            or re.fullmatch(r"El valor del tag es distinto al Catálogo \d+", cond):
        number = _catalog_number(row.listado) or _catalog_number(cond)
        if number and catalog(number):
            codes = catalog(number)
            return Check(row, "catalog", _each(path, lambda value, node: value in codes, f"catalog {number}"))
    return None
