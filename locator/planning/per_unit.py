"""Coverage per administrative unit: the table of units and the JSON summary of an area.

:mod:`locator.planning.coverage` gives every H3 cell of an area its distance to the nearest
station; this module adds the units up. Each unit's row has its area, covered area and
share, worst gap and station count (stations counted in the unit holding their cell, so
every count agrees with the grid), plus a row for cells outside every unit and the total.
:func:`summary` is what the planner API and the CLI serve.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from shapely.geometry import GeometryCollection

from locator.areas.units import (
    AdminUnit,
    Boundaries,
    CodeCount,
    at_level,
    code_counts,
    load_boundaries,
)
from locator.model import Station
from locator.planning.coverage import (
    DEFAULT_RESOLUTION,
    Coverage,
    Grid,
    NearestFn,
    assign_units,
    compute,
    grid_for,
    straight_line,
)
from locator.stations.nearest import Filters, NearestIndex

__all__ = ["UnitRow", "counted_stations", "in_area", "listed_stations", "station_cells",
           "summary", "unit_code_counts", "unit_table"]

_OUTSIDE = AdminUnit("", "", "outside", GeometryCollection())  # cells in no unit


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
    """:func:`locator.areas.units.code_counts` of the stations matching ``filters`` in the area of
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
        The imported polygons of ``level`` (:mod:`locator.areas.store`); without them a
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
        per unit by the codes they carry, see :func:`locator.areas.units.code_counts`).
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
