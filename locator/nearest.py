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

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pyproj import Geod
from scipy.spatial import cKDTree

from locator import hours
from locator.model import Amenity, Kind, Station
from locator.travel import TravelModel

__all__ = ["Filters", "Hit", "NearestIndex", "geodesic_m", "unit_vectors"]

EARTH_RADIUS_M = 6_371_008.8  # mean radius, used only to turn metres into chord bounds
_GEOD = Geod(ellps="WGS84")
_MARGIN = 1.01  # sphere vs ellipsoid ordering slack (true worst case ≈ 1.0067)
_BRUTE_FORCE_MAX = 4096


def unit_vectors(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.float64]:
    """(n, 3) unit vectors for WGS-84 degrees."""
    lam = np.radians(np.asarray(lon, dtype=np.float64))
    phi = np.radians(np.asarray(lat, dtype=np.float64))
    cos_phi = np.cos(phi)
    return np.stack([cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi)], axis=-1)


def geodesic_m(lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike,
               lat2: ArrayLike) -> NDArray[np.float64]:
    """Geodesic distance in metres on the WGS-84 ellipsoid (vectorised, broadcasting)."""
    a, b, c, d = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64)
                                       for v in (lon1, lat1, lon2, lat2)))
    if a.size == 0:
        return np.zeros(a.shape)
    _, _, dist = _GEOD.inv(a.ravel(), b.ravel(), c.ravel(), d.ravel())
    return np.asarray(dist, dtype=np.float64).reshape(a.shape)


def _chord_for_metres(metres: float) -> float:
    angle = min(metres * _MARGIN / EARTH_RADIUS_M, np.pi)
    return float(2.0 * np.sin(angle / 2.0))


@dataclass(frozen=True, slots=True)
class Filters:
    """What a station must satisfy. Empty filters accept every station.

    ``amenities`` means *all* of them; ``kinds`` means *any* of them; with
    ``open_at`` a station without hours counts as not open (unknown).
    """

    kinds: frozenset[Kind] = frozenset()
    amenities: frozenset[Amenity] = frozenset()
    open_at: datetime | None = None
    only_24h: bool = False

    @property
    def empty(self) -> bool:
        """True when nothing is filtered."""
        return not (self.kinds or self.amenities or self.open_at or self.only_24h)


@dataclass(frozen=True, slots=True)
class Hit:
    """One result: the station, geodesic metres and travel minutes."""

    station: Station
    distance_m: float
    walk_min: float
    ebike_min: float


