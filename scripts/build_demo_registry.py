"""Write ``geodata/lanzhou/stations_demo.geojson``: the SYNTHETIC demonstration registry.

Usage::

    python scripts/build_demo_registry.py [--n 300] [--seed 2023] [--out PATH]

Every feature comes from :func:`synthetic.lanzhou.generate` and says
``"synthetic": true``; none is a real station. Properties use exactly the
:class:`locator.model.Station` field names; geometry is a WGS-84 Point
``[lon, lat]`` with 6 decimals. Output is deterministic (sorted keys, one
feature per line, trailing newline): the same seed gives byte-identical files.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the synthetic generators live beside the package, not in it

from locator.model import Station  # noqa: E402
from synthetic.lanzhou import generate  # noqa: E402

OUT = ROOT / "geodata" / "lanzhou" / "stations_demo.geojson"
DIGITS = 6


def station_feature(st: Station) -> dict[str, Any]:
    """One station as a GeoJSON Feature whose properties are the Station fields."""
    props: dict[str, Any] = {
        "id": st.id, "name": st.name, "kind": st.kind.value,
        "amenities": sorted(a.value for a in st.amenities),
        "opening_hours": st.opening_hours,
        "entry": None if st.entry is None else st.entry.value,
        "address": st.address, "district_code": st.district_code,
        "subdistrict_code": st.subdistrict_code, "community_code": st.community_code,
        "source": st.source, "datum": st.datum.value, "precision_m": st.precision_m,
        "verified": None if st.verified is None else st.verified.isoformat(),
        "synthetic": st.synthetic, "note": st.note,
    }
    geometry = None
    if st.lon is not None and st.lat is not None:
        geometry = {"type": "Point", "coordinates": [round(st.lon, DIGITS), round(st.lat, DIGITS)]}
    return {"type": "Feature", "id": st.id, "properties": props, "geometry": geometry}


def dumps_registry(stations: Sequence[Station], *, seed: int) -> str:
    """The registry as deterministic GeoJSON text (one feature per line)."""
    head = json.dumps({
        "type": "FeatureCollection", "name": "lanzhou_stations_demo", "datum": "wgs84",
        "synthetic": True,
        "source": f"SYNTHETIC demonstration data: synthetic.lanzhou.generate(n={len(stations)}, "
                  f"seed={seed}); not real stations",
        "licence": "MIT (this project)",
    }, ensure_ascii=False, sort_keys=True)
    lines = ",\n".join(json.dumps(station_feature(s), ensure_ascii=False, sort_keys=True)
                       for s in stations)
    return f'{head[:-1]}, "features": [\n{lines}\n]}}\n'


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description="Write the synthetic demo registry.")
    parser.add_argument("--n", type=int, default=300, help="number of stations (default 300)")
    parser.add_argument("--seed", type=int, default=2023, help="random seed (default 2023)")
    parser.add_argument("--out", type=Path, default=OUT, help="output GeoJSON path")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error(f"--n must be >= 1, got {args.n!r}")
    text = dumps_registry(generate(args.n, seed=args.seed), seed=args.seed)
    out: Path = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(text.encode("utf-8"))
    print(f"wrote {out} ({args.n} synthetic stations, seed {args.seed})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
