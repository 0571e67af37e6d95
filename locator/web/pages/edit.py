"""Editing pages: list, add, edit/move (form + draggable marker), verify and retire a station.

Viewers may look; editors and admins may change. Every change goes through
:func:`locator.registry.editing.save` (one new store version, audited in the same
transaction) and the served registry is swapped right after. A form carries the
station's ETag: a stale save answers ``409`` and shows the editor's input beside the
current values, so nothing typed is lost. A store that cannot be written (disk
full…) answers ``507`` with the input kept; a degraded store ``503``.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date
from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from locator.errors import DuplicateStation, EditConflict, LocatorError, NotFound
from locator.geo.datum import Datum, convert
from locator.maps.layers import TILES, safe_json, tile_json
from locator.model import AMENITY_LABELS, ENTRY_LABELS, KIND_LABELS, Station
from locator.registry import audit, editing
from locator.registry.accounts import ROLE_LABELS, Role
from locator.registry.editing import Action
from locator.registry.reports import REASON_LABELS, Report
from locator.stations import freshness, hours
from locator.web import auth, health, reported, service
from locator.web.config import settings
from locator.web.editstore import (
    find_station,
    open_edit_store,
    refuse_fixed_files,
    save_and_serve,
    service_area,
    stored_station,
)
from locator.web.pages import inbox
from locator.web.pages.stationform import Parsed, form_values, parse_station
from locator.web.params import Args

__all__ = ["bp"]

bp = Blueprint("edit", __name__, url_prefix="/edit")
MAX_LISTED = 500
_COORDS = ("lon", "lat", "coord_datum")
#: Orders of the station list: registry order, or by last verified day (never first), id, name.
SORTS = ("", "verified", "id", "name")


def _labels() -> dict[str, Any]:
    return {"kinds": {k.value: _(v) for k, v in KIND_LABELS.items()},
            "roles": {r.value: _(label) for r, label in ROLE_LABELS.items()},
            "amenities": {a.value: _(v) for a, v in AMENITY_LABELS.items()},
            "entries": {e.value: _(v) for e, v in ENTRY_LABELS.items()},
            "datums": {"wgs84": _("GPS / WGS-84"), "gcj02": _("Amap / Tencent (GCJ-02)"),
                       "bd09": _("Baidu (BD-09)")}}


def _tiles() -> dict[str, Any]:
    name = settings().default_tiles
    spec = TILES.get(name, TILES["osm"])
    return tile_json(TILES["osm"] if spec.needs_key else spec)  # (no key on this page)


def _map_data(values: dict[str, Any], *, readonly: bool = False) -> str:
    """The mini map's start: the form's point (in the tile datum) or the city centre."""
    tiles = _tiles()
    point: list[float] | None = None
    try:
        x, y = convert(float(values["lon"]), float(values["lat"]),
                       src=Datum.parse(str(values.get("coord_datum") or "wgs84")),
                       dst=tiles["datum"])
        point = [float(x), float(y)] if math.isfinite(float(x) + float(y)) else None
    except (ValueError, LocatorError):
        point = None
    lon, lat = settings().default_center
    cx, cy = convert(lon, lat, src=Datum.WGS84, dst=tiles["datum"])
    return safe_json({"tiles": tiles, "point": point, "center": [float(cx), float(cy)],
                      "readonly": readonly})


def _form(values: dict[str, Any], *, station: Station | None, errors: dict[str, str],
          status: int = 200, conflict: dict[str, Any] | None = None,
          message: str | None = None, report: Report | None = None) -> ResponseReturnValue:
    etag = values.get("etag") or (editing.station_etag(station) if station else "")
    verified_by = None
    if station is not None and station.verified is not None:  # the page shows it only then
        store = open_edit_store()
        try:
            verified_by = audit.last_verified_by(audit.iter_entries(store), station.id)
        finally:
            store.close()
    orig = form_values(station, datum=Datum(_tiles()["datum"])) if station else None
    can_edit = auth.current_account().can(Role.EDITOR)
    return render_template("edit/form.html", values=values, station=station, errors=errors,
                           etag=etag, orig=orig, conflict=conflict, message=message,
                           verified_by=verified_by,
                           map_data=_map_data(values, readonly=not can_edit),
                           can_edit=can_edit, report=report,
                           report_reasons={r.value: _(label) for r, label in REASON_LABELS.items()},
                           today=hours.now().date().isoformat(), **_labels()), status


@bp.get("/")
@auth.role_required(Role.VIEWER)
def index() -> ResponseReturnValue:
    """Every station, searchable by id, name or address, sortable and filterable by the day it
    was last verified (the "to verify" queue), :data:`MAX_LISTED` to a page."""
    args = Args(request.args)
    query = request.args.get("q", "").strip()[:100]
    placed_only = request.args.get("placed") == "1"
    fixed = bool(settings().registry)
    sort = request.args.get("sort", "")
    if sort not in SORTS:
        abort(400, description=_("Unknown order %(value)s; use one of %(known)s.",
                                 value=repr(sort[:40]), known=", ".join(s for s in SORTS if s)))
    desc = request.args.get("order") == "desc"
    stale_only = request.args.get("stale") == "1"
    offset = args.integer("offset", low=0, high=10_000_000, default=0)
    days = settings().verified_stale_days
    first_current = freshness.cutoff(hours.now().date(), days)
    stations = list(service.current_registry().stations)
    placed = sum(1 for s in stations if s.geocoded)
    if placed_only:  # placed by their address at a unit's point: locations to fix
        stations = [s for s in stations if s.geocoded]
    if query:
        stations = [s for s in stations if query in s.id or query in s.name
                    or query in s.address]
    if stale_only:
        stations = [s for s in stations if freshness.is_stale(s.verified, first_current)]
    if sort == "verified":  # never verified first (ascending), like the oldest
        stations.sort(key=lambda s: (s.verified is not None, s.verified or date.min),
                      reverse=desc)
    elif sort in ("id", "name"):
        stations.sort(key=lambda s: getattr(s, sort), reverse=desc)
    listed = stations[offset:offset + MAX_LISTED]
    keep = {k: v for k, v in (("q", query), ("sort", sort), ("order", "desc" if desc else ""),
                              ("stale", "1" if stale_only else ""),
                              ("placed", "1" if placed_only else "")) if v}
    return render_template(
        "edit/index.html", stations=listed, q=query, total=len(stations), sort=sort,
        desc=desc, stale_only=stale_only, offset=offset, page=MAX_LISTED, keep=keep,
        here=urlencode({**keep, **({"offset": offset} if offset else {})}),
        etags={s.id: editing.station_etag(s) for s in listed},
        stale={s.id for s in listed if freshness.is_stale(s.verified, first_current)},
        reports=reported.open_counts(), stale_days=days, fixed=fixed, placed=placed,
        placed_only=placed_only, **_labels())


@bp.post("/verify")
@auth.role_required(Role.EDITOR)
def verify_today() -> ResponseReturnValue:
    """Mark the ticked stations verified today (Lanzhou), one new version; back to the list."""
    back = request.form.get("back", "")[:500]
    etags: dict[str, str] = {}
    for item in request.form.getlist("verify"):
        etag, sep, station_id = item.partition(":")
        if sep and station_id:
            etags[station_id] = etag
    if not etags:
        flash(_("Tick the stations you verified first."))
        return redirect(url_for("edit.index") + (f"?{back}" if back else ""))
    refuse_fixed_files()
    health.ensure_writable()
    today = hours.now().date()
    store = open_edit_store()
    try:
        registry = service.current_registry()
        version = service.registry_version(registry)
        done = editing.verify_many(
            store, etags, today, user=auth.current_account().name,
            base=lambda: registry.stations,
            served=None if version is None else (version, registry.stations))
        if done.version is not None:
            app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
            service.serve_written(app, done.version, done.stations)
    finally:
        store.close()
    flash(_("%(n)d stations marked as verified on %(day)s.", n=len(done.verified),
            day=today.isoformat()))
    if done.skipped:
        flash(_("Not verified, because someone changed them meanwhile: %(ids)s. Check them "
                "and try again.", ids=", ".join(done.skipped)))
    return redirect(url_for("edit.index") + (f"?{back}" if back else ""))


@bp.route("/new", methods=["GET", "POST"])
@auth.role_required(Role.EDITOR)
def new() -> ResponseReturnValue:
    """Add a station."""
    if request.method == "GET":
        empty: dict[str, Any] = {"coord_datum": _tiles()["datum"], "amenities": [], "lon": "",
                                 "lat": ""}
        return _form(empty, station=None, errors={})
    parsed = parse_station(request.form, station_id=None, base=None, boundary=service_area())
    if parsed.station is None:
        return _form(parsed.values, station=None, errors=parsed.errors, status=400)
    try:
        saved = save_and_serve(Action.ADD, parsed.station.id, parsed.station, None)
    except DuplicateStation:
        return _form(parsed.values, station=None, status=409, errors={
            "id": _("A station with id '%(id)s' already exists.", id=parsed.station.id)})
    except EditConflict as exc:
        return _form(parsed.values, station=None, errors={"id": exc.message}, status=409)
    except LocatorError as exc:
        return _form(parsed.values, station=None, errors={}, status=exc.status,
                     message=exc.message)
    flash(_("Station %(id)s added (version %(v)d).", id=parsed.station.id, v=saved.version.id))
    return redirect(url_for("edit.station", station_id=parsed.station.id))


@bp.route("/station/<path:station_id>", methods=["GET", "POST"])
@auth.role_required(Role.VIEWER)
def station(station_id: str) -> ResponseReturnValue:
    """Edit a station's fields or move it (typed coordinates or the dragged marker)."""
    current = find_station(station_id)
    report = inbox.report_for_edit(station_id)
    if request.method == "GET":
        values = form_values(current, datum=Datum(_tiles()["datum"]))
        return _form(inbox.prefill(values, report) if report else values, station=current,
                     errors={}, report=report)
    if not auth.current_account().can(Role.EDITOR):
        abort(403, description=_("Your account may not do this (it needs the role "
                                 "%(role)s).", role=Role.EDITOR.value))
    parsed = parse_station(request.form, station_id=station_id, base=current,
                           boundary=service_area())
    parsed.values["etag"] = request.form.get("etag", "")
    if report is not None:
        parsed.values["report"] = str(report.id)
    if parsed.station is None:
        return _form(parsed.values, station=current, errors=parsed.errors, status=400,
                     report=report)
    if all(request.form.get(k, "") == request.form.get(f"orig_{k}") for k in _COORDS):
        # untouched coordinates keep their stored value exactly (no datum round-off)
        parsed.station = replace(parsed.station, lon=current.lon, lat=current.lat,
                                 datum=current.datum)
    if parsed.station == current:  # nothing changed: no new version, no audit row
        flash(_("Nothing changed."))
        return redirect(url_for("edit.station", station_id=current.id))
    moved = (parsed.station.lon, parsed.station.lat) != (current.lon, current.lat)
    same_otherwise = parsed.station == replace(current, lon=parsed.station.lon,
                                               lat=parsed.station.lat,
                                               datum=parsed.station.datum)
    action = Action.MOVE if moved and same_otherwise else Action.EDIT
    return _commit(action, current, parsed, report)