class NearestIndex:
    """Index of located stations answering k-nearest queries.

    Parameters
    ----------
    stations : iterable of Station
        Stations without a location are kept out of the index.
    travel : TravelModel, optional
        Turns metres into walking / e-bike minutes.
    """

    def __init__(self, stations: Iterable[Station], *, travel: TravelModel | None = None) -> None:
        self.stations: tuple[Station, ...] = tuple(s for s in stations if s.located)
        self.travel = travel or TravelModel()
        n = len(self.stations)
        self.lon = np.fromiter((s.lon for s in self.stations), dtype=np.float64, count=n)
        self.lat = np.fromiter((s.lat for s in self.stations), dtype=np.float64, count=n)
        self._xyz = unit_vectors(self.lon, self.lat).reshape(n, 3)
        self._tree = cKDTree(self._xyz)
        kinds = list(Kind)
        self._kind = np.fromiter((kinds.index(s.kind) for s in self.stations), dtype=np.int16,
                                 count=n)
        amenities = list(Amenity)
        self._amenity_bits = {a: np.uint32(1 << i) for i, a in enumerate(amenities)}
        self._amenities = np.fromiter(
            (sum(int(self._amenity_bits[a]) for a in s.amenities) for s in self.stations),
            dtype=np.uint32, count=n)
        self._always = np.fromiter((s.always_open for s in self.stations), dtype=bool, count=n)
        self._hours = [s.opening_hours for s in self.stations]

    def __len__(self) -> int:
        return len(self.stations)

    def mask(self, filters: Filters) -> NDArray[np.bool_]:
        """Boolean array over the indexed stations: which satisfy ``filters``."""
        m = np.ones(len(self), dtype=bool)
        if filters.kinds:
            codes = [list(Kind).index(k) for k in filters.kinds]
            m &= np.isin(self._kind, codes)
        if filters.amenities:
            want = np.uint32(sum(int(self._amenity_bits[a]) for a in filters.amenities))
            m &= (self._amenities & want) == want
        if filters.only_24h:
            m &= self._always
        if filters.open_at is not None:
            idx = np.flatnonzero(m)
            m[idx] = hours.open_mask([self._hours[i] for i in idx], filters.open_at)
        return m

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
        q = unit_vectors(lon, lat)
        bound = np.inf if max_distance is None else _chord_for_metres(max_distance)
        if filters is None or filters.empty:
            cand = self._candidates_all(q, k, bound)
        else:
            cand = self._candidates_masked(q, k, bound, self.mask(filters))
        if cand.size == 0:
            return []
        metres = geodesic_m(lon, lat, self.lon[cand], self.lat[cand])
        order = np.lexsort((cand, metres))
        chosen = [(int(cand[i]), float(metres[i])) for i in order
                  if max_distance is None or metres[i] <= max_distance][:k]
        return [self._hit(i, d) for i, d in chosen]

    def _hit(self, i: int, metres: float) -> Hit:
        return Hit(self.stations[i], metres, float(self.travel.walk_minutes(metres)),
                   float(self.travel.ebike_minutes(metres)))

    def _candidates_all(self, q: NDArray[np.float64], k: int, bound: float) -> NDArray[np.intp]:
        n = len(self)
        kk = min(n, k + 4)
        dist, idx = self._tree.query(q, k=kk, distance_upper_bound=bound)
        dist, idx = np.atleast_1d(dist), np.atleast_1d(idx)
        found = idx < n
        dist, idx = dist[found], idx[found]
        if idx.size == 0:
            return np.zeros(0, dtype=np.intp)
        reach = min(dist[min(k, idx.size) - 1] * _MARGIN, bound)
        if idx.size < kk or dist[-1] > reach:
            return np.asarray(idx[dist <= reach], dtype=np.intp)
        return np.asarray(self._tree.query_ball_point(q, reach), dtype=np.intp)

    def _candidates_masked(self, q: NDArray[np.float64], k: int, bound: float,
                           mask: NDArray[np.bool_]) -> NDArray[np.intp]:
        pool: NDArray[np.intp] = np.flatnonzero(mask)
        if pool.size == 0:
            return pool
        if pool.size <= _BRUTE_FORCE_MAX or pool.size * 16 < len(self):
            chord = np.linalg.norm(self._xyz[pool] - q, axis=1)
            within = chord <= bound
            pool, chord = pool[within], chord[within]
            if pool.size == 0:
                return pool
            kth = np.partition(chord, min(k, pool.size) - 1)[min(k, pool.size) - 1]
            return np.asarray(pool[chord <= kth * _MARGIN], dtype=np.intp)
        n = len(self)
        kk = min(n, 4 * k)
        while True:
            dist, idx = self._tree.query(q, k=kk, distance_upper_bound=bound)
            dist, idx = np.atleast_1d(dist), np.atleast_1d(idx)
            keep = idx < n
            dist, idx = dist[keep], idx[keep]
            ok = mask[idx]
            if ok.sum() >= k or kk >= n or idx.size < kk:
                break
            kk = min(n, kk * 4)
        good = dist[ok]
        if good.size == 0:
            return np.zeros(0, dtype=np.intp)
        reach = min(good[min(k, good.size) - 1] * _MARGIN, bound)
        near = np.asarray(self._tree.query_ball_point(q, reach), dtype=np.intp)
        return near[mask[near]]

    def nearest_distance(self, lon: ArrayLike, lat: ArrayLike, *,
                         filters: Filters | None = None) -> tuple[NDArray[np.intp],
                                                                  NDArray[np.float64]]:
        """Vectorised k=1: for many points, the index of the nearest station and geodesic metres.

        Ranked by great-circle distance (ties within 0.7 % may pick the sphere's choice);
        the metres are geodesic. Points with no matching station get index -1 and ``inf``.
        """
        x = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        y = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        m = np.ones(len(self), dtype=bool) if filters is None else self.mask(filters)
        pool = np.flatnonzero(m)
        out_i = np.full(x.shape, -1, dtype=np.intp)
        out_d = np.full(x.shape, np.inf)
        if pool.size == 0 or x.size == 0:
            return out_i, out_d
        tree = self._tree if pool.size == len(self) else cKDTree(self._xyz[pool])
        _, j = tree.query(unit_vectors(x, y).reshape(-1, 3), k=1)
        out_i = pool[j].reshape(x.shape)
        out_d = geodesic_m(x, y, self.lon[out_i], self.lat[out_i])
        return out_i, out_d

    def by_id(self) -> dict[str, Station]:
        """Located stations by id."""
        return {s.id: s for s in self.stations}

