"""The portal (HTML at ``/``) and the admin API (JSON at ``/_osemock``), one Flask application.

:func:`create_portal` is the factory :mod:`osemock.server.wsgi` mounts behind the SOAP paths; both
blueprints reach the mock through ``current_app.extensions["osemock"]``.
"""
from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from osemock.server.admin.api import PREFIX
from osemock.server.admin.api import bp as admin_bp
from osemock.server.portal.views import bp as portal_bp
from osemock.server.store import MAX_INTEGER


class RowId(IntegerConverter):
    """``<int:…>`` in this app's routes: a row id SQLite can hold. A larger number matches no route
    (404), where it reached the store and came back as a 500 (OverflowError).  A negative one is a row
    that does not exist (404 from the view), not a path that does not exist (which was a 405 for DELETE:
    only GET reaches the catch-all)."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("signed", True)
        kwargs.setdefault("min", -MAX_INTEGER)
        kwargs.setdefault("max", MAX_INTEGER)
        super().__init__(url_map, *args, **kwargs)


def create_portal(mock: Any) -> Flask:
    """A Flask app serving ``mock`` (an :class:`OsemockApp`): portal pages and the admin API."""
    app = Flask(__name__, static_folder="static", static_url_path="/static")
    app.url_map.converters["int"] = RowId  # before the blueprints add their routes
    app.config.update(JSON_SORT_KEYS=False, MAX_CONTENT_LENGTH=mock.settings.max_admin_bytes)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["osemock"] = mock
    app.register_blueprint(admin_bp)
    app.register_blueprint(portal_bp)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        # a 405 says which methods the path takes (RFC 9110 wants the Allow header)
        allow = [(name, value) for name, value in error.get_headers() if name == "Allow"]
        if request.path.startswith(PREFIX + "/") or request.path == PREFIX:
            message = error.description
            if error.code == 404:  # no route has this path, whatever the method
                message = f"no admin route {request.path}; see {PREFIX}/openapi.json"
            elif error.code == 413:  # a snapshot of a big store: say which setting lets it in
                message = (f"the body is larger than the {mock.settings.max_admin_bytes} bytes the admin API takes; "
                           "OSE_MAX_ADMIN_BYTES where the mock runs raises the limit")
            return jsonify({"error": (error.name or "error").lower().replace(" ", "-"),
                            "message": message}), error.code, allow
        return render_template("portal/error.html", error=error), error.code, allow

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Any:
        app.logger.exception("portal/admin request failed")
        if request.path.startswith(PREFIX + "/"):
            return jsonify({"error": "internal", "message": f"{type(error).__name__}: {error}"}), 500
        return render_template("portal/error.html", error=error), 500

    return app
