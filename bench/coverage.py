"""Whole-city coverage at H3 resolution 9: our engine beside geopandas ``sjoin_nearest``.

Run from the project root::

    .venv/bin/python bench/coverage.py

On the shipped registry (mostly synthetic demonstration stations) it times

* building the city grid once (cached afterwards: the page and API reuse it);
* ours: ``coverage.compute`` on the cached grid (nearest station + geodesic metres for
  every cell, the covered mask), the figure the ≤ 1 s target is about;
* ``coverage.summary`` (compute + per-district table) on the cached grid;
* geopandas ``sjoin_nearest`` of the same cell centres against the stations in UTM 48N
  (EPSG:32648; planar metres), the obvious alternative.

It also reports how far the two disagree (UTM planar vs geodesic metres).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import geopandas as gpd
import numpy as np

from locator import coverage
from locator.registry import load_registry
from locator.service import DEFAULT_REGISTRY
from locator.units import load_boundaries


def best_of(fn: Callable[[], object], repeat: int = 5) -> float:
    """The median wall time of ``repeat`` calls, in seconds."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    """Print the figures side by side."""
    registry = load_registry(DEFAULT_REGISTRY)
    bounds = load_boundaries()
    t = time.perf_counter()
    grid = coverage.grid_for(bounds, 9)
    build = time.perf_counter() - t
    nearest = coverage.straight_line(registry.index)
    ours = best_of(lambda: coverage.compute(grid, nearest, radius_m=1000))
    summ = best_of(lambda: coverage.summary(registry.index, bounds, resolution=9))

    located = [s for s in registry.index.stations]
    stations = gpd.GeoDataFrame(geometry=gpd.points_from_xy(
        [s.lon for s in located], [s.lat for s in located]), crs=4326).to_crs(32648)
    cells = gpd.GeoDataFrame(geometry=gpd.points_from_xy(grid.lon, grid.lat), crs=4326)

    def sjoin() -> gpd.GeoDataFrame:
        return gpd.sjoin_nearest(cells.to_crs(32648), stations, distance_col="d")

    theirs = best_of(sjoin)
    joined = sjoin()
    joined = joined[~joined.index.duplicated()]
    cov = coverage.compute(grid, nearest, radius_m=1000)
    diff = np.abs(joined["d"].to_numpy() - cov.distance_m)
    print(f"cells: {len(grid):,} (resolution 9, {grid.area_m2.sum() / 1e6:,.0f} km²); "
          f"stations: {len(located)}")
    print(f"{'':38}{'seconds':>10}")
    print(f"{'grid build (once, then cached)':38}{build:>10.3f}")
    print(f"{'ours: coverage.compute':38}{ours:>10.3f}")
    print(f"{'ours: coverage.summary (+ districts)':38}{summ:>10.3f}")
    print(f"{'geopandas sjoin_nearest (UTM 48N)':38}{theirs:>10.3f}")
    print(f"UTM planar vs geodesic metres: median {np.median(diff):.1f} m, "
          f"max {diff.max():.1f} m; covered cells disagree: "
          f"{int(((joined['d'].to_numpy() <= 1000) != cov.covered).sum())}")


if __name__ == "__main__":
    main()
