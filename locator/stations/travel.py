"""Travel-time estimates from distance: walking and e-bike minutes.

Straight-line (geodesic) distance times a *detour factor* approximates route
length. 1.3 is a commonly measured circuity ratio for urban street networks
(e.g. Levinson & El-Geneidy 2009 report ~1.2–1.4 for US cities); Lanzhou's
long, narrow valley and few river bridges can make it larger, so the factor is
configurable (``DETOUR_FACTOR``). A road-network router can replace this later
behind the same :class:`TravelModel` interface; until then :attr:`TravelModel.basis` is
``straight_line`` and every page and the API say the minutes are estimated from a
straight line. A straight line across the Yellow River is not a short walk: with a
``river`` the nearest index flags such results (:mod:`locator.stations.rivers`).
Beyond :data:`MAX_SHOWN_MIN` minutes the pages say "over an hour" instead of a number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from locator.stations.rivers import River

__all__ = ["BASES", "MAX_SHOWN_MIN", "TravelModel"]

#: what minutes can be computed from: only ``straight_line`` exists until a road network does
BASES = ("straight_line",)
#: above this many minutes the pages say "over an hour" rather than print a long estimate
MAX_SHOWN_MIN = 60.0


@dataclass(frozen=True, slots=True)
class TravelModel:
    """Straight-line travel model: minutes = distance × detour ÷ speed.

    ``river``: a river whose crossings are flagged on results (no detour is added: no
    bridge points have a source).
    """

    detour_factor: float = 1.3
    walk_kmh: float = 4.5
    ebike_kmh: float = 15.0
    river: River | None = None

    @property
    def basis(self) -> str:
        """What the minutes come from: ``straight_line`` (no road network exists yet)."""
        return BASES[0]

    def __post_init__(self) -> None:
        for name in ("detour_factor", "walk_kmh", "ebike_kmh"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and np.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number, got {value!r}")

    @overload
    def walk_minutes(self, distance_m: float) -> float: ...
    @overload
    def walk_minutes(self, distance_m: ArrayLike) -> NDArray[np.float64]: ...
    def walk_minutes(self, distance_m: ArrayLike) -> float | NDArray[np.float64]:
        """Walking minutes for a geodesic distance in metres."""
        return self._minutes(distance_m, self.walk_kmh)

    @overload
    def ebike_minutes(self, distance_m: float) -> float: ...
    @overload
    def ebike_minutes(self, distance_m: ArrayLike) -> NDArray[np.float64]: ...
    def ebike_minutes(self, distance_m: ArrayLike) -> float | NDArray[np.float64]:
        """E-bike minutes for a geodesic distance in metres."""
        return self._minutes(distance_m, self.ebike_kmh)

    def _minutes(self, distance_m: ArrayLike, kmh: float) -> float | NDArray[np.float64]:
        d = np.asarray(distance_m, dtype=np.float64)
        out = d * self.detour_factor / (kmh * 1000.0 / 60.0)
        return float(out) if out.ndim == 0 else out
