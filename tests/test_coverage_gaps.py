"""Gap polygons: holes around stations, separate gaps ranked by their equal-area size."""

from __future__ import annotations

import math

import numpy as np
import pytest
from h3.api import numpy_int as h3n

from locator.areas.units import load_boundaries
from locator.geo.geodesic import equal_area_m2
from locator.planning import coverage, gaps
from locator.stations.nearest import NearestIndex
from tests.test_coverage import LAT0, LON0, M_PER_DEG_LON, square, station


def test_a_station_in_the_middle_leaves_one_ring_shaped_gap() -> None:
    grid = coverage.build_grid(square(2000), 10)
    cov = coverage.compute(grid, coverage.straight_line(NearestIndex([station(0, LON0, LAT0)])),
                           radius_m=1000)
    found = gaps.find_gaps(cov)
    assert len(found) == 1
    gap = found[0]
    assert len(gap.geometry.interiors) == 1  # the covered disc is a hole
    assert gap.area_m2 == pytest.approx(16e6 - math.pi * 1e6, rel=0.02)
    assert gap.area_m2 == pytest.approx(float(grid.area_m2[~cov.covered].sum()), rel=0.01)
    assert gap.cells == int((~cov.covered).sum())
    assert gap.worst_m == pytest.approx(cov.distance_m.max())


def test_separate_gaps_are_ranked_largest_first() -> None:
    grid = coverage.build_grid(square(2000), 10)
    at = LON0 - 800 / M_PER_DEG_LON  # a band of stations 800 m west of the middle
    band = [station(i, at, LAT0 + d / 110_950) for i, d in enumerate(range(-2200, 2300, 400))]
    cov = coverage.compute(grid, coverage.straight_line(NearestIndex(band)), radius_m=500)
    found = gaps.find_gaps(cov)
    assert [g.rank for g in found] == [1, 2]
    big, small = found
    assert big.lon > LON0 > small.lon  # the eastern remainder is larger
    assert big.area_m2 == pytest.approx(4000 * (2000 + 800 - 500), rel=0.05)
    assert small.area_m2 == pytest.approx(4000 * (2000 - 800 - 500), rel=0.08)
    assert gaps.find_gaps(cov, min_area_m2=5e6) == [found[0]]
    assert gaps.find_gaps(cov, limit=1)[0] == found[0]


def test_full_coverage_has_no_gap() -> None:
    grid = coverage.build_grid(square(500), 9)
    cov = coverage.compute(grid, coverage.straight_line(NearestIndex([station(0, LON0, LAT0)])),
                           radius_m=2000)
    assert gaps.find_gaps(cov) == []


def test_equal_area_of_a_known_box() -> None:
    assert equal_area_m2(square(1000)) == pytest.approx(4e6, rel=0.003)


def test_edge_pairs_are_exactly_the_h3_neighbours() -> None:
    grid = coverage.grid_for(load_boundaries().district("620102"), 9)
    pairs = grid.adjacent
    cells = grid.cells.tolist()
    assert all(h3n.are_neighbor_cells(cells[a], cells[b]) for a, b in pairs.tolist())
    inside = set(cells)
    expected = sum(1 for c in cells for n in h3n.grid_ring(c, 1).tolist() if n in inside) // 2
    assert len(pairs) == expected


def test_gaps_with_people_rank_by_people_and_stay_within_the_mask() -> None:
    grid = coverage.build_grid(square(2000), 10)
    at = LON0 - 800 / M_PER_DEG_LON
    band = [station(i, at, LAT0 + d / 110_950) for i, d in enumerate(range(-2200, 2300, 400))]
    cov = coverage.compute(grid, coverage.straight_line(NearestIndex(band)), radius_m=500)
    people = np.where(grid.lon < at, 10.0, 0.0)  # people only west of the band
    found = gaps.find_gaps(cov, people=people, within=people > 0)
    assert len(found) == 1 and found[0].lon < LON0  # the small western gap, now the only one
    assert found[0].people == pytest.approx(float(people[~cov.covered].sum()))
