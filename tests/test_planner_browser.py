"""The planner page in Chromium: the map is there and usable at phone and laptop sizes, its
layers are drawn, nothing leaves the machine but tiles, and a population upload turns the
headline from area into people."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from flask import Flask

from locator import create_app
from tests.accounts_util import PASSWORD, make_users
from tests.conftest import PageWatch
from tests.test_demand import geotiff

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (360, 640)])
def test_the_map_is_visible_and_usable(live_server: Callable[[Flask], str],
                                       open_page: Callable[..., PageWatch], tmp_path: Path,
                                       width: int, height: int) -> None:
    app = create_app({"TESTING": True, "PLANNER_RESOLUTION": 8,
                      "PLANNER_DATA_DIR": str(tmp_path / "planner")})
    watch = open_page(f"{live_server(app)}/planner/?area=620102&n=2",
                      viewport={"width": width, "height": height})
    page = watch.page
    page.wait_for_selector(".lz-site")
    box = page.locator(".map-pane .folium-map").bounding_box()
    assert box is not None
    # usable: most of the window's width, and a real height (not a sliver)
    assert box["width"] >= 0.55 * width if width > 900 else box["width"] >= 0.9 * width
    assert box["height"] >= min(320, 0.45 * height)
    assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1
    assert page.locator(".map-pane").is_visible()
    assert page.locator(".lz-site").count() == 2
    assert page.locator(".leaflet-overlay-pane path").count() > 3  # classes + gaps
    assert page.locator(".lz-legend-row").count() >= 2
    assert page.locator(".demo-banner").is_visible()
    assert watch.errors == [] and watch.dialogs == []
    assert all(p.startswith(("/planner", "/static/")) for p in watch.local), watch.local
    assert all("autonavi.com" in url for url in watch.blocked), watch.blocked
    assert watch.screenshot(f"planner-{width}x{height}").stat().st_size > 0


def test_a_population_upload_turns_the_headline_into_people(
        live_server: Callable[[Flask], str], open_page: Callable[..., PageWatch],
        tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "PLANNER_RESOLUTION": 8,
                      "PLANNER_DATA_DIR": str(tmp_path / "planner"),
                      "USERS_DB": str(make_users(tmp_path / "users.sqlite"))})
    base = live_server(app)
    values = np.zeros((40, 60))
    values[10:30, 20:40] = 50.0
    raster = tmp_path / "worldpop-lanzhou.tif"
    raster.write_bytes(geotiff(values, 103.75, 36.10, 0.003))
    watch = open_page(f"{base}/planner/?area=620102&n=2&lang=en",
                      viewport={"width": 1280, "height": 800})
    page = watch.page
    headline = page.locator(".plan-headline")
    assert "by area, not people" in headline.inner_text()
    page.click("text=Add a population layer")  # anonymous: the sign-in page first
    page.fill("input[name=name]", "editor")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/planner/inputs/**")
    page.set_input_files("form[action$='/demand'] input[type=file]", str(raster))
    page.click("form[action$='/demand'] button[type=submit]")
    page.wait_for_selector(".plan-demand-loaded")
    page.click("text=Back to the planner")
    page.wait_for_selector(".lz-site")
    text = page.locator(".plan-headline").inner_text()
    assert "of the people live within" in text
    assert page.locator(".plan-sites li").first.inner_text().count("people") >= 1
    assert page.locator(".leaflet-control-layers").is_visible()  # the people layer, switchable
    assert watch.errors == []
    assert watch.screenshot("planner-people-1280x800").stat().st_size > 0
