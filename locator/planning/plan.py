"""A planner's whole answer in one object: the page, the API and the CLI all read a :class:`Plan`.

:func:`make_plan` runs the coverage engine (grid and distances kept per registry
version), the per-unit table, the gap polygons and (optionally) next-site suggestions,
each named by where it is. :meth:`Plan.first` gives the same plan with fewer
suggestions (greedy choices are nested, so the first *n* of 20 are the choice for *n*).
Exports are in :mod:`locator.planning.exports`, the JSON summary in :func:`summary`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from locator.areas import places
from locator.areas.units import AdminUnit, Boundaries, CodeCount, at_level, load_boundaries
from locator.geo.geodesic import geodesic_m
from locator.model import Kind, Station
from locator.planning import coverage, gaps, per_unit, siting
from locator.planning.coverage import Coverage, Mode
from locator.planning.gaps import Gap
from locator.planning.per_unit import UnitRow
from locator.planning.settled import DEFAULT_SETTLED_M, settled_cells
from locator.planning.siting import Candidate, Suggestion
from locator.stations.nearest import NearestIndex
from locator.stations.query import Filters

__all__ = ["POOLS", "Plan", "Site", "Target", "coverage_summary", "locate_sites", "make_plan",
           "partner_candidates", "summary"]

POOLS = ("grid", "partner", "file")  #: where suggested sites may go


@dataclass(frozen=True, slots=True)
class Target:
    """What "covered" means: a radius, or minutes of travel turned into straight-line metres."""

    threshold_m: float
    radius_m: float | None = None
    minutes: float | None = None
    mode: str = "walk"
    detour_factor: float = 1.3

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, saying how the metres were found."""
        return {"threshold_m": round(self.threshold_m, 1), "radius_m": self.radius_m,
                "minutes": self.minutes, "mode": self.mode if self.minutes else None,
                "distance": "straight line (geodesic)",
                "detour_factor": self.detour_factor if self.minutes else None}


@dataclass(frozen=True, slots=True)
class Site:
    """Where a suggested site is: its units (names, ``""`` when unknown) and nearest named place."""

    district: str
    district_code: str
    subdistrict: str
    community: str
    place: str
    place_m: float | None


@dataclass(frozen=True, slots=True, eq=False)
class Plan:
    """Coverage of an area, its units, gaps and suggested sites (``basis``: area or people).

    ``people`` is the demand per cell (``None`` without a layer); ``settled`` the cells
    suggestions and gaps were limited to when there is no layer (``None`` with one).
    """

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
    target: Target | None = None
    sites: tuple[Site, ...] = ()
    pool: str = "grid"
    people: NDArray[np.float64] | None = None
    settled: NDArray[np.bool_] | None = None
    settled_m: float = DEFAULT_SETTLED_M
    demand: str = ""
    people_outside: float = 0.0
    kinds: tuple[str, ...] = ()
    registry: str = ""

    def first(self, n: int) -> Plan:
        """The same plan with only the first ``n`` suggested sites."""
        if self.suggestion is None or len(self.suggestion.steps) <= n:
            return self
        s = self.suggestion
        return dataclasses.replace(self, suggestion=Suggestion(s.basis, s.radius_m, s.before,
                                                               s.steps[:n]),
                                   sites=self.sites[:n])

    @property
    def covered_share(self) -> float:
        """The headline: covered share of the people (with a layer) or of the area."""
        total = self.rows[-1]
        if self.basis == "people" and total.people:
            return float(total.people_covered or 0.0) / float(total.people)
        return total.covered_share


def partner_candidates(stations: Sequence[Station]) -> list[Candidate]:
    """Located ``partner`` stations (banks, shops… that host workers) as candidate sites."""
    return [Candidate(s.id, s.name, float(s.lon), float(s.lat)) for s in stations
            if s.kind is Kind.PARTNER and s.located and s.lon is not None and s.lat is not None]


