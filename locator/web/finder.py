"""The finder page ``/``: a map of the stations, the visitor's point and the k nearest."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import gettext

from locator import hours, maps
from locator.errors import QueryError
from locator.model import AMENITY_LABELS, KIND_LABELS
from locator.service import current_registry
from locator.web.params import Args

__all__ = ["bp"]

bp = Blueprint("finder", __name__)


def map_labels() -> dict[str, str]:
    """Translated strings the map's JavaScript shows (kind labels keyed by kind value)."""
    labels = {kind.value: gettext(label) for kind, label in KIND_LABELS.items()}
    labels.update({
        "you_are_here": gettext("You are here"),
        "legend_title": gettext("Station kinds"),
        "distance": gettext("Distance"),
        "demo": gettext("Demonstration data"),
        "precision": gettext("Location accurate to about"),
    })
    return labels


@bp.get("/")
def index() -> str:
    """The worker's finder page."""
    args = Args(request.args)
    lat = args.number("lat", low=-90, high=90)
    lon = args.number("lon", low=-180, high=180)
    if (lat is None) != (lon is None):
        missing = "lon" if lon is None else "lat"
        raise QueryError(missing, f"give both lat and lon, or neither; {missing!r} is missing")
    center_lon, center_lat = current_app.config["DEFAULT_CENTER"]
    user_given = lat is not None and lon is not None
    point = (lon, lat) if lon is not None and lat is not None else (center_lon, center_lat)
    k = args.integer("k", low=1, high=int(current_app.config["MAX_K"]),
                     default=int(current_app.config["DEFAULT_K"]))
    tiles = args.raw("tiles") or str(current_app.config["DEFAULT_TILES"])
    if tiles not in maps.TILES:
        raise QueryError("tiles", f"tiles must be one of {', '.join(maps.TILES)}, got {tiles!r}")
    registry = current_registry()
    hits = registry.index.query(point[0], point[1], k=k)
    folium_map = maps.finder_map(
        registry.index.stations, center=point, tiles=tiles,
        nearest=[(h.station, h.distance_m) for h in hits],
        tianditu_key=current_app.config["TIANDITU_KEY"], labels=map_labels(),
        static_url=lambda path: url_for("static", filename=path))
    now = hours.local(datetime.now(hours.LANZHOU_TZ))
    rows = [{"hit": h, "state": hours.state(h.station.opening_hours, now).value,
             "next_change": hours.next_change(h.station.opening_hours, now)} for h in hits]
    return render_template(
        "finder/index.html", parts=maps.map_parts(folium_map), rows=rows, point=point,
        user_given=user_given, k=k, tiles=tiles, tile_names=list(maps.TILES),
        kind_labels={kd.value: gettext(lb) for kd, lb in KIND_LABELS.items()},
        amenity_labels={a.value: gettext(lb) for a, lb in AMENITY_LABELS.items()},
        show_demo_banner=registry.has_synthetic, unlocated=registry.unlocated,
        station_count=len(registry.index))
