"""JSON API v1: nearest stations and the registry load report."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, current_app, jsonify, request

from locator import hours
from locator.geojson import hits_collection
from locator.service import current_registry
from locator.web.params import Args, filters

__all__ = ["bp"]

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/nearest")
def nearest() -> Response:
    """The k stations nearest to ``lat``/``lon`` (WGS-84) as a FeatureCollection, nearest first.

    Query parameters: ``lat``, ``lon`` (required); ``k`` (1–MAX_K, default 5);
    ``max_distance`` (metres); ``kind`` and ``amenity`` (comma-separated; amenities
    are all required); ``open_at`` (``now`` or ISO date-time, Lanzhou time);
    ``only_24h`` (true/false).
    """
    args = Args(request.args)
    lat = args.required_number("lat", low=-90, high=90)
    lon = args.required_number("lon", low=-180, high=180)
    k = args.integer("k", low=1, high=int(current_app.config["MAX_K"]),
                     default=int(current_app.config["DEFAULT_K"]))
    max_distance = args.number("max_distance", low=0, high=20_037_509)
    now = hours.local(datetime.now(hours.LANZHOU_TZ))
    wanted = filters(args, now=now)
    registry = current_registry()
    hits = registry.index.query(lon, lat, k=k, max_distance=max_distance, filters=wanted)
    meta = {"query": {"lat": lat, "lon": lon, "k": k, "max_distance": max_distance},
            "returned": len(hits), "datum": "wgs84", "distance": "geodesic metres (WGS-84)",
            "synthetic_included": any(h.station.synthetic for h in hits)}
    body = hits_collection(hits, at=wanted.open_at or now, meta=meta)
    return jsonify(body)


@bp.get("/registry/report")
def registry_report() -> Response:
    """What the last load read, accepted and rejected (with row numbers and reasons)."""
    return jsonify(current_registry().report.to_dict())
