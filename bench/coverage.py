"""Whole-city coverage at H3 resolution 9: our engine beside geopandas ``sjoin_nearest``.

Run from the project root::

    .venv/bin/python bench/coverage.py

On the shipped registry (mostly synthetic demonstration stations) it times

* building the city grid once (cached afterwards: the page and API reuse it);
* ours: ``coverage.compute`` on the cached grid (nearest station + geodesic metres for
  every cell, the covered mask), the figure the ≤ 1 s target is about;
* ``plan.coverage_summary`` (a whole plan without sites: compute, per-district table, gaps)
  on the cached grid;
* geopandas ``sjoin_nearest`` of the same cell centres against the stations in UTM 48N
  (EPSG:32648; planar metres), the obvious alternative.

It also reports how far the two disagree (UTM planar vs geodesic metres), then times the
area import (``locator.areas.imports.prepare_areas``) of generated subdistrict polygons for
the whole city (Voronoi cells of seeded random points in each district, named after its real
subdistricts: *invented shapes*, for timing only, never stored) as GeoJSON and as a
zipped Shapefile, and the per-unit table at subdistrict level beside the district one.
"""

from __future__ import annotations

import io
import json
import statistics
import time
import zipfile
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import shapefile
import shapely
from shapely.geometry import MultiPoint, mapping
from shapely.geometry.base import BaseGeometry

from locator.areas.imports import prepare_areas
from locator.areas.units import admin_names, load_boundaries
from locator.planning import coverage
from locator.planning.plan import coverage_summary
from locator.registry import load_registry
from locator.web.service import DEFAULT_REGISTRY


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
    summ = best_of(lambda: coverage_summary(registry.index, bounds, resolution=9))

    located = [s for s in registry.index.stations]
    stations = gpd.GeoDataFrame(geometry=gpd.points_from_xy(
        registry.index.lon, registry.index.lat), crs=4326).to_crs(32648)
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
    print(f"{'ours: coverage_summary (plan)':38}{summ:>10.3f}")
    print(f"{'geopandas sjoin_nearest (UTM 48N)':38}{theirs:>10.3f}")
    print(f"UTM planar vs geodesic metres: median {np.median(diff):.1f} m, "
          f"max {diff.max():.1f} m; covered cells disagree: "
          f"{int(((joined['d'].to_numpy() <= 1000) != cov.covered).sum())}")


def generated_subdistricts() -> list[tuple[str, BaseGeometry]]:
    """(name, polygon) per known subdistrict: Voronoi cells in its district (invented)."""
    rng = np.random.default_rng(5)
    out: list[tuple[str, BaseGeometry]] = []
    for district in load_boundaries().units:
        names = [n.name for n in admin_names() if n.level == "subdistrict"
                 and n.district_code == district.code]
        x0, y0, x1, y1 = district.geometry.bounds
        pts: list[tuple[float, float]] = []
        while len(pts) < len(names):
            x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
            if district.geometry.contains(shapely.Point(x, y)):
                pts.append((x, y))
        cells = shapely.voronoi_polygons(MultiPoint(pts), extend_to=district.geometry)
        for name, cell in zip(names, cells.geoms, strict=False):
            piece = cell.intersection(district.geometry)
            if piece.geom_type in ("Polygon", "MultiPolygon") and not piece.is_empty:
                out.append((name, piece.simplify(0.0005)))
    return out


def as_shapefile_zip(rows: list[tuple[str, BaseGeometry]]) -> bytes:
    """The polygons as a zipped Shapefile (UTF-8 attributes)."""
    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    with shapefile.Writer(shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POLYGON) as w:
        w.field("name", "C", size=40)
        for name, geom in rows:
            w.shape(mapping(geom))
            w.record(name=name)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for ext, buf in (("shp", shp), ("shx", shx), ("dbf", dbf)):
            z.writestr(f"jd.{ext}", buf.getvalue())
        z.writestr("jd.cpg", "UTF-8")
    return out.getvalue()


def areas_figures() -> None:
    """Area import and per-unit tables at subdistrict level (generated shapes)."""
    registry = load_registry(DEFAULT_REGISTRY)
    rows = generated_subdistricts()
    gj = json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": n}, "geometry": mapping(g)}
        for n, g in rows]}, ensure_ascii=False).encode()
    zipped = as_shapefile_zip(rows)
    result = prepare_areas(gj, level="subdistrict", name="jd.geojson")
    t_gj = best_of(lambda: prepare_areas(gj, level="subdistrict", name="jd.geojson"), 3)
    t_zip = best_of(lambda: prepare_areas(zipped, level="subdistrict", name="jd.zip"), 3)
    units = result.units
    by_district = best_of(lambda: coverage_summary(registry.index, resolution=9), 3)
    by_sub = best_of(lambda: coverage_summary(registry.index, resolution=9,
                                              level="subdistrict", areas=units), 3)
    print(f"areas: {len(rows)} generated subdistrict polygons (invented shapes), "
          f"{len(units)} accepted, {len(result.problems)} rejected, "
          f"{len(result.notes)} notes; GeoJSON {len(gj) / 1e6:.1f} MB, zip "
          f"{len(zipped) / 1e6:.1f} MB")
    print(f"{'':38}{'seconds':>10}")
    print(f"{'prepare_areas GeoJSON':38}{t_gj:>10.3f}")
    print(f"{'prepare_areas Shapefile zip':38}{t_zip:>10.3f}")
    print(f"{'summary per district (res 9)':38}{by_district:>10.3f}")
    print(f"{'summary per subdistrict (res 9)':38}{by_sub:>10.3f}")


if __name__ == "__main__":
    main()
    areas_figures()
