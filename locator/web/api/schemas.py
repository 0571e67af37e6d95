"""JSON Schemas (OpenAPI 3.1) of what the API returns, built from the model's enums.

GeoJSON follows RFC 7946: ``[lon, lat]`` WGS-84 positions, no ``crs`` member. Each schema
is registered under its name in ``#/components/schemas``; :func:`ref` points at one.
"""

from __future__ import annotations

from typing import Any

from locator.geo.datum import Datum
from locator.model import Amenity, Entry, Kind
from locator.stations.hours import OpenState

__all__ = ["SCHEMAS", "nullable", "ref"]

Schema = dict[str, Any]


def ref(name: str) -> Schema:
    """A ``$ref`` to the component schema ``name``."""
    if name not in SCHEMAS:
        raise KeyError(f"no component schema {name!r}; known: {', '.join(sorted(SCHEMAS))}")
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    """``schema`` or ``null``."""
    return {"oneOf": [schema, {"type": "null"}]}


def _text_or_null() -> Schema:
    return {"type": ["string", "null"]}


def _enum(values: list[str]) -> Schema:
    return {"type": "string", "enum": values}


KINDS = [k.value for k in Kind]
AMENITIES = [a.value for a in Amenity]

_LON: Schema = {"type": "number", "minimum": -180, "maximum": 180}
_LAT: Schema = {"type": "number", "minimum": -90, "maximum": 90}

_STATION_PROPERTIES: Schema = {
    "type": "object",
    "required": ["id", "name", "kind", "amenities", "opening_hours", "entry", "address",
                 "datum", "precision_m", "synthetic"],
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string", "description": "Untrusted text: escape before display."},
        "kind": _enum(KINDS),
        "amenities": {"type": "array", "items": _enum(AMENITIES)},
        "opening_hours": {**_text_or_null(), "description": "OSM opening_hours syntax."},
        "entry": nullable(_enum([e.value for e in Entry])),
        "address": {"type": "string"},
        "district_code": _text_or_null(),
        "subdistrict_code": _text_or_null(),
        "community_code": _text_or_null(),
        "source": {"type": "string"},
        "datum": {**_enum([d.value for d in Datum]),
                  "description": "Datum the coordinate was given in; served coordinates "
                                 "are always WGS-84."},
        "precision_m": {"type": ["number", "null"], "minimum": 0},
        "verified": {"type": ["string", "null"], "format": "date",
                     "description": "The same as verified_on (the registry file's name)."},
        "verified_on": {"type": ["string", "null"], "format": "date",
                        "description": "The day the station was last verified (Lanzhou "
                                       "time); null when never."},
        "stale": {"type": "boolean",
                  "description": "True when never verified, or last verified longer ago "
                                 "than the server's VERIFIED_STALE_DAYS."},
        "synthetic": {"type": "boolean",
                      "description": "True for generated demonstration records."},
        "note": {"type": "string"},
        "phones": {"type": "array", "items": {"type": "string"},
                   "description": "Checked Chinese phone numbers (0931-8123456, "
                                  "13812345678, 400-123-4567, 12351), as tel: links take them."},
        "hours_text": {"type": "string",
                       "description": "The opening hours as the source wrote them, when that "
                                      "differs from opening_hours (or they could not be read)."},
        "geocoded": {**nullable(_enum(["district", "subdistrict", "community"])),
                     "description": "Set when the source gave no coordinates: the station is "
                                    "at this unit's label point, precision_m says how roughly."},
    },
}

_HIT_EXTRA: Schema = {
    "type": "object",
    "required": ["distance_m", "walk_min", "ebike_min"],
    "properties": {
        "distance_m": {"type": "number", "minimum": 0,
                       "description": "Geodesic metres on the WGS-84 ellipsoid."},
        "walk_min": {"type": "number", "minimum": 0, "description": (
            "Walking minutes ESTIMATED from the straight-line distance × DETOUR_FACTOR at "
            "WALK_KMH (no road network is configured: not a route; see meta.minutes). Show "
            "under 1 as '<1 min', and over 60 as 'over an hour'.")},
        "ebike_min": {"type": "number", "minimum": 0, "description": (
            "E-bike minutes ESTIMATED from the straight-line distance × DETOUR_FACTOR at "
            "EBIKE_KMH (not a route; see meta.minutes).")},
        "crosses_river": {"type": "boolean", "description": (
            "The straight line to this station crosses the Yellow River (approximate line, "
            "七里河区/安宁区 reach): the real route may be far longer than the line and the "
            "minutes far too low."
        )},
        "open_state": _enum([s.value for s in OpenState]),
        "next_change": {"type": ["string", "null"],
                        "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?"
                                   r"[+-]\d{2}:\d{2}$",
                        "description": "When the open state next changes: Lanzhou local "
                                       "time, ISO 8601 with its +08:00 offset."},
    },
}


