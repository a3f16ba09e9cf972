"""The spyne services: they only unpack SOAP into an engine :class:`Request` and hand back the answer.

spyne parses the envelope (soft parser: SUNAT's message children are unqualified, see
SPYNE-NOTES.md) and dispatches on the body element, never on SOAPAction.  Its output protocol is
replaced by :class:`SunatSoap11`, which asks :mod:`render` for the bytes, so every answer — success,
SUNAT fault or spyne's own error — leaves in the profile's dialect and prefixes.
"""
from __future__ import annotations

import logging
from typing import Any

from spyne import Application, ServiceBase, Unicode, rpc
from spyne.model.fault import Fault
from spyne.protocol.soap import Soap11

from osemock.cpe.errors import SunatError
from osemock.server.engine import Engine, Request
from osemock.server.engine.endpoints import Endpoint
from osemock.server.soap import render

log = logging.getLogger(__name__)

TNS = "http://service.sunat.gob.pe"


def _engine_call(ctx: Any, operation: str, **values: Any) -> Any:
    """Run one engine operation; a SunatError becomes the answer the renderer makes a fault of."""
    engine: Engine = ctx.app.osemock_engine
    endpoint: Endpoint = ctx.app.osemock_endpoint
    if operation == "getStatusCdr" and engine.profile.bizlinks_status_cdr and not any(values.values()):
        values = _bizlinks_status_cdr(ctx.in_document) or values
    request = Request(
        endpoint=endpoint,
        header=ctx.in_document.find("{http://schemas.xmlsoap.org/soap/envelope/}Header"),
        file_name=values.pop("fileName", None),
        content=values.pop("contentFile", None),
        ticket=values.pop("ticket", None),
        fields={k: (None if v is None else str(v)) for k, v in values.items()},
    )
    ctx.udc = {"operation": operation, "file_name": request.file_name, "request": request}
    method = {
        "sendBill": engine.send_bill,
        "sendSummary": engine.send_summary,
        "sendPack": engine.send_pack,
        "getStatus": engine.get_status if endpoint.service == "bill" else engine.consult_status,
        "getStatusCdr": engine.get_status_cdr,
        "getStatusAR": engine.get_status_ar,
    }[operation]
    try:
        return method(request)
    except SunatError as error:
        return error


def _bizlinks_status_cdr(envelope: Any) -> dict[str, Any] | None:
    """Bizlinks' getStatusCdr wraps its four fields in ``<statusCdr>`` (PROTOCOL.md §3): read them from
    the envelope spyne parsed (its own model only knows SUNAT's flat shape)."""
    body = envelope.find("{http://schemas.xmlsoap.org/soap/envelope/}Body") if envelope is not None else None
    call = body[0] if body is not None and len(body) else None
    wrapper = call.find("statusCdr") if call is not None else None
    if wrapper is None:
        return None
    values: dict[str, Any] = {name: (wrapper.findtext(name) or "").strip() or None
                              for name in ("rucComprobante", "tipoComprobante", "serieComprobante", "numeroComprobante")}
    values["dialect"] = "bizlinks"
    return values


class Exchange(ServiceBase):
    """billService's own operations, at SUNAT and at an OSE alike: send, and follow a ticket."""

    @rpc(Unicode, Unicode, Unicode, _returns=Unicode)
    def sendBill(ctx, fileName, contentFile, partyType):  # noqa: N802,N803 - wire names
        return _engine_call(ctx, "sendBill", fileName=fileName, contentFile=contentFile)

    @rpc(Unicode, Unicode, Unicode, _returns=Unicode)
    def sendSummary(ctx, fileName, contentFile, partyType):  # noqa: N802,N803
        return _engine_call(ctx, "sendSummary", fileName=fileName, contentFile=contentFile)

    @rpc(Unicode, Unicode, Unicode, _returns=Unicode)
    def sendPack(ctx, fileName, contentFile, partyType):  # noqa: N802,N803
        return _engine_call(ctx, "sendPack", fileName=fileName, contentFile=contentFile)

    @rpc(Unicode, _returns=Unicode)
    def getStatus(ctx, ticket):  # noqa: N802
        return _engine_call(ctx, "getStatus", ticket=ticket)


class StatusCdr(ServiceBase):
    """getStatusCdr: an OSE's billService and SUNAT's billConsultService declare it."""

    @rpc(Unicode, Unicode, Unicode, Unicode, _returns=Unicode)
    def getStatusCdr(ctx, rucComprobante, tipoComprobante, serieComprobante, numeroComprobante):  # noqa: N802,N803
        return _engine_call(ctx, "getStatusCdr", rucComprobante=rucComprobante, tipoComprobante=tipoComprobante,
                            serieComprobante=serieComprobante, numeroComprobante=numeroComprobante)


