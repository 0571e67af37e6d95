"""Row-by-row checks of a read table → valid stations plus a report of every rejected row.

:mod:`locator.registry.records` decides what a valid station *record* is; this
module adds what only an import can know: which column is which (Chinese and
English names, or an explicit mapping), the declared datum (converted to WGS-84
here, vectorised), the service area (outside it, or inside only when lat/lon are
swapped), full-width digits, geometry validity and duplicate ids. Nothing is
dropped silently: each rejected row becomes a :class:`~locator.registry.records.Problem`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from locator import resources
from locator.errors import RegistryError
from locator.files.geometry import check_geometry
from locator.files.problems import Problem, RowError
from locator.files.readers import RawRow, RawTable, open_vector_file
from locator.geo.datum import Datum, convert
from locator.model import Station
from locator.registry.records import FIELDS, station_from_record

__all__ = ["DEFAULT_BOUNDARY", "Validated", "cell_values", "column_map", "load_boundary",
           "parse_mapping", "unquote_formula", "validate_table"]

DEFAULT_BOUNDARY = resources.lanzhou("boundaries.geojson")
TARGETS = (*FIELDS, "lon", "lat")

_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "编号", "站点编号"),
    "name": ("name", "名称", "站点名称", "驿站名称", "站名"),
    "kind": ("kind", "type", "类型", "类别", "站点类型"),
    "lon": ("lon", "lng", "long", "longitude", "x", "经度"),
    "lat": ("lat", "latitude", "y", "纬度"),
    "address": ("address", "地址", "详细地址"),
    "opening_hours": ("opening_hours", "hours", "开放时间", "营业时间"),
    "amenities": ("amenities", "设施", "服务设施", "服务内容"),
    "entry": ("entry", "进入方式"),
    "note": ("note", "notes", "备注"),
    "source": ("source", "来源"),
    "datum": ("datum", "坐标系"),
    "district_code": ("district_code", "区县代码"),
    "subdistrict_code": ("subdistrict_code", "街道代码"),
    "community_code": ("community_code", "社区代码"),
    "precision_m": ("precision_m", "精度", "精度米"),
    "verified": ("verified", "核实日期"),
    "synthetic": ("synthetic", "演示"),
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: the formats whose text cells export neutralises (and import unquotes); GeoJSON and
#: GeoPackage values are never run by a spreadsheet, so they are written and read as they are
SPREADSHEET_FORMATS = ("csv", "xlsx")
_FULL_WIDTH = re.compile("[\uff10-\uff19\uff0b\uff0d\uff0e\u3000]")


def _key(header: str) -> str:
    text = re.sub(r"[(（\[【].*?[)）\]】]", "", str(header)).strip().lower()
    return re.sub(r"[\s_\-]", "", text)


_LOOKUP = {_key(alias): target for target, names in _ALIASES.items() for alias in names}


def parse_mapping(text: str | None) -> dict[str, str]:
    """``"名字=name,X坐标=lon"`` → ``{"名字": "name", "X坐标": "lon"}`` (source column → field).

    Raises
    ------
    RegistryError
        When an item is not ``column=field`` or names an unknown field.
    """
    mapping: dict[str, str] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        column, sep, target = item.partition("=")
        if not sep or not column.strip() or target.strip() not in TARGETS:
            raise RegistryError(f"bad mapping item {item!r}: use column=field with a field "
                                f"among {', '.join(TARGETS)}")
        mapping[column.strip()] = target.strip()
    return mapping


def column_map(columns: Sequence[str], mapping: Mapping[str, str] | None = None
               ) -> tuple[dict[str, str], tuple[str, ...]]:
    """Which source column feeds which field, and which columns are ignored.

    Explicit ``mapping`` entries (source column → field) win over recognised names.

    Raises
    ------
    RegistryError
        When a mapped column is absent or two columns feed the same field.
    """
    explicit = dict(mapping or {})
    missing = [c for c in explicit if c not in columns]
    if missing:
        raise RegistryError(f"mapping names columns the file lacks: {missing}; "
                            f"columns are {list(columns)}")
    result: dict[str, str] = {}
    ignored: list[str] = []
    for column in columns:
        target = explicit.get(column) or (None if column in explicit else _LOOKUP.get(_key(column)))
        if target is None or (column not in explicit and target in explicit.values()):
            ignored.append(column)
            continue
        taken = [c for c, t in result.items() if t == target]
        if taken:
            raise RegistryError(f"columns {taken[0]!r} and {column!r} both map to {target!r}; "
                                "give a mapping to choose one")
        result[column] = target
    return result, tuple(ignored)


@lru_cache(maxsize=8)
def load_boundary(path: str) -> BaseGeometry:
    """The union of every polygon in a boundary GeoJSON file (WGS-84), prepared for tests."""
    table = open_vector_file(path, allowed=("geojson", "gpkg"))
    parts = [check_geometry(r.geometry, allowed=("Polygon", "MultiPolygon")) for r in table.rows]
    if not parts:
        raise RegistryError(f"boundary file {path!r} holds no polygons")
    area = shapely.union_all(parts)
    shapely.prepare(area)
    return area


def _number(value: Any, column: str) -> float:
    if isinstance(value, bool):
        raise RowError(column, value, "must be a number")
    if isinstance(value, str):
        if _FULL_WIDTH.search(value):
            raise RowError(column, value, "full-width characters in a number; retype it "
                                          "with ASCII digits 0-9")
        value = value.strip()
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RowError(column, value, "must be a number") from None
    if not math.isfinite(number):
        raise RowError(column, value, "must be finite")
    return number


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (
        isinstance(value, float) and math.isnan(value) and not isinstance(value, bool))


def _coordinates(raw: RawRow, rec: Mapping[str, Any]) -> tuple[float, float]:
    """Lon/lat as given (declared datum); NaN, NaN when the row has no location."""
    if raw.geometry is not None:
        point = check_geometry(raw.geometry, allowed=("Point",))
        return float(point.x), float(point.y)  # type: ignore[attr-defined]
    lon, lat = rec.get("lon"), rec.get("lat")
    if isinstance(lon, float) and isinstance(lat, float) and math.isnan(lon) and math.isnan(lat):
        raise RowError("lon", lon, "must be finite")
    if _blank(lon) and _blank(lat):
        return math.nan, math.nan
    if _blank(lon):
        raise RowError("lon", lon, "is missing")
    if _blank(lat):
        raise RowError("lat", lat, "is missing")
    return _number(lon, "lon"), _number(lat, "lat")


@dataclass(frozen=True, slots=True)
class Validated:
    """Valid stations (WGS-84) and a problem for every rejected row."""

    stations: tuple[Station, ...]
    problems: tuple[Problem, ...]
    rows: int
    columns: dict[str, str]
    ignored_columns: tuple[str, ...]


def _in_range(x: Any, y: Any) -> Any:
    return (np.abs(x) <= 180.0) & (np.abs(y) <= 90.0)


def validate_table(table: RawTable, *, datum: Datum | str = Datum.WGS84,
                   boundary: BaseGeometry | None = None,
                   mapping: Mapping[str, str] | None = None,
                   progress: Callable[[int, int], None] | None = None) -> Validated:
    """Check every row of ``table``; convert coordinates from ``datum`` to WGS-84.

    Parameters
    ----------
    table : RawTable
        As read by :func:`~locator.files.readers.open_vector_file`.
    datum : Datum or str
        The datum the file's coordinates are in. Stations keep it as their ``datum``
        (a WGS-84 import keeps a row's own ``datum`` column as provenance).
    boundary : shapely geometry, optional
        The service area (WGS-84); points outside it are rejected. ``None``: no check.
    mapping : mapping, optional
        Source column → field, for columns whose names are not recognised.
    progress : callable, optional
        Called now and then with ``(rows checked, rows in all)``.
    """
    declared = Datum.parse(datum) if isinstance(datum, str) else datum
    columns, ignored = column_map(table.columns, mapping)
    problems: list[Problem] = []
    pending: list[tuple[RawRow, dict[str, Any], float, float]] = []

    def reject(raw: RawRow, err: RowError) -> None:
        problems.append(err.at(table.name, raw.row))

    for raw in table.rows:
        if raw.error is not None:
            reject(raw, RowError(*raw.error))
            continue
        fields = cell_values(raw.fields, table.format)
        rec = {columns[k]: v for k, v in fields.items() if k in columns}
        try:
            x, y = _coordinates(raw, rec)
        except RowError as err:
            reject(raw, err)
            continue
        pending.append((raw, rec, x, y))
    xs = np.array([p[2] for p in pending], dtype=np.float64)
    ys = np.array([p[3] for p in pending], dtype=np.float64)
    wx, wy = convert(xs, ys, src=declared, dst=Datum.WGS84)
    sx, sy = convert(ys, xs, src=declared, dst=Datum.WGS84)
    if boundary is not None:
        inside = shapely.contains_xy(boundary, wx, wy) & _in_range(xs, ys)
        inside_swapped = shapely.contains_xy(boundary, sx, sy) & _in_range(ys, xs)
    else:
        inside = _in_range(xs, ys)
        inside_swapped = _in_range(ys, xs)
    seen: dict[str, int] = {}
    stations: list[Station] = []
    for i, (raw, rec, x, y) in enumerate(pending):
        if progress is not None and i % 1000 == 999:
            progress(i + 1, len(pending))
        try:
            located = not math.isnan(x)
            if located and not inside[i]:
                _outside(x, y, swapped=bool(inside_swapped[i]), area=boundary is not None)
            if declared is not Datum.WGS84:
                rec["datum"] = declared.value
            station = station_from_record(rec, lon=float(wx[i]) if located else None,
                                          lat=float(wy[i]) if located else None)
            if station.id in seen:
                raise RowError("id", station.id, f"duplicate id (first seen in row "
                                                 f"{seen[station.id]})")
        except RowError as err:
            reject(raw, err)
            continue
        seen[station.id] = raw.row
        stations.append(station)
    if progress is not None:
        progress(len(pending), len(pending))
    problems.sort(key=lambda p: p.row)
    return Validated(tuple(stations), tuple(problems), len(table.rows), columns, ignored)


def neutralise(value: Any) -> Any:
    """Text a spreadsheet could execute gets a leading ``'``; other values pass through.

    So does text that already starts with ``'`` and a formula character, so that
    :func:`unquote_formula` can tell the two apart.
    """
    if not isinstance(value, str) or not value:
        return value
    if value[0] in FORMULA_START or (value[0] == "'" and value[1:2] in FORMULA_START):
        return "'" + value
    return value


def cell_values(fields: Mapping[str, Any], fmt: str) -> dict[str, Any]:
    """A row's values as exported: formula guards removed from spreadsheet (CSV/XLSX) cells,
    every other format's values as they are."""
    if fmt in SPREADSHEET_FORMATS:
        return {k: unquote_formula(v) for k, v in fields.items()}
    return dict(fields)


def unquote_formula(value: Any) -> Any:
    """Undo :func:`neutralise` exactly: ``'=x`` → ``=x``, ``''=x`` → ``'=x``, other text as is.

    A ``'`` is removed only where :func:`neutralise` would have added it, so any text
    survives export and re-import unchanged.
    """
    if isinstance(value, str) and value.startswith("'") and neutralise(value[1:]) == value:
        return value[1:]
    return value


def _outside(x: float, y: float, *, swapped: bool, area: bool) -> None:
    value = f"lon={x:g}, lat={y:g}"
    if swapped:
        raise RowError("lat", value, "lon and lat look swapped: the point lies in the "
                                     "service area only with them exchanged")
    if abs(x) > 180.0:
        raise RowError("lon", x, "out of range ±180")
    if abs(y) > 90.0:
        raise RowError("lat", y, "out of range ±90")
    if area:
        raise RowError("lon", value, "outside the service area")
