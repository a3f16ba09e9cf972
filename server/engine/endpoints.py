"""The service paths the mock answers on, and which file types each one takes.

SUNAT splits its billService by document family (facturas/boletas/notas + RC/RA at ``itcpfegem``,
retenciones/percepciones + RR at ``otroscpe``); an OSE exposes one ``/ol-ti-itcpe/billService`` for
everything (PROTOCOL.md §1).  A file type sent to a path that does not take it is 0151.
"""
from __future__ import annotations

from dataclasses import dataclass

_FACTURA_FAMILY = frozenset({"01", "03", "04", "07", "08"})
_OTROS_FAMILY = frozenset({"20", "40"})


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
    get_status_cdr: bool = False
    """Whether billService here also declares getStatusCdr (OSEs do, SUNAT does not)."""


ENDPOINTS: dict[str, Endpoint] = {
    e.path: e
    for e in (
        Endpoint("/ol-ti-itcpe/billService", "bill", "ose",
                 _FACTURA_FAMILY | _OTROS_FAMILY, frozenset({"RC", "RA", "RR"}), lots=True, get_status_cdr=True),
        Endpoint("/ol-ti-itcpfegem-beta/billService", "bill", "sunat-beta",
                 _FACTURA_FAMILY, frozenset({"RC", "RA"}), lots=True),
        Endpoint("/ol-ti-itcpfegem/billService", "bill", "sunat-prod",
                 _FACTURA_FAMILY, frozenset({"RC", "RA"}), lots=True),
        Endpoint("/ol-ti-itemision-otroscpe-gem-beta/billService", "bill", "sunat-otroscpe-beta",
                 _OTROS_FAMILY, frozenset({"RR"})),
        Endpoint("/ol-ti-itemision-otroscpe-gem/billService", "bill", "sunat-otroscpe-prod",
                 _OTROS_FAMILY, frozenset({"RR"})),
        Endpoint("/ol-it-wsconscpegem/billConsultService", "consult", "consult"),
    )
}

DEFAULT_PATH = "/ol-ti-itcpe/billService"