def _commit(action: Action, current: Station, parsed: Parsed,
            report: Report | None) -> ResponseReturnValue:
    try:
        saved = save_and_serve(action, current.id, parsed.station, parsed.values["etag"],
                               report=None if report is None else report.id)
    except (EditConflict, NotFound) as exc:
        return _conflict(current.id, parsed.values, exc.message)
    except LocatorError as exc:
        return _form(parsed.values, station=current, errors={}, status=exc.status,
                     message=exc.message, report=report)
    flash(_("Saved (version %(v)d).", v=saved.version.id))
    return redirect(url_for("edit.station", station_id=current.id))


def _conflict(station_id: str, values: dict[str, Any], message: str) -> ResponseReturnValue:
    """409: the editor's input as typed, beside the station as it is now."""
    now = stored_station(station_id)
    theirs = form_values(now, datum=Datum.parse(str(values.get("coord_datum") or "wgs84"))) \
        if now else None
    if now is not None:
        values = {**values, "etag": editing.station_etag(now)}  # saving again overrides
    return _form(values, station=now, errors={}, status=409, message=message,
                 conflict={"current": theirs, "retired": now is None})


@bp.post("/station/<path:station_id>/verify")
@auth.role_required(Role.EDITOR)
def verify(station_id: str) -> ResponseReturnValue:
    """Set "last verified" to a date (the audit log records who)."""
    text = request.form.get("verified", "").strip()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        abort(400, description=_("The date must look like 2024-05-01, got %(value)s.",
                                 value=repr(text[:40])))
    if day > hours.now().date():  # (Lanzhou's today: UTC is a day behind until 08:00)
        abort(400, description=_("The date %(value)s is in the future.", value=day.isoformat()))
    return _simple(Action.VERIFY, station_id, verified_on=day)


