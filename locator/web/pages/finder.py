"""The worker's finder ``/``: where am I, which stations near me are open, how to get there.

Routes (all in this blueprint):

* ``GET /`` — the page. Everything it shows comes from the query string, so a shared link
  reproduces the view, and a plain GET form drives it without JavaScript: ``lat``/``lon``
  (WGS-84; ``datum=gcj02|bd09`` marks a point picked on such tiles, converted with
  :mod:`locator.geo.datum` and redirected to its WGS-84 URL), ``k``, ``tiles``, ``kind`` and
  ``amenity`` (repeated or comma-separated; any of the kinds, all of the amenities),
  ``open`` (``now`` or ``at`` with ``at=2026-11-29T22:30``, Lanzhou time; no hours =
  unknown, never open), ``only_24h``, ``walk_in`` (entry without registration: walk-in or
  QR code; unknown entry does not count), ``q`` (place search without JavaScript, with
  ``q_datum`` for pasted coordinates) and ``place`` (a result's id, resolved here: the page
  then says what point it searched from and how far off it may be, and shows distances and
  minutes from an approximate place as estimates).
* ``GET /places?q=&limit=&datum=`` — JSON "where am I" search
  (:func:`locator.areas.lookup.lookup`: places, stations, kinds, pasted coordinates).
* ``GET /station/<id>`` — JSON details for a map popup (name, address, hours, links).

The page, its JSON helpers and ``/static`` are compressed (:mod:`locator.web.http.compression`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import numpy as np
from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from werkzeug.wrappers import Response as BaseResponse

from locator.areas import places
from locator.areas.lookup import Found, lookup, resolve
from locator.areas.places import Place
from locator.errors import DatumError, NotFound, QueryError
from locator.geo.datum import Datum, convert
from locator.maps import layers
from locator.model import (
    AMENITY_LABELS,
    ENTRY_LABELS,
    KIND_LABELS,
    Amenity,
    Entry,
    Kind,
    Station,
)
from locator.stations import hours
from locator.stations.query import Filters, Hit
from locator.web import reported, wording
from locator.web.config import settings
from locator.web.pages.offline import RESULTS_CACHE, SAVED_KEY
from locator.web.pages.stationview import Cards
from locator.web.params import Args, parse_amenity, parse_kind_value
from locator.web.service import current_registry, imported_areas, stations_by_id

__all__ = ["bp"]

bp = Blueprint("finder", __name__)
_NO_REGISTRATION = frozenset({Entry.OPEN, Entry.QR_CODE})


def map_labels() -> dict[str, str]:
    """Translated strings the map's JavaScript shows."""
    labels = {key: gettext(text) for key, text in layers.DEFAULT_LABELS.items()}
    labels.update({kind.value: gettext(label) for kind, label in KIND_LABELS.items()})
    return labels


@dataclass(frozen=True, slots=True)
class View:
    """What the query string asks for (validated)."""

    point: tuple[float, float]
    user_given: bool
    k: int
    tiles: str
    kinds: tuple[Kind, ...]
    amenities: tuple[str, ...]
    open_mode: str  # "", "now" or "at"
    at: datetime | None
    when: datetime  # the moment open/closed is shown for
    only_24h: bool
    walk_in: bool
    query: str
    place: Place | None = None  # the place searched from (``?place=``), resolved
    query_datum: str = "wgs84"  # datum of coordinates pasted into the search box
    station: str | None = None  # a shared station to show first (``station=<id>``)

    @property
    def approximate(self) -> bool:
        """The point is an estimate: a place known only to an area."""
        return self.place is not None and self.place.approximate

    @property
    def precision_m(self) -> float:
        """How far the point may be from the visitor (0 for a point they gave)."""
        return self.place.precision_m if self.place is not None else 0.0

    @property
    def filters(self) -> Filters:
        """The nearest-index filters (walk-in: entry without registration)."""
        return Filters(kinds=frozenset(self.kinds),
                       amenities=frozenset(Amenity(a) for a in self.amenities),
                       open_at=self.when if self.open_mode else None, only_24h=self.only_24h,
                       entries=_NO_REGISTRATION if self.walk_in else frozenset())

    @property
    def active(self) -> int:
        """How many filters are on."""
        return (len(self.kinds) + len(self.amenities) + bool(self.open_mode)
                + self.only_24h + self.walk_in)

    def args(self, **override: Any) -> dict[str, Any]:
        """Query parameters reproducing this view (``override`` replaces or drops keys)."""
        out: dict[str, Any] = {}
        if self.place is not None:
            out["place"] = self.place.id
        elif self.user_given:
            out.update(lat=f"{self.point[1]:.6f}", lon=f"{self.point[0]:.6f}")
        if self.k != settings().default_k:
            out["k"] = self.k
        if self.tiles != settings().default_tiles:
            out["tiles"] = self.tiles
        if self.kinds:
            out["kind"] = ",".join(k.value for k in self.kinds)
        if self.amenities:
            out["amenity"] = ",".join(self.amenities)
        if self.open_mode:
            out["open"] = self.open_mode
        if self.open_mode == "at" and self.at is not None:
            out["at"] = self.at.strftime("%Y-%m-%dT%H:%M")
        if self.only_24h:
            out["only_24h"] = 1
        if self.walk_in:
            out["walk_in"] = 1
        if self.station:
            out["station"] = self.station
        if request.args.get("lang"):
            out["lang"] = request.args["lang"]
        out.update(override)
        return {key: value for key, value in out.items() if value is not None}


