"""Whole-city plans at H3 resolution 9: today's planner engine beside the one it replaced.

Run from the project root (a git checkout: the baseline is read from git)::

    .venv/bin/python bench/planner.py            # ~3 minutes on 2 cores
    .venv/bin/python bench/planner.py --quick    # fewer repetitions, no 50,000-station baseline

**The baseline is the old code itself**, in the same run: the planning modules
(``coverage``, ``per_unit``/``unitcoverage``, ``gaps``, ``siting``, ``plan``) of
:data:`BASELINE` (the commit before the rewrite) are read with ``git show`` into a
temporary package, their ``locator.planning`` imports pointed at it, and timed beside
today's. A whole plan is the issue's: coverage grid, per-unit table, gap polygons and 5
suggested sites, for the shipped registry (``stations_documented`` + ``stations_demo``).

* **cold**: a fresh Python process makes one plan (grid built, nothing cached; the
  imports are not timed), median of 3 processes;
* **changed radius / minutes / n / kind**: after a first plan in the process, one plan
  with one parameter changed (the web layer caches whole plans: ``n`` is served by
  cutting a 20-site plan, so its row times that cut);
* **50,000 stations**: ``synthetic.lanzhou.generate(50_000)`` (every one synthetic),
  cold in a fresh process;
* **demand raster onto the grid**: a generated population raster over the city's
  bounding box at 100 m (synthetic, for timing only, never stored), summed onto the
  resolution-9 grid by our pixel-centre sums and by ``exactextract`` over the cells'
  polygons, with both totals.
"""

from __future__ import annotations

import argparse
import importlib
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
GIT = shutil.which("git") or "git"
BASELINE = "14a365f05293325037ab86c3b5d5f4d27bcd8037"  #: last commit with the old engine
OLD_MODULES = ("coverage", "per_unit", "gaps", "siting", "plan")


def old_package() -> str:
    """Write the baseline's planning modules into a temporary package; its name."""
    folder = Path(tempfile.mkdtemp(prefix="planner-baseline-"))
    pkg = folder / "old_planning"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for name in OLD_MODULES:
        text = subprocess.run(  # noqa: S603  (our own argv)
            [GIT, "show", f"{BASELINE}:locator/planning/{name}.py"],
            cwd=ROOT, capture_output=True, text=True, check=True).stdout
        text = text.replace("from locator.planning import", "from old_planning import")
        text = text.replace("from locator.planning.", "from old_planning.")
        # names that have moved since (the baseline imports them from where they were)
        text = text.replace("from locator.stations.nearest import Filters, NearestIndex",
                            "from locator.stations.nearest import NearestIndex\n"
                            "from locator.stations.query import Filters")
        (pkg / f"{name}.py").write_text(text)
    sys.path.insert(0, str(folder))
    return str(folder)


def _registry(n: int) -> Any:
    from locator.registry import load_registry
    from locator.stations.nearest import NearestIndex
    from locator.web.service import DEFAULT_REGISTRY

    if n == 0:
        return load_registry(DEFAULT_REGISTRY).index
    sys.path.insert(0, str(ROOT))  # the synthetic package sits beside locator
    from synthetic.lanzhou import generate

    return NearestIndex(generate(n))


def one_plan(which: str, n_stations: int, **change: Any) -> float:
    """Seconds for one whole plan (imports and registry loading not timed)."""
    from locator.areas.units import load_boundaries

    index = _registry(n_stations)
    bounds = load_boundaries()
    options: dict[str, Any] = {"resolution": 9, "radius_m": 1000.0, "sites": 5, **change}
    if which == "old":
        make_plan = importlib.import_module("old_planning.plan").make_plan
    else:
        from locator.planning.plan import make_plan
    t = time.perf_counter()
    make_plan(index, bounds, **options)
    return time.perf_counter() - t


def cold(which: str, n_stations: int, runs: int) -> float:
    """Median seconds of a first plan, each in a fresh process."""
    times = []
    for _ in range(runs):
        out = subprocess.run([PY, __file__, "--one", which,  # noqa: S603  (our own argv)
                              "--stations", str(n_stations)],
                             cwd=ROOT, capture_output=True, text=True, check=True)
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def warm(which: str, runs: int) -> dict[str, float]:
    """Median seconds of a plan after a first one, per changed parameter."""
    from locator.areas.units import load_boundaries
    from locator.model import Kind
    from locator.stations.query import Filters

    index, bounds = _registry(0), load_boundaries()
    if which == "old":
        make_plan = importlib.import_module("old_planning.plan").make_plan
    else:
        from locator.planning.plan import make_plan
    base: dict[str, Any] = {"resolution": 9, "radius_m": 1000.0, "sites": 5}
    first = make_plan(index, bounds, **base)
    changes: dict[str, list[dict[str, Any]]] = {
        "radius": [{"radius_m": 1000.0 + 50 * (i + 1)} for i in range(runs)],
        "minutes": [{"radius_m": None, "minutes": 10.0 + 0.5 * i} for i in range(runs)],
        "kind": [{"filters": Filters(kinds=frozenset({k}))}
                 for k in list(Kind)[:runs]],
    }
    out: dict[str, float] = {}
    for name, variants in changes.items():
        times = []
        for v in variants:
            t = time.perf_counter()
            make_plan(index, bounds, **{**base, **v})
            times.append(time.perf_counter() - t)
        out[name] = statistics.median(times)
    times = []
    for n in range(1, runs + 1):
        t = time.perf_counter()
        if which == "old":  # the old page kept 8 plans per query: a new n was a new plan
            make_plan(index, bounds, **{**base, "sites": n + 5})
        else:  # the web layer cuts its 20-site plan (locator.web.plans.plan_for)
            first.first(n)
        times.append(time.perf_counter() - t)
    out["n"] = statistics.median(times)
    return out


