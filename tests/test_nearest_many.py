"""NearestIndex.query_many: the answers of NearestIndex.query, for many points at once."""

from __future__ import annotations

import re
from datetime import datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from locator.geo.geodesic import GEOD, geodesic_m
from locator.model import Amenity, Kind, Station
from locator.stations.nearest import NearestIndex
from locator.stations.query import Filters

HOURS = [None, "24/7", "Mo-Fr 09:00-17:00", "Mo-Su 18:00-06:00"]
# a few fixed spots, so that drawn stations often share a point (exact ties)
SPOTS = [(103.80, 36.05), (103.81, 36.05), (103.80, 36.06)]


def as_query(index: NearestIndex, lon: np.ndarray, lat: np.ndarray, k: int,
             max_distance: float | None, filters: Filters | None
             ) -> tuple[np.ndarray, np.ndarray]:
    """``query`` point by point, as ``query_many``'s arrays."""
    where = {id(s): i for i, s in enumerate(index.stations)}
    out_i = np.full((lon.size, k), -1, dtype=np.intp)
    out_d = np.full((lon.size, k), np.inf)
    for p, (x, y) in enumerate(zip(lon.tolist(), lat.tolist(), strict=True)):
        for r, hit in enumerate(index.query(x, y, k=k, max_distance=max_distance,
                                            filters=filters)):
            out_i[p, r], out_d[p, r] = where[id(hit.station)], hit.distance_m
    return out_i, out_d


def brute_force(index: NearestIndex, lon: np.ndarray, lat: np.ndarray, k: int,
                max_distance: float | None, filters: Filters | None
                ) -> tuple[np.ndarray, np.ndarray]:
    """Geodesic metres to every station, ties by position (independent of the KD-tree)."""
    ok = index.mask(filters) if filters is not None else np.ones(len(index), dtype=bool)
    out_i = np.full((lon.size, k), -1, dtype=np.intp)
    out_d = np.full((lon.size, k), np.inf)
    for p in range(lon.size):
        d = geodesic_m(lon[p], lat[p], index.lon, index.lat)
        keep = ok & (d <= (np.inf if max_distance is None else max_distance))
        order = [i for i in np.lexsort((np.arange(len(index)), d)) if keep[i]][:k]
        out_i[p, :len(order)], out_d[p, :len(order)] = order, d[order]
    return out_i, out_d


station_strategy = st.tuples(
    st.one_of(st.sampled_from(SPOTS), st.tuples(st.floats(103.6, 104.0), st.floats(35.9, 36.2))),
    st.sampled_from(list(Kind)), st.frozensets(st.sampled_from(list(Amenity)), max_size=3),
    st.sampled_from(HOURS))


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(station_strategy, min_size=1, max_size=60),
       points=st.lists(st.tuples(st.floats(103.5, 104.1), st.floats(35.8, 36.3)), max_size=12),
       k=st.integers(1, 10), max_distance=st.none() | st.floats(100, 30_000),
       kinds=st.frozensets(st.sampled_from(list(Kind)), max_size=3),
       amenities=st.frozensets(st.sampled_from(list(Amenity)), max_size=1),
       open_hour=st.none() | st.integers(0, 23), only_24h=st.booleans())
def test_the_same_answers_as_query_and_brute_force(
        rows: list[tuple[tuple[float, float], Kind, frozenset[Amenity], str | None]],
        points: list[tuple[float, float]], k: int, max_distance: float | None,
        kinds: frozenset[Kind], amenities: frozenset[Amenity], open_hour: int | None,
        only_24h: bool) -> None:
    stations = [Station(id=str(i), name="x", kind=kind, lon=lon, lat=lat, amenities=am,
                        opening_hours=hours)
                for i, ((lon, lat), kind, am, hours) in enumerate(rows)]
    index = NearestIndex(stations)
    lon = np.array([p[0] for p in points], dtype=np.float64)
    lat = np.array([p[1] for p in points], dtype=np.float64)
    open_at = None if open_hour is None else datetime(2026, 11, 30, open_hour, 30)
    filters = Filters(kinds, amenities, open_at, only_24h)
    for wanted in (None, filters):
        got_i, got_d = index.query_many(lon, lat, k=k, max_distance=max_distance,
                                        filters=wanted)
        want_i, want_d = as_query(index, lon, lat, k, max_distance, wanted)
        np.testing.assert_array_equal(got_i, want_i)
        np.testing.assert_array_equal(got_d, want_d)
        brute_i, brute_d = brute_force(index, lon, lat, k, max_distance, wanted)
        np.testing.assert_array_equal(got_i, brute_i)
        np.testing.assert_allclose(got_d, brute_d, rtol=0, atol=1e-6)


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 3000), seed=st.integers(0, 2**31), k=st.integers(1, 30))
def test_china_wide_sets_match_query(n: int, seed: int, k: int) -> None:
    rng = np.random.default_rng(seed)
    stations = [Station(id=str(i), name="x", kind=Kind.BOX_STATION, lon=float(x), lat=float(y))
                for i, (x, y) in enumerate(zip(rng.uniform(73, 135, n), rng.uniform(18, 53, n),
                                               strict=True))]
    index = NearestIndex(stations)
    lon, lat = rng.uniform(73, 135, 50), rng.uniform(18, 53, 50)
    got_i, got_d = index.query_many(lon, lat, k=k)
    want_i, want_d = as_query(index, lon, lat, k, None, None)
    np.testing.assert_array_equal(got_i, want_i)
    np.testing.assert_array_equal(got_d, want_d)