def parse_view(args: Args, now: datetime) -> View:
    """Validate the page's query string (errors name the parameter and value)."""
    lat = args.number("lat", low=-90, high=90)
    lon = args.number("lon", low=-180, high=180)
    if (lat is None) != (lon is None):
        missing = "lon" if lon is None else "lat"
        raise QueryError(missing, f"give both lat and lon, or neither; {missing!r} is missing")
    place_id = (args.raw("place") or "").strip()
    if place_id and lat is not None:
        raise QueryError("place", "give lat and lon, or place, not both")
    place = (resolve(place_id[:200], stations=current_registry().stations,
                     areas=imported_areas()) if place_id else None)
    default = settings().default_center
    point = (lon, lat) if lon is not None and lat is not None else (default[0], default[1])
    if place is not None:
        point = (place.lon, place.lat)
    query_datum = (args.raw("q_datum") or "wgs84").lower()
    if query_datum not in ("wgs84", "gcj02", "bd09"):
        raise QueryError("q_datum", f"q_datum must be wgs84, gcj02 or bd09, got {query_datum!r}")
    tiles = checked_tiles(args)
    open_mode = (args.raw("open") or "").lower()
    if open_mode not in ("", "any", "now", "at"):
        raise QueryError("open", f"open must be 'now' or 'at', got {open_mode!r}")
    open_mode = "" if open_mode == "any" else open_mode
    at = args.moment("at", now=now) if open_mode == "at" else None
    if open_mode == "at" and at is None:
        raise QueryError("at", "open=at needs a time: at=2026-11-29T22:30 (Lanzhou time)")
    return View(
        point=(float(point[0]), float(point[1])), user_given=lat is not None or place is not None,
        k=args.integer("k", low=1, high=settings().max_k,
                       default=settings().default_k),
        tiles=tiles, kinds=tuple(args.multi("kind", parse_kind_value)),
        amenities=tuple(a.value for a in args.multi("amenity", parse_amenity)),
        open_mode=open_mode, at=at, when=at or now, only_24h=args.flag("only_24h"),
        walk_in=args.flag("walk_in"), query=(args.raw("q") or "")[:places.MAX_QUERY],
        place=place, query_datum=query_datum, station=(args.raw("station") or None))


def checked_tiles(args: Args) -> str:
    """``tiles`` (default ``DEFAULT_TILES``) when this server can draw it: a layer that needs
    a key it lacks (Tianditu without ``TIANDITU_KEY``) is a 400 naming both."""
    tiles = args.raw("tiles") or settings().default_tiles
    offered = layers.offered(settings().tianditu_key)
    if tiles in layers.TILES and tiles not in offered:
        raise QueryError("tiles", gettext(
            "tiles=%(value)s needs a key this server does not have (LOCATOR_TIANDITU_KEY); "
            "use one of %(offered)s.", value=repr(tiles), offered=", ".join(offered)))
    if tiles not in offered:
        raise QueryError("tiles", gettext("tiles must be one of %(offered)s, got %(value)s.",
                                          offered=", ".join(offered), value=repr(tiles)))
    return tiles


