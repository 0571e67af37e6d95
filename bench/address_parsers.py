"""Address parsers side by side on the test table of Lanzhou addresses: jionlp, cnloc, ours.

The table is ``tests/test_address.py``'s (42 addresses with the district, subdistrict and
community each states). Ours is :meth:`locator.areas.names.Gazetteer.read_address`. jionlp
and cnloc are not dependencies of the project: install them in a scratch venv and run it
with the project's packages on the path (they pull in pandas, pyahocorasick, jiojio…)::

    python3 -m venv /tmp/addr && /tmp/addr/bin/pip install jionlp cnloc
    PYTHONPATH=.:.venv/lib/python3.11/site-packages /tmp/addr/bin/python bench/address_parsers.py

A parser that is not installed is reported as such. Printed: complete matches (district,
subdistrict and community all right) and per level, and milliseconds per address.
"""

from __future__ import annotations

import csv
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from locator import resources  # noqa: E402
from tests.test_address import ADDRESSES  # noqa: E402

Parsed = tuple[str, str, str]  # district name, subdistrict name, community name


def district_names() -> dict[str, str]:
    with resources.lanzhou("admin_units.csv").open(encoding="utf-8", newline="") as fh:
        names = {r["code"]: r["name_zh"] for r in csv.DictReader(fh) if r["level"] == "district"}
    return {**names, "620171": "兰州新区"}


def ours() -> Callable[[str], Parsed]:
    from locator.areas.names import gazetteer

    gaz = gazetteer()

    def parse(text: str) -> Parsed:
        found = gaz.read_address(text)
        return tuple(u.name if u else "" for u in (found.district, found.subdistrict,
                                                   found.community))  # type: ignore[return-value]

    return parse


def jionlp() -> Callable[[str], Parsed]:
    import jionlp as jio  # type: ignore[import-not-found]

    def parse(text: str) -> Parsed:
        found = jio.parse_location(text, town_village=True, change2new=True)
        return (found.get("county") or "", found.get("town") or "", found.get("village") or "")

    return parse


def cnloc() -> Callable[[str], Parsed]:
    import cnloc as loc  # type: ignore[import-not-found]

    def parse(text: str) -> Parsed:
        county = loc.getlocation(text).iloc[0].get("county_name")
        return (county if isinstance(county, str) else "", "", "")

    return parse


def main() -> None:
    names = district_names()
    want = [(names.get(d, ""), s, c) for _, d, s, c in ADDRESSES]
    print(f"{len(ADDRESSES)} addresses; complete / district / subdistrict / community; ms each")
    for label, make in (("ours (locator.areas.names)", ours), ("jionlp.parse_location", jionlp),
                        ("cnloc.getlocation", cnloc)):
        try:
            parse = make()
            parse(ADDRESSES[0][0])  # warm-up: dictionaries load on first use
        except ImportError as exc:
            print(f"{label:30} not installed ({exc.name})")
            continue
        started = time.perf_counter()
        got = [parse(a) for a, *_ in ADDRESSES]
        ms = (time.perf_counter() - started) / len(ADDRESSES) * 1000
        levels = [sum(g[i] == w[i] for g, w in zip(got, want, strict=True)) for i in range(3)]
        complete = sum(g == w for g, w in zip(got, want, strict=True))
        print(f"{label:30} {complete:>3} / {levels[0]:>3} / {levels[1]:>3} / {levels[2]:>3}"
              f"   {ms:.2f}")


if __name__ == "__main__":
    main()
