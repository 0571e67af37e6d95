"""Datum conversions: published reference values, Lanzhou offsets, round trips."""

from __future__ import annotations

import numpy as np
import pytest
from geographiclib.geodesic import Geodesic
from hypothesis import given, settings
from hypothesis import strategies as st

from locator.errors import DatumError
from locator.geo import datum
from locator.geo.datum import Datum

WGS = Geodesic.WGS84


def metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    return float(WGS.Inverse(lat1, lon1, lat2, lon2)["s12"])


# Published values of the reference implementation (wandergis/coordtransform README,
# 116.404, 39.915 in Beijing): the forward transforms are closed forms and must match.
@pytest.mark.parametrize(("fn", "expected"), [
    (datum.wgs84_to_gcj02, (116.41024449916938, 39.91640428150164)),
    (datum.gcj02_to_bd09, (116.41036949371029, 39.92133699351021)),
])
def test_published_reference_values(fn: object, expected: tuple[float, float]) -> None:
    lon, lat = fn(116.404, 39.915)  # type: ignore[operator]
    assert lon == pytest.approx(expected[0], abs=1e-9)
    assert lat == pytest.approx(expected[1], abs=1e-9)


def test_bd09_inverse_is_within_centimetres_of_the_published_approximation() -> None:
    # The reference library inverts BD-09 with a one-step approximation; ours iterates,
    # so the two may differ, but only by centimetres.
    lon, lat = datum.bd09_to_gcj02(116.404, 39.915)
    assert metres(lon, lat, 116.39762729119315, 39.90865673957631) < 0.1


def test_lanzhou_offsets_match_the_measured_shift() -> None:
    # Scouted data README: at Lanzhou GCJ-02 lies ~215 m east, ~37 m south of WGS-84,
    # and BD-09 a further ~577 m east and several hundred metres north.
    lon, lat = 103.84055, 36.05282
    glon, glat = datum.wgs84_to_gcj02(lon, lat)
    east = metres(lon, lat, glon, lat)
    south = metres(lon, lat, lon, glat)
    assert glon > lon and glat < lat
    assert 190 < east < 240 and 20 < south < 55
    blon, blat = datum.gcj02_to_bd09(glon, glat)
    assert 540 < metres(glon, glat, blon, glat) < 620
    assert 600 < metres(glon, glat, glon, blat) < 720  # 644 m computed; the README rounds


def test_outside_china_is_unchanged() -> None:
    assert datum.wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    assert datum.gcj02_to_wgs84(-74.0, 40.7) == (-74.0, 40.7)


def test_arrays_in_arrays_out_and_scalars_give_floats() -> None:
    lon = np.array([103.8, 103.9])
    lat = np.array([36.0, 36.1])
    x, y = datum.wgs84_to_gcj02(lon, lat)
    assert x.shape == (2,) and y.shape == (2,)
    sx, sy = datum.wgs84_to_gcj02(103.8, 36.0)
    assert isinstance(sx, float) and sx == x[0] and sy == y[0]


def test_shape_mismatch_is_an_error() -> None:
    with pytest.raises(DatumError, match="differ in shape"):
        datum.wgs84_to_gcj02([1.0, 2.0], [1.0])


@pytest.mark.parametrize(("text", "expected"), [
    ("wgs84", Datum.WGS84), ("WGS-84", Datum.WGS84), ("EPSG:4326", Datum.WGS84),
    ("gcj02", Datum.GCJ02), ("GCJ-02", Datum.GCJ02), ("bd09", Datum.BD09),
    ("BD-09", Datum.BD09), ("bd09ll", Datum.BD09),
])
def test_datum_names(text: str, expected: Datum) -> None:
    assert Datum.parse(text) is expected


@pytest.mark.parametrize("text", ["", "mars", "bd09mc", "epsg:3857"])
def test_unknown_datum_names_the_value(text: str) -> None:
    with pytest.raises(DatumError, match=repr(text).replace("(", r"\(")):
        Datum.parse(text)


china_lon = st.floats(min_value=73.5, max_value=135.0)
china_lat = st.floats(min_value=3.9, max_value=53.5)
pairs = [(Datum.WGS84, Datum.GCJ02), (Datum.WGS84, Datum.BD09), (Datum.GCJ02, Datum.BD09)]


@settings(max_examples=300, deadline=None)
@given(lon=china_lon, lat=china_lat)
def test_round_trips_within_half_a_metre_anywhere_in_china(lon: float, lat: float) -> None:
    for a, b in pairs:
        x, y = datum.convert(lon, lat, src=a, dst=b)
        bx, by = datum.convert(x, y, src=b, dst=a)
        assert metres(lon, lat, float(bx), float(by)) < 0.5
        assert metres(lon, lat, float(bx), float(by)) < 0.01  # in fact far better


@settings(max_examples=50, deadline=None)
@given(lons=st.lists(china_lon, min_size=1, max_size=20), data=st.data())
def test_vectorised_equals_pointwise(lons: list[float], data: st.DataObject) -> None:
    lats = data.draw(st.lists(china_lat, min_size=len(lons), max_size=len(lons)))
    x, y = datum.convert(lons, lats, src="wgs84", dst="bd09")
    for i, (lo, la) in enumerate(zip(lons, lats, strict=True)):
        px, py = datum.wgs84_to_bd09(lo, la)
        assert (x[i], y[i]) == (px, py)


def test_convert_same_datum_copies() -> None:
    x, y = datum.convert([1.0], [2.0], src="gcj02", dst="GCJ-02")
    assert list(x) == [1.0] and list(y) == [2.0]
