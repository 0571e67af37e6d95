"""Next-site suggestions: a maximal covering location model with the existing stations fixed.

Demand is the grid's cells (weighted by area, or by people when a demand layer is
given); the stations already there stay, so only demand they leave uncovered counts.
Among the candidates (grid cell centres by default, or a candidate file such as
partner banks, petrol stations and shops) we choose ``n`` sites maximising the newly
covered weight.

Method: the greedy algorithm, which for this submodular objective is guaranteed to
reach at least 1 − 1/e (≈ 63 %) of the optimum and in practice is within a few
per cent of it, with the *lazy greedy* (CELF, Leskovec et al. 2007) speed-up: a
candidate's gain can only shrink as sites are added, so stale gains kept in a heap
are upper bounds and only the top one needs recomputing. Ties go to the lower
candidate index, so results are deterministic. ``tests/test_siting.py`` compares it
with an exact integer programme (PuLP/CBC) and brute force on small instances.

A candidate *covers* a demand cell when the geodesic distance between them is
within the radius (the same test the coverage engine uses).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.spatial import cKDTree

from locator.geo.geodesic import EARTH_RADIUS_M, chord_for_metres, geodesic_m, unit_vectors
from locator.planning.coverage import Coverage

__all__ = ["Candidate", "Step", "Suggestion", "cover_matrix", "greedy", "suggest"]



@dataclass(frozen=True, slots=True)
class Candidate:
    """A possible new site, WGS-84; ``name`` is untrusted text from a candidate file."""

    id: str
    name: str
    lon: float
    lat: float


@dataclass(frozen=True, slots=True)
class Step:
    """One added site: its candidate, the weight it newly covers and the share after it."""

    rank: int
    candidate: Candidate
    gain: float
    covered_share: float


@dataclass(frozen=True, slots=True)
class Suggestion:
    """Coverage before any new site and after each one (``basis``: "area" or "people")."""

    basis: str
    radius_m: float
    before: float
    steps: tuple[Step, ...]

    @property
    def after(self) -> float:
        """Covered share after every suggested site."""
        return self.steps[-1].covered_share if self.steps else self.before


#: Great-circle metres (mean radius) and geodesic metres differ by well under 1 % here; pairs
#: within this fraction of the radius are measured on the ellipsoid, the rest decided by
#: the sphere (``bench/planner.py``: ~4 % of pairs measured instead of all of them).
BAND = 0.01


def _tree(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> cKDTree:
    return cKDTree(unit_vectors(lon, lat).reshape(-1, 3))


def cover_matrix(cand_lon: NDArray[np.float64], cand_lat: NDArray[np.float64],
                 dem_lon: NDArray[np.float64], dem_lat: NDArray[np.float64],
                 radius_m: float, *, cand_tree: cKDTree | None = None) -> sparse.csr_matrix:
    """Boolean (candidates × demand) matrix: True where the geodesic distance ≤ ``radius_m``.

    Sparse from the start: one KD-tree pass finds every pair within the radius's chord
    (``cKDTree.sparse_distance_matrix``); pairs whose great-circle distance is within
    :data:`BAND` of the radius are then measured geodesically. ``cand_tree`` may pass a
    tree already built over the candidates (e.g. :attr:`Grid.tree`).
    """
    n_c, n_d = len(cand_lon), len(dem_lon)
    if n_c == 0 or n_d == 0:
        return sparse.csr_matrix((n_c, n_d), dtype=bool)
    tree = cand_tree if cand_tree is not None else _tree(cand_lon, cand_lat)
    found = tree.sparse_distance_matrix(_tree(dem_lon, dem_lat), chord_for_metres(radius_m),
                                        output_type="ndarray")
    rows = found["i"].astype(np.intp)
    cols = found["j"].astype(np.intp)
    sphere = 2.0 * EARTH_RADIUS_M * np.arcsin(np.minimum(found["v"] / 2.0, 1.0))
    keep = sphere <= radius_m * (1.0 - BAND)
    band = np.flatnonzero(~keep & (sphere <= radius_m * (1.0 + BAND)))
    keep[band] = geodesic_m(cand_lon[rows[band]], cand_lat[rows[band]], dem_lon[cols[band]],
                            dem_lat[cols[band]]) <= radius_m
    return sparse.csr_matrix((np.ones(int(keep.sum()), dtype=bool), (rows[keep], cols[keep])),
                             shape=(n_c, n_d))


def greedy(cover: sparse.csr_matrix, weight: NDArray[np.float64], n: int, *,
           progress: Callable[[int], None] | None = None) -> list[tuple[int, float]]:
    """Lazy-greedy maximal covering: up to ``n`` (candidate index, newly covered weight).

    Stops early when no candidate adds anything.
    """
    if n < 0:
        raise ValueError(f"the number of sites must be >= 0, got {n!r}")
    cover = cover.tocsr()
    indptr, indices = cover.indptr, cover.indices
    open_ = np.asarray(weight, dtype=np.float64).copy()  # weight still uncovered

    def gain(j: int) -> float:
        return float(open_[indices[indptr[j]:indptr[j + 1]]].sum())

    gains = cover.astype(np.float64) @ open_
    heap = [(-g, j, 0) for j, g in zip(np.flatnonzero(gains > 0).tolist(),
                                       gains[gains > 0].tolist(), strict=True)]
    heapq.heapify(heap)
    chosen: list[tuple[int, float]] = []
    while heap and len(chosen) < n:
        neg, j, stamp = heapq.heappop(heap)
        if stamp == len(chosen):  # fresh: the best for this round
            chosen.append((j, -neg))
            open_[indices[indptr[j]:indptr[j + 1]]] = 0.0
            if progress is not None:
                progress(1)
            continue
        g = gain(j)
        if g > 0:
            heapq.heappush(heap, (-g, j, len(chosen)))
    return chosen


def grid_candidates(cov: Coverage) -> list[Candidate]:
    """Every grid cell centre as a candidate (id = the H3 cell in hex)."""
    g = cov.grid
    return [_cell_candidate(cov, i) for i in range(len(g))]


def _cell_candidate(cov: Coverage, i: int) -> Candidate:
    g = cov.grid
    return Candidate(format(int(g.cells[i]), "x"), "", float(g.lon[i]), float(g.lat[i]))


def suggest(cov: Coverage, n: int, *, candidates: Sequence[Candidate] | None = None,
            people: NDArray[np.float64] | None = None,
            within: NDArray[np.bool_] | None = None,
            progress: Callable[[int], None] | None = None) -> Suggestion:
    """Choose ``n`` new sites that cover the most of what the existing stations leave out.

    Parameters
    ----------
    cov : Coverage
        Coverage by the existing stations (kept fixed); its threshold is the radius.
    n : int
        How many new sites.
    candidates : sequence of Candidate, optional
        Default: every grid cell centre (only those within reach of uncovered demand are
        looked at).
    people : array, optional
        Demand per grid cell; without it the objective is *area*, not people.
    within : bool array, optional
        Only these cells count as demand (e.g. the settled area when there is no
        demand layer); shares are still of the whole area (or of all the people).
    progress : callable, optional
        Called with 1 after each chosen site (e.g. a progress bar's ``update``).
    """
    weight = cov.grid.area_m2 if people is None else np.asarray(people, dtype=np.float64)
    if weight.shape != cov.covered.shape:
        raise ValueError(f"people must have one value per grid cell ({cov.covered.size}), "
                         f"got {weight.shape}")
    total = float(weight.sum())
    already = float(weight[cov.covered].sum())
    wanted = ~cov.covered & (weight > 0)
    if within is not None:
        wanted &= within
    open_cells = np.flatnonzero(wanted)
    grid = cov.grid
    if candidates is None:
        cover = cover_matrix(grid.lon, grid.lat, grid.lon[open_cells], grid.lat[open_cells],
                             cov.threshold_m, cand_tree=grid.tree)
    else:
        pool = list(candidates)
        cover = cover_matrix(np.array([c.lon for c in pool], dtype=np.float64),
                             np.array([c.lat for c in pool], dtype=np.float64),
                             grid.lon[open_cells], grid.lat[open_cells], cov.threshold_m)
    steps: list[Step] = []
    done = already
    for rank, (j, g) in enumerate(greedy(cover, weight[open_cells], n, progress=progress),
                                  start=1):
        done += g
        site = _cell_candidate(cov, j) if candidates is None else pool[j]
        steps.append(Step(rank, site, g, done / total if total > 0 else 0.0))
    return Suggestion("area" if people is None else "people", cov.threshold_m,
                      already / total if total > 0 else 0.0, tuple(steps))
