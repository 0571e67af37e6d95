"""Next-site suggestions: the obvious best site, lazy greedy = plain greedy, close to exact."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pulp
import pytest
from numpy.typing import NDArray
from scipy import sparse

from locator.areas import places
from locator.geo.geodesic import geodesic_m
from locator.planning import coverage, siting
from locator.planning.settled import settled_cells
from locator.stations.nearest import NearestIndex
from tests.test_coverage import LAT0, LON0, M_PER_DEG_LAT, M_PER_DEG_LON, square, station


def east(m: float) -> float:
    return LON0 + m / M_PER_DEG_LON


def plain_greedy(cover: sparse.csr_matrix, w: NDArray[np.float64], n: int) -> list[int]:
    dense = cover.toarray()
    left = w.copy()
    chosen: list[int] = []
    for _ in range(n):
        gains = dense @ left
        j = int(np.argmax(gains))  # first index among ties, as the heap does
        if gains[j] <= 0:
            break
        chosen.append(j)
        left[dense[j]] = 0
    return chosen


def exact(cover: sparse.csr_matrix, w: NDArray[np.float64], n: int) -> float:
    """The optimum of the MCLP integer programme, solved by CBC through PuLP."""
    with warnings.catch_warnings():  # PuLP 3.x announces its 4.0 API changes
        warnings.simplefilter("ignore", DeprecationWarning)
        return _exact(cover, w, n)


def _exact(cover: sparse.csr_matrix, w: NDArray[np.float64], n: int) -> float:
    dense = cover.toarray()
    prob = pulp.LpProblem("mclp", pulp.LpMaximize)
    x = [prob.add_variable(f"x{j}", 0, 1, cat="Binary") for j in range(dense.shape[0])]
    y = [prob.add_variable(f"y{i}", 0, 1, cat="Binary") for i in range(dense.shape[1])]
    prob += pulp.lpSum(float(w[i]) * y[i] for i in range(len(y)))
    prob += pulp.lpSum(x) <= n
    for i in range(len(y)):
        prob += y[i] <= pulp.lpSum(x[j] for j in np.flatnonzero(dense[:, i]))
    prob.solve(pulp.PULP_CBC_CMD(msg=False))
    return float(pulp.value(prob.objective) or 0.0)


def brute(cover: sparse.csr_matrix, w: NDArray[np.float64], n: int) -> float:
    dense = cover.toarray()
    return max(float(w[dense[list(c)].any(axis=0)].sum())
               for c in itertools.combinations(range(dense.shape[0]), n))


def test_the_obvious_best_site_is_found() -> None:
    grid = coverage.build_grid(square(1500), 10)
    cov = coverage.compute(grid, coverage.straight_line(NearestIndex([])), radius_m=1000)
    cands = [siting.Candidate("corner", "角", east(-1400), LAT0 - 1400 / M_PER_DEG_LAT),
             siting.Candidate("centre", "中", LON0, LAT0),
             siting.Candidate("edge", "边", east(1400), LAT0)]
    result = siting.suggest(cov, 1, candidates=cands)
    assert [s.candidate.id for s in result.steps] == ["centre"]
    assert result.before == 0 and result.basis == "area"
    assert result.after == pytest.approx(math.pi / 9, abs=0.01)


def test_existing_stations_stay_and_the_gap_gets_the_site() -> None:
    grid = coverage.build_grid(square(2000), 9)
    idx = NearestIndex([station(0, east(-1000), LAT0)])  # covers the west half
    cov = coverage.compute(grid, coverage.straight_line(idx), radius_m=1000)
    cands = [siting.Candidate("west", "", east(-900), LAT0),
             siting.Candidate("east", "", east(1000), LAT0)]
    result = siting.suggest(cov, 2, candidates=cands)
    assert result.steps[0].candidate.id == "east"
    assert result.before == pytest.approx(cov.share())
    shares = [result.before] + [s.covered_share for s in result.steps]
    assert shares == sorted(shares)


def test_shares_after_each_site_match_a_recomputed_coverage() -> None:
    grid = coverage.build_grid(square(2000), 9)
    existing = [station(0, LON0, LAT0)]
    cov = coverage.compute(grid, coverage.straight_line(NearestIndex(existing)), radius_m=700)
    result = siting.suggest(cov, 3)
    added = existing + [station(i + 1, s.candidate.lon, s.candidate.lat)
                        for i, s in enumerate(result.steps)]
    again = coverage.compute(grid, coverage.straight_line(NearestIndex(added)), radius_m=700)
    assert again.share() == pytest.approx(result.after, abs=0.005)


def random_instance(seed: int) -> tuple[sparse.csr_matrix, NDArray[np.float64]]:
    rng = np.random.default_rng(seed)
    dense = rng.random((9, 25)) < 0.2
    return sparse.csr_matrix(dense), rng.integers(1, 10, 25).astype(np.float64)


@pytest.mark.parametrize("seed", range(12))
def test_lazy_greedy_equals_plain_greedy_and_is_near_exact(seed: int) -> None:
    cover, w = random_instance(seed)
    for n in (1, 2, 3):
        lazy = siting.greedy(cover, w, n)
        assert [j for j, _ in lazy] == plain_greedy(cover, w, n)
        value = sum(g for _, g in lazy)
        best = exact(cover, w, n)
        assert best == pytest.approx(brute(cover, w, n))
        assert (1 - 1 / math.e) * best - 1e-9 <= value <= best + 1e-9
        if n == 1:
            assert value == best  # greedy is exact for one site


def test_greedy_reaches_the_exact_optimum_on_a_small_map() -> None:
    grid = coverage.build_grid(square(1500), 9)
    cov = coverage.compute(grid, coverage.straight_line(NearestIndex([])), radius_m=600)
    cands = siting.grid_candidates(cov)[::7]
    open_ = np.flatnonzero(~cov.covered)
    cover = siting.cover_matrix(np.array([c.lon for c in cands]), np.array([c.lat for c in cands]),
                                grid.lon[open_], grid.lat[open_], 600)
    w = grid.area_m2[open_] / 1e4
    value = sum(g for _, g in siting.greedy(cover, w, 3))
    assert value >= 0.95 * exact(cover, w, 3)


def test_stops_when_nothing_more_can_be_covered() -> None:
    cover = sparse.csr_matrix(np.array([[1, 0], [1, 0]], dtype=bool))
    assert siting.greedy(cover, np.array([1.0, 1.0]), 5) == [(0, 1.0)]
    with pytest.raises(ValueError, match="got -1"):
        siting.greedy(cover, np.array([1.0, 1.0]), -1)


def test_people_weights_change_the_answer() -> None:
    grid = coverage.build_grid(square(2000), 9)
    cov = coverage.compute(grid, coverage.straight_line(NearestIndex([])), radius_m=500)
    people = np.where(grid.lon > east(1200), 100.0, 0.0)  # everyone lives in the east strip
    result = siting.suggest(cov, 1, people=people)
    assert result.basis == "people" and result.steps[0].candidate.lon > east(700)
    with pytest.raises(ValueError, match="one value per grid cell"):
        siting.suggest(cov, 1, people=np.ones(3))


# --- with demand, candidates only, the settled area --------------------------------------


def _two_towns() -> tuple[coverage.Coverage, NDArray[np.float64], int, int]:
    grid = coverage.build_grid(square(1500), 9)
    cov = coverage.compute(grid, coverage.straight_line(NearestIndex([])), radius_m=500)
    a = int(grid.locate(grid.cells_of(np.array([east(-1000)]), np.array([LAT0])))[0])
    b = int(grid.locate(grid.cells_of(np.array([east(1000)]), np.array([LAT0])))[0])
    people = np.zeros(len(grid))
    people[a], people[b] = 100.0, 60.0  # two towns 2 km apart: no site reaches both
    return cov, people, a, b


def test_people_decide_the_order_on_a_hand_computable_grid() -> None:
    cov, people, a, _b = _two_towns()
    result = siting.suggest(cov, 3, people=people)
    assert [s.gain for s in result.steps] == [100.0, 60.0]  # stops: nobody else to reach
    assert [s.covered_share for s in result.steps] == [100 / 160, 1.0]
    first = result.steps[0].candidate
    assert geodesic_m(first.lon, first.lat, cov.grid.lon[a], cov.grid.lat[a]) <= 500


def test_candidates_only_mode_picks_among_the_given_sites() -> None:
    cov, people, _, _b = _two_towns()
    cands = [siting.Candidate("far", "远", east(0), LAT0 + 1400 / M_PER_DEG_LAT),
             siting.Candidate("bank", "银行", east(900), LAT0)]
    result = siting.suggest(cov, 2, candidates=cands, people=people)
    assert [(s.candidate.id, s.gain) for s in result.steps] == [("bank", 60.0)]


def test_without_people_only_the_settled_cells_count() -> None:
    grid = coverage.build_grid(square(3000), 9)
    idx = NearestIndex([station(0, east(-2000), LAT0)])
    cov = coverage.compute(grid, idx, radius_m=500)
    within = settled_cells(grid, idx, within_m=1200)
    # independent answer: geodesic metres to the station and to every gazetteer place
    marks = places.landmarks()
    near = geodesic_m(grid.lon, grid.lat, east(-2000), LAT0) <= 1200
    for p in marks:
        near |= geodesic_m(grid.lon, grid.lat, p.lon, p.lat) <= 1200
    assert (near == within).all()
    result = siting.suggest(cov, 2, within=within)
    picked = grid.locate(grid.cells_of(np.array([s.candidate.lon for s in result.steps]),
                                       np.array([s.candidate.lat for s in result.steps])))
    reach = [geodesic_m(grid.lon[within], grid.lat[within], grid.lon[i], grid.lat[i]).min()
             for i in picked]
    assert result.steps and max(reach) <= 500  # every site covers settled cells
    assert result.before == pytest.approx(cov.share())  # shares stay of the whole area
