"""API v1 about places and areas: place search and the coverage summary.

The work is done by :func:`locator.areas.lookup.lookup` and
:func:`locator.planning.per_unit.summary`; this module parses, caches and shapes the answer.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from locator.areas import places
from locator.areas.lookup import lookup
from locator.areas.store import areas_for
from locator.areas.units import default_level
from locator.errors import NotFound
from locator.planning import per_unit
from locator.web.api.openapi import operation
from locator.web.api.queries import CoverageQuery, PlacesQuery, parse
from locator.web.api.schemas import ref
from locator.web.service import current_registry, imported_areas

__all__ = ["bp", "place_feature"]

bp = Blueprint("api_areas", __name__, url_prefix="/api/v1")

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
@operation("Places, stations or pasted coordinates matching a query: points to search from.",
           response=ref("PlaceCollection"), tag="places", query=PlacesQuery)
def place_search() -> Response:
    """Offline "where am I" search, best match first, to use as the visitor's point.

    ``precision_m`` says how far the place may be from its point; ``approximate`` is true
    when that is over 500 m (distances from it are estimates). Give a result's ``id`` to
    ``/api/v1/nearest?place=``. ``kinds`` lists station kinds the query names.
    """
    query = parse(PlacesQuery, request.args)
    found = lookup(query.q, stations=current_registry().stations, areas=imported_areas(),
                   datum=query.datum, limit=query.limit)
    return jsonify({"type": "FeatureCollection",
                    "features": [place_feature(p) for p in found.places],
                    "numberReturned": len(found.places),
                    "kinds": [k.value for k in found.kinds]})


@bp.get("/coverage")
@operation("How much of the city (or one district) has a station within reach.",
           response=ref("CoverageSummary"), errors=(400, 404), tag="coverage",
           query=CoverageQuery)
def coverage_summary() -> Response:
    """Covered share of the area, worst gap and station density, in total and per unit.

    Shares are of *area*, not of people (``basis``); synthetic stations of the area are
    counted in ``synthetic_stations``.
    """
    query = parse(CoverageQuery, request.args)
    radius, district, resolution = query.radius_m, query.district, query.resolution
    wanted = query.filters()
    level = query.level or default_level(district)
    stored = areas_for(current_app.config, current_app.instance_path, level)
    stamp = None if stored is None else stored.stamp
    registry = current_registry()
    key = (id(registry), radius, district, resolution, wanted, level, stamp)
    with _lock:
        hit = _cache.get(key)
    if hit is not None and hit[0] is registry:
        return jsonify(hit[1])
    try:
        body = per_unit.summary(registry.index, radius_m=radius,
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
