"""Planner input files: candidate sites and demand (population) points.

Both are point files read with the registry's safe readers
(:func:`locator.files.readers.open_vector_file`: GeoJSON, CSV, XLSX, GeoPackage,
never handed to GDAL) in a declared datum converted by :mod:`locator.geo.datum`. Bad rows
are collected as :class:`~locator.registry.records.Problem` (file, row, column, value,
reason) and never dropped silently.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from locator.files.problems import Problem
from locator.files.readers import RawRow, open_vector_file
from locator.geo.datum import Datum, convert
from locator.planning.coverage import Grid
from locator.planning.siting import Candidate

__all__ = ["PointRows", "demand_per_cell", "read_candidates", "read_points"]

_LON = ("lon", "lng", "long", "longitude", "x", "经度")
_LAT = ("lat", "latitude", "y", "纬度")
_NAME = ("name", "名称", "名字")
_ID = ("id", "编号")
_WEIGHT = ("population", "people", "weight", "demand", "pop", "人口", "人数", "权重")


def _key(text: str) -> str:
    return re.sub(r"[\s_\-]|[(（\[【].*?[)）\]】]", "", str(text)).lower()


def _pick(fields: dict[str, Any], names: tuple[str, ...]) -> tuple[str, Any] | None:
    wanted = {_key(n) for n in names}
    for column, value in fields.items():
        if _key(column) in wanted:
            return column, value
    return None


@dataclass(frozen=True, slots=True)
class PointRows:
    """Accepted points (WGS-84), their fields, and every rejected row."""

    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    rows: tuple[dict[str, Any], ...]
    problems: tuple[Problem, ...]


def _number(value: Any) -> float:
    return float(str(value).strip()) if not isinstance(value, int | float) else float(value)


def _point(raw: RawRow) -> tuple[float, float]:
    geom = raw.geometry
    if isinstance(geom, dict):
        coords = geom.get("coordinates")
        if geom.get("type") != "Point" or not isinstance(coords, list) or len(coords) < 2:
            raise ValueError(f"geometry must be a Point, got {geom.get('type')!r}")
        return _number(coords[0]), _number(coords[1])
    x, y = _pick(raw.fields, _LON), _pick(raw.fields, _LAT)
    if x is None or y is None:
        raise ValueError("no longitude/latitude columns (lon/lat, 经度/纬度)")
    return _number(x[1]), _number(y[1])


def read_points(source: str | os.PathLike[str] | bytes, *, datum: Datum | str = Datum.WGS84,
                weight: bool = False, name: str | None = None) -> PointRows:
    """Points of a file, converted to WGS-84, with a per-row report of the rejected ones.

    With ``weight`` each row needs a non-negative number in a population column
    (``population``, ``people``, ``weight``, ``demand``, ``人口``, ``人数``), kept as
    ``"weight"`` in the row dict.

    Raises
    ------
    RegistryError
        When the file cannot be read at all (unsafe path, unknown format, garbage).
    """
    table = open_vector_file(source, name=name)
    xs: list[float] = []
    ys: list[float] = []
    kept: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for raw in table.rows:
        bad = raw.problem(table.name)
        if bad is not None:
            problems.append(bad)
            continue
        try:
            x, y = _point(raw)
            if not (math.isfinite(x) and math.isfinite(y) and -180 <= x <= 180
                    and -90 <= y <= 90):
                raise ValueError(f"coordinates out of range, got ({x!r}, {y!r})")
            row = dict(raw.fields)
            if weight:
                w = _pick(raw.fields, _WEIGHT)
                if w is None:
                    raise ValueError("no population column (population, people, weight, 人口)")
                row["weight"] = _number(w[1])
                if not (math.isfinite(row["weight"]) and row["weight"] >= 0):
                    raise ValueError(f"population must be a number >= 0, got {w[1]!r}")
        except (ValueError, TypeError) as exc:
            problems.append(Problem(table.name, raw.row, None, "", str(exc)))
            continue
        xs.append(x)
        ys.append(y)
        kept.append(row)
    lon, lat = convert(np.array(xs, dtype=np.float64), np.array(ys, dtype=np.float64),
                       src=datum, dst=Datum.WGS84)
    return PointRows(lon, lat, tuple(kept), tuple(problems))


def read_candidates(source: str | os.PathLike[str] | bytes, *,
                    datum: Datum | str = Datum.WGS84,
                    name: str | None = None) -> tuple[list[Candidate], tuple[Problem, ...]]:
    """Candidate sites of a file (``id``, ``name`` optional) and the rejected rows."""
    pts = read_points(source, datum=datum, name=name)
    out = []
    for i, (x, y, row) in enumerate(zip(pts.lon, pts.lat, pts.rows, strict=True), start=1):
        ident, label = _pick(row, _ID), _pick(row, _NAME)
        out.append(Candidate(str(ident[1]) if ident else str(i),
                             str(label[1]) if label and label[1] is not None else "",
                             float(x), float(y)))
    return out, pts.problems


def demand_per_cell(lon: NDArray[np.float64], lat: NDArray[np.float64],
                    weights: NDArray[np.float64], grid: Grid
                    ) -> tuple[NDArray[np.float64], float]:
    """People per grid cell from weighted points, and the people outside the grid."""
    pos = grid.locate(grid.cells_of(lon, lat))
    inside = pos >= 0
    per_cell = np.bincount(pos[inside], weights=weights[inside], minlength=len(grid))
    return per_cell.astype(np.float64), float(weights[~inside].sum())