def _named_places() -> tuple[list[str], NDArray[np.float64], NDArray[np.float64]]:
    found = places.landmarks()
    return ([" / ".join(p.name.split(" / ")[:2]) for p in found],
            np.array([p.lon for p in found], dtype=np.float64),
            np.array([p.lat for p in found], dtype=np.float64))


def locate_sites(cov: Coverage, steps: Sequence[siting.Step], districts: Sequence[AdminUnit],
                 named: Mapping[str, Sequence[AdminUnit]]) -> tuple[Site, ...]:
    """Each suggested site's district, subdistrict and community (imported polygons, when
    there are) and the nearest named place with its distance."""
    if not steps:
        return ()
    lon = np.array([s.candidate.lon for s in steps], dtype=np.float64)
    lat = np.array([s.candidate.lat for s in steps], dtype=np.float64)
    grid = cov.grid
    pos = grid.locate(grid.cells_of(lon, lat))

    def unit_of(units: Sequence[AdminUnit]) -> list[AdminUnit | None]:
        if not units:
            return [None] * len(steps)
        label = coverage.assign_units(grid, units)
        return [units[label[p]] if p >= 0 and label[p] >= 0 else None for p in pos.tolist()]

    district = unit_of(districts)
    sub = unit_of(named.get("subdistrict", ()))
    comm = unit_of(named.get("community", ()))
    names, plon, plat = _named_places()
    out = []
    for i in range(len(steps)):
        place, metres = "", None
        if names:
            d = geodesic_m(lon[i], lat[i], plon, plat)
            j = int(np.argmin(d))
            place, metres = names[j], round(float(d[j]), 0)
        du, su, cu = district[i], sub[i], comm[i]
        out.append(Site(du.name if du else "", du.code if du else "", su.name if su else "",
                        cu.name if cu else "", place, metres))
    return tuple(out)


def make_plan(index: NearestIndex, boundaries: Boundaries, *, resolution: int = 9,
              radius_m: float | None = None, minutes: float | None = None,
              mode: Mode = "walk", filters: Filters | None = None, sites: int = 0,
              candidates: Sequence[Candidate] | None = None, pool: str = "grid",
              people: NDArray[np.float64] | None = None, demand: str = "",
              people_outside: float = 0.0, settled_m: float = DEFAULT_SETTLED_M,
              max_gaps: int = 200, step: Callable[[str], None] | None = None,
              level: str = "district", areas: Sequence[AdminUnit] | None = None,
              named: Mapping[str, Sequence[AdminUnit]] | None = None,
              registry_stations: Sequence[Station] | None = None) -> Plan:
    """Everything the planner page, the API and the CLI report.

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
        Where sites may go; default every grid cell centre.
    pool : {"grid", "partner", "file"}
        What ``candidates`` are (recorded in the plan and its exports).
    people : array, optional
        Demand per grid cell (:meth:`locator.planning.demand.DemandLayer.per_cell`); without
        it shares are of area and suggestions and gaps stay in the settled area
        (:mod:`locator.planning.settled`).
    demand : str
        The demand layer's name, for the reports.
    people_outside : float
        People of the layer outside the area.
    settled_m : float
        The settled area's distance (metres) when there is no demand layer.
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
    named : mapping of level to AdminUnit sequence, optional
        Imported subdistrict/community polygons to name suggested sites by.
    registry_stations : sequence of Station, optional
        Every station, located or not, for code counts (default: the indexed ones).
    """
    def done(name: str) -> None:
        if step is not None:
            step(name)

    if pool not in POOLS:
        raise ValueError(f"pool must be one of {', '.join(POOLS)}, got {pool!r}")
    districts = boundaries.units if boundaries.area.level == "city" else (boundaries.area,)
    polygons = level == "district" or areas is not None
    boundaries = at_level(boundaries, level, areas)
    grid = coverage.grid_for(boundaries, resolution)
    done("grid")
    cov = coverage.compute(grid, index, radius_m=radius_m, minutes=minutes, mode=mode,
                           travel=index.travel, filters=filters)
    target = Target(cov.threshold_m, radius_m if minutes is None else None, minutes,
                    mode if minutes is not None else "walk", index.travel.detour_factor)
    done("distances")
    counted = per_unit.counted_stations(index, filters)
    everyone = registry_stations if registry_stations is not None else index.stations
    rows = per_unit.unit_table(cov, boundaries.units, counted, people=people,
                               total=boundaries.area,
                               listed=per_unit.listed_stations(everyone, filters))
    done("units")
    settled = None
    if people is None:
        settled = settled_cells(grid, index, within_m=settled_m,
                                communities=(named or {}).get("community", ()))
    scope = settled if people is None else people > 0
    found = gaps.find_gaps(cov, people=people, within=scope, limit=max_gaps)
    done("gaps")
    suggestion = None
    located: tuple[Site, ...] = ()
    if sites > 0:
        suggestion = siting.suggest(cov, sites, candidates=candidates, people=people,
                                    within=settled)
        located = locate_sites(cov, suggestion.steps, districts, named or {})
        done("sites")
    counts: tuple[CodeCount, ...] = ()
    if not polygons:
        counts = tuple(per_unit.unit_code_counts(boundaries, level, everyone, filters))
    here = per_unit.in_area(boundaries.area, counted)  # the stations the table's total counts
    kinds = tuple(sorted(k.value for k in filters.kinds)) if filters is not None else ()
    return Plan(boundaries, cov, tuple(rows), tuple(found), suggestion,
                "area" if people is None else "people",
                sum(1 for s in here if s.synthetic), len(here), level, polygons, counts,
                target, located, pool, people, settled, settled_m, demand, people_outside,
                kinds)


