"""API v1 about places and areas: place search and the coverage summary.

The work is done by :func:`locator.areas.lookup.lookup` and the planner's plans
(:mod:`locator.web.plans`, :func:`locator.planning.plan.summary`); this module parses and
shapes the answer.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request

from locator.areas import places
from locator.areas.lookup import lookup
from locator.errors import NotFound
from locator.planning.plan import summary
from locator.web import plans
from locator.web.api.openapi import operation
from locator.web.api.queries import CoverageQuery, PlacesQuery, coverage_query, parse
from locator.web.api.schemas import ref
from locator.web.config import settings
from locator.web.service import current_registry, imported_areas

__all__ = ["bp", "place_feature"]

bp = Blueprint("api_areas", __name__, url_prefix="/api/v1")



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


def bound_coverage_query(app: Flask | None = None) -> type[CoverageQuery]:
    """The coverage parameters with ``resolution`` defaulting to ``PLANNER_RESOLUTION``, as
    the planner page uses it."""
    return coverage_query(settings(app).planner_resolution)


@bp.get("/coverage")
@operation("How much of the city (or one district) has a station within reach.",
           response=ref("CoverageSummary"), errors=(400, 404, 429, 503), tag="coverage",
           query=lambda app: bound_coverage_query(app))
def coverage_summary() -> Response:
    """Covered share of the area (or of the people, with a demand layer), worst gap and
    station density, in total and per unit: the planner page's own plan
    (:func:`locator.web.plans.plan_for`), so page, API and CLI agree.

    ``basis`` says what the shares are of; ``target`` how "covered" was measured;
    synthetic stations of the area are counted in ``synthetic_stations``.
    """
    query = parse(bound_coverage_query(), request.args)
    try:
        plan = plans.plan_for(plans.api_query(
            district=query.district, level=query.level, radius_m=query.radius_m,
            minutes=query.minutes, mode=query.mode, kinds=query.kind, amenities=query.amenity,
            resolution=query.resolution))
    except NotFound as exc:
        raise NotFound(exc.message, param="district") from None
    return jsonify(summary(plan))
