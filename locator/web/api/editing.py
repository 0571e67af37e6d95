"""The editing API for scripts and the map: JSON, ETags and ``If-Match`` (RFC 9110).

``GET /edit/api/stations/<id>`` answers the station with its ``ETag``;
``PUT`` (replace: the form's fields as a JSON object) and ``DELETE`` (retire) need
``If-Match`` with that ETag: missing → ``428``, stale → ``412`` with the current
station and ETag in the body, so the client loses nothing. ``POST
/edit/api/stations`` adds one. Anonymous callers get ``401``, viewers ``403``;
writes need the CSRF token in ``X-CSRFToken`` (the session cookie is the credential).
Errors are ``{"error": {"code", "message", ...}}`` like the public API.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from locator.errors import EditConflict, LocatorError, NotFound, QueryError, RegistryError
from locator.files.readers import parse_json
from locator.model import Station
from locator.registry import editing
from locator.registry.accounts import Role
from locator.registry.editing import Action
from locator.web import auth
from locator.web.editstore import find_station, save_and_serve, service_area, stored_station
from locator.web.pages.stationform import parse_station

__all__ = ["bp"]

bp = Blueprint("edit_api", __name__, url_prefix="/edit/api")
_MAX_BODY_DEPTH = 4  # an object of fields, amenities a list: 2; more is not a station


def _answer(station: Station, status: int = 200) -> Response:
    response = jsonify({"station": editing.station_dict(station)})
    response.status_code = status
    response.set_etag(editing.station_etag(station))
    response.headers["Cache-Control"] = "no-store"
    return response


def _body() -> MultiDict[str, str]:
    """The JSON body as form fields, parsed with the file readers' depth check (a body nested
    thousands deep made ``request.get_json`` raise RecursionError: a 500); a body over
    ``MAX_CONTENT_LENGTH`` is a 413 before it is read."""
    if not request.is_json:
        raise QueryError("body", _("The body must be a JSON object of station fields."))
    try:
        data = parse_json(request.get_data(cache=False), max_depth=_MAX_BODY_DEPTH)
    except RegistryError as exc:
        raise QueryError("body", _("The body is not usable JSON: %(reason)s",
                                   reason=exc.message)) from None
    if not isinstance(data, dict):
        raise QueryError("body", _("The body must be a JSON object of station fields."))
    form: MultiDict[str, str] = MultiDict()
    for key, value in data.items():
        if key == "amenities":  # a list, or text as stored ("water;toilet")
            items = value if isinstance(value, list) else str(value or "").replace(
                ",", ";").split(";")
            for item in items:
                if str(item).strip():
                    form.add("amenities", str(item).strip())
        elif value is not None:
            form.add(str(key), str(value))
    return form


def _if_match() -> str:
    tags = request.if_match
    if not tags or tags.star_tag or not tags.as_set():
        raise _Precondition(428, "precondition_required",
                            _("Send If-Match with the station's ETag (GET it first)."))
    return next(iter(tags.as_set()))


class _Precondition(LocatorError):
    def __init__(self, status: int, code: str, message: str, **details: Any) -> None:
        super().__init__(message, **details)
        self.status = status
        self.code = code


def _stale(station_id: str, exc: LocatorError) -> ResponseReturnValue:
    """412 with the station as it is now (or gone) so the client can merge and retry."""
    now = stored_station(station_id)
    body = {"error": {"code": "precondition_failed", "message": exc.message},
            "current": editing.station_dict(now)}
    response = jsonify(body)
    response.status_code = 412
    if now is not None:
        response.set_etag(editing.station_etag(now))
    return response


@bp.get("/stations/<path:station_id>")
@auth.role_required(Role.VIEWER)
def get_station(station_id: str) -> ResponseReturnValue:
    """The station with its ETag."""
    return _answer(find_station(station_id))


@bp.put("/stations/<path:station_id>")
@auth.role_required(Role.EDITOR)
def put_station(station_id: str) -> ResponseReturnValue:
    """Replace a station's fields (If-Match required)."""
    etag = _if_match()
    current = find_station(station_id)
    parsed = parse_station(_body(), station_id=station_id, base=current, boundary=service_area())
    if parsed.station is None:
        return jsonify({"error": {"code": "bad_station", "message": "; ".join(
            parsed.errors.values()), "fields": parsed.errors}}), 400
    moved = (parsed.station.lon, parsed.station.lat) != (current.lon, current.lat)
    if not moved:  # the same point: keep the datum it was first given in
        parsed.station = replace(parsed.station, datum=current.datum)
    try:
        saved = save_and_serve(Action.MOVE if moved else Action.EDIT, station_id,
                               parsed.station, etag)
    except (EditConflict, NotFound) as exc:
        return _stale(station_id, exc)
    return _answer(saved.station or parsed.station)


@bp.post("/stations")
@auth.role_required(Role.EDITOR)
def post_station() -> ResponseReturnValue:
    """Add a station (``id`` in the body); 409 when the id exists."""
    parsed = parse_station(_body(), station_id=None, base=None, boundary=service_area())
    if parsed.station is None:
        return jsonify({"error": {"code": "bad_station", "message": "; ".join(
            parsed.errors.values()), "fields": parsed.errors}}), 400
    saved = save_and_serve(Action.ADD, parsed.station.id, parsed.station, None)
    return _answer(saved.station or parsed.station, 201)


@bp.delete("/stations/<path:station_id>")
@auth.role_required(Role.EDITOR)
def delete_station(station_id: str) -> ResponseReturnValue:
    """Retire a station (If-Match required)."""
    etag = _if_match()
    try:
        save_and_serve(Action.RETIRE, station_id, None, etag)
    except (EditConflict, NotFound) as exc:
        return _stale(station_id, exc)
    return Response(status=204)