def _feature(properties: Schema) -> Schema:
    return {
        "type": "object",
        "required": ["type", "id", "geometry", "properties"],
        "properties": {
            "type": {"const": "Feature"},
            "id": {"type": "string"},
            "geometry": nullable(ref("Point")),
            "properties": properties,
        },
    }


def _collection(feature: str, extra: dict[str, Schema], required: list[str]) -> Schema:
    return {
        "type": "object",
        "required": ["type", "features", *required],
        "properties": {"type": {"const": "FeatureCollection"},
                       "features": {"type": "array", "items": ref(feature)}, **extra},
    }


SCHEMAS: dict[str, Schema] = {}
SCHEMAS.update({
    "Point": {"type": "object", "required": ["type", "coordinates"],
              "properties": {"type": {"const": "Point"},
                             "coordinates": {"type": "array", "prefixItems": [_LON, _LAT],
                                             "minItems": 2, "maxItems": 2}}},
    "Error": {
        "type": "object", "required": ["error"],
        "properties": {"error": {
            "type": "object", "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                           "param": {"type": "string",
                                     "description": "The query parameter at fault."},
                           "retry_after": {"type": "integer", "minimum": 1}}}},
    },
    "StationProperties": _STATION_PROPERTIES,
    "Link": {"type": "object", "required": ["rel", "href"],
             "properties": {"rel": {"type": "string"}, "href": {"type": "string"},
                            "type": {"type": "string"}}},
})
SCHEMAS["StationFeature"] = _feature(ref("StationProperties"))
SCHEMAS["NearestFeature"] = _feature({"allOf": [ref("StationProperties"), _HIT_EXTRA]})
SCHEMAS["NearestCollection"] = _collection("NearestFeature", {
    "meta": {"type": "object", "properties": {
        "returned": {"type": "integer", "minimum": 0},
        "synthetic_included": {"type": "boolean"},
        "minutes": {"type": "string", "description": (
            "What walk_min and ebike_min are: 'straight_line' = estimated from the "
            "straight-line distance, not a route.")},
        "origin": {"type": "object", "description": (
            "The point searched from, in WGS-84, when it is not lat/lon as given: a place "
            "(its id, name, level, precision_m and approximate) or a converted datum. When "
            "'approximate' is true every distance and minute is an estimate from a point "
            "that may be precision_m away from the visitor."),
            "properties": {"lat": _LAT, "lon": _LON, "datum": {"const": "wgs84"},
                           "precision_m": {"type": "number", "minimum": 0},
                           "approximate": {"type": "boolean"},
                           "place": {"type": "object"}}}}},
}, ["meta"])
SCHEMAS["StationCollection"] = _collection("StationFeature", {
    "numberMatched": {"type": "integer", "minimum": 0},
    "numberReturned": {"type": "integer", "minimum": 0},
    "links": {"type": "array", "items": ref("Link")},
    "synthetic_included": {"type": "boolean"},
}, ["numberMatched", "numberReturned", "links"])
SCHEMAS["RegistryReport"] = {
    "type": "object", "required": ["files", "rows", "accepted", "rejected", "problems"],
    "properties": {
        "files": {"type": "array", "items": {"type": "string"}},
        "rows": {"type": "integer", "minimum": 0},
        "accepted": {"type": "integer", "minimum": 0},
        "rejected": {"type": "integer", "minimum": 0},
        "problems": {"type": "array", "items": {
            "type": "object", "required": ["file", "row", "reason"],
            "properties": {"file": {"type": "string"}, "row": {"type": "integer"},
                           "column": _text_or_null(), "reason": {"type": "string"}}}},
    },
}

