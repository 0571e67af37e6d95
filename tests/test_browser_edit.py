"""In Chromium: sign in, drag a station's marker on the edit form's map, save, see it moved."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from locator.geo.datum import Datum, convert
from locator.registry import audit
from locator.registry.store import open_store
from tests.accounts_util import PASSWORD, edit_app


@pytest.mark.browser
def test_drag_the_marker_to_move_a_station(tmp_path: Path, tiny_path: Path,
                                           live_server: Callable[[Flask], str],
                                           open_page: Callable[..., Any]) -> None:
    app = edit_app(tmp_path, tiny_path)
    base = live_server(app)
    watch = open_page(f"{base}/edit/station/a?lang=en", viewport={"width": 1280, "height": 900})
    page = watch.page
    assert "/login" in page.url  # anonymous: sent to sign in, then back here
    page.fill("input[name=name]", "editor")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_selector("#edit-map[data-ready='1'] .leaflet-marker-icon")
    assert page.input_value("#f-datum") == "gcj02"  # the form shows the Amap tiles' datum
    before = (float(page.input_value("#f-lon")), float(page.input_value("#f-lat")))
    box = page.locator("#edit-map .leaflet-marker-icon").bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] - 4
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 60, y - 40, steps=8)
    page.mouse.move(x + 120, y - 80, steps=8)
    page.mouse.up()
    page.wait_for_selector("#edit-map[data-moved='1']")
    dragged = (float(page.input_value("#f-lon")), float(page.input_value("#f-lat")))
    assert dragged[0] > before[0] and dragged[1] > before[1]  # east and north
    watch.screenshot("edit-drag-marker-1280x900")
    page.click("#save")
    page.wait_for_selector("text=Saved (version 2).")
    assert watch.errors == [] and watch.dialogs == []
    wx, wy = convert(*dragged, src=Datum.GCJ02, dst=Datum.WGS84)
    moved = next(s for s in app.extensions["locator"].stations if s.id == "a")
    assert moved.lon == pytest.approx(float(wx), abs=1e-6)
    assert moved.lat == pytest.approx(float(wy), abs=1e-6)
    store = open_store(app.config["STORE"])
    try:
        entry = audit.entries(store)[0]
    finally:
        store.close()
    assert (entry.action, entry.user, entry.station_id) == ("move", "editor", "a")
    # the page now shows the saved point, in the tiles' datum, to the 7th decimal
    assert abs(float(page.input_value("#f-lon")) - dragged[0]) < 2e-7