def raster_figures() -> None:
    """Our pixel-centre sums beside exactextract, on a generated 100 m raster of the city."""
    import numpy as np
    from pyproj import CRS

    from locator.areas.units import load_boundaries
    from locator.planning import coverage
    from locator.planning.demand import DemandLayer
    from locator.planning.gaps import cell_polygons

    bounds = load_boundaries()
    grid = coverage.grid_for(bounds, 9)
    west, south, east, north = bounds.area.geometry.bounds
    step = 0.0009  # ~100 m at 36° N, like WorldPop's 3 arc-second grid
    w, h = int((east - west) / step) + 1, int((north - south) / step) + 1
    rng = np.random.default_rng(7)
    values = rng.gamma(0.3, 40.0, (h, w)).astype(np.float32)  # synthetic people, not real
    layer = DemandLayer("raster", "synthetic.tif", float(values.sum()), values=values,
                        affine=(step, 0.0, west, 0.0, -step, north),
                        crs=CRS.from_epsg(4326).to_wkt())
    t = time.perf_counter()
    ours, _ = layer.per_cell(grid)
    t_ours = time.perf_counter() - t
    try:
        import geopandas as gpd
        import rasterio
        from affine import Affine
        from exactextract import exact_extract
    except ImportError as exc:  # pragma: no cover - dev extra
        print(f"exactextract comparison skipped: {exc}")
        return
    t = time.perf_counter()
    polys = [cell_polygons(np.array([c], dtype=np.uint64))[0] for c in grid.cells]
    frame = gpd.GeoDataFrame({"i": np.arange(len(grid))}, geometry=polys, crs=4326)
    t_polys = time.perf_counter() - t
    with tempfile.NamedTemporaryFile(suffix=".tif") as tif:
        with rasterio.open(tif.name, "w", driver="GTiff", width=w, height=h, count=1,
                           dtype="float32", crs="EPSG:4326",
                           transform=Affine(step, 0, west, 0, -step, north)) as ds:
            ds.write(values, 1)
        t = time.perf_counter()
        theirs = exact_extract(tif.name, frame, "sum", output="pandas")["sum"].to_numpy()
        t_theirs = time.perf_counter() - t
    print(f"raster: {w:,} x {h:,} pixels (100 m, synthetic), {len(grid):,} cells; "
          f"raster total {values.sum(dtype=np.float64):,.0f}")
    print(f"{'':44}{'seconds':>10}{'people on cells':>18}")
    print(f"{'ours: pixel-centre sums (h3 per pixel)':44}{t_ours:>10.2f}{ours.sum():>18,.0f}")
    print(f"{'exactextract sum over cell polygons':44}{t_theirs:>10.2f}{theirs.sum():>18,.0f}")
    print(f"{'  + building the 142k cell polygons':44}{t_polys:>10.2f}")
    diff = np.abs(ours - theirs)
    print(f"per cell |ours - exactextract|: median {np.median(diff):.1f}, "
          f"95th pct {np.percentile(diff, 95):.1f} people (cell mean {theirs.mean():.1f})")


def main() -> None:
    """Print the figures side by side."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--one", choices=("old", "new"), help=argparse.SUPPRESS)
    parser.add_argument("--stations", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    old_package()
    if args.one:
        print(one_plan(args.one, args.stations))
        return
    runs = 2 if args.quick else 3
    rows: dict[str, dict[str, float]] = {}
    for which in ("old", "new"):
        rows[which] = {"cold": cold(which, 0, runs), **warm(which, runs)}
    big = {"new": cold("new", 50_000, 1 if args.quick else 2)}
    if not args.quick:
        big["old"] = cold("old", 50_000, 1)
    print(f"whole-city plan, H3 resolution 9 (142,370 cells), 5 sites; shipped registry "
          f"(301 stations); baseline = {BASELINE[:7]}")
    print(f"{'':34}{'old (s)':>10}{'new (s)':>10}{'old/new':>9}{'target':>9}")
    targets = {"cold": 2.0, "radius": 0.3, "minutes": 0.3, "n": 0.3, "kind": 0.3}
    for key, label in (("cold", "cold (fresh process)"), ("radius", "changed radius"),
                       ("minutes", "changed minutes"), ("n", "changed n"),
                       ("kind", "changed kind")):
        old, new = rows["old"][key], rows["new"][key]
        print(f"{label:34}{old:>10.3f}{new:>10.3f}{old / max(new, 1e-6):>8.0f}x"
              f"{targets[key]:>8.1f}s")
    old50 = big.get("old")
    print(f"{'cold at 50,000 stations':34}{old50 if old50 else float('nan'):>10.3f}"
          f"{big['new']:>10.3f}{(old50 or float('nan')) / big['new']:>8.0f}x{10.0:>8.1f}s")
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "planner.json").write_text(json.dumps({"rows": rows, "50000": big}, indent=1))
    raster_figures()


if __name__ == "__main__":
    main()
