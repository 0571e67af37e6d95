"""Administrative units of the three-level network: city, districts, subdistricts, communities.

Districts ship with the app as polygons (``geodata/lanzhou/boundaries.geojson``);
subdistrict (街道) and community (社区) *names and codes* ship in
``geodata/lanzhou/admin_units.csv`` but their polygons do not exist publicly, so
planners import them (:mod:`locator.areas.imports`). This module only reads what exists.
"""

from __future__ import annotations

import csv
import json
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from locator import resources
from locator.errors import NotFound, RegistryError
from locator.model import Station

__all__ = ["ADMIN_UNITS", "BOUNDARIES", "LEVELS", "AdminName", "AdminUnit", "Boundaries",
           "CodeCount", "admin_names", "at_level", "code_counts", "default_level",
           "load_boundaries", "unit_code"]

BOUNDARIES = resources.lanzhou("boundaries.geojson")
ADMIN_UNITS = resources.lanzhou("admin_units.csv")
LEVELS = ("district", "subdistrict", "community")


def default_level(district: str | None) -> str:
    """The units a report lists when none are asked for: districts for the whole city,
    subdistricts inside one district (the page, the API and the CLI alike)."""
    return "subdistrict" if district else "district"


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


def at_level(bounds: Boundaries, level: str,
             imported: Sequence[AdminUnit] | None = None) -> Boundaries:
    """``bounds`` with its units replaced by the imported units of ``level`` in its area.

    ``level="district"`` keeps ``bounds`` as they are (the city's districts, or none
    inside a district). For ``subdistrict``/``community`` the units are the imported
    polygons whose district is the area's (all of them for the city); without imported
    polygons (``None``) there are no units at that level.

    Raises
    ------
    ValueError
        For a level other than district, subdistrict or community.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    if level == "district":
        return bounds
    whole = bounds.area.level == "city"
    return Boundaries(bounds.area, tuple(u for u in imported or ()
                                         if whole or u.district_code == bounds.area.code))


@dataclass(frozen=True, slots=True)
class CodeCount:
    """Stations carrying one unit's code (``code`` empty: stations with no code at all)."""

    code: str
    name: str
    level: str
    stations: int
    synthetic: int
    known: bool

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {k: getattr(self, k) for k in self.__slots__}


def unit_code(name: AdminName) -> str:
    """The code a unit goes by: its official code, else ``<parent code or name>/<name>``.

    Communities have no public codes, nor do a few subdistricts in ``admin_units.csv``.
    """
    return name.code or f"{name.parent_code or name.parent_name}/{name.name}"


def _station_code(station: Station, level: str) -> str:
    code = station.subdistrict_code if level == "subdistrict" else station.community_code
    return (code or "").strip()


def _in_district(station: Station, district: str | None) -> bool:
    if district is None:
        return True
    return (station.district_code or (station.subdistrict_code or "")[:6]) == district


def code_counts(stations: Sequence[Station], level: str, *,
                district: str | None = None) -> list[CodeCount]:
    """Stations per subdistrict or community **by the codes they carry** (no polygons needed).

    One row per known unit of ``level`` (in ``district`` if given, stations counted when
    their district matches), most stations first; then codes no known unit has
    (``known=False``); last, if any, the stations without a code (``code == ""``).
    Community codes are ``<subdistrict code>/<name>`` (:class:`AdminUnit`).

    Raises
    ------
    ValueError
        For a level other than subdistrict or community.
    """
    if level not in ("subdistrict", "community"):
        raise ValueError(f"level must be subdistrict or community, got {level!r}")
    names = [n for n in admin_names()
             if n.level == level and (district is None or n.district_code == district)]
    total: Counter[str] = Counter()
    demo: Counter[str] = Counter()
    for s in stations:
        if _in_district(s, district):
            code = _station_code(s, level)
            total[code] += 1
            demo[code] += int(s.synthetic)
    rows: list[CodeCount] = []
    seen: set[str] = set()
    for n in names:
        code = unit_code(n)
        if code not in seen:
            seen.add(code)
            rows.append(CodeCount(code, n.name, level, total[code], demo[code], True))
    rows.sort(key=lambda r: (-r.stations, r.code))
    rows += [CodeCount(c, "", level, total[c], demo[c], False)
             for c in sorted(total) if c and c not in seen]
    if total[""]:
        rows.append(CodeCount("", "", level, total[""], demo[""], False))
    return rows