SCHEMAS["PlaceFeature"] = {
    "type": "object", "required": ["type", "geometry", "properties"],
    "properties": {
        "type": {"const": "Feature"}, "geometry": ref("Point"),
        "properties": {
            "type": "object",
            "required": ["id", "name", "name_en", "level", "precision_m", "approximate"],
            "properties": {
                "id": {"type": "string", "description": (
                    "Give it as place= to /api/v1/nearest or the finder page.")},
                "name": {"type": "string"}, "name_en": {"type": "string"},
                "level": _enum(["city", "district", "subdistrict", "community", "landmark",
                                "station", "coordinates"]),
                "kind": {"type": "string"},
                "precision_m": {"type": "number", "minimum": 0, "description": (
                    "How far the place may be from its point, in metres.")},
                "approximate": {"type": "boolean", "description": (
                    "precision_m is over 500 m: the point stands for an area, and distances "
                    "from it are estimates.")},
                "basis": _enum(["cited", "seat", "district_seat", "polygon", "station",
                                "coordinates"]),
                "parents": {"type": "array", "items": {"type": "string"}},
                "district_code": _text_or_null()}}},
}
SCHEMAS["PlaceCollection"] = _collection("PlaceFeature", {
    "numberReturned": {"type": "integer", "minimum": 0},
    "kinds": {"type": "array", "items": _enum(KINDS), "description": (
        "Station kinds the query names (零工市场 → gig_market): filter nearest by them.")}},
    ["numberReturned"])

_NUMBER_OR_NULL: Schema = {"type": ["number", "null"]}
_UNIT_FIGURES: dict[str, Schema] = {
    "cells": {"type": "integer", "minimum": 0},
    "area_km2": {"type": "number", "minimum": 0},
    "covered_km2": {"type": "number", "minimum": 0},
    "covered_share": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
    "worst_gap_m": {**_NUMBER_OR_NULL,
                    "description": "Farthest any cell is from its nearest station."},
    "stations": {"type": "integer", "minimum": 0},
    "stations_per_km2": _NUMBER_OR_NULL,
}
SCHEMAS["CoverageSummary"] = {
    "type": "object",
    "required": ["area", "resolution", "radius_m", "basis", "covered_share", "units"],
    "properties": {
        "area": {"type": "object", "required": ["code", "name"],
                 "properties": {"code": {"type": "string"}, "name": {"type": "string"},
                                "level": {"type": "string"}}},
        "resolution": {"type": "integer"}, "radius_m": {"type": "number"},
        "target": {"type": "object", "description": "How 'covered' was measured: threshold_m "
                   "(straight-line metres), radius_m or minutes + mode with detour_factor.",
                   "properties": {"threshold_m": {"type": "number"},
                                  "radius_m": _NUMBER_OR_NULL, "minutes": _NUMBER_OR_NULL,
                                  "mode": {"type": ["string", "null"]},
                                  "distance": {"type": "string"},
                                  "detour_factor": _NUMBER_OR_NULL}},
        "basis": {"type": "string", "enum": ["area", "people"],
                  "description": "'area': shares are of land area, not people (no demand "
                                 "layer loaded); 'people': of the demand layer's people."},
        "demand": {"type": ["string", "null"], "description": "The demand layer's file."},
        "covered_share_of": {"type": "string", "enum": ["area", "people"]},
        "headline_share": {"type": "number", "minimum": 0, "maximum": 1,
                           "description": "Covered share of covered_share_of."},
        "kinds": {"type": "array", "items": {"type": "string"}},
        "people_outside_area": {"type": "number"},
        "settled_within_m": {"type": "number"},
        "people": _NUMBER_OR_NULL, "people_covered": _NUMBER_OR_NULL,
        "coded": {"type": ["integer", "null"]},
        **_UNIT_FIGURES,
        "synthetic_stations": {"type": "integer", "minimum": 0},
        "level": {"type": "string", "enum": ["district", "subdistrict", "community"]},
        "polygons": {"type": "boolean",
                     "description": "Whether the level has polygons (imported for "
                                    "subdistricts and communities)."},
        "code_counts": {"type": "array", "description": "Without polygons: stations per "
                        "unit by the codes they carry ('' = stations without a code).",
                        "items": {"type": "object", "properties": {
                            "code": {"type": "string"}, "name": {"type": "string"},
                            "level": {"type": "string"},
                            "stations": {"type": "integer", "minimum": 0},
                            "synthetic": {"type": "integer", "minimum": 0},
                            "known": {"type": "boolean"}}}},
        "units": {"type": "array", "items": {
            "type": "object", "required": ["code", "name", "covered_share"],
            "properties": {"code": {"type": "string"}, "name": {"type": "string"},
                           "level": {"type": "string"}, **_UNIT_FIGURES,
                           "people": _NUMBER_OR_NULL, "people_covered": _NUMBER_OR_NULL,
                           "coded": {"type": ["integer", "null"]}}}},
    },
}