def summary(plan: Plan) -> dict[str, Any]:
    """The JSON answer of ``/api/v1/coverage`` (and ``locator coverage --json``) for a plan."""
    total = plan.rows[-1].as_dict()
    area = plan.boundaries.area
    out: dict[str, Any] = {
        "area": {"code": area.code, "name": area.name, "level": area.level},
        "level": plan.level, "resolution": plan.coverage.grid.resolution,
        "radius_m": plan.coverage.threshold_m,
        "target": plan.target.as_dict() if plan.target else None,
        "basis": plan.basis, "demand": plan.demand or None,
        "covered_share_of": "people" if plan.basis == "people" else "area",
        "headline_share": round(plan.covered_share, 6),
        **{k: v for k, v in total.items() if k not in ("code", "name", "level")},
        "synthetic_stations": plan.synthetic_stations,
        "kinds": list(plan.kinds),
        "units": [r.as_dict() for r in plan.rows[:-1]], "polygons": plan.polygons,
    }
    if plan.basis == "people":
        out["people_outside_area"] = round(plan.people_outside, 3)
    else:
        out["settled_within_m"] = plan.settled_m
    if not plan.polygons:
        out["code_counts"] = [c.as_dict() for c in plan.code_counts]
    return out


def coverage_summary(index: NearestIndex, boundaries: Boundaries | None = None, *,
                     district: str | None = None, resolution: int = coverage.DEFAULT_RESOLUTION,
                     **options: Any) -> dict[str, Any]:
    """:func:`summary` of :func:`make_plan` without suggestions: the library's one-call answer.

    ``boundaries`` default to the shipped Lanzhou city and districts, ``district`` narrows
    them to one district; ``options`` are :func:`make_plan`'s (``radius_m``, ``minutes``,
    ``mode``, ``filters``, ``level``, ``areas``, ``people``…).

    Raises
    ------
    NotFound
        For an unknown district code.
    """
    bounds = boundaries or load_boundaries()
    if district:
        bounds = bounds.district(district)
    return summary(make_plan(index, bounds, resolution=resolution, **options))
