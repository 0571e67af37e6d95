"""The planner page in Chromium: map layers drawn, nothing leaves the machine but tiles."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from locator import create_app
from tests.conftest import PageWatch

pytestmark = pytest.mark.browser


def test_planner_page_renders_its_layers(live_server: Callable[[Flask], str],
                                         open_page: Callable[..., PageWatch]) -> None:
    app = create_app({"TESTING": True, "PLANNER_RESOLUTION": 8})
    watch = open_page(f"{live_server(app)}/planner/?area=620102&n=2",
                      viewport={"width": 1280, "height": 800})
    page = watch.page
    page.wait_for_selector(".lz-site")
    assert page.locator(".lz-site").count() == 2
    assert page.locator(".leaflet-overlay-pane path").count() > 3  # classes + gaps
    assert page.locator(".lz-legend-row").count() >= 2
    assert page.locator(".demo-banner").is_visible()
    assert page.locator("table.plan-units tfoot").is_visible()
    assert watch.errors == [] and watch.dialogs == []
    assert all(p.startswith(("/planner", "/static/")) for p in watch.local), watch.local
    assert all("autonavi.com" in url for url in watch.blocked), watch.blocked
    assert watch.screenshot("planner-1280x800").stat().st_size > 0
