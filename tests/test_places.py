"""Offline place search: hanzi, full pinyin, initials, ranking, honest locations."""

from __future__ import annotations

from typing import Any

import pytest
from shapely.geometry import Point, shape

from locator.areas import places
from locator.errors import QueryError


def names(query: str, limit: int = 10) -> list[str]:
    return [p.name for p in places.search(query, limit=limit)]


@pytest.mark.parametrize("query", ["盐场路街道", "盐场路", "yanchang", "YanChang Lu",
                                   "yan'chang'lu", "yclj", "ycljd", "城关 盐场", "chengguan yclj"])
def test_finds_yanchanglu_first(query: str) -> None:
    assert names(query)[0] == "盐场路街道"


@pytest.mark.parametrize(("query", "first"), [
    ("cgq", "城关区"), ("chengguan", "城关区"), ("Chengguan District", "城关区"),
    ("lanzhouzhan", "兰州站"), ("dongfanghong", "东方红广场"), ("东方红", "东方红广场"),
    ("Dongfanghong Square", "东方红广场"), ("anning", "安宁区"),
])
def test_ranking_puts_the_obvious_place_first(query: str, first: str) -> None:
    assert names(query)[0] == first


def test_whole_match_beats_prefix_and_substring() -> None:
    # "东岗街道" is a whole-name match; "东岗西路街道" only contains the word
    assert names("东岗街道")[:1] == ["东岗街道"]
    assert names("donggang")[0] in ("东岗街道", "东岗镇村")


def test_parent_words_narrow_but_never_match_alone() -> None:
    found = places.search("城关 东岗", limit=50)
    assert found and all("城关区" in p.parents for p in found)
    # a parent-only match is not a result: "城关区" words alone name the district itself
    assert all(p.name == "城关区" or "城关" in p.name for p in places.search("城关区"))


@pytest.mark.parametrize("query", ["", "   ", "zzzzqqq", "<img src=x>", "不存在的地名"])
def test_blank_or_unknown_query_finds_nothing(query: str) -> None:
    assert places.search(query) == []


@pytest.mark.parametrize(("query", "limit", "param"), [
    ("x" * (places.MAX_QUERY + 1), 10, "q"), ("lz", 0, "limit"), ("lz", 51, "limit"),
    ("lz", True, "limit"), ("lz", 2.5, "limit"), (None, 10, "q"),
])
def test_bad_arguments_name_the_parameter(query: Any, limit: Any, param: str) -> None:
    with pytest.raises(QueryError) as err:
        places.search(query, limit=limit)
    assert err.value.param == param


def test_limit_is_respected() -> None:
    assert len(places.search("c", limit=3)) == 3


def test_subdistricts_are_marked_approximate_at_their_district_label_point() -> None:
    (street,) = [p for p in places.all_places() if p.name == "盐场路街道"]
    (district,) = [p for p in places.all_places() if p.name == "城关区"
                   and p.level == "district"]
    assert street.approximate and not district.approximate
    assert (street.lon, street.lat, street.precision_m) == (
        district.lon, district.lat, district.precision_m)
    assert street.parents == ("城关区",) and street.district_code == "620102"


def test_district_label_points_lie_inside_their_polygons() -> None:
    import json
    with (places.GEODATA / "boundaries.geojson").open(encoding="utf-8") as fh:
        polygons = {f["properties"]["code"]: shape(f["geometry"])
                    for f in json.load(fh)["features"]}
    districts = [p for p in places.all_places() if p.level == "district"]
    assert len(districts) == 8
    for p in districts:
        assert polygons[p.district_code].contains(Point(p.lon, p.lat)), p.name
        assert 5_000 < p.precision_m < 60_000  # radius of the district's area


def test_landmarks_keep_their_own_point_and_precision() -> None:
    (square,) = [p for p in places.all_places() if p.name == "东方红广场"]
    assert (square.lon, square.lat, square.precision_m) == (103.84055, 36.05282, 300.0)
    assert not square.approximate and square.level == "landmark"


def test_as_dict_is_json_ready() -> None:
    d = places.search("yclj")[0].as_dict()
    assert d["name"] == "盐场路街道" and d["approximate"] is True
    assert d["parents"] == ["城关区"] and isinstance(d["precision_m"], int)
