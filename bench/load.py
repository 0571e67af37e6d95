"""Load test of ``/api/v1/nearest`` over 200,000 stations: ours, the ceiling and the naive way.

Run from the project root (needs ``wrk``: ``bash scripts/ensure-wrk.sh``)::

    .venv/bin/python bench/load.py            # 3 rounds × 10 s per server, ~3 minutes
    .venv/bin/python bench/load.py --quick    # 1 round × 4 s, ~1 minute

Three gunicorn servers with the production settings (``locator/gunicorn_conf.py``:
sync workers, here ``--workers 2``) serve the same synthetic national registry
(``synthetic.national``, 200,000 stations, every one ``synthetic=True``, read
from one GeoPackage store):

* ``ours`` — ``locator:create_app()``: full GeoJSON answer (k=5, geodesic metres, walk and
  e-bike minutes, open state and next change), with every production hook on: the rate
  limiter (limit raised to 10⁹/minute so the test client is never refused, but every
  request is still counted), ETag + Cache-Control, CORS/framing headers, the store watcher;
* ``bare`` — a Flask endpoint doing only ``cKDTree.query(k=5)`` (``bench/load_apps.py``):
  the ceiling for any Flask endpoint;
* ``naive`` — Flask + geopandas ``sjoin_nearest`` per request (``bench/load_apps.py``).

``wrk`` (C, one thread, 8 connections, keep-alive) cycles through 1,000 seeded query
points drawn where the stations are (``national.sample_points``), the same
points in the same order for every server. Servers are measured one at a time, each
after a warm-up, in interleaved rounds (ours, bare, naive, ours, …); the round with the
median throughput is reported. Bounded: each wrk run has a fixed duration and a hard
timeout; everything listens on 127.0.0.1 only.

**The client shares the 2 cores.** wrk's own CPU time and the servers' are read from
``/proc`` and reported (``client CPU %`` = wrk's CPU seconds ÷ wall seconds); with the
client taking a share of a core, the figures are a lower bound of what the server does
alone. A Python client was not used: it would need a full core to generate 3,000 req/s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _serving import RESULTS, Gunicorn, cpu_seconds, get, national_store, proc_status

TARGETS = {"rps": 3000.0, "p99_ms": 5.0, "ours_over_bare": 0.70, "ours_over_naive": 5.0}

LUA = """
local paths = {%(paths)s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT {"requests": %%d, "duration_us": %%d, "connect": %%d, ' ..
    '"read": %%d, "write": %%d, "status": %%d, "timeout": %%d, "p50_us": %%d, ' ..
    '"p90_us": %%d, "p99_us": %%d, "max_us": %%d, "bytes": %%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    summary.bytes))
end
"""


def _lua(paths: list[str], folder: Path, name: str) -> Path:
    script = folder / f"{name}.lua"
    script.write_text(LUA % {"paths": ", ".join(json.dumps(p) for p in paths)})
    return script


def wrk(port: int, script: Path, seconds: float, connections: int) -> dict[str, Any]:
    """One bounded wrk run; its summary plus the client's CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(  # noqa: S603  (our own argv)
        [shutil.which("wrk") or "wrk", "-t1", f"-c{connections}",
         f"-d{max(1, round(seconds))}s", "--timeout", "5s", "-s", str(script),
         f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, timeout=seconds + 60, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("RESULT "))
    out: dict[str, Any] = json.loads(line[len("RESULT "):])
    out["client_cpu_s"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return out


def measure(server: Gunicorn, script: Path, seconds: float, connections: int) -> dict[str, Any]:
    """A measured run: throughput, latency, errors, server and client CPU."""
    pids = server.worker_pids()
    cpu0 = sum(cpu_seconds(p) for p in pids)
    t0 = time.perf_counter()
    run = wrk(server.port, script, seconds, connections)
    wall = time.perf_counter() - t0
    cpu1 = sum(cpu_seconds(p) for p in pids if Path(f"/proc/{p}").exists())
    secs = run["duration_us"] / 1e6
    errors = sum(run[k] for k in ("connect", "read", "write", "status", "timeout"))
    return {"rps": run["requests"] / secs, "requests": run["requests"], "seconds": secs,
            "p50_ms": run["p50_us"] / 1e3, "p90_ms": run["p90_us"] / 1e3,
            "p99_ms": run["p99_us"] / 1e3, "max_ms": run["max_us"] / 1e3, "errors": errors,
            "error_detail": {k: run[k] for k in ("connect", "read", "write", "status",
                                                 "timeout")},
            "bytes_per_answer": run["bytes"] / max(1, run["requests"]),
            "client_cpu_pct": 100 * run["client_cpu_s"] / wall,
            "server_cpu_ms_per_request": 1000 * (cpu1 - cpu0) / max(1, run["requests"]),
            "server_cpu_pct": 100 * (cpu1 - cpu0) / wall,
            "worker_rss_mb": [proc_status(p, "VmRSS") for p in pids]}


def query_points(n: int, seed: int) -> list[tuple[float, float]]:
    """Seeded query points where people (and stations) are."""
    from synthetic import national

    lon, lat, _ = national.sample_points(n, seed=seed)
    return [(round(x, 5), round(y, 5)) for x, y in zip(lon.tolist(), lat.tolist(), strict=True)]


def check_answers(servers: dict[str, Gunicorn], points: list[tuple[float, float]]) -> str:
    """Every server answers 200; how often ours and bare agree on the nearest station."""
    same = 0
    for lon, lat in points:
        status, body = get(servers["ours"].port, f"/api/v1/nearest?lat={lat}&lon={lon}&k=5")
        if status != 200:
            raise RuntimeError(f"ours answered {status} for {lat},{lon}: {body[:200]!r}")
        ours = json.loads(body)["features"][0]["id"]
        status, body = get(servers["bare"].port, f"/nearest?lat={lat}&lon={lon}")
        if status != 200:
            raise RuntimeError(f"bare answered {status}: {body[:200]!r}")
        same += ours == json.loads(body)["ids"][0]
        status, body = get(servers["naive"].port, f"/nearest?lat={lat}&lon={lon}")
        if status != 200:
            raise RuntimeError(f"naive answered {status}: {body[:200]!r}")
    return f"{same}/{len(points)}"


def main() -> int:
    """Start the three servers, load each in interleaved rounds, print and save the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 round of 4 s per server")
    parser.add_argument("--stations", type=int, default=200_000)
    parser.add_argument("--seconds", type=float, default=None, help="per measured run")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-json", action="store_true")
    parser.add_argument("--flask-path", action="store_true",
                        help="also serve ours with LOCATOR_API_FAST_PATH=false (every request "
                             "through Flask's hooks) as a fourth server, 'ours-flask'")
    parser.add_argument("--gthread", type=int, default=0, metavar="THREADS",
                        help="also serve ours with gunicorn's gthread workers (THREADS threads "
                             "each; they keep connections alive, sync workers close each one) "
                             "as 'ours-gthread'")
    opts = parser.parse_args()
    seconds = opts.seconds or (4.0 if opts.quick else 10.0)
    rounds = opts.rounds or (1 if opts.quick else 3)
    if shutil.which("wrk") is None:
        print("wrk is not installed: run `bash scripts/ensure-wrk.sh` (Debian package 'wrk')")
        return 2
    print(f"load test: /api/v1/nearest, {opts.stations:,} synthetic stations, "
          f"{opts.workers} sync workers per server, wrk 1 thread × {opts.connections} "
          f"connections, {rounds} round(s) × {seconds:.0f} s, {os.cpu_count()} CPUs", flush=True)
    store = national_store(opts.stations)
    points = query_points(1000, seed=99)
    limit = {"LOCATOR_API_RATE_LIMIT": "1000000000 per minute"}
    servers = {
        "ours": Gunicorn("locator:create_app()", {"LOCATOR_STORE": str(store), **limit},
                         workers=opts.workers),
        "bare": Gunicorn("load_apps:bare()", {"LOCATOR_BENCH_STORE": str(store)},
                         workers=opts.workers),
        "naive": Gunicorn("load_apps:naive()", {"LOCATOR_BENCH_STORE": str(store)},
                          workers=opts.workers),
    }
    if opts.flask_path:
        servers["ours-flask"] = Gunicorn("locator:create_app()", {
            "LOCATOR_STORE": str(store), "LOCATOR_API_FAST_PATH": "false", **limit},
            workers=opts.workers)
    if opts.gthread:
        servers["ours-gthread"] = Gunicorn(
            "locator:create_app()", {"LOCATOR_STORE": str(store), **limit},
            workers=opts.workers, extra=("--worker-class", "gthread", "--threads",
                                         str(opts.gthread)))
    paths = {"ours": [f"/api/v1/nearest?lat={y}&lon={x}&k=5" for x, y in points],
             "bare": [f"/nearest?lat={y}&lon={x}" for x, y in points],
             "naive": [f"/nearest?lat={y}&lon={x}" for x, y in points]}
    paths["ours-flask"] = paths["ours-gthread"] = paths["ours"]
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in servers}
    startup: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        scripts = {name: _lua(paths[name], Path(tmp), name) for name in servers}
        try:
            for name, server in servers.items():
                startup[name] = server.start(paths[name][0])
                print(f"  {name}: ready in {startup[name]:.1f} s on port {server.port}",
                      flush=True)
            agree = check_answers(servers, points[:50])
            for _ in range(rounds):
                for name, server in servers.items():
                    wrk(server.port, scripts[name], 2 if opts.quick else 3, opts.connections)
                    runs[name].append(measure(server, scripts[name], seconds, opts.connections))
                    r = runs[name][-1]
                    print(f"  {name}: {r['rps']:,.0f} req/s, p50 {r['p50_ms']:.2f} ms, "
                          f"p99 {r['p99_ms']:.2f} ms, errors {r['errors']}", flush=True)
        finally:
            for server in servers.values():
                server.stop()
    best = {name: sorted(rs, key=lambda r: r["rps"])[len(rs) // 2] for name, rs in runs.items()}
    return report(best, runs, startup, agree, opts, seconds, rounds)


def report(best: dict[str, dict[str, Any]], runs: dict[str, list[dict[str, Any]]],
           startup: dict[str, float], agree: str, opts: argparse.Namespace, seconds: float,
           rounds: int) -> int:
    """Print the side-by-side table and the targets; write bench/results/load.json."""
    print()
    print("| server | req/s | p50 ms | p99 ms | max ms | errors | bytes/answer "
          "| server CPU % | server CPU ms/request | client CPU % |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in best.items():
        print(f"| {name} | {r['rps']:,.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | "
              f"{r['max_ms']:.1f} | {r['errors']} | {r['bytes_per_answer']:,.0f} | "
              f"{r['server_cpu_pct']:.0f} | {r['server_cpu_ms_per_request']:.2f} | "
              f"{r['client_cpu_pct']:.0f} |")
    ours, bare, naive = best["ours"], best["bare"], best["naive"]
    ratios = {"ours_over_bare": ours["rps"] / bare["rps"],
              "ours_over_naive": ours["rps"] / naive["rps"],
              "ours_over_bare_cpu": (bare["server_cpu_ms_per_request"]
                                     / ours["server_cpu_ms_per_request"])}
    checks = [("ours ≥ 3,000 req/s", ours["rps"] >= TARGETS["rps"], f"{ours['rps']:,.0f}"),
              ("ours p99 ≤ 5 ms", ours["p99_ms"] <= TARGETS["p99_ms"], f"{ours['p99_ms']:.2f} ms"),
              ("ours ≥ 70 % of bare", ratios["ours_over_bare"] >= TARGETS["ours_over_bare"],
               f"{100 * ratios['ours_over_bare']:.0f} %"),
              ("ours ≥ 5× naive", ratios["ours_over_naive"] >= TARGETS["ours_over_naive"],
               f"{ratios['ours_over_naive']:.1f}×"),
              ("zero errors (all servers, all rounds)",
               all(r["errors"] == 0 for rs in runs.values() for r in rs), "")]
    print()
    for label, ok, value in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {label}  {value}")
    print(f"  CPU per request (robust to other load on the machine): bare / ours = "
          f"{100 * ratios['ours_over_bare_cpu']:.0f} %; if the server had both cores to "
          f"itself: ours ≈ {2000 / ours['server_cpu_ms_per_request']:,.0f} req/s, bare ≈ "
          f"{2000 / bare['server_cpu_ms_per_request']:,.0f} req/s (a projection, not a "
          f"measurement)")
    if "ours-flask" in best:
        flask = best["ours-flask"]
        print(f"  without the fast path (every request through Flask): {flask['rps']:,.0f} "
              f"req/s = {100 * flask['rps'] / bare['rps']:.0f} % of bare, p99 "
              f"{flask['p99_ms']:.2f} ms, {flask['server_cpu_ms_per_request']:.2f} ms CPU/request")
    if "ours-gthread" in best:
        threaded = best["ours-gthread"]
        print(f"  gthread workers ({opts.gthread} threads, keep-alive): {threaded['rps']:,.0f} "
              f"req/s = {100 * threaded['rps'] / ours['rps']:.0f} % of ours with sync workers, "
              f"p99 {threaded['p99_ms']:.2f} ms (sync: {ours['p99_ms']:.2f} ms), "
              f"{threaded['server_cpu_ms_per_request']:.2f} ms CPU/request")
    print(f"  ours and bare agree on the nearest station for {agree} points "
          f"(ours ranks by geodesic metres, bare by chord)")
    print("  start-up (gunicorn launch → every worker ready): "
          + ", ".join(f"{k} {v:.1f} s" for k, v in startup.items()))
    if not opts.no_json:
        RESULTS.mkdir(parents=True, exist_ok=True)
        doc = {"stations": opts.stations, "workers": opts.workers,
               "connections": opts.connections, "seconds": seconds, "rounds": rounds,
               "cpus": os.cpu_count(), "loadavg_after": os.getloadavg(), "median_round": best,
               "all_rounds": runs, "ratios": ratios, "startup_s": startup, "agree": agree,
               "checks": {label: ok for label, ok, _ in checks}, "targets": TARGETS}
        (RESULTS / "load.json").write_text(json.dumps(doc, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
