"""Nearest answers beside cache-missing planner requests: does planning delay the API?

Run from the project root::

    .venv/bin/python bench/planner_load.py            # 4 rounds × (10 s + 10 s), ~1.5 min
    .venv/bin/python bench/planner_load.py --quick    # 2 rounds × (5 s + 5 s)

One gunicorn server with the production settings (2 sync workers, ``make serve``'s
configuration; the shipped registry, the planner at resolution 9) is measured in rounds of
two phases, interleaved so that the machine's other load falls on both:

1. **alone**: one client sends ``/api/v1/nearest`` at a steady rate (a new request every
   20 ms, 50/s, each on a new connection as browsers behind a proxy do; points cycling
   through the city), and records every latency;
2. **beside plans**: the same nearest client while three planner clients loop over
   cache-missing whole-city plans (``/planner/?n=5&radius=…``, every radius new), as fast
   as they are answered. The per-client plan limit is raised so that only the host's plan
   slot (``PLANNER_CONCURRENCY=1``) bounds them; after a ``503`` a client waits its
   ``Retry-After`` as the error page's refresh does. How many plans were computed and how
   many were answered ``503`` is printed.

The target (issue 17) is nearest p99 beside plans within 20 % of p99 alone. The clients
are Python threads on the same 2 cores; they spend their time waiting on sockets.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _serving import RESULTS, Gunicorn

PERIOD_S = 0.02


def _one(port: int, path: str) -> tuple[int, float, int]:
    """Status, seconds and ``Retry-After`` (0 when absent) of one request."""
    t = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        resp.read()
        return resp.status, time.perf_counter() - t, int(resp.getheader("Retry-After") or 0)
    finally:
        conn.close()


def nearest_client(port: int, seconds: float, out: list[float], errors: list[int]) -> None:
    """Nearest requests every :data:`PERIOD_S` (not sent faster if one is late)."""
    end = time.perf_counter() + seconds
    i = 0
    next_at = time.perf_counter()
    while next_at < end:
        lat, lon = 36.02 + (i % 20) * 0.005, 103.70 + (i % 37) * 0.008
        status, took, _ = _one(port, f"/api/v1/nearest?lat={lat:.4f}&lon={lon:.4f}&k=5")
        if status == 200:
            out.append(took)
        else:
            errors.append(status)
        i += 1
        next_at += PERIOD_S
        time.sleep(max(0.0, next_at - time.perf_counter()))


def planner_client(port: int, stop: threading.Event, start: int, counts: dict[int, int],
                   lock: threading.Lock) -> None:
    """Cache-missing plans (a new radius each time) until ``stop``; after a 503 the client
    waits ``Retry-After`` as the error page's refresh does."""
    i = 0
    while not stop.is_set():
        radius = start + 150 * (i % 300)  # three clients, disjoint radii: every one a miss
        status, _, retry = _one(port, f"/planner/?n=5&radius={radius}")
        with lock:
            counts[status] = counts.get(status, 0) + 1
        i += 1
        if status == 503:
            stop.wait(retry)


def p(values: list[float], q: float) -> float:
    """The q-quantile in milliseconds."""
    return statistics.quantiles(values, n=1000)[int(q * 1000) - 1] * 1000 if values else 0.0


def main() -> None:
    """Measure both phases and print them side by side."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    seconds, rounds = (5.0, 2) if args.quick else (10.0, 4)
    data = tempfile.mkdtemp(prefix="planner-load-")
    server = Gunicorn("locator:create_app()", {
        "LOCATOR_API_RATE_LIMIT": "1000000 per minute",
        "LOCATOR_PLANNER_RATE_LIMIT": "1000000 per minute",
        "LOCATOR_PLANNER_DATA_DIR": data, "LOCATOR_STORE": f"{data}/none.gpkg",
        "LOCATOR_PLANNER_RESOLUTION": "9"})
    server.start("/api/v1/nearest?lat=36.06&lon=103.83")
    try:
        _one(server.port, "/planner/?n=5")  # warm: folium imported, grid built, in one worker
        _one(server.port, "/planner/?n=5")
        alone: list[float] = []
        beside: list[float] = []
        errors: list[int] = []
        counts: dict[int, int] = {}
        lock = threading.Lock()
        for _ in range(rounds):  # interleaved: the machine's other load hits both phases
            nearest_client(server.port, seconds, alone, errors)
            stop = threading.Event()
            planners = [threading.Thread(target=planner_client, args=(
                server.port, stop, 1050 + 50 * k, counts, lock))
                for k in range(3)]
            for t in planners:
                t.start()
            nearest_client(server.port, seconds, beside, errors)
            stop.set()
            for t in planners:
                t.join(120)
    finally:
        server.stop()
    print(f"gunicorn, 2 sync workers, shipped registry; nearest every {PERIOD_S * 1000:.0f} ms, "
          f"{rounds} interleaved rounds of {seconds:.0f} s alone + {seconds:.0f} s beside plans; "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'':28}{'requests':>10}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for label, values in (("nearest alone", alone), ("nearest beside plans", beside)):
        print(f"{label:28}{len(values):>10}{p(values, 0.5):>9.2f}{p(values, 0.99):>9.2f}"
              f"{max(values) * 1000:>9.1f}")
    ratio = p(beside, 0.99) / max(p(alone, 0.99), 1e-9)
    print(f"p99 beside / alone: {ratio:.2f} (target <= 1.20); nearest errors: {len(errors)}")
    print(f"planner answers: {counts.get(200, 0)} plans computed, {counts.get(503, 0)} "
          f"answered 503 (slot taken), other: "
          f"{ {k: v for k, v in counts.items() if k not in (200, 503)} }")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "planner_load.json").write_text(json.dumps({
        "p99_alone_ms": p(alone, 0.99), "p99_beside_ms": p(beside, 0.99), "ratio": ratio,
        "plans": counts, "nearest_errors": len(errors)}, indent=1))


if __name__ == "__main__":
    main()