def _nearest(view: View) -> list[Hit]:
    """The k nearest stations matching the view's filters."""
    return current_registry().index.query(view.point[0], view.point[1], k=view.k,
                                          filters=view.filters)


def nearest_api_url(view: View) -> str:
    """The ``/api/v1/nearest`` query answering this view: the finder saves its answer for
    offline use (walk-in is the API's ``entry=open,qr_code``; a place, its id)."""
    query: dict[str, Any] = ({"place": view.place.id} if view.place is not None else
                             {"lat": f"{view.point[1]:.6f}", "lon": f"{view.point[0]:.6f}"})
    query["k"] = view.k
    if view.kinds:
        query["kind"] = ",".join(k.value for k in view.kinds)
    if view.amenities:
        query["amenity"] = ",".join(view.amenities)
    if view.open_mode:
        query["open_at"] = "now" if view.open_mode == "now" else view.when.strftime(
            "%Y-%m-%dT%H:%M")
    if view.only_24h:
        query["only_24h"] = "true"
    if view.walk_in:
        query["entry"] = ",".join(sorted(e.value for e in _NO_REGISTRATION))
    return url_for("api.nearest", **query)


@bp.get("/")
def index() -> BaseResponse:
    """The worker's finder page (with ``X-Locator-Update: 1``, only the parts a filter change
    replaces: ``finder/update.html``)."""
    args = Args(request.args)
    picked = args.raw("datum")
    if picked is not None:
        return _from_datum(args, picked)
    now = hours.now()
    view = parse_view(args, now)
    registry = current_registry()
    hits = _nearest(view)
    index = registry.index
    matching = np.flatnonzero(index.mask(view.filters))
    # a national registry would make a page of megabytes: draw the nearest MAP_MAX_STATIONS
    drawn = index.around(*view.point, settings().map_max_stations, matching)
    stations = [index.stations[i] for i in drawn.tolist()]
    shared = stations_by_id(registry).get(view.station) if view.station else None
    if shared is not None and shared.located and shared not in stations:
        stations.append(shared)  # a shared station is drawn whatever the filters say
    from locator.maps import finder  # (folium loads with the first map, not at start-up)

    labels = map_labels()
    if view.place is not None:
        labels["you_are_here"] = (
            gettext("Estimated point: %(name)s (%(error)s)", name=view.place.name,
                    error=wording.precision_text(view.precision_m))
            if view.approximate else view.place.name)
    folium_map = finder.finder_map(
        stations, center=view.point, tiles=view.tiles,
        nearest=[(h.station, h.distance_m) for h in hits],
        tianditu_key=settings().tianditu_key, labels=labels,
        static_url=lambda path: url_for("static", filename=path),
        details_url=url_for("finder.station", station_id="__ID__", **_origin(view)),
        precision_m=view.precision_m)
    found = (lookup(view.query, stations=registry.stations, areas=imported_areas(),
                    datum=view.query_datum, limit=10) if view.query else Found([], []))
    # directions from an estimated point would route from the wrong street: let the map
    # app start from the device's own location instead
    cards = Cards(view.when, now=view.open_mode != "at",
                  origin=view.point if view.user_given and not view.approximate else None,
                  reported=reported.reported_stations())
    update = request.headers.get("X-Locator-Update") == "1"  # a filter change, in place
    page = render_template(
        "finder/update.html" if update else "finder/index.html",
        parts=None if update else finder.map_parts(folium_map),
        payload_json=finder.payload_json(folium_map) if update else None, view=view,
        rows=[{"hit": h, **cards(h.station),
               "text": wording.hit_texts(h, precision_m=view.precision_m)} for h in hits],
        places_found=found.places, kinds_found=found.kinds, now=now,
        shared=shared, shared_card=cards(shared) if shared else None,
        nearest_url=nearest_api_url(view), results_cache=RESULTS_CACHE, saved_key=SAVED_KEY,
        minutes_note=wording.minutes_note(registry.index.travel.basis),
        precision_text=wording.precision_text(view.precision_m) if view.place else "",
        precision_of=wording.precision_text,
        shown_count=matching.size, drawn_count=len(stations),
        glyphs=layers.KIND_GLYPHS,
        kind_labels={kd.value: gettext(lb) for kd, lb in KIND_LABELS.items()},
        amenity_labels={a.value: gettext(lb) for a, lb in AMENITY_LABELS.items()},
        entry_labels={e.value: gettext(lb) for e, lb in ENTRY_LABELS.items()},
        show_demo_banner=registry.has_synthetic, unlocated=registry.unlocated,
        station_count=len(registry.index))
    response = current_app.make_response(page)
    response.vary.add("X-Locator-Update")
    return response


