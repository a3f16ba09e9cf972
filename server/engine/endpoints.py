"""The service paths the mock answers on, and which file types each one takes.

SUNAT splits its billService by document family (facturas/boletas/notas + RC/RA at ``itcpfegem``,
retenciones/percepciones + RR at ``otroscpe``); an OSE exposes one ``/ol-ti-itcpe/billService`` for
everything (PROTOCOL.md §1).  A file type sent to a path that does not take it is 0151; but SUNAT moved
guías (09, 31) off its billService to the GRE system, and answers one sent there 1085 (§1.1).

Each path answers the operations its WSDL declares and no other (§1.2, §1.3): SUNAT's billService has
getStatusAR but no getStatusCdr (SUNAT keeps that in billConsultService), an OSE's billService adds
getStatusCdr and has no getStatusAR.  An operation the path does not declare is unknown there, as it
would be to the real service's SOAP stack.
"""
from __future__ import annotations

from dataclasses import dataclass

_FACTURA_FAMILY = frozenset({"01", "03", "07", "08"})
#: SUNAT's own billService takes liquidaciones de compra (04) too; an OSE does not (the workbook's
#: LiquidacionCompra sheet: "COMPROBANTE NO APLICA PARA SEE-OSE"; PROTOCOL.md §5.1 lists no 04), so a
#: -04- file is 0151 there, as any type a path does not take.
_SUNAT_FACTURA_FAMILY = _FACTURA_FAMILY | {"04"}
_OTROS_FAMILY = frozenset({"20", "40"})
#: Guías de remisión (09 remitente, 31 transportista): SUNAT's billService once took them at a path of
#: their own (§1.1); they now go to the GRE system.
_GUIAS = frozenset({"09", "31"})

_SENDING = frozenset({"sendBill", "sendSummary", "sendPack", "getStatus"})
#: The operations of each WSDL set (the files under ``server/soap/wsdl/`` declare exactly these).
OSE_OPERATIONS = _SENDING | {"getStatusCdr"}
SUNAT_OPERATIONS = _SENDING | {"getStatusAR"}
CONSULT_OPERATIONS = frozenset({"getStatus", "getStatusCdr"})


@dataclass(frozen=True)
class Endpoint:
    """One served path."""

    path: str
    service: str
    """``bill`` (billService) or ``consult`` (billConsultService)."""
    wsdl_set: str
    """Folder under ``server/soap/wsdl/`` whose files ``?wsdl`` serves."""
    document_types: frozenset[str] = frozenset()
    summary_types: frozenset[str] = frozenset()
    lots: bool = False
    operations: frozenset[str] = SUNAT_OPERATIONS
    """The operations the path's WSDL declares; any other is answered as an unknown operation."""
    moved_types: frozenset[str] = frozenset()
    """Document types SUNAT moved off this service: at a SUNAT profile (``channel: sunat``) a sendBill
    of one is 1085 rather than the 0151 of a type the path never took."""

    def opens_tickets(self, operation: str) -> bool:
        """Whether a ticket of ``operation`` (sendSummary, sendPack) can have been opened at this path: its
        WSDL declares the operation and the path takes some file of it (lots; a summary type).  A sendPack
        at SUNAT's otroscpe path is 0151 before any ticket, so no ticket names that path."""
        if self.service != "bill" or operation not in self.operations:
            return False
        if operation == "sendPack":
            return self.lots
        return operation == "sendSummary" and bool(self.summary_types)


ENDPOINTS: dict[str, Endpoint] = {
    e.path: e
    for e in (
        Endpoint("/ol-ti-itcpe/billService", "bill", "ose",
                 _FACTURA_FAMILY | _OTROS_FAMILY, frozenset({"RC", "RA", "RR"}), lots=True,
                 operations=OSE_OPERATIONS),
        Endpoint("/ol-ti-itcpfegem-beta/billService", "bill", "sunat-beta",
                 _SUNAT_FACTURA_FAMILY, frozenset({"RC", "RA"}), lots=True, moved_types=_GUIAS),
        Endpoint("/ol-ti-itcpfegem/billService", "bill", "sunat-prod",
                 _SUNAT_FACTURA_FAMILY, frozenset({"RC", "RA"}), lots=True, moved_types=_GUIAS),
        Endpoint("/ol-ti-itemision-otroscpe-gem-beta/billService", "bill", "sunat-otroscpe-beta",
                 _OTROS_FAMILY, frozenset({"RR"}), moved_types=_GUIAS),
        Endpoint("/ol-ti-itemision-otroscpe-gem/billService", "bill", "sunat-otroscpe-prod",
                 _OTROS_FAMILY, frozenset({"RR"}), moved_types=_GUIAS),
        Endpoint("/ol-it-wsconscpegem/billConsultService", "consult", "consult", operations=CONSULT_OPERATIONS),
    )
}

DEFAULT_PATH = "/ol-ti-itcpe/billService"


def ticket_paths(operation: str) -> list[str]:
    """The paths a ticket of ``operation`` can have come in on, in :data:`ENDPOINTS`' order."""
    return [path for path, endpoint in ENDPOINTS.items() if endpoint.opens_tickets(operation)]
