"""Import subdistrict (街道) and community (社区) polygons: read, validate, match to known units.

Districts ship with the app; polygons for the two lower levels of the three-level
network do not exist publicly, so planners import their own (``locator areas import``).
:func:`prepare_areas` reads a file (:mod:`locator.areas.files`), checks every row like
station imports do and matches each polygon to a unit of ``admin_units.csv``:

1. by **code** (9-digit subdistrict code; a 12-digit statistical code ending in ``000``
   is accepted; communities, which have no public codes, as ``<subdistrict code>/<name>``);
2. by the **exact name** within its district (the district named in a column, else the
   one holding the polygon's interior point);
3. by a **normalised name**: spaces and full-width forms folded, and the suffixes
   街道/街道办事处/镇/乡 (subdistricts) or 社区/居委会/村/村委会 (communities) dropped.

A row that matches nothing is rejected with the closest known name suggested. Every
rejected row is a :class:`~locator.registry.records.Problem` (file, row, column, value,
reason); accepted rows with a remark (a self-intersection repaired with ``make_valid``,
a polygon partly outside the city, a match by normalised name) are listed as notes.
The result is pure data; :mod:`locator.areas.store` writes it.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from locator.areas.files import read_area_table
from locator.areas.units import (
    AdminName,
    AdminUnit,
    Boundaries,
    admin_names,
    load_boundaries,
    unit_code,
)
from locator.errors import RegistryError
from locator.files.geometry import InvalidGeometry, check_geometry
from locator.files.problems import Problem, RowError, shown_value
from locator.files.rawtable import RawRow, RawTable
from locator.files.readers import MAX_BYTES, read_source
from locator.geo.datum import Datum, convert
from locator.geo.geodesic import equal_area_m2

__all__ = ["AREA_LEVELS", "AreaImport", "match_unit", "normalise_name",
           "prepare_areas"]

AREA_LEVELS = ("subdistrict", "community")
MIN_INSIDE = 0.5  # share of a polygon's area that must lie in the city
_COMMON_CODE = ("code", "代码", "编码", "编号", "区划代码", "行政区划代码", "adcode", "xzqdm")
_COMMON_NAME = ("name", "名称", "name_zh", "xzqmc")
_FIELDS = {  # (code, name, parent) columns recognised per level, in order of preference
    "subdistrict": ((*_COMMON_CODE, "subdistrict_code", "街道代码", "乡镇代码"),
                    (*_COMMON_NAME, "街道", "街道名称", "乡镇", "乡镇名称", "subdistrict"), ()),
    "community": ((*_COMMON_CODE, "community_code", "社区代码", "村代码"),
                  (*_COMMON_NAME, "社区", "社区名称", "村", "村名", "community"),
                  ("parent", "parent_code", "所属街道", "subdistrict_code", "街道代码",
                   "街道", "街道名称", "乡镇", "乡镇名称", "subdistrict")),
}
_DISTRICT_FIELDS = ("district", "district_code", "区县", "区", "县区", "所属区县", "区县代码")
_SUFFIXES = {
    "district": ("区", "县"),
    "subdistrict": ("街道办事处", "街道办", "街道", "镇人民政府", "乡人民政府", "镇", "乡"),
    "community": ("社区居民委员会", "居民委员会", "社区居委会", "居委会", "村民委员会",
                  "村委会", "社区", "村"),
}


@dataclass(frozen=True, slots=True)
class AreaImport:
    """What an area file gave: the accepted units of one level, rejected rows and notes."""

    level: str
    source: str
    sha256: str
    datum: str
    rows: int
    units: tuple[AdminUnit, ...]
    problems: tuple[Problem, ...]
    notes: tuple[Problem, ...]


def normalise_name(name: str, level: str) -> str:
    """A name folded for matching: NFKC, no spaces or brackets, no administrative suffix."""
    text = unicodedata.normalize("NFKC", str(name))
    text = re.sub(r"\s+|[()（）\[\]【】]", "", text)
    for suffix in _SUFFIXES.get(level, ()):
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)]
    return text


def _normal_code(value: Any, level: str) -> str:
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if level == "subdistrict":
        if re.fullmatch(r"\d+(\.0+)?", text):
            text = text.split(".")[0]
        if len(text) == 12 and text.endswith("000"):
            text = text[:9]
    return text


def _field(fields: dict[str, Any], wanted: str | None, names: Sequence[str]) -> tuple[str, Any]:
    """``(column, value)`` of the named column, else of the first recognised one."""
    if wanted is not None:
        return wanted, fields.get(wanted)
    keys = {str(k).strip().lower(): k for k in fields}
    for n in names:
        if n in keys:
            return str(keys[n]), fields[keys[n]]
    return "", None


def _blank(value: Any) -> bool:
    return value is None or not str(value).strip()


def match_unit(level: str, *, code: Any = None, name: Any = None, district: str | None = None,
               parent: str | None = None, known: Sequence[AdminName] | None = None
               ) -> tuple[AdminName, str]:
    """The known unit a row names, and how it matched (``code``, ``name`` or ``normalised``).

    Raises
    ------
    RowError
        Column ``code`` or ``name``: unknown (with the closest known name), ambiguous or blank.
    """
    units = [u for u in (known if known is not None else admin_names()) if u.level == level]
    if not _blank(code):
        wanted = _normal_code(code, level)
        hits = [u for u in units if unit_code(u) == wanted]
        if len(hits) == 1:
            return hits[0], "code"
        if _blank(name):
            raise RowError("code", code, f"no {level} with code {wanted!r} in admin_units.csv")
    if _blank(name):
        raise RowError("name", name, f"neither a {level} name nor a code is given")
    text = str(name).strip()
    pool = [u for u in units if district is None or u.district_code == district]
    if parent:
        pool = [u for u in pool if parent in (u.parent_code, u.parent_name)] or pool
    for how in ("name", "normalised"):
        hits = [u for u in pool if _same(u.name, text, level if how == "normalised" else "")]
        if len(hits) == 1:
            return hits[0], how
        if len(hits) > 1:
            where = ", ".join(f"{u.parent_name} ({u.parent_code})" for u in hits)
            raise RowError("name", name, f"{level} name {text!r} is ambiguous: in {where}; "
                                         "give a parent column (所属街道) or a code")
    close = difflib.get_close_matches(text, [u.name for u in pool or units], n=1, cutoff=0.0)
    hint = f"; closest known: {close[0]!r}" if close else ""
    inside = f" in district {district}" if district else ""
    raise RowError("name", name, f"no {level} named {text!r}{inside} in admin_units.csv{hint}")


def _same(a: str, b: str, level: str) -> bool:
    """Equal names after NFKC folding (and, given a level, dropping its suffixes)."""
    if level:
        return normalise_name(a, level) == normalise_name(b, level)
    return unicodedata.normalize("NFKC", a).strip() == unicodedata.normalize("NFKC", b).strip()


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    parts = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon | MultiPolygon)]
    polys = [p for g in parts for p in getattr(g, "geoms", [g])]
    return MultiPolygon(polys) if len(polys) > 1 else (polys[0] if polys else Polygon())


def _geometry(raw: RawRow) -> tuple[BaseGeometry, str | None]:
    """A valid (Multi)Polygon and the repair note, if it had to be repaired."""
    if raw.geometry is None:
        raise RowError("geometry", None, "missing geometry")
    try:
        return check_geometry(raw.geometry, allowed=("Polygon", "MultiPolygon")), None
    except InvalidGeometry as err:
        if err.value not in ("Polygon", "MultiPolygon"):
            raise
        fixed = _polygonal(shapely.make_valid(err.shape))
        if fixed.is_empty:
            raise RowError("geometry", err.value, f"{err.reason}; make_valid leaves no "
                                                  "polygon") from None
        return fixed, f"{err.reason}: repaired with make_valid"


def _to_wgs84(table: RawTable) -> Transformer | None:
    wkt = table.meta.get("crs")
    if not wkt:
        return None
    try:
        crs = CRS.from_user_input(wkt)
    except CRSError as exc:
        raise RegistryError(f"{table.name}: the .prj is not a CRS pyproj understands: "
                            f"{exc}", file=table.name) from None
    if crs.is_geographic and crs.to_epsg(min_confidence=70) == 4326:
        return None
    return Transformer.from_crs(crs, "EPSG:4326", always_xy=True)


def _convert(geom: BaseGeometry, transformer: Transformer | None, datum: Datum) -> BaseGeometry:
    def move(xy: Any) -> Any:
        x, y = xy[:, 0], xy[:, 1]
        if transformer is not None:
            x, y = transformer.transform(x, y)
        if datum is not Datum.WGS84:
            x, y = convert(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64),
                           src=datum, dst=Datum.WGS84)
        return np.column_stack([x, y])
    if transformer is None and datum is Datum.WGS84:
        return geom
    out = shapely.transform(geom, move)
    coords = shapely.get_coordinates(out)
    if not np.isfinite(coords).all():
        raise RowError("geometry", "", "coordinates do not convert to WGS-84 (wrong .prj?)")
    return out if out.is_valid else _polygonal(shapely.make_valid(out))


def _district_of(geom: BaseGeometry, city: Boundaries) -> str | None:
    point = geom.representative_point()
    for unit in city.units:
        if unit.geometry.contains(point):
            return unit.code
    return None


class _Rows:
    """Collects rejected rows and notes of one file."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []
        self.notes: list[Problem] = []

    def reject(self, row: int, err: RowError) -> None:
        self.problems.append(err.at(self.source, row))

    def note(self, row: int, column: str, value: Any, text: str) -> None:
        self.notes.append(Problem(self.source, row, column, shown_value(value), text))


