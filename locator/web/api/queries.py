"""The API's query parameters, each set declared once as a pydantic model.

From one declaration come the parser (:func:`parse`), the OpenAPI parameters
(:func:`openapi_parameters`), the fast path's list of accepted names and the CLI's
options (``locator nearest``). Bounds that depend on settings (``k`` up to ``MAX_K``) are
bound when the app starts (:func:`nearest_query`), so the spec says what the parser does
under any configuration.

Why pydantic: a maintained validation library whose models render to JSON Schema, so the
spec cannot drift from the checks; the project's own messages ("k must be between 1 and
50, got '99'", naming the parameter and the value) are kept by translating pydantic's error
types (:func:`_message`). Its cost on the hot path is measured in ``bench/load.py`` (see
the README): about 10 µs of a ~400 µs request.

Query text is read strictly: numbers are ASCII decimal numbers (no ``３６``, ``٣٦`` or
``3_6``), a parameter given twice is an error, a blank value counts as absent, and a
parameter the endpoint does not declare is a ``400`` naming it (``_`` cache-busters and
JSONP ``callback`` included: an API that silently ignores what it does not know hides
typos such as ``amenties=`` or ``datum=gcj`` behind a plausible answer).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from typing import Annotated, Any, ClassVar, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    create_model,
    model_validator,
)
from pydantic_core import PydanticCustomError
from werkzeug.datastructures import MultiDict

from locator.areas import places
from locator.errors import QueryError
from locator.geo.datum import Datum, convert
from locator.stations.query import Filters
from locator.web.api.values import (
    Amenities,
    BBox,
    Entries,
    Flag,
    Kinds,
    Latitude,
    Longitude,
    Moment,
    Whole,
    parse_ascii_number,
)

__all__ = ["MAX_PAGE", "CoverageQuery", "NearestQuery", "PlacesQuery", "Query", "StationsQuery",
           "coverage_query", "nearest_query", "openapi_parameters", "parse"]

Q = TypeVar("Q", bound="Query")
MAX_PAGE = 500
MAX_DISTANCE_M = 20_037_509  # half the equator: every point on Earth

class Query(BaseModel):
    """A parameter set: the fields are the parameters, their descriptions the docs."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    #: Parameters whose lists are comma-separated in the query (``style: form``).
    LISTS: ClassVar[frozenset[str]] = frozenset()

    lang: str | None = Field(None, max_length=16, description=(
        "Language of messages, zh_CN or en (kept in a cookie); other values are ignored."))


class FilterQuery(Query):
    """``kind`` and ``amenity``: the filters of every listing."""

    LISTS: ClassVar[frozenset[str]] = frozenset({"kind", "amenity"})

    kind: Kinds = Field(frozenset(), description=(
        "Comma-separated kinds; any of them (Chinese names are accepted too)."))
    amenity: Amenities = Field(frozenset(), description=(
        "Comma-separated amenities; all of them are required."))

    def filters(self) -> Filters:
        """The station filters these parameters ask for."""
        return Filters(kinds=self.kind, amenities=self.amenity)


class NearestQuery(FilterQuery):
    """``/api/v1/nearest`` (``k`` is bound to the settings by :func:`nearest_query`)."""

    lat: Latitude | None = Field(
        None, description="Latitude of the visitor (in `datum`); give lat and lon, or place.")
    lon: Longitude | None = Field(
        None, description="Longitude of the visitor (in `datum`); give lat and lon, or place.")
    place: str | None = Field(None, max_length=200, description=(
        "Search from a place instead of lat/lon: an `id` from /api/v1/places (a district, "
        "subdistrict, community, landmark, station or pasted coordinates). meta.origin then "
        "gives its point, name, precision_m and whether it is approximate: distances from "
        "an approximate place are estimates."))
    k: Whole = Field(5, ge=1, le=50, description="How many stations (at most MAX_K).")
    # (constraints before the validator: pydantic then states them in the schema)
    max_distance: Annotated[float, Field(ge=0, le=MAX_DISTANCE_M),
                            BeforeValidator(parse_ascii_number)] | None = Field(
        None, description="Only stations within this many geodesic metres.")
    open_at: Moment = Field(None, description=(
        "'now' or an ISO date-time (naive = Lanzhou time): only stations open then."))
    only_24h: Flag = Field(False, description="Only stations open 24/7.")

    entry: Entries = Field(frozenset(), description=(
        "Comma-separated entry methods (open, qr_code, registration); any of them. A "
        "station whose entry is unknown matches none."))
    datum: Annotated[Datum, WithJsonSchema({"type": "string",
                                            "enum": [d.value for d in Datum]})] = Field(
        Datum.WGS84, description=(
        "Datum of lat/lon: wgs84 (GPS), gcj02 (picked on Amap/Tencent maps) or bd09 (Baidu). "
        "The point is converted to WGS-84 before the search; answers are always WGS-84."))

    def filters(self) -> Filters:
        """The station filters, with the time, 24-hour and entry conditions."""
        return Filters(kinds=self.kind, amenities=self.amenity, open_at=self.open_at,
                       only_24h=self.only_24h, entries=self.entry)

    @model_validator(mode="after")
    def _one_point(self) -> NearestQuery:
        if self.place is not None and (self.lat is not None or self.lon is not None):
            raise PydanticCustomError("point", "give lat and lon, or place, not both",
                                      {"param": "place"})
        if self.place is None and (self.lat is None or self.lon is None):
            missing = "lat" if self.lat is None else "lon"
            raise PydanticCustomError("point", f"parameter {missing!r} is required (or give "
                                      "place=, an id from /api/v1/places)", {"param": missing})
        return self

    def point(self) -> tuple[float, float]:
        """The query point in WGS-84 (lon, lat); only for a query given lat and lon."""
        if self.lat is None or self.lon is None:
            raise ValueError("this query names a place, not a point: resolve it")
        if self.datum is Datum.WGS84:
            return self.lon, self.lat
        lon, lat = convert(self.lon, self.lat, src=self.datum, dst=Datum.WGS84)
        return float(lon), float(lat)


