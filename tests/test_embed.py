"""The embed widget and its builder, without a browser: options, notice, escaping, framing."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from locator import create_app
from tests.conftest import TINY


def listed(html: str) -> list[str]:
    return re.findall(r'class="embed-hit" data-station-id="([^"]+)"', html)


def test_widget_lists_the_nearest_and_links_to_the_finder(client: FlaskClient) -> None:
    response = client.get("/embed?lat=36.053&lon=103.841&k=2&lang=en")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert listed(html) == ["a", "b"]
    assert 'class="embed-full" href="http://localhost/?lat=36.053&amp;lon=103.841&amp;k=2' in html
    assert 'target="_blank" rel="noopener"' in html
    assert "Use my location" in html and "You are here" not in html  # a set point, not GPS
    assert 'class="embed-demo"' not in html  # TINY has no synthetic station


@pytest.mark.parametrize(("query", "expected"), [
    ("kind=gig_market", ["c"]),
    ("kind=smart_station,drivers_home&k=5", ["a", "d"]),
    ("amenity=water,toilet", ["a"]),
    ("k=1", ["a"]),
])
def test_widget_filters(client: FlaskClient, query: str, expected: list[str]) -> None:
    html = client.get(f"/embed?lat=36.053&lon=103.841&{query}").get_data(as_text=True)
    assert listed(html) == expected


def test_widget_zoom_and_here(client: FlaskClient) -> None:
    html = client.get("/embed?zoom=11&here=1&lang=en").get_data(as_text=True)
    assert re.search(r"map_\w+\.setView\(map_\w+\.options\.center, 11\);", html)
    assert "You are here" in html
    assert ".setView(" not in client.get("/embed").get_data(as_text=True)


def test_widget_speaks_chinese_by_default(client: FlaskClient) -> None:
    html = client.get("/embed").get_data(as_text=True)
    assert "使用我的位置" in html and "打开完整查找页面" in html


def test_demo_notice_when_synthetic_stations_are_shown(
        write_registry: Callable[[list[dict[str, Any]]], Path]) -> None:
    rows = [*TINY, {"id": "s", "name": "演示站", "kind": "box_station", "lon": 103.9,
                    "lat": 36.06, "synthetic": True}]
    client = create_app({"TESTING": True, "REGISTRY": str(write_registry(rows))}).test_client()
    assert 'class="embed-demo"' in client.get("/embed").get_data(as_text=True)
    assert "演示数据 / demonstration data" in client.get("/embed").get_data(as_text=True)
    # filtered to kinds without synthetic stations: no notice
    assert 'class="embed-demo"' not in client.get("/embed?kind=gig_market").get_data(as_text=True)


def test_station_names_are_escaped(write_registry: Callable[[list[dict[str, Any]]], Path]) -> None:
    evil = '<img src=x onerror="alert(1)">'
    rows = [{"id": "x", "name": evil, "kind": "box_station", "lon": 103.84, "lat": 36.05}]
    client = create_app({"TESTING": True, "REGISTRY": str(write_registry(rows))}).test_client()
    html = client.get("/embed").get_data(as_text=True)
    assert evil not in html and "&lt;img src=x" in html


@pytest.mark.parametrize(("query", "param"), [
    ("lat=36", "lon"),
    ("lon=103", "lat"),
    ("lat=95&lon=103", "lat"),
    ("zoom=99", "zoom"),
    ("zoom=abc", "zoom"),
    ("k=0", "k"),
    ("tiles=google", "tiles"),
    ("kind=castle", "kind"),
    ("amenity=sauna", "amenity"),
    ("here=maybe", "here"),
])
def test_bad_widget_options_get_400_naming_them(client: FlaskClient, query: str,
                                                param: str) -> None:
    response = client.get(f"/embed?{query}&lang=en")
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert f"<code>{param}</code>" in response.get_data(as_text=True)


# --- framing --------------------------------------------------------------------------

def test_only_the_widget_may_be_framed_and_only_by_listed_origins(tiny_path: Path) -> None:
    client = create_app({"TESTING": True, "REGISTRY": str(tiny_path),
                         "EMBED_ALLOWED_ORIGINS": "https://union.example, http://127.0.0.1:8080/"},
                        ).test_client()
    widget = client.get("/embed")
    assert frame_ancestors(widget) == [
        "frame-ancestors 'self' https://union.example http://127.0.0.1:8080"]
    assert "X-Frame-Options" not in widget.headers
    bad = client.get("/embed?k=0")  # the widget's own error page may be framed too
    assert bad.status_code == 400 and "frame-ancestors 'self'" in bad.headers[
        "Content-Security-Policy"]
    for url in ("/", "/embed/builder", "/api/v1/stations", "/api/v1/docs", "/nowhere",
                "/static/css/embed.css"):
        with client.get(url) as response:
            assert frame_ancestors(response) == ["frame-ancestors 'none'"], url
            assert response.headers["X-Frame-Options"] == "DENY", url


def test_without_configured_origins_only_the_app_itself_may_frame(client: FlaskClient) -> None:
    assert frame_ancestors(client.get("/embed")) == ["frame-ancestors 'self'"]


def frame_ancestors(response: Any) -> list[str]:
    """The frame-ancestors directives of every CSP header (one header holds the whole policy,
    see locator.web.http.security)."""
    return [d.strip() for h in response.headers.get_all("Content-Security-Policy")
            for d in h.split(";") if d.strip().startswith("frame-ancestors")]


# --- builder ----------------------------------------------------------------------------

def test_builder_page(client: FlaskClient) -> None:
    html = client.get("/embed/builder?lang=en").get_data(as_text=True)
    assert 'data-embed-url="http://localhost/embed"' in html
    assert html.count('name="kind"') == 8 and html.count('name="amenity"') == 13
    assert 'allow="geolocation"' in html and "EMBED_ALLOWED_ORIGINS" in html
    assert re.search(r"/static/js/embed-builder\.[0-9a-f]{10}\.js", html)


def test_widget_map_draws_at_most_map_max_stations_nearest_the_point(tiny_path: Path) -> None:
    from tests.test_maps import payload

    app = create_app({"TESTING": True, "REGISTRY": str(tiny_path), "MAP_MAX_STATIONS": 2})
    html = app.test_client().get("/embed?lat=36.0631&lon=103.8401&k=1").get_data(as_text=True)
    assert sorted(payload(html)["ids"]) == ["a", "c"]  # c at ~10 m, a at ~1.1 km
    assert listed(html) == ["c"]
    html = app.test_client().get("/embed?lat=36.0631&lon=103.8401&k=3").get_data(as_text=True)
    assert listed(html) == ["c", "a", "b"]  # the list still searches every station
