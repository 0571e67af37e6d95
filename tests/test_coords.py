"""Pasted coordinates: either order, decimal or 度分秒, hemisphere words, datum, precision."""

from __future__ import annotations

import pytest

from locator.areas.coords import parse_coordinates
from locator.geo.datum import Datum, bd09_to_wgs84, gcj02_to_wgs84

DMS_LAT = 36 + 3 / 60 + 27 / 3600
DMS_LON = 103 + 49 / 60 + 22 / 3600


@pytest.mark.parametrize(("text", "lat", "lon"), [
    ("36.0575, 103.8227", 36.0575, 103.8227),
    ("36.0575,103.8227", 36.0575, 103.8227),
    ("103.8227,36.0575", 36.0575, 103.8227),  # Amap/Baidu copy longitude first
    ("103.8227 36.0575", 36.0575, 103.8227),
    ("36.0575，103.8227", 36.0575, 103.8227),  # full-width comma from a phone keyboard
    ("３６.０５７５，１０３.８２２７", 36.0575, 103.8227),  # full-width digits
    ("36.0575N 103.8227E", 36.0575, 103.8227),
    ("103.8227E, 36.0575N", 36.0575, 103.8227),
    ("36°03′27″N 103°49′22″E", DMS_LAT, DMS_LON),
    ("36°03'27\"N, 103°49'22\"E", DMS_LAT, DMS_LON),
    ("N36°03′27″ E103°49′22″", DMS_LAT, DMS_LON),
    ("北纬36度3分27秒 东经103度49分22秒", DMS_LAT, DMS_LON),
    ("东经103°49′22″，北纬36°03′27″", DMS_LAT, DMS_LON),
    ("36°03.45′N 103°49.3667′E", 36 + 3.45 / 60, 103 + 49.3667 / 60),
    ("-33.8688, 151.2093", -33.8688, 151.2093),
    ("33.8688S 151.2093E", -33.8688, 151.2093),
])
def test_reads_every_common_form(text: str, lat: float, lon: float) -> None:
    found = parse_coordinates(text)
    assert found is not None, text
    assert (found.lat, found.lon) == pytest.approx((lat, lon), abs=1e-9)
    assert found.datum is Datum.WGS84


@pytest.mark.parametrize("text", [
    "", "盐场路", "36.06", "36.06, 103.83, 12", "abc, def", "91.5, 200.1", "36°75′N 103°E",
    "N36 N103", "36.06N 103.83N", "张掖路 36", "1号楼 2单元",
])
def test_anything_else_is_not_a_coordinate(text: str) -> None:
    assert parse_coordinates(text) is None


def test_both_numbers_under_90_keep_iso_order_unless_only_the_other_is_in_lanzhou() -> None:
    found = parse_coordinates("45.0, 60.0")
    assert found is not None and (found.lat, found.lon) == (45.0, 60.0)


@pytest.mark.parametrize(("datum", "inverse"), [("gcj02", gcj02_to_wgs84),
                                                ("bd09", bd09_to_wgs84)])
def test_a_chinese_map_datum_is_converted(datum: str, inverse: object) -> None:
    found = parse_coordinates("103.834303,36.061089", datum=datum)
    assert found is not None and found.datum.value == datum
    want = inverse(103.834303, 36.061089)  # type: ignore[operator]
    assert (found.lon, found.lat) == pytest.approx(want, abs=1e-9)


@pytest.mark.parametrize(("text", "low", "high"), [
    ("36.057520, 103.822690", 0, 1),  # 6 decimals: ~0.06 m
    ("36.0575, 103.8227", 4, 6),  # 4 decimals: ~5.6 m
    ("36.06, 103.83", 500, 600),  # 2 decimals: ~560 m
    ("36°03′27″N 103°49′22″E", 10, 20),  # whole seconds: ~15 m
    ("36°03′N 103°49′E", 800, 1000),  # whole minutes: ~930 m
])
def test_precision_follows_the_last_digit(text: str, low: float, high: float) -> None:
    found = parse_coordinates(text)
    assert found is not None and low <= found.precision_m <= high
