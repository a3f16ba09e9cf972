"""The header rows that judge the emitter or the customer against SUNAT's lists, read from the registry.

SUNAT checks these RUCs against its padrones (ind_padron 02 sin capacidad operativa, 05 exportador de
servicios, 14 tax free), its establishments (anexos) and the contribuyentes' status and condition.
The mock holds those lists only as far as the registry file declares them (``padrones:``,
``establishments:`` per emitter, ``taxpayers:`` for customers; see README): a list the registry does
not declare for a RUC is unknown and its rows stay silent, as they do offline.
"""
from __future__ import annotations

from typing import Any, Iterator

from lxml import etree

from osemock.cpe.dates import iso_day
from osemock.cpe.numbers import correlativo, digits
from osemock.server.rules.backend import python_rule
from osemock.server.rules.patterns import memo, xp

Violations = Iterator[tuple[str, str]]
_SUPPLIER_ID = "cac:AccountingSupplierParty/cac:Party/cac:PartyIdentification/cbc:ID"
_CUSTOMER_ID = "cac:AccountingCustomerParty/cac:Party/cac:PartyIdentification/cbc:ID"
_ESTABLISHMENT = "cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cac:RegistrationAddress/cbc:AddressTypeCode"


def _first(root: etree._Element, path: str) -> str:
    found = xp(root, path)
    if not found:
        return ""
    return (found[0] if isinstance(found[0], str) else found[0].text or "").strip()


def _emitter(root: etree._Element) -> str:
    return _first(root, _SUPPLIER_ID)


def _operations(root: etree._Element) -> set[str]:
    return {(value or "").strip() for value in xp(root, "cbc:InvoiceTypeCode/@listID | cbc:ProfileID/text()")}


def _is_note(root: etree._Element) -> bool:
    return etree.QName(root).localname in ("CreditNote", "DebitNote")


