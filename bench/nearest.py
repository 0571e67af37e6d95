"""Per-query latency of ``NearestIndex.query`` beside the obvious alternatives.

Run from the project root::

    .venv/bin/python bench/nearest.py            # default: a minute or two on 2 cores
    .venv/bin/python bench/nearest.py --quick    # fewer repetitions, well under a minute

For 300, 20,000 and 200,000 *synthetic* stations (seeded, inside the Lanzhou box,
``Station(synthetic=True)``) and one fixed seeded set of query points, it times
single queries of

* ours: ``NearestIndex.query(lon, lat, k=5)``, without and with a filter;
* bare ``scipy.spatial.cKDTree.query(xyz, k=5)`` on the same unit vectors (the floor);
* brute-force numpy: chord over every station + ``argpartition`` (k=5);
* geopandas ``sjoin_nearest`` of one point against the stations in UTM 48N (EPSG:32648).

Before timing, it checks that ours returns exactly the brute-force geodesic k-nearest
(unfiltered and filtered) for every query point, and exits non-zero if not. Figures go
to stdout and, unless ``--no-json``, to ``bench/results/nearest.json``.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import platform
import pstats
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import scipy
from numpy.typing import NDArray
from pyproj import Geod
from scipy.spatial import cKDTree

from locator.geo.geodesic import unit_vectors
from locator.model import Amenity, Kind, Station
from locator.stations.nearest import NearestIndex
from locator.stations.query import Filters

SIZES: tuple[int, ...] = (300, 20_000, 200_000)
BOX = (103.5, 104.2, 35.9, 36.2)  # lon_min, lon_max, lat_min, lat_max (WGS-84)
UTM_CRS = "EPSG:32648"  # WGS 84 / UTM zone 48N: metres, Lanzhou is near its centre
K = 5
TARGET_N = 200_000
TARGET_FLOOR_RATIO = 2.0  # ours ≤ 2 × bare cKDTree
TARGET_SJOIN_SPEEDUP = 100.0  # ours ≥ 100 × faster than sjoin_nearest

# Synthetic mix: one kind covers ~20 % of stations, each amenity is present with p = 0.5,
# so the filter (that kind AND that amenity) passes ~10 % of stations.
FILTER_KIND = Kind.SMART_STATION
FILTER_AMENITY = Amenity.EBIKE_CHARGING
KIND_SHARE = 0.20
AMENITY_P = 0.5
FILTERS = Filters(kinds=frozenset({FILTER_KIND}), amenities=frozenset({FILTER_AMENITY}))

# The sphere and the ellipsoid disagree on order by at most ~0.7 %: every geodesic
# k-nearest lies within 1 % of the k-th smallest chord.
CHORD_SLACK = 1.01
_GEOD = Geod(ellps="WGS84")

OURS = "ours NearestIndex.query"
OURS_FILTERED = "ours NearestIndex.query +filter"
FLOOR = "bare cKDTree.query"
BRUTE = "brute numpy chord+argpartition"
SJOIN = "geopandas sjoin_nearest (UTM)"


@dataclass(frozen=True, slots=True)
class Plan:
    """How long to measure.

    Each method gets ``budget_s`` seconds per size (estimated from its warm-up calls),
    clamped to ``min_reps``..``max_reps`` (``max_reps_slow`` for sjoin_nearest). The
    repetitions are split into ``rounds`` interleaved across methods so a burst of
    load from elsewhere on the machine hits every method alike.
    """

    queries: int
    warmup: int
    budget_s: float
    min_reps: int
    max_reps: int
    max_reps_slow: int
    rounds: int


DEFAULT_PLAN = Plan(queries=1000, warmup=20, budget_s=3.0, min_reps=50, max_reps=5000,
                    max_reps_slow=300, rounds=5)
QUICK_PLAN = Plan(queries=200, warmup=5, budget_s=0.25, min_reps=10, max_reps=400,
                  max_reps_slow=30, rounds=2)


@dataclass(frozen=True, slots=True)
class Synthetic:
    """Generated stations plus the raw arrays they were made from (for brute force)."""

    stations: list[Station]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    passes_filter: NDArray[np.bool_]


@dataclass(slots=True)
class Row:
    """One line of the latency table."""

    n: int
    method: str
    k: int
    reps: int
    median_us: float
    p95_us: float
    vs_floor: float = float("nan")


def make_stations(n: int, seed: int) -> Synthetic:
    """``n`` synthetic stations, uniform in :data:`BOX`, random kind and amenities."""
    rng = np.random.default_rng(seed)
    lon = rng.uniform(BOX[0], BOX[1], n)
    lat = rng.uniform(BOX[2], BOX[3], n)
    kinds = [FILTER_KIND, *(k for k in Kind if k is not FILTER_KIND)]
    share = (1.0 - KIND_SHARE) / (len(kinds) - 1)
    kind_code = rng.choice(len(kinds), size=n, p=[KIND_SHARE] + [share] * (len(kinds) - 1))
    amenities = list(Amenity)
    bits = rng.random((n, len(amenities))) < AMENITY_P
    codes = bits @ (1 << np.arange(len(amenities)))
    sets: dict[int, frozenset[Amenity]] = {}
    for code in np.unique(codes).tolist():
        sets[code] = frozenset(a for i, a in enumerate(amenities) if code >> i & 1)
    stations = [
        Station(id=f"syn-{n}-{i:06d}", name=f"Synthetic station {i}", kind=kinds[c],
                lon=x, lat=y, amenities=sets[a], source="bench/nearest.py", synthetic=True)
        for i, (x, y, c, a) in enumerate(zip(lon.tolist(), lat.tolist(), kind_code.tolist(),
                                             codes.tolist(), strict=True))
    ]
    passes = (kind_code == 0) & bits[:, amenities.index(FILTER_AMENITY)]
    return Synthetic(stations, lon, lat, passes)


def make_queries(count: int, seed: int) -> tuple[list[float], list[float]]:
    """Fixed query points in :data:`BOX` (Python floats, as a web request would pass)."""
    rng = np.random.default_rng(seed)
    return rng.uniform(BOX[0], BOX[1], count).tolist(), rng.uniform(BOX[2], BOX[3], count).tolist()


def brute_chord(xyz: NDArray[np.float64], lon: float, lat: float,
                k: int) -> NDArray[np.intp]:
    """The timed brute force: squared chord to every station, ``argpartition``, sort k."""
    diff = xyz - unit_vectors(lon, lat)
    d2 = np.einsum("ij,ij->i", diff, diff)
    part = np.argpartition(d2, k - 1)[:k]
    return part[np.argsort(d2[part])]


def brute_geodesic(d2: NDArray[np.float64], pool: NDArray[np.intp], lon_s: NDArray[np.float64],
                   lat_s: NDArray[np.float64], lon: float, lat: float,
                   k: int) -> NDArray[np.intp]:
    """Exact geodesic k-nearest among ``pool`` by brute force (for verification only).

    ``d2`` holds the squared chords from the query point to the stations of ``pool``.
    Every station within :data:`CHORD_SLACK` of the k-th smallest chord is a candidate;
    candidates are ranked by WGS-84 geodesic metres (ties by index, as ours does).
    """
    kk = min(k, pool.size)
    kth = np.partition(d2, kk - 1)[kk - 1]
    cand = pool[d2 <= kth * CHORD_SLACK**2]
    _, _, metres = _GEOD.inv(np.full(cand.size, lon), np.full(cand.size, lat),
                             lon_s[cand], lat_s[cand])
    order = np.lexsort((cand, np.asarray(metres, dtype=np.float64)))
    return np.asarray(cand[order][:kk], dtype=np.intp)


def verify(index: NearestIndex, syn: Synthetic, xyz: NDArray[np.float64],
           q_lon: Sequence[float], q_lat: Sequence[float]) -> dict[str, int]:
    """Check ours against brute force for every query point; exit non-zero on a mismatch."""
    n = len(syn.stations)
    everyone = np.arange(n, dtype=np.intp)
    filtered = np.flatnonzero(syn.passes_filter)
    if not np.array_equal(index.mask(FILTERS), syn.passes_filter):
        raise SystemExit(f"CORRECTNESS FAILURE at n={n}: NearestIndex.mask(filters) differs "
                         "from the brute-force filter")
    ids = [s.id for s in syn.stations]
    chord_ties = 0
    for j, (x, y) in enumerate(zip(q_lon, q_lat, strict=True)):
        diff = xyz - unit_vectors(x, y)
        d2 = np.einsum("ij,ij->i", diff, diff)
        cases = ((OURS, everyone, d2, None), (OURS_FILTERED, filtered, d2[filtered], FILTERS))
        for label, pool, sub, filters in cases:
            want = [ids[i] for i in brute_geodesic(sub, pool, syn.lon, syn.lat, x, y, K)]
            got = [h.station.id for h in index.query(x, y, k=K, filters=filters)]
            if got[:1] != want[:1] or got != want:
                raise SystemExit(
                    f"CORRECTNESS FAILURE at n={n}, query #{j} ({x!r}, {y!r}), {label}: "
                    f"ours {got} but brute-force geodesic {want}")
            if filters is None and ids[int(np.argmin(d2))] != want[0]:
                chord_ties += 1
    return {"queries": len(q_lon), "chord_vs_geodesic_nearest_differs": chord_ties}


def _time_calls(fn: Callable[[int], object], indices: Sequence[int]) -> list[float]:
    clock = time.perf_counter
    out: list[float] = []
    for i in indices:
        t0 = clock()
        fn(i)
        out.append(clock() - t0)
    return out


def measure(methods: Sequence[tuple[str, int, Callable[[int], object], bool]], n: int,
            plan: Plan, n_queries: int) -> list[Row]:
    """Warm up each method, size its repetitions, then time them in interleaved rounds."""
    reps: list[int] = []
    for _, _, fn, slow in methods:
        warm = _time_calls(fn, [i % n_queries for i in range(plan.warmup)])
        est = float(np.median(warm[1:] if len(warm) > 1 else warm))
        cap = plan.max_reps_slow if slow else plan.max_reps
        reps.append(max(plan.min_reps, min(cap, int(plan.budget_s / max(est, 1e-9)))))
    samples: list[list[float]] = [[] for _ in methods]
    gc.collect()
    gc.disable()
    try:
        for r in range(plan.rounds):
            for m, (_, _, fn, _) in enumerate(methods):
                lo, hi = r * reps[m] // plan.rounds, (r + 1) * reps[m] // plan.rounds
                samples[m] += _time_calls(fn, [i % n_queries for i in range(lo, hi)])
    finally:
        gc.enable()
    rows = []
    for (label, k, _, _), ts in zip(methods, samples, strict=True):
        us = np.asarray(ts) * 1e6
        rows.append(Row(n, label, k, us.size, float(np.median(us)),
                        float(np.percentile(us, 95))))
    floor = next(r.median_us for r in rows if r.method == FLOOR)
    for row in rows:
        row.vs_floor = row.median_us / floor
    return rows


def _seconds(fn: Callable[[], Any]) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def bench_size(n: int, plan: Plan, seed: int, q_lon: list[float], q_lat: list[float],
               q_utm: list[gpd.GeoDataFrame]) -> tuple[list[Row], dict[str, Any]]:
    """Build every index for ``n`` stations, verify ours, then time all methods."""
    syn, t_gen = _seconds(lambda: make_stations(n, seed + n))
    index, t_ours = _seconds(lambda: NearestIndex(syn.stations))
    xyz = unit_vectors(syn.lon, syn.lat)
    tree, t_tree = _seconds(lambda: cKDTree(xyz))
    gdf, t_gdf = _seconds(lambda: gpd.GeoDataFrame(
        {"id": [s.id for s in syn.stations]},
        geometry=gpd.points_from_xy(syn.lon, syn.lat), crs="EPSG:4326").to_crs(UTM_CRS))
    _, t_sindex = _seconds(lambda: gdf.sindex)
    checks, t_verify = _seconds(lambda: verify(index, syn, xyz, q_lon, q_lat))
    q_xyz = unit_vectors(q_lon, q_lat)

    def ours(i: int) -> object:
        return index.query(q_lon[i], q_lat[i], k=K)

    def ours_filtered(i: int) -> object:
        return index.query(q_lon[i], q_lat[i], k=K, filters=FILTERS)

    def floor(i: int) -> object:
        return tree.query(q_xyz[i], k=K)

    def brute(i: int) -> object:
        return brute_chord(xyz, q_lon[i], q_lat[i], K)

    def sjoin(i: int) -> object:
        return gpd.sjoin_nearest(q_utm[i], gdf, how="inner")

    agree = sum(str(gpd.sjoin_nearest(q_utm[i], gdf)["id"].iloc[0])
                == index.query(q_lon[i], q_lat[i], k=1)[0].station.id
                for i in range(min(50, len(q_lon))))
    checks["sjoin_nearest_agrees_with_ours_of_50"] = agree
    methods = [(OURS, K, ours, False), (OURS_FILTERED, K, ours_filtered, False),
               (FLOOR, K, floor, False), (BRUTE, K, brute, False), (SJOIN, 1, sjoin, True)]
    rows = measure(methods, n, plan, len(q_lon))
    builds = {"n": n, "generate_stations_s": t_gen, "ours_index_build_s": t_ours,
              "ckdtree_build_s": t_tree, "geodataframe_build_and_to_utm_s": t_gdf,
              "sjoin_sindex_build_s": t_sindex, "verify_s": t_verify,
              "filter_pass_fraction": float(syn.passes_filter.mean()), "checks": checks}
    return rows, builds


def profile_ours(n: int, seed: int, q_lon: list[float], q_lat: list[float], calls: int) -> None:
    """cProfile ``calls`` unfiltered and filtered queries of ours at ``n`` stations."""
    index = NearestIndex(make_stations(n, seed + n).stations)
    for label, filters in ((OURS, None), (OURS_FILTERED, FILTERS)):
        prof = cProfile.Profile()
        prof.enable()
        for i in range(calls):
            index.query(q_lon[i % len(q_lon)], q_lat[i % len(q_lat)], k=K, filters=filters)
        prof.disable()
        print(f"\n--- cProfile: {label}, n={n:,}, {calls} calls (tottime, per call = /{calls}) ---")
        pstats.Stats(prof, stream=sys.stdout).sort_stats("tottime").print_stats(18)


def print_report(rows: list[Row], builds: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Print the tables and the two targets; return the targets as records."""
    print("\nBuild times (seconds, once per size; not part of per-query figures)")
    print(f"{'n':>8}  {'stations':>9}  {'ours index':>10}  {'cKDTree':>8}  "
          f"{'gdf+to_utm':>10}  {'sindex':>7}  {'verify':>7}  filter pass")
    for b in builds:
        print(f"{b['n']:>8,}  {b['generate_stations_s']:>9.3f}  {b['ours_index_build_s']:>10.3f}  "
              f"{b['ckdtree_build_s']:>8.4f}  {b['geodataframe_build_and_to_utm_s']:>10.3f}  "
              f"{b['sjoin_sindex_build_s']:>7.3f}  {b['verify_s']:>7.2f}  "
              f"{b['filter_pass_fraction']:>10.1%}")

    print("\nPer single query (µs; median and p95 over reps; × floor = median / bare cKDTree)")
    width = max(len(r.method) for r in rows)
    print(f"{'n':>8}  {'method':<{width}}  {'k':>2}  {'reps':>5}  {'median µs':>10}  "
          f"{'p95 µs':>10}  {'× floor':>8}")
    for n in sorted({r.n for r in rows}):
        for r in (r for r in rows if r.n == n):
            print(f"{r.n:>8,}  {r.method:<{width}}  {r.k:>2}  {r.reps:>5}  {r.median_us:>10.1f}  "
                  f"{r.p95_us:>10.1f}  {r.vs_floor:>7.2f}×")
        print()
    for n in sorted({r.n for r in rows}):
        print(f"n={n:>7,}: sjoin_nearest / ours = {_ratio(rows, n, SJOIN, OURS):8.1f}×   "
              f"sjoin_nearest / ours+filter = {_ratio(rows, n, SJOIN, OURS_FILTERED):8.1f}×")
    print(f"\nfilter = kinds={{{FILTER_KIND.value}}} (~{KIND_SHARE:.0%} of stations) AND "
          f"amenity {FILTER_AMENITY.value} (p={AMENITY_P}); sjoin_nearest returns k=1 (ties: "
          "all); floor excludes the lon/lat→xyz step, sjoin excludes projecting the point.")
    for b in builds:
        c = b["checks"]
        print(f"verified n={b['n']:,}: ours == brute-force geodesic k={K} (ids and order) for "
              f"{c['queries']} points, unfiltered and filtered; chord-nearest ≠ geodesic-nearest "
              f"at {c['chord_vs_geodesic_nearest_differs']}; sjoin_nearest agrees with ours at "
              f"{c['sjoin_nearest_agrees_with_ours_of_50']}/50")

    targets = []
    if any(r.n == TARGET_N for r in rows):
        floor_ratio = _ratio(rows, TARGET_N, OURS, FLOOR)
        speedup = _ratio(rows, TARGET_N, SJOIN, OURS)
        targets = [
            {"target": f"ours within {TARGET_FLOOR_RATIO:g}× of bare cKDTree per query at "
                       f"{TARGET_N:,}", "value": floor_ratio,
             "passed": floor_ratio <= TARGET_FLOOR_RATIO},
            {"target": f"ours ≥ {TARGET_SJOIN_SPEEDUP:g}× faster than sjoin_nearest per single "
                       f"query at {TARGET_N:,}", "value": speedup,
             "passed": speedup >= TARGET_SJOIN_SPEEDUP},
        ]
        print()
        for t in targets:
            verdict = "PASS" if t["passed"] else "FAIL"
            print(f"{verdict}: {t['target']} (measured {t['value']:.1f}×)")
    return targets