class StationsQuery(FilterQuery):
    """``/api/v1/stations``: a filtered page of the registry."""

    bbox: BBox = Field(None, description=(
        "min lon, min lat, max lon, max lat (WGS-84); a min lon above the max lon crosses "
        "the antimeridian (RFC 7946 §5.2). Stations without a location are left out when a "
        "bbox is given."))
    limit: Whole = Field(100, ge=1, le=MAX_PAGE, description="Page size.")
    offset: Whole = Field(0, ge=0, le=10_000_000, description=(
        "How many matching stations to skip."))


class PlacesQuery(Query):
    """``/api/v1/places``: the place search."""

    # something Python's strip() keeps: JSON Schema's \s lacks U+001C-U+001F and U+0085
    q: str = Field(min_length=1, max_length=places.MAX_QUERY, pattern=r"[^\s\x1c-\x1f\x85]",
                   description=(
        "Hanzi, full pinyin, initials or a short name (盐场路, yanchang, yclj, 兰大); a "
        "station's name or address; or pasted coordinates in either order, decimal or 度分秒 "
        "(36.0575,103.8227; 36°03′27″N 103°49′22″E). Words narrow the match."))
    limit: Whole = Field(10, ge=1, le=50, description="Most results.")
    datum: Annotated[Datum, WithJsonSchema({"type": "string",
                                            "enum": [d.value for d in Datum]})] = Field(
        Datum.WGS84, description=(
        "Datum of pasted coordinates: wgs84 (GPS), gcj02 (copied from Amap or Tencent maps) "
        "or bd09 (Baidu). Results are always WGS-84."))


class CoverageQuery(FilterQuery):
    """``/api/v1/coverage``: the planner's coverage of the city or a district.

    Values sit on a grid (radius in steps of 50 m, minutes in steps of 0.5) so that the
    plans behind the answers can be cached and shared (issue 17: heavy work is bounded).
    """

    radius_m: Annotated[float, Field(ge=50, le=50_000, multiple_of=50),
                        BeforeValidator(parse_ascii_number)] | None = Field(None, description=(
        "Covered means a station within this many geodesic metres (steps of 50; 1000 when "
        "neither radius_m nor minutes is given)."))
    minutes: Annotated[float, Field(ge=0.5, le=180, multiple_of=0.5),
                       BeforeValidator(parse_ascii_number)] | None = Field(None, description=(
        "Instead of radius_m: minutes of 'mode' travel, turned into straight-line metres "
        "(minutes × speed ÷ detour factor) — an estimate, not a route."))
    mode: Literal["walk", "ebike"] = Field("walk", description="How 'minutes' are travelled.")
    district: str | None = Field(None, pattern=r"^[0-9]{6}$", description=(
        "A 6-digit district code (620102 城关区): that district only; empty or absent: the "
        "whole city."))
    resolution: Whole = Field(9, ge=5, le=9, description=(
        "H3 grid resolution (8: cells of ~0.7 km², 9: ~0.1 km²)."))
    level: Literal["district", "subdistrict", "community"] | None = Field(None, description=(
        "Units of the per-unit rows (default: districts for the city, subdistricts inside a "
        "district). Subdistricts and communities need imported polygons (locator areas "
        "import); without them 'units' is empty and 'code_counts' counts stations per unit "
        "by the codes they carry."))

    @model_validator(mode="after")
    def _one_target(self) -> CoverageQuery:
        if self.radius_m is not None and self.minutes is not None:
            raise PydanticCustomError("target", "give radius_m or minutes, not both",
                                      {"param": "minutes"})
        return self


