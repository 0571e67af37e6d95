"""One error handler: LocatorError and HTTP errors become JSON under /api, a page elsewhere."""

from __future__ import annotations

from flask import Flask, Response, jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException

from locator.errors import LocatorError, RateLimited

__all__ = ["init_app", "render_error"]


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _render(status: int, body: dict[str, object]) -> tuple[Response | str, int]:
    if _wants_json():
        return jsonify(body), status
    return render_template("error.html", status=status, error=body["error"]), status


def render_error(exc: LocatorError) -> Response:
    """The response for ``exc``: JSON under ``/api``, the error page elsewhere.

    A :class:`~locator.errors.RateLimited` answer carries ``Retry-After`` (seconds).
    """
    body, status = _render(exc.status, exc.to_dict())
    response = make_response(body, status)
    if isinstance(exc, RateLimited):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def init_app(app: Flask) -> None:
    """Register the handlers."""

    @app.errorhandler(LocatorError)
    def _locator_error(exc: LocatorError) -> Response:
        return render_error(exc)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        code = (exc.name or "error").lower().replace(" ", "_")
        body, _ = _render(status, {"error": {"code": code, "message": exc.description or ""}})
        response = make_response(body, status)
        for name, value in exc.get_headers():  # e.g. Allow on a 405 (RFC 9110)
            if name.lower() != "content-type":
                response.headers[name] = value
        return response
