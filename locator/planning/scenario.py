"""Two plans side by side: today against today plus the suggested sites, or against another target.

Both sides use the same grid, units and demand, so the change per unit is only the change
in coverage: covered area (km²) and, with a demand layer, covered people. The second side
is cheap: the sites' distances come from a KD-tree over the few new sites, a new target
only compares the kept distances with another threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from locator.geo.geodesic import geodesic_m, unit_vectors
from locator.planning.coverage import Coverage
from locator.planning.per_unit import unit_table
from locator.planning.plan import Plan

__all__ = ["Change", "compare", "retarget", "with_sites"]


@dataclass(frozen=True, slots=True)
class Change:
    """One unit's coverage in plan A and plan B (areas km², shares 0–1, people)."""

    code: str
    name: str
    a_km2: float
    b_km2: float
    a_share: float
    b_share: float
    a_people: float | None
    b_people: float | None

    @property
    def d_km2(self) -> float:
        """Covered area gained (negative: lost)."""
        return round(self.b_km2 - self.a_km2, 6)

    @property
    def d_people(self) -> float | None:
        """Covered people gained (``None`` without a demand layer)."""
        if self.a_people is None or self.b_people is None:
            return None
        return round(self.b_people - self.a_people, 3)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, with the differences."""
        return {**{k: getattr(self, k) for k in self.__slots__}, "d_km2": self.d_km2,
                "d_people": self.d_people}


def retarget(cov: Coverage, threshold_m: float) -> Coverage:
    """The same distances judged against another target (metres)."""
    if not (np.isfinite(threshold_m) and threshold_m > 0):
        raise ValueError(f"the target must be a positive number of metres, got {threshold_m!r}")
    return Coverage(cov.grid, cov.station, cov.distance_m, float(threshold_m),
                    cov.distance_m <= threshold_m)


def with_sites(cov: Coverage, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> Coverage:
    """Coverage with new sites at ``lon``/``lat`` added to the existing stations (new sites
    get station index ``-1``)."""
    if len(lon) == 0:
        return cov
    from scipy.spatial import cKDTree

    grid = cov.grid
    _, j = cKDTree(unit_vectors(lon, lat).reshape(-1, 3)).query(
        unit_vectors(grid.lon, grid.lat).reshape(-1, 3), k=1)
    to_site = geodesic_m(grid.lon, grid.lat, np.asarray(lon)[j], np.asarray(lat)[j])
    closer = to_site < cov.distance_m
    dist = np.where(closer, to_site, cov.distance_m)
    station = np.where(closer, -1, cov.station)
    return Coverage(grid, station, dist, cov.threshold_m, dist <= cov.threshold_m)


def compare(plan: Plan, other: Coverage) -> tuple[Change, ...]:
    """Per unit (then the total), plan's coverage against ``other`` on the same grid."""
    if other.grid is not plan.coverage.grid:
        raise ValueError("the two coverages must share one grid")
    b_rows = unit_table(other, plan.boundaries.units, [], people=plan.people,
                        total=plan.boundaries.area)
    a_rows = unit_table(plan.coverage, plan.boundaries.units, [], people=plan.people,
                        total=plan.boundaries.area)
    return tuple(Change(a.code, a.name, a.covered_km2, b.covered_km2, a.covered_share,
                        b.covered_share, a.people_covered, b.people_covered)
                 for a, b in zip(a_rows, b_rows, strict=True))