def _ratio(rows: list[Row], n: int, top: str, bottom: str) -> float:
    med = {r.method: r.median_us for r in rows if r.n == n}
    return med[top] / med[bottom]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; return the process exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true",
                        help="fewer repetitions and query points (well under a minute)")
    parser.add_argument("--seed", type=int, default=20240601, help="RNG seed (default %(default)s)")
    parser.add_argument("--json", type=Path, default=Path(__file__).parent / "results/nearest.json",
                        help="where to write the figures (default %(default)s)")
    parser.add_argument("--no-json", action="store_true", help="do not write the JSON file")
    parser.add_argument("--profile", action="store_true",
                        help="also cProfile ours at the largest size and print the top functions")
    args = parser.parse_args(argv)
    plan = QUICK_PLAN if args.quick else DEFAULT_PLAN

    started = time.perf_counter()
    print(f"bench/nearest.py ({'quick' if args.quick else 'default'}): sizes "
          f"{', '.join(f'{n:,}' for n in SIZES)}; {plan.queries} query points; seed {args.seed}; "
          f"synthetic stations only")
    q_lon, q_lat = make_queries(plan.queries, args.seed)
    q_utm = [gpd.GeoDataFrame(geometry=gpd.points_from_xy([x], [y]), crs="EPSG:4326")
             .to_crs(UTM_CRS) for x, y in zip(q_lon, q_lat, strict=True)]
    rows: list[Row] = []
    builds: list[dict[str, Any]] = []
    for n in SIZES:
        print(f"  n={n:,} …", flush=True)
        r, b = bench_size(n, plan, args.seed, q_lon, q_lat, q_utm)
        rows += r
        builds.append(b)
    targets = print_report(rows, builds)
    elapsed = time.perf_counter() - started
    print(f"\nwall time {elapsed:.0f} s")

    if args.profile:
        profile_ours(SIZES[-1], args.seed, q_lon, q_lat, calls=2000 if not args.quick else 300)

    if not args.no_json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        meta = {"mode": "quick" if args.quick else "default", "seed": args.seed,
                "plan": asdict(plan), "wall_s": elapsed, "python": platform.python_version(),
                "numpy": np.__version__, "scipy": scipy.__version__,
                "geopandas": gpd.__version__, "pyproj": pyproj.__version__,
                "cpus": os.cpu_count(), "machine": platform.machine(), "synthetic": True}
        doc = {"meta": meta, "builds": builds, "rows": [asdict(r) for r in rows],
               "targets": targets}
        args.json.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n",
                             encoding="utf-8")
        print(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
