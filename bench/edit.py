"""What one edit costs as the registry grows: save time and store growth (``editing.save``).

Every save writes the whole registry as a new store version (README, "Accounts and
editing"); this measures that, side by side for each size, on a copy of a synthetic store
(``synthetic.national``, every record flagged synthetic) so the cached one is
untouched:

    .venv/bin/python bench/edit.py            # 10,000 and 200,000 stations
    .venv/bin/python bench/edit.py --quick    # 10,000

Printed per size: the store's size before, the seconds of one ``verify`` (checking the
ETag, writing the new version, the verified ``.bak`` copy) as the app does it, starting
from the registry it serves, and when the active version is read back from the store
first; the store's growth, and the backup's size.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _serving import national_store  # (bench/ is not a package)


def measure(n: int, *, served: bool) -> dict[str, float]:
    """One verify on a copy of the ``n``-station store; seconds and megabytes.

    ``served``: pass the active version's stations as the app does (``editing.save``'s
    ``served``), else the save reads the version back from the store.
    """
    from locator.registry import editing
    from locator.registry.editing import Action
    from locator.registry.store import open_store
    from locator.registry.store.backup import backup_path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "registry.gpkg"
        shutil.copyfile(national_store(n), path)
        before = path.stat().st_size
        store = open_store(path)
        try:
            active = store.active()
            assert active is not None
            stations = store.stations()
            station = stations[n // 2]
            started = time.perf_counter()
            editing.save(store, Action.VERIFY, station.id, None, editing.station_etag(station),
                         user="bench", base=list, verified_on=date(2026, 1, 1),
                         served=(active.id, stations) if served else None)
            seconds = time.perf_counter() - started
        finally:
            store.close()
        return {"stations": n, "save_s": seconds, "store_mb_before": before / 1e6,
                "store_mb_after": path.stat().st_size / 1e6,
                "backup_mb": backup_path(path).stat().st_size / 1e6}


def main() -> int:
    """Measure each size and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 stations only")
    opts = parser.parse_args()
    sizes = [10_000] if opts.quick else [10_000, 200_000]
    print(f"one edit (verify) per registry size, synthetic stations: {sizes}", flush=True)
    rows = [(measure(n, served=True), measure(n, served=False)) for n in sizes]
    print()
    print("| stations | save s (as the app: from the served registry) | save s (reading the "
          "version back) | store MB before | after | growth | .bak MB |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for r, back in rows:
        print(f"| {r['stations']:,} | {r['save_s']:.2f} | {back['save_s']:.2f} | "
              f"{r['store_mb_before']:.1f} | "
              f"{r['store_mb_after']:.1f} | +{r['store_mb_after'] - r['store_mb_before']:.1f} | "
              f"{r['backup_mb']:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
