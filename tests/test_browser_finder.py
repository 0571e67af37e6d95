"""The finder page in Chromium, served by the real app on 127.0.0.1, with the outside blocked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from locator import create_app
from tests.conftest import PageWatch

pytestmark = pytest.mark.browser

HOSTILE = ["<img src=x onerror=alert(1)>", "${alert(1)}", "`+alert(1)+`", "C:\\站\\"]


def test_shipped_page_loads_with_nothing_leaving_the_machine_but_tiles(
        shipped_app: Flask, live_server: Callable[[Flask], str],
        open_page: Callable[..., PageWatch]) -> None:
    base = live_server(shipped_app)
    for name, viewport in (("finder-360x640", {"width": 360, "height": 640}),
                           ("finder-1280x800", {"width": 1280, "height": 800})):
        watch = open_page(f"{base}/?lat=36.06&lon=103.83", viewport=viewport)
        watch.page.wait_for_selector(".lz-user")
        watch.page.wait_for_selector(".leaflet-marker-pane .lz-nearest")
        assert watch.page.locator(".leaflet-marker-pane .lz-nearest").count() == 5
        assert watch.page.locator("li.hit").count() == 5
        assert watch.page.locator(".demo-banner").is_visible()
        assert watch.errors == [] and watch.dialogs == []
        assert watch.blocked, "the tiles were requested (and blocked)"
        assert all("autonavi.com" in url for url in watch.blocked), watch.blocked
        assert all(p == "/" or p.startswith("/static/") for p in watch.local), watch.local
        assert watch.screenshot(name).stat().st_size > 0


def test_hostile_names_stay_text_and_every_marker_renders(
        write_registry: Callable[[list[dict[str, Any]]], Path],
        live_server: Callable[[Flask], str], open_page: Callable[..., PageWatch]) -> None:
    rows = [{"id": f"h{i}", "name": name, "kind": "box_station",
             "lon": 103.830 + 0.002 * i, "lat": 36.060} for i, name in enumerate(HOSTILE)]
    # six more, farther than the hostile four (≥ 665 m) but inside the fitted view
    rows += [{"id": f"n{i}", "name": f"普通站{i}", "kind": "smart_station",
              "lon": 103.836 + 0.0005 * i, "lat": 36.0635} for i in range(6)]
    app = create_app({"TESTING": True, "REGISTRY": str(write_registry(rows))})
    watch = open_page(f"{live_server(app)}/?lat=36.06&lon=103.83&k=4&tiles=osm")
    page = watch.page
    page.wait_for_selector(".leaflet-marker-pane .lz-nearest")
    listed = page.locator("li.hit h3").all_inner_texts()
    assert listed == HOSTILE  # the four nearest, shown literally, in distance order
    assert page.locator("li.hit img").count() == 0
    # nearest markers stay outside the clusters; every other station is a marker or is
    # counted inside a cluster's number (polled: cluster icons are swapped during animations)
    assert page.locator(".leaflet-marker-pane .lz-nearest").count() == 4
    page.wait_for_function(
        """n => {
             const pane = document.querySelector('.leaflet-marker-pane');
             let total = pane.querySelectorAll('.lz-icon').length;
             pane.querySelectorAll('.marker-cluster').forEach(
               e => { total += parseInt(e.textContent, 10); });
             return total === n;
           }""", arg=len(rows), timeout=5000)
    assert watch.dialogs == [] and watch.errors == []
    assert "/x" not in watch.local


def test_english_switch_in_the_browser(shipped_app: Flask, live_server: Callable[[Flask], str],
                                       open_page: Callable[..., PageWatch]) -> None:
    watch = open_page(f"{live_server(shipped_app)}/?lat=36.06&lon=103.83")
    page = watch.page
    assert page.locator("h1").inner_text() == "工会驿站查找"
    page.get_by_role("link", name="English").click()
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text() == "Trade-union station finder"
    assert "lat=36.06" in page.url and "lang=en" in page.url
    page.goto(page.url.split("?")[0])  # the choice is remembered in a cookie
    assert page.locator("h1").inner_text() == "Trade-union station finder"
