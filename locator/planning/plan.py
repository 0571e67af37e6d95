"""A planner's whole answer in one object, and its exports (CSV, GeoJSON) for the page and CLI.

:func:`make_plan` runs the coverage engine, the per-unit table, the gap polygons and
(optionally) next-site suggestions; :func:`units_csv` and :func:`plan_geojson` write
the same files for ``/planner`` downloads and ``locator coverage``/``locator suggest``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from shapely.geometry import mapping

from locator.areas.units import AdminUnit, Boundaries, CodeCount, at_level
from locator.model import Station
from locator.planning import coverage, gaps, per_unit, siting
from locator.planning.coverage import Coverage, Mode
from locator.planning.gaps import Gap
from locator.planning.per_unit import UnitRow
from locator.planning.siting import Suggestion
from locator.stations.nearest import Filters, NearestIndex

__all__ = ["UNIT_FIELDS", "Plan", "make_plan", "plan_geojson", "read_units_csv", "units_csv"]

UNIT_FIELDS = ("code", "name", "level", "cells", "area_km2", "covered_km2", "covered_share",
               "worst_gap_m", "stations", "stations_per_km2", "people", "people_covered")


@dataclass(frozen=True, slots=True, eq=False)
class Plan:
    """Coverage of an area, its units, gaps and suggested sites (``basis``: area or people)."""

    boundaries: Boundaries
    coverage: Coverage
    rows: tuple[UnitRow, ...]
    gaps: tuple[Gap, ...]
    suggestion: Suggestion | None
    basis: str
    synthetic_stations: int
    stations: int
    level: str = "district"
    polygons: bool = True
    code_counts: tuple[CodeCount, ...] = ()


def make_plan(index: NearestIndex, boundaries: Boundaries, *, resolution: int = 9,
              radius_m: float | None = None, minutes: float | None = None,
              mode: Mode = "walk", filters: Filters | None = None, sites: int = 0,
              candidates: Sequence[siting.Candidate] | None = None,
              people: NDArray[np.float64] | None = None, max_gaps: int = 200,
              step: Callable[[str], None] | None = None, level: str = "district",
              areas: Sequence[AdminUnit] | None = None,
              registry_stations: Sequence[Station] | None = None) -> Plan:
    """Everything the planner page and the CLI report.

    Parameters
    ----------
    index : NearestIndex
        The stations (existing ones stay fixed when suggesting).
    boundaries : Boundaries
        The area (city or a district) and its units.
    resolution : int
        H3 resolution.
    radius_m, minutes, mode
        The target, as in :func:`locator.planning.coverage.compute`.
    filters : Filters, optional
        Only matching stations count.
    sites : int
        How many new sites to suggest (0: none).
    candidates : sequence of Candidate, optional
        Default: every grid cell centre.
    people : array, optional
        Demand per grid cell; without it everything is area, not people.
    max_gaps : int
        Keep the largest this many gap polygons.
    step : callable, optional
        Called with a short name after each stage (``grid``, ``distances``, ``units``,
        ``gaps``, ``sites``), e.g. to advance a progress bar.
    level : {"district", "subdistrict", "community"}
        Units of the per-unit table.
    areas : sequence of AdminUnit, optional
        Imported polygons of ``level``; without them (``None``) a subdistrict/community
        plan has no unit rows and counts stations per unit by their codes instead.
    registry_stations : sequence of Station, optional
        Every station, located or not, for those code counts (default: the indexed ones).
    """
    def done(name: str) -> None:
        if step is not None:
            step(name)

    polygons = level == "district" or areas is not None
    boundaries = at_level(boundaries, level, areas)
    grid = coverage.grid_for(boundaries, resolution)
    done("grid")
    cov = coverage.compute(grid, coverage.straight_line(index, filters), radius_m=radius_m,
                           minutes=minutes, mode=mode, travel=index.travel)
    done("distances")
    counted = per_unit.counted_stations(index, filters)
    rows = per_unit.unit_table(cov, boundaries.units, counted, people=people,
                               total=boundaries.area)
    done("units")
    found = gaps.find_gaps(cov, people=people, limit=max_gaps)
    done("gaps")
    suggestion = None
    if sites > 0:
        suggestion = siting.suggest(cov, sites, candidates=candidates, people=people)
        done("sites")
    counts: tuple[CodeCount, ...] = ()
    if not polygons:
        everyone = registry_stations if registry_stations is not None else index.stations
        counts = tuple(per_unit.unit_code_counts(boundaries, level, everyone, filters))
    here = per_unit.in_area(grid, counted)  # the stations the table's total counts
    return Plan(boundaries, cov, tuple(rows), tuple(found), suggestion,
                "area" if people is None else "people",
                sum(1 for s in here if s.synthetic), len(here), level, polygons, counts)


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def units_csv(plan: Plan) -> str:
    """The per-unit table as CSV (UTF-8; formula-looking cells get a leading ``'``)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(UNIT_FIELDS)
    for row in plan.rows:
        d = row.as_dict()
        writer.writerow([_cell(d[k]) for k in UNIT_FIELDS])
    return out.getvalue()


def read_units_csv(text: str) -> list[dict[str, Any]]:
    """Rows of :func:`units_csv` back as dicts typed like :meth:`UnitRow.as_dict`."""
    ints = {"cells", "stations"}
    floats = {"area_km2", "covered_km2", "covered_share", "worst_gap_m", "stations_per_km2",
              "people", "people_covered"}
    rows = []
    for raw in csv.DictReader(io.StringIO(text)):
        row: dict[str, Any] = {}
        for key, value in raw.items():
            value = value[1:] if value[:2] in ("'=", "'+", "'-", "'@") else value
            if value == "" and key in ints | floats:
                row[key] = None
            elif key in ints:
                row[key] = int(value)
            elif key in floats:
                row[key] = float(value)
            else:
                row[key] = value
        rows.append(row)
    return rows


def plan_geojson(plan: Plan) -> dict[str, Any]:
    """Gap polygons and suggested sites as one RFC 7946 FeatureCollection (WGS-84).

    Each feature's ``layer`` is ``gap`` or ``site``; the collection's ``meta`` holds
    the target, the basis and whether synthetic (demonstration) stations were counted.
    """
    features: list[dict[str, Any]] = []
    for g in plan.gaps:
        features.append({"type": "Feature", "geometry": mapping(g.geometry), "properties": {
            "layer": "gap", "rank": g.rank, "area_m2": round(g.area_m2, 1), "cells": g.cells,
            "worst_m": round(g.worst_m, 1), "people": g.people}})
    if plan.suggestion is not None:
        for s in plan.suggestion.steps:
            c = s.candidate
            features.append({"type": "Feature", "geometry": {
                "type": "Point", "coordinates": [round(c.lon, 7), round(c.lat, 7)]},
                "properties": {"layer": "site", "rank": s.rank, "id": c.id, "name": c.name,
                               "gain": round(s.gain, 3),
                               "covered_share": round(s.covered_share, 6)}})
    area = plan.boundaries.area
    return {"type": "FeatureCollection", "meta": {
        "area": {"code": area.code, "name": area.name}, "threshold_m": plan.coverage.threshold_m,
        "resolution": plan.coverage.grid.resolution, "basis": plan.basis,
        "covered_share": plan.rows[-1].covered_share,
        "synthetic_stations": plan.synthetic_stations}, "features": features}
