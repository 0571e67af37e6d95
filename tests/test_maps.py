"""The finder map: only local assets, escaped data, the right datum, clear errors."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

import folium
import folium.plugins
import pytest

from locator.errors import ConfigError, LocatorError, QueryError
from locator.geo.datum import wgs84_to_gcj02
from locator.maps.finder import finder_map, map_parts
from locator.maps.layers import DEFAULT_LABELS, TILES, format_distance, safe_json
from locator.model import Kind, Station
from tests.conftest import HOSTILE_MORE

PREFIX = "/static/"
KEY = "0123456789abcdef0123456789abcdef"
CENTER = (103.834123, 36.061234)  # Lanzhou, Chengguan; WGS-84 (lon, lat)
HOSTILE = HOSTILE_MORE


def static_url(path: str) -> str:
    return PREFIX + path


def station(i: int, name: str = "驿站", **kw: Any) -> Station:
    kw.setdefault("kind", list(Kind)[i % len(Kind)])
    kw.setdefault("lon", round(103.80 + 0.004 * i, 6))
    kw.setdefault("lat", round(36.05 + 0.003 * i, 6))
    return Station(id=f"s{i}", name=name, **kw)


def hostile_stations() -> list[Station]:
    out = [station(i, name, address=name) for i, name in enumerate(HOSTILE)]
    out.append(station(len(out), "演示站", synthetic=True))
    return out


def render(stations: list[Station], **kw: Any) -> str:
    kw.setdefault("center", CENTER)
    kw.setdefault("labels", {})
    kw.setdefault("static_url", static_url)
    if kw.get("tiles") == "tianditu":
        kw.setdefault("tianditu_key", KEY)
    html: str = finder_map(stations, **kw).get_root().render()
    return html


# the stations' JSON sits in a data block beside the map, which LZ.stations reads
PAYLOAD_RE = re.compile(r'<script type="application/json" class="lz-payload" '
                        r'id="station_layer_[0-9a-f]+-data">(\{.*?\})</script>', re.S)


def payload_text(html: str) -> str:
    found = PAYLOAD_RE.findall(html)
    assert len(found) == 1
    text: str = found[0]
    return text


def payload(html: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(payload_text(html))
    return data


def rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The payload's columns decoded as the page's script does (integer sums only)."""
    out, lat, lon = [], 0, 0
    for i in range(len(data["kind"])):
        lat, lon = lat + data["lat"][i], lon + data["lon"][i]
        out.append({"lat": lat / 1e6, "lon": lon / 1e6, "glat": (lat + data["glat"][i]) / 1e6,
                    "glon": (lon + data["glon"][i]) / 1e6, "kind": data["kind"][i],
                    "id": data["ids"][i], "synthetic": i in data["demo"],
                    "name": data.get("names", [None] * (i + 1))[i],
                    "address": data.get("addresses", [None] * (i + 1))[i]})
    return out


