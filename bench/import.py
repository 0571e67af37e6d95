"""Import of a large registry CSV into each store backend, side by side: rows/s and peak memory.

Run from the project root::

    .venv/bin/python bench/import.py              # 200,000 rows (a minute or two)
    .venv/bin/python bench/import.py --rows 20000 # quicker

It writes one *synthetic* CSV (seeded; Chinese names; points inside Lanzhou's
Chengguan/Qilihe core, so every row passes the service-area check) and then,
each in a fresh subprocess so peak RSS is its own:

* ``ours → GeoPackage``: ``importer.prepare`` (read + validate every row) then
  ``importer.commit`` into a new GeoPackage store;
* ``ours → PostGIS``: the same into a throwaway PostGIS cluster started here
  (``tests/pgcluster.py``, fsync on) — reported as SKIPPED when PostGIS is missing;
* ``pyogrio read → GPKG write``: GDAL reads the CSV and writes a GeoPackage layer,
  with no validation at all (the obvious alternative, and what we refuse to hand
  untrusted files to).

Prints read+validate seconds, store-write seconds, total rows/s and the peak RSS.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
KINDS = ("smart_station", "box_station", "gig_market", "drivers_home", "partner")


def make_csv(path: Path, rows: int) -> None:
    """A seeded synthetic registry CSV (UTF-8 with BOM, Chinese column names)."""
    rng = np.random.default_rng(2026)
    lon = rng.uniform(103.70, 103.90, rows)
    lat = rng.uniform(36.03, 36.08, rows)
    kinds = rng.integers(0, len(KINDS), rows)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["编号", "名称", "类型", "经度", "纬度", "地址", "开放时间", "synthetic"])
        for i in range(rows):
            writer.writerow([f"b{i:06d}", f"基准驿站{i}", KINDS[kinds[i]], f"{lon[i]:.6f}",
                             f"{lat[i]:.6f}", f"兰州市 测试路 {i} 号",
                             "24/7" if i % 3 else "Mo-Fr 08:00-18:00", "true"])


def run_ours(source: Path, location: str) -> dict[str, Any]:
    """Prepare + commit in this process; return the timings."""
    from locator.registry import importer
    from locator.registry.store import open_store

    area = importer.boundary_from_setting(None)
    started = time.perf_counter()
    prepared = importer.prepare(source, boundary=area, max_bytes=1 << 31)
    validated = time.perf_counter()
    store = open_store(location)
    version = importer.commit(store, prepared, user="bench")
    store.close()
    done = time.perf_counter()
    if prepared.rejected or version.accepted != prepared.report.rows:
        raise SystemExit(f"bench data was rejected: {prepared.report.problems[:3]}")
    return {"rows": version.accepted, "read_s": validated - started, "write_s": done - validated}


def run_pyogrio(source: Path, target: str) -> dict[str, Any]:
    """GDAL reads the CSV (X/Y columns) and writes a GeoPackage, no validation."""
    import pyogrio

    started = time.perf_counter()
    frame = pyogrio.read_dataframe(source, X_POSSIBLE_NAMES="经度", Y_POSSIBLE_NAMES="纬度")
    read = time.perf_counter()
    frame = frame.set_crs(4326, allow_override=True)
    pyogrio.write_dataframe(frame, target, layer="stations", driver="GPKG")
    done = time.perf_counter()
    return {"rows": len(frame), "read_s": read - started, "write_s": done - read}


def child(args: argparse.Namespace) -> None:
    """One measured run, printed as a JSON line with the peak RSS."""
    sys.path.insert(0, str(ROOT))
    result = (run_pyogrio(Path(args.csv), args.target) if args.child == "pyogrio"
              else run_ours(Path(args.csv), args.target))
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def measure(kind: str, source: Path, target: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--child", kind, "--csv", str(source),  # noqa: S603
                           "--target", target], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--child", choices=["ours", "pyogrio"], help=argparse.SUPPRESS)
    parser.add_argument("--csv", help=argparse.SUPPRESS)
    parser.add_argument("--target", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    sys.path.insert(0, str(ROOT))
    from tests.pgcluster import ClusterUnavailable, start_cluster

    with tempfile.TemporaryDirectory(prefix="locator-bench-") as tmp:
        source = Path(tmp) / "registry.csv"
        make_csv(source, args.rows)
        print(f"{args.rows:,} synthetic rows, {source.stat().st_size / 1e6:.1f} MB CSV")
        results: list[tuple[str, dict[str, Any] | str]] = []
        results.append(("ours → GeoPackage", measure("ours", source, f"{tmp}/store.gpkg")))
        try:
            cluster = start_cluster(fsync=True)
        except ClusterUnavailable as exc:
            results.append(("ours → PostGIS", f"SKIPPED: {exc}"))
        else:
            try:
                results.append(("ours → PostGIS", measure("ours", source, cluster.url)))
            finally:
                cluster.stop()
        results.append(("pyogrio read → GPKG write (no checks)",
                        measure("pyogrio", source, f"{tmp}/plain.gpkg")))
    print(f"{'':40} {'read+check s':>12} {'write s':>8} {'total s':>8} {'rows/s':>9} "
          f"{'peak MB':>8}")
    for name, result in results:
        if isinstance(result, str):
            print(f"{name:40} {result}")
            continue
        total = result["read_s"] + result["write_s"]
        print(f"{name:40} {result['read_s']:>12.2f} {result['write_s']:>8.2f} {total:>8.2f} "
              f"{result['rows'] / total:>9,.0f} {result['peak_mb']:>8.0f}")


if __name__ == "__main__":
    main()