def test_a_ring_of_near_ties_needs_more_rounds_and_still_ranks_by_the_ellipsoid() -> None:
    """200 stations 1,000-1,002 m from the centre: every one is within the sphere/ellipsoid
    slack of the k-th, so the first rounds (k + 2, then 4×) cannot stop; the answer is
    the k geodesically nearest."""
    rng = np.random.default_rng(7)
    azimuth = rng.uniform(0, 360, 200)
    metres = 1000 + rng.uniform(0, 2, 200)
    lon, lat, _ = GEOD.fwd(np.full(200, 103.8), np.full(200, 36.0), azimuth, metres)
    stations = [Station(id=str(i), name="x", kind=Kind.BOX_STATION, lon=float(x), lat=float(y))
                for i, (x, y) in enumerate(zip(lon, lat, strict=True))]
    index = NearestIndex(stations)
    got_i, got_d = index.query_many([103.8], [36.0], k=3)
    np.testing.assert_array_equal(got_i[0], np.argsort(metres)[:3])
    np.testing.assert_allclose(got_d[0], np.sort(metres)[:3], atol=1e-6)
    want_i, _ = as_query(index, np.array([103.8]), np.array([36.0]), 3, None, None)
    np.testing.assert_array_equal(got_i, want_i)


def test_fewer_matches_than_k_leave_minus_one_and_inf() -> None:
    index = NearestIndex([Station(id="a", name="x", kind=Kind.BOX_STATION, lon=103.8, lat=36.0),
                          Station(id="b", name="y", kind=Kind.GIG_MARKET, lon=103.9, lat=36.0),
                          Station(id="c", name="z", kind=Kind.GIG_MARKET, lon=None, lat=None)])
    at, metres = index.query_many([103.8, 103.9], [36.0, 36.0], k=3)
    assert at.tolist() == [[0, 1, -1], [1, 0, -1]]
    assert metres[:, 0].tolist() == [0.0, 0.0] and np.isinf(metres[:, 2]).all()
    at, _ = index.query_many([103.8], [36.0], k=2, filters=Filters(kinds=frozenset({
        Kind.GIG_MARKET})), max_distance=5_000)
    assert at.tolist() == [[-1, -1]]  # the gig market is ~9 km away


def test_empty_inputs_and_bad_arguments() -> None:
    index = NearestIndex([Station(id="a", name="x", kind=Kind.BOX_STATION, lon=1.0, lat=2.0)])
    at, metres = index.query_many([], [], k=2)
    assert at.shape == (0, 2) and metres.shape == (0, 2)
    at, _ = NearestIndex([]).query_many([1.0], [2.0], k=2)
    assert at.tolist() == [[-1, -1]]
    with pytest.raises(ValueError, match="k must be at least 1, got 0"):
        index.query_many([1.0], [2.0], k=0)
    with pytest.raises(ValueError, match="same size, got 2 and 1"):
        index.query_many([1.0, 2.0], [2.0], k=1)


@pytest.mark.parametrize(("lon", "lat", "shown"), [
    (float("nan"), 36.0, "(nan, 36.0)"), (103.8, 91.0, "(103.8, 91.0)"),
    (200.0, 36.0, "(200.0, 36.0)"), (103.8, float("inf"), "(103.8, inf)")])
def test_a_point_that_is_not_lon_lat_is_named(lon: float, lat: float, shown: str) -> None:
    index = NearestIndex([Station(id="a", name="x", kind=Kind.BOX_STATION, lon=1.0, lat=2.0)])
    with pytest.raises(ValueError, match=re.escape(f"point 1 is not WGS-84 lon/lat "
                                                   f"(lon -180..180, lat -90..90), got {shown}")):
        index.query_many([103.8, lon], [36.0, lat], k=1)
