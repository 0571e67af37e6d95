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

from locator.geo.geodesic import chord_for_metres, geodesic_m, unit_vectors
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


def cover_matrix(cand_lon: NDArray[np.float64], cand_lat: NDArray[np.float64],
                 dem_lon: NDArray[np.float64], dem_lat: NDArray[np.float64],
                 radius_m: float) -> sparse.csr_matrix:
    """Boolean (candidates × demand) matrix: True where the geodesic distance ≤ ``radius_m``."""
    n_c, n_d = len(cand_lon), len(dem_lon)
    if n_c == 0 or n_d == 0:
        return sparse.csr_matrix((n_c, n_d), dtype=bool)
    chord = chord_for_metres(radius_m)
    pairs = cKDTree(unit_vectors(cand_lon, cand_lat).reshape(-1, 3)).query_ball_tree(
        cKDTree(unit_vectors(dem_lon, dem_lat).reshape(-1, 3)), chord)
    rows = np.repeat(np.arange(n_c), [len(p) for p in pairs])
    cols = np.fromiter((j for p in pairs for j in p), dtype=np.intp, count=rows.size)
    keep = geodesic_m(cand_lon[rows], cand_lat[rows], dem_lon[cols], dem_lat[cols]) <= radius_m
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

    heap = [(-g, j, 0) for j, g in enumerate(cover.astype(np.float64) @ open_) if g > 0]
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
    return [Candidate(format(int(c), "x"), "", float(x), float(y))
            for c, x, y in zip(g.cells, g.lon, g.lat, strict=True)]


def suggest(cov: Coverage, n: int, *, candidates: Sequence[Candidate] | None = None,
            people: NDArray[np.float64] | None = None,
            progress: Callable[[int], None] | None = None) -> Suggestion:
    """Choose ``n`` new sites that cover the most of what the existing stations leave out.

    Parameters
    ----------
    cov : Coverage
        Coverage by the existing stations (kept fixed); its threshold is the radius.
    n : int
        How many new sites.
    candidates : sequence of Candidate, optional
        Default: every grid cell centre.
    people : array, optional
        Demand per grid cell; without it the objective is *area*, not people.
    progress : callable, optional
        Called with 1 after each chosen site (e.g. a progress bar's ``update``).
    """
    weight = cov.grid.area_m2 if people is None else np.asarray(people, dtype=np.float64)
    if weight.shape != cov.covered.shape:
        raise ValueError(f"people must have one value per grid cell ({cov.covered.size}), "
                         f"got {weight.shape}")
    total = float(weight.sum())
    already = float(weight[cov.covered].sum())
    pool = list(candidates) if candidates is not None else grid_candidates(cov)
    open_cells = np.flatnonzero(~cov.covered)
    lon = np.array([c.lon for c in pool], dtype=np.float64)
    lat = np.array([c.lat for c in pool], dtype=np.float64)
    cover = cover_matrix(lon, lat, cov.grid.lon[open_cells], cov.grid.lat[open_cells],
                         cov.threshold_m)
    steps: list[Step] = []
    done = already
    for rank, (j, g) in enumerate(greedy(cover, weight[open_cells], n, progress=progress),
                                  start=1):
        done += g
        steps.append(Step(rank, pool[j], g, done / total if total > 0 else 0.0))
    return Suggestion("area" if people is None else "people", cov.threshold_m,
                      already / total if total > 0 else 0.0, tuple(steps))
