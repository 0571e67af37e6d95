"""Nearest stations from PostGIS (KNN ``<->`` on the GiST index) beside the in-memory index.

Run from the project root::

    .venv/bin/python bench/postgis_nearest.py           # 1,000 queries each, ~1 minute
    .venv/bin/python bench/postgis_nearest.py --quick   # 200 queries each

It starts a throwaway PostgreSQL + PostGIS cluster (``tests/pgcluster.py``: a temp
folder, unix socket only, removed at the end; ``SKIPPED`` when the Debian packages are
missing — ``bash scripts/ensure-postgis.sh``), imports the synthetic national registry
(200,000 stations, all ``synthetic=True``) with ``PostgisStore.write``, and times, for
the same seeded query points in the same order, one query per call:

* ``in-memory NearestIndex.query(k=5)`` — what every gunicorn worker answers from;
* ``PostgisStore.nearest(k=5)`` — ``ORDER BY geom <-> point LIMIT 4k+8`` (an index scan
  on the GiST index, shown by ``EXPLAIN``), re-ranked by ``ST_Distance`` on geography,
  through SQLAlchemy and a unix socket: the round trip a server would pay per request.

Both return the exact geodesic k-nearest; the agreement on ids is printed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _serving import RESULTS  # noqa: E402


def _timed(fn: Any, points: list[tuple[float, float]]) -> tuple[list[float], list[Any]]:
    times, answers = [], []
    for lon, lat in points:
        t0 = time.perf_counter()
        answers.append(fn(lon, lat))
        times.append((time.perf_counter() - t0) * 1e6)
    return times, answers


def main() -> int:
    """Start the cluster, import, time both, print and save; stop the cluster."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 queries instead of 1,000")
    parser.add_argument("--stations", type=int, default=200_000)
    parser.add_argument("--no-json", action="store_true")
    opts = parser.parse_args()
    from locator.registry.store import ImportMeta
    from locator.stations.nearest import NearestIndex
    from synthetic import national
    from tests.pgcluster import ClusterUnavailable, start_cluster

    try:
        cluster = start_cluster(fsync=False)
    except ClusterUnavailable as exc:
        print(f"postgis nearest: SKIPPED: {exc} (bash scripts/ensure-postgis.sh)")
        return 0
    try:
        from locator.registry.store.postgis import PostgisStore

        stations = national.generate(opts.stations)
        store = PostgisStore(cluster.url)
        t0 = time.perf_counter()
        store.write(stations, ImportMeta(user="bench", source="synthetic national",
                                         sha256="0" * 64, rows=len(stations), rejected=0,
                                         datum="wgs84"))
        write_s = time.perf_counter() - t0
        with store._engine.begin() as conn:
            from sqlalchemy import text

            conn.execute(text("ANALYZE stations"))
            plan = "\n".join(r[0] for r in conn.execute(text(
                "EXPLAIN SELECT id FROM stations ORDER BY geom <-> "
                "ST_SetSRID(ST_MakePoint(116.4, 39.9), 4326) LIMIT 28")))
        t0 = time.perf_counter()
        index = NearestIndex(stations)
        index_s = time.perf_counter() - t0
        n = 200 if opts.quick else 1000
        lon, lat, _ = national.sample_points(n, seed=99)
        points = list(zip(lon.tolist(), lat.tolist(), strict=True))
        for lo, la in points[:20]:  # warm both (connection pool, caches)
            store.nearest(lo, la, k=5)
            index.query(lo, la, k=5)
        mem_t, mem_a = _timed(lambda lo, la: [h.station.id for h in index.query(lo, la, k=5)],
                              points)
        pg_t, pg_a = _timed(lambda lo, la: [i for i, _ in store.nearest(lo, la, k=5)], points)
        store.close()
    finally:
        cluster.stop()
    same = sum(a == b for a, b in zip(mem_a, pg_a, strict=True))
    uses_index = "Index Scan" in plan
    rows = [("in-memory NearestIndex.query", mem_t), ("PostGIS <-> (PostgisStore.nearest)", pg_t)]
    print(f"postgis nearest: {opts.stations:,} synthetic stations, {n} queries, k=5, "
          f"one query per call")
    print(f"  import into PostGIS {write_s:.1f} s; NearestIndex build {index_s:.2f} s; "
          f"planner uses the GiST index: {'yes' if uses_index else 'NO'}")
    print()
    print("| method | median µs | p95 µs | queries/s (one client) |")
    print("|---|---:|---:|---:|")
    out: dict[str, Any] = {}
    for label, times in rows:
        med = statistics.median(times)
        p95 = statistics.quantiles(times, n=20)[-1]
        out[label] = {"median_us": med, "p95_us": p95, "qps": 1e6 / statistics.mean(times)}
        print(f"| {label} | {med:,.0f} | {p95:,.0f} | {out[label]['qps']:,.0f} |")
    ratio = out[rows[1][0]]["median_us"] / out[rows[0][0]]["median_us"]
    print()
    print(f"  PostGIS / in-memory (median): {ratio:.1f}×; same 5 ids in the same order: "
          f"{same}/{n}")
    print("  plan:\n    " + plan.replace("\n", "\n    "))
    if not opts.no_json:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "postgis_nearest.json").write_text(json.dumps(
            {"stations": opts.stations, "queries": n, "rows": out, "ratio": ratio,
             "agree": same, "write_s": write_s, "index_s": index_s, "plan": plan},
            indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