class Assets(HTMLParser):
    """Collects every URL a page would load: script src, link href, any src attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value is not None:
                self.urls.append((tag, value))


def loaded_urls(html: str) -> list[tuple[str, str]]:
    parser = Assets()
    parser.feed(html)
    return parser.urls


@pytest.mark.parametrize("tiles", sorted(TILES))
def test_every_asset_comes_from_static_url(tiles: str) -> None:
    html = render(hostile_stations(), tiles=tiles, nearest=[])
    urls = loaded_urls(html)
    tags = {tag for tag, _ in urls}
    assert tags == {"script", "link"}
    assert len(urls) == 7  # leaflet js+css, markercluster js + 2 css, finder-map.js, map.css
    for _, url in urls:
        assert url.startswith(PREFIX), url
    outside_data = html.replace(payload_text(html), "")  # names like "<img src=x" are data
    # Attributes of the page itself; an escaped href=\"...\" inside a JS string (the OSM
    # attribution's link) is not one.
    attrs = re.findall(r"""\s(?:src|href)\s*=\s*(?!\\)(["']?)([^"'\s>]*)""", outside_data)
    assert len(attrs) == 7
    for _, url in attrs:
        assert url.startswith(PREFIX), url
    lowered = html.lower()
    for banned in ("jquery", "bootstrap", "font-awesome", "fontawesome", "cdn", "glyphicons",
                   "awesome-markers", "unpkg"):
        assert banned not in lowered


def test_tile_templates_are_in_the_script() -> None:
    html = render([station(0)], tiles="tianditu")
    assert "vec_w/wmts" in html and "cva_w/wmts" in html
    assert f'"tk":"{KEY}"' in html
    assert "tianditu.gov.cn" not in render([station(0)], tiles="osm")  # no key: not offered
    assert "tile.openstreetmap.org" in render([station(0)], tiles="osm")
    assert "autonavi.com" in render([station(0)], tiles="amap")


def test_map_parts_split_the_page() -> None:
    m = finder_map(hostile_stations(), center=CENTER, labels={}, static_url=static_url)
    parts = map_parts(m)
    assert set(parts) == {"header", "html", "script"}
    assert [u for _, u in loaded_urls(parts["header"])] == [
        PREFIX + p for p in (
            "vendor/leaflet-1.9.4/leaflet.js",
            "vendor/leaflet.markercluster-1.5.3/leaflet.markercluster.js",
            "js/finder-map.js",
            "vendor/leaflet-1.9.4/leaflet.css",
            "vendor/leaflet.markercluster-1.5.3/MarkerCluster.css",
            "vendor/leaflet.markercluster-1.5.3/MarkerCluster.Default.css",
            "css/map.css")]
    assert 'class="folium-map"' in parts["html"]
    assert "<script" not in parts["script"].lower()
    assert "LZ.stations(" in parts["script"]
    assert payload_text(str(parts["html"]))  # the data block travels with the map's html


def test_map_parts_refuses_a_foreign_asset() -> None:
    m = finder_map([station(0)], center=CENTER, labels={}, static_url=static_url)
    folium.plugins.Fullscreen().add_to(m)  # type: ignore[no-untyped-call]  # a CDN script
    with pytest.raises(ConfigError, match="foreign asset"):
        map_parts(m)


def test_map_parts_needs_a_finder_map() -> None:
    with pytest.raises(TypeError):
        map_parts(folium.Map())


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_text_only_inside_escaped_json(name: str) -> None:
    html = render(hostile_stations())
    text = payload_text(html)
    data = payload(html)
    found = [r for r in rows(data) if r["name"] == name]
    assert len(found) == 1 and found[0]["address"] == name  # survives the round trip
    assert html.count(name) == text.count(name)  # raw only inside the JSON literal
    if any(c in name for c in "<>&\u2028\u2029"):
        assert name not in html


def test_data_cannot_close_the_script() -> None:
    html = render(hostile_stations())
    text = payload_text(html)
    for raw in ("<", ">", "&", "\u2028", "\u2029"):
        assert raw not in text
    lowered = html.lower()
    assert lowered.count("</script") == lowered.count("<script")
    assert "<!--" not in html
    assert "`" not in html.replace(text, "")  # no template literals in our JS


@pytest.mark.parametrize(("tiles", "datum"), [("osm", "wgs84"), ("tianditu", "wgs84"),
                                               ("amap", "gcj02")])
def test_both_datums_are_embedded_and_the_tiles_pick_one(tiles: str, datum: str) -> None:
    stations = [station(i) for i in range(5)]
    html = render(stations, tiles=tiles)
    data = payload(html)
    assert data["datum"] == datum and data["base"] == tiles
    for row, s in zip(rows(data), stations, strict=True):
        assert s.lon is not None and s.lat is not None
        assert (row["lon"], row["lat"]) == (s.lon, s.lat)  # WGS-84 exactly (6 decimals)
        lon, lat = wgs84_to_gcj02(s.lon, s.lat)
        assert row["glon"] == pytest.approx(lon, abs=6e-7)
        assert row["glat"] == pytest.approx(lat, abs=6e-7)
        assert 0.0018 < row["glon"] - s.lon < 0.0030  # about +0.0024 degree at Lanzhou
    ulon, ulat = wgs84_to_gcj02(*CENTER)
    assert data["user"]["wgs84"] == [CENTER[1], CENTER[0]]
    assert data["user"]["gcj02"] == pytest.approx([ulat, ulon], abs=6e-7)
    centre = data["user"][datum]
    assert f"center: [{centre[0]}, {centre[1]}]" in html
    offered = {t["name"]: t["datum"] for t in data["tiles"]}
    expected = {"osm": "wgs84", "amap": "gcj02", "tianditu": "wgs84"}
    if tiles != "tianditu":  # rendered without a Tianditu key: not offered
        del expected["tianditu"]
    assert offered == expected


def test_details_url_keeps_names_out_of_the_page() -> None:
    stations = [station(i, f"名字{i}", address=f"地址{i}") for i in range(3)]
    html = render(stations, details_url="/station/__ID__.json")
    data = payload(html)
    assert "names" not in data and "addresses" not in data
    assert data["details"] == "/station/__ID__.json" and data["ids"] == ["s0", "s1", "s2"]
    assert "名字" not in html and "地址" not in html


@pytest.mark.parametrize("n", [0, 1, 8, 60])
def test_one_entry_per_located_station(n: int) -> None:
    stations = [station(i) for i in range(n)] + [station(999, lon=None, lat=None)]
    data = payload(render(stations))
    assert len(data["kind"]) == len(data["lat"]) == len(data["glon"]) == n
    assert [r["id"] for r in rows(data)] == [f"s{i}" for i in range(n)]


def test_nearest_are_marked_and_added_when_missing() -> None:
    stations = [station(i) for i in range(4)]
    extra = station(7)
    html = render(stations, nearest=[(stations[2], 320.0), (extra, 1234.0)])
    data = payload(html)
    assert len(data["ids"]) == 5
    assert data["nearest"] == [[2, 320.0, "320 m"], [4, 1234.0, "1.2 km"]]
    assert data["ids"][4] == "s7"


def test_synthetic_flag_and_labels() -> None:
    labels = {"you_are_here": "您在这里", Kind.SMART_STATION.value: "24小时智能化工会驿站",
              "not_a_key": "ignored"}
    data = payload(render(hostile_stations(), labels=labels))
    assert data["demo"] == [len(HOSTILE)]
    assert data["has_synthetic"] is True
    assert data["labels"]["you_are_here"] == "您在这里"
    assert data["labels"]["smart_station"] == "24小时智能化工会驿站"
    assert data["labels"]["legend_title"] == DEFAULT_LABELS["legend_title"]
    assert set(data["labels"]) == set(DEFAULT_LABELS)
    assert not payload(render([station(0)]))["has_synthetic"]


@pytest.mark.parametrize("tiles", ["google", "", "OSM", "baidu", "amap "])
def test_unknown_tiles_is_a_query_error(tiles: str) -> None:
    with pytest.raises(QueryError, match="unknown tile layer") as info:
        finder_map([], center=CENTER, tiles=tiles, labels={}, static_url=static_url)
    assert isinstance(info.value, ValueError) and info.value.param == "tiles"


@pytest.mark.parametrize("key", [None, "", "short", "has space in it", "k" * 65, '"><x'])
def test_tianditu_needs_a_usable_key(key: str | None) -> None:
    with pytest.raises(ConfigError, match="tianditu") as info:
        finder_map([], center=CENTER, tiles="tianditu", tianditu_key=key, labels={},
                   static_url=static_url)
    assert isinstance(info.value, LocatorError) and info.value.status == 500


@pytest.mark.parametrize("center", [(200.0, 36.0), (103.8, 91.0), (float("nan"), 36.0),
                                    (103.8,), "here"])
def test_bad_center_is_a_query_error(center: Any) -> None:
    with pytest.raises(QueryError, match="center"):
        finder_map([], center=center, labels={}, static_url=static_url)


@pytest.mark.parametrize("zoom", [-1, 19, 2.5, True])
def test_bad_zoom_is_a_query_error(zoom: Any) -> None:
    with pytest.raises(QueryError, match="zoom"):
        finder_map([], center=CENTER, zoom=zoom, labels={}, static_url=static_url)


@pytest.mark.parametrize("bad", ['/s/x.js" onload="alert(1)', "/s/<x>", "", "/s/a b"])
def test_unsafe_static_url_is_a_config_error(bad: str) -> None:
    with pytest.raises(ConfigError, match="static_url"):
        finder_map([], center=CENTER, labels={}, static_url=lambda p: bad)


@pytest.mark.parametrize(("metres", "text"), [
    (0, "0 m"), (320.4, "320 m"), (999.4, "999 m"), (999.6, "1.0 km"), (1234, "1.2 km"),
    (9949, "9.9 km"), (9950, "10 km"), (15_600, "16 km")])
def test_format_distance(metres: float, text: str) -> None:
    assert format_distance(metres) == text


@pytest.mark.parametrize("metres", [-1.0, float("nan"), float("inf")])
def test_format_distance_rejects(metres: float) -> None:
    with pytest.raises(ValueError, match="metres"):
        format_distance(metres)


@pytest.mark.parametrize("value", [*HOSTILE, {"a": "</script>"}, ["&amp;", "\u2028"]])
def test_safe_json_round_trips(value: Any) -> None:
    text = safe_json(value)
    assert json.loads(text) == value
    assert not set(text) & set("<>&\u2028\u2029")