@lru_cache(maxsize=16)
def coverage_query(default_resolution: int) -> type[CoverageQuery]:
    """:class:`CoverageQuery` whose ``resolution`` defaults to ``PLANNER_RESOLUTION``."""
    return create_model(
        "CoverageQuery", __base__=CoverageQuery,
        resolution=(Whole, Field(default_resolution, ge=5, le=max(9, default_resolution),
                                 description="H3 grid resolution (default "
                                             "PLANNER_RESOLUTION, as the planner page; 8: "
                                             "cells of ~0.7 km², 9: ~0.1 km²).")))


@lru_cache(maxsize=16)
def nearest_query(max_k: int, default_k: int) -> type[NearestQuery]:
    """:class:`NearestQuery` with ``k`` bounded by ``MAX_K`` and defaulting to ``DEFAULT_K``."""
    return create_model(
        "NearestQuery", __base__=NearestQuery,
        k=(Whole, Field(default_k, ge=1, le=max_k,
                        description=f"How many stations (1–{max_k}, MAX_K)."))
    )


def parse(model: type[Q], args: MultiDict[str, str], *, now: datetime | None = None) -> Q:
    """The parameters of ``model`` from a query string, checked.

    Raises
    ------
    QueryError
        Naming the first bad parameter and its value.
    """
    values: dict[str, str] = {}
    for name, given in args.lists():
        if len(given) > 1:
            raise QueryError(name, f"parameter {name!r} given {len(given)} times; give it once")
        if given[0].strip():
            values[name] = given[0].strip()
    try:
        return model.model_validate(values, context={"now": now})
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        name = (str(error["loc"][0]) if error["loc"]
                else str((error.get("ctx") or {}).get("param", "query")))
        raise QueryError(name, _message(model, name, error, values)) from None


def _bounds(model: type[Query], name: str) -> tuple[Any, Any]:
    """A parameter's range as the spec states it (so message and spec cannot differ)."""
    for param in openapi_parameters(model):
        if param["name"] == name:
            schema = param["schema"]
            return schema.get("minimum"), schema.get("maximum")
    raise KeyError(name)


def _message(model: type[Query], name: str, error: Mapping[str, Any],
             values: Mapping[str, str]) -> str:
    """pydantic's error in the project's words: the parameter, the value, what it must be."""
    kind, text = str(error["type"]), values.get(name)
    if kind == "missing":
        return f"parameter {name!r} is required"
    if kind == "extra_forbidden":
        known = ", ".join(model.model_fields)
        return f"unknown parameter {name!r}; this endpoint takes: {known}"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        low, high = _bounds(model, name)
        return f"{name} must be between {low:g} and {high:g}, got {text!r}"
    if kind == "string_pattern_mismatch" and name == "district":
        return f"district must be a 6-digit district code such as 620102, got {text!r}"
    if kind in ("string_too_short", "string_pattern_mismatch"):
        return f"parameter {name!r} is required"
    if kind == "multiple_of":
        low, high = _bounds(model, name)
        step = error["ctx"]["multiple_of"]
        return f"{name} must be a multiple of {step:g} between {low:g} and {high:g}, got {text!r}"
    if kind in ("literal_error", "enum"):
        return f"{name} must be one of {error['ctx']['expected']}, got {text!r}"
    if kind == "string_too_long":
        return f"{name} is too long (at most {error['ctx']['max_length']} characters)"
    return str(error["msg"]).removeprefix("Value error, ")


@lru_cache(maxsize=64)
def openapi_parameters(model: type[Query]) -> list[dict[str, Any]]:
    """The OpenAPI ``parameters`` of ``model``'s query string, from its JSON Schema."""
    schema = model.model_json_schema()
    required = set(schema.get("required", ()))
    out: list[dict[str, Any]] = []
    # required first, the rest as declared, the app-wide ``lang`` last
    names = sorted(schema["properties"], key=lambda n: (n not in required, n == "lang"))
    for name in names:
        prop = dict(schema["properties"][name])
        description = prop.pop("description", "")
        prop.pop("title", None)
        if "anyOf" in prop and {"type": "null"} in prop["anyOf"]:  # optional: null not sent
            rest = [p for p in prop.pop("anyOf") if p != {"type": "null"}]
            prop.update(rest[0] if len(rest) == 1 else {"anyOf": rest})
        if prop.get("default") is None:
            prop.pop("default", None)
        param: dict[str, Any] = {"name": name, "in": "query", "required": name in required,
                                 "schema": prop, "description": description}
        if name in model.LISTS or prop.get("type") == "array":
            param.update(style="form", explode=False)
        if prop.get("default") == []:
            prop.pop("default")
        out.append(param)
    return out
