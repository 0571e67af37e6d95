"""API v1: nearest as GeoJSON, sorted, in geodesic metres; bad parameters named; one error shape."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from geographiclib.geodesic import Geodesic

from locator import create_app

WGS = Geodesic.WGS84


def get_json(client: FlaskClient, url: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    # strict parse: NaN / Infinity are not JSON
    return json.loads(response.get_data(as_text=True),
                      parse_constant=lambda c: pytest.fail(f"{c} in JSON"))


def test_nearest_is_a_sorted_feature_collection(client: FlaskClient) -> None:
    body = get_json(client, "/api/v1/nearest?lat=36.053&lon=103.841&k=3")
    assert body["type"] == "FeatureCollection"
    ids = [f["id"] for f in body["features"]]
    # b is 0.009° of longitude (~810 m) away, c 0.01° of latitude (~1.1 km)
    assert ids == ["a", "b", "c"]
    d = [f["properties"]["distance_m"] for f in body["features"]]
    assert d == sorted(d)
    for f in body["features"]:
        lon, lat = f["geometry"]["coordinates"]
        ref = WGS.Inverse(36.053, 103.841, lat, lon)["s12"]
        assert abs(f["properties"]["distance_m"] - ref) < 0.1
        for key in ("walk_min", "ebike_min", "precision_m", "name", "kind", "amenities",
                    "open_state", "synthetic"):
            assert key in f["properties"]
    assert body["meta"]["returned"] == 3


def test_k_defaults_and_caps_at_available(client: FlaskClient) -> None:
    body = get_json(client, "/api/v1/nearest?lat=36.053&lon=103.841&k=50")
    assert len(body["features"]) == 4  # the fifth station has no location


@pytest.mark.parametrize(("query", "expected_ids"), [
    ("kind=gig_market", ["c"]),
    ("kind=smart_station,drivers_home", ["a", "d"]),
    ("kind=零工市场", ["c"]),
    ("amenity=water", ["a", "b", "c"]),
    ("amenity=water,toilet", ["a"]),
    ("only_24h=true", ["a"]),
    ("open_at=2026-11-30T23:00", ["a", "c"]),  # Monday night: 24/7 and the overnight one
    ("open_at=2026-11-30T10:00%2B08:00", ["a", "b"]),
    ("max_distance=1000", ["a", "b"]),
    ("max_distance=500", ["a"]),
])
def test_filters(client: FlaskClient, query: str, expected_ids: list[str]) -> None:
    body = get_json(client, f"/api/v1/nearest?lat=36.053&lon=103.841&k=10&{query}")
    assert [f["id"] for f in body["features"]] == expected_ids


@pytest.mark.parametrize(("query", "param", "fragment"), [
    ("lon=103.8", "lat", "required"),
    ("lat=36", "lon", "required"),
    ("lat=abc&lon=103.8", "lat", "'abc'"),
    ("lat=nan&lon=103.8", "lat", "finite"),
    ("lat=36&lon=inf", "lon", "finite"),
    ("lat=-Infinity&lon=103.8", "lat", "finite"),
    ("lat=91&lon=103.8", "lat", "between -90 and 90"),
    ("lat=36&lon=181", "lon", "between -180 and 180"),
    ("lat=36&lon=103.8&k=0", "k", "between 1 and 50"),
    ("lat=36&lon=103.8&k=51", "k", "between 1 and 50"),
    ("lat=36&lon=103.8&k=-3", "k", "between 1 and 50"),
    ("lat=36&lon=103.8&k=2.5", "k", "whole number"),
    ("lat=36&lon=103.8&kind=spaceport", "kind", "unknown kind"),
    ("lat=36&lon=103.8&kind=box", "kind", "did you mean 'box_station'"),
    ("lat=36&lon=103.8&amenity=sauna", "amenity", "unknown amenity"),
    ("lat=36&lon=103.8&open_at=tomorrow", "open_at", "ISO date-time"),
    ("lat=36&lon=103.8&only_24h=maybe", "only_24h", "true or false"),
    ("lat=36&lon=103.8&max_distance=-1", "max_distance", "between"),
    ("lat=36&lat=37&lon=103.8", "lat", "given 2 times"),
    ("lat=36&lon=103.8&k=1&k=2", "k", "given 2 times"),
    ("lat=&lon=103.8", "lat", "required"),
    ("lat=３６&lon=103.8", "lat", "must be a number, got '３６'"),
    ("lat=٣٦&lon=103.8", "lat", "must be a number"),
    ("lat=3_6&lon=103.8", "lat", "must be a number, got '3_6'"),
    ("lat=36&lon=103.8&k=１", "k", "whole number"),
    ("lat=36&lon=103.8&datum=gcj", "datum", "'wgs84', 'gcj02' or 'bd09'"),
    ("lat=36&lon=103.8&datum=bogus", "datum", "got 'bogus'"),
    ("lat=36&lon=103.8&entry=door", "entry", "unknown entry"),
    ("lat=36&lon=103.8&entri=open", "entri", "unknown parameter 'entri'"),
    ("lat=36&lon=103.8&callback=f", "callback", "unknown parameter"),
    ("lat=36&lon=103.8&_=1700000000", "_", "unknown parameter"),
])
def test_bad_parameters_get_400_naming_them(client: FlaskClient, query: str, param: str,
                                            fragment: str) -> None:
    body = get_json(client, f"/api/v1/nearest?{query}", status=400)
    assert body["error"]["code"] == "bad_parameter"
    assert body["error"]["param"] == param
    assert fragment in body["error"]["message"]


def test_unknown_api_route_is_json_404(client: FlaskClient) -> None:
    body = get_json(client, "/api/v1/nowhere", status=404)
    assert body["error"]["code"] == "not_found"


def test_wrong_method_is_json_405(client: FlaskClient) -> None:
    response = client.post("/api/v1/nearest?lat=36&lon=103.8")
    assert response.status_code == 405 and response.json is not None
    assert response.json["error"]["code"] == "method_not_allowed"


def test_registry_report_lists_bad_rows(write_registry: Any) -> None:
    path = write_registry([
        {"id": "a", "name": "甲", "kind": "box_station", "lon": 103.8, "lat": 36.0},
        {"id": "b", "name": "乙", "kind": "nonsense", "lon": 103.8, "lat": 36.0},
        {"id": "c", "name": "丙", "kind": "box_station", "lon": 999, "lat": 36.0},
    ])
    app: Flask = create_app({"TESTING": True, "REGISTRY": str(path)})
    body = get_json(app.test_client(), "/api/v1/registry/report")
    assert body["rows"] == 3 and body["accepted"] == 1 and body["rejected"] == 2
    assert [(p["row"], p["column"]) for p in body["problems"]] == [(2, "kind"), (3, "lon")]
    near = get_json(app.test_client(), "/api/v1/nearest?lat=36&lon=103.8")
    assert [f["id"] for f in near["features"]] == ["a"]


def test_shipped_data_answers_the_readme_query(shipped_app: Flask) -> None:
    body = get_json(shipped_app.test_client(), "/api/v1/nearest?lat=36.06&lon=103.83&k=5")
    features = body["features"]
    assert len(features) == 5
    distances = [f["properties"]["distance_m"] for f in features]
    assert distances == sorted(distances)
    for f in features:
        lon, lat = f["geometry"]["coordinates"]
        ref = WGS.Inverse(36.06, 103.83, lat, lon)["s12"]
        assert abs(f["properties"]["distance_m"] - ref) < 1.0
        assert math.isfinite(f["properties"]["walk_min"])


def test_next_change_carries_lanzhou_offset(client: FlaskClient) -> None:
    """Monday 10:00 Lanzhou time = 02:00 UTC: a (24/7) never changes, b closes at 17:00."""
    body = get_json(client, "/api/v1/nearest?lat=36.053&lon=103.841&k=3"
                            "&open_at=2026-11-30T02:00:00Z")
    change = {f["id"]: f["properties"]["next_change"] for f in body["features"]}
    assert change == {"a": None, "b": "2026-11-30T17:00:00+08:00"}  # c is closed then


@pytest.mark.parametrize("datum", ["gcj02", "bd09"])
def test_a_point_picked_on_chinese_tiles_is_converted_and_echoed(client: FlaskClient,
                                                                  datum: str) -> None:
    """The same point given in GCJ-02 or BD-09 gets the WGS-84 answer, to the centimetre,
    and the answer says which datum it was given in and where that is in WGS-84."""
    from locator.geo.datum import convert

    lon, lat = 103.8412, 36.0551
    wgs = get_json(client, f"/api/v1/nearest?lat={lat}&lon={lon}&k=3")
    x, y = convert(lon, lat, src="wgs84", dst=datum)
    given = get_json(client, f"/api/v1/nearest?lat={float(y)!r}&lon={float(x)!r}&k=3"
                             f"&datum={datum}")
    assert [f["id"] for f in given["features"]] == [f["id"] for f in wgs["features"]]
    for a, b in zip(given["features"], wgs["features"], strict=True):
        assert a["properties"]["distance_m"] == pytest.approx(b["properties"]["distance_m"],
                                                              abs=0.01)
    assert given["meta"]["query"]["datum"] == datum
    assert given["meta"]["origin"]["lon"] == pytest.approx(lon, abs=1e-8)
    assert given["meta"]["origin"]["lat"] == pytest.approx(lat, abs=1e-8)
    assert given["meta"]["datum"] == "wgs84"
    assert "origin" not in wgs["meta"] and wgs["meta"]["query"]["datum"] == "wgs84"


@pytest.mark.parametrize(("entry", "expected_ids"), [
    ("qr_code", ["a"]),
    ("open,qr_code", ["a"]),
    ("registration", []),
])
def test_entry_filter(client: FlaskClient, entry: str, expected_ids: list[str]) -> None:
    """Stations whose entry is unknown (b, c, d) never match an entry filter."""
    body = get_json(client, f"/api/v1/nearest?lat=36.053&lon=103.841&k=10&entry={entry}")
    assert [f["id"] for f in body["features"]] == expected_ids