@bp.post("/station/<path:station_id>/retire")
@auth.role_required(Role.EDITOR)
def retire(station_id: str) -> ResponseReturnValue:
    """Take a station out of the registry (its rows stay in older versions and the log)."""
    if request.form.get("confirm") != "1":
        abort(400, description=_("Tick the box to confirm retiring the station."))
    return _simple(Action.RETIRE, station_id)


def _simple(action: Action, station_id: str, *, verified_on: date | None = None
            ) -> ResponseReturnValue:
    current = find_station(station_id)
    values = {**form_values(current, datum=Datum(_tiles()["datum"])),
              "etag": request.form.get("etag", "")}
    report = inbox.report_for_edit(station_id)  # a retirement may answer a worker's report
    try:
        saved = save_and_serve(action, station_id, None, values["etag"],
                               verified_on=verified_on,
                               report=None if report is None else report.id)
    except (EditConflict, NotFound) as exc:
        return _conflict(station_id, values, exc.message)
    except LocatorError as exc:
        return _form(values, station=current, errors={}, status=exc.status,
                     message=exc.message)
    if action is Action.RETIRE:
        flash(_("Station %(id)s retired (version %(v)d).", id=station_id, v=saved.version.id))
        return redirect(url_for("edit.index"))
    flash(_("Saved (version %(v)d).", v=saved.version.id))
    return redirect(url_for("edit.station", station_id=station_id))
