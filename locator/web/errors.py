"""One error handler: LocatorError and HTTP errors become JSON under /api, a page elsewhere."""

from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from locator.errors import LocatorError

__all__ = ["init_app"]


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _render(status: int, body: dict[str, object]) -> tuple[Response | str, int]:
    if _wants_json():
        return jsonify(body), status
    return render_template("error.html", status=status, error=body["error"]), status


def init_app(app: Flask) -> None:
    """Register the handlers."""

    @app.errorhandler(LocatorError)
    def _locator_error(exc: LocatorError) -> tuple[Response | str, int]:
        return _render(exc.status, exc.to_dict())

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> tuple[Response | str, int]:
        status = exc.code or 500
        code = (exc.name or "error").lower().replace(" ", "_")
        return _render(status, {"error": {"code": code, "message": exc.description or ""}})
