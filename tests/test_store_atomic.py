"""An import killed at any moment leaves the complete old or the complete new registry.

A child process (forked, so it starts writing at once) imports two large
registries alternately into one GeoPackage store; the parent SIGKILLs it at a
random moment, 50 times. After each kill the store must open, pass its checks,
and serve exactly version A's or version B's rows — never a mix, never empty.
"""

from __future__ import annotations

import os
import random
import time
from functools import partial
from pathlib import Path

import pytest

from locator.model import Kind, Station
from locator.registry.store import ImportMeta
from locator.registry.store.gpkg import GpkgStore
from tests.killing import kill_during

ROWS = 6000  # one write takes roughly 100-300 ms here
KILLS = 50


def registry(label: str) -> list[Station]:
    return [Station(id=f"s{i}", name=f"{label} 驿站 {i}", kind=Kind.BOX_STATION,
                    lon=103.5 + i * 1e-5, lat=36.0 + (i % 97) * 1e-3, address=f"{label} 地址 {i}")
            for i in range(ROWS)]


def meta(label: str) -> ImportMeta:
    return ImportMeta(user="killer", source=f"{label}.csv", sha256=label * 64, rows=ROWS,
                      rejected=0, datum="wgs84")


def _child(path: Path, registries: dict[str, list[Station]], first: str, fd: int) -> None:
    store = GpkgStore(path)
    labels = [first, "B" if first == "A" else "A"]
    i = 0
    while True:
        os.write(fd, b"b")  # begin
        store.write(registries[labels[i % 2]], meta(labels[i % 2]))
        os.write(fd, b"c")  # committed
        i += 1


# Python >= 3.12 warns about fork() while other threads exist; the child only touches its
# own SQLite connection and exits with os._exit, so that warning does not apply here.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_sigkill_during_imports_never_leaves_a_partial_registry(tmp_path: Path) -> None:
    path = tmp_path / "registry.gpkg"
    registries = {"A": registry("A"), "B": registry("B")}
    store = GpkgStore(path)
    started = time.perf_counter()
    store.write(registries["A"], meta("A"))
    write_s = time.perf_counter() - started
    store.close()
    rng = random.Random(3)
    seen: set[str] = set()
    mid_write = 0
    for run in range(KILLS):
        before = GpkgStore(path)
        current = before.active()
        before.close()
        assert current is not None
        first = "B" if current.source == "A.csv" else "A"
        events = kill_during(partial(_child, path, registries, first), run=run, rng=rng,
                             max_delay_s=1.5 * write_s)
        mid_write += events.endswith(b"b")
        after = GpkgStore(path)
        try:
            assert after.check() == []
            active = after.active()
            assert active is not None
            label = active.source[0]
            assert after.stations() == registries[label]
            assert active.accepted == ROWS
        finally:
            after.close()
        seen.add(label)
    # the kills really landed inside writes, and some writes did complete
    assert mid_write >= KILLS // 5, f"only {mid_write} of {KILLS} kills hit a write"
    assert seen == {"A", "B"}
