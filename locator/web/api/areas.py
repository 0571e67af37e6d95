"""API v1 about places and areas: place search and the coverage summary.

The work is done by :func:`locator.areas.places.search` and the planner's plans
(:mod:`locator.web.plans`, :func:`locator.planning.plan.summary`); this module shapes the answer.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from locator.areas import places
from locator.areas.units import LEVELS
from locator.errors import NotFound, QueryError
from locator.planning.plan import summary
from locator.web import plans
from locator.web.api.openapi import operation, query_param
from locator.web.api.schemas import ref
from locator.web.api.stations import FILTER_PARAMS
from locator.web.params import Args

__all__ = ["bp", "place_feature"]

bp = Blueprint("api_areas", __name__, url_prefix="/api/v1")

MAX_RESULTS = 50
RESOLUTIONS = (5, 9)  #: H3 resolutions offered (9: cells of ~0.1 km²)


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
           response=ref("CoverageSummary"), errors=(400, 404, 429, 503), tag="coverage", params=(
               query_param("radius_m", {"type": "number", "minimum": 50, "maximum": 50_000,
                                        "multipleOf": 50, "default": 1000},
                           "Covered means a station within this many geodesic metres "
                           "(steps of 50)."),
               query_param("minutes", {"type": "number", "minimum": 0.5, "maximum": 180,
                                       "multipleOf": 0.5},
                           "Instead of radius_m: minutes of 'mode' travel, turned into "
                           "straight-line metres (minutes × speed ÷ detour factor)."),
               query_param("mode", {"type": "string", "enum": ["walk", "ebike"],
                                    "default": "walk"}, "How 'minutes' are travelled."),
               query_param("district", {"type": "string", "pattern": r"^([0-9]{6})?$"},
                           "A 6-digit district code (620102 城关区): that district only; "
                           "empty or absent: the whole city."),
               query_param("resolution", {"type": "integer", "minimum": RESOLUTIONS[0],
                                          "maximum": RESOLUTIONS[1], "default": 9},
                           "H3 grid resolution (default PLANNER_RESOLUTION, as the planner "
                           "page; 8: cells of ~0.7 km², 9: ~0.1 km²)."),
               query_param("level", {"type": "string", "enum": list(LEVELS)},
                           "Units of the per-unit rows (default: districts for the city, "
                           "subdistricts inside a district). Subdistricts and communities need "
                           "imported polygons (locator areas import); without them "
                           "'units' is empty and 'code_counts' counts stations per unit "
                           "by the codes they carry."),
               *FILTER_PARAMS,
           ))
def coverage_summary() -> Response:
    """Covered share of the area (or of the people, with a demand layer), worst gap and
    station density, in total and per unit: the planner page's own plan
    (:func:`locator.web.plans.plan_for`), so page, API and CLI agree.

    ``basis`` says what the shares are of; ``target`` how "covered" was measured;
    synthetic stations of the area are counted in ``synthetic_stations``.
    """
    try:
        plan = plans.plan_for(plans.api_query(Args(request.args)))
    except NotFound as exc:
        raise NotFound(exc.message, param="district") from None
    return jsonify(summary(plan))
