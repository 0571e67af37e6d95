"""Nearest stations: a KD-tree over unit vectors, exact ranking, geodesic metres.

Points are placed on the unit sphere as 3-D vectors; straight-line (chord)
distance between unit vectors is monotone in great-circle angle, so a plain
Euclidean KD-tree (scipy's ``cKDTree``) ranks by great-circle distance with no
projection and no zone seams anywhere in China.

Reported distances are *geodesic* metres on the WGS-84 ellipsoid (Karney's
algorithm via pyproj). The sphere and the ellipsoid can disagree on order for
near-ties (by at most ~0.7 %), so the index fetches every candidate within
1 % beyond the k-th great-circle distance and ranks those by geodesic metres:
the result is the exact geodesic k-nearest.

Filters (kinds, amenities, open at a time, 24 h only) are evaluated as a
boolean mask and the search widens until k matching stations are found, so a
filtered query still returns k results whenever k exist.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable, Iterable
from datetime import datetime

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.spatial import cKDTree

from locator.geo.geodesic import GEOD, MARGIN, chord_for_metres, geodesic_m, unit_vectors
from locator.model import Amenity, Entry, Kind, Station
from locator.stations import hours
from locator.stations.query import Filters, Hit
from locator.stations.travel import TravelModel

__all__ = ["NearestIndex"]

class NearestIndex:
    """Index of located stations answering k-nearest queries.

    Parameters
    ----------
    stations : iterable of Station
        Stations without a location are kept out of the index.
    travel : TravelModel, optional
        Turns metres into walking / e-bike minutes.

    Notes
    -----
    Static filters (kinds, amenities, entries, 24 h) select a *pool* of stations; the pool's
    indices and a KD-tree over it are cached per filter combination, so a filtered
    query costs what an unfiltered one does. ``open_at`` depends on the moment, so
    it is checked lazily, only on candidates, as the search widens.
    """

    _POOL_CACHE = 64

    def __init__(self, stations: Iterable[Station], *, travel: TravelModel | None = None) -> None:
        given = tuple(stations)
        located = np.fromiter((s.located for s in given), dtype=bool, count=len(given))
        self.stations: tuple[Station, ...] = tuple(
            s for s, ok in zip(given, located.tolist(), strict=True) if ok)
        #: where each indexed station sits in the sequence the index was built from
        self.positions: NDArray[np.intp] = np.flatnonzero(located)
        #: where the stations left out (no usable location) sit in that sequence
        self.unlocated_positions: NDArray[np.intp] = np.flatnonzero(~located)
        self.travel = travel or TravelModel()
        n = len(self.stations)
        # plain C arrays of doubles: indexing them yields Python floats for the per-query
        # geodesic re-rank (scalar Geod.inv calls beat one vectorised call for ~8 points),
        # and self.lon/self.lat are numpy views of the same memory, not copies
        self._lon_c = _doubles(np.fromiter((s.lon for s in self.stations), np.float64, n))
        self._lat_c = _doubles(np.fromiter((s.lat for s in self.stations), np.float64, n))
        self.lon: NDArray[np.float64] = np.frombuffer(self._lon_c, dtype=np.float64)
        self.lat: NDArray[np.float64] = np.frombuffer(self._lat_c, dtype=np.float64)
        self._xyz = unit_vectors(self.lon, self.lat).reshape(n, 3)
        self._tree = cKDTree(self._xyz)
        self._kind_bit = {k: 1 << i for i, k in enumerate(Kind)}
        self._amenity_bit = {a: 1 << i for i, a in enumerate(Amenity)}
        self._entry_bit: dict[Entry | None, int] = {e: 1 << i for i, e in enumerate(Entry)}
        self._entry_bit[None] = 0  # unknown entry: matches no entry filter
        self._entries = np.fromiter(
            map(self._entry_bit.__getitem__, (s.entry for s in self.stations)),
            dtype=np.uint8, count=n)
        self._kinds = np.fromiter(map(self._kind_bit.__getitem__, (s.kind for s in self.stations)),
                                  dtype=np.uint32, count=n)
        # amenity sets and timetables repeat (a store shares one object per distinct value):
        # work each distinct one out once
        amenity_bits: dict[frozenset[Amenity], int] = {}
        always: dict[str | None, bool] = {}
        for s in self.stations:
            if s.amenities not in amenity_bits:
                amenity_bits[s.amenities] = sum(self._amenity_bit[a] for a in s.amenities)
            if s.opening_hours not in always:
                always[s.opening_hours] = s.always_open
        self._amenities = np.fromiter(map(amenity_bits.__getitem__,
                                          (s.amenities for s in self.stations)),
                                      dtype=np.uint32, count=n)
        self._always = np.fromiter(map(always.__getitem__,
                                       (s.opening_hours for s in self.stations)),
                                   dtype=bool, count=n)
        self._hours = [s.opening_hours for s in self.stations]
        self._pools: dict[tuple[frozenset[Kind], frozenset[Amenity], bool, frozenset[Entry]],
                          tuple[NDArray[np.intp], cKDTree]] = {}
        self._walk = self.travel.walk_minutes(1.0)
        self._ebike = self.travel.ebike_minutes(1.0)

    def __len__(self) -> int:
        return len(self.stations)

    def _static_mask(self, filters: Filters) -> NDArray[np.bool_]:
        m = np.ones(len(self), dtype=bool)
        if filters.kinds:
            m &= (self._kinds & np.uint32(sum(self._kind_bit[k] for k in filters.kinds))) != 0
        if filters.amenities:
            want = np.uint32(sum(self._amenity_bit[a] for a in filters.amenities))
            m &= (self._amenities & want) == want
        if filters.only_24h:
            m &= self._always
        if filters.entries:
            m &= (self._entries & np.uint8(sum(self._entry_bit[e] for e in filters.entries))) != 0
        return m

    def mask(self, filters: Filters) -> NDArray[np.bool_]:
        """Boolean array over the indexed stations: which satisfy ``filters``."""
        m = self._static_mask(filters)
        if filters.open_at is not None:
            idx = np.flatnonzero(m)
            m[idx] = hours.open_mask([self._hours[i] for i in idx], filters.open_at)
        return m

    def _pool(self, filters: Filters) -> tuple[NDArray[np.intp] | None, cKDTree]:
        """Station indices passing the static filters and a tree over them (cached)."""
        key = (filters.kinds, filters.amenities, filters.only_24h, filters.entries)
        if not (filters.kinds or filters.amenities or filters.only_24h or filters.entries):
            return None, self._tree
        if key not in self._pools:
            if len(self._pools) >= self._POOL_CACHE:
                self._pools.pop(next(iter(self._pools)))
            pool = np.flatnonzero(self._static_mask(filters))
            self._pools[key] = (pool, cKDTree(self._xyz[pool].reshape(-1, 3)))
        return self._pools[key]

    def query(self, lon: float, lat: float, *, k: int = 5, max_distance: float | None = None,
              filters: Filters | None = None) -> list[Hit]:
        """The ``k`` stations nearest to (lon, lat), nearest first.

        Parameters
        ----------
        lon, lat : float
            WGS-84 degrees.
        k : int
            How many results at most (fewer when fewer stations match).
        max_distance : float, optional
            Only stations within this many geodesic metres.
        filters : Filters, optional
            Station conditions; k matching stations are returned whenever k exist.
        """
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k!r}")
        if len(self) == 0:
            return []
        lam, phi = math.radians(lon), math.radians(lat)
        q = (math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi))
        bound = math.inf if max_distance is None else chord_for_metres(max_distance)
        pool, tree = self._pool(filters) if filters is not None else (None, self._tree)
        open_at = filters.open_at if filters is not None else None
        accept = None if open_at is None else self._open_checker(pool, open_at)
        cand = _search(tree, q, k, bound, accept)
        if pool is not None:
            cand = [int(pool[i]) for i in cand]
        if not cand:
            return []
        inv, xs, ys = GEOD.inv, self._lon_c, self._lat_c
        ranked = sorted([(inv(lon, lat, xs[i], ys[i])[2], i) for i in cand])
        if max_distance is not None:
            ranked = [(d, i) for d, i in ranked if d <= max_distance]
        stations, walk, ebike = self.stations, self._walk, self._ebike
        ranked = ranked[:k]
        river = self.travel.river
        chosen = [i for _, i in ranked]
        if river is None or not river.reaches(
                [lon, *(xs[i] for i in chosen)], [lat, *(ys[i] for i in chosen)]):
            return [Hit(stations[i], d, d * walk, d * ebike) for d, i in ranked]
        crossing = river.crosses(lon, lat, self.lon[chosen], self.lat[chosen]).tolist()
        return [Hit(stations[i], d, d * walk, d * ebike, c)
                for (d, i), c in zip(ranked, crossing, strict=True)]

    def _open_checker(self, pool: NDArray[np.intp] | None,
                      at: datetime) -> Callable[[list[int]], list[bool]]:
        """A function telling, for tree positions, whether those stations are open at ``at``."""
        hours_of = self._hours

        def accept(positions: list[int]) -> list[bool]:
            ids = positions if pool is None else [int(pool[p]) for p in positions]
            verdict: list[bool] = hours.open_mask([hours_of[i] for i in ids], at).tolist()
            return verdict

        return accept

    def nearest_distance(self, lon: ArrayLike, lat: ArrayLike, *,
                         filters: Filters | None = None) -> tuple[NDArray[np.intp],
                                                                  NDArray[np.float64]]:
        """Vectorised k=1: for many points, the index of the nearest station and geodesic metres.

        Ranked by great-circle distance (ties within 0.7 % may pick the sphere's choice);
        the metres are geodesic. Points with no matching station get index -1 and ``inf``.
        """
        x = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        y = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        out_i = np.full(x.shape, -1, dtype=np.intp)
        out_d = np.full(x.shape, np.inf)
        if filters is not None and filters.open_at is not None:
            pool = np.flatnonzero(self.mask(filters))
            tree = cKDTree(self._xyz[pool].reshape(-1, 3))
        else:
            static, tree = self._pool(filters) if filters is not None else (None, self._tree)
            pool = np.arange(len(self)) if static is None else static
        if pool.size == 0 or x.size == 0:
            return out_i, out_d
        _, j = tree.query(unit_vectors(x, y).reshape(-1, 3), k=1)
        out_i = pool[j].reshape(x.shape)
        out_d = geodesic_m(x, y, self.lon[out_i], self.lat[out_i])
        return out_i, out_d

    def query_many(self, lon: ArrayLike, lat: ArrayLike, *, k: int = 5,
                   max_distance: float | None = None, filters: Filters | None = None
                   ) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        """:meth:`query` for many points at once, vectorised, with the same answers.

        Parameters
        ----------
        lon, lat : array_like
            WGS-84 degrees, one point per element (flattened).
        k, max_distance, filters
            As in :meth:`query`.

        Returns
        -------
        positions : (n, k) int array
            Each point's stations (positions in :attr:`stations`), nearest first; ``-1``
            where fewer than k match.
        distance_m : (n, k) float array
            Geodesic metres; ``inf`` where the position is ``-1``.

        Raises
        ------
        ValueError
            For ``k`` below 1, arrays of different sizes, or a point that is not finite
            WGS-84 degrees (naming its position and value).

        Notes
        -----
        Each round asks the KD-tree for the ``kk`` chord-nearest of every pending point. A
        point whose ``kk``-th chord lies beyond :data:`MARGIN` × its k-th (or that has no
        more to find) has every candidate :meth:`query` would rank: those are ranked by
        geodesic metres, ties by position as there; the others go round again with
        four times ``kk``.
        """
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k!r}")
        x = np.asarray(lon, dtype=np.float64).ravel()
        y = np.asarray(lat, dtype=np.float64).ravel()
        if x.shape != y.shape:
            raise ValueError(f"lon and lat must have the same size, got {x.size} and {y.size}")
        bad = np.flatnonzero(~((np.abs(x) <= 180) & (np.abs(y) <= 90)))  # NaN fails too
        if bad.size:
            raise ValueError(f"point {bad[0]} is not WGS-84 lon/lat (lon -180..180, lat -90..90), "
                             f"got ({float(x[bad[0]])!r}, {float(y[bad[0]])!r})")
        out_i = np.full((x.size, k), -1, dtype=np.intp)
        out_d = np.full((x.size, k), np.inf)
        if filters is not None and filters.open_at is not None:
            pool: NDArray[np.intp] | None = np.flatnonzero(self.mask(filters))
            tree = cKDTree(self._xyz[pool].reshape(-1, 3))
        else:
            pool, tree = self._pool(filters) if filters is not None else (None, self._tree)
        m = tree.n
        if m == 0 or x.size == 0:
            return out_i, out_d
        q = unit_vectors(x, y).reshape(-1, 3)
        bound = math.inf if max_distance is None else chord_for_metres(max_distance)
        pending, kk = np.arange(x.size), min(m, k + 2)
        while pending.size:
            chord, at = tree.query(q[pending], k=kk, distance_upper_bound=bound)
            chord, at = chord.reshape(-1, kk), at.reshape(-1, kk)
            count = np.isfinite(chord).sum(axis=1)
            kth = chord[np.arange(pending.size), np.maximum(np.minimum(count, k) - 1, 0)]
            reach = np.minimum(kth * MARGIN, bound)
            done = (count < kk) | (kk >= m) | (chord[:, -1] > reach)
            rows, keep = pending[done], chord[done] <= reach[done, None]
            stations = np.where(keep, at[done], 0)
            if pool is not None:
                stations = pool[stations]
            metres = np.where(keep, geodesic_m(x[rows, None], y[rows, None],
                                               self.lon[stations], self.lat[stations]), np.inf)
            if max_distance is not None:
                metres[metres > max_distance] = np.inf
            order = np.lexsort((stations, metres), axis=-1)[:, :k]
            best_d = np.take_along_axis(metres, order, axis=-1)
            best_i = np.where(np.isfinite(best_d), np.take_along_axis(stations, order, axis=-1),
                              -1)
            out_i[rows, :best_i.shape[1]], out_d[rows, :best_d.shape[1]] = best_i, best_d
            pending, kk = pending[~done], min(m, kk * 4)
        return out_i, out_d

    def within(self, bbox: tuple[float, float, float, float]) -> NDArray[np.bool_]:
        """Boolean array: which stations lie in ``(west, south, east, north)`` (WGS-84, edges
        included); a west above the east crosses the antimeridian (RFC 7946 §5.2)."""
        west, south, east, north = bbox
        inside = (self.lat >= south) & (self.lat <= north)
        if west <= east:
            return inside & (self.lon >= west) & (self.lon <= east)
        return inside & ((self.lon >= west) | (self.lon <= east))

    def around(self, lon: float, lat: float, limit: int,
               among: NDArray[np.intp] | None = None) -> NDArray[np.intp]:
        """Positions of the ``limit`` stations nearest to (lon, lat), in index order.

        Only positions in ``among`` are considered (every station when ``None``); all of them
        come back when there are no more than ``limit``. Ranked by great-circle distance (one
        dot product per station, vectorised): for bounding what a map draws, where a near-tie
        at the edge does not matter.
        """
        if limit < 0:
            raise ValueError(f"limit must not be negative, got {limit!r}")
        pool = np.arange(len(self)) if among is None else np.asarray(among, dtype=np.intp)
        if pool.size <= limit:
            return pool
        if limit == 0:
            return pool[:0]
        closeness = self._xyz[pool] @ unit_vectors(lon, lat).reshape(3)  # cos of the angle
        return np.sort(pool[np.argpartition(-closeness, limit - 1)[:limit]])

    def by_id(self) -> dict[str, Station]:
        """Located stations by id."""
        return {s.id: s for s in self.stations}



def _doubles(values: NDArray[np.float64]) -> array[float]:
    """The values as a C array of doubles (indexing gives Python floats cheaply)."""
    out = array("d")
    out.frombytes(values.tobytes())
    return out


def _search(tree: cKDTree, q: tuple[float, float, float], k: int, bound: float,
            accept: Callable[[list[int]], list[bool]] | None) -> list[int]:
    """Tree positions of every candidate that could be among the k geodesic-nearest.

    Finds the k nearest accepted points by chord (widening the search while too
    few are accepted), then returns every accepted point within ``MARGIN`` × the
    k-th chord (capped by ``bound``): a superset of the geodesic k-nearest.
    """
    n = tree.n
    if n == 0:
        return []
    kk = min(n, k + 2 if accept is None else 4 * k)
    checked: dict[int, bool] = {}
    while True:
        # k as an int gives arrays like the list 1..k does, ~1.5 µs sooner, except k=1
        # (scalars)
        dist, idx = tree.query(q, k=kk if kk > 1 else [1], distance_upper_bound=bound)
        found = [(d, i) for d, i in zip(dist.tolist(), idx.tolist(), strict=True) if i < n]
        if accept is not None:
            fresh = [i for _, i in found if i not in checked]
            checked.update(zip(fresh, accept(fresh), strict=True))
            good = [(d, i) for d, i in found if checked[i]]
        else:
            good = found
        exhausted = len(found) < kk or kk >= n
        if len(good) >= k or exhausted:
            break
        kk = min(n, kk * 4)
    if not good:
        return []
    reach = min(good[min(k, len(good)) - 1][0] * MARGIN, bound)
    if exhausted or found[-1][0] > reach:
        return [i for d, i in good if d <= reach]
    near = tree.query_ball_point(q, reach)
    if accept is None:
        return list(near)
    fresh = [i for i in near if i not in checked]
    checked.update(zip(fresh, accept(fresh), strict=True))
    return [i for i in near if checked[i]]
