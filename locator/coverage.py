"""Coverage engine: an H3 grid over an area, the distance from each cell to the nearest station.

The area (the city or one district) is filled with H3 cells (``h3`` v4) whose centres
lie inside it; resolution 9 (cells of about 0.1 km², centres ~300 m apart) is the
default. For every cell centre a *nearest function* gives the nearest station and its
distance in metres; a cell is **covered** when that distance is within the target:
a radius in metres, or walking / e-bike minutes turned into metres by the
:class:`~locator.travel.TravelModel` (minutes × speed ÷ detour factor).

The nearest function is pluggable (:class:`NearestFn`): the default,
:func:`straight_line`, is the geodesic distance from
:meth:`locator.nearest.NearestIndex.nearest_distance`; a road-network function
returning route metres can replace it without touching anything else (give it a
``TravelModel(detour_factor=1)`` then, as route metres need no detour).

Areas are the cells' own areas in m² (``h3.cell_area``, exact on the authalic sphere),
never degrees. The grid depends only on the boundary and the resolution, so it is
cached: pages and the API do not rebuild it per request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import h3
import numpy as np
from h3.api import numpy_int as h3n
from numpy.typing import NDArray
from shapely.geometry import GeometryCollection
from shapely.geometry.base import BaseGeometry

from locator.model import Station
from locator.nearest import Filters, NearestIndex
from locator.travel import TravelModel
from locator.units import (
    AdminUnit,
    Boundaries,
    CodeCount,
    at_level,
    code_counts,
    load_boundaries,
)

__all__ = ["DISTANCE_CLASSES", "Coverage", "Grid", "NearestFn", "UnitRow", "assign_units",
           "compute", "counted_stations", "distance_class", "grid_for", "listed_stations",
           "station_cells", "straight_line", "summary", "threshold_metres", "unit_table"]

DEFAULT_RESOLUTION = 9
DISTANCE_CLASSES = (500.0, 1000.0, 2000.0, 5000.0)  # upper bounds (m) of classes 0..3; 4 beyond
Mode = Literal["walk", "ebike"]


class NearestFn(Protocol):
    """For many points (WGS-84 arrays), the nearest station's index and the distance in metres.

    Points with no reachable station get index ``-1`` and ``inf``.
    """

    def __call__(self, lon: NDArray[np.float64], lat: NDArray[np.float64]
                 ) -> tuple[NDArray[np.intp], NDArray[np.float64]]: ...


def straight_line(index: NearestIndex, filters: Filters | None = None) -> NearestFn:
    """The default nearest function: geodesic metres to the nearest (matching) station."""
    def nearest(lon: NDArray[np.float64], lat: NDArray[np.float64]
                ) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        return index.nearest_distance(lon, lat, filters=filters)
    return nearest


@dataclass(frozen=True, slots=True, eq=False)
class Grid:
    """H3 cells whose centres lie in an area: ids (sorted), centres and areas in m²."""

    resolution: int
    cells: NDArray[np.uint64]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    area_m2: NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.cells.size)

    def locate(self, cells: NDArray[np.uint64]) -> NDArray[np.intp]:
        """Positions of ``cells`` in the grid, ``-1`` for cells not in it."""
        pos = np.searchsorted(self.cells, cells)
        pos = np.minimum(pos, max(len(self) - 1, 0))
        hit = (self.cells[pos] == cells) if len(self) else np.zeros(cells.shape, bool)
        return np.where(hit, pos, -1).astype(np.intp)

    def cells_of(self, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.uint64]:
        """The H3 cells (at the grid's resolution) containing WGS-84 points."""
        return np.fromiter((h3n.latlng_to_cell(float(y), float(x), self.resolution)
                            for x, y in zip(lon, lat, strict=True)),
                           dtype=np.uint64, count=len(lon))


def _check_resolution(resolution: int) -> int:
    if isinstance(resolution, bool) or not isinstance(resolution, int) \
            or not 0 <= resolution <= 12:
        raise ValueError(f"resolution must be an integer 0-12, got {resolution!r}")
    return resolution


def _fill(geometry: BaseGeometry, resolution: int) -> NDArray[np.uint64]:
    shape = h3.geo_to_h3shape(geometry.__geo_interface__)
    return np.unique(np.asarray(h3n.h3shape_to_cells(shape, resolution), dtype=np.uint64))


_OUTSIDE = AdminUnit("", "", "outside", GeometryCollection())  # cells in no unit
_GRIDS: dict[tuple[bytes, int], Grid] = {}
_LABELS: dict[tuple[int, tuple[tuple[str, str, bytes], ...]],
              tuple[Grid, NDArray[np.intp]]] = {}
_CACHE_SIZE = 16


def _remember(cache: dict[Any, Any], key: Any, value: Any) -> None:
    if len(cache) >= _CACHE_SIZE:
        cache.pop(next(iter(cache)))
    cache[key] = value


def build_grid(geometry: BaseGeometry, resolution: int = DEFAULT_RESOLUTION) -> Grid:
    """Cells whose centres lie in ``geometry`` (WGS-84 polygon), cached per geometry + resolution.

    Raises
    ------
    ValueError
        For a resolution outside 0–12.
    """
    key = (geometry.wkb, _check_resolution(resolution))
    if key not in _GRIDS:
        cells = _fill(geometry, resolution)
        ll = np.array([h3n.cell_to_latlng(c) for c in cells], dtype=np.float64).reshape(-1, 2)
        area = np.fromiter((h3n.cell_area(c, "m^2") for c in cells), dtype=np.float64,
                           count=cells.size)
        _remember(_GRIDS, key, Grid(resolution, cells, ll[:, 1].copy(), ll[:, 0].copy(), area))
    return _GRIDS[key]


def grid_for(boundaries: Boundaries, resolution: int = DEFAULT_RESOLUTION) -> Grid:
    """The (cached) grid over the planning area of ``boundaries``."""
    return build_grid(boundaries.area.geometry, resolution)


def assign_units(grid: Grid, units: Sequence[AdminUnit]) -> NDArray[np.intp]:
    """For each cell, the position in ``units`` of the unit holding its centre; ``-1`` if none.

    Uses the same centre-in-polygon rule as the grid itself, so a unit's cells are
    exactly the cells its own grid would have; where units overlap the first wins.
    """
    # keyed by the shapes too: re-imported polygons keep their codes but not their cells
    key = (id(grid), tuple((u.code, u.level, u.geometry.wkb) for u in units))
    cached = _LABELS.get(key)
    if cached is not None and cached[0] is grid:
        return cached[1]
    label = np.full(len(grid), -1, dtype=np.intp)
    for i in range(len(units) - 1, -1, -1):  # reversed so the first unit wins overlaps
        pos = grid.locate(_fill(units[i].geometry, grid.resolution))
        label[pos[pos >= 0]] = i
    _remember(_LABELS, key, (grid, label))
    return label


def threshold_metres(*, radius_m: float | None = None, minutes: float | None = None,
                     mode: Mode = "walk", travel: TravelModel | None = None) -> float:
    """The distance target in metres: ``radius_m``, or ``minutes`` of ``mode`` travel.

    Raises
    ------
    ValueError
        When neither or both are given, a value is not a positive number, or the mode is unknown.
    """
    if (radius_m is None) == (minutes is None):
        raise ValueError(f"give exactly one of radius_m and minutes, got radius_m={radius_m!r},"
                         f" minutes={minutes!r}")
    value = radius_m if radius_m is not None else minutes
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not np.isfinite(value) or value <= 0:
        raise ValueError(f"the target must be a positive number, got {value!r}")
    if radius_m is not None:
        return float(radius_m)
    model = travel or TravelModel()
    if mode not in ("walk", "ebike"):
        raise ValueError(f"mode must be 'walk' or 'ebike', got {mode!r}")
    per_metre = model.walk_minutes(1.0) if mode == "walk" else model.ebike_minutes(1.0)
    return float(value) / per_metre


def distance_class(distance_m: NDArray[np.float64]) -> NDArray[np.intp]:
    """Class of each distance: 0 for ≤ 500 m, 1 ≤ 1 km, 2 ≤ 2 km, 3 ≤ 5 km, 4 beyond."""
    return np.searchsorted(np.asarray(DISTANCE_CLASSES), distance_m, side="left").astype(np.intp)


@dataclass(frozen=True, slots=True, eq=False)
class Coverage:
    """Per cell of ``grid``: nearest station, distance (m) and whether it meets the target."""

    grid: Grid
    station: NDArray[np.intp]
    distance_m: NDArray[np.float64]
    threshold_m: float
    covered: NDArray[np.bool_]

    def share(self, weight: NDArray[np.float64] | None = None) -> float:
        """Covered share of the area (or of ``weight`` per cell); 0 for an empty grid."""
        w = self.grid.area_m2 if weight is None else weight
        total = float(w.sum())
        return float(w[self.covered].sum()) / total if total > 0 else 0.0


def compute(grid: Grid, nearest: NearestFn, *, radius_m: float | None = None,
            minutes: float | None = None, mode: Mode = "walk",
            travel: TravelModel | None = None) -> Coverage:
    """Distance from every cell centre to the nearest station and the covered mask.

    Parameters
    ----------
    grid : Grid
        From :func:`grid_for` or :func:`build_grid`.
    nearest : NearestFn
        E.g. ``straight_line(index, filters)``.
    radius_m, minutes : float
        The target: exactly one of them (default 1000 m when both are omitted).
    mode : {"walk", "ebike"}
        How ``minutes`` are travelled.
    """
    if radius_m is None and minutes is None:
        radius_m = 1000.0
    limit = threshold_metres(radius_m=radius_m, minutes=minutes, mode=mode, travel=travel)
    station, dist = nearest(grid.lon, grid.lat)
    return Coverage(grid, station, dist, limit, dist <= limit)


@dataclass(frozen=True, slots=True)
class UnitRow:
    """One administrative unit's figures (areas in km², distances in m)."""

    code: str
    name: str
    level: str
    cells: int
    area_km2: float
    covered_km2: float
    covered_share: float
    worst_gap_m: float | None
    stations: int
    stations_per_km2: float
    people: float | None = None
    people_covered: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (``None`` for a unit without cells or stations in reach)."""
        return {k: getattr(self, k) for k in self.__slots__}


def station_cells(grid: Grid, stations: Sequence[Station]) -> NDArray[np.intp]:
    """Grid position of each located station's cell (``-1`` when outside the grid)."""
    located = [s for s in stations if s.located]
    lon = np.array([s.lon for s in located], dtype=np.float64)
    lat = np.array([s.lat for s in located], dtype=np.float64)
    return grid.locate(grid.cells_of(lon, lat))


def _row(cov: Coverage, unit: AdminUnit | None, cells: NDArray[np.bool_], stations: int,
         people: NDArray[np.float64] | None) -> UnitRow:
    area = float(cov.grid.area_m2[cells].sum()) / 1e6
    covered = float(cov.grid.area_m2[cells & cov.covered].sum()) / 1e6
    dist = cov.distance_m[cells]
    worst = float(dist.max()) if dist.size and np.isfinite(dist.max()) else None
    code, name, level = ("", "", "") if unit is None else (unit.code, unit.name, unit.level)
    return UnitRow(code, name, level, int(cells.sum()), round(area, 6), round(covered, 6),
                   round(covered / area, 6) if area else 0.0,
                   None if worst is None else round(worst, 1), stations,
                   round(stations / area, 6) if area else 0.0,
                   None if people is None else round(float(people[cells].sum()), 3),
                   None if people is None else round(float(people[cells & cov.covered].sum()),
                                                     3))


def unit_table(cov: Coverage, units: Sequence[AdminUnit], stations: Sequence[Station], *,
               people: NDArray[np.float64] | None = None,
               total: AdminUnit | None = None) -> list[UnitRow]:
    """Rows per unit, then one row for cells outside every unit (if any), then the total.

    Stations are counted in the unit holding their H3 cell, so every count agrees
    with the grid; the unit rows (plus the outside row) add up to the total row.
    """
    label = assign_units(cov.grid, units)
    at = station_cells(cov.grid, stations)
    at = at[at >= 0]
    st_label = label[at]
    rows = [_row(cov, u, label == i, int((st_label == i).sum()), people)
            for i, u in enumerate(units)]
    outside = label < 0
    if units and outside.any():
        rows.append(_row(cov, _OUTSIDE, outside, int((st_label < 0).sum()), people))
    everything = np.ones(len(cov.grid), dtype=bool)
    rows.append(_row(cov, total, everything, int(at.size), people))
    return rows


def counted_stations(index: NearestIndex, filters: Filters | None = None) -> list[Station]:
    """The indexed stations that count under ``filters`` (all of them without)."""
    if filters is None or filters.empty:
        return list(index.stations)
    return [s for s, ok in zip(index.stations, index.mask(filters), strict=True) if ok]


def listed_stations(stations: Sequence[Station], filters: Filters | None = None
                    ) -> list[Station]:
    """Stations (located or not) matching the kinds, amenities and 24 h of ``filters``.

    ``open_at`` is not applied: it needs hours and a time, and code counts are about
    where stations are, not when they open.
    """
    if filters is None or filters.empty:
        return list(stations)
    return [s for s in stations if filters.accepts(s)]


def in_area(grid: Grid, stations: Sequence[Station]) -> list[Station]:
    """The located stations whose cell is in ``grid``: the ones a unit table's total counts."""
    located = [s for s in stations if s.located]
    inside = station_cells(grid, located) >= 0
    return [s for s, ok in zip(located, inside.tolist(), strict=True) if ok]


def unit_code_counts(bounds: Boundaries, level: str, stations: Sequence[Station],
                     filters: Filters | None = None) -> list[CodeCount]:
    """:func:`locator.units.code_counts` of the stations matching ``filters`` in the area of
    ``bounds`` (the whole city, or one district)."""
    area = None if bounds.area.level == "city" else bounds.area.code
    return code_counts(listed_stations(stations, filters), level, district=area)


def summary(index: NearestIndex, boundaries: Boundaries | None = None, *,
            radius_m: float = 1000.0, resolution: int = DEFAULT_RESOLUTION,
            filters: Filters | None = None, district: str | None = None,
            nearest: NearestFn | None = None, level: str = "district",
            areas: Sequence[AdminUnit] | None = None,
            registry_stations: Sequence[Station] | None = None) -> dict[str, Any]:
    """A JSON-ready coverage summary of the city (or one district) and its units.

    Parameters
    ----------
    index : NearestIndex
        The served stations.
    boundaries : Boundaries, optional
        Default: the shipped Lanzhou city and districts.
    radius_m : float
        Covered means a station within this many geodesic metres.
    resolution : int
        H3 resolution 0–12 (9: cells of ~0.1 km²).
    filters : Filters, optional
        Count only matching stations (kinds, amenities, open at a time, 24 h).
    district : str, optional
        A district code: summarise that district only.
    nearest : NearestFn, optional
        Replaces the straight-line distance (e.g. a road-network function).
    level : {"district", "subdistrict", "community"}
        The units of the per-unit rows.
    areas : sequence of AdminUnit, optional
        The imported polygons of ``level`` (:mod:`locator.areastore`); without them a
        subdistrict/community summary has no unit rows, only ``code_counts``.
    registry_stations : sequence of Station, optional
        Every station, located or not, for ``code_counts`` (default: the indexed ones).

    Returns
    -------
    dict
        ``area`` (code, name), ``level``, ``resolution``, ``radius_m``, ``basis``
        (``"area"``: shares are of area, not people), ``cells``, ``area_km2``,
        ``covered_km2``, ``covered_share``, ``worst_gap_m``, ``stations``,
        ``stations_per_km2``, ``synthetic_stations`` (of the counted stations in the
        area), ``units`` (one dict per unit, same keys as the total), ``polygons``
        (whether ``level`` has polygons) and, without them, ``code_counts`` (stations
        per unit by the codes they carry, see :func:`locator.units.code_counts`).
    """
    bounds = boundaries or load_boundaries()
    if district is not None:
        bounds = bounds.district(district)
    polygons = level == "district" or areas is not None
    bounds = at_level(bounds, level, areas)
    grid = grid_for(bounds, resolution)
    cov = compute(grid, nearest or straight_line(index, filters), radius_m=radius_m)
    counted = counted_stations(index, filters)
    rows = unit_table(cov, bounds.units, counted, total=bounds.area)
    total = rows[-1].as_dict()
    out: dict[str, Any] = {
        "area": {"code": bounds.area.code, "name": bounds.area.name,
                 "level": bounds.area.level},
        "level": level, "resolution": resolution, "radius_m": float(radius_m), "basis": "area",
        **{k: v for k, v in total.items() if k not in ("code", "name", "level", "people",
                                                       "people_covered")},
        "synthetic_stations": sum(1 for s in in_area(grid, counted) if s.synthetic),
        "units": [r.as_dict() for r in rows[:-1]], "polygons": polygons,
    }
    if not polygons:
        everyone = registry_stations if registry_stations is not None else index.stations
        out["code_counts"] = [c.as_dict()
                              for c in unit_code_counts(bounds, level, everyone, filters)]
    return out
