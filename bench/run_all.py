"""Run every benchmark and write ``bench/results/summary.md`` (``make bench``, ``bench-quick``).

    .venv/bin/python bench/run_all.py            # everything, full size (~15 minutes on 2 cores)
    .venv/bin/python bench/run_all.py --quick    # everything, smaller and shorter (~5 minutes)

Each benchmark runs as its own process (so one's memory or threads cannot skew the
next); its exact command, exit status, wall time and full printed output go into the
summary, after a table of the headline figures against their targets (from the JSON
files the serving benchmarks write). A benchmark that fails is reported, and the others
still run; the exit status is 1 if any failed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PY = sys.executable
ZERO_ERRORS = "zero errors (all servers, all rounds)"  # the label bench/load.py uses

# name -> (full arguments, --quick arguments)
BENCHES: dict[str, tuple[list[str], list[str]]] = {
    "nearest": (["bench/nearest.py"], ["bench/nearest.py", "--quick"]),
    "import": (["bench/import.py"], ["bench/import.py", "--rows", "20000"]),
    "coverage": (["bench/coverage.py"], ["bench/coverage.py"]),
    "planner": (["bench/planner.py"], ["bench/planner.py", "--quick"]),
    "planner_load": (["bench/planner_load.py"], ["bench/planner_load.py", "--quick"]),
    "finder_page": (["bench/finder_page.py"], ["bench/finder_page.py", "--n", "2000",
                                                "--runs", "2"]),
    "load": (["bench/load.py"], ["bench/load.py", "--quick"]),
    "params": (["bench/params.py"], ["bench/params.py", "--quick"]),
    "places": (["bench/places.py"], ["bench/places.py", "--quick"]),
    "rivers": (["bench/rivers.py"], ["bench/rivers.py", "--quick"]),
    "serve_memory": (["bench/serve_memory.py"], ["bench/serve_memory.py", "--quick"]),
    "postgis_nearest": (["bench/postgis_nearest.py"], ["bench/postgis_nearest.py", "--quick"]),
    "edit": (["bench/edit.py"], ["bench/edit.py", "--quick"]),
    "analysis_extra": (["bench/analysis_extra.py"], ["bench/analysis_extra.py", "--quick"]),
    "untrusted_files": (["bench/untrusted_files.py"], ["bench/untrusted_files.py", "--quick"]),
}


def _json(name: str) -> dict[str, Any] | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def headline() -> list[str]:
    """Markdown rows: figure, measured, target, verdict (from the serving JSON files)."""
    rows = ["| figure | measured | target | |", "|---|---:|---:|---|"]
    load = _json("load")
    if load:
        best, ratios = load["median_round"], load["ratios"]
        ours = best["ours"]
        rows += [
            f"| ours /api/v1/nearest req/s (2 workers, 8 conns) | {ours['rps']:,.0f} | ≥ 3,000 "
            f"| {'PASS' if ours['rps'] >= 3000 else 'FAIL'} |",
            f"| ours p50 / p99 ms | {ours['p50_ms']:.2f} / {ours['p99_ms']:.2f} | p99 ≤ 5 "
            f"| {'PASS' if ours['p99_ms'] <= 5 else 'FAIL'} |",
            f"| bare cKDTree Flask req/s (ceiling) | {best['bare']['rps']:,.0f} | — | |",
            f"| naive sjoin_nearest req/s | {best['naive']['rps']:,.0f} | — | |",
            f"| ours / bare | {100 * ratios['ours_over_bare']:.0f} % | ≥ 70 % "
            f"| {'PASS' if ratios['ours_over_bare'] >= 0.7 else 'FAIL'} |",
            f"| ours / bare by server CPU per request (robust to other load) | "
            f"{100 * ratios.get('ours_over_bare_cpu', float('nan')):.0f} % | — | |",
            f"| ours / naive | {ratios['ours_over_naive']:.1f}× | ≥ 5× "
            f"| {'PASS' if ratios['ours_over_naive'] >= 5 else 'FAIL'} |",
            f"| errors (all servers, all rounds) | "
            f"{sum(r['errors'] for rs in load['all_rounds'].values() for r in rs)} | 0 "
            f"| {'PASS' if load['checks'].get(ZERO_ERRORS) else 'FAIL'} |",
            f"| client (wrk) CPU while loading ours | {ours['client_cpu_pct']:.0f} % of a core "
            f"| — | |",
        ]
    mem = _json("serve_memory")
    if mem:
        default = mem["rows"][1]
        rss = max(default["worker_rss_mb"])
        rows += [
            f"| RSS per worker, 200,000 stations | {rss:.0f} MB | ≤ 300 MB "
            f"| {'PASS' if rss <= 300 else 'FAIL'} |",
            f"| PSS per worker (no preload / preload) | {max(default['worker_pss_mb']):.0f} / "
            f"{max(mem['rows'][2]['worker_pss_mb']):.0f} MB | — | |",
            f"| start-up, gunicorn launch → every worker ready | {default['startup_s']:.1f} s "
            f"| ≤ 3 s | {'PASS' if default['startup_s'] <= 3 else 'FAIL'} |",
        ]
    pg = _json("postgis_nearest")
    if pg:
        mem_row, pg_row = list(pg["rows"].values())
        rows += [f"| nearest, in-memory vs PostGIS `<->` (median µs per query) | "
                 f"{mem_row['median_us']:,.0f} vs {pg_row['median_us']:,.0f} "
                 f"({pg['ratio']:.0f}×) | — | |"]
    return rows


def main() -> int:
    """Run them all, write the summary, print where it is."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller, shorter runs")
    parser.add_argument("--only", nargs="*", choices=list(BENCHES), help="run only these")
    opts = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    sections: list[str] = []
    failed: list[str] = []
    started = datetime.now(UTC)
    for name, (full, quick) in BENCHES.items():
        if opts.only and name not in opts.only:
            continue
        argv = quick if opts.quick else full
        command = " ".join([".venv/bin/python", *argv])
        print(f"== {command}", flush=True)
        t0 = time.perf_counter()
        done = subprocess.run([PY, *argv], cwd=ROOT, capture_output=True, text=True,  # noqa: S603
                              timeout=3600, check=False)
        wall = time.perf_counter() - t0
        output = (done.stdout + ("\n" + done.stderr if done.returncode else "")).strip()
        print(output[-3000:], flush=True)
        if done.returncode:
            failed.append(name)
        sections += [f"## {name}", "", f"`{command}` — exit {done.returncode}, {wall:.0f} s",
                     "", "```", output, "```", ""]
    load = os.getloadavg()
    lines = [f"# Benchmark summary ({'quick' if opts.quick else 'full'} run)", "",
             f"Started {started:%Y-%m-%d %H:%M} UTC on {os.cpu_count()} CPUs; load average at "
             f"the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (other processes share "
             f"the machine: absolute figures move with it, side-by-side ratios much less). "
             f"All stations are synthetic.", "", *headline(), "",
             f"Failed: {', '.join(failed) if failed else 'none'}.", "", *sections]
    (RESULTS / "summary.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {(RESULTS / 'summary.md').relative_to(ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
