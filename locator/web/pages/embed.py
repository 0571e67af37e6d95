"""``/embed``: a compact map for other sites' iframes; ``/embed/builder``: its snippet maker.

The widget is configured by its URL: ``lat``/``lon`` (the point it starts from, else the
city centre), ``zoom``, ``kind``, ``amenity``, ``k``, ``lang``, ``tiles``, and ``locate=1``
to ask the visitor's browser for its position on load (the host page's iframe needs
``allow="geolocation"``). ``here=1`` marks the point as the visitor's own (set by the
widget's script after geolocation). Only ``/embed`` may be framed, and only by the origins
in ``EMBED_ALLOWED_ORIGINS`` (see :mod:`locator.web.http.framing`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext

from locator.errors import QueryError
from locator.maps import layers
from locator.model import AMENITY_LABELS, KIND_LABELS, Station
from locator.stations import hours
from locator.web import reported, wording
from locator.web.config import settings
from locator.web.pages.finder import checked_tiles
from locator.web.pages.stationview import Cards
from locator.web.params import Args, static_filters
from locator.web.service import current_registry

__all__ = ["EmbedOptions", "bp", "options"]

bp = Blueprint("embed", __name__, url_prefix="/embed")

DEFAULT_ZOOM = 14


@dataclass(frozen=True, slots=True)
class EmbedOptions:
    """The widget's settings, parsed from its query string."""

    lon: float
    lat: float
    zoom: int | None
    k: int
    tiles: str
    here: bool
    locate: bool


def options(args: Args) -> EmbedOptions:
    """Parse and check the widget's query string (errors name the parameter)."""
    lat = args.number("lat", low=-90, high=90)
    lon = args.number("lon", low=-180, high=180)
    if (lat is None) != (lon is None):
        missing = "lon" if lon is None else "lat"
        raise QueryError(missing, f"give both lat and lon, or neither; {missing!r} is missing")
    default_lon, default_lat = settings().default_center
    tiles = checked_tiles(args)
    zoom = args.raw("zoom")
    return EmbedOptions(
        lon=default_lon if lon is None else lon, lat=default_lat if lat is None else lat,
        zoom=None if zoom is None else args.integer("zoom", low=0,
                                                    high=layers.TILES[tiles].max_zoom, default=0),
        k=args.integer("k", low=1, high=settings().max_k,
                       default=settings().default_k),
        tiles=tiles, here=args.flag("here"), locate=args.flag("locate"))


def _labels(here: bool) -> dict[str, str]:
    labels = {key: gettext(text) for key, text in layers.DEFAULT_LABELS.items()}
    if not here:
        labels["you_are_here"] = gettext("Map centre")
    return labels


@bp.get("")
def widget() -> str:
    """The embeddable map: the k nearest stations to the point, drawn and listed."""
    args = Args(request.args)
    opts = options(args)
    wanted = static_filters(args)
    registry = current_registry()
    hits = registry.index.query(opts.lon, opts.lat, k=opts.k, filters=wanted)
    index = registry.index
    drawn = index.around(opts.lon, opts.lat, settings().map_max_stations,
                         np.flatnonzero(index.mask(wanted)))
    shown: list[Station] = [index.stations[i] for i in drawn.tolist()]
    from locator.maps import finder  # (folium loads with the first map, not at start-up)

    folium_map = finder.finder_map(
        shown, center=(opts.lon, opts.lat), tiles=opts.tiles,
        nearest=[(h.station, h.distance_m) for h in hits],
        tianditu_key=settings().tianditu_key, labels=_labels(opts.here),
        static_url=lambda path: url_for("static", filename=path),
        zoom=DEFAULT_ZOOM if opts.zoom is None else opts.zoom, user_label=True)
    finder_args: dict[str, Any] = {"lat": round(opts.lat, 6), "lon": round(opts.lon, 6),
                                   "k": opts.k, "tiles": opts.tiles,
                                   "lang": request.args.get("lang")}
    cards = Cards(hours.now(), origin=(opts.lon, opts.lat) if opts.here else None,
                  reported=reported.reported_stations())
    return render_template(
        "embed/widget.html", parts=finder.map_parts(folium_map), map_name=folium_map.get_name(),
        hits=hits, texts=[wording.hit_texts(h) for h in hits],
        cards=[cards(h.station) for h in hits], opts=opts,
        minutes_note=wording.minutes_note(registry.index.travel.basis),
        show_demo=any(s.synthetic for s in shown),
        finder_url=url_for("finder.index", _external=True,
                           **{k: v for k, v in finder_args.items() if v is not None}),
        kind_labels={kd.value: gettext(lb) for kd, lb in KIND_LABELS.items()})


@bp.get("/builder")
def builder() -> str:
    """Choose the widget's options, preview it live and copy the iframe snippet."""
    lon, lat = settings().default_center
    return render_template(
        "embed/builder.html", embed_url=url_for("embed.widget", _external=True),
        lat=lat, lon=lon, zoom=DEFAULT_ZOOM, k=settings().default_k,
        max_k=settings().max_k,
        tiles={name: gettext(layers.DEFAULT_LABELS[f"tiles_{name}"])
               for name in layers.offered(settings().tianditu_key)},
        default_tiles=settings().default_tiles,
        languages=list(settings().languages),
        kind_labels={kd.value: gettext(lb) for kd, lb in KIND_LABELS.items()},
        amenity_labels={a.value: gettext(lb) for a, lb in AMENITY_LABELS.items()})
