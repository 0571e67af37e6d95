"""The finder page in Chromium, served by the real app on 127.0.0.1, with the outside blocked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask

from locator import create_app
from locator.areas.places import search
from locator.geo.datum import gcj02_to_wgs84, wgs84_to_gcj02
from locator.geo.geodesic import geodesic_m
from locator.stations.links import directions
from tests.conftest import HOSTILE_NAMES, TINY, PageWatch

pytestmark = pytest.mark.browser

HOSTILE = HOSTILE_NAMES
PHONE = {"width": 360, "height": 640}


def params(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_shipped_page_loads_with_nothing_leaving_the_machine_but_tiles(
        shipped_app: Flask, live_server: Callable[[Flask], str],
        open_page: Callable[..., PageWatch]) -> None:
    base = live_server(shipped_app)
    for name, viewport in (("finder-360x640", PHONE),
                           ("finder-1280x800", {"width": 1280, "height": 800})):
        watch = open_page(f"{base}/?lat=36.06&lon=103.83", viewport=viewport)
        watch.page.wait_for_selector(".lz-user")
        watch.page.wait_for_selector(".leaflet-marker-pane .lz-nearest")
        assert watch.page.locator(".leaflet-marker-pane .lz-nearest").count() == 5
        assert watch.page.locator("li.hit").count() == 5
        assert watch.page.locator(".demo-banner").is_visible()
        assert watch.page.locator("#locate").is_visible()
        assert watch.errors == [] and watch.dialogs == []
        assert watch.blocked, "the tiles were requested (and blocked)"
        assert all("autonavi.com" in url for url in watch.blocked), watch.blocked
        # the page, its static files, and the offline machinery: the service worker with
        # what it keeps, and the nearest answer the page keeps for use without signal
        assert all(p in ("/", "/sw.js", "/api/v1/nearest") or p.startswith(
            ("/static/", "/offline/")) for p in watch.local), watch.local
        assert watch.screenshot(name).stat().st_size > 0
        if name == "finder-360x640":  # the list below the map, scrolled into view
            watch.page.locator("#results-title").scroll_into_view_if_needed()
            watch.screenshot("finder-360x640-list")


def test_hostile_names_stay_text_and_every_marker_renders(
        write_registry: Callable[[list[dict[str, Any]]], Path],
        live_server: Callable[[Flask], str], open_page: Callable[..., PageWatch]) -> None:
    rows = [{"id": f"h{i}", "name": name, "kind": "box_station", "address": name,
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
    assert page.locator(".leaflet-marker-pane .lz-nearest").count() == 4
    page.wait_for_function(
        """n => {
             const pane = document.querySelector('.leaflet-marker-pane');
             let total = pane.querySelectorAll('.lz-icon').length;
             pane.querySelectorAll('.marker-cluster').forEach(
               e => { total += parseInt(e.textContent, 10); });
             return total === n;
           }""", arg=len(rows), timeout=5000)
    # popups fetch the names on demand and show them as text
    icons = page.locator(".leaflet-marker-pane .lz-nearest")
    seen: list[str] = []
    for i in range(icons.count()):
        icons.nth(i).dispatch_event("click")
        # the previous popup fades out for a moment: wait for the one new name
        name = page.wait_for_function(
            """seen => {
                 const names = [...document.querySelectorAll(
                   '.leaflet-popup-content .lz-popup-name')].map(e => e.textContent);
                 const fresh = names.filter(n => n && !seen.includes(n));
                 return fresh.length === 1 ? fresh[0] : null;
               }""", arg=seen, timeout=5000).json_value()
        seen.append(name)
    assert sorted(seen) == sorted(HOSTILE)
    assert page.locator(".leaflet-popup-content img").count() == 0
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
    assert page.locator("#locate").inner_text() == "Use my location"
    assert "lat=36.06" in page.url and "lang=en" in page.url
    page.goto(page.url.split("?")[0])  # the choice is remembered in a cookie
    assert page.locator("h1").inner_text() == "Trade-union station finder"


@pytest.fixture
def tiny_base(app: Flask, live_server: Callable[[Flask], str]) -> str:
    return live_server(app)


def test_geolocation_granted_sets_the_point(
        tiny_base: str, open_page: Callable[..., PageWatch]) -> None:
    watch = open_page(f"{tiny_base}/?tiles=osm", viewport=PHONE, permissions=["geolocation"],
                      geolocation={"latitude": 36.0531, "longitude": 103.8501})
    page = watch.page
    with page.expect_navigation():
        page.locator("#locate").click()
    q = params(page.url)
    assert (q["lat"], q["lon"]) == ("36.053100", "103.850100")
    assert page.locator("li.hit").first.get_attribute("data-station-id") == "b"
    assert watch.errors == []


def test_geolocation_denied_falls_back_to_search(
        tiny_base: str, open_page: Callable[..., PageWatch]) -> None:
    watch = open_page(f"{tiny_base}/?tiles=osm", viewport=PHONE, permissions=[])
    page = watch.page
    page.locator("#locate").click()
    page.wait_for_function("document.getElementById('locate-status').textContent.length > 0")
    assert "denied" in page.locator("#locate-status").inner_text().lower() or \
        "拒绝" in page.locator("#locate-status").inner_text()
    assert page.evaluate("document.activeElement.id") == "place-q"
    assert "lat=" not in page.url and watch.errors == []


def test_map_switch_tap_filters_search_and_links(
        tiny_base: str, open_page: Callable[..., PageWatch]) -> None:
    """One page, many steps: datum on switch, tap, filters in the URL, search, directions."""
    watch = open_page(f"{tiny_base}/?lat=36.053&lon=103.841&k=3&tiles=amap&lang=en",
                      viewport={"width": 1280, "height": 800})
    page = watch.page
    page.wait_for_function("document.querySelector('.folium-map').lzStations !== undefined")
    page.evaluate("document.querySelector('.folium-map').lzStations.ready")
    located = [r for r in TINY if r["lon"] is not None]

    def drawn() -> list[list[float]]:
        out: list[list[float]] = page.evaluate(
            "document.querySelector('.folium-map').lzStations.positions()")
        return out

    # markers in GCJ-02 on Amap, WGS-84 after switching to OSM
    for (lat, lon), row in zip(drawn(), located, strict=True):
        glon, glat = wgs84_to_gcj02(row["lon"], row["lat"])
        assert (lat, lon) == pytest.approx((glat, glon), abs=2e-6)
    page.locator(".leaflet-control-layers").hover()
    page.get_by_label("OpenStreetMap").check()
    page.wait_for_function("document.querySelector('.folium-map').lzStations.datum() === 'wgs84'")
    for (lat, lon), row in zip(drawn(), located, strict=True):
        assert (lat, lon) == pytest.approx((row["lat"], row["lon"]), abs=2e-6)
    assert params(page.url)["tiles"] == "osm"
    page.get_by_label("Amap").check()  # and back: GCJ-02 again
    page.wait_for_function("document.querySelector('.folium-map').lzStations.datum() === 'gcj02'")
    assert drawn()[0][1] > located[0]["lon"] + 0.0018

    # directions links of the first result decode to the station in each declared datum
    first = page.locator("li.hit").first
    assert first.get_attribute("data-station-id") == "a"
    expected = {link.provider: link.url for link in directions(
        (103.841, 36.053), (103.84, 36.053), name="甲站")}
    for provider, url in expected.items():
        assert first.locator(f"a.dir-{provider}").get_attribute("href") == url

    # a tap on Amap tiles is a GCJ-02 point: the server converts it to WGS-84
    box = page.locator(".folium-map").bounding_box()
    assert box is not None
    x, y = round(box["width"] * 0.3), round(box["height"] * 0.6)
    tapped = page.evaluate(f"""(() => {{ const m = Object.values(window).find(
        v => v && v instanceof L.Map); const p = m.containerPointToLatLng([{x}, {y}]);
        return [p.lat, p.lng]; }})()""")
    with page.expect_navigation():
        page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_load_state("load")
    q = params(page.url)
    assert "datum" not in q and q["tiles"] == "amap" and q["lang"] == "en"
    want = gcj02_to_wgs84(tapped[1], tapped[0])
    assert geodesic_m(float(q["lon"]), float(q["lat"]), *want) < 3  # within a pixel
    assert geodesic_m(float(q["lon"]), float(q["lat"]), tapped[1], tapped[0]) > 100  # shifted

    # filters: ticking a kind updates the list and the URL
    page.locator("details.filters summary").click()
    with page.expect_navigation():
        page.get_by_label("Gig-work market").check()
    assert params(page.url)["kind"] == "gig_market"
    assert params(page.url)["lat"] == q["lat"]
    kinds = page.locator("li.hit .kind").all_inner_texts()
    assert kinds and all("Gig-work market" in k for k in kinds)
    with page.expect_navigation():
        page.get_by_label("Open now").check()
    assert params(page.url)["open"] == "now" and params(page.url)["kind"] == "gig_market"

    # place search by initials, chosen with the keyboard
    page.locator("#place-q").fill("yclj")
    page.wait_for_selector("#place-opt-0")
    page.locator("#place-q").press("ArrowDown")
    assert page.locator("#place-q").get_attribute("aria-activedescendant") == "place-opt-0"
    with page.expect_navigation():
        page.locator("#place-q").press("Enter")
    place = search("yclj")[0]
    q = params(page.url)
    assert q["place"] == place.id and "lat" not in q and "lon" not in q  # resolved by the server
    assert q["kind"] == "gig_market"
    assert watch.errors == [] and watch.dialogs == []


def test_an_approximate_place_stays_approximate_after_navigation_and_on_a_shared_link(
        shipped_app: Flask, live_server: Callable[[Flask], str],
        open_page: Callable[..., PageWatch]) -> None:
    """Issue 15: 张掖路街道 has no public point, so the page searches from its district's
    seat and must say so, with its error, after the pick and on the link a worker shares;
    distances read "约", and "use my location" is offered beside them."""
    base = live_server(shipped_app)
    watch = open_page(f"{base}/", viewport=PHONE)
    page = watch.page
    page.locator("#place-q").fill("张掖路")
    page.wait_for_selector("#place-opt-0")
    assert "约 10 公里" in page.locator("#place-opt-0").inner_text()  # the list says it too
    page.locator("#place-q").press("ArrowDown")
    with page.expect_navigation():
        page.locator("#place-q").press("Enter")
    shared = page.url
    assert params(shared) == {"place": "u:620102002"}

    for view in (page, open_page(shared, viewport=PHONE).page):  # a fresh visitor's view
        origin = view.locator("#origin").inner_text()
        assert "按 张掖路街道 估算" in origin and "位置误差约 10 公里" in origin
        assert "估算" in view.locator("#results-title").inner_text()
        assert "离您最近" not in view.content()
        distances = view.locator("li.hit .distance").all_inner_texts()
        assert distances and all(d.startswith("约") for d in distances)
        assert all("步行约" in d or "步行超过" in d for d in distances)
        assert view.locator("[data-locate]").is_visible()
    assert watch.errors == [] and watch.dialogs == []
