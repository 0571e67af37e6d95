"""The finder map in a real Chromium: markers without tiles, hostile names stay text.

The page and the vendored assets are served from a temporary folder on 127.0.0.1; every
other request (the tiles) is aborted, as behind a firewall that blocks the tile servers.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from locator.maps import finder_map
from locator.model import Kind, Station

CHROMIUM = Path("/usr/bin/chromium")
STATIC = Path(__file__).resolve().parent.parent / "locator" / "static"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "${alert(1)}",
    "`+alert(1)+`",
    "</script><script>alert(1)</script>",
    "C:\\站\\",
]
LABELS = {"you_are_here": "您在这里", "legend_title": "图例"}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed "
                       "(apt-get install chromium)"),
]
sync_api = pytest.importorskip("playwright.sync_api")


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


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def open_map(site: tuple[Path, str], browser: Any, name: str, **kw: Any) -> dict[str, Any]:
    """Render a map to ``name``.html, load it, and report what happened."""
    root, base = site
    data = stations()
    m = finder_map(data, center=(103.83, 36.06), nearest=[(data[1], 640.0)],
                   labels=LABELS, static_url=lambda p: "/static/" + p, **kw)
    (root / f"{name}.html").write_text(m.get_root().render(), encoding="utf-8")
    seen: dict[str, Any] = {"dialogs": [], "errors": [], "aborted": [], "local": []}
    page = browser.new_page()

    def route(r: Any) -> None:
        if urlsplit(r.request.url).hostname == "127.0.0.1":
            seen["local"].append(urlsplit(r.request.url).path)
            r.continue_()
        else:
            seen["aborted"].append(r.request.url)
            r.abort()

    def dialog(d: Any) -> None:
        seen["dialogs"].append(d.message)
        d.dismiss()

    page.route("**/*", route)
    page.on("dialog", dialog)
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.goto(f"{base}/{name}.html", wait_until="load")
    page.wait_for_selector(".lz-user")
    seen["page"] = page
    return seen


def test_markers_show_without_tiles_and_names_stay_text(
        site: tuple[Path, str], browser: Any) -> None:
    seen = open_map(site, browser, "plain", tiles="amap", cluster=False)
    page = seen["page"]
    try:
        icons = page.locator(".leaflet-marker-pane .lz-icon")
        assert icons.count() == len(HOSTILE) + 12  # every located station, tiles or not
        assert page.locator(".leaflet-marker-pane .lz-nearest").count() == 1
        assert page.locator(".lz-nearest-line").count() == 1
        assert page.locator(".lz-user-label").inner_text() == "您在这里"
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
        assert seen["dialogs"] == []
        assert seen["errors"] == []
        assert "/x" not in seen["local"]  # the <img src=x> never became an element
        assert seen["aborted"], "the amap tiles were requested and blocked"
        assert all("autonavi.com" in url for url in seen["aborted"])
    finally:
        page.close()


@pytest.mark.parametrize("tiles", ["osm", "amap"])
def test_clustered_map_runs_clean(site: tuple[Path, str], browser: Any, tiles: str) -> None:
    seen = open_map(site, browser, f"cluster-{tiles}", tiles=tiles)
    page = seen["page"]
    try:
        page.wait_for_selector(".leaflet-marker-pane .lz-nearest")
        shown = page.locator(".leaflet-marker-pane .lz-icon").count()
        clusters = page.locator(".leaflet-marker-pane .marker-cluster").count()
        assert shown >= 1 and shown + clusters >= 2
        assert seen["dialogs"] == []
        assert seen["errors"] == []
        assert all(not p.startswith("/static/") or Path(site[0], p[1:]).exists()
                   for p in seen["local"])
    finally:
        page.close()
