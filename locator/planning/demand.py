"""Demand layers: where the people are, as people per cell of a planner's grid.

Three kinds of file give a layer (:func:`read_demand`):

* ``raster`` — a population GeoTIFF (WorldPop's 100 m grid, a census grid…) in any CRS
  pyproj knows. Each pixel's people go to the H3 cell holding the pixel's centre, so the
  cells add up to the raster exactly (no pixel is counted twice or lost inside the grid);
  pixels larger than a quarter of a cell are first split into equal sub-pixels so a
  coarse (1 km) grid is spread, not dumped on one cell. ``bench/planner.py`` measures this
  beside ``exactextract`` zonal sums over the cell polygons.
* ``units`` — people per administrative unit (CSV/XLSX: a code or name column and a
  population column), matched like imported areas (:func:`locator.areas.imports.match_unit`)
  and spread over the unit's cells in proportion to their area.
* ``points`` — points with a population column (:func:`locator.planning.inputs.read_points`).

The raster is read by GDAL (rasterio) from memory only, after the bytes are checked to be
a TIFF, with GDAL told to look at no other file and no network (``SECURITY.md``); its
window over the planning area must stay under :data:`MAX_PIXELS`.
A layer keeps what it read; its people per cell are worked out once per grid.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pyproj import CRS, Transformer

from locator.areas.imports import match_unit
from locator.areas.units import AdminUnit, admin_names, unit_code
from locator.errors import RegistryError
from locator.files.problems import Problem, RowError, shown_value
from locator.files.readers import open_vector_file, read_source
from locator.geo.datum import Datum
from locator.planning.coverage import Grid, assign_units
from locator.planning.inputs import demand_per_cell, read_points

__all__ = ["KINDS", "MAX_PIXELS", "DemandLayer", "guess_kind", "read_demand"]

KINDS = ("raster", "units", "points")
MAX_PIXELS = 40_000_000  #: largest raster window read (float32: 160 MB)
_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
#: GDAL may look at no sibling file, no network and write no side file
_GDAL_ENV = {"GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR", "GDAL_PAM_ENABLED": "NO",
             "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".none", "GDAL_HTTP_MAX_RETRY": "0",
             "GTIFF_IGNORE_READ_ERRORS": "NO"}
_CODE = ("code", "代码", "编码", "区划代码", "行政区划代码", "adcode", "unit_code")
_NAME = ("name", "名称", "name_zh", "单位", "区县", "区县名称", "街道", "街道名称", "社区",
         "社区名称", "乡镇", "地区", "行政区", "区划名称", "unit")
_PEOPLE = ("population", "people", "pop", "人口", "常住人口", "人数", "户籍人口")
_UNIT = re.compile(r"\s+|[(（\[【].*?[)）\]】]")


@dataclass(eq=False)
class DemandLayer:
    """People from one file, ready to be spread onto any grid.

    ``total`` is the people the file holds (for a raster: inside the window read);
    ``problems`` the rows refused. Only one of the kind's fields is filled.
    """

    kind: str
    name: str
    total: float
    problems: tuple[Problem, ...] = ()
    level: str = ""
    notes: tuple[str, ...] = ()
    # raster: values (0 where no data), affine (a, b, c, d, e, f) and CRS (WKT)
    values: NDArray[np.float32] | None = None
    affine: tuple[float, ...] = ()
    crs: str = ""
    # units: (code, people) per matched row
    units: tuple[tuple[str, float], ...] = ()
    # points
    lon: NDArray[np.float64] | None = None
    lat: NDArray[np.float64] | None = None
    weight: NDArray[np.float64] | None = None
    _cells: dict[tuple[Any, ...], tuple[Grid, NDArray[np.float64], float]] = field(
        default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def per_cell(self, grid: Grid, units: Sequence[AdminUnit] = ()
                 ) -> tuple[NDArray[np.float64], float]:
        """People in each cell of ``grid`` and the people of the layer outside it.

        ``units`` are the polygons of the layer's level (``kind == "units"`` only); a
        unit without a polygon among them counts as outside.
        """
        key = (id(grid), tuple(u.code for u in units))
        with self._lock:
            hit = self._cells.get(key)
        if hit is not None and hit[0] is grid:
            return hit[1], hit[2]
        if self.kind == "raster":
            people = _raster_cells(self, grid)
        elif self.kind == "units":
            people = _unit_cells(self, grid, units)
        else:
            people = _point_cells(self, grid)
        people.setflags(write=False)
        outside = max(self.total - float(people.sum()), 0.0)
        with self._lock:
            if len(self._cells) >= 8:
                self._cells.pop(next(iter(self._cells)))
            self._cells[key] = (grid, people, outside)
        return people, outside


def guess_kind(data: bytes) -> str:
    """``raster`` for TIFF bytes, else ``points`` when the header has lon/lat, else ``units``."""
    if data[:4] in _TIFF_MAGIC:
        return "raster"
    head = data[:4096].decode("utf-8", "replace").lower()
    if any(k in head for k in ("lon", "lng", "经度", '"point"')):
        return "points"
    return "units"


def read_demand(source: Any, *, kind: str | None = None, name: str | None = None,
                level: str = "district", datum: Datum | str = Datum.WGS84,
                bbox: tuple[float, float, float, float] | None = None,
                max_bytes: int = 64 * 1024 * 1024) -> DemandLayer:
    """Read a demand file of ``kind`` (guessed from the content when ``None``).

    Parameters
    ----------
    source : path or bytes
        The file (a local path or uploaded bytes).
    kind : {"raster", "units", "points"}, optional
    name : str, optional
        The name shown in messages.
    level : {"district", "subdistrict", "community"}
        The units a ``units`` table names.
    datum : Datum or str
        Of a ``points`` file's coordinates.
    bbox : (west, south, east, north), optional
        WGS-84 window of a raster to read (default: the whole raster).
    max_bytes : int
        Larger files are refused.

    Raises
    ------
    RegistryError
        When the file cannot be read at all, or no row or pixel gives people.
    """
    data, shown = read_source(source, max_bytes=max_bytes, name=name)
    kind = kind or guess_kind(data)
    if kind not in KINDS:
        raise RegistryError(f"demand kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if kind == "raster":
        layer = _read_raster(data, shown, bbox)
    elif kind == "units":
        layer = _read_units(data, shown, level)
    else:
        pts = read_points(data, datum=datum, weight=True, name=shown)
        w = np.array([r["weight"] for r in pts.rows], dtype=np.float64)
        layer = DemandLayer("points", shown, float(w.sum()), pts.problems, lon=pts.lon,
                            lat=pts.lat, weight=w)
    if not layer.total > 0:
        first = f"; first: {layer.problems[0]}" if layer.problems else ""
        raise RegistryError(f"{shown}: no people in this file (every value is 0, empty or "
                            f"refused: {len(layer.problems)} rows refused{first})", file=shown)
    return layer


# --- rasters ----------------------------------------------------------------------------


def _read_raster(data: bytes, name: str, bbox: tuple[float, float, float, float] | None
                 ) -> DemandLayer:
    if data[:4] not in _TIFF_MAGIC:
        raise RegistryError(f"{name}: a population raster must be a GeoTIFF (the file does "
                            f"not start like a TIFF)", file=name)
    import rasterio
    from rasterio.errors import RasterioError
    from rasterio.windows import Window, from_bounds

    try:
        with rasterio.Env(**_GDAL_ENV), rasterio.MemoryFile(data) as mem, \
                mem.open(driver="GTiff") as ds:
            if ds.crs is None:
                raise RegistryError(f"{name}: the raster has no coordinate reference system",
                                    file=name)
            crs = CRS.from_user_input(ds.crs.to_wkt())
            whole = Window(0, 0, ds.width, ds.height)
            window = whole
            if bbox is not None:
                west, south, east, north = _bounds_in(crs, bbox)
                exact = from_bounds(west, south, east, north, transform=ds.transform)
                col, row = math.floor(exact.col_off), math.floor(exact.row_off)
                window = Window(col, row, math.ceil(exact.col_off + exact.width) - col,
                                math.ceil(exact.row_off + exact.height) - row)
                window = window.intersection(whole) if _overlaps(window, whole) else None
            if window is None or window.width * window.height == 0:
                raise RegistryError(f"{name}: the raster does not cover the planning area",
                                    file=name)
            if window.width * window.height > MAX_PIXELS:
                raise RegistryError(f"{name}: {int(window.width * window.height):,} pixels "
                                    f"over the area; at most {MAX_PIXELS:,} are read (clip the "
                                    f"raster to the city first)", file=name)
            band = ds.read(1, window=window, masked=True)
            a, b, c, d, e, f = tuple(ds.transform)[:6]  # the window's own transform:
            col, row = window.col_off, window.row_off  # (affine's * operator is deprecated)
            affine = (a, b, c + a * col + b * row, d, e, f + d * col + e * row)
    except RasterioError as exc:
        raise RegistryError(f"{name}: not a readable GeoTIFF ({exc})", file=name) from None
    values = np.ma.filled(band.astype(np.float64), np.nan)
    bad = np.isfinite(values) & (values < 0)
    if bad.any():
        r, c = (int(v[0]) for v in np.nonzero(bad))
        raise RegistryError(f"{name}: population must be >= 0, got {float(values[r, c])!r} at "
                            f"pixel "
                            f"row {r + 1}, column {c + 1} of the area read", file=name)
    values = np.where(np.isfinite(values), values, 0.0).astype(np.float32)
    return DemandLayer("raster", name, float(values.sum(dtype=np.float64)), values=values,
                       affine=affine, crs=crs.to_wkt())


def _overlaps(a: Any, b: Any) -> bool:
    return bool(a.col_off < b.col_off + b.width and b.col_off < a.col_off + a.width
                and a.row_off < b.row_off + b.height and b.row_off < a.row_off + a.height)


def _bounds_in(crs: CRS, bbox: tuple[float, float, float, float]
               ) -> tuple[float, float, float, float]:
    if crs.equals(CRS.from_epsg(4326), ignore_axis_order=True):
        return bbox
    to = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    west, south, east, north = to.transform_bounds(*bbox, densify_pts=21)
    return float(west), float(south), float(east), float(north)


def _raster_cells(layer: DemandLayer, grid: Grid) -> NDArray[np.float64]:
    values = layer.values
    if values is None:
        raise ValueError("a raster layer needs its values")
    a, b, c, d, e, f = layer.affine
    rows, cols = np.nonzero(values > 0)
    people = values[rows, cols].astype(np.float64)
    crs = CRS.from_wkt(layer.crs)
    geographic = crs.equals(CRS.from_epsg(4326), ignore_axis_order=True)
    split = _split(layer, grid, geographic)
    offsets = (np.arange(split) + 0.5) / split
    du, dv = (g.ravel() for g in np.meshgrid(offsets, offsets))
    x = c + a * (cols[:, None] + du) + b * (rows[:, None] + dv)
    y = f + d * (cols[:, None] + du) + e * (rows[:, None] + dv)
    share = np.repeat(people / (split * split), split * split)
    x, y = x.ravel(), y.ravel()
    if not geographic:
        x, y = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(x, y)
        x, y = np.asarray(x), np.asarray(y)
    near = ((x >= grid.lon.min() - 0.01) & (x <= grid.lon.max() + 0.01)
            & (y >= grid.lat.min() - 0.01) & (y <= grid.lat.max() + 0.01))
    pos = grid.locate(grid.cells_of(x[near], y[near]))
    inside = pos >= 0
    return np.bincount(pos[inside], weights=share[near][inside], minlength=len(grid)
                       ).astype(np.float64)


def _split(layer: DemandLayer, grid: Grid, geographic: bool) -> int:
    """Sub-pixels per side so that no piece is larger than a quarter of a cell."""
    a, b, _, d, e, _ = layer.affine
    w, h = math.hypot(a, d), math.hypot(b, e)
    if geographic:  # degrees → metres at the grid's latitude
        lat = math.radians(float(np.mean(grid.lat)) if len(grid) else 0.0)
        w, h = w * 111_320.0 * math.cos(lat), h * 110_574.0
    cell = float(np.median(grid.area_m2)) if len(grid) else 1.0
    return max(1, min(16, math.ceil(math.sqrt(4.0 * w * h / cell))))


# --- people per unit ----------------------------------------------------------------------


def _read_units(data: bytes, name: str, level: str) -> DemandLayer:
    table = open_vector_file(data, name=name, allowed=("csv", "xlsx", "geojson"))
    known = admin_names()
    found: dict[str, float] = {}
    problems: list[Problem] = []
    for raw in table.rows:
        bad = raw.problem(table.name)
        if bad is not None:
            problems.append(bad)
            continue
        fields = raw.fields
        try:
            pcol, pval = _column(fields, _PEOPLE)
            if not pcol:
                raise RowError("population", None, "no population column (人口, population)")
            people = _people(pcol, pval)
            ccol, code = _column(fields, _CODE)
            ncol, label = _column(fields, _NAME)
            try:
                unit, _ = match_unit(level, code=code, name=label, known=known)
            except RowError as exc:
                column = ccol if exc.column == "code" else (ncol or exc.column)
                raise RowError(column, exc.value, exc.reason) from None
            key = unit_code(unit)
            if key in found:
                raise RowError(ncol or ccol, label if label is not None else code,
                               f"{unit.name} ({key}) is listed twice")
            found[key] = people
        except RowError as exc:
            problems.append(exc.at(table.name, raw.row))
    rows = tuple(found.items())
    return DemandLayer("units", name, float(sum(found.values())), tuple(problems),
                       level=level, units=rows)


def _column(fields: dict[str, Any], names: tuple[str, ...]) -> tuple[str, Any]:
    """The first column whose header, without spaces and a bracketed unit (``人口（万人）``),
    is one of ``names``."""
    keys = {_UNIT.sub("", str(k)).strip().lower(): k for k in fields}
    for n in names:
        if n in keys:
            return str(keys[n]), fields[keys[n]]
    return "", None


def _people(column: str, value: Any) -> float:
    """People in a cell, scaled when the header says 万 (ten thousands): ``人口（万人）``."""
    text = str(value).strip().replace(",", "") if value is not None else ""
    try:
        number = float(text) if not isinstance(value, int | float) else float(value)
    except ValueError:
        raise RowError(column, value, f"population must be a number, got {shown_value(value)}"
                       ) from None
    if not (math.isfinite(number) and number >= 0):
        raise RowError(column, value, f"population must be a number >= 0, got {value!r}")
    unit = _UNIT.search(column)
    return number * 10_000 if unit and "万" in unit.group(0) else number


def _unit_cells(layer: DemandLayer, grid: Grid, units: Sequence[AdminUnit]
                ) -> NDArray[np.float64]:
    label = assign_units(grid, units)
    people = np.zeros(len(grid), dtype=np.float64)
    wanted = dict(layer.units)
    inside = label >= 0
    area = np.bincount(label[inside], weights=grid.area_m2[inside], minlength=len(units))
    per_unit = np.array([wanted.get(u.code, 0.0) for u in units], dtype=np.float64)
    density = np.divide(per_unit, area, out=np.zeros_like(per_unit), where=area > 0)
    people[inside] = density[label[inside]] * grid.area_m2[inside]
    return people


def _point_cells(layer: DemandLayer, grid: Grid) -> NDArray[np.float64]:
    lon, lat, weight = layer.lon, layer.lat, layer.weight
    if lon is None or lat is None or weight is None:
        raise ValueError("a points layer needs lon, lat and weight")
    return demand_per_cell(lon, lat, weight, grid)[0]
