"""The finder's query string, its JSON helpers (/places, /station/<id>) and compression.

Uses the TINY registry of tests/conftest.py: a (24/7, water+toilet, QR code), b (Mo-Fr
09-17, water), c (18:00-06:00 every day, e-bike charging+water), d (no hours, far west),
e (no location). 2026-11-30 is a Monday; 2026-11-29 a Sunday.
"""

from __future__ import annotations

import gzip
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient

from locator import create_app
from locator.geo.datum import wgs84_to_gcj02
from locator.geo.geodesic import geodesic_m

POINT = "lat=36.053&lon=103.841&k=5"


def listed(client: FlaskClient, query: str) -> list[str]:
    response = client.get(f"/?{POINT}&{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return re.findall(r'data-station-id="([^"]+)"', response.get_data(as_text=True))


@pytest.mark.parametrize(("query", "expected"), [
    ("", ["a", "b", "c", "d"]),
    ("kind=box_station", ["b"]),
    ("kind=box_station,gig_market", ["b", "c"]),
    ("kind=box_station&kind=gig_market", ["b", "c"]),
    ("kind=箱体驿站", ["b"]),
    ("amenity=water", ["a", "b", "c"]),
    ("amenity=water,toilet", ["a"]),  # all of the amenities, not any
    ("amenity=water&kind=gig_market", ["c"]),
    ("only_24h=1", ["a"]),
    ("walk_in=1", ["a"]),  # QR code counts as walk-in; unknown entry does not
    ("open=at&at=2026-11-30T10:00", ["a", "b"]),  # Monday morning: c is closed, d unknown
    ("open=at&at=2026-11-29T03:00", ["a", "c"]),  # Sunday 03:00, inside Saturday's 18-06
    ("open=at&at=2026-11-29T12:00", ["a"]),  # Sunday noon
    ("open=at&at=2026-11-30T10:00&amenity=toilet", ["a"]),
    ("open=any", ["a", "b", "c", "d"]),
])
def test_filters_combine(client: FlaskClient, query: str, expected: list[str]) -> None:
    assert listed(client, query) == expected


@pytest.mark.parametrize(("query", "param"), [
    ("open=sometimes", "open"),
    ("open=at", "at"),
    ("open=at&at=yesterday", "at"),
    ("kind=castle", "kind"),
    ("amenity=sauna", "amenity"),
    ("k=51", "k"),
    ("k=two", "k"),
    ("lat=95&lon=103", "lat"),
    ("lat=36&lon=inf", "lon"),
    ("datum=utm&lat=36&lon=103.8", "datum"),
    ("datum=gcj02&lat=36", "lon"),
])
def test_bad_parameters_are_an_html_400_naming_them(client: FlaskClient, query: str,
                                                    param: str) -> None:
    response = client.get(f"/?{query}")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert f"<code>{param}</code>" in response.get_data(as_text=True)


def test_filters_live_in_the_url(client: FlaskClient) -> None:
    """Every link on the page keeps the filters, so a shared link reproduces the view."""
    html = client.get(f"/?{POINT}&kind=gig_market&amenity=water&open=at"
                      "&at=2026-11-29T03:00&walk_in=1").get_data(as_text=True)
    english = re.search(r'<a href="([^"]+)"[^>]*hreflang="en"', html)
    assert english is not None
    query = parse_qs(urlsplit(english.group(1).replace("&amp;", "&")).query)
    assert query["kind"] == ["gig_market"] and query["amenity"] == ["water"]
    assert query["open"] == ["at"] and query["at"] == ["2026-11-29T03:00"]
    assert query["walk_in"] == ["1"] and query["lang"] == ["en"]
    # the form re-submits the point with the filters as plain GET fields
    assert re.search(r'<form id="filters"[^>]*method="get"', html)
    assert 'name="lat" value="36.053000"' in html


def test_a_point_picked_on_gcj02_tiles_redirects_to_wgs84(client: FlaskClient) -> None:
    lon, lat = 103.8400, 36.0530
    x, y = wgs84_to_gcj02(lon, lat)
    response = client.get(f"/?datum=gcj02&lat={float(y):.7f}&lon={float(x):.7f}&kind=box_station")
    assert response.status_code == 303
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert "datum" not in query and query["kind"] == ["box_station"]
    back = (float(query["lon"][0]), float(query["lat"][0]))
    assert geodesic_m(lon, lat, *back) < 0.5


def test_place_search_is_ranked_json(client: FlaskClient) -> None:
    response = client.get("/places?q=yclj")
    assert response.status_code == 200
    found = response.get_json()["places"]
    assert found[0]["name"] == "盐场路街道"
    assert client.get("/places?q=yanchang&limit=1").get_json()["places"][0]["name"] == "盐场路街道"
    assert client.get("/places?q=").get_json() == {"places": [], "kinds": []}


@pytest.mark.parametrize("query", ["limit=0", "limit=many", "limit=1000"])
def test_place_search_bad_limit_is_a_json_400(client: FlaskClient, query: str) -> None:
    response = client.get(f"/places?q=lanzhou&{query}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["param"] == "limit" and query.split("=")[1] in error["message"]


def test_station_details(client: FlaskClient) -> None:
    data: dict[str, Any] = client.get("/station/a?lat=36.053&lon=103.841").get_json()
    assert data["name"] == "甲站" and data["kind"] == "smart_station"
    assert data["state"] == "open" and data["hours"] == "全天24小时开放"  # not the raw 24/7
    assert data["status"] == "现在开放 · 全天24小时开放"
    english = client.get("/station/b?lang=en").get_json()
    assert english["hours"] == "Mon to Fri 09:00–17:00"
    assert [link["provider"] for link in data["links"]] == ["amap", "baidu", "osm"]
    assert client.get("/station/d").get_json()["state"] == "unknown"


@pytest.mark.parametrize("station_id", ["zzz", "e", "<img src=x>"])
def test_unknown_or_unlocated_station_is_a_json_404(client: FlaskClient,
                                                    station_id: str) -> None:
    response = client.get(f"/station/{station_id}")
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert repr(station_id) in response.get_json()["error"]["message"]


def test_page_and_static_files_are_compressed(client: FlaskClient) -> None:
    page = client.get(f"/?{POINT}", headers={"Accept-Encoding": "gzip"})
    assert page.headers["Content-Encoding"] == "gzip"
    assert b"data-station-id" in gzip.decompress(page.get_data())
    script = client.get("/static/vendor/leaflet-1.9.4/leaflet.js",
                        headers={"Accept-Encoding": "gzip"})
    try:
        assert script.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(script.get_data()).startswith(b"/*")
    finally:
        script.close()
    plain = client.get(f"/?{POINT}")
    assert "Content-Encoding" not in plain.headers
    widget = client.get(f"/embed?{POINT}", headers={"Accept-Encoding": "gzip"})
    assert widget.headers["Content-Encoding"] == "gzip"
    assert b"LZ.stations(" in gzip.decompress(widget.get_data())


def test_station_ids_with_slashes_are_reachable(write_registry: Any) -> None:
    path = write_registry([{"id": "城关/001", "name": "斜杠站", "kind": "box_station",
                            "lon": 103.84, "lat": 36.05}])
    app = create_app({"TESTING": True, "REGISTRY": str(path)})
    response = app.test_client().get("/station/城关/001")
    assert response.status_code == 200 and response.get_json()["name"] == "斜杠站"