def _origin(view: View) -> dict[str, Any]:
    """The visitor's point as query parameters (none when they gave none or it is estimated)."""
    if not view.user_given or view.approximate:
        return {}
    return {"lat": f"{view.point[1]:.6f}", "lon": f"{view.point[0]:.6f}"}


def _from_datum(args: Args, picked: str) -> BaseResponse:
    """A point picked on GCJ-02/BD-09 tiles: convert to WGS-84 and redirect to its URL."""
    try:
        source = Datum.parse(picked)
    except DatumError as exc:
        raise QueryError("datum", exc.message) from None
    lat = args.required_number("lat", low=-90, high=90)
    lon = args.required_number("lon", low=-180, high=180)
    x, y = convert(lon, lat, src=source, dst=Datum.WGS84)
    query = request.args.to_dict()
    query.pop("datum")
    query.update(lat=f"{float(y):.6f}", lon=f"{float(x):.6f}")
    return redirect(url_for("finder.index") + "?" + urlencode(query), code=303)


@bp.get("/places")
def place_search() -> tuple[Response, int] | Response:
    """``{"places": [...], "kinds": [...]}`` for the page's search box (ranked; see
    :mod:`locator.areas.lookup`); ``datum`` is that of pasted coordinates."""
    args = Args(request.args)
    try:
        found = lookup(args.raw("q") or "", stations=current_registry().stations,
                       areas=imported_areas(), datum=args.raw("datum") or "wgs84",
                       limit=args.integer("limit", low=1, high=places.MAX_LIMIT, default=8))
    except QueryError as exc:
        return jsonify(exc.to_dict()), exc.status
    return jsonify({"places": [p.as_dict() for p in found.places],
                    "kinds": [{"value": k.value, "label": gettext(KIND_LABELS[k])}
                              for k in found.kinds]})


_BY_ID: dict[int, tuple[object, dict[str, Station]]] = {}


@bp.get("/station/<path:station_id>")
def station(station_id: str) -> tuple[Response, int] | Response:
    """One station's popup details as JSON (names stay out of a 10,000-station page)."""
    index = current_registry().index
    cached = _BY_ID.get(id(index))
    if cached is None or cached[0] is not index:
        _BY_ID.clear()
        cached = _BY_ID[id(index)] = (index, index.by_id())
    found = cached[1].get(station_id)
    if found is None:
        exc = NotFound(f"no located station with id {station_id!r}")
        return jsonify(exc.to_dict()), exc.status
    args = Args(request.args)
    lat, lon = args.number("lat", low=-90, high=90), args.number("lon", low=-180, high=180)
    origin = (lon, lat) if lat is not None and lon is not None else None
    shown = Cards(hours.now(), origin=origin, reported=reported.reported_stations())(found)
    stale = gettext("may be out of date") if shown["stale"] else ""
    return jsonify({
        "id": found.id, "name": found.name, "address": found.address,
        "kind": found.kind.value, "synthetic": found.synthetic,
        "state": shown["state"], "status": shown["status"], "special": shown["special"],
        "hours": shown["hours"],
        "hours_line": gettext("Hours: %(hours)s", hours=shown["hours"]) if shown["hours"] else "",
        "verified_on": shown["verified_on"], "stale": shown["stale"],
        "freshness": " · ".join(t for t in (shown["freshness"], stale) if t),
        "reported": shown["reported"],
        "reported_text": gettext("Workers reported that this may have changed")
        if shown["reported"] else "",
        "phones": [{"url": p["url"], "label": gettext("Call %(number)s", number=p["text"])}
                   for p in shown["phones"]],
        "links": shown["links"], "approx": shown["approx"],
        "report_url": url_for("reports.form", station_id=found.id),
        "report_label": gettext("Report a problem"),
        "share_url": url_for("share.page", station_id=found.id),
        "share_label": gettext("Share this station")})
