"""Row-by-row checks of a read table → valid stations plus a report of every problem of every row.

:mod:`locator.registry.records` decides what each field of a station is; this module adds
what only a table can know:

* which column is which (:mod:`.columns`: Chinese and English headers, or a mapping), and
  the file's own header in every report line;
* coordinates in the datum each row names (a ``坐标系`` column wins over the file's datum),
  converted to WGS-84 with :mod:`locator.geo.datum` (vectorised per datum), checked against
  the service area (outside it, or inside only with lat/lon swapped), full-width digits;
* administrative units and the placing of rows without coordinates (:mod:`.located`):
  spreadsheet rows with an address but no coordinates are placed by the finest unit they
  state, a row with neither is rejected; a GeoJSON/GeoPackage feature whose geometry
  is null (or a spreadsheet row whose lon/lat cells say ``unknown``, as exports write a
  news record's) says "location unknown" and is kept as such, listed but never ranked;
* ids: the file's ``编号``/``序号``, or one derived from the row's content
  (:func:`content_id`) when the file has none or the cell is blank; duplicates are
  rejected, never renumbered.

Every problem of a row is reported (not only the first), errors reject the row, warnings
keep it.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from locator import resources
from locator.areas.names import gazetteer
from locator.areas.placement import placer
from locator.areas.units import AdminUnit
from locator.errors import RegistryError
from locator.files.formulas import cell_values
from locator.files.geometry import check_geometry
from locator.files.problems import Problem, RowError
from locator.files.readers import RawRow, RawTable, open_vector_file
from locator.geo.datum import Datum, convert
from locator.model import Station
from locator.registry import vocab
from locator.registry.columns import column_map
from locator.registry.located import locate
from locator.registry.messages import row_error
from locator.registry.records import parse_id, parse_record

__all__ = ["DEFAULT_BOUNDARY", "EXAMPLE_PREFIX", "UNKNOWN_LOCATION", "Validated", "content_id",
           "load_boundary", "validate_table"]

DEFAULT_BOUNDARY = resources.lanzhou("boundaries.geojson")
#: names of the template's example rows start with this; such rows are refused
EXAMPLE_PREFIX = "示例"
_FULL_WIDTH = re.compile("[\uff10-\uff19\uff0b\uff0d\uff0e\u3000]")
#: what exports write in the lon/lat cells of a station whose location is unknown
UNKNOWN_LOCATION = "unknown"
#: formats whose rows are features: a null geometry says "location unknown" (RFC 7946), and
#: such a station is listed as unlocated; a spreadsheet row with blank coordinate cells
#: gave none, and is placed by its address or units, or rejected
_FEATURE_FORMATS = ("geojson", "gpkg")


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


def content_id(name: str, address: str, district: str = "",
               point: tuple[float, float] | None = None) -> str:
    """A stable id for a row of a file without ids: a hash of its name and address.

    Names and addresses are compared folded (:func:`~locator.registry.vocab.fold`: width,
    case, spaces and punctuation do not count), so the same station gets the same id in
    every import and in any row order. Without an address the district and the point
    (to 4 decimals, ~10 m) stand in. Correcting the name or the address makes a new id.
    """
    where = vocab.fold(address) or f"{vocab.fold(district)}@" + (
        f"{point[0]:.4f},{point[1]:.4f}" if point is not None else "")
    digest = hashlib.sha256(f"{vocab.fold(name)}|{where}".encode()).hexdigest()
    return f"auto-{digest[:12]}"


def _number(value: Any, column: str) -> float:
    if isinstance(value, bool):
        raise row_error("not_number", column, value)
    if isinstance(value, str):
        if _FULL_WIDTH.search(value):
            raise row_error("full_width_digits", column, value)
        value = value.strip()
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise row_error("not_number", column, value) from None
    if not math.isfinite(number):
        raise row_error("not_finite", column, value)
    return number


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (
        isinstance(value, float) and math.isnan(value))


def _coordinates(raw: RawRow, rec: Mapping[str, Any]) -> tuple[float, float]:
    """Lon/lat as given (declared datum); NaN, NaN when the row has no location."""
    if raw.geometry is not None:
        plain = _plain_point(raw.geometry)
        if plain is not None:
            return plain
        try:
            point = check_geometry(raw.geometry, allowed=("Point",))
        except RowError as err:
            raise row_error("bad_geometry", "geometry", err.value, detail=err.reason) from None
        return float(point.x), float(point.y)  # type: ignore[attr-defined]
    lon, lat = rec.get("lon"), rec.get("lat")
    if str(lon).strip().lower() == str(lat).strip().lower() == UNKNOWN_LOCATION:
        return math.nan, math.nan
    if isinstance(lon, float) and isinstance(lat, float) and math.isnan(lon) and math.isnan(lat):
        raise row_error("not_finite", "lon", lon)
    if _blank(lon) and _blank(lat):
        return math.nan, math.nan
    if _blank(lon):
        raise row_error("coordinate_missing", "lon", lon)
    if _blank(lat):
        raise row_error("coordinate_missing", "lat", lat)
    return _number(lon, "lon"), _number(lat, "lat")


def _plain_point(geometry: Any) -> tuple[float, float] | None:
    """A well-formed GeoJSON Point's lon/lat without building a shapely geometry (the common
    case: ~0.1 ms a row saved); ``None`` sends anything else to the full check."""
    if not isinstance(geometry, dict) or geometry.get("type") != "Point":
        return None
    coords = geometry.get("coordinates")
    if (isinstance(coords, list) and len(coords) in (2, 3)
            and all(type(c) in (int, float) and math.isfinite(c) for c in coords)):
        return float(coords[0]), float(coords[1])
    return None


@dataclass(frozen=True, slots=True)
class Validated:
    """Valid stations (WGS-84) and every problem found; ``datums`` counts the accepted rows
    whose coordinates were given in each datum, ``placed`` those placed by their address."""

    stations: tuple[Station, ...]
    problems: tuple[Problem, ...]
    rows: int
    columns: dict[str, str]
    ignored_columns: tuple[str, ...]
    datums: dict[str, int] = field(default_factory=dict)
    placed: int = 0
    station_rows: tuple[int, ...] = ()  # the row each station came from


@dataclass(slots=True)
class _Row:
    raw: RawRow
    values: dict[str, Any]
    problems: list[RowError]
    x: float
    y: float
    id: str | None
    coordinates_ok: bool
    unknown_location: bool = False  # a feature whose geometry is null: "location unknown"


def _in_range(x: Any, y: Any) -> Any:
    return (np.abs(x) <= 180.0) & (np.abs(y) <= 90.0)


def validate_table(table: RawTable, *, datum: Datum | str = Datum.WGS84,
                   boundary: BaseGeometry | None = None,
                   mapping: Mapping[str, str] | None = None,
                   progress: Callable[[int, int], None] | None = None,
                   areas: Sequence[AdminUnit] = ()) -> Validated:
    """Check every row of ``table``; convert coordinates to WGS-84.

    Parameters
    ----------
    table : RawTable
        As read by :func:`~locator.files.readers.open_vector_file`.
    datum : Datum or str
        The datum of the file's coordinates where a row does not name its own (a
        ``坐标系``/``datum`` column wins). Stations keep the datum they were given in.
    boundary : shapely geometry, optional
        The service area (WGS-84); points outside it are rejected. ``None``: no check.
    mapping : mapping, optional
        Source column → field, for columns whose names are not recognised.
    progress : callable, optional
        Called now and then with ``(rows checked, rows in all)``.
    areas : sequence of AdminUnit
        Imported subdistrict/community polygons: stations known only by their address are
        placed by the finest unit that has a polygon (districts ship with the app).
    """
    declared = Datum.parse(datum) if isinstance(datum, str) else datum
    columns, ignored = column_map(table.columns, mapping)
    header = {target: column for column, target in columns.items()}
    has_id = "id" in header
    problems: list[Problem] = []
    pending: list[_Row] = []
    gaz, where = gazetteer(), placer(areas)

    def shown(err: RowError) -> str:
        if err.column == "lonlat":
            return "/".join(header.get(c, c) for c in ("lon", "lat"))
        return header.get(err.column, err.column)

    for raw in table.rows:
        if raw.error is not None:
            column, value, reason = raw.error
            code = ("row_cells" if column == "row" else
                    "bad_feature" if column in ("feature", "properties") else "row_unreadable")
            params = ({"cells": reason.split(" ")[0], "columns": len(table.columns)}
                      if code == "row_cells" else {} if code == "bad_feature"
                      else {"detail": reason})
            problems.append(row_error(code, column, value, **params).at(table.name, raw.row))
            continue
        rec = {columns[k]: v for k, v in cell_values(raw.fields, table.format).items()
               if k in columns}
        values, found = parse_record(rec)
        station_id = parse_id(rec, found) if has_id else None  # blank: made from content
        if values["name"].startswith(EXAMPLE_PREFIX):
            found.append(row_error("example_row", "name", values["name"]))
        if _blank(rec.get("datum")):
            values["datum"] = declared
        try:
            x, y = _coordinates(raw, rec)
            ok = True
        except RowError as err:
            found.append(err)
            x = y = math.nan
            ok = False
        unknown = ok and raw.geometry is None and (
            (table.format in _FEATURE_FORMATS and _blank(rec.get("lon"))
             and _blank(rec.get("lat")))
            or str(rec.get("lon")).strip().lower() == str(rec.get("lat")).strip().lower()
            == UNKNOWN_LOCATION)
        pending.append(_Row(raw, values, found, x, y, station_id, ok, unknown))
    _convert(pending, boundary)
    seen: dict[str, int] = {}
    stations: list[Station] = []
    station_rows: list[int] = []
    datums: Counter[str] = Counter()
    placed = 0
    for i, row in enumerate(pending):
        if progress is not None and i % 1000 == 999:
            progress(i + 1, len(pending))
        row.x, row.y = locate(row.values, row.problems, row.x, row.y, gaz=gaz, where=where,
                              place=row.coordinates_ok and not row.unknown_location)
        given = row.id is not None
        if row.id is None:
            row.id = content_id(row.values["name"], row.values["address"],
                                row.values["district_code"] or "",
                                None if math.isnan(row.x) else (row.x, row.y))
        if row.id in seen:
            code = "duplicate_id" if given else "duplicate_content"
            row.problems.append(row_error(code, "id" if given else "name",
                                          row.id if given else row.values["name"],
                                          first=seen[row.id]))
        problems.extend(e.at(table.name, row.raw.row, shown(e)) for e in row.problems)
        if any(e.severity == "error" for e in row.problems):
            continue
        seen[row.id] = row.raw.row
        station = Station(id=row.id, lon=None if math.isnan(row.x) else row.x,
                          lat=None if math.isnan(row.y) else row.y, **row.values)
        stations.append(station)
        station_rows.append(row.raw.row)
        if station.geocoded:
            placed += 1
        elif station.located:
            datums[station.datum.value] += 1
    if progress is not None:
        progress(len(pending), len(pending))
    problems.sort(key=lambda p: p.row)
    return Validated(tuple(stations), tuple(problems), len(table.rows), columns, ignored,
                     dict(datums), placed, tuple(station_rows))


def _convert(rows: Sequence[_Row], boundary: BaseGeometry | None) -> None:
    """Each located row's coordinates from its datum to WGS-84 (one vectorised call per
    datum), then the range, service-area and swapped-lat/lon checks."""
    xs = np.array([r.x for r in rows], dtype=np.float64)
    ys = np.array([r.y for r in rows], dtype=np.float64)
    wx, wy, sx, sy = (np.full(len(rows), np.nan) for _ in range(4))
    kinds = np.array([r.values["datum"].value for r in rows], dtype=object)
    for name in set(kinds.tolist()):
        take = kinds == name
        source = Datum(name)
        wx[take], wy[take] = convert(xs[take], ys[take], src=source, dst=Datum.WGS84)
        sx[take], sy[take] = convert(ys[take], xs[take], src=source, dst=Datum.WGS84)
    if boundary is not None:
        inside = shapely.contains_xy(boundary, wx, wy) & _in_range(xs, ys)
        swapped = shapely.contains_xy(boundary, sx, sy) & _in_range(ys, xs)
    else:
        inside, swapped = _in_range(xs, ys), _in_range(ys, xs)
    for i, row in enumerate(rows):
        if not row.coordinates_ok or math.isnan(row.x):
            continue
        if not inside[i]:
            row.problems.append(_outside(row.x, row.y, swapped=bool(swapped[i]),
                                         area=boundary is not None))
        row.x, row.y = float(wx[i]), float(wy[i])


def _outside(x: float, y: float, *, swapped: bool, area: bool) -> RowError:
    value = f"{x:g}, {y:g}"
    if swapped:
        return row_error("swapped", "lonlat", value)
    if abs(x) > 180.0:
        return row_error("out_of_range", "lon", x, limit="180")
    if abs(y) > 90.0:
        return row_error("out_of_range", "lat", y, limit="90")
    return row_error("outside_area" if area else "not_finite", "lonlat", value)
