"""API v1 contract: stations (bbox, filters, pages), one station, caching, CORS, rate limit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st

from locator import create_app
from locator.errors import ConfigError


def get_json(client: FlaskClient, url: str, status: int = 200, **kwargs: Any) -> Any:
    response = client.get(url, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return json.loads(response.get_data(as_text=True),
                      parse_constant=lambda c: pytest.fail(f"{c} in JSON"))


def ids(body: dict[str, Any]) -> list[str]:
    return [f["id"] for f in body["features"]]


# --- /api/v1/stations -------------------------------------------------------------------

def test_stations_lists_every_station_in_registry_order(client: FlaskClient) -> None:
    body = get_json(client, "/api/v1/stations")
    assert body["type"] == "FeatureCollection"
    assert ids(body) == ["a", "b", "c", "d", "e"]
    assert body["numberMatched"] == 5 and body["numberReturned"] == 5
    unknown = body["features"][4]
    assert unknown["geometry"] is None and unknown["properties"]["kind"] == "labor_park"
    assert body["features"][0]["geometry"] == {"type": "Point", "coordinates": [103.84, 36.053]}
    assert body["features"][0]["properties"]["synthetic"] is False


@pytest.mark.parametrize(("query", "expected"), [
    ("bbox=103.83,36.05,103.845,36.07", ["a", "c"]),
    ("bbox=103.6,36.0,104.0,36.2", ["a", "b", "c", "d"]),  # the unlocated one is left out
    ("bbox=103.845,36.05,103.7,36.06", ["b"]),  # across the antimeridian: >= 103.845 or <= 103.7
    ("bbox=0,0,1,1", []),
    ("kind=box_station,drivers_home", ["b", "d"]),
    ("kind=零工市场", ["c"]),
    ("amenity=water", ["a", "b", "c"]),
    ("amenity=water,toilet", ["a"]),
    ("bbox=103.6,36.0,104.0,36.2&amenity=water&kind=gig_market", ["c"]),
])
def test_stations_filters(client: FlaskClient, query: str, expected: list[str]) -> None:
    assert ids(get_json(client, f"/api/v1/stations?{query}")) == expected


def test_stations_pages_with_links(client: FlaskClient) -> None:
    first = get_json(client, "/api/v1/stations?limit=2&kind=smart_station,box_station,"
                             "gig_market,drivers_home,labor_park")
    assert ids(first) == ["a", "b"] and first["numberMatched"] == 5
    links = {link["rel"]: link["href"] for link in first["links"]}
    assert set(links) == {"self", "next"}
    assert links["next"].startswith("/api/v1/stations?")  # relative: no SERVER_NAME set
    second = get_json(client, links["next"])
    assert ids(second) == ["c", "d"]
    third = get_json(client, {lk["rel"]: lk["href"] for lk in second["links"]}["next"])
    assert ids(third) == ["e"] and third["numberReturned"] == 1
    rels = {lk["rel"]: lk["href"] for lk in third["links"]}
    assert "next" not in rels and "offset=2" in rels["prev"] and "kind=" in rels["prev"]


def test_page_links_never_come_from_the_host_header(tiny_path: Path) -> None:
    # the answer is Cache-Control: public, so a forged Host would reach every later reader
    forged = {"Host": "evil.example"}
    for server_name, start in ((None, "/api/v1/stations?"),
                               ("stations.union.example",
                                "http://stations.union.example/api/v1/stations?")):
        client = create_app({"TESTING": True, "REGISTRY": str(tiny_path),
                             "SERVER_NAME": server_name}).test_client()
        answer = client.get("/api/v1/stations?limit=2", headers=forged)
        assert "public" in answer.headers["Cache-Control"]
        hrefs = [link["href"] for link in answer.get_json()["links"]]
        assert hrefs and all(h.startswith(start) for h in hrefs), hrefs


@pytest.mark.parametrize(("query", "param", "fragment"), [
    ("bbox=1,2,3", "bbox", "four comma-separated numbers"),
    ("bbox=1,2,3,4,5", "bbox", "four"),
    ("bbox=a,2,3,4", "bbox", "'a' is not a number"),
    ("bbox=1,nan,3,4", "bbox", "between -90 and 90"),
    ("bbox=181,2,3,4", "bbox", "'181' must be between -180 and 180"),
    ("bbox=1,40,3,30", "bbox", "min lat 40 is above max lat 30"),
    ("limit=0", "limit", "between 1 and 500"),
    ("limit=501", "limit", "between 1 and 500"),
    ("limit=ten", "limit", "'ten'"),
    ("offset=-1", "offset", "between 0"),
    ("kind=castle", "kind", "'castle'"),
    ("amenity=sauna", "amenity", "unknown amenity"),
    ("limit=1&limit=2", "limit", "given 2 times"),
])
def test_stations_bad_parameters(client: FlaskClient, query: str, param: str,
                                 fragment: str) -> None:
    body = get_json(client, f"/api/v1/stations?{query}", status=400)
    assert body["error"]["code"] == "bad_parameter" and body["error"]["param"] == param
    assert fragment in body["error"]["message"]


# --- /api/v1/stations/<id> -------------------------------------------------------------

def test_one_station(client: FlaskClient) -> None:
    body = get_json(client, "/api/v1/stations/c")
    assert body["type"] == "Feature" and body["id"] == "c"
    assert body["properties"]["name"] == "丙站"
    assert body["properties"]["amenities"] == ["ebike_charging", "water"]
    assert get_json(client, "/api/v1/stations/e")["geometry"] is None


@pytest.mark.parametrize("station_id", ["zzz", "A", "%3Cscript%3E"])
def test_unknown_station_is_json_404_naming_the_id(client: FlaskClient, station_id: str) -> None:
    body = get_json(client, f"/api/v1/stations/{station_id}", status=404)
    assert body["error"]["code"] == "not_found" and body["error"]["param"] == "station_id"
    assert "no station has id" in body["error"]["message"]


# --- caching -----------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/api/v1/stations", "/api/v1/stations/a",
                                 "/api/v1/nearest?lat=36.053&lon=103.841&open_at=2026-11-30T10:00",
                                 "/api/v1/registry/report", "/api/v1/openapi.json"])
def test_read_endpoints_have_etag_and_answer_304(client: FlaskClient, url: str) -> None:
    first = client.get(url)
    etag = first.headers["ETag"]
    assert first.status_code == 200 and etag.startswith('"')
    assert first.headers["Cache-Control"] == "public, max-age=60"
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    other = client.get(url, headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and other.data == first.data


@pytest.mark.parametrize("url", ["/api/v1/nearest?lat=36.053&lon=103.841", "/embed"])
def test_public_answers_do_not_vary_by_cookie(client: FlaskClient, url: str) -> None:
    """Shared caches may keep one copy for everyone: no Vary: Cookie, no Set-Cookie."""
    client.set_cookie("session", "a-stale-or-forged-cookie")
    response = client.get(url)
    assert response.status_code == 200
    assert "cookie" not in response.headers.get("Vary", "").lower()
    assert "Set-Cookie" not in response.headers
    page = client.get("/login")  # pages that use the session still say so
    assert "cookie" in page.headers.get("Vary", "").lower()


def test_errors_are_not_cached(client: FlaskClient) -> None:
    response = client.get("/api/v1/stations?limit=0")
    assert response.status_code == 400
    assert "ETag" not in response.headers and "Cache-Control" not in response.headers


def test_etag_changes_with_the_answer(client: FlaskClient) -> None:
    a = client.get("/api/v1/stations/a").headers["ETag"]
    b = client.get("/api/v1/stations/b").headers["ETag"]
    assert a != b


# --- CORS --------------------------------------------------------------------------------

def cors_app(tiny_path: Path, origins: Any) -> FlaskClient:
    return create_app({"TESTING": True, "REGISTRY": str(tiny_path),
                       "API_CORS_ORIGINS": origins}).test_client()


def test_cors_get_from_an_allowed_origin(tiny_path: Path) -> None:
    client = cors_app(tiny_path, "https://union.example http://127.0.0.1:8080")
    ok = client.get("/api/v1/stations", headers={"Origin": "https://union.example"})
    assert ok.headers["Access-Control-Allow-Origin"] == "https://union.example"
    assert "ETag" in ok.headers["Access-Control-Expose-Headers"]
    assert "Origin" in ok.headers["Vary"]
    other = client.get("/api/v1/stations", headers={"Origin": "https://evil.example"})
    assert other.status_code == 200 and "Access-Control-Allow-Origin" not in other.headers


def test_cors_preflight_grants_get_only(tiny_path: Path) -> None:
    client = cors_app(tiny_path, ["https://union.example"])
    get = client.options("/api/v1/stations", headers={
        "Origin": "https://union.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "If-None-Match"})
    assert get.headers["Access-Control-Allow-Origin"] == "https://union.example"
    assert get.headers["Access-Control-Allow-Methods"] == "GET, HEAD"
    post = client.options("/api/v1/stations", headers={
        "Origin": "https://union.example", "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in post.headers
    assert "Access-Control-Allow-Methods" not in post.headers


def test_cors_star_and_none(tiny_path: Path, client: FlaskClient) -> None:
    star = cors_app(tiny_path, "*").get("/api/v1/stations", headers={"Origin": "https://x.example"})
    assert star.headers["Access-Control-Allow-Origin"] == "*"
    default = client.get("/api/v1/stations", headers={"Origin": "https://x.example"})
    assert "Access-Control-Allow-Origin" not in default.headers  # no origins configured
    page = cors_app(tiny_path, "*").get("/", headers={"Origin": "https://x.example"})
    assert "Access-Control-Allow-Origin" not in page.headers  # pages are not the API


@pytest.mark.parametrize(("key", "value", "fragment"), [
    ("API_CORS_ORIGINS", "union.example", "'union.example'"),
    ("API_CORS_ORIGINS", "https://union.example/path", "'https://union.example/path'"),
    ("API_CORS_ORIGINS", "ftp://union.example", "'ftp://union.example'"),
    ("API_CORS_ORIGINS", 42, "42"),
    ("EMBED_ALLOWED_ORIGINS", "*", "'*'"),
    ("EMBED_ALLOWED_ORIGINS", "https://*.example", "'https://*.example'"),
    ("EMBED_ALLOWED_ORIGINS", ["https://ok.example", "javascript:alert(1)"], "javascript"),
    ("EMBED_ALLOWED_ORIGINS", "https://a.example 'unsafe-inline'", "unsafe-inline"),
    ("API_RATE_LIMIT", "lots", "'lots'"),
])
def test_bad_settings_stop_start_up(tiny_path: Path, key: str, value: Any,
                                    fragment: str) -> None:
    with pytest.raises(ConfigError, match=key) as info:
        create_app({"TESTING": True, "REGISTRY": str(tiny_path), key: value})
    assert fragment in str(info.value)


# --- rate limit --------------------------------------------------------------------------

def limited_app(tiny_path: Path, limit: str = "3 per minute") -> Flask:
    return create_app({"TESTING": True, "REGISTRY": str(tiny_path), "API_RATE_LIMIT": limit,
                       "API_RATE_LIMIT_ENABLED": True})


def test_rate_limit_answers_429_json_with_retry_after(tiny_path: Path) -> None:
    client = limited_app(tiny_path).test_client()
    for _ in range(3):
        assert client.get("/api/v1/stations/a").status_code == 200
    body = get_json(client, "/api/v1/nearest?lat=36&lon=103.8", status=429)
    response = client.get("/api/v1/stations")
    assert response.status_code == 429
    retry = int(response.headers["Retry-After"])
    assert 1 <= retry <= 61  # the window resets within a minute (+1 s of rounding up)
    assert body["error"]["code"] == "rate_limited" and body["error"]["retry_after"] >= 1
    assert "3 per 1 minute" in body["error"]["message"]


def test_rate_limit_is_per_client_and_spares_pages(tiny_path: Path) -> None:
    client = limited_app(tiny_path, "1 per minute").test_client()
    assert client.get("/api/v1/stations/a").status_code == 200
    assert client.get("/api/v1/stations/a").status_code == 429
    other = client.get("/api/v1/stations/a", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200
    assert client.get("/embed").status_code == 200 and client.get("/").status_code == 200


def test_rate_limit_is_off_under_testing_unless_asked(client: FlaskClient) -> None:
    assert all(client.get("/api/v1/stations/a").status_code == 200 for _ in range(150))


# --- /api/v1/places and /api/v1/coverage ------------------------------------------------

def test_place_search_returns_point_features(client: FlaskClient) -> None:
    body = get_json(client, "/api/v1/places?q=yclj&limit=3")
    assert body["type"] == "FeatureCollection" and 1 <= body["numberReturned"] <= 3
    first = body["features"][0]
    assert first["properties"]["name"] == "盐场路街道"
    assert first["geometry"]["type"] == "Point" and len(first["geometry"]["coordinates"]) == 2
    assert first["properties"]["approximate"] is True  # subdistricts sit at their district
    assert get_json(client, "/api/v1/places?q=盐场路")["features"][0]["properties"][
        "name"] == "盐场路街道"


@pytest.mark.parametrize(("query", "param", "fragment"), [
    ("", "q", "required"),
    ("q=", "q", "required"),
    ("q=%20%20", "q", "required"),
    ("q=" + "x" * 65, "q", "at most 64"),
    ("q=yc&limit=0", "limit", "between 1 and 50"),
    ("q=yc&limit=51", "limit", "between 1 and 50"),
    ("q=a&q=b", "q", "given 2 times"),
])
def test_place_search_bad_parameters(client: FlaskClient, query: str, param: str,
                                     fragment: str) -> None:
    body = get_json(client, f"/api/v1/places?{query}", status=400)
    assert body["error"]["param"] == param and fragment in body["error"]["message"]


def test_coverage_of_one_district(client: FlaskClient) -> None:
    body = get_json(client, "/api/v1/coverage?district=620102&resolution=7&radius_m=2000")
    assert body["area"]["code"] == "620102" and body["radius_m"] == 2000.0
    assert body["resolution"] == 7 and body["basis"] == "area"
    assert 0 < body["covered_share"] <= 1
    assert body["stations"] == 3  # a, b and c lie in 城关区; d is in 安宁区
    # inside a district the units are its subdistricts by default (no polygons here: counts
    # by code), as on the planner page and in the CLI; the whole city lists districts
    assert body["level"] == "subdistrict" and body["polygons"] is False
    assert "code_counts" in body
    assert get_json(client, "/api/v1/coverage?resolution=6")["level"] == "district"
    again = client.get("/api/v1/coverage?district=620102&resolution=7&radius_m=2000")
    assert again.get_json() == body  # served from the cache, same answer
    fewer = get_json(client, "/api/v1/coverage?district=620102&resolution=7&radius_m=2000"
                             "&kind=gig_market")
    assert fewer["covered_share"] < body["covered_share"]


@pytest.mark.parametrize(("query", "status", "param"), [
    ("district=999999", 404, "district"),
    ("radius_m=10", 400, "radius_m"),
    ("resolution=10", 400, "resolution"),
    ("resolution=4", 400, "resolution"),
    ("kind=castle", 400, "kind"),
])
def test_coverage_bad_parameters(client: FlaskClient, query: str, status: int,
                                 param: str) -> None:
    body = get_json(client, f"/api/v1/coverage?{query}", status=status)
    assert body["error"]["param"] == param


# --- the listing's vectorised selection against its definition -------------------------

def _listed_by_definition(stations: list[Any], kinds: frozenset[Any], amenities: frozenset[Any],
                          bbox: tuple[float, float, float, float] | None) -> list[int]:
    out = []
    for i, s in enumerate(stations):
        if (kinds and s.kind not in kinds) or not amenities <= s.amenities:
            continue
        if bbox is not None:
            west, south, east, north = bbox
            if not s.located or not south <= s.lat <= north:
                continue
            if not (west <= s.lon <= east if west <= east else s.lon >= west or s.lon <= east):
                continue
        out.append(i)
    return out


@settings(max_examples=60, deadline=None)
@given(data=st.data(), n=st.integers(0, 40))
def test_listing_selection_matches_its_definition(data: st.DataObject, n: int) -> None:
    from locator.model import Amenity, Kind, Station
    from locator.registry import Registry
    from locator.registry.load import LoadReport
    from locator.stations.nearest import NearestIndex
    from locator.stations.query import Filters
    from locator.web.api.stations import listed

    coord = st.one_of(st.none(), st.tuples(st.floats(-180, 180), st.floats(-90, 90)))
    stations = []
    for i in range(n):
        where = data.draw(coord)
        stations.append(Station(
            id=f"s{i}", name="站", kind=data.draw(st.sampled_from(list(Kind))),
            lon=None if where is None else where[0], lat=None if where is None else where[1],
            amenities=frozenset(data.draw(st.sets(st.sampled_from(list(Amenity)), max_size=3)))))
    registry = Registry(tuple(stations), NearestIndex(stations), LoadReport((), n, n, ()))
    kinds = frozenset(data.draw(st.sets(st.sampled_from(list(Kind)), max_size=2)))
    amenities = frozenset(data.draw(st.sets(st.sampled_from(list(Amenity)), max_size=2)))
    bbox = data.draw(st.one_of(st.none(), st.tuples(
        st.floats(-180, 180), st.floats(-90, 0), st.floats(-180, 180), st.floats(0, 90))))
    got = listed(registry, Filters(kinds=kinds, amenities=amenities), bbox).tolist()
    assert got == _listed_by_definition(stations, kinds, amenities, bbox)
