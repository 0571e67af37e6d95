"""Coverage per administrative unit: the table of units of an area.

:mod:`locator.planning.coverage` gives every H3 cell of an area its distance to the nearest
station; this module adds the units up. Each unit's row has its area, covered area and
share, worst gap and station count, plus a row for cells outside every unit and the total.
Stations are counted in the unit polygon holding their point (the first unit where units
overlap), so the count does not depend on the grid's resolution: the page, the API and the
CLI agree at any resolution. ``coded`` counts the stations that *carry* the unit's code,
which can differ (a station recorded in 城关区 but whose point lies just across the line).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import GeometryCollection

from locator.areas.units import AdminUnit, Boundaries, CodeCount, code_counts
from locator.model import Station
from locator.planning.coverage import Coverage, Grid, assign_units
from locator.stations.nearest import NearestIndex
from locator.stations.query import Filters

__all__ = ["UnitRow", "counted_stations", "in_area", "listed_stations", "station_cells",
           "station_units", "unit_code_counts", "unit_table"]

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
    coded: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (``None`` for a unit without cells or stations in reach)."""
        return {k: getattr(self, k) for k in self.__slots__}


def station_cells(grid: Grid, stations: Sequence[Station]) -> NDArray[np.intp]:
    """Grid position of each located station's cell (``-1`` when outside the grid)."""
    located = [s for s in stations if s.located]
    lon = np.array([s.lon for s in located], dtype=np.float64)
    lat = np.array([s.lat for s in located], dtype=np.float64)
    return grid.locate(grid.cells_of(lon, lat))


def _located(stations: Sequence[Station]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    located = [s for s in stations if s.located]
    return (np.array([s.lon for s in located], dtype=np.float64),
            np.array([s.lat for s in located], dtype=np.float64))


def station_units(stations: Sequence[Station], units: Sequence[AdminUnit]
                  ) -> NDArray[np.intp]:
    """For each located station, the position in ``units`` of the polygon holding its point
    (the first one where units overlap), ``-1`` if none."""
    lon, lat = _located(stations)
    label = np.full(lon.size, -1, dtype=np.intp)
    for i in range(len(units) - 1, -1, -1):  # reversed so the first unit wins overlaps
        label[shapely.contains_xy(units[i].geometry, lon, lat)] = i
    return label


def _row(cov: Coverage, unit: AdminUnit | None, cells: NDArray[np.bool_], stations: int,
         people: NDArray[np.float64] | None, coded: int | None = None) -> UnitRow:
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
                                                     3), coded)


def unit_table(cov: Coverage, units: Sequence[AdminUnit], stations: Sequence[Station], *,
               people: NDArray[np.float64] | None = None,
               total: AdminUnit | None = None,
               listed: Sequence[Station] | None = None) -> list[UnitRow]:
    """Rows per unit, then one row for cells outside every unit (if any), then the total.

    Stations are counted in the unit polygon holding their point, among the stations
    inside ``total``'s polygon (all located ones without it); the unit rows (plus the
    outside row) add up to the total row. District rows also say how many stations carry
    the district's code (``coded``) among ``listed`` (default ``stations``; give every
    matching station, located or not, to count those without a location too).
    """
    label = assign_units(cov.grid, units)
    here = in_area(total, stations) if total is not None else [s for s in stations
                                                               if s.located]
    st_label = station_units(here, units)
    codes = [s.district_code or "" for s in (stations if listed is None else listed)]
    rows = [_row(cov, u, label == i, int((st_label == i).sum()), people,
                 codes.count(u.code) if u.level == "district" else None)
            for i, u in enumerate(units)]
    outside = label < 0
    if units and (outside.any() or bool((st_label < 0).any())):
        rows.append(_row(cov, _OUTSIDE, outside, int((st_label < 0).sum()), people))
    everything = np.ones(len(cov.grid), dtype=bool)
    rows.append(_row(cov, total, everything, len(here), people))
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


def in_area(area: AdminUnit | None, stations: Sequence[Station]) -> list[Station]:
    """The located stations whose point lies in ``area``'s polygon (all located ones for
    ``None``): the ones a unit table's total counts."""
    located = [s for s in stations if s.located]
    if area is None:
        return located
    lon, lat = _located(located)
    inside = shapely.contains_xy(area.geometry, lon, lat)
    return [s for s, ok in zip(located, inside.tolist(), strict=True) if ok]


def unit_code_counts(bounds: Boundaries, level: str, stations: Sequence[Station],
                     filters: Filters | None = None) -> list[CodeCount]:
    """:func:`locator.areas.units.code_counts` of the stations matching ``filters`` in the area of
    ``bounds`` (the whole city, or one district)."""
    area = None if bounds.area.level == "city" else bounds.area.code
    return code_counts(listed_stations(stations, filters), level, district=area)
