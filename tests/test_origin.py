"""Searching from a place: the API's meta and the finder say what point and how good (issue 15)."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from shapely.geometry import box

from locator import create_app
from locator.areas import lookup
from locator.areas.imports import AreaImport
from locator.areas.store import save_areas
from locator.areas.units import AdminUnit
from locator.geo.datum import wgs84_to_gcj02


def test_nearest_from_a_place_reports_its_origin_and_precision(client: FlaskClient) -> None:
    body: Any = client.get("/api/v1/nearest?place=u:620102021&k=2").get_json()
    origin = body["meta"]["origin"]
    place = lookup.resolve("u:620102021")
    assert (origin["lon"], origin["lat"]) == (place.lon, place.lat)
    assert origin["approximate"] is True and origin["precision_m"] == round(place.precision_m)
    assert origin["place"]["name"] == "盐场路街道" and origin["place"]["basis"] == "district_seat"
    assert body["meta"]["query"]["place"] == "u:620102021"
    exact: Any = client.get("/api/v1/nearest?place=l:兰州站&k=1").get_json()
    assert exact["meta"]["origin"]["approximate"] is False
    assert exact["meta"]["origin"]["precision_m"] == 300


@pytest.mark.parametrize(("query", "param", "words"), [
    ("place=nowhere", "place", "no place has id 'nowhere'"),
    ("place=st:ghost", "place", "no located station has id 'ghost'"),
    ("place=u:620102021&lat=36&lon=103", "place", "not both"),
    ("lat=36", "lon", "'lon' is required"),
    ("k=2", "lat", "or give place="),
])
def test_a_bad_or_missing_point_is_a_400_naming_it(client: FlaskClient, query: str,
                                                  param: str, words: str) -> None:
    answer = client.get(f"/api/v1/nearest?{query}")
    assert answer.status_code == 400
    error: Any = answer.get_json()["error"]
    assert error["param"] == param and words in error["message"]


def test_places_api_returns_ids_kinds_and_converted_coordinates(client: FlaskClient) -> None:
    body: Any = client.get("/api/v1/places?q=零工市场").get_json()
    assert body["kinds"] == ["gig_market"]
    glon, glat = wgs84_to_gcj02(103.8227, 36.0575)  # as Amap would show the point
    amap: Any = client.get(f"/api/v1/places?q={glon:.6f},{glat:.6f}&datum=gcj02").get_json()
    (feature,) = amap["features"]
    assert feature["properties"]["level"] == "coordinates"
    lon, lat = feature["geometry"]["coordinates"]
    assert abs(lon - 103.8227) < 2e-6 and abs(lat - 36.0575) < 2e-6
    bad = client.get("/api/v1/places?q=36,103&datum=amap")
    assert bad.status_code == 400 and bad.get_json()["error"]["param"] == "datum"


@pytest.mark.parametrize(("lang", "said", "heading"), [
    ("zh_CN", "按 盐场路街道 估算，位置误差约 10 公里。",
     "盐场路街道 附近的站点（估算，不是您的准确位置）"),
    ("en", "Estimated from 盐场路街道: your position may be off by about 10 km.",
     "Stations near 盐场路街道 (estimated, not your exact position)"),
])
def test_the_finder_says_what_point_it_searched_from(client: FlaskClient, lang: str,
                                                     said: str, heading: str) -> None:
    page = html.unescape(client.get(f"/?place=u:620102021&lang={lang}").get_data(as_text=True))
    assert said in page and heading in page
    assert "离您最近" not in page and "Nearest stations to your point" not in page
    assert "data-locate" in page  # "use my location" offered beside the estimates
    # directions start from the device, not from the estimate
    assert "36.057520" not in page.split('class="hits"')[1].split("</ol>")[0]


def test_the_finder_keeps_the_place_in_every_link_and_form(client: FlaskClient) -> None:
    page = client.get("/?place=u:620102021&kind=box_station").get_data(as_text=True)
    assert 'name="place" value="u:620102021"' in page  # the filters form keeps it
    assert "place=u:620102021" in page  # and the clear-filters link


def test_a_bad_place_on_the_finder_is_a_clear_400(client: FlaskClient) -> None:
    answer = client.get("/?place=nowhere&lang=en")
    assert answer.status_code == 400
    assert "nowhere" in answer.get_data(as_text=True)
    both = client.get("/?place=u:620102021&lat=36&lon=103")
    assert both.status_code == 400


def test_imported_polygons_move_the_point_for_page_and_api(tmp_path: Path) -> None:
    square = box(103.80, 36.07, 103.82, 36.09)
    result = AreaImport("subdistrict", "test.geojson", "0" * 64, "wgs84", 1,
                        (AdminUnit("620102021", "盐场路街道", "subdistrict", square, "620102",
                                   "620102"),), (), ())
    save_areas(tmp_path / "areas", result)
    app = create_app({"TESTING": True, "AREAS_DIR": str(tmp_path / "areas")})
    client = app.test_client()
    body: Any = client.get("/api/v1/nearest?place=u:620102021&k=1").get_json()
    origin = body["meta"]["origin"]
    assert origin["place"]["basis"] == "polygon"
    assert (origin["lon"], origin["lat"]) == pytest.approx((103.81, 36.08))
    assert 1_000 < origin["precision_m"] < 1_300
    page = html.unescape(client.get("/?place=u:620102021").get_data(as_text=True))
    assert "位置误差约 1 公里" in page
