"""Rivers a straight line must not be trusted across.

Walking minutes from a straight line are a fair guess on one bank of the Yellow River and
badly wrong across it: the nearest bridge may be kilometres away. No bridge points with a
citable source could be found, so no detour is computed; instead a result whose straight
line crosses the river is *flagged* (``crosses_river``) and the pages say "隔河，实际路程可能
远大于直线距离" instead of presenting a short walk.

The river line is ``geodata/lanzhou/yellow_river.geojson``: the 七里河区/安宁区 boundary,
which follows the river for ~11 km (see ``geodata/README.md``). It is approximate (about
300 m) and covers only that reach; crossings further downstream (城关区, which lies on both
banks) are not detected, and the README says so.

The test is a plain segment intersection in a local equirectangular plane (x scaled by
cos latitude), vectorised over the results and the river's 39 segments; a query whose
lines stay out of the river's bounding box (most of the city) is answered by one box
comparison. Measured in ``bench/rivers.py`` (µs per k = 5 query, with and without it).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from locator import resources

__all__ = ["RIVER_FILE", "River", "yellow_river"]

RIVER_FILE = resources.lanzhou("yellow_river.geojson")


@dataclass(frozen=True, eq=False)
class River:
    """A river as a WGS-84 polyline.

    Parameters
    ----------
    name : str
        Its name as the pages show it (``黄河``).
    lon, lat : array_like
        The polyline's vertices in order, degrees.
    """

    name: str
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    _plane: tuple[float, float, float] = field(init=False)
    _segments: tuple[NDArray[np.float64], ...] = field(init=False)
    _box: tuple[float, float, float, float] = field(init=False)

    def __post_init__(self) -> None:
        lon = np.asarray(self.lon, dtype=np.float64)
        lat = np.asarray(self.lat, dtype=np.float64)
        if lon.shape != lat.shape or lon.ndim != 1 or lon.size < 2:
            raise ValueError(f"a river needs at least two vertices, got {lon.size}")
        object.__setattr__(self, "lon", lon)
        object.__setattr__(self, "lat", lat)
        x0, y0 = float(lon.mean()), float(lat.mean())
        scale = float(np.cos(np.radians(y0)))
        x, y = (lon - x0) * scale, lat - y0
        object.__setattr__(self, "_plane", (x0, y0, scale))
        # each segment's start and direction, in the plane
        object.__setattr__(self, "_segments", (x[:-1], y[:-1], x[1:] - x[:-1], y[1:] - y[:-1]))
        object.__setattr__(self, "_box", (float(lon.min()), float(lat.min()),
                                          float(lon.max()), float(lat.max())))

    def reaches(self, lons: Sequence[float], lats: Sequence[float]) -> bool:
        """Whether the box of these points overlaps the river's box: when not, no line
        between them can cross it. Plain floats, for the nearest query's few points (the
        numpy test below cost ~11 µs of every answer, almost all of them far from the
        river)."""
        west, south, east, north = self._box
        return not (max(lons) < west or min(lons) > east or max(lats) < south
                    or min(lats) > north)

    def crosses(self, lon: float, lat: float, to_lon: ArrayLike,
                to_lat: ArrayLike) -> NDArray[np.bool_]:
        """Whether the straight line from (lon, lat) to each target crosses the river.

        Parameters
        ----------
        lon, lat : float
            The origin, WGS-84 degrees.
        to_lon, to_lat : array_like
            The targets, WGS-84 degrees.

        Returns
        -------
        ndarray of bool
            One per target. Proper crossings only: touching the line at a vertex or
            running along it is not a crossing a worker would notice (and the line is only
            good to ~300 m anyway).
        """
        tx = np.atleast_1d(np.asarray(to_lon, dtype=np.float64))
        ty = np.atleast_1d(np.asarray(to_lat, dtype=np.float64))
        west, south, east, north = self._box
        # no line can cross a river whose box it does not reach (most of the city): one
        # comparison instead of the segment test
        if (max(lon, float(tx.max(initial=lon))) < west
                or min(lon, float(tx.min(initial=lon))) > east
                or max(lat, float(ty.max(initial=lat))) < south
                or min(lat, float(ty.min(initial=lat))) > north):
            return np.zeros(tx.shape, dtype=bool)
        x0, y0, scale = self._plane
        ax, ay = (lon - x0) * scale, lat - y0
        bx, by = ((tx - x0) * scale)[:, None], (ty - y0)[:, None]
        cx, cy, ex, ey = self._segments
        # the origin and each target on either side of each river segment ...
        origin_side = np.sign(ex * (ay - cy) - ey * (ax - cx))
        target_side = np.sign(ex * (by - cy) - ey * (bx - cx))
        # ... and the segment's two ends on either side of each origin-target line
        ux, uy = bx - ax, by - ay
        start_side = np.sign(ux * (cy - ay) - uy * (cx - ax))
        end_side = np.sign(ux * (cy + ey - ay) - uy * (cx + ex - ax))
        hits = (origin_side * target_side < 0) & (start_side * end_side < 0)
        return np.asarray(hits.any(axis=1))


@lru_cache(maxsize=2)
def yellow_river(path: Path = RIVER_FILE) -> River:
    """The shipped (approximate) Yellow River line."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    feature = data["features"][0]
    coords = np.asarray(feature["geometry"]["coordinates"], dtype=np.float64)
    return River(str(feature["properties"].get("name_zh") or "river"), coords[:, 0],
                 coords[:, 1])
