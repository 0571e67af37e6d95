"""Stations and nearest results as GeoJSON (RFC 7946: WGS-84 lon/lat, no ``crs`` member)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from locator import hours
from locator.model import Station
from locator.nearest import Hit

__all__ = ["hit_feature", "hits_collection", "station_feature", "station_properties"]


def station_properties(station: Station) -> dict[str, Any]:
    """A station's fields as JSON-ready properties (the registry file schema)."""
    return {
        "id": station.id,
        "name": station.name,
        "kind": station.kind.value,
        "amenities": sorted(a.value for a in station.amenities),
        "opening_hours": station.opening_hours,
        "entry": station.entry.value if station.entry else None,
        "address": station.address,
        "district_code": station.district_code,
        "subdistrict_code": station.subdistrict_code,
        "community_code": station.community_code,
        "source": station.source,
        "datum": station.datum.value,
        "precision_m": station.precision_m,
        "verified": station.verified.isoformat() if station.verified else None,
        "synthetic": station.synthetic,
        "note": station.note,
    }


def station_feature(station: Station) -> dict[str, Any]:
    """One station as a Feature; ``geometry`` is null when its location is unknown."""
    geometry = ({"type": "Point", "coordinates": [round(station.lon, 7), round(station.lat, 7)]}
                if station.located and station.lon is not None and station.lat is not None
                else None)
    return {"type": "Feature", "id": station.id, "geometry": geometry,
            "properties": station_properties(station)}


def hit_feature(hit: Hit, *, at: datetime | None = None) -> dict[str, Any]:
    """A nearest result: the station plus ``distance_m``, ``walk_min``, ``ebike_min``,
    and, when ``at`` is given, ``open_state`` and ``next_change`` at that local time."""
    feature = station_feature(hit.station)
    props = feature["properties"]
    props["distance_m"] = round(hit.distance_m, 1)
    props["walk_min"] = round(hit.walk_min, 1)
    props["ebike_min"] = round(hit.ebike_min, 1)
    if at is not None:
        props["open_state"] = hours.state(hit.station.opening_hours, at).value
        change = hours.next_change(hit.station.opening_hours, at)
        props["next_change"] = (change.replace(tzinfo=hours.LANZHOU_TZ).isoformat()
                                if change else None)
    return feature


def hits_collection(hits: Iterable[Hit], *, at: datetime | None = None,
                    meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """A FeatureCollection of results in the given (distance) order."""
    out: dict[str, Any] = {"type": "FeatureCollection",
                           "features": [hit_feature(h, at=at) for h in hits]}
    if meta:
        out["meta"] = meta
    return out
