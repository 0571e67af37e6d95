"""Page weight and first paint of the finder page ``/`` at 10,000 stations, in Chromium.

Run from the project root (needs /usr/bin/chromium, as the browser tests do)::

    .venv/bin/python bench/finder_page.py            # 10,000 stations, 5 loads per row
    .venv/bin/python bench/finder_page.py --n 2000 --runs 3

The registry is ``lanzhou.lanzhou.generate(n)`` (every station flagged synthetic),
served by the real app on 127.0.0.1; every other request (map tiles) is aborted. Rows:

* ``ours``: compressed responses (Flask-Compress, whatever Chromium accepts), names and
  details fetched on demand (``GET /station/<id>``) — what the app does;
* ``no compression``: the same page with ``Accept-Encoding: identity`` — the obvious
  alternative without Flask-Compress.

Per row (median of the loads): bytes on the wire for the page and everything it loads
(``transferSize`` of the navigation and resource entries), first contentful paint, and
the time until every marker is built (``lzStations.ready``). A second table compares the
HTML alone with names embedded in the page (``finder_map(details_url=None)``), raw and
gzipped. Targets: ≤ 300 KB and first paint ≤ 1 s.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from locator import create_app
from locator.maps import finder
from locator.stations.nearest import NearestIndex
from synthetic import lanzhou

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
URL = "/?lat=36.06&lon=103.83&tiles=osm"


def registry_file(n: int, folder: Path) -> Path:
    """``n`` seeded synthetic stations as a GeoJSON registry."""
    features = []
    for s in lanzhou.generate(n, seed=4):
        props = {"id": s.id, "name": s.name, "kind": s.kind.value, "synthetic": True,
                 "amenities": sorted(a.value for a in s.amenities),
                 "opening_hours": s.opening_hours, "source": s.source}
        features.append({"type": "Feature", "properties": props,
                         "geometry": {"type": "Point", "coordinates": [s.lon, s.lat]}})
    path = folder / f"synthetic-{n}.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features},
                               ensure_ascii=False), encoding="utf-8")
    return path


def load(browser: Any, base: str, *, identity: bool) -> dict[str, float]:
    """One cold load in a fresh context: bytes on the wire, FCP, markers built."""
    extra = {"Accept-Encoding": "identity"} if identity else {}
    context = browser.new_context(viewport={"width": 360, "height": 640},
                                  extra_http_headers=extra)
    page = context.new_page()

    def route(r: Any) -> None:
        if not r.request.url.startswith(base):
            r.abort()
        else:
            r.continue_()

    page.route("**/*", route)
    page.goto(base + URL, wait_until="load")
    page.wait_for_function("document.querySelector('.folium-map').lzStations !== undefined")
    page.evaluate("document.querySelector('.folium-map').lzStations.ready")
    built = page.evaluate("performance.now()")
    figures = page.evaluate("""() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const res = performance.getEntriesByType('resource');
      const fcp = performance.getEntriesByName('first-contentful-paint')[0];
      return {bytes: nav.transferSize + res.reduce((a, r) => a + r.transferSize, 0),
              html: nav.transferSize, fcp: fcp ? fcp.startTime : -1};
    }""")
    context.close()
    return {"kb": figures["bytes"] / 1024, "html_kb": figures["html"] / 1024,
            "fcp_ms": figures["fcp"], "markers_ms": built}


def html_sizes(path: Path) -> list[tuple[str, int, int]]:
    """The map script's size with names fetched on demand vs embedded, raw and gzipped."""
    from locator.registry import load_registry

    stations = load_registry((path,)).index.stations
    index = NearestIndex(stations)
    hits = index.query(103.83, 36.06, k=5)
    out = []
    for label, details in (("ours (details on demand)", "/station/__ID__"),
                           ("names embedded", None)):
        m = finder.finder_map(stations, center=(103.83, 36.06), tiles="osm",
                            nearest=[(h.station, h.distance_m) for h in hits], labels={},
                            static_url=lambda p: "/static/" + p, details_url=details)
        script = str(finder.map_parts(m)["script"]).encode()
        out.append((label, len(script), len(gzip.compress(script, 6))))
    return out


def main() -> None:
    """Serve, load, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    opts = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        path = registry_file(opts.n, Path(tmp))
        app = create_app({"REGISTRY": str(path), "REGISTRY_POLL_SECONDS": 0})
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        t0 = time.perf_counter()
        app.test_client().get(URL).close()
        server_ms = (time.perf_counter() - t0) * 1000
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        rows: dict[str, list[dict[str, float]]] = {"ours": [], "no compression": []}
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                load(browser, base, identity=False)  # warm the server's caches
                for _ in range(opts.runs):
                    rows["ours"].append(load(browser, base, identity=False))
                    rows["no compression"].append(load(browser, base, identity=True))
                browser.close()
        finally:
            server.shutdown()
        print(f"finder page, {opts.n:,} synthetic stations, Chromium 360x640, "
              f"median of {opts.runs} cold loads")
        print(f"{'row':<18}{'total KB':>10}{'HTML KB':>10}{'first paint ms':>16}"
              f"{'markers built ms':>18}")
        for name, loads in rows.items():
            med = {key: statistics.median(x[key] for x in loads) for key in loads[0]}
            print(f"{name:<18}{med['kb']:>10.1f}{med['html_kb']:>10.1f}{med['fcp_ms']:>16.0f}"
                  f"{med['markers_ms']:>18.0f}")
        print(f"server time to build the page once: {server_ms:.0f} ms")
        print("targets: total <= 300 KB, first paint <= 1000 ms")
        print()
        print(f"{'map script':<28}{'raw KB':>10}{'gzip KB':>10}")
        for label, raw, packed in html_sizes(path):
            print(f"{label:<28}{raw / 1024:>10.1f}{packed / 1024:>10.1f}")


if __name__ == "__main__":
    main()
