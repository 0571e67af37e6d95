"""The finder map in a real Chromium: markers without tiles, hostile names stay text.

The page and the vendored assets are served from a temporary folder on 127.0.0.1; every
other request (the tiles) is aborted, as behind a firewall that blocks the tile servers.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from locator.maps.finder import finder_map
from locator.model import Kind, Station
from tests.conftest import HOSTILE_MORE, PageWatch

STATIC = Path(__file__).resolve().parent.parent / "locator" / "static"
HOSTILE = HOSTILE_MORE[:5]
LABELS = {"you_are_here": "您在这里", "legend_title": "图例"}

pytestmark = pytest.mark.browser


def stations() -> list[Station]:
    kinds = list(Kind)
    out = [Station(id=f"h{i}", name=name, address=f"地址 {name}", kind=kinds[i % len(kinds)],
                   lon=103.80 + 0.01 * i, lat=36.05 + 0.004 * i)
           for i, name in enumerate(HOSTILE)]
    out += [Station(id=f"s{i}", name=f"驿站{i}", kind=kinds[i % len(kinds)],
                    lon=103.75 + 0.007 * i, lat=36.03 + 0.002 * i, synthetic=i == 0)
            for i in range(12)]
    out.append(Station(id="nowhere", name="no location", kind=Kind.PARTNER, lon=None,
                       lat=None))
    return out


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    root = tmp_path_factory.mktemp("site")
    shutil.copytree(STATIC, root / "static")
    handler = functools.partial(_Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def open_map(site: tuple[Path, str], open_page: Callable[..., PageWatch], name: str,
             **kw: Any) -> PageWatch:
    """Render a map to ``name``.html, load it with outside requests blocked, and watch it."""
    root, base = site
    data = stations()
    m = finder_map(data, center=(103.83, 36.06), nearest=[(data[1], 640.0)],
                   labels=LABELS, static_url=lambda p: "/static/" + p, **kw)
    (root / f"{name}.html").write_text(m.get_root().render(), encoding="utf-8")
    watch = open_page(f"{base}/{name}.html")
    watch.page.wait_for_selector(".leaflet-marker-pane .lz-user")
    return watch


def test_markers_show_without_tiles_and_names_stay_text(
        site: tuple[Path, str], open_page: Callable[..., PageWatch]) -> None:
    seen = open_map(site, open_page, "plain", tiles="amap", cluster=False)
    page = seen.page
    icons = page.locator(".leaflet-marker-pane .lz-icon")
    assert icons.count() == len(HOSTILE) + 12  # every located station, tiles or not
    assert page.locator(".leaflet-marker-pane .lz-nearest").count() == 1
    assert page.locator(".lz-nearest-line").count() == 1
    # the user's dot is named by its title and in the legend (a label would cover stations)
    assert page.locator(".leaflet-marker-pane .lz-user").get_attribute("title") == "您在这里"
    assert "您在这里" in page.locator(".lz-legend").inner_text()
    assert page.locator(".lz-distance").inner_text() == "640 m"
    assert "图例" in page.locator(".lz-legend").inner_text()
    texts = []
    for i in range(icons.count()):
        icons.nth(i).dispatch_event("click")
        texts.append(page.locator(".leaflet-popup-content").last.inner_text())
    for name in HOSTILE:
        assert any(t.startswith(name) for t in texts), name
        assert any(f"地址 {name}" in t for t in texts), name
    assert any("驿站0" in t and "Demonstration" in t for t in texts)
    assert page.locator(".leaflet-popup-content img").count() == 0
    assert seen.dialogs == []
    assert seen.errors == []
    assert "/x" not in seen.local  # the <img src=x> never became an element
    assert seen.blocked, "the amap tiles were requested and blocked"
    assert all("autonavi.com" in url for url in seen.blocked)


@pytest.mark.parametrize("tiles", ["osm", "amap"])
def test_clustered_map_runs_clean(site: tuple[Path, str], open_page: Callable[..., PageWatch],
                                  tiles: str) -> None:
    seen = open_map(site, open_page, f"cluster-{tiles}", tiles=tiles)
    page = seen.page
    page.wait_for_selector(".leaflet-marker-pane .lz-nearest")
    shown = page.locator(".leaflet-marker-pane .lz-icon").count()
    clusters = page.locator(".leaflet-marker-pane .marker-cluster").count()
    assert shown >= 1 and shown + clusters >= 2
    assert seen.dialogs == []
    assert seen.errors == []
    assert all(not p.startswith("/static/") or Path(site[0], p[1:]).exists()
               for p in seen.local)
