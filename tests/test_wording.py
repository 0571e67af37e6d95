"""Minutes say what they are, on every surface, in both languages; 0 is never shown (issue 15)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from locator import create_app
from locator.maps.layers import format_distance
from locator.web import wording

LANGS = ["zh_CN", "en"]
NOTE = {"zh_CN": "分钟数按直线距离估算，不是实际路线。",
        "en": "Minutes are estimated from the straight-line distance, not a route."}
UNDER_ONE = {"zh_CN": "步行 <1 分钟", "en": "walk <1 min"}
TOO_FAR = {"zh_CN": "步行超过 1 小时", "en": "over an hour on foot"}
ZERO = re.compile(r"(步行|电动车)\s*约?\s*0\s*分钟|(walk|e-bike)( about)? 0 min")


@pytest.fixture
def app() -> Flask:
    return create_app({"TESTING": True})


@pytest.mark.parametrize(("minutes", "mode", "lang", "text"), [
    (0.0, "walk", "zh_CN", "步行 <1 分钟"),
    (0.3, "walk", "en", "walk <1 min"),
    (0.99, "ebike", "zh_CN", "电动车 <1 分钟"),
    (1.0, "walk", "zh_CN", "步行约 1 分钟"),
    (12.4, "walk", "en", "walk about 12 min"),
    (12.6, "ebike", "zh_CN", "电动车约 13 分钟"),
    (60.0, "walk", "zh_CN", "步行约 60 分钟"),
    (60.1, "walk", "zh_CN", "步行超过 1 小时"),
    (584.0, "walk", "en", "over an hour on foot"),
    (172.0, "ebike", "zh_CN", "电动车超过 1 小时"),
])
def test_minutes_text(app: Flask, minutes: float, mode: str, lang: str, text: str) -> None:
    with app.test_request_context(f"/?lang={lang}"):
        assert wording.minutes_text(minutes, mode) == text


def test_minutes_across_a_river_are_a_lower_bound(app: Flask) -> None:
    with app.test_request_context("/?lang=zh_CN"):
        assert wording.minutes_text(17.0, "walk", lower_bound=True) == "步行至少 17 分钟"
        with pytest.raises(ValueError):
            wording.minutes_text(-1.0, "walk")


@pytest.mark.parametrize(("metres", "precision", "lang", "text"), [
    (289.0, 0.0, "zh_CN", "289 m"),
    (289.0, 300.0, "zh_CN", "289 m"),  # a landmark's 300 m: shown as is, the origin says so
    (289.0, 1500.0, "zh_CN", "约 300 m"),
    (1049.0, 1500.0, "en", "about 1.0 km"),
    (289.0, 9887.0, "zh_CN", "约 1 km"),  # never "289 m" from a point known to ±10 km
    (3800.0, 9887.0, "en", "about 4 km"),
])
def test_distance_never_more_precise_than_its_origin(app: Flask, metres: float,
                                                     precision: float, lang: str,
                                                     text: str) -> None:
    with app.test_request_context(f"/?lang={lang}"):
        assert wording.distance_text(metres, precision_m=precision) == text
    assert format_distance(289.0, precision_m=9887.0) == "1 km"


def _two_stations(write_registry: Callable[[list[dict[str, Any]]], Path]) -> Path:
    # one 21 m from the point (the "步行 0 分钟"), one ~33 km away ("584 分钟")
    return write_registry([
        {"id": "near", "name": "近站", "kind": "box_station", "lon": 103.83023, "lat": 36.06},
        {"id": "far", "name": "远站", "kind": "box_station", "lon": 104.10, "lat": 35.90}])


@pytest.mark.parametrize("lang", LANGS)
def test_finder_embed_api_and_spec_say_what_minutes_are(
        write_registry: Callable[[list[dict[str, Any]]], Path], lang: str) -> None:
    app = create_app({"TESTING": True, "REGISTRY": str(_two_stations(write_registry))})
    client = app.test_client()
    page = html.unescape(client.get(f"/?lat=36.06&lon=103.83&k=2&lang={lang}")
                         .get_data(as_text=True))
    assert NOTE[lang] in page and UNDER_ONE[lang] in page and TOO_FAR[lang] in page
    assert not ZERO.search(page)
    widget = html.unescape(client.get(f"/embed?lat=36.06&lon=103.83&k=2&lang={lang}")
                           .get_data(as_text=True))
    assert NOTE[lang] in widget and UNDER_ONE[lang] in widget and TOO_FAR[lang] in widget
    assert not ZERO.search(widget)
    body: Any = client.get("/api/v1/nearest?lat=36.06&lon=103.83&k=2").get_json()
    assert body["meta"]["minutes"] == "straight_line"
    assert body["features"][0]["properties"]["walk_min"] < 1
    spec: Any = client.get("/api/v1/openapi.json").get_json()
    hit = spec["components"]["schemas"]["NearestFeature"]["properties"]["properties"]["allOf"][1]
    for field in ("walk_min", "ebike_min"):
        assert "straight-line distance" in hit["properties"][field]["description"]


@pytest.mark.parametrize(("lang", "text"), [
    ("zh_CN", "按直线距离估算"), ("en", "estimated from the straight-line distance")])
def test_planner_minutes_say_they_are_straight_line_estimates(app: Flask, lang: str,
                                                              text: str) -> None:
    page = app.test_client().get(f"/planner/?area=620105&minutes=10&mode=walk&n=0&lang={lang}")
    assert page.status_code == 200
    assert text in page.get_data(as_text=True)
