"""One error handler: LocatorError and HTTP errors become JSON for API clients (see
:func:`wants_json`), a page elsewhere."""

from __future__ import annotations

import logging
import secrets

from flask import Flask, Response, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, InternalServerError

from locator.errors import Busy, LocatorError, RateLimited
from locator.model import N_
from locator.web.http.scope import is_json_api

__all__ = ["init_app", "render_error", "render_http_error", "wants_json"]

log = logging.getLogger(__name__)


#: What each status means, for the error page's heading (the code stays in JSON bodies).
TITLES = {400: N_("Bad request"), 401: N_("Sign-in needed"), 403: N_("Not allowed"),
          404: N_("Not found"), 405: N_("Method not allowed"), 409: N_("Conflict"),
          412: N_("Changed meanwhile"), 413: N_("Too large"), 428: N_("Version needed"),
          429: N_("Too many requests"), 500: N_("Server error"),
          503: N_("Temporarily read-only"), 507: N_("Could not save")}


def wants_json() -> bool:
    """Whether this request gets JSON rather than a page: under the APIs, or a request that
    sent JSON or prefers it."""
    if is_json_api(request.path) or request.is_json:
        return True
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) \
        == "application/json"


def _render(status: int, body: dict[str, object]) -> tuple[Response | str, int]:
    if wants_json():
        return jsonify(body), status
    title = _(TITLES[status]) if status in TITLES else str(status)
    return render_template("error.html", status=status, title=title, error=body["error"]), status


def render_error(exc: LocatorError) -> Response:
    """The response for ``exc``: JSON under ``/api``, the error page elsewhere.

    A :class:`~locator.errors.RateLimited` or :class:`~locator.errors.Busy` answer carries
    ``Retry-After`` (seconds).
    """
    body, status = _render(exc.status, exc.to_dict())
    response = make_response(body, status)
    if isinstance(exc, RateLimited | Busy):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def init_app(app: Flask) -> None:
    """Register the handlers."""

    @app.errorhandler(LocatorError)
    def _locator_error(exc: LocatorError) -> Response:
        return render_error(exc)

    app.register_error_handler(HTTPException, render_http_error)
    app.register_error_handler(InternalServerError, _internal_error)


def render_http_error(exc: HTTPException, code: str | None = None) -> Response:
    """The response for an HTTP error: JSON under ``/api``, the error page elsewhere.

    ``code`` replaces the error code made from the status name (``bad_request``, ...).
    """
    status = exc.code or 500
    code = code or (exc.name or "error").lower().replace(" ", "_")
    body, _status = _render(status, {"error": {"code": code, "message": exc.description or ""}})
    response = make_response(body, status)
    for name, value in exc.get_headers():  # e.g. Allow on a 405 (RFC 9110)
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _internal_error(exc: InternalServerError) -> Response:
    """A bug: log it with an id (Flask has logged the traceback), show only the id.

    No stack trace, exception text or path ever reaches the visitor, in HTML or JSON.
    """
    incident = secrets.token_hex(4)
    original = getattr(exc, "original_exception", None)
    log.error("internal error %s on %s %s: %r", incident, request.method, request.path,
              original)
    message = _("Something went wrong on our side (error %(id)s); please try again later.",
                id=incident)
    body, status = _render(500, {"error": {"code": "internal_error", "message": message,
                                           "incident": incident}})
    return make_response(body, status)
