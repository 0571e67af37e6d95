"""Coverage engine: hand-computable grids, lattices of stations, tables that add up."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from shapely.geometry import box

from locator.areas.units import AdminUnit, Boundaries, load_boundaries
from locator.geo.geodesic import geodesic_m
from locator.model import Kind, Station
from locator.planning import coverage, per_unit
from locator.planning.plan import coverage_summary
from locator.stations.nearest import NearestIndex
from locator.stations.query import Filters
from locator.stations.travel import TravelModel

LON0, LAT0 = 103.80, 36.05
M_PER_DEG_LAT = 110_950.0  # near 36° N
M_PER_DEG_LON = 90_090.0


def square(half_m: float, dx_m: float = 0.0) -> Any:
    """A lon/lat box of side 2·half_m metres centred dx_m east of (LON0, LAT0)."""
    cx = LON0 + dx_m / M_PER_DEG_LON
    hx, hy = half_m / M_PER_DEG_LON, half_m / M_PER_DEG_LAT
    return box(cx - hx, LAT0 - hy, cx + hx, LAT0 + hy)


def station(i: int, lon: float, lat: float, kind: Kind = Kind.SMART_STATION,
            synthetic: bool = False) -> Station:
    return Station(f"s{i}", f"站{i}", kind, lon, lat, synthetic=synthetic)


def lattice(spacing_m: float, n: int) -> list[Station]:
    """n×n stations spacing_m apart, centred on (LON0, LAT0)."""
    offs = (np.arange(n) - (n - 1) / 2) * spacing_m
    return [station(i * n + j, LON0 + x / M_PER_DEG_LON, LAT0 + y / M_PER_DEG_LAT)
            for i, x in enumerate(offs) for j, y in enumerate(offs)]


def test_grid_area_is_the_polygon_area_in_square_metres() -> None:
    grid = coverage.build_grid(square(2000), 10)
    assert grid.area_m2.sum() == pytest.approx(16e6, rel=0.02)
    assert np.all(np.diff(grid.cells.astype(np.float64)) > 0)  # sorted, unique
    assert coverage.build_grid(square(2000), 10) is grid  # cached


def test_one_station_covers_a_disc() -> None:
    """π r² / A of a 4 km square with a 1 km radius is π/16."""
    grid = coverage.build_grid(square(2000), 10)
    idx = NearestIndex([station(0, LON0, LAT0)])
    cov = coverage.compute(grid, coverage.straight_line(idx), radius_m=1000)
    assert cov.share() == pytest.approx(math.pi / 16, abs=0.01)
    # the farthest cell centre is near a corner: 2000·√2 m minus at most a cell
    assert cov.distance_m.max() == pytest.approx(2000 * math.sqrt(2), abs=120)


@pytest.mark.parametrize(("spacing", "radius", "share"), [
    (1000.0, 710.0, 1.0),   # every point is within s/√2 = 707 m of a lattice node
    (1000.0, 500.0, math.pi / 4),  # discs of r = s/2 touching: π/4 of each lattice square
])
def test_lattice_of_stations(spacing: float, radius: float, share: float) -> None:
    grid = coverage.build_grid(square(2000), 10)
    idx = NearestIndex(lattice(spacing, 4))  # nodes at ±500, ±1500 m: cells of 1 km
    cov = coverage.compute(grid, coverage.straight_line(idx), radius_m=radius)
    assert cov.share() == pytest.approx(share, abs=0.015)
    assert cov.distance_m.max() <= spacing / math.sqrt(2) + 5


def test_distances_are_geodesic_to_the_brute_force_nearest() -> None:
    grid = coverage.build_grid(square(3000), 9)
    stations = lattice(1300, 3)
    cov = coverage.compute(grid, coverage.straight_line(NearestIndex(stations)), radius_m=800)
    lon = np.array([s.lon for s in stations])
    lat = np.array([s.lat for s in stations])
    brute = geodesic_m(grid.lon[:, None], grid.lat[:, None], lon[None, :], lat[None, :])
    np.testing.assert_allclose(cov.distance_m, brute.min(axis=1), rtol=0.008)
    np.testing.assert_array_equal(cov.covered, cov.distance_m <= 800)


def test_the_nearest_function_is_pluggable() -> None:
    grid = coverage.build_grid(square(1000), 9)

    def network(lon: NDArray[np.float64], lat: NDArray[np.float64]
                ) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        return np.zeros(lon.shape, np.intp), np.where(lon < LON0, 100.0, 5000.0)

    cov = coverage.compute(grid, network, radius_m=1000)
    assert cov.covered.tolist() == (grid.lon < LON0).tolist()


def test_filters_select_the_stations_counted() -> None:
    grid = coverage.build_grid(square(1000), 10)
    idx = NearestIndex([station(0, LON0, LAT0, Kind.BOX_STATION)])
    only_smart = Filters(kinds=frozenset({Kind.SMART_STATION}))
    cov = coverage.compute(grid, coverage.straight_line(idx, only_smart), radius_m=5000)
    assert cov.share() == 0.0 and np.all(np.isinf(cov.distance_m))


def test_minutes_become_metres_through_the_travel_model() -> None:
    # 15 min walking at 4.5 km/h is 1125 m of route; ÷ detour 1.3 is the straight line
    assert coverage.threshold_metres(minutes=15) == pytest.approx(1125 / 1.3)
    assert coverage.threshold_metres(minutes=15, mode="ebike",
                                     travel=TravelModel(detour_factor=1.0)) == 3750
    assert coverage.threshold_metres(radius_m=500) == 500


@pytest.mark.parametrize("kwargs", [
    {}, {"radius_m": 1, "minutes": 1}, {"radius_m": 0}, {"radius_m": -5},
    {"radius_m": math.nan}, {"minutes": math.inf}, {"radius_m": True},
    {"minutes": 5, "mode": "car"},
])
def test_bad_targets_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="got"):
        coverage.threshold_metres(**kwargs)


@pytest.mark.parametrize("resolution", [-1, 13, 9.0, True, "9"])
def test_bad_resolutions_are_refused(resolution: Any) -> None:
    with pytest.raises(ValueError, match="resolution"):
        coverage.build_grid(square(500), resolution)


def test_distance_classes() -> None:
    d = np.array([0, 500, 500.1, 1000, 1999, 2000, 4999, 5000.5, np.inf])
    assert coverage.distance_class(d).tolist() == [0, 0, 1, 1, 2, 2, 3, 4, 4]


def halves() -> Boundaries:
    west, east = square(1000, -1000), square(1000, 1000)
    area = AdminUnit("A", "甲区", "city", west.union(east))
    return Boundaries(area, (AdminUnit("W", "西", "district", west),
                             AdminUnit("E", "东", "district", east)))


def test_unit_tables_add_up_to_the_total() -> None:
    bounds = halves()
    stations = [station(0, LON0 - 1000 / M_PER_DEG_LON, LAT0),
                station(1, LON0 - 1000 / M_PER_DEG_LON, LAT0),  # same place
                station(2, LON0 + 5, LAT0)]  # far away: in no unit
    grid = coverage.grid_for(bounds, 10)
    cov = coverage.compute(grid, coverage.straight_line(NearestIndex(stations)), radius_m=600)
    rows = per_unit.unit_table(cov, bounds.units, stations, total=bounds.area)
    west, east, total = rows
    assert [west.code, east.code, total.code] == ["W", "E", "A"]
    assert west.cells + east.cells == total.cells == len(grid)
    assert west.area_km2 + east.area_km2 == pytest.approx(total.area_km2)
    assert west.covered_km2 + east.covered_km2 == pytest.approx(total.covered_km2)
    assert (west.stations, east.stations, total.stations) == (2, 0, 2)
    assert west.area_km2 == pytest.approx(4.0, rel=0.03)
    assert west.covered_share == pytest.approx(math.pi * 0.36 / 4, abs=0.02)
    assert east.covered_km2 == pytest.approx(0.0, abs=0.02)  # the disc barely crosses
    assert total.worst_gap_m == max(west.worst_gap_m or 0, east.worst_gap_m or 0)
    assert west.stations_per_km2 == pytest.approx(2 / west.area_km2)


def test_units_reimported_under_the_same_codes_get_their_new_cells() -> None:
    # a planner fixes a polygon and imports it again: same code, new shape, new cells
    grid = coverage.grid_for(halves(), 10)
    small = AdminUnit("W", "西", "subdistrict", square(400, -1000))
    large = AdminUnit("W", "西", "subdistrict", square(900, -1000))
    cells_small = int((coverage.assign_units(grid, [small]) == 0).sum())
    cells_large = int((coverage.assign_units(grid, [large]) == 0).sum())
    assert cells_large > 4 * cells_small > 0  # (900/400)² ≈ 5 times the area


def test_people_weights_are_reported_beside_area() -> None:
    bounds = halves()
    grid = coverage.grid_for(bounds, 9)
    cov = coverage.compute(grid, coverage.straight_line(NearestIndex([])), radius_m=600)
    people = np.ones(len(grid))
    rows = per_unit.unit_table(cov, bounds.units, [], people=people, total=bounds.area)
    assert rows[-1].people == len(grid) and rows[-1].people_covered == 0
    assert rows[-1].worst_gap_m is None  # no station at all: no finite gap


def test_summary_of_a_district_is_json_ready() -> None:
    idx = NearestIndex([station(0, 103.8343, 36.0611, synthetic=True)])
    s = coverage_summary(idx, load_boundaries(), radius_m=1000, resolution=8,
                         district="620102")
    assert s["area"]["code"] == "620102" and s["basis"] == "area"
    assert s["stations"] == 1 and s["synthetic_stations"] == 1
    assert 0 < s["covered_share"] < 0.02
    assert s["units"] == [] and s["cells"] > 0  # no subdistrict polygons ship
    import json
    json.dumps(s, allow_nan=False)
