"""Administrative units of the three-level network: city, districts, subdistricts, communities.

Districts ship with the app as polygons (``geodata/lanzhou/boundaries.geojson``);
subdistrict (街道) and community (社区) *names and codes* ship in
``geodata/lanzhou/admin_units.csv`` but their polygons do not exist publicly, so
planners import them (:mod:`locator.areas`). This module only reads what exists.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from locator.errors import NotFound, RegistryError

__all__ = ["ADMIN_UNITS", "BOUNDARIES", "LEVELS", "AdminName", "AdminUnit", "Boundaries",
           "admin_names", "load_boundaries"]

GEODATA = Path(__file__).resolve().parent.parent / "geodata" / "lanzhou"
BOUNDARIES = GEODATA / "boundaries.geojson"
ADMIN_UNITS = GEODATA / "admin_units.csv"
LEVELS = ("district", "subdistrict", "community")


@dataclass(frozen=True, slots=True)
class AdminUnit:
    """One polygon of an administrative level, WGS-84.

    ``code`` is the official code (districts: 6 digits, subdistricts: 9) or, for
    communities, which have no public codes, ``"<subdistrict code or name>/<name>"``.
    ``district_code`` is the district the unit lies in (its own code for a district).
    """

    code: str
    name: str
    level: str
    geometry: BaseGeometry
    parent_code: str = ""
    district_code: str = ""


@dataclass(frozen=True, slots=True)
class Boundaries:
    """The planning area (the city or one district) and the units inside it."""

    area: AdminUnit
    units: tuple[AdminUnit, ...]

    def district(self, code: str) -> Boundaries:
        """The same boundaries restricted to one district (no smaller units: none ship).

        Raises
        ------
        NotFound
            When no unit has that code.
        """
        if code == self.area.code:
            return self
        for unit in self.units:
            if unit.code == code:
                return Boundaries(unit, ())
        known = ", ".join(u.code for u in self.units)
        raise NotFound(f"no district with code {code!r}; known: {known}")


@lru_cache(maxsize=4)
def _load(path: str) -> Boundaries:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        features = data["features"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RegistryError(f"cannot read boundaries {path!r}: {exc}") from None
    city: AdminUnit | None = None
    districts: list[AdminUnit] = []
    for feature in features:
        props = feature.get("properties") or {}
        unit = AdminUnit(str(props.get("code", "")), str(props.get("name_zh", "")),
                         str(props.get("level", "")), shape(feature["geometry"]))
        if unit.level == "city":
            city = unit
        elif unit.level == "district":
            districts.append(unit)
    if city is None:
        raise RegistryError(f"boundaries {path!r} have no feature with level 'city'")
    districts = [AdminUnit(u.code, u.name, u.level, u.geometry, city.code, u.code)
                 for u in districts]
    return Boundaries(city, tuple(districts))


def load_boundaries(path: str | os.PathLike[str] = BOUNDARIES) -> Boundaries:
    """The city and its districts from a boundaries GeoJSON (cached per path).

    Raises
    ------
    RegistryError
        When the file cannot be read or has no ``city`` feature.
    """
    return _load(os.fspath(path))


@dataclass(frozen=True, slots=True)
class AdminName:
    """A row of ``admin_units.csv``: a unit's name and code, with its parents."""

    level: str
    code: str
    name: str
    parent_code: str
    parent_name: str
    district_code: str


@lru_cache(maxsize=2)
def admin_names(path: str | os.PathLike[str] = ADMIN_UNITS) -> tuple[AdminName, ...]:
    """Every district, subdistrict and community listed in ``admin_units.csv``."""
    with open(path, encoding="utf-8", newline="") as fh:
        return tuple(AdminName(r["level"], r["code"], r["name_zh"], r["parent_code"],
                               r["parent_name_zh"], r["district_code"])
                     for r in csv.DictReader(fh))
