"""Gap polygons: contiguous uncovered areas of a coverage grid, largest first.

A gap is a set of uncovered H3 cells joined through shared edges. The sets come from the
grid's edge pairs (:attr:`locator.planning.coverage.Grid.adjacent`, kept with the grid) and
``scipy.sparse.csgraph.connected_components``, so no geometry is queried to find them;
only the gaps returned are drawn, each by ``h3.cells_to_h3shape`` of its own cells (holes
kept). Areas are the cells' own areas (m², exact on the authalic sphere, the figures the
per-unit table adds up), the worst distance comes from the cells, and with a demand layer
each gap reports its people and gaps are ranked by them.

``within`` limits gaps to some cells (the cells with people, or the settled area when no
demand layer is loaded): without it the whole of an empty mountain range is one "gap".
Measured for the whole city at resolution 9 (``bench/planner.py``): ~0.1 s per new
radius, against 2.7-3.7 s for the old way (every uncovered cell's centre looked up in
the merged polygons with an STRtree).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from h3.api import numpy_int as h3n
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from shapely.geometry import Polygon

from locator.planning.coverage import Coverage

__all__ = ["Gap", "cell_polygons", "components", "find_gaps"]


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


def cell_polygons(cells: NDArray[np.uint64]) -> list[Polygon]:
    """The polygons (lon/lat, holes kept) that a set of H3 cells of one resolution makes."""
    if cells.size == 0:
        return []
    shape = h3n.cells_to_h3shape(cells)
    return [Polygon([(x, y) for y, x in p.outer], [[(x, y) for y, x in h] for h in p.holes])
            for p in getattr(shape, "polys", [shape])]


def _one(polys: list[Polygon]) -> Polygon:
    # a gap is edge-connected, so its cells make one polygon; keep the largest if H3 ever
    # returned more (cells touching only at a corner)
    return max(polys, key=lambda p: p.area) if polys else Polygon()


def components(cov: Coverage, cells: NDArray[np.bool_]) -> tuple[int, NDArray[np.intp]]:
    """Edge-connected groups of the ``cells`` mask: how many, and each masked cell's group.

    Cells outside the mask get ``-1``.
    """
    where = np.flatnonzero(cells)
    label = np.full(len(cov.grid), -1, dtype=np.intp)
    if where.size == 0:
        return 0, label
    pairs = cov.grid.adjacent
    both = cells[pairs[:, 0]] & cells[pairs[:, 1]]
    local = np.full(len(cov.grid), -1, dtype=np.intp)
    local[where] = np.arange(where.size)
    a, b = local[pairs[both, 0]], local[pairs[both, 1]]
    graph = sparse.coo_matrix((np.ones(a.size, dtype=np.int8), (a, b)),
                              shape=(where.size, where.size))
    n, groups = connected_components(graph, directed=False)
    label[where] = groups
    return int(n), label


def find_gaps(cov: Coverage, *, people: NDArray[np.float64] | None = None,
              within: NDArray[np.bool_] | None = None, min_area_m2: float = 0.0,
              limit: int | None = None) -> list[Gap]:
    """Contiguous uncovered areas of ``cov``, ranked largest first (rank 1 = largest).

    Parameters
    ----------
    cov : Coverage
        From :func:`locator.planning.coverage.compute`.
    people : array, optional
        Demand per grid cell; each gap then reports the people in it, and gaps are
        ranked by people (then area).
    within : bool array, optional
        Only these cells can be part of a gap (e.g. cells with people).
    min_area_m2 : float
        Leave out smaller gaps.
    limit : int, optional
        Return at most this many (only these are drawn as polygons).
    """
    grid = cov.grid
    mask = ~cov.covered if within is None else (~cov.covered & within)
    n, label = components(cov, mask)
    if n == 0:
        return []
    members = label[mask]
    area = np.bincount(members, weights=grid.area_m2[mask], minlength=n)
    count = np.bincount(members, minlength=n)
    worst = np.full(n, -np.inf)
    np.maximum.at(worst, members, cov.distance_m[mask])
    crowd = None if people is None else np.bincount(members, weights=people[mask], minlength=n)
    keep = np.flatnonzero(area >= min_area_m2)
    # lexsort's last key comes first: people (with demand), then area
    keys = (-area[keep],) if crowd is None else (-area[keep], -crowd[keep])
    order = keep[np.lexsort(keys)]
    if limit is not None:
        order = order[:limit]
    where = np.flatnonzero(mask)
    by_group = np.argsort(members, kind="stable")
    starts = np.searchsorted(members[by_group], order)
    gaps: list[Gap] = []
    for rank, (g, start) in enumerate(zip(order.tolist(), starts.tolist(), strict=True), 1):
        cells = where[by_group[start:start + int(count[g])]]
        poly = _one(cell_polygons(grid.cells[cells]))
        centre = poly.representative_point() if not poly.is_empty else None
        lon = float(grid.lon[cells[0]]) if centre is None else centre.x
        lat = float(grid.lat[cells[0]]) if centre is None else centre.y
        gaps.append(Gap(rank, poly, float(area[g]), int(count[g]), float(worst[g]),
                        round(lon, 6), round(lat, 6),
                        None if crowd is None else float(crowd[g])))
    return gaps
