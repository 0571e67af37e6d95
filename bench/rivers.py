"""How many nearest answers near the Yellow River cross it: 3,000 random points, two registries.

    .venv/bin/python bench/rivers.py            # 3,000 points
    .venv/bin/python bench/rivers.py --quick    # 500 points

Issue 15, item 5: a straight line across the river is not a short walk. No bridge point
has a citable source, so the app does not compute a detour; it flags such answers
(``crosses_river``) and says "隔河，实际路程可能远大于直线距离". This script measures how
often that happens where it matters: points drawn uniformly within 1.5 km of the shipped
(approximate, 七里河区/安宁区) river line, against

* the shipped demo registry (300 **synthetic** stations, ``synthetic.lanzhou`` seed 2023), and
* 10,000 **synthetic** stations uniform over the valley (the density a full registry may
  reach), so the figure does not hang on one sparse layout.

For each point it reports whether the nearest answer (k = 1) crosses the river — the
answers whose presentation changes: flagged, minutes as a lower bound — and the share of
the k = 5 answers that cross. Every flagged nearest answer would change if crossing
stations were set aside, so instead of that trivial count it gives how much farther the
nearest same-bank station is (median ratio of the two straight-line distances). It also
times the flag: the index with and without the river, same points.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from pyproj import Geod

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from locator.model import Kind, Station
from locator.stations.nearest import NearestIndex
from locator.stations.rivers import yellow_river
from locator.stations.travel import TravelModel
from synthetic.lanzhou import generate

BAND_M = 1500.0
GEOD = Geod(ellps="WGS84")


def near_river(n: int, seed: int = 15) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points uniform in the box around the river line, kept within ``BAND_M`` of it."""
    river = yellow_river()
    rng = np.random.default_rng(seed)
    west, east = river.lon.min() - 0.02, river.lon.max() + 0.02
    south, north = river.lat.min() - 0.02, river.lat.max() + 0.02
    lons: list[float] = []
    lats: list[float] = []
    dense_lon = np.interp(np.linspace(0, 1, 2000), np.linspace(0, 1, river.lon.size), river.lon)
    dense_lat = np.interp(np.linspace(0, 1, 2000), np.linspace(0, 1, river.lat.size), river.lat)
    while len(lons) < n:
        x, y = float(rng.uniform(west, east)), float(rng.uniform(south, north))
        _, _, d = GEOD.inv(np.full(dense_lon.size, x), np.full(dense_lat.size, y),
                           dense_lon, dense_lat)
        if d.min() <= BAND_M:
            lons.append(x)
            lats.append(y)
    return np.array(lons), np.array(lats)


def valley(n: int, seed: int = 16) -> list[Station]:
    """``n`` synthetic stations uniform over the 西固–城关 valley."""
    rng = np.random.default_rng(seed)
    return [Station(id=f"v{i}", name=f"演示 {i}", kind=Kind.BOX_STATION,
                    lon=float(rng.uniform(103.60, 103.90)), lat=float(rng.uniform(36.03, 36.14)),
                    source="synthetic: bench/rivers.py", synthetic=True) for i in range(n)]


def measure(name: str, stations: list[Station], lons: np.ndarray, lats: np.ndarray) -> None:
    """Print the counts and the cost of the flag for one registry."""
    plain = NearestIndex(stations)
    flagged = NearestIndex(stations, travel=TravelModel(river=yellow_river()))
    nearest_crosses = any_of_five = 0
    ratios: list[float] = []
    for x, y in zip(lons.tolist(), lats.tolist(), strict=True):
        hits = flagged.query(x, y, k=5)
        nearest_crosses += hits[0].crosses_river
        any_of_five += sum(h.crosses_river for h in hits)
        if hits[0].crosses_river:
            same_bank = next((h for h in flagged.query(x, y, k=50) if not h.crosses_river), None)
            if same_bank is not None:
                ratios.append(same_bank.distance_m / max(hits[0].distance_m, 1.0))
    n = lons.size
    # interleaved, best of three per point: the machine is shared and its load moves
    t_plain = t_flag = 0.0
    for x, y in zip(lons.tolist(), lats.tolist(), strict=True):
        best = [float("inf"), float("inf")]
        for _ in range(3):
            for which, index in enumerate((plain, flagged)):
                t = time.perf_counter()
                index.query(x, y, k=5)
                best[which] = min(best[which], time.perf_counter() - t)
        t_plain += best[0] / n * 1e6
        t_flag += best[1] / n * 1e6
    ratio = float(np.median(ratios)) if ratios else float("nan")
    print(f"{name:<30} {nearest_crosses:>6} ({nearest_crosses / n:6.1%}) "
          f"{any_of_five / (5 * n):>9.1%} {ratio:>10.2f} {t_plain:>8.0f} {t_flag:>8.0f}")


def main() -> None:
    """Print, per registry, how many nearest answers cross the river."""
    parser = argparse.ArgumentParser(description="nearest answers across the Yellow River")
    parser.add_argument("--quick", action="store_true")
    opts = parser.parse_args()
    n = 500 if opts.quick else 3_000
    lons, lats = near_river(n)
    print(f"{n:,} random points within {BAND_M:.0f} m of the river line "
          f"({yellow_river().lon.size} vertices, 103.67–103.78° E)")
    print(f"{'registry':<30} {'nearest crosses':>16} {'of top 5':>9} "
          f"{'same-bank ×':>10} {'µs plain':>8} {'µs flag':>8}")
    measure("shipped demo (300 synthetic)", generate(300, seed=2023), lons, lats)
    measure("valley, 10,000 synthetic", valley(10_000), lons, lats)


if __name__ == "__main__":
    main()
