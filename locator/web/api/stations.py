"""JSON API v1: nearest stations, the station list, one station and the registry report.

Every view is declared for the OpenAPI spec with :func:`~locator.web.api.openapi.operation`;
query parsing goes through :class:`~locator.web.params.Args`, so every bad value is a
``400`` naming its parameter.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import numpy as np
import orjson
from flask import Blueprint, Response, current_app, jsonify, request, url_for
from numpy.typing import NDArray

from locator.errors import NotFound
from locator.registry import Registry
from locator.stations import freshness, hours
from locator.stations.geojson import hits_collection, station_feature
from locator.stations.nearest import Filters
from locator.web.api.openapi import operation, path_param, query_param
from locator.web.api.schemas import AMENITIES, KINDS, ref
from locator.web.params import Args, filters, static_filters
from locator.web.service import current_registry, stations_by_id

__all__ = ["FILTER_PARAMS", "MAX_PAGE", "NEAREST_PARAMS", "bp", "json_bytes", "listed",
           "nearest_answer"]

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_PAGE = 500
_LON = {"type": "number", "minimum": -180, "maximum": 180}
_LAT = {"type": "number", "minimum": -90, "maximum": 90}

FILTER_PARAMS = (
    query_param("kind", {"type": "array", "items": {"type": "string", "enum": KINDS}},
                "Comma-separated kinds; any of them (Chinese names are accepted too)."),
    query_param("amenity", {"type": "array", "items": {"type": "string", "enum": AMENITIES}},
                "Comma-separated amenities; all of them are required."),
)
NEAREST_PARAMS = (
    query_param("lat", _LAT, "WGS-84 latitude of the visitor.", required=True),
    query_param("lon", _LON, "WGS-84 longitude of the visitor.", required=True),
    query_param("k", {"type": "integer", "minimum": 1, "maximum": 50, "default": 5},
                "How many stations (at most MAX_K, 50 by default)."),
    query_param("max_distance", {"type": "number", "minimum": 0, "maximum": 20_037_509},
                "Only stations within this many geodesic metres."),
    *FILTER_PARAMS,
    query_param("open_at", {"anyOf": [{"const": "now"},
                                      {"type": "string", "format": "date-time"}]},
                "'now' or an ISO date-time (naive = Lanzhou time): only stations open then."),
    query_param("only_24h", {"type": "boolean"}, "Only stations open 24/7."),
)
_STATIONS_PARAMS = (
    query_param("bbox", {"type": "array", "prefixItems": [_LON, _LAT, _LON, _LAT],
                         "items": {"type": "number"}, "minItems": 4, "maxItems": 4},
                "min lon, min lat, max lon, max lat (WGS-84); a min lon above the max lon "
                "crosses the antimeridian (RFC 7946 §5.2). Stations without a location are "
                "left out when a bbox is given."),
    *FILTER_PARAMS,
    query_param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE,
                          "default": 100}, "Page size."),
    query_param("offset", {"type": "integer", "minimum": 0, "maximum": 10_000_000,
                           "default": 0}, "How many matching stations to skip."),
)


@bp.get("/nearest")
@operation("The k stations nearest to a point.", response=ref("NearestCollection"),
           params=NEAREST_PARAMS)
def nearest() -> Response:
    """The k stations nearest to ``lat``/``lon`` (WGS-84) as a FeatureCollection, nearest
    first, with geodesic metres, walking and e-bike minutes and the open state.

    Query parameters: ``lat``, ``lon`` (required); ``k`` (1–MAX_K, default 5);
    ``max_distance`` (metres); ``kind`` and ``amenity`` (comma-separated; amenities
    are all required); ``open_at`` (``now`` or ISO date-time, Lanzhou time);
    ``only_24h`` (true/false).
    """
    body = nearest_answer(Args(request.args), current_registry(), now=hours.now(),
                          max_k=int(current_app.config["MAX_K"]),
                          default_k=int(current_app.config["DEFAULT_K"]),
                          stale_days=int(current_app.config["VERIFIED_STALE_DAYS"]))
    return current_app.response_class(json_bytes(body),
                                      mimetype=current_app.json.mimetype)  # type: ignore[attr-defined]


def nearest_answer(args: Args, registry: Registry, *, now: datetime, max_k: int,
                   default_k: int, stale_days: int) -> dict[str, Any]:
    """The body of ``/api/v1/nearest`` for these query parameters (no Flask needed);
    ``stale_days`` is ``VERIFIED_STALE_DAYS`` (each station's ``stale``).

    Shared by the view and by :mod:`locator.web.api.fastpath`, so both answer the same.

    Raises
    ------
    QueryError
        Naming the first bad parameter.
    """
    lat = args.required_number("lat", low=-90, high=90)
    lon = args.required_number("lon", low=-180, high=180)
    k = args.integer("k", low=1, high=max_k, default=default_k)
    max_distance = args.number("max_distance", low=0, high=20_037_509)
    wanted = filters(args, now=now)
    hits = registry.index.query(lon, lat, k=k, max_distance=max_distance, filters=wanted)
    meta = {"query": {"lat": lat, "lon": lon, "k": k, "max_distance": max_distance},
            "returned": len(hits), "datum": "wgs84", "distance": "geodesic metres (WGS-84)",
            "synthetic_included": any(h.station.synthetic for h in hits)}
    return hits_collection(hits, at=wanted.open_at or now, meta=meta,
                           current_from=freshness.cutoff(now.date(), stale_days))


def json_bytes(body: dict[str, Any]) -> bytes:
    """``jsonify``'s bytes for the hot path, through orjson (about 10× faster on a result page).

    Same bytes as the app's JSON provider for what the views build (UTF-8, keys in
    order, trailing newline) except for float spelling in rare cases; orjson writes a
    non-finite number as ``null``, so the answer still never contains NaN.
    """
    return orjson.dumps(body) + b"\n"


def listed(registry: Registry, wanted: Filters,
           bbox: tuple[float, float, float, float] | None) -> NDArray[np.intp]:
    """Positions in ``registry.stations`` of the stations a listing shows, in registry order.

    Kinds (any) and amenities (all) always apply; with a ``bbox`` (RFC 7946 §5.2, so a west
    above the east crosses the antimeridian) only located stations inside it, without one
    the unlocated stations too. Vectorised over the index: ~100 ms → a few ms at 200,000.
    """
    index = registry.index
    keep = index.mask(wanted)
    if bbox is not None:
        return index.positions[keep & index.within(bbox)]
    unlocated = [i for i in index.unlocated_positions.tolist()
                 if wanted.accepts(registry.stations[i])]
    return np.sort(np.concatenate([index.positions[keep], np.array(unlocated, dtype=np.intp)]))


@bp.get("/stations")
@operation("Stations, filtered by bbox, kind and amenity, a page at a time.",
           response=ref("StationCollection"), params=_STATIONS_PARAMS)
def stations() -> Response:
    """Stations in registry order as a FeatureCollection page, with ``numberMatched``,
    ``numberReturned`` and ``next``/``prev`` links (OGC API Features style)."""
    args = Args(request.args)
    bbox = args.bbox("bbox")
    wanted = static_filters(args)
    limit = args.integer("limit", low=1, high=MAX_PAGE, default=100)
    offset = args.integer("offset", low=0, high=10_000_000, default=0)
    registry = current_registry()
    found = listed(registry, wanted, bbox)
    page = [registry.stations[i] for i in found[offset:offset + limit].tolist()]
    links = [_link("self", offset, limit)]
    if offset + limit < len(found):
        links.append(_link("next", offset + limit, limit))
    if offset > 0:
        links.append(_link("prev", max(0, offset - limit), limit))
    body: dict[str, Any] = {"type": "FeatureCollection",
                            "features": [station_feature(s, current_from=_current_from())
                                         for s in page],
                            "numberMatched": len(found), "numberReturned": len(page),
                            "links": links,
                            "synthetic_included": any(s.synthetic for s in page)}
    return jsonify(body)


def _link(rel: str, offset: int, limit: int) -> dict[str, str]:
    values: dict[str, Any] = {**request.args.to_dict(), "offset": offset, "limit": limit}
    return {"rel": rel, "type": "application/geo+json",
            "href": url_for("api.stations", _external=True, **values)}


@bp.get("/stations/<station_id>")
@operation("One station by id.", response=ref("StationFeature"),
           params=(path_param("station_id", "The station's id."),), errors=(404,))
def station(station_id: str) -> Response:
    """One station as a GeoJSON Feature (``geometry`` null when its location is unknown)."""
    found = stations_by_id(current_registry()).get(station_id)
    if found is None:
        raise NotFound(f"no station has id {station_id!r}", param="station_id")
    return jsonify(station_feature(found, current_from=_current_from()))


def _current_from() -> date:
    """The first day a verification still counts as current (Lanzhou's today, less
    ``VERIFIED_STALE_DAYS``)."""
    return freshness.cutoff(hours.now().date(),
                            int(current_app.config["VERIFIED_STALE_DAYS"]))


@bp.get("/registry/report")
@operation("What the last registry load accepted and rejected.",
           response=ref("RegistryReport"), errors=(), tag="registry")
def registry_report() -> Response:
    """What the last load read, accepted and rejected (with row numbers and reasons)."""
    return jsonify(current_registry().report.to_dict())
