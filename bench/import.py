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

``--union`` measures a union office's sheet instead (``make_union_csv``: GB18030, Chinese
headers, no id column, datums per row (高德/百度/GPS/blank), hours as offices write them,
amenities, phones, 所属区县, and every tenth row with only an address) against the same
number of rows in the project's own columns — what reading a sheet as it is written costs::

    .venv/bin/python bench/import.py --union --rows 10000
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


_HOURS = ("24小时", "8:00-20:00", "周一至周五 9:00-17:30，节假日休息",
          "上午8:30-12:00 下午14:30-18:00", "全天", "周一至周五 9:00-17:30，周末休息")
_DATUMS = ("高德", "百度", "GPS", "")
_DISTRICTS = ("城关区", "七里河区")


def make_union_csv(path: Path, rows: int) -> None:
    """A seeded sheet as a district office keeps it (GB18030; see the module docstring)."""
    from locator.geo.datum import Datum, convert

    rng = np.random.default_rng(2026)
    lon = rng.uniform(103.80, 103.88, rows)
    lat = rng.uniform(36.04, 36.07, rows)
    datum_of = rng.integers(0, len(_DATUMS), rows)
    given = {d: convert(lon, lat, src=Datum.WGS84, dst=d) for d in (Datum.GCJ02, Datum.BD09)}
    with path.open("w", encoding="gb18030", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["驿站名称", "类型", "地址", "经度", "纬度", "坐标系", "开放时间",
                         "所属区县", "设施", "联系电话"])
        for i in range(rows):
            name = _DATUMS[datum_of[i]]
            d = Datum.GCJ02 if name in ("高德", "") else Datum.BD09 if name == "百度" else None
            x, y = (lon[i], lat[i]) if d is None else (given[d][0][i], given[d][1][i])
            district = "城关区" if lon[i] > 103.83 else ""
            address = f"{district or _DISTRICTS[i % 2]}测试路{i}号"
            coords = ("", "") if i % 10 == 9 else (f"{x:.6f}", f"{y:.6f}")
            writer.writerow([f"基准驿站{i}", ("户外劳动者服务站", "爱心驿站", "箱体驿站")[i % 3],
                             address, *coords, name, _HOURS[i % len(_HOURS)],
                             district, "饮用水、手机充电、卫生间",
                             f"0931-8{i % 1000000:06d}、138{i % 100000000:08d}"])


def run_ours(source: Path, location: str, datum: str = "wgs84") -> dict[str, Any]:
    """Prepare + commit in this process; return the timings."""
    from locator.registry import importer
    from locator.registry.store import open_store

    area = importer.boundary_from_setting(None)
    started = time.perf_counter()
    prepared = importer.prepare(source, boundary=area, max_bytes=1 << 31, datum=datum)
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
              else run_ours(Path(args.csv), args.target, args.datum))
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def measure(kind: str, source: Path, target: str, datum: str = "wgs84") -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--child", kind, "--csv", str(source),  # noqa: S603
                           "--target", target, "--datum", datum], capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--union", action="store_true",
                        help="a union office's sheet against the project's own columns")
    parser.add_argument("--child", choices=["ours", "pyogrio"], help=argparse.SUPPRESS)
    parser.add_argument("--csv", help=argparse.SUPPRESS)
    parser.add_argument("--target", help=argparse.SUPPRESS)
    parser.add_argument("--datum", default="wgs84", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    sys.path.insert(0, str(ROOT))
    from tests.pgcluster import ClusterUnavailable, start_cluster

    if args.union:
        union(args.rows)
        return
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
    table(results)


def union(rows: int) -> None:
    """A union sheet and the project's own columns, same rows, each into a new GeoPackage."""
    with tempfile.TemporaryDirectory(prefix="locator-bench-") as tmp:
        sheet, plain = Path(tmp) / "union.csv", Path(tmp) / "plain.csv"
        make_union_csv(sheet, rows)
        make_csv(plain, rows)
        print(f"{rows:,} rows: union sheet {sheet.stat().st_size / 1e6:.1f} MB (GB18030), "
              f"project columns {plain.stat().st_size / 1e6:.1f} MB")
        table([("ours, union sheet → GeoPackage", measure("ours", sheet, f"{tmp}/u.gpkg",
                                                          "gcj02")),
               ("ours, project columns → GeoPackage", measure("ours", plain, f"{tmp}/p.gpkg"))])


def table(results: list[tuple[str, dict[str, Any] | str]]) -> None:
    """The side-by-side figures."""
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
