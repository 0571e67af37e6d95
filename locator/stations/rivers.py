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
cos latitude), vectorised over the results and the river's segments: at k = 50 results and
~150 river segments it costs ~0.1 ms a query.
"""

from __future__ import annotations

import json
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
    _origin: tuple[float, float, float] = field(init=False)

    def __post_init__(self) -> None:
        lon = np.asarray(self.lon, dtype=np.float64)
        lat = np.asarray(self.lat, dtype=np.float64)
        if lon.shape != lat.shape or lon.ndim != 1 or lon.size < 2:
            raise ValueError(f"a river needs at least two vertices, got {lon.size}")
        object.__setattr__(self, "lon", lon)
        object.__setattr__(self, "lat", lat)
        mid = float(np.radians(lat.mean()))
        object.__setattr__(self, "_origin", (float(lon.mean()), float(lat.mean()),
                                             float(np.cos(mid))))

    def _plane(self, lon: NDArray[np.float64],
               lat: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        x0, y0, scale = self._origin
        return (lon - x0) * scale, lat - y0

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
            One per target.
        """
        tx, ty = self._plane(np.atleast_1d(np.asarray(to_lon, dtype=np.float64)),
                             np.atleast_1d(np.asarray(to_lat, dtype=np.float64)))
        ox, oy = self._plane(np.array([lon], dtype=np.float64),
                             np.array([lat], dtype=np.float64))
        rx, ry = self._plane(self.lon, self.lat)
        ax, ay = ox[:, None], oy[:, None]  # origin (1, 1)
        bx, by = tx[:, None], ty[:, None]  # targets (n, 1)
        cx, cy, dx, dy = rx[None, :-1], ry[None, :-1], rx[None, 1:], ry[None, 1:]  # (1, m)

        def side(px: NDArray[np.float64], py: NDArray[np.float64], qx: NDArray[np.float64],
                 qy: NDArray[np.float64], sx: NDArray[np.float64],
                 sy: NDArray[np.float64]) -> NDArray[np.float64]:
            return np.sign((qx - px) * (sy - py) - (qy - py) * (sx - px))

        # proper crossings only: touching the line at a vertex or running along it is not
        # a crossing a worker would notice (and the line is only good to ~300 m anyway)
        hits = ((side(ax, ay, bx, by, cx, cy) * side(ax, ay, bx, by, dx, dy) < 0)
                & (side(cx, cy, dx, dy, ax, ay) * side(cx, cy, dx, dy, bx, by) < 0))
        return np.asarray(hits.any(axis=1))


@lru_cache(maxsize=2)
def yellow_river(path: Path = RIVER_FILE) -> River:
    """The shipped (approximate) Yellow River line."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    feature = data["features"][0]
    coords = np.asarray(feature["geometry"]["coordinates"], dtype=np.float64)
    return River(str(feature["properties"].get("name_zh") or "river"), coords[:, 0],
                 coords[:, 1])
