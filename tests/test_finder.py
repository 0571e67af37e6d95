"""The finder page: stations on a self-hosted map, hostile names as text, errors as pages."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from locator import create_app
from tests.conftest import HOSTILE_MORE

HOSTILE = HOSTILE_MORE


def asset_urls(html: str) -> list[str]:
    return (re.findall(r"<script[^>]*\bsrc=[\"']([^\"']+)", html)
            + re.findall(r"<link[^>]*\bhref=[\"']([^\"']+)", html))


def test_page_serves_every_asset_from_the_app(shipped_app: Flask) -> None:
    html = shipped_app.test_client().get("/").get_data(as_text=True)
    urls = asset_urls(html)
    assert urls, "expected the page to load scripts and styles"
    manifest = "/manifest.webmanifest?lang=zh_CN"  # the web app manifest, made by the app
    assert all(u.startswith("/static/") or u == manifest for u in urls), urls
    for url in urls:
        response = shipped_app.test_client().get(url)
        response.close()
        assert response.status_code == 200, url


def test_page_has_a_marker_datum_for_every_located_station(shipped_app: Flask) -> None:
    html = shipped_app.test_client().get("/?tiles=osm").get_data(as_text=True)
    registry = shipped_app.extensions["locator"]
    n = len(registry.index)
    assert n >= 250
    ids = set(re.findall(r'"((?:demo|news)-\d+)"', html))
    assert ids == {s.id for s in registry.index.stations}


def test_demo_banner_is_shown_with_synthetic_data(shipped_app: Flask) -> None:
    html = shipped_app.test_client().get("/").get_data(as_text=True)
    assert 'class="demo-banner"' in html and "演示数据 / demonstration data" in html


def test_no_banner_for_a_real_registry(client: Any) -> None:
    html = client.get("/").get_data(as_text=True)
    assert 'class="demo-banner"' not in html


def test_hostile_station_names_render_as_text(
        write_registry: Callable[[list[dict[str, Any]]], Path]) -> None:
    rows = [{"id": f"h{i}", "name": name, "address": name, "kind": "box_station",
             "lon": 103.84 + i * 0.001, "lat": 36.05} for i, name in enumerate(HOSTILE)]
    app = create_app({"TESTING": True, "REGISTRY": str(write_registry(rows))})
    html = app.test_client().get("/?lat=36.05&lon=103.84&k=5").get_data(as_text=True)
    assert "<img src=x" not in html
    assert html.count("<script") == html.count("</script>")
    assert "</script><script>alert(1)</script>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html  # the results list, escaped by Jinja


@pytest.mark.parametrize(("query", "param"), [
    ("lat=36.0", "lon"), ("lon=103.8", "lat"), ("lat=nan&lon=103.8", "lat"),
    ("lat=36&lon=103.8&k=0", "k"), ("tiles=google", "tiles"),
])
def test_bad_page_parameters_give_an_html_400(client: Any, query: str, param: str) -> None:
    response = client.get(f"/?{query}")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert f"<code>{param}</code>" in response.get_data(as_text=True)


def test_nearest_list_follows_the_point(client: Any) -> None:
    html = client.get("/?lat=36.053&lon=103.841&k=2").get_data(as_text=True)
    items = re.findall(r'data-station-id="([^"]+)"', html)
    assert items == ["a", "b"]


def test_unlocated_stations_are_listed_not_placed(client: Any) -> None:
    html = client.get("/").get_data(as_text=True)
    assert "戊站 (location unknown)" in html


def test_english_switch(client: Any) -> None:
    zh = client.get("/").get_data(as_text=True)
    en = client.get("/?lang=en").get_data(as_text=True)
    assert 'lang="zh-CN"' in zh and "工会驿站查找" in zh
    assert 'lang="en"' in en and "Trade-union station finder" in en


@pytest.mark.parametrize(("cap", "drawn"), [(2, ["a", "b"]), (10_000, ["a", "b", "c", "d"])])
def test_the_map_draws_at_most_map_max_stations_nearest_the_point(
        tiny_path: Path, cap: int, drawn: list[str]) -> None:
    from tests.test_maps import payload

    app = create_app({"TESTING": True, "REGISTRY": str(tiny_path), "MAP_MAX_STATIONS": cap})
    html = app.test_client().get("/?lat=36.06&lon=103.8&k=4&lang=en").get_data(as_text=True)
    listed = re.findall(r'class="hit" data-station-id="([^"]+)"', html)
    assert listed == ["c", "a", "b", "d"]  # the list still searches every station
    assert "4 stations match" in html
    html = app.test_client().get("/?lat=36.053&lon=103.841&k=1&lang=en").get_data(as_text=True)
    # the nearest (a, ~100 m) is always drawn; then the next by distance: b (~810 m)
    assert sorted(payload(html)["ids"]) == drawn
    assert (f"the map shows the {cap} nearest to the point" in html) == (cap == 2)