class StatusAR(ServiceBase):
    """getStatusAR: SUNAT's 2026 billService WSDLs declare it (an OSE's does not)."""

    @rpc(Unicode, Unicode, Unicode, Unicode, _returns=Unicode)
    def getStatusAR(ctx, rucComprobante, tipoComprobante, serieComprobante, numeroComprobante):  # noqa: N802,N803
        return _engine_call(ctx, "getStatusAR", rucComprobante=rucComprobante, tipoComprobante=tipoComprobante,
                            serieComprobante=serieComprobante, numeroComprobante=numeroComprobante)


class ConsultStatus(ServiceBase):
    """billConsultService's getStatus: the state of a document by RUC, type, serie and number."""

    @rpc(Unicode, Unicode, Unicode, Unicode, _returns=Unicode)
    def getStatus(ctx, rucComprobante, tipoComprobante, serieComprobante, numeroComprobante):  # noqa: N802,N803
        return _engine_call(ctx, "getStatus", rucComprobante=rucComprobante, tipoComprobante=tipoComprobante,
                            serieComprobante=serieComprobante, numeroComprobante=numeroComprobante)


class SunatSoap11(Soap11):
    """spyne's SOAP 1.1 with the rendering handed to :mod:`render` (dialect from the engine's profile)."""

    def serialize(self, ctx: Any, message: Any) -> None:
        engine: Engine = ctx.app.osemock_engine
        profile = engine.profile
        if ctx.udc is None:
            ctx.udc = {}
        udc = ctx.udc
        operation = udc.get("operation")
        answer = ctx.out_object[0] if ctx.out_error is None and ctx.out_object else None
        if ctx.out_error is not None:
            fault = ctx.out_error
            if isinstance(fault, Fault) and str(fault.faultcode).startswith("Client.ResourceNotFound"):
                udc["bytes"] = render.render_plain_fault("Client", f"Operacion no reconocida: {fault.faultstring}")
            elif isinstance(fault, Fault) and str(fault.faultcode).startswith("Client"):
                udc["bytes"] = render.render_fault(SunatError("0305", str(fault.faultstring)), profile.fault_dialect)
            else:
                log.error("unexpected error in %s: %r", operation, fault, exc_info=fault if isinstance(fault, BaseException) else None)
                udc["bytes"] = render.render_fault(SunatError("0100", None), profile.fault_dialect)
            ctx.transport.resp_code = render.status_line(profile.fault_http_status)
        elif isinstance(answer, SunatError):
            udc["bytes"] = render.render_fault(answer, profile.fault_dialect, engine.fault_ticket(operation, udc["request"]))
            ctx.transport.resp_code = render.status_line(profile.fault_http_status)
        else:
            udc["bytes"] = render.render_answer(operation, answer)
        udc["outcome"] = _outcome(answer, ctx.out_error)

    def create_out_string(self, ctx: Any, charset: Any = None) -> None:
        ctx.out_string = [ctx.udc["bytes"]]

    def fault_to_http_response_code(self, fault: Any) -> str:
        return "500 Internal Server Error"


def _outcome(answer: Any, error: Any) -> str:
    if error is not None:
        return "fault:spyne"
    if isinstance(answer, SunatError):
        return f"fault:{answer.code}"
    if hasattr(answer, "response_code"):
        return f"cdr:{answer.response_code}"
    if hasattr(answer, "ticket"):
        return f"ticket:{answer.ticket}"
    return f"status:{getattr(answer, 'status_code', '')}"


class _OnePathOneApplication(logging.Filter):
    """spyne keeps a registry of applications by namespace and name, which osemock never reads.  Every
    billService path has an application named ``billService`` holding only the operations its WSDL
    declares, so spyne warned at start that each one overwrote the last ("Overwriting application")."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Overwriting application")


logging.getLogger("spyne.util.appreg").addFilter(_OnePathOneApplication())


def build_application(engine: Engine, endpoint: Endpoint) -> Application:
    """The spyne application of one served path, carrying its engine and endpoint.

    It knows only the operations the path's WSDL declares (``endpoint.operations``): anything else is
    spyne's unknown resource, answered as the unknown operation it is (SUNAT's billService has no
    getStatusCdr, an OSE's no getStatusAR; PROTOCOL.md §1.3).  Its parser takes text nodes past
    libxml2's 10 MB (``huge_tree``), as the screen's does: a lot's base64 is one, and the screen has
    bounded the body and refused DTDs before spyne sees it."""
    lookups = [service for operation, service in (("getStatusCdr", StatusCdr), ("getStatusAR", StatusAR))
               if operation in endpoint.operations]
    services = [Exchange if endpoint.service == "bill" else ConsultStatus, *lookups]
    app = Application(services, tns=TNS, name="billService" if endpoint.service == "bill" else "billConsultService",
                      in_protocol=Soap11(huge_tree=True), out_protocol=SunatSoap11())
    app.osemock_engine = engine
    app.osemock_endpoint = endpoint
    return app
