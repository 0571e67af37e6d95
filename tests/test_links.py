"""Directions links: each provider's documented format, coordinates in the declared datum."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from locator.errors import QueryError
from locator.geo.datum import bd09_to_wgs84, gcj02_to_wgs84, wgs84_to_bd09, wgs84_to_gcj02
from locator.geo.geodesic import geodesic_m
from locator.stations.links import directions

START = (103.834123, 36.061234)
STATION = (103.840550, 36.052820)  # 东方红广场, WGS-84


def query(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    return {k: v[0] for k, v in parse_qs(parts.query, strict_parsing=True).items()}


def by_provider(**kw: Any) -> dict[str, Any]:
    kw.setdefault("name", "东方红广场工会驿站")
    return {link.provider: link for link in directions(START, STATION, **kw)}


def test_amap_uri_in_gcj02() -> None:
    link = by_provider()["amap"]
    parts = urlsplit(link.url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "uri.amap.com", "/navigation")
    q = query(link.url)
    assert q["coordinate"] == "gaode" and q["mode"] == "walk" and q["callnative"] == "1"
    assert q["src"]
    lon, lat, name = q["to"].split(",")
    assert name == "东方红广场工会驿站"
    gx, gy = wgs84_to_gcj02(*STATION)
    assert (float(lon), float(lat)) == (round(gx, 6), round(gy, 6))
    back = gcj02_to_wgs84(float(lon), float(lat))
    assert geodesic_m(*back, *STATION) < 0.5  # the GCJ-02 point is the station
    assert geodesic_m(float(lon), float(lat), *STATION) > 100  # and really shifted
    flon, flat, _ = q["from"].split(",")
    assert geodesic_m(*gcj02_to_wgs84(float(flon), float(flat)), *START) < 0.5


def test_baidu_uri_in_bd09_lat_first() -> None:
    link = by_provider()["baidu"]
    parts = urlsplit(link.url)
    assert (parts.netloc, parts.path) == ("api.map.baidu.com", "/direction")
    q = query(link.url)
    assert q["coord_type"] == "bd09ll" and q["mode"] == "walking" and q["output"] == "html"
    assert q["region"] and q["src"]
    latlng, name = q["destination"].split("|")
    assert name == "name:东方红广场工会驿站"
    lat, lng = (float(v) for v in latlng.removeprefix("latlng:").split(","))
    bx, by = wgs84_to_bd09(*STATION)
    assert (lng, lat) == (round(bx, 6), round(by, 6))
    assert geodesic_m(*bd09_to_wgs84(lng, lat), *STATION) < 0.5
    olat, olng = (float(v) for v in q["origin"].removeprefix("latlng:").split(","))
    assert geodesic_m(*bd09_to_wgs84(olng, olat), *START) < 0.5


def test_osm_directions_in_wgs84() -> None:
    link = by_provider(mode="ride")["osm"]
    parts = urlsplit(link.url)
    assert (parts.netloc, parts.path) == ("www.openstreetmap.org", "/directions")
    q = query(link.url)
    assert q["engine"] == "fossgis_osrm_bike"
    assert q["route"] == "36.061234,103.834123;36.052820,103.840550"


def test_ride_mode_names() -> None:
    links = by_provider(mode="ride")
    assert query(links["amap"].url)["mode"] == "ride"
    assert query(links["baidu"].url)["mode"] == "riding"


def test_without_origin_the_app_starts_from_the_phone() -> None:
    links = {x.provider: x for x in directions(None, STATION, name="站")}
    assert "from" not in query(links["amap"].url)
    assert "origin" not in query(links["baidu"].url)
    assert query(links["osm"].url)["route"] == ";36.052820,103.840550"


@pytest.mark.parametrize("name", ["a,b|c:d;e", "<img src=x onerror=alert(1)>", "C:\\站\\"])
def test_separators_in_names_cannot_break_the_fields(name: str) -> None:
    links = by_provider(name=name)
    to = query(links["amap"].url)["to"].split(",")
    assert len(to) == 3
    assert len(query(links["baidu"].url)["destination"].split("|")) == 2
    for link in links.values():
        assert "<" not in link.url and " " not in link.url


@pytest.mark.parametrize(("origin", "dest", "mode", "param"), [
    (START, (float("nan"), 36.0), "walk", "destination"),
    (START, (200.0, 36.0), "walk", "destination"),
    ((103.8, 95.0), STATION, "walk", "origin"),
    (START, STATION, "car", "mode"),
])
def test_bad_input_names_the_parameter(origin: Any, dest: Any, mode: str, param: str) -> None:
    with pytest.raises(QueryError) as err:
        directions(origin, dest, name="x", mode=mode)
    assert err.value.param == param
