"""API v1 about places and areas: place search and the coverage summary.

The work is done by :func:`locator.areas.places.search` and
:func:`locator.planning.per_unit.summary`; this module parses, caches and shapes the answer.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from locator.areas import places
from locator.areas.store import areas_for
from locator.areas.units import LEVELS, default_level
from locator.errors import NotFound, QueryError
from locator.planning import per_unit
from locator.web.api.openapi import operation, query_param
from locator.web.api.schemas import ref
from locator.web.api.stations import FILTER_PARAMS
from locator.web.params import Args, static_filters
from locator.web.service import current_registry

__all__ = ["bp", "place_feature"]

bp = Blueprint("api_areas", __name__, url_prefix="/api/v1")

MAX_RESULTS = 50
RESOLUTIONS = (5, 9)  #: H3 resolutions offered (9: cells of ~0.1 km², ~0.2-1.5 s a summary)
_CACHE_SIZE = 32
_cache: OrderedDict[tuple[Any, ...], tuple[object, dict[str, Any]]] = OrderedDict()
_lock = threading.Lock()


def place_feature(place: places.Place) -> dict[str, Any]:
    """A place as a GeoJSON Point Feature; its other fields are the properties."""
    props = place.as_dict()
    lon, lat = props.pop("lon"), props.pop("lat")
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": props}


@bp.get("/places")
@operation("Places (districts, subdistricts, communities, landmarks) matching a query.",
           response=ref("PlaceCollection"), tag="places", params=(
               query_param("q", {"type": "string", "minLength": 1,
                                 "maxLength": places.MAX_QUERY, "pattern": r"\S"},
                           "Hanzi, full pinyin or initials (盐场路, yanchang, yclj); words "
                           "narrow the match.", required=True),
               query_param("limit", {"type": "integer", "minimum": 1,
                                     "maximum": MAX_RESULTS, "default": 10},
                           "Most results."),
           ))
def place_search() -> Response:
    """Offline place search, best match first, to use as the visitor's point.

    ``precision_m`` says how far the place may be from its point; ``approximate`` is true
    when the point only locates the district.
    """
    args = Args(request.args)
    query = args.raw("q")
    if query is None:
        raise QueryError("q", "parameter 'q' is required (a place name, pinyin or initials)")
    limit = args.integer("limit", low=1, high=MAX_RESULTS, default=10)
    found = places.search(query, limit=limit)
    return jsonify({"type": "FeatureCollection",
                    "features": [place_feature(p) for p in found],
                    "numberReturned": len(found)})


@bp.get("/coverage")
@operation("How much of the city (or one district) has a station within reach.",
           response=ref("CoverageSummary"), errors=(400, 404), tag="coverage", params=(
               query_param("radius_m", {"type": "number", "minimum": 50, "maximum": 50_000,
                                        "default": 1000},
                           "Covered means a station within this many geodesic metres."),
               query_param("district", {"type": "string", "pattern": r"^([0-9]{6})?$"},
                           "A 6-digit district code (620102 城关区): that district only; "
                           "empty or absent: the whole city."),
               query_param("resolution", {"type": "integer", "minimum": RESOLUTIONS[0],
                                          "maximum": RESOLUTIONS[1], "default": 8},
                           "H3 grid resolution (8: cells of ~0.7 km², 9: ~0.1 km²)."),
               query_param("level", {"type": "string", "enum": list(LEVELS)},
                           "Units of the per-unit rows (default: districts for the city, "
                           "subdistricts inside a district). Subdistricts and communities need "
                           "imported polygons (locator areas import); without them "
                           "'units' is empty and 'code_counts' counts stations per unit "
                           "by the codes they carry."),
               *FILTER_PARAMS,
           ))
def coverage_summary() -> Response:
    """Covered share of the area, worst gap and station density, in total and per unit.

    Shares are of *area*, not of people (``basis``); synthetic stations of the area are
    counted in ``synthetic_stations``.
    """
    args = Args(request.args)
    radius = args.number("radius_m", low=50, high=50_000, default=1000.0)
    district = args.raw("district")
    resolution = args.integer("resolution", low=RESOLUTIONS[0], high=RESOLUTIONS[1],
                              default=8)
    wanted = static_filters(args)
    level = args.raw("level") or default_level(district)
    if level not in LEVELS:
        raise QueryError("level", f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    stored = areas_for(current_app.config, current_app.instance_path, level)
    stamp = None if stored is None else stored.stamp
    registry = current_registry()
    key = (id(registry), radius, district, resolution, wanted, level, stamp)
    with _lock:
        hit = _cache.get(key)
    if hit is not None and hit[0] is registry:
        return jsonify(hit[1])
    try:
        body = per_unit.summary(registry.index, radius_m=float(radius or 1000.0),
                                resolution=resolution, district=district,
                                filters=None if wanted.empty else wanted, level=level,
                                areas=None if stored is None else stored.units,
                                registry_stations=registry.stations)
    except NotFound as exc:
        raise NotFound(exc.message, param="district") from None
    with _lock:
        _cache[key] = (registry, body)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return jsonify(body)
