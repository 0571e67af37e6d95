"""Coverage engine: an H3 grid over an area, the distance from each cell to the nearest station.

The area (the city or one district) is filled with H3 cells (``h3`` v4) whose centres
lie inside it; resolution 9 (cells of about 0.1 km², centres ~300 m apart) is the
default. For every cell centre a *nearest function* gives the nearest station and its
distance in metres; a cell is **covered** when that distance is within the target:
a radius in metres, or walking / e-bike minutes turned into metres by the
:class:`~locator.stations.travel.TravelModel` (minutes × speed ÷ detour factor).

The nearest function is pluggable (:class:`NearestFn`): the default,
:func:`straight_line`, is the geodesic distance from
:meth:`locator.stations.nearest.NearestIndex.nearest_distance`; a road-network function
returning route metres can replace it without touching anything else (give it a
``TravelModel(detour_factor=1)`` then, as route metres need no detour).

Areas are the cells' own areas in m² (``h3.cell_area``, exact on the authalic sphere),
never degrees. The grid depends only on the boundary and the resolution, so it is
cached: pages and the API do not rebuild it per request. Each cell's straight-line
distance depends only on the grid, the stations and the kinds counted, so
:func:`cell_distances` keeps it per :class:`~locator.stations.nearest.NearestIndex` (one
per registry version): a new radius, minutes or number of sites reuses it
(``bench/planner.py``).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal, Protocol

import h3
import numpy as np
from h3.api import numpy_int as h3n
from numpy.typing import NDArray
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

from locator.areas.units import AdminUnit, Boundaries
from locator.geo.geodesic import EARTH_RADIUS_M, unit_vectors
from locator.stations.nearest import NearestIndex
from locator.stations.query import Filters
from locator.stations.travel import TravelModel

__all__ = ["DEFAULT_RESOLUTION", "DISTANCE_CLASSES", "Coverage", "Grid", "NearestFn",
           "assign_units", "cell_distances", "compute", "distance_class", "grid_for",
           "straight_line", "threshold_metres"]

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


@dataclass(frozen=True, eq=False)
class Grid:
    """H3 cells whose centres lie in an area: ids (sorted), centres and areas in m².

    The KD-tree over the centres and the pairs of edge-sharing cells are worked out on
    first use and kept with the grid (which is itself cached per boundary and resolution).
    """

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
        res = self.resolution
        return np.fromiter((h3n.latlng_to_cell(y, x, res)
                            for x, y in zip(np.asarray(lon, np.float64).tolist(),
                                            np.asarray(lat, np.float64).tolist(), strict=True)),
                           dtype=np.uint64, count=len(lon))

    @cached_property
    def tree(self) -> cKDTree:
        """KD-tree over the cell centres as unit vectors (chord searches, see geodesic)."""
        return cKDTree(unit_vectors(self.lon, self.lat).reshape(-1, 3))

    @cached_property
    def adjacent(self) -> NDArray[np.intp]:
        """(m, 2) grid positions of every pair of cells sharing an edge (each pair once).

        Found as centre pairs closer than 1.5 × the centre spacing of the resolution: on
        the hexagonal lattice an edge neighbour's centre lies √3 edge lengths away and the
        next nearest 3 edge lengths, so the cut sits far from both even where H3 cells
        are a few per cent larger or smaller. ``tests/test_coverage_gaps.py`` checks the
        pairs against ``h3.are_neighbor_cells``. One KD-tree pass, ~0.08 s for the city at
        resolution 9, against ~0.7 s for ``h3.grid_ring`` cell by cell.
        """
        if len(self) < 2:
            return np.zeros((0, 2), dtype=np.intp)
        spacing = np.sqrt(3.0) * h3.average_hexagon_edge_length(self.resolution, "m")
        chord = 1.5 * spacing / EARTH_RADIUS_M
        return np.asarray(self.tree.query_pairs(chord, output_type="ndarray"), dtype=np.intp)


def _check_resolution(resolution: int) -> int:
    if isinstance(resolution, bool) or not isinstance(resolution, int) \
            or not 0 <= resolution <= 12:
        raise ValueError(f"resolution must be an integer 0-12, got {resolution!r}")
    return resolution


def _fill(geometry: BaseGeometry, resolution: int) -> NDArray[np.uint64]:
    shape = h3.geo_to_h3shape(geometry.__geo_interface__)
    return np.unique(np.asarray(h3n.h3shape_to_cells(shape, resolution), dtype=np.uint64))


_GRIDS: dict[tuple[bytes, int], Grid] = {}
_LABELS: dict[tuple[int, tuple[tuple[str, str, bytes], ...]],
              tuple[Grid, NDArray[np.intp]]] = {}
_CACHE_SIZE = 16
_lock = threading.Lock()
#: per index (one per registry version; dropped with it): (grid, kinds) -> nearest, metres
_DISTANCES: weakref.WeakKeyDictionary[NearestIndex, dict[tuple[int, Any], tuple[
    Grid, NDArray[np.intp], NDArray[np.float64]]]] = weakref.WeakKeyDictionary()


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
    with _lock:
        found = _GRIDS.get(key)
    if found is not None:
        return found
    cells = _fill(geometry, resolution)
    listed = cells.tolist()
    ll = np.array([h3n.cell_to_latlng(c) for c in listed], dtype=np.float64).reshape(-1, 2)
    area = np.fromiter((h3n.cell_area(c, "m^2") for c in listed), dtype=np.float64,
                       count=cells.size)
    grid = Grid(resolution, cells, ll[:, 1].copy(), ll[:, 0].copy(), area)
    with _lock:
        _remember(_GRIDS, key, grid)
    return grid


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
    label.setflags(write=False)
    with _lock:
        _remember(_LABELS, key, (grid, label))
    return label


def cell_distances(grid: Grid, index: NearestIndex, filters: Filters | None = None
                   ) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """Nearest station (position in ``index``) and geodesic metres of every cell centre.

    Kept per index, grid and static filters (kinds, amenities, 24 h), so only the first
    plan of a registry version pays for them; ``open_at`` depends on the moment and is
    never kept. The arrays are read-only.
    """
    if filters is not None and filters.open_at is not None:
        return straight_line(index, filters)(grid.lon, grid.lat)
    static = None if filters is None or filters.empty else (
        filters.kinds, filters.amenities, filters.only_24h)
    key = (id(grid), static)
    with _lock:
        per_index = _DISTANCES.setdefault(index, {})
        hit = per_index.get(key)
    if hit is not None and hit[0] is grid:
        return hit[1], hit[2]
    station, dist = straight_line(index, filters)(grid.lon, grid.lat)
    station.setflags(write=False)
    dist.setflags(write=False)
    with _lock:
        _remember(per_index, key, (grid, station, dist))
    return station, dist


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


def compute(grid: Grid, nearest: NearestFn | NearestIndex, *, radius_m: float | None = None,
            minutes: float | None = None, mode: Mode = "walk",
            travel: TravelModel | None = None, filters: Filters | None = None) -> Coverage:
    """Distance from every cell centre to the nearest station and the covered mask.

    Parameters
    ----------
    grid : Grid
        From :func:`grid_for` or :func:`build_grid`.
    nearest : NearestFn or NearestIndex
        E.g. ``straight_line(index, filters)``; an index itself (with ``filters``) uses
        the distances kept per registry version (:func:`cell_distances`).
    radius_m, minutes : float
        The target: exactly one of them (default 1000 m when both are omitted).
    mode : {"walk", "ebike"}
        How ``minutes`` are travelled.
    """
    if radius_m is None and minutes is None:
        radius_m = 1000.0
    limit = threshold_metres(radius_m=radius_m, minutes=minutes, mode=mode, travel=travel)
    if isinstance(nearest, NearestIndex):
        station, dist = cell_distances(grid, nearest, filters)
    else:
        station, dist = nearest(grid.lon, grid.lat)
    return Coverage(grid, station, dist, limit, dist <= limit)
