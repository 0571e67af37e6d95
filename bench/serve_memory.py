"""Resident memory per worker and start-up time of ``make serve`` at 200,000 stations.

Run from the project root::

    .venv/bin/python bench/serve_memory.py           # ~1 minute
    .venv/bin/python bench/serve_memory.py --quick   # the same (it is already short)

Starts gunicorn with the production settings (``locator/gunicorn_conf.py``, 2 sync
workers) on the synthetic national store (``bench/_serving.national_store``), once
without and once with ``preload_app``, plus once on the shipped Lanzhou registry (312
stations) to show what the app itself weighs. For each it reports:

* **start-up**: seconds from launching gunicorn until *every* worker has built its app
  (registry read and indexed; each worker touches a marker file from
  ``post_worker_init``) and a nearest query answers;
* **RSS per worker** (``VmRSS``) after 200 nearest queries, and its **PSS** (shared pages
  split between the processes sharing them: with preload, what a worker really adds);
* the master's RSS.

Then, in a fresh interpreter, where a worker's start-up goes: importing the app's
modules, reading the store's 200,000 rows into ``Station`` objects, building the index.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _serving import RESULTS, ROOT, Gunicorn, get, national_store, proc_status, pss_mb

TARGETS = {"rss_mb": 300.0, "startup_s": 3.0}
QUERY = "/api/v1/nearest?lat=31.23&lon=121.47&k=5"

_PHASES = """
import json, time
t0 = time.perf_counter()
import locator.web.app
t1 = time.perf_counter()
from locator.stations.nearest import NearestIndex
from locator.registry.store import open_store
store = open_store(%r)
stations = store.stations()
t2 = time.perf_counter()
NearestIndex(stations)
t3 = time.perf_counter()
rss = [int(l.split()[1]) / 1024 for l in open('/proc/self/status') if l.startswith('VmRSS')][0]
print(json.dumps({"import_s": t1 - t0, "stations_s": t2 - t1, "index_s": t3 - t2,
                  "rows": len(stations), "rss_mb": rss}))
"""


def serve(label: str, env: dict[str, str]) -> dict[str, Any]:
    """Start, warm, measure, stop one configuration."""
    # the warm-up requests must not meet the per-client API limit (one client here)
    env = {"LOCATOR_API_RATE_LIMIT": "1000000000 per minute", **env}
    server = Gunicorn("locator:create_app()", env, workers=2)
    try:
        startup = server.start(QUERY)
        for _ in range(200):
            status, _body = get(server.port, QUERY)
            if status != 200:
                raise RuntimeError(f"{label}: HTTP {status}")
        pids = server.worker_pids()
        master = server.proc.pid if server.proc else 0
        row: dict[str, Any] = {"label": label, "startup_s": startup,
               "worker_rss_mb": [proc_status(p, "VmRSS") for p in pids],
               "worker_pss_mb": [pss_mb(p) for p in pids],
               "master_rss_mb": proc_status(master, "VmRSS")}
    finally:
        server.stop()
    print(f"  {label}: start-up {row['startup_s']:.1f} s, worker RSS "
          f"{', '.join(f'{v:.0f}' for v in row['worker_rss_mb'])} MB", flush=True)
    return row


def main() -> int:
    """Measure the three configurations and the start-up phases; print and save."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="accepted for make bench-quick")
    parser.add_argument("--stations", type=int, default=200_000)
    parser.add_argument("--no-json", action="store_true")
    opts = parser.parse_args()
    store = national_store(opts.stations)
    shipped = ":".join(str(ROOT / "geodata" / "lanzhou" / f)
                       for f in ("stations_documented.geojson", "stations_demo.geojson"))
    print(f"serving memory and start-up: 2 sync workers, {opts.stations:,} synthetic stations",
          flush=True)
    rows = [serve("shipped Lanzhou (312 stations)", {"LOCATOR_REGISTRY": shipped}),
            serve(f"{opts.stations:,} stations, no preload (default)",
                  {"LOCATOR_STORE": str(store)}),
            serve(f"{opts.stations:,} stations, preload_app",
                  {"LOCATOR_STORE": str(store), "LOCATOR_GUNICORN_PRELOAD": "1"})]
    done = subprocess.run([sys.executable, "-c", _PHASES % str(store)], capture_output=True,  # noqa: S603
                          text=True, timeout=300, check=True, cwd=ROOT)
    phases = json.loads(done.stdout.strip().splitlines()[-1])
    print()
    print("| configuration | start-up s | RSS per worker MB | PSS per worker MB | master RSS MB |")
    print("|---|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['label']} | {r['startup_s']:.1f} | "
              f"{' / '.join(f'{v:.0f}' for v in r['worker_rss_mb'])} | "
              f"{' / '.join(f'{v:.0f}' for v in r['worker_pss_mb'])} | "
              f"{r['master_rss_mb']:.0f} |")
    print()
    print(f"  one worker's start-up in a fresh interpreter: import the app "
          f"{phases['import_s']:.2f} s, read {phases['rows']:,} stations "
          f"{phases['stations_s']:.2f} s, build the index {phases['index_s']:.2f} s "
          f"(RSS {phases['rss_mb']:.0f} MB)")
    default = rows[1]
    checks = [("RSS per worker ≤ 300 MB", max(default["worker_rss_mb"]) <= TARGETS["rss_mb"],
               f"{max(default['worker_rss_mb']):.0f} MB"),
              ("start-up ≤ 3 s", default["startup_s"] <= TARGETS["startup_s"],
               f"{default['startup_s']:.1f} s")]
    for label, ok, value in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {label}  {value}  (default configuration)")
    if not opts.no_json:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "serve_memory.json").write_text(json.dumps(
            {"rows": rows, "phases": phases, "checks": {c[0]: c[1] for c in checks},
             "targets": TARGETS}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
