"""Nearest index: hand-computable cases, and property tests against brute force."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest
from geographiclib.geodesic import Geodesic
from hypothesis import given, settings
from hypothesis import strategies as st

from locator.geo.geodesic import geodesic_m
from locator.model import Amenity, Entry, Kind, Station
from locator.stations import hours
from locator.stations.nearest import NearestIndex
from locator.stations.query import Filters
from locator.stations.travel import TravelModel

WGS = Geodesic.WGS84
KINDS = list(Kind)
AMENITIES = list(Amenity)
HOURS = [None, "24/7", "Mo-Fr 09:00-17:00", "Mo-Su 18:00-06:00", "Sa,Su 10:00-16:00"]


def station(i: int, lon: float | None, lat: float | None, **kw: object) -> Station:
    return Station(id=f"s{i}", name=f"站{i}", kind=kw.pop("kind", Kind.BOX_STATION),  # type: ignore[arg-type]
                   lon=lon, lat=lat, **kw)  # type: ignore[arg-type]


def test_lattice_on_the_equator_by_hand() -> None:
    # Stations every 0.01° of longitude on the equator; from 0.0 the nearest are 0.00, ±0.01...
    stations = [station(i, i * 0.01, 0.0) for i in range(-5, 6)]
    index = NearestIndex(stations)
    hits = index.query(0.0001, 0.0, k=3)
    assert [h.station.id for h in hits] == ["s0", "s1", "s-1"]
    # 0.0001° of equator = 11.13 m on WGS-84 (a = 6378137 m: 2πa/360 × 1e-4)
    assert hits[0].distance_m == pytest.approx(2 * np.pi * 6378137 / 360 * 1e-4, rel=1e-6)


def test_distances_agree_with_geographiclib_within_a_millimetre() -> None:
    stations = [station(0, 103.84055, 36.05282), station(1, 103.75306, 36.06694),
                station(2, 103.62, 36.515)]
    hits = NearestIndex(stations).query(103.83, 36.06, k=3)
    for h in hits:
        assert h.station.lon is not None and h.station.lat is not None
        ref = WGS.Inverse(36.06, 103.83, h.station.lat, h.station.lon)["s12"]
        assert abs(h.distance_m - ref) < 1e-3
    assert [h.distance_m for h in hits] == sorted(h.distance_m for h in hits)


def test_travel_minutes_use_the_detour_factor() -> None:
    model = TravelModel(detour_factor=1.5, walk_kmh=4.5, ebike_kmh=15.0)
    # 1,000 m × 1.5 = 1,500 m; at 75 m/min walking = 20 min; at 250 m/min e-bike = 6 min
    assert model.walk_minutes(1000.0) == pytest.approx(20.0)
    assert model.ebike_minutes(1000.0) == pytest.approx(6.0)


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf")])
def test_travel_model_rejects_bad_speeds(bad: float) -> None:
    with pytest.raises(ValueError, match="walk_kmh"):
        TravelModel(walk_kmh=bad)


def test_unlocated_stations_are_not_ranked() -> None:
    index = NearestIndex([station(0, None, None), station(1, 103.8, 36.0)])
    assert len(index) == 1
    assert [h.station.id for h in index.query(103.8, 36.0, k=5)] == ["s1"]


def test_empty_index_and_bad_k() -> None:
    assert NearestIndex([]).query(103.8, 36.0, k=3) == []
    with pytest.raises(ValueError, match="k must be at least 1"):
        NearestIndex([station(0, 1.0, 1.0)]).query(0.0, 0.0, k=0)


def test_max_distance_is_in_metres() -> None:
    # 0.01° of latitude ≈ 1,109 m near 36°N; 0.02° ≈ 2,218 m.
    index = NearestIndex([station(0, 103.8, 36.01), station(1, 103.8, 36.02)])
    assert [h.station.id for h in index.query(103.8, 36.0, k=5, max_distance=1500)] == ["s0"]
    assert index.query(103.8, 36.0, k=5, max_distance=1000) == []


def test_filtered_query_still_returns_k_when_k_exist() -> None:
    # 500 box stations close by, 3 drivers' homes far away: asking for drivers' homes gives 3.
    rng = np.random.default_rng(0)
    near = [station(i, 103.8 + rng.normal() * 0.01, 36.0 + rng.normal() * 0.01)
            for i in range(500)]
    far = [station(1000 + i, 104.5 + i * 0.1, 37.0, kind=Kind.DRIVERS_HOME) for i in range(3)]
    hits = NearestIndex(near + far).query(103.8, 36.0, k=3,
                                          filters=Filters(kinds=frozenset({Kind.DRIVERS_HOME})))
    assert [h.station.id for h in hits] == ["s1000", "s1001", "s1002"]


def test_open_at_treats_missing_hours_as_not_open() -> None:
    index = NearestIndex([station(0, 103.8, 36.0, opening_hours=None),
                          station(1, 103.9, 36.0, opening_hours="Mo-Su 18:00-06:00")])
    night = datetime(2026, 11, 30, 2, 0)
    hits = index.query(103.8, 36.0, k=2, filters=Filters(open_at=night))
    assert [h.station.id for h in hits] == ["s1"]


def brute_force(stations: list[Station], lon: float, lat: float, k: int,
                filters: Filters) -> list[float]:
    index = NearestIndex(stations)  # only for its mask: the ranking below is independent
    mask = index.mask(filters)
    d = geodesic_m(lon, lat, index.lon, index.lat)[mask]
    return sorted(d.tolist())[:k]


ENTRIES: list[Entry | None] = [None, *Entry]

station_strategy = st.builds(
    lambda lon, lat, kind, amenities, hrs, entry: (lon, lat, kind, amenities, hrs, entry),
    st.floats(103.5, 104.2), st.floats(35.9, 36.2), st.sampled_from(KINDS),
    st.frozensets(st.sampled_from(AMENITIES), max_size=4), st.sampled_from(HOURS),
    st.sampled_from(ENTRIES))


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(station_strategy, min_size=1, max_size=80),
       qlon=st.floats(103.4, 104.3), qlat=st.floats(35.8, 36.3), k=st.integers(1, 12),
       kinds=st.frozensets(st.sampled_from(KINDS), max_size=3),
       amenities=st.frozensets(st.sampled_from(AMENITIES), max_size=2),
       open_hour=st.none() | st.integers(0, 23), only_24h=st.booleans(),
       entries=st.frozensets(st.sampled_from(list(Entry)), max_size=2))
def test_matches_brute_force(rows: list[tuple[float, float, Kind, frozenset[Amenity], str | None,
                                              Entry | None]],
                             qlon: float, qlat: float, k: int, kinds: frozenset[Kind],
                             amenities: frozenset[Amenity], open_hour: int | None,
                             only_24h: bool, entries: frozenset[Entry]) -> None:
    stations = [Station(id=str(i), name="x", kind=kd, lon=lo, lat=la, amenities=am,
                        opening_hours=hr, entry=en)
                for i, (lo, la, kd, am, hr, en) in enumerate(rows)]
    open_at = None if open_hour is None else datetime(2026, 11, 30, open_hour, 30)
    filters = Filters(kinds, amenities, open_at, only_24h, entries)
    index = NearestIndex(stations)
    hits = index.query(qlon, qlat, k=k, filters=filters)
    expected = brute_force(stations, qlon, qlat, k, filters)
    assert [h.distance_m for h in hits] == pytest.approx(expected, abs=1e-6)
    for h in hits:  # every hit satisfies the filters
        s = h.station
        assert not kinds or s.kind in kinds
        assert amenities <= s.amenities
        assert not only_24h or s.opening_hours == "24/7"
        assert not entries or s.entry in entries
    # the vectorised mask is the per-station rule, station by station
    by_hand = [filters.accepts(s) and (open_at is None or hours.state(s.opening_hours, open_at)
                                       is hours.OpenState.OPEN) for s in index.stations]
    assert index.mask(filters).tolist() == by_hand


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 3000), seed=st.integers(0, 2**31), k=st.integers(1, 50))
def test_large_uniform_sets_match_brute_force(n: int, seed: int, k: int) -> None:
    rng = np.random.default_rng(seed)
    lon, lat = rng.uniform(73, 135, n), rng.uniform(18, 53, n)
    stations = [station(i, float(lon[i]), float(lat[i])) for i in range(n)]
    q = (float(rng.uniform(73, 135)), float(rng.uniform(18, 53)))
    hits = NearestIndex(stations).query(*q, k=k)
    expected = np.sort(geodesic_m(q[0], q[1], lon, lat))[:k]
    assert [h.distance_m for h in hits] == pytest.approx(expected.tolist(), abs=1e-6)


def test_nearest_distance_vectorised_matches_query() -> None:
    rng = np.random.default_rng(3)
    stations = [station(i, float(x), float(y)) for i, (x, y) in
                enumerate(zip(rng.uniform(103.6, 104, 200), rng.uniform(35.95, 36.15, 200),
                              strict=True))]
    index = NearestIndex(stations)
    qx, qy = rng.uniform(103.6, 104, 50), rng.uniform(35.95, 36.15, 50)
    _, metres = index.nearest_distance(qx, qy)
    for j in range(50):
        best = index.query(float(qx[j]), float(qy[j]), k=1)[0]
        assert metres[j] == pytest.approx(best.distance_m, rel=1e-9)


def test_nearest_distance_with_filters_and_no_match() -> None:
    index = NearestIndex([station(0, 103.80, 36.0), station(1, 103.90, 36.0, kind=Kind.GIG_MARKET,
                                                           opening_hours="24/7")])
    idx, metres = index.nearest_distance([103.81, 103.89], [36.0, 36.0],
                                         filters=Filters(kinds=frozenset({Kind.GIG_MARKET})))
    assert idx.tolist() == [1, 1]
    night = Filters(open_at=datetime(2026, 11, 30, 3, 0))
    assert index.nearest_distance([103.81], [36.0], filters=night)[0].tolist() == [1]
    none = Filters(kinds=frozenset({Kind.LABOR_PARK}))
    idx, metres = index.nearest_distance([103.81], [36.0], filters=none)
    assert idx.tolist() == [-1] and metres.tolist() == [float("inf")]


def test_around_keeps_the_nearest_by_hand() -> None:
    # on the equator at 0.00, 0.01 … 0.05° east; the 3 nearest to 0.021° are 0.01, 0.02, 0.03
    index = NearestIndex([station(i, i * 0.01, 0.0) for i in range(6)])
    assert index.around(0.021, 0.0, 3).tolist() == [1, 2, 3]
    assert index.around(0.021, 0.0, 10).tolist() == [0, 1, 2, 3, 4, 5]  # all, fewer than 10
    assert index.around(0.021, 0.0, 2, among=np.array([0, 4, 5])).tolist() == [0, 4]
    assert index.around(0.021, 0.0, 0).tolist() == []
    with pytest.raises(ValueError, match="-1"):
        index.around(0.0, 0.0, -1)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 400), seed=st.integers(0, 2**31), limit=st.integers(0, 60))
def test_around_matches_brute_force(n: int, seed: int, limit: int) -> None:
    rng = np.random.default_rng(seed)
    lon, lat = rng.uniform(73, 135, n), rng.uniform(18, 53, n)
    index = NearestIndex([station(i, x, y)
                          for i, (x, y) in enumerate(zip(lon, lat, strict=True))])
    among = np.flatnonzero(rng.random(n) < 0.7)
    got = index.around(104.0, 36.0, limit, among=among)
    metres = geodesic_m(104.0, 36.0, lon[among], lat[among])
    assert len(got) == min(limit, among.size) and set(got) <= set(among.tolist())
    if 0 < limit < among.size:
        # every kept station is nearer than every dropped one (sphere vs ellipsoid: 0.7 %)
        kept = np.isin(among, got)
        assert metres[kept].max() <= metres[~kept].min() * 1.007


def test_filters_accept_by_hand() -> None:
    s = station(1, 103.8, 36.0, kind=Kind.GIG_MARKET, opening_hours="24/7",
                amenities=frozenset({Amenity.WATER, Amenity.TOILET}))
    assert Filters().accepts(s)
    assert Filters(kinds=frozenset({Kind.GIG_MARKET, Kind.BOX_STATION})).accepts(s)
    assert not Filters(kinds=frozenset({Kind.BOX_STATION})).accepts(s)
    assert Filters(amenities=frozenset({Amenity.WATER})).accepts(s)
    assert not Filters(amenities=frozenset({Amenity.WATER, Amenity.WIFI})).accepts(s)
    assert Filters(only_24h=True).accepts(s)
    assert not Filters(only_24h=True).accepts(station(2, 103.8, 36.0))  # no hours
