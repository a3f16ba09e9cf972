"""Portal pages: documents, one document (XML, findings, CDR, timeline), downloads, the printed PDF,
the buyer's consult, the emitter registry and the live request journal.  Server-rendered HTML, no
JavaScript; the journal refreshes itself with a ``<meta http-equiv="refresh">`` while "live" is on."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request
from lxml import etree

from osemock.cpe.archive import first_xml
from osemock.cpe.errors import ArchiveError, CpeError
from osemock.cpe.xmlparse import parse_xml
from osemock.server.portal import queries
from osemock.server.portal.printed import read_printed, render_pdf

bp = Blueprint("portal", __name__, template_folder="templates")


def store() -> Any:
    return current_app.extensions["osemock"].engine.store


@bp.app_context_processor
def _globals() -> dict[str, Any]:
    mock = current_app.extensions["osemock"]
    return {"profile": mock.engine.profile.name, "clock": mock.engine.clock.now(),
            "status_labels": queries.STATUS_LABELS, "type_labels": queries.TYPE_LABELS}


@bp.get("/")
def documents() -> str:
    args = request.args
    search = queries.DocumentFilter(
        ruc=args.get("ruc", "").strip(), type_code=args.get("type", "").strip(), serie=args.get("serie", "").strip(),
        numero=args.get("numero", "").strip(), date_from=args.get("from", "").strip(), date_to=args.get("to", "").strip(),
        outcome=args.get("outcome", "").strip(), page=args.get("page", default=1, type=int) or 1)
    page = queries.search_documents(store(), search)
    return render_template("portal/documents.html", page=page, search=search, args=args)


@bp.get("/documents/<int:document_id>")
def document(document_id: int) -> str:
    item = queries.document(store(), document_id)
    if item is None:
        abort(404, f"No hay un documento {document_id}.")
    cdr_xml = None
    if item["cdr_zip"]:
        cdr_xml = _pretty(_first_xml(item["cdr_zip"]))
    return render_template("portal/document.html", doc=item, xml=_pretty(item["xml"]), cdr_xml=cdr_xml)


@bp.get("/documents/<int:document_id>/<kind>")
def download(document_id: int, kind: str) -> Response:
    """``zip`` as sent, ``xml`` inside it, ``cdr`` (the CDR ZIP), ``pdf`` (the printed representation)."""
    item = queries.document(store(), document_id)
    if item is None:
        abort(404, f"No hay un documento {document_id}.")
    base = item["base"]
    stored = _stored_file(item, base, kind)
    if stored is not None:
        return stored
    if kind == "pdf" and item["not_printable"]:
        abort(404, f"El documento {base} no tiene representación impresa. {item['not_printable']}")
    if kind == "pdf":
        try:
            printed = read_printed(item["xml"])
        except CpeError:  # parse_xml's 0306: the stored file was damaged after sendBill parsed it
            abort(422, "El XML guardado no se puede leer.")
        status = queries.STATUS_LABELS.get(item["status"], item["status"]).upper()
        return _file(render_pdf(printed, status), f"{base}.pdf", "application/pdf", inline=True)
    abort(404, f"El documento {base} no tiene {kind}.")


@bp.route("/consult", methods=["GET", "POST"])
def consult() -> str:
    form = request.form if request.method == "POST" else request.args
    answer = None
    if form.get("ruc"):
        answer = queries.consult(store(), form.get("ruc", "").strip(), form.get("type", "01"), form.get("serie", ""),
                                 form.get("numero", ""), form.get("issue_date", "").strip(), form.get("total", "").strip())
    return render_template("portal/consult.html", form=form, answer=answer)


@bp.get("/emitters")
def emitters() -> str:
    return render_template("portal/emitters.html", emitters=queries.registry(store()))


@bp.get("/tickets")
def tickets() -> str:
    return render_template("portal/tickets.html", tickets=queries.tickets(store(), request.args.get("ruc", "").strip()),
                           states=queries.TICKET_STATES)


@bp.get("/tickets/<ticket>/<kind>")
def ticket_download(ticket: str, kind: str) -> Response:
    """``cdr``: the ticket's answer ZIP; ``zip``: the file sent; ``xml``: the summary's XML."""
    rows = store().query("SELECT file_name, zip, xml, cdr_zip FROM tickets WHERE ticket=?", (ticket,))
    if not rows:
        abort(404, f"No hay un ticket {ticket}.")
    stored = _stored_file(rows[0], rows[0]["file_name"], kind)
    if stored is None:
        abort(404, f"El ticket {ticket} no tiene {kind}.")
    return stored


def _stored_file(row: Any, base: str, kind: str) -> Response | None:
    """``zip`` (the file sent), ``xml`` (inside it) or ``cdr`` (the answer ZIP) of a stored document or
    ticket, named as SUNAT names them; ``None`` when the row has no such file."""
    column, name, media_type = {"zip": ("zip", f"{base}.zip", "application/zip"),
                                "xml": ("xml", f"{base}.xml", "application/xml"),
                                "cdr": ("cdr_zip", f"R-{base}.zip", "application/zip")}.get(kind, (None, "", ""))
    if column is None or not row[column]:
        return None
    return _file(row[column], name, media_type)


@bp.get("/scenarios")
def scenarios() -> str:
    return render_template("portal/scenarios.html", scenarios=current_app.extensions["osemock"].scenarios.all())


@bp.get("/journal")
def journal() -> str:
    operation = request.args.get("operation", "")
    live = request.args.get("live", "1") != "0"
    entries = queries.journal(store(), limit=request.args.get("limit", default=100, type=int), operation=operation)
    return render_template("portal/journal.html", entries=entries, live=live, operation=operation)


@bp.get("/journal/<int:entry_id>")
def journal_entry(entry_id: int) -> str:
    rows = store().query("SELECT * FROM requests WHERE id=?", (entry_id,))
    if not rows:
        abort(404, f"No hay una solicitud {entry_id}.")
    entry = dict(rows[0])
    return render_template("portal/journal_entry.html", entry=entry,
                           request_body=_pretty(entry["request_body"]), response_body=_pretty(entry["response_body"]))


def _file(data: bytes, name: str, mimetype: str, inline: bool = False) -> Response:
    disposition = "inline" if inline else "attachment"
    return Response(bytes(data), mimetype=mimetype, headers={"Content-Disposition": f'{disposition}; filename="{name}"'})


def _first_xml(zip_bytes: bytes) -> bytes | None:
    try:
        return first_xml(bytes(zip_bytes))[1]
    except ArchiveError:
        return None


def _pretty(data: bytes | None) -> str | None:
    """Indented XML for reading (the bytes as text when they are not XML)."""
    if data is None:
        return None
    data = bytes(data)
    try:
        root = parse_xml(data)
    except Exception:
        return data.decode("utf-8", "replace")
    etree.indent(root, space="  ")
    return etree.tostring(root, encoding="unicode")
