"""Hostile files: how fast the readers refuse them, beside what they replaced.

    .venv/bin/python bench/untrusted_files.py           # JSON up to 40 KB for the old check
    .venv/bin/python bench/untrusted_files.py --quick   # up to 20 KB; old GeoPackage 3 s

Issue 17's adversarial test found two readers an upload could stall:

* **the JSON depth check** was a backtracking regex tokenizer (``"(?:[^"\\\\]|\\\\.)*"``
  under ``finditer``): an unterminated string of escaped quotes costs it O(n²) — 8 s at
  40 KB. Ours (:func:`locator.files.readers.json_depth_exceeds`) is vectorised and linear.
  Rows: seconds per check, best of 3, for each input and size; the old check only up to
  40 KB (it doubles in 4× the time per doubling of size);
* **the GeoPackage reader** ran whatever a view or a generated column computes. Rows:
  seconds until ours refuses a 16 KB file with a view named ``gpkg_contents`` recursing
  forever and one with a ``printf('%.*c', 4e8)`` generated column, beside the old reader
  (the code before the fix, in a child process, stopped at a time limit); and the cost of
  the checks on an honest 20,000-row layer: ours vs GDAL (pyogrio) reading the same file.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from locator.errors import RegistryError
from locator.files.readers import json_depth_exceeds, open_vector_file
from locator.model import Kind, Station
from locator.registry.store.gpkg_layer import write_geopackage

# the check this replaced (locator/files/readers.py before issue 17), for comparison only
_OLD_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def old_depth_exceeds(data: bytes, max_depth: int) -> bool:
    """The old regex tokenizer's verdict (quadratic on unterminated strings)."""
    depth = 0
    for match in _OLD_TOKENS.finditer(data):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > max_depth:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
    return False


INPUTS: dict[str, Callable[[int], bytes]] = {
    "escaped quotes, unterminated": lambda n: b'"' + b'\\"' * (n // 2),
    "bare quotes": lambda n: b'"' * n,
    "honest GeoJSON": lambda n: json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [103.8, 36.0]},
         "properties": {"id": f"s{i}", "name": "驿站 \"甲\""}} for i in range(n // 120)]},
        ensure_ascii=False).encode()[:n],
}


def best(run: Callable[[], object], repeat: int = 3) -> float:
    """Seconds, best of ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def json_rows(old_sizes: list[int], new_sizes: list[int]) -> None:
    print(f"{'JSON depth check':<30} {'size':>9} {'ours s':>9} {'old regex s':>12}")
    for name, make in INPUTS.items():
        for size in sorted(set(old_sizes) | set(new_sizes)):
            data = make(size)
            ours = best(lambda d=data: json_depth_exceeds(d, 32))  # type: ignore[misc]
            old = (f"{best(lambda d=data: old_depth_exceeds(d, 32), 1):>12.3f}"  # type: ignore[misc]
                   if size in old_sizes else f"{'—':>12}")
            print(f"{name:<30} {size:>9,} {ours:>9.4f} {old}")


OLD_READER = textwrap.dedent("""
    import sqlite3, sys
    con = sqlite3.connect(":memory:")
    con.deserialize(open(sys.argv[1], "rb").read())
    layers = con.execute("SELECT c.table_name, g.column_name FROM gpkg_contents c JOIN "
                         "gpkg_geometry_columns g USING (table_name) WHERE "
                         "c.data_type = 'features'").fetchall()
    rows = con.execute(f'SELECT * FROM "{layers[0][0]}"').fetchall()
""")  # what the old reader did with the file: no structure checks, no deadline


def hostile(folder: Path, statements: tuple[str, ...]) -> Path:
    path = folder / "hostile.gpkg"
    path.unlink(missing_ok=True)
    write_geopackage(path, [Station(id=f"s{i}", name=f"站{i}", kind=Kind.BOX_STATION,
                                    lon=103.8 + i * 1e-3, lat=36.05) for i in range(50)])
    con = sqlite3.connect(path)
    for statement in statements:
        con.execute(statement)
    con.commit()
    con.close()
    return path


def geopackage_rows(folder: Path, old_limit_s: float) -> None:
    cases = {
        "view gpkg_contents, endless CTE": (
            "ALTER TABLE gpkg_contents RENAME TO real_contents",
            "CREATE VIEW gpkg_contents AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL "
            "SELECT n + 1 FROM r) SELECT c.* FROM real_contents c, r"),
        "generated printf('%.*c', 4e8)": (
            "ALTER TABLE stations ADD COLUMN big TEXT GENERATED ALWAYS AS "
            "(printf('%.*c', 400000000, 'x')) VIRTUAL",),
    }
    print(f"\n{'GeoPackage':<32} {'bytes':>7} {'ours s':>9} {'old reader':>22}")
    for name, statements in cases.items():
        path = hostile(folder, statements)
        started = time.perf_counter()
        try:
            open_vector_file(path)
            verdict = "read!"
        except RegistryError:
            verdict = "refused"
        ours = time.perf_counter() - started
        started = time.perf_counter()
        try:
            subprocess.run([sys.executable, "-c", OLD_READER, str(path)],  # noqa: S603
                           timeout=old_limit_s, capture_output=True, check=False)
            old = f"ended in {time.perf_counter() - started:.1f} s"
        except subprocess.TimeoutExpired:
            old = f"still running at {old_limit_s:g} s"
        print(f"{name:<32} {path.stat().st_size:>7,} {ours:>9.4f} {old:>22}  ({verdict})")

    import pyogrio

    honest = folder / "honest.gpkg"
    honest.unlink(missing_ok=True)
    write_geopackage(honest, [Station(id=f"s{i}", name=f"驿站{i}", kind=Kind.BOX_STATION,
                                      lon=103.5 + (i % 700) * 1e-3, lat=35.9 + i * 1e-5,
                                      address=f"地址 {i}") for i in range(20_000)])
    ours = best(lambda: open_vector_file(honest, max_bytes=64 * 1024 * 1024))
    gdal = best(lambda: pyogrio.read_dataframe(honest, layer="stations"))
    print(f"{'honest, 20,000 rows':<32} {honest.stat().st_size:>7,} {ours:>9.4f} "
          f"{'GDAL (pyogrio) ' + format(gdal, '.4f') + ' s':>22}")


def main() -> None:
    """Print the tables."""
    parser = argparse.ArgumentParser(description="hostile files: ours vs the old readers")
    parser.add_argument("--quick", action="store_true")
    opts = parser.parse_args()
    old_sizes = [5_000, 10_000, 20_000] if opts.quick else [10_000, 20_000, 40_000]
    json_rows(old_sizes, [*old_sizes, 1_000_000, 10 * 1024 * 1024])
    with tempfile.TemporaryDirectory() as folder:
        geopackage_rows(Path(folder), 3.0 if opts.quick else 10.0)


if __name__ == "__main__":
    main()
