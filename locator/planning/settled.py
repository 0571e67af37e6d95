"""The settled area: where suggestions may go when no population layer is loaded.

Without people, every hectare of empty hills weighs as much as a street, and the best
"site" is in the mountains. Until a demand layer is loaded the planner only suggests
sites, and only lists gaps, inside cells we can show are lived in:

* within :data:`DEFAULT_SETTLED_M` of an existing station of any kind (stations are put
  where workers are; a station known only to its district is left out),
* within the same distance of a named settlement or landmark of the gazetteer
  (``geodata/lanzhou/places.csv``: GeoNames cities500 settlements, district and county
  seats, railway stations, squares — each with its source),
* or inside an imported community (社区) polygon.

The page states this rule with the distance; with a demand layer it is not used.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from locator.areas import places
from locator.areas.units import AdminUnit
from locator.geo.geodesic import chord_for_metres, geodesic_m, unit_vectors
from locator.planning.coverage import Grid, assign_units, cell_distances
from locator.stations.nearest import NearestIndex

__all__ = ["DEFAULT_SETTLED_M", "MAX_STATION_PRECISION_M", "settled_cells"]

DEFAULT_SETTLED_M = 2000.0
#: stations placed more loosely than this (e.g. only to their district) do not mark settlement
MAX_STATION_PRECISION_M = 1000.0


def _gazetteer() -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    found = places.landmarks()
    return (np.array([p.lon for p in found], dtype=np.float64),
            np.array([p.lat for p in found], dtype=np.float64))


def settled_cells(grid: Grid, index: NearestIndex, *, within_m: float = DEFAULT_SETTLED_M,
                  communities: Sequence[AdminUnit] = ()) -> NDArray[np.bool_]:
    """Which cells of ``grid`` are settled by the rule of this module.

    Parameters
    ----------
    grid : Grid
        The planning grid.
    index : NearestIndex
        Every served station (no kind filter: any station shows people are there).
    within_m : float
        The distance from a station or a named place (metres, geodesic).
    communities : sequence of AdminUnit
        Imported community polygons, whose cells are all settled.
    """
    if not (np.isfinite(within_m) and within_m > 0):
        raise ValueError(f"within_m must be a positive number of metres, got {within_m!r}")
    loose = np.array([s.precision_m is not None and s.precision_m > MAX_STATION_PRECISION_M
                      for s in index.stations], dtype=bool)
    station, dist = cell_distances(grid, index)
    mask = dist <= within_m
    if loose.any():  # cells near only a loosely placed station: look again without them
        doubtful = mask & loose[np.maximum(station, 0)]
        if doubtful.any():
            tight = NearestIndex([s for s, bad in zip(index.stations, loose.tolist(),
                                                      strict=True) if not bad])
            _, again = tight.nearest_distance(grid.lon[doubtful], grid.lat[doubtful])
            mask[np.flatnonzero(doubtful)] = again <= within_m
    lon, lat = _gazetteer()
    if lon.size and len(grid):
        hits = grid.tree.query_ball_point(unit_vectors(lon, lat).reshape(-1, 3),
                                          chord_for_metres(within_m))
        for x, y, row in zip(lon.tolist(), lat.tolist(), hits, strict=True):
            near = np.asarray(row, dtype=np.intp)  # the chord bound is generous: measure
            mask[near[geodesic_m(x, y, grid.lon[near], grid.lat[near]) <= within_m]] = True
    if communities:
        mask |= assign_units(grid, communities) >= 0
    return mask
