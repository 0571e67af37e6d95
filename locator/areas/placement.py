"""Where an administrative unit is: its polygon's label point and how precise that is, the
district a point lies in, and how far a point is from a district.

Districts ship as polygons (``geodata/lanzhou/boundaries.geojson``); subdistricts and
communities have polygons only when planners imported them (:mod:`locator.areas.store`).
A station known only by its address is placed at the label point of the finest unit with a
polygon (shapely's ``representative_point``: surely inside, not the centroid), and its
precision is the radius of a circle of that unit's area — a subdistrict known by name
but without a polygon is placed by its district, and says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import shapely
from shapely.ops import nearest_points

from locator.areas.names import Address, Unit
from locator.areas.units import AdminUnit, Boundaries, load_boundaries
from locator.geo.geodesic import geodesic_m, label_point

__all__ = ["Placement", "Placer", "placer"]


@dataclass(frozen=True, slots=True)
class Placement:
    """A unit's label point (WGS-84), the radius it stands for (m) and the unit itself."""

    lon: float
    lat: float
    precision_m: float
    unit: Unit


class Placer:
    """Label points of districts and imported units; the district of a point."""

    def __init__(self, boundaries: Boundaries, imported: Sequence[AdminUnit] = ()) -> None:
        self._polygons = {u.code: u.geometry for u in (*boundaries.units, *imported)}
        self._districts = boundaries.units
        self._points: dict[str, tuple[float, float, float]] = {}

    def place(self, address: Address) -> Placement | None:
        """The finest unit of ``address`` that has a polygon, as a :class:`Placement`."""
        for unit in (address.community, address.subdistrict, address.district):
            if unit is not None and unit.code in self._polygons:
                point = self._points.get(unit.code)
                if point is None:
                    point = self._points[unit.code] = label_point(self._polygons[unit.code])
                return Placement(point[0], point[1], point[2], unit)
        return None

    @property
    def district_codes(self) -> frozenset[str]:
        """The districts that have polygons."""
        return frozenset(d.code for d in self._districts)

    def district_at(self, lon: float, lat: float) -> str:
        """The code of the district holding a point (``""`` outside every district)."""
        for district in self._districts:
            if shapely.contains_xy(district.geometry, lon, lat):
                return district.code
        return ""

    def distance_m(self, code: str, lon: float, lat: float) -> float | None:
        """Geodesic metres from a point to the nearest edge of a district (0 inside)."""
        polygon = self._polygons.get(code)
        if polygon is None:
            return None
        point = shapely.Point(lon, lat)
        if polygon.contains(point):
            return 0.0
        edge = nearest_points(polygon, point)[0]
        return float(geodesic_m(lon, lat, edge.x, edge.y))


@lru_cache(maxsize=8)
def _shipped(imported: tuple[AdminUnit, ...]) -> Placer:
    return Placer(load_boundaries(), imported)


def placer(imported: Sequence[AdminUnit] = ()) -> Placer:
    """A placer of the shipped districts plus ``imported`` units (cached per set)."""
    return _shipped(tuple(imported))
