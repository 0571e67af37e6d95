"""The Content-Security-Policy in Chromium: every page runs clean, injected script does not.

Every page is opened with the outside blocked (``PageWatch`` aborts every request that
leaves 127.0.0.1, so tile servers are unreachable): each must load with **zero** CSP
violations, no script error, and — for the pages with maps — its markers and lists
shown without tiles. Then a script injected into a page's HTML without the nonce (and an
``onclick`` attribute) must be blocked by the browser and reported as a violation.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from locator import create_app
from tests.conftest import PageWatch

pytestmark = pytest.mark.browser

PASSWORD = "browser-test-password"  # noqa: S105 - a test account
CSV = ("id,name,kind,lon,lat\n"
       "u1,<script>window.__pwned=1</script>驿站,box_station,103.84,36.05\n"
       "u2,乙站,gig_market,103.85,36.06\n")
WIDE = {"width": 1280, "height": 800}


@pytest.fixture
def base(tmp_path: Path, tiny_path: Path, live_server: Callable[[Flask], str]) -> str:
    from locator.registry.accounts import UserStore

    with UserStore(tmp_path / "users.sqlite") as users:
        users.add("editor1", PASSWORD, "editor")
    app = create_app({"TESTING": True, "REGISTRY": str(tiny_path), "PLANNER_RESOLUTION": 8,
                      "USERS_DB": str(tmp_path / "users.sqlite"),
                      "STORE": str(tmp_path / "s.gpkg")})
    return live_server(app)


def clean(watch: PageWatch) -> None:
    assert watch.csp_violations() == []
    assert watch.errors == [] and watch.dialogs == []


MAP_PAGES = [  # (path, marker selector, list selector or None)
    ("/?lat=36.053&lon=103.841&k=3", ".leaflet-marker-pane .lz-nearest", "li.hit"),
    ("/?lat=36.053&lon=103.841&k=3&tiles=osm", ".leaflet-marker-pane .lz-nearest", "li.hit"),
    ("/embed?lat=36.053&lon=103.841&k=2&tiles=amap", ".leaflet-marker-pane .lz-nearest",
     ".embed-hit"),
    ("/planner/?area=620102&n=2", ".lz-site", "table.plan-units tr"),
    ("/planner/report?area=620102&n=2", ".lz-site", "table.plan-units tr"),
]


@pytest.mark.parametrize(("path", "markers", "rows"), MAP_PAGES)
def test_map_pages_run_clean_and_show_markers_without_tiles(
        base: str, open_page: Callable[..., PageWatch], path: str, markers: str,
        rows: str) -> None:
    watch = open_page(base + path, viewport=WIDE)
    watch.page.wait_for_selector(markers)
    assert watch.page.locator(markers).count() >= 2
    assert watch.page.locator(rows).count() >= 1
    assert watch.blocked, "the tiles were requested and could not be reached"
    assert all(("autonavi.com" in u or "openstreetmap.org" in u) for u in watch.blocked)
    if not path.startswith("/planner"):  # the finder's map says the tiles failed
        watch.page.wait_for_selector(".lz-tile-notice")
    clean(watch)


@pytest.mark.parametrize("path", ["/api/v1/docs", "/no-such-page", "/api/v1/nearest?lat=x",
                                  "/embed?zoom=99", "/admin/registry/", "/healthz"])
def test_plain_pages_run_clean(base: str, open_page: Callable[..., PageWatch],
                               path: str) -> None:
    watch = open_page(base + path)
    assert watch.page.locator("body").inner_text().strip()
    clean(watch)


def test_builder_and_its_preview_frame_run_clean(base: str,
                                                 open_page: Callable[..., PageWatch]) -> None:
    watch = open_page(base + "/embed/builder", viewport=WIDE)
    frame = watch.page.frame_locator("#builder-preview")
    frame.locator(".embed-hit").first.wait_for()
    frame.locator(".leaflet-marker-pane .lz-nearest").first.wait_for()
    watch.page.locator("input[name=k]").fill("3")
    watch.page.keyboard.press("Enter")  # the form's submit is cancelled by script, not onsubmit=
    watch.page.wait_for_function(
        "document.getElementById('builder-preview').src.indexOf('k=3') >= 0")
    frame.locator(".embed-hit").nth(2).wait_for()  # the preview reloaded with three
    watch.page.wait_for_load_state("load")
    assert "/embed/builder" in watch.page.url
    clean(watch)


def test_upload_preview_map_runs_clean(base: str, open_page: Callable[..., PageWatch],
                                       tmp_path: Path) -> None:
    watch = open_page(base + "/admin/registry/", viewport=WIDE)
    page = watch.page
    page.fill("input[name=name]", "editor1")  # sent to the sign-in page first
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_selector("input[type=file]")
    upload = tmp_path / "r.csv"
    upload.write_text(CSV, encoding="utf-8")
    page.set_input_files("input[type=file]", str(upload))
    page.locator("form[enctype] button[type=submit]").first.click()
    page.wait_for_selector("#preview-map path.leaflet-interactive")
    assert page.locator("#preview-map path.leaflet-interactive").count() >= 2
    assert page.evaluate("window.__pwned") is None
    clean(watch)


def inject(watch: PageWatch, url: str, extra: str) -> None:
    """Serve ``url`` again with ``extra`` HTML added before ``</body>`` (headers kept)."""
    def handler(route: Any) -> None:
        response = route.fetch()
        body = response.text().replace("</body>", extra + "</body>")
        route.fulfill(response=response, body=body)

    watch.page.route(url, handler)
    watch.page.goto(url, wait_until="load")


def test_an_injected_inline_script_is_blocked(base: str,
                                              open_page: Callable[..., PageWatch]) -> None:
    url = base + "/?lat=36.053&lon=103.841&k=3"
    watch = open_page(url)
    watch.page.wait_for_selector("li.hit")
    inject(watch, url, '<script>window.__pwned = 1;</script>'
                       '<button id="evil" onclick="window.__pwned = 2">x</button>')
    watch.page.wait_for_selector(".leaflet-marker-pane .lz-nearest")  # own scripts still run
    watch.page.click("#evil")
    assert watch.page.evaluate("window.__pwned") is None
    found = watch.csp_violations()
    assert any(v.startswith("script-src-elem blocked inline") for v in found), found
    assert any(v.startswith("script-src-attr blocked inline") for v in found), found


def test_a_script_from_another_origin_is_blocked(base: str,
                                                 open_page: Callable[..., PageWatch]) -> None:
    url = base + "/embed?lat=36.053&lon=103.841"
    watch = open_page(url)
    inject(watch, url, '<script src="https://evil.example/x.js"></script>'
                       '<style>body { display: none }</style>')
    watch.page.wait_for_selector(".embed-hit")
    assert watch.page.locator(".embed-hit").first.is_visible()  # the injected style was refused
    found = watch.csp_violations()
    assert any("evil.example" in v for v in found), found
    assert any(v.startswith("style-src-elem blocked inline") for v in found), found
    assert not any("evil.example" in u for u in watch.blocked), "never even requested"
