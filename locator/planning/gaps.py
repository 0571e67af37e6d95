"""Gap polygons: contiguous uncovered areas of a coverage grid, largest first.

Uncovered H3 cells are merged into polygons by ``h3.cells_to_h3shape`` (cells sharing
an edge become one polygon, holes kept). Each polygon's area is measured in an
Albers equal-area projection centred on China (metres, never degrees); the cells
inside it give the worst distance and, with a demand layer, the people in it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from h3.api import numpy_int as h3n
from numpy.typing import NDArray
from shapely.geometry import Polygon

from locator.geo.geodesic import equal_area_m2
from locator.planning.coverage import Coverage

__all__ = ["Gap", "find_gaps"]

@dataclass(frozen=True, slots=True)
class Gap:
    """One contiguous uncovered area: a WGS-84 polygon (with holes) and its figures."""

    rank: int
    geometry: Polygon
    area_m2: float
    cells: int
    worst_m: float
    lon: float
    lat: float
    people: float | None = None


def _polygon(poly: object) -> Polygon:
    outer = [(lng, lat) for lat, lng in poly.outer]  # type: ignore[attr-defined]
    holes = [[(lng, lat) for lat, lng in h] for h in poly.holes]  # type: ignore[attr-defined]
    return Polygon(outer, holes)


def find_gaps(cov: Coverage, *, people: NDArray[np.float64] | None = None,
              min_area_m2: float = 0.0, limit: int | None = None) -> list[Gap]:
    """Contiguous uncovered areas of ``cov``, ranked largest first (rank 1 = largest).

    Parameters
    ----------
    cov : Coverage
        From :func:`locator.planning.coverage.compute`.
    people : array, optional
        Demand per grid cell; each gap then reports the people in it.
    min_area_m2 : float
        Leave out smaller gaps.
    limit : int, optional
        Return at most this many.
    """
    grid = cov.grid
    where = np.flatnonzero(~cov.covered)
    if where.size == 0:
        return []
    shape = h3n.cells_to_h3shape(grid.cells[where])
    polys = [_polygon(p) for p in getattr(shape, "polys", [shape])]
    tree = shapely.STRtree(polys)
    point_i, poly_i = tree.query(shapely.points(grid.lon[where], grid.lat[where]),
                                 predicate="within")
    cells = np.full(where.size, -1, dtype=np.intp)
    cells[point_i] = poly_i
    gaps: list[Gap] = []
    for i, poly in enumerate(polys):
        members = where[cells == i]
        if members.size == 0:
            continue
        area = equal_area_m2(poly)
        if area < min_area_m2:
            continue
        centre = poly.representative_point()
        gaps.append(Gap(0, poly, area, int(members.size), float(cov.distance_m[members].max()),
                        round(centre.x, 6), round(centre.y, 6),
                        None if people is None else float(people[members].sum())))
    gaps.sort(key=lambda g: (-g.area_m2, g.lon, g.lat))
    ranked = [Gap(r, g.geometry, g.area_m2, g.cells, g.worst_m, g.lon, g.lat, g.people)
              for r, g in enumerate(gaps, start=1)]
    return ranked if limit is None else ranked[:limit]
