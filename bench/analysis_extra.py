"""The analysis extra: what ``locator.analysis.nearest`` gives and what pandas costs a server.

Run from the project root::

    .venv/bin/python bench/analysis_extra.py           # ~1 minute
    .venv/bin/python bench/analysis_extra.py --quick   # 20,000 stations, 2,000 points

1. **Nearest for many points** (uniform stations and points over Lanzhou, as in
   ``bench/nearest.py``), best of ``--runs``:

   * ``analysis.nearest`` — the GeoDataFrame answer (one row per point × rank, station
     columns, EPSG:4326), exact geodesic k-nearest;
   * ``NearestIndex.query_many`` — the same ranking as arrays only;
   * ``NearestIndex.query`` in a loop — the obvious way with the single-point API;
   * ``geopandas sjoin_nearest (UTM 48N)`` — the obvious analyst's way, k = 1 only and
     planar metres (the station frame is projected and indexed beforehand; projecting the
     points is timed).

2. **A server worker with and without pandas**: in a fresh interpreter each, the app
   answers the API, then its first finder page (folium imports pandas when it is
   installed); resident memory (``VmRSS``) before and after that page and the page's
   time, with pandas, geopandas and pyogrio present, then hidden as if not installed
   (the server installed without ``[analysis]``). Medians of ``--runs`` alternating runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np

from locator import analysis
from locator.model import Kind, Station
from locator.registry import Registry
from locator.registry.load import LoadReport
from locator.stations.nearest import NearestIndex

ROOT = Path(__file__).resolve().parents[1]
BOX = (103.5, 104.2, 35.9, 36.2)  # lon_min, lon_max, lat_min, lat_max (WGS-84)
UTM_CRS = "EPSG:32648"

_WORKER = """
import json, sys, time
if sys.argv[1] == "hidden":
    from importlib.abc import MetaPathFinder
    class NotInstalled(MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in ("pandas", "geopandas", "pyogrio"):
                raise ModuleNotFoundError(name, name=name)
    sys.meta_path.insert(0, NotInstalled())
def rss_mb():
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) for l in status if l.startswith("VmRSS")) / 1024
from locator import create_app
client = create_app({"TESTING": True}).test_client()
assert client.get("/api/v1/nearest?lat=36.06&lon=103.83").status_code == 200
before = rss_mb()
start = time.perf_counter()
assert client.get("/?lat=36.06&lon=103.83").status_code == 200
print(json.dumps({"page_s": time.perf_counter() - start, "before_mb": before,
                  "after_mb": rss_mb(), "pandas": "pandas" in sys.modules}))
"""


def best(fn: Callable[[int], Any], k: int, runs: int) -> float:
    """Fastest of ``runs`` calls ``fn(k)``, in seconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn(k)
        times.append(time.perf_counter() - start)
    return min(times)


def many_points(n: int, points: int, runs: int) -> None:
    rng = np.random.default_rng(2024)
    lon, lat = rng.uniform(BOX[0], BOX[1], n), rng.uniform(BOX[2], BOX[3], n)
    stations = tuple(Station(id=f"s{i}", name=f"站{i}", kind=Kind.BOX_STATION, lon=float(x),
                             lat=float(y), synthetic=True)
                     for i, (x, y) in enumerate(zip(lon, lat, strict=True)))
    registry = Registry(stations, NearestIndex(stations), LoadReport((), n, n, ()))
    index = registry.index
    px, py = rng.uniform(BOX[0], BOX[1], points), rng.uniform(BOX[2], BOX[3], points)
    where = gpd.GeoDataFrame(geometry=gpd.points_from_xy(px, py), crs="EPSG:4326")
    projected = gpd.GeoDataFrame(geometry=gpd.points_from_xy(index.lon, index.lat),
                                 crs="EPSG:4326").to_crs(UTM_CRS)
    projected.sindex  # noqa: B018  (built once, outside the timing)
    print(f"{n:,} stations, {points:,} points (best of {runs})")
    print(f"{'':40}{'k':>3}{'seconds':>10}{'µs/point':>10}{'vs ours':>9}")
    methods: dict[str, Callable[[int], Any]] = {
        "analysis.nearest (GeoDataFrame)": lambda k: analysis.nearest(where, registry, k=k),
        "NearestIndex.query_many (arrays)": lambda k: index.query_many(px, py, k=k),
        "NearestIndex.query, one call a point": lambda k: [
            index.query(x, y, k=k) for x, y in zip(px.tolist(), py.tolist(), strict=True)],
        "geopandas sjoin_nearest (UTM 48N)": lambda k: gpd.sjoin_nearest(
            where.to_crs(UTM_CRS), projected, distance_col="d"),  # k = 1 only
    }
    for k in (1, 5):
        rows = [(name, best(fn, k, runs)) for name, fn in methods.items()
                if k == 1 or "sjoin" not in name]
        ours = rows[0][1]
        for name, seconds in rows:
            print(f"{name:40}{k:>3}{seconds:>10.3f}{seconds / points * 1e6:>10.1f}"
                  f"{seconds / ours:>8.2f}x")


def worker_memory(runs: int) -> None:
    results: dict[str, list[dict[str, Any]]] = {"installed": [], "hidden": []}
    for _ in range(runs):
        for mode, found in results.items():
            done = subprocess.run([sys.executable, "-c", _WORKER, mode],  # noqa: S603
                                  capture_output=True,
                                  text=True, cwd=ROOT, timeout=300, check=True)
            found.append(json.loads(done.stdout))
    print(f"\nA worker's first finder page (median of {runs} runs each)")
    print(f"{'analysis extra':16}{'RSS before':>12}{'after':>10}{'added':>10}{'page s':>9}")
    for mode, found in results.items():
        assert all(r["pandas"] == (mode == "installed") for r in found)
        before = statistics.median(r["before_mb"] for r in found)
        after = statistics.median(r["after_mb"] for r in found)
        added = statistics.median(r["after_mb"] - r["before_mb"] for r in found)
        page = statistics.median(r["page_s"] for r in found)
        print(f"{mode:16}{before:>10.1f} MB{after:>7.1f} MB{added:>7.1f} MB{page:>9.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 stations, 2,000 points")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    n, points = (20_000, 2_000) if args.quick else (200_000, 10_000)
    many_points(n, points, args.runs)
    worker_memory(args.runs)


if __name__ == "__main__":
    main()