def _modifies_a_factura(root: etree._Element) -> bool:
    return _first(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:DocumentTypeCode") == "01"


def _padrones(root: etree._Element, source: Any) -> list[Any] | None:
    if source is None or source.store is None:
        return None
    return source.store.padrones(_emitter(root))


def _on_padron(padrones: list[Any], padron: str, issued: str) -> bool:
    """Whether one of ``padrones`` is ``padron`` and in force on the issue date (open ends always are).
    The registry writes its dates ``YYYY-MM-DD``; the issue date is compared as its day alone."""
    issued = iso_day(issued) or ""
    return any(row["padron"] == padron and (not row["valid_from"] or not issued or row["valid_from"] <= issued)
               and (not row["valid_to"] or not issued or issued <= row["valid_to"]) for row in padrones)


def _padron_required(code: str, operation: str, padron: str) -> None:
    @python_rule(code, "AccountingSupplierParty")
    def emitter_not_on_padron(root: etree._Element, source: Any) -> Violations:
        if operation not in _operations(root):
            return
        padrones = _padrones(root, source)
        if padrones is not None and not _on_padron(padrones, padron, _first(root, "cbc:IssueDate")):
            yield "cac:PartyIdentification/cbc:ID", _emitter(root)

    emitter_not_on_padron.__doc__ = f"Operation {operation} needs the emitter on padrón {padron} ({code})."


_padron_required("3097", "0201", "05")
_padron_required("3281", "2106", "14")


@python_rule("1086", "AccountingSupplierParty")
def emitter_without_operating_capacity(root: etree._Element, source: Any) -> Violations:
    """The emitter is a sujeto sin capacidad operativa (padrón 02) on the issue date; notes only when
    they modify a factura."""
    if _is_note(root) and not _modifies_a_factura(root):
        return
    padrones = _padrones(root, source)
    if padrones is not None and _on_padron(padrones, "02", _first(root, "cbc:IssueDate")):
        yield "cac:PartyIdentification/cbc:ID", _emitter(root)


#: Operation types a RUC affiliated to the SEE - Empresas supervisadas may not send through this
#: channel (factura and boleta rows 437/433: 1080).
_SUPERVISED_OPERATIONS = {"2100", "2101", "2102", "2103", "2104", "0112"}
SUPERVISED_PADRON = "SEE-EMPRESAS-SUPERVISADAS"


@python_rule("1080", "InvoiceTypeCode", sheets=("factura", "boleta"))
def supervised_company_operation(root: etree._Element, source: Any) -> Violations:
    """An operation of the SEE - Empresas supervisadas (créditos, 0112) from a RUC affiliated to it; the
    registry names that affiliation as the padrón ``SEE-EMPRESAS-SUPERVISADAS``."""
    operations = _operations(root) & _SUPERVISED_OPERATIONS
    padrones = _padrones(root, source) if operations else None
    if padrones is not None and _on_padron(padrones, SUPERVISED_PADRON, _first(root, "cbc:IssueDate")):
        yield "cbc:InvoiceTypeCode/listID", sorted(operations)[0]


def _customer(root: etree._Element, source: Any) -> Any:
    """The registry's contribuyente of a customer identified by RUC, if any."""
    if source is None or source.store is None or _first(root, f"{_CUSTOMER_ID}/@schemeID") != "6":
        return None
    return memo("registered customer", root, lambda element: source.store.taxpayer(_first(element, _CUSTOMER_ID)))


@python_rule("1083", "AccountingCustomerParty")
def customer_ruc_unknown(root: etree._Element, source: Any) -> Violations:
    """The customer's RUC is no contribuyente, when the registry says it holds them all
    (``taxpayers_complete: true``)."""
    if source is None or source.store is None or _first(root, f"{_CUSTOMER_ID}/@schemeID") != "6":
        return
    if source.store.taxpayers_complete() and _customer(root, source) is None:
        yield "cac:PartyIdentification/cbc:ID", _first(root, _CUSTOMER_ID)


@python_rule("4013", "AccountingCustomerParty")
def customer_not_active(root: etree._Element, source: Any) -> Violations:
    """The customer's RUC is not ACTIVO (ind_estado 00) in the registry: an observation."""
    customer = _customer(root, source)
    if customer is not None and customer["status"].strip().upper() not in ("ACTIVO", "00"):
        yield "cac:PartyIdentification/cbc:ID", customer["ruc"]


@python_rule("4014", "AccountingCustomerParty")
def customer_not_habido(root: etree._Element, source: Any) -> Violations:
    """The customer's RUC is NO HABIDO (ind_condicion 12) in the registry: an observation."""
    customer = _customer(root, source)
    if customer is not None and customer["condition"].strip().upper().replace("_", " ") in ("NO HABIDO", "12"):
        yield "cac:PartyIdentification/cbc:ID", customer["ruc"]


def _establishment_is_an_error(root: etree._Element) -> bool:
    """Where an unknown establishment is an error (3239) rather than an observation (4199): a factura
    of an electronic serie, a note of serie F on a factura; never a boleta."""
    serie = _first(root, "cbc:ID")
    if _is_note(root):
        return serie.startswith("F") and _modifies_a_factura(root)
    return _first(root, "cbc:InvoiceTypeCode") == "01" and not digits(serie[:1])


def _unknown_establishment(code: str, as_error: bool) -> None:
    @python_rule(code, "AddressTypeCode")
    def establishment_not_registered(root: etree._Element, source: Any) -> Violations:
        if source is None or source.store is None or _establishment_is_an_error(root) != as_error:
            return
        value = _first(root, _ESTABLISHMENT)
        known = source.store.establishments(_emitter(root))
        if value and value != "0000" and known is not None and value not in known:
            yield "cac:RegistrationAddress/cbc:AddressTypeCode", value

    establishment_not_registered.__doc__ = (f"An establishment code other than 0000 that the registry does not list "
                                            f"for the emitter ({code}).")


_unknown_establishment("3239", True)
_unknown_establishment("4199", False)


_TYPE_OF_ROOT = {"CreditNote": "07", "DebitNote": "08"}


def _receipt_rule(code: str, list_name: str) -> None:
    @python_rule(code, "cbc:ID", sheets=("factura", "boleta", "nota_credito", "nota_debito"))
    def contingency_receipt_not_authorized(root: etree._Element, source: Any) -> Violations:
        if source is None or source.store is None:
            return
        serie, _, number = _first(root, "cbc:ID").partition("-")
        if not digits(serie[:1]) or correlativo(number) is None:
            return
        type_code = _TYPE_OF_ROOT.get(etree.QName(root).localname) or _first(root, "cbc:InvoiceTypeCode")
        if source.store.receipt_authorized(_emitter(root), list_name, type_code, serie, correlativo(number)) is False:
            yield "cbc:ID", f"{serie}-{number}"

    contingency_receipt_not_authorized.__doc__ = (f"A contingency number (numeric serie) outside the registry's "
                                                  f"{list_name} of the emitter ({code}).")


_receipt_rule("4204", "contingency_receipts")
_receipt_rule("3207", "physical_receipts")
