"""Offline place search: hanzi, full pinyin, initials, aliases, coordinates, stations, kinds;
ranking; honest points and precisions (issue 15)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import Point, box, shape

from locator.areas import lookup as lookups
from locator.areas import places
from locator.areas.store import StoredAreas
from locator.areas.units import AdminUnit
from locator.errors import QueryError
from locator.geo.datum import wgs84_to_gcj02
from locator.geo.geodesic import geodesic_m
from locator.model import Kind, Station


def names(query: str, limit: int = 10) -> list[str]:
    return [p.name for p in places.search(query, limit=limit)]


def precision_class(metres: float) -> str:
    """``point`` (≤ 150 m), ``street`` (≤ 1 km) or ``area`` (beyond: a district or more)."""
    return "point" if metres <= 150 else "street" if metres <= 1000 else "area"


# 34 real queries as workers type them: (query, datum, first hit's name, its level, its
# precision class). Names without a sourced point (兰州大学, 白塔山) find the same-named
# community, at its district's seat, honestly "area".
QUERIES = [
    ("盐场路", "wgs84", "盐场路街道", "subdistrict", "area"),
    ("yanchanglu", "wgs84", "盐场路街道", "subdistrict", "area"),
    ("yclj", "wgs84", "盐场路街道", "subdistrict", "area"),
    ("城关 盐场", "wgs84", "盐场路街道", "subdistrict", "area"),
    ("张掖路", "wgs84", "张掖路街道", "subdistrict", "area"),
    ("zhangyelu", "wgs84", "张掖路街道", "subdistrict", "area"),
    ("五泉", "wgs84", "五泉街道", "subdistrict", "area"),
    ("haishiwan", "wgs84", "海石湾镇", "subdistrict", "area"),
    ("城关区", "wgs84", "城关区", "district", "area"),
    ("chengguan", "wgs84", "城关区", "district", "area"),
    ("cgq", "wgs84", "城关区", "district", "area"),
    ("七里河", "wgs84", "七里河区", "district", "area"),
    ("anning", "wgs84", "安宁区", "district", "area"),
    ("yongdeng", "wgs84", "永登县", "district", "area"),
    ("榆中", "wgs84", "榆中县", "district", "area"),
    ("兰州", "wgs84", "兰州市", "city", "area"),
    ("兰州站", "wgs84", "兰州站", "landmark", "street"),
    ("lanzhouzhan", "wgs84", "兰州站", "landmark", "street"),
    ("兰州火车站", "wgs84", "兰州站", "landmark", "street"),  # alias
    ("西客站", "wgs84", "兰州西站", "landmark", "street"),  # alias
    ("中川机场", "wgs84", "兰州中川国际机场", "landmark", "street"),  # alias
    ("东方红广场", "wgs84", "东方红广场", "landmark", "street"),
    ("dfhgc", "wgs84", "东方红广场", "landmark", "street"),
    ("Dongfanghong Square", "wgs84", "东方红广场", "landmark", "street"),
    ("奥体中心", "wgs84", "兰州奥体中心体育场", "landmark", "street"),
    ("何克", "wgs84", "兰州城市学院 路易·艾黎广场 何克塑像", "landmark", "point"),
    ("兰大", "wgs84", "兰州大学社区", "community", "area"),  # alias; no campus point
    ("兰州大学", "wgs84", "兰州大学社区", "community", "area"),
    ("白塔山", "wgs84", "白塔山社区", "community", "area"),
    ("36.0575, 103.8227", "wgs84", "36.057500, 103.822700", "coordinates", "point"),
    ("103.822690,36.057520", "wgs84", "36.057520, 103.822690", "coordinates", "point"),
    ("36°03′27″N 103°49′22″E", "wgs84", "36.057500, 103.822778", "coordinates", "point"),
    ("北纬36度3分27秒 东经103度49分22秒", "wgs84", "36.057500, 103.822778", "coordinates",
     "point"),
    ("36.06,103.83", "wgs84", "36.060000, 103.830000", "coordinates", "street"),
]


@pytest.mark.parametrize(("query", "datum", "first", "level", "precision"), QUERIES)
def test_real_queries_find_the_expected_kind_of_place(query: str, datum: str, first: str,
                                                      level: str, precision: str) -> None:
    found = lookups.lookup(query, datum=datum).places
    assert found, query
    hit = found[0]
    assert (hit.name, hit.level, precision_class(hit.precision_m)) == (first, level, precision)
    assert hit.approximate == (hit.precision_m > places.APPROXIMATE_M)
    assert lookups.resolve(hit.id) == hit  # the id a shared link carries gives it back


def test_the_table_has_thirty_real_queries_of_every_sort() -> None:
    assert len(QUERIES) >= 30
    assert {level for *_, level, _ in QUERIES} >= {"district", "subdistrict", "community",
                                                   "landmark", "coordinates", "city"}


@pytest.mark.parametrize("query", ["盐场路街道", "盐场路", "yanchang", "YanChang Lu",
                                   "yan'chang'lu", "yclj", "ycljd", "城关 盐场", "chengguan yclj"])
def test_finds_yanchanglu_first(query: str) -> None:
    assert names(query)[0] == "盐场路街道"


def test_whole_match_beats_prefix_and_substring() -> None:
    # "东岗街道" is a whole-name match; "东岗西路街道" only contains the word
    assert names("东岗街道")[:1] == ["东岗街道"]
    assert names("donggang")[0] in ("东岗街道", "东岗镇村")


def test_parent_words_narrow_but_never_match_alone() -> None:
    found = places.search("城关 东岗", limit=50)
    assert found and all("城关区" in p.parents for p in found)
    assert all(p.name == "城关区" or "城关" in p.name for p in places.search("城关区"))


@pytest.mark.parametrize("query", ["", "   ", "zzzzqqq", "<img src=x>", "不存在的地名"])
def test_blank_or_unknown_query_finds_nothing(query: str) -> None:
    assert lookups.lookup(query).places == []


def test_xizhan_is_no_alias_of_the_west_railway_station() -> None:
    # locally 西站 names a place east of 兰州西站 (aliases.csv cites the warning): the
    # subdistrict 西站街道 comes first, the railway station only as a substring match
    assert names("西站")[:1] == ["西站街道"]


@pytest.mark.parametrize(("query", "limit", "param"), [
    ("x" * (places.MAX_QUERY + 1), 10, "q"), ("lz", 0, "limit"), ("lz", 51, "limit"),
    ("lz", True, "limit"), ("lz", 2.5, "limit"), (None, 10, "q"),
])
def test_bad_arguments_name_the_parameter(query: Any, limit: Any, param: str) -> None:
    with pytest.raises(QueryError) as err:
        places.search(query, limit=limit)
    assert err.value.param == param


def test_bad_datum_and_unknown_ids_name_their_parameter() -> None:
    with pytest.raises(QueryError) as err:
        lookups.lookup("36.06,103.83", datum="gcj")  # accepted alias
        lookups.lookup("36.06,103.83", datum="mars")
    assert err.value.param == "datum"
    for bad in ("nope", "u:999999", "st:nobody", "ll:91,0~5", "ll:x"):
        with pytest.raises(QueryError) as err:
            lookups.resolve(bad)
        assert err.value.param == "place"


def test_limit_is_respected() -> None:
    assert len(places.search("c", limit=3)) == 3


def test_districts_sit_at_their_seat_with_the_district_size_as_precision() -> None:
    everything = places.all_places()
    with (places.GEODATA / "places.csv").open(encoding="utf-8") as fh:
        seats = {r["district_code"]: r for r in csv.DictReader(fh)
                 if r["kind"] == "district_seat"}
    districts = [p for p in everything if p.level == "district"]
    assert len(districts) == 8
    for p in districts:
        seat = seats[p.district_code or ""]
        assert (p.lon, p.lat) == (float(seat["lon"]), float(seat["lat"]))
        assert p.basis == "seat" and p.approximate
        assert 5_000 < p.precision_m < 60_000  # the radius of a circle of its area
    chengguan = next(p for p in districts if p.name == "城关区")
    yongdeng = next(p for p in districts if p.name == "永登县")
    assert chengguan.precision_m < yongdeng.precision_m  # a bigger county, a bigger error


def test_subdistricts_without_polygons_sit_at_their_district_seat_flagged() -> None:
    everything = places.all_places()
    (street,) = [p for p in everything if p.name == "盐场路街道"]
    (district,) = [p for p in everything if p.name == "城关区" and p.level == "district"]
    assert street.approximate and street.basis == "district_seat"
    assert (street.lon, street.lat, street.precision_m) == (
        district.lon, district.lat, district.precision_m)
    assert street.parents == ("城关区",) and street.district_code == "620102"
    # 张掖路街道 was 5.9 km off at the label point; the seat is GeoNames' 张掖路 point
    (zhangye,) = [p for p in everything if p.name == "张掖路街道"]
    assert geodesic_m(zhangye.lon, zhangye.lat, 103.82269, 36.05752) < 1


def test_an_imported_polygon_gives_its_unit_a_centroid_and_its_own_precision() -> None:
    square = box(103.80, 36.07, 103.82, 36.09)  # ~1.8 km × 2.2 km
    stored = StoredAreas("subdistrict", (AdminUnit("620102021", "盐场路街道", "subdistrict",
                                                   square, "620102", "620102"),),
                         {"sha256": "test", "imported_at": "2026-12-08T00:00:00+00:00"})
    (street,) = [p for p in places.all_places(areas=[stored]) if p.name == "盐场路街道"]
    assert street.basis == "polygon"
    assert (street.lon, street.lat) == pytest.approx((103.81, 36.08))
    assert 1_000 < street.precision_m < 1_300  # radius of a circle of ~4 km²
    assert lookups.resolve(street.id, areas=[stored]) == street
    # the others keep their seat
    (other,) = [p for p in places.all_places(areas=[stored]) if p.name == "张掖路街道"]
    assert other.basis == "district_seat"


def test_landmarks_keep_their_own_point_and_precision() -> None:
    (square,) = [p for p in places.all_places() if p.name == "东方红广场"]
    assert (square.lon, square.lat, square.precision_m) == (103.84055, 36.05282, 300.0)
    assert not square.approximate and square.level == "landmark" and square.basis == "cited"


def test_every_district_label_point_is_gone() -> None:
    """The old label points were 6-20 km from the seats; none is used any more."""
    with (places.GEODATA / "boundaries.geojson").open(encoding="utf-8") as fh:
        import json
        polygons = {f["properties"]["code"]: shape(f["geometry"])
                    for f in json.load(fh)["features"]}
    for p in places.all_places():
        if p.level == "district":
            assert (p.lon, p.lat) != tuple(polygons[p.district_code].representative_point()
                                           .coords[0])
            assert polygons[p.district_code].contains(Point(p.lon, p.lat))


def test_exact_name_landmarks_rank_above_same_named_communities(tmp_path: Path) -> None:
    """A landmark called 白塔山 (test data, not shipped: no source has its point) beats the
    community 白塔山社区 that merely shares the name."""
    folder = tmp_path / "geodata"
    shutil.copytree(places.GEODATA, folder)
    with (folder / "places.csv").open("a", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerow(
            ["白塔山", "Baita Mountain (test)", "park", "103.82", "36.07", "wgs84", "200",
             "test fixture", "test", "620102"])
    gazetteer = places.gazetteer(folder=folder)
    ranked = [p.name for _, p in places.rank(gazetteer, gazetteer.words("白塔山"), 5)]
    assert ranked[:2] == ["白塔山", "白塔山社区"]
    ranked = [p.name for _, p in places.rank(gazetteer, gazetteer.words("baitashan"), 5)]
    assert ranked[0] == "白塔山"


def _station(sid: str, name: str, kind: Kind, lon: float, lat: float,
             address: str = "") -> Station:
    return Station(id=sid, name=name, kind=kind, lon=lon, lat=lat, address=address,
                   source="test", precision_m=20.0)


STATIONS = [
    _station("g1", "雁滩零工驿站", Kind.GIG_MARKET, 103.88, 36.07, "城关区雁南街道天水北路"),
    _station("d1", "货运西站司机之家", Kind.DRIVERS_HOME, 103.70, 36.09, "七里河区西津西路"),
    _station("b1", "东岗箱体驿站", Kind.BOX_STATION, 103.90, 36.05, "东岗西路123号"),
]


@pytest.mark.parametrize(("query", "first_id", "kinds"), [
    ("雁滩零工", "st:g1", set()),
    ("司机之家", "st:d1", {Kind.DRIVERS_HOME}),
    ("sjzj", "st:d1", {Kind.DRIVERS_HOME}),
    ("零工市场", None, {Kind.GIG_MARKET}),
    ("天水北路", "st:g1", set()),  # an address
    ("西津西路", "st:d1", set()),
])
def test_stations_by_name_or_address_and_kinds(query: str, first_id: str | None,
                                                kinds: set[Kind]) -> None:
    found = lookups.lookup(query, stations=STATIONS)
    assert set(found.kinds) == kinds
    station_ids = [p.id for p in found.places if p.level == "station"]
    if first_id is not None:
        assert station_ids[0] == first_id
        hit = next(p for p in found.places if p.id == first_id)
        assert hit.precision_m == 20 and not hit.approximate
        assert lookups.resolve(first_id, stations=STATIONS) == hit


def test_gcj02_coordinates_are_converted_to_wgs84() -> None:
    lon, lat = wgs84_to_gcj02(103.8227, 36.0575)
    text = f"{lon:.6f},{lat:.6f}"  # as Amap copies it: longitude first
    (plain,) = lookups.lookup(text).places
    (converted,) = lookups.lookup(text, datum="gcj02").places
    assert geodesic_m(converted.lon, converted.lat, 103.8227, 36.0575) < 1
    assert geodesic_m(plain.lon, plain.lat, 103.8227, 36.0575) > 150  # the ~220 m offset


def test_as_dict_is_json_ready() -> None:
    d = places.search("yclj")[0].as_dict()
    assert d["name"] == "盐场路街道" and d["approximate"] is True
    assert d["id"] == "u:620102021" and d["basis"] == "district_seat"
    assert d["parents"] == ["城关区"] and isinstance(d["precision_m"], int)
