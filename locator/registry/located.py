"""A row's administrative units and, without coordinates, its place.

``所属区县``/``所属街道``/``所属社区`` cells (names or codes) become codes of
``geodata/lanzhou/admin_units.csv`` (:mod:`locator.areas.names`), with a warning for an
unknown or ambiguous name; a finer unit implies its parents. A spreadsheet row without
coordinates is placed at the label point of the finest unit its cells or its address state
(:mod:`locator.areas.placement`), its precision the radius of that unit's area; a point
that lies in another district than the one named gets a warning with both names and the
distance.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any

from locator.areas.names import Address, Gazetteer, Resolved, Unit, names_of
from locator.areas.placement import Placer
from locator.files.problems import RowError
from locator.geo.datum import Datum
from locator.registry.messages import row_error, warning

__all__ = ["locate"]

_LEVELS = (("district_code", "district"), ("subdistrict_code", "subdistrict"),
           ("community_code", "community"))


def _resolve(values: dict[str, Any], problems: list[RowError], gaz: Gazetteer, column: str,
             level: str, district: Unit | None, subdistrict: Unit | None) -> Unit | None:
    """The unit a ``所属…`` cell names; the code (or nothing) goes in the station, and a
    warning says what was unknown, ambiguous or out of place."""
    text = values[column]
    if not text:
        return None
    if level == "community" and re.fullmatch(r"\d{12}", text):
        parent = gaz.by_code(text[:9])
        if parent is not None and parent.level == "subdistrict":
            return None  # an NBS community code under a known subdistrict (no list to check)
    found: Resolved = _cached_resolve(gaz, level, text, district, subdistrict)
    unit = found.unit
    if unit is not None:
        values[column] = unit.code
        if found.outside:
            problems.append(warning("admin_outside_parent", column, text, name=unit.name,
                                        actual=unit.district_name if level == "subdistrict"
                                        else f"{unit.district_name} {unit.subdistrict_name}",
                                        named=found.outside))
        return unit
    if found.candidates:
        problems.append(warning("admin_ambiguous", column, text, level=level,
                                    count=len(found.candidates),
                                    candidates=names_of(found.candidates)))
    elif found.suggestions:
        problems.append(warning("admin_unknown", column, text, level=level,
                                    candidates="、".join(found.suggestions)))
    else:
        problems.append(warning("admin_unknown_nohint", column, text, level=level))
    if not text.replace("/", "").isdigit():
        values[column] = None  # a name we cannot resolve is no code (the report keeps it)
    return None


@lru_cache(maxsize=4096)
def _cached_resolve(gaz: Gazetteer, level: str, text: str, district: Unit | None,
                    subdistrict: Unit | None) -> Resolved:
    return gaz.resolve(level, text, district=district, subdistrict=subdistrict)


@lru_cache(maxsize=4096)
def _read_address(gaz: Gazetteer, text: str) -> Address:
    return gaz.read_address(text)


def locate(values: dict[str, Any], problems: list[RowError], x: float, y: float, *,
           place: bool, gaz: Gazetteer, where: Placer) -> tuple[float, float]:
    """A row's unit columns → codes (in ``values``, warnings in ``problems``); its lon/lat,
    placed by its units or address when it has none and ``place`` says it may be (no
    coordinate error, not a station of unknown location); a point in another district than
    the one named → a warning."""
    units: list[Unit | None] = []
    for column, level in _LEVELS:
        units.append(_resolve(values, problems, gaz, column, level,
                              units[0] if units else None, units[1] if len(units) > 1 else None))
    district, subdistrict, community = units
    finest = community if community is not None else subdistrict
    if finest is not None:  # a finer unit says its parents
        values["district_code"] = values["district_code"] or finest.district_code
        if community is not None:
            values["subdistrict_code"] = (values["subdistrict_code"]
                                          or community.subdistrict_code)
    if any(e.severity == "error" for e in problems):
        return x, y
    if math.isnan(x):
        return _place(values, problems, gaz, where, Address(district, subdistrict, community)
                      ) if place else (x, y)
    if district is not None and district.code in where.district_codes:
        found = where.district_at(x, y)
        if found and found != district.code:
            metres = where.distance_m(district.code, x, y) or 0.0
            other = gaz.by_code(found)
            problems.append(warning(
                "admin_mismatch", "lonlat", f"{x:.6f}, {y:.6f}",
                found=other.name if other else found, named=district.name,
                distance_km=f"{metres / 1000:.1f}"))
    return x, y


def _place(values: dict[str, Any], problems: list[RowError], gaz: Gazetteer, where: Placer,
           columns: Address) -> tuple[float, float]:
    """Place a row that has no coordinates by the finest unit its columns or address state."""
    address = _read_address(gaz, values["address"]) if values["address"] else Address()
    for said, read in ((columns.district, address.district),
                       (columns.subdistrict, address.subdistrict)):
        if said is not None and read is not None and said != read:
            problems.append(warning("address_disagrees", "address", values["address"],
                                    address_unit=read.label, column_unit=said.label))
            address = Address()  # the unit columns win: they say it on purpose
            break
    stated = Address(columns.district or address.district,
                     columns.subdistrict or address.subdistrict,
                     columns.community or (address.community if columns.subdistrict is None
                                           or address.subdistrict == columns.subdistrict
                                           else None))
    placement = where.place(stated)
    if placement is None:
        problems.append(row_error("no_location", "address", values["address"]))
        return math.nan, math.nan
    unit = placement.unit
    values.update(
        precision_m=round(placement.precision_m), geocoded=unit.level, datum=Datum.WGS84,
        district_code=values["district_code"] or (
            stated.district.code if stated.district else unit.district_code),
        subdistrict_code=values["subdistrict_code"] or (
            stated.subdistrict.code if stated.subdistrict else None),
        community_code=values["community_code"] or (
            stated.community.code if stated.community else None))
    problems.append(warning("placed_by_address", "address", values["address"],
                            unit=unit.label, level=unit.level,
                            precision_km=f"{placement.precision_m / 1000:.1f}"))
    return placement.lon, placement.lat