def prepare_areas(source: str | os.PathLike[str] | bytes, *, level: str,
                  datum: Datum | str = Datum.WGS84, name_field: str | None = None,
                  code_field: str | None = None, district_field: str | None = None,
                  parent_field: str | None = None, name: str | None = None,
                  layer: str | None = None, max_bytes: int = MAX_BYTES) -> AreaImport:
    """Read, check and match an area file; nothing is stored.

    Parameters
    ----------
    source : path or bytes
        GeoJSON, GeoPackage (EPSG:4326) or a ``.zip`` holding a Shapefile (any CRS in its
        ``.prj``; none means WGS-84 lon/lat).
    level : {"subdistrict", "community"}
        The level every polygon belongs to.
    datum : {"wgs84", "gcj02", "bd09"}
        Datum of lon/lat coordinates picked on Amap (gcj02) or Baidu (bd09).
    name_field, code_field, district_field, parent_field : str, optional
        Columns holding the unit's name, code, district and parent subdistrict; by
        default recognised from common names (名称/name, 代码/code, 区县/district, ...).

    Raises
    ------
    RegistryError
        When the file cannot be read at all, or the level or datum is unknown.
    """
    if level not in AREA_LEVELS:
        raise RegistryError(f"level must be one of {', '.join(AREA_LEVELS)}, got {level!r}")
    try:
        dat = Datum.parse(datum) if isinstance(datum, str) else datum
    except ValueError as exc:
        raise RegistryError(str(exc)) from None
    data, shown = read_source(source, max_bytes=max_bytes, name=name)
    table = read_area_table(data, name=shown, max_bytes=max_bytes, layer=layer)
    digest = hashlib.sha256(data).hexdigest()
    for column, wanted in (("--name-field", name_field), ("--code-field", code_field),
                           ("--district-field", district_field),
                           ("--parent-field", parent_field)):
        if wanted is not None and wanted not in table.columns:
            raise RegistryError(f"{table.name}: {column} {wanted!r} is not a column; columns: "
                                f"{list(table.columns)}", file=table.name)
    transformer = _to_wgs84(table)
    city = load_boundaries()  # the shipped city and districts
    area = city.area.geometry
    known = admin_names()  # geodata/lanzhou/admin_units.csv
    out = _Rows(table.name)
    units: list[AdminUnit] = []
    seen: dict[str, int] = {}
    for raw in table.rows:
        if raw.error is not None:
            out.reject(raw.row, RowError(*raw.error))
            continue
        try:
            geom, repaired = _geometry(raw)
            geom = _convert(geom, transformer, dat)
            inside = equal_area_m2(geom.intersection(area)) / max(equal_area_m2(geom), 1e-9)
            if inside < MIN_INSIDE:
                raise RowError("geometry", geom.geom_type, f"outside the city boundary "
                               f"({inside:.0%} of its area is inside {city.area.name})")
            _, dval = _field(raw.fields, district_field, _DISTRICT_FIELDS)
            district = _district_code(dval, city) or _district_of(geom, city)
            code_names, name_names, parent_names = _FIELDS[level]
            _, parent = _field(raw.fields, parent_field, parent_names)
            ccol, code = _field(raw.fields, code_field, code_names)
            ncol, label = _field(raw.fields, name_field, name_names)
            try:
                unit, how = match_unit(level, code=code, name=label, district=district,
                                       parent=None if _blank(parent) else str(parent).strip(),
                                       known=known)
            except RowError as err:  # name the file's own column, not the role
                column = {"code": ccol, "name": ncol}.get(err.column) or err.column
                raise RowError(column, err.value, err.reason) from None
        except RowError as err:
            out.reject(raw.row, err)
            continue
        key = unit_code(unit)
        if key in seen:
            out.reject(raw.row, RowError(ncol or ccol or "name", label or code,
                                         f"{unit.name} ({key}) is already row {seen[key]}"))
            continue
        seen[key] = raw.row
        if repaired:
            out.note(raw.row, "geometry", raw.geometry.get("type"), repaired)
        if inside < 0.99:
            out.note(raw.row, "geometry", geom.geom_type,
                     f"{1 - inside:.0%} of the polygon lies outside {city.area.name} (kept)")
        if how == "normalised":
            out.note(raw.row, ncol, label, f"matched {unit.name} ({key}) by normalised name")
        elif how == "name" and not _blank(code):
            out.note(raw.row, ccol, code, f"code unknown; matched {unit.name} by name")
        units.append(AdminUnit(key, unit.name, level, geom, unit.parent_code,
                               unit.district_code))
    return AreaImport(level, table.name, digest, dat.value, len(table.rows), tuple(units),
                      tuple(out.problems), tuple(out.notes))


def _district_code(value: Any, city: Boundaries) -> str | None:
    if _blank(value):
        return None
    text = unicodedata.normalize("NFKC", str(value)).strip()
    for unit in city.units:
        if text in (unit.code, unit.name) or text[:6] == unit.code:
            return unit.code
    return None
