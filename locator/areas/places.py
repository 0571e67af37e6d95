"""Offline gazetteer of Lanzhou: districts, subdistricts, communities and landmarks.

A worker types hanzi (``盐场路``), full pinyin (``yanchang``, ``yanchanglu``), initials
(``yclj``) or a common short name (``兰大``) and gets ranked places to use as "my point".
Everything comes from ``geodata/lanzhou`` (and, for subdistricts and communities, from
polygons a planner imported); no network.

Where each point comes from, and how far the place may be from it (``precision_m``):

* **Landmarks** (``places.csv``): their cited WGS-84 point and the precision carried with it.
* **Districts and the city**: the seat of government (GeoNames, in ``places.csv``), with
  the radius of a circle of the unit's area as precision: someone who only says "城关区" may
  be anywhere in it, and the seat is the one point of it with a source.
* **Subdistricts and communities** have no public coordinates. With an imported polygon
  (``locator areas import``) the point is the polygon's centroid (its representative point
  when the centroid falls outside) and the precision the radius of its area; without one
  the point is the district's seat with the *district's* precision. No point is invented.
  Units of 兰州新区 (620171), which has neither polygon nor seat, are left out.

``approximate`` is true when the precision is over :data:`APPROXIMATE_M`: distances from
such a point must be shown as estimates. ``aliases.csv`` maps cited short names to the
names they stand for (``兰大`` → ``兰州大学``); an alias typed as a whole word is searched as
that name.

Ranking, best first: a whole-key match, then a prefix, then a substring; a name match
beats a match on a parent's name; then pasted coordinates, districts, landmarks, stations,
subdistricts, communities (so ``白塔山`` finds a landmark of that name before a community
that merely shares it); then shorter names. Each whitespace-separated word must match the
place's own name or a parent's (``城关 盐场`` narrows to 盐场路街道 in 城关区).
"""

from __future__ import annotations

import csv
import dataclasses
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from locator import resources
from locator.areas.keys import keys_of, norm, pinyin
from locator.areas.store import StoredAreas
from locator.areas.textindex import NO_MATCH, TextIndex
from locator.areas.units import AdminName, AdminUnit, admin_names, unit_code
from locator.errors import QueryError
from locator.geo.geodesic import area_radius_m

__all__ = ["APPROXIMATE_M", "GEODATA", "LEVEL_RANK", "MAX_LIMIT", "MAX_QUERY", "Gazetteer",
           "Place", "all_places", "check_query", "gazetteer", "landmarks", "rank", "search"]

GEODATA = resources.geodata_dir() / "lanzhou"
MAX_QUERY = 64  #: longest query accepted, in characters
MAX_LIMIT = 50
APPROXIMATE_M = 500.0  #: a point less precise than this stands for an area

LEVEL_RANK = {"coordinates": -1, "city": 0, "district": 0, "landmark": 1, "station": 1,
              "subdistrict": 2, "community": 3}
_SEATS = ("district_seat", "city_centre")


@dataclass(frozen=True, slots=True)
class Place:
    """A named point a visitor can search from.

    Attributes
    ----------
    id : str
        Stable id for a URL (``?place=``): ``u:<unit code>`` for administrative units,
        ``l:<name>`` for landmarks, ``st:<station id>`` for stations, ``ll:<lat>,<lon>~<m>``
        for pasted coordinates.
    name : str
        Chinese name as written locally (``盐场路街道``).
    name_en : str
        English or pinyin name (``Yanchanglu Jiedao``).
    level : str
        ``city``, ``district``, ``subdistrict``, ``community``, ``landmark``, ``station`` or
        ``coordinates``.
    kind : str
        Finer type: the ``places.csv`` kind (``square`` ...), the station kind, or ``level``.
    lon, lat : float
        WGS-84 degrees.
    precision_m : float
        How far the place may be from the point, in metres.
    approximate : bool
        True when ``precision_m`` is over :data:`APPROXIMATE_M`.
    parents : tuple of str
        Enclosing units, outermost first (``("城关区",)`` for a subdistrict).
    district_code : str or None
        6-digit code of the district or county.
    basis : str
        How the point was made: ``cited`` (a source's point), ``seat`` (the unit's seat of
        government), ``district_seat`` (the seat of the district it lies in), ``polygon``
        (an imported polygon's centroid), ``station`` or ``coordinates``.
    """

    id: str
    name: str
    name_en: str
    level: str
    kind: str
    lon: float
    lat: float
    precision_m: float
    approximate: bool
    parents: tuple[str, ...] = ()
    district_code: str | None = None
    basis: str = "cited"

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (coordinates rounded to 1e-6°, precision to whole metres)."""
        return {"id": self.id, "name": self.name, "name_en": self.name_en, "level": self.level,
                "kind": self.kind, "lon": round(self.lon, 6), "lat": round(self.lat, 6),
                "precision_m": round(self.precision_m), "approximate": self.approximate,
                "basis": self.basis, "parents": list(self.parents),
                "district_code": self.district_code}


def _centre(geom: BaseGeometry) -> Point:
    """The centroid, or a point surely inside when the centroid falls outside."""
    point = geom.centroid
    return point if geom.contains(point) else geom.representative_point()


def _approximate(precision_m: float) -> bool:
    return precision_m > APPROXIMATE_M


class Gazetteer:
    """Searchable places: their records, name keys and parents' keys.

    Parameters
    ----------
    places : sequence of Place
        In file order (the last tie-breaker of the ranking).
    own, parent : sequence of tuple of str
        Normalised keys of each place's names, and of its parents' names.
    aliases : dict
        Normalised alias → the name it stands for.
    """

    def __init__(self, places: Sequence[Place], own: Sequence[tuple[str, ...]],
                 parent: Sequence[tuple[str, ...]], aliases: dict[str, str]) -> None:
        self.places = tuple(places)
        self.by_id = {p.id: p for p in self.places}
        self.own = TextIndex(own)
        self.parent = TextIndex(parent)
        self.aliases = aliases
        self.level_rank = np.array([LEVEL_RANK.get(p.level, 9) for p in self.places])
        self.name_length = np.array([len(p.name) for p in self.places])

    def words(self, query: str) -> list[str]:
        """The query's normalised words, whole-word aliases replaced by what they stand for."""
        out = []
        for word in query.split():
            key = norm(word)
            if key:
                out.append(self.aliases.get(key, key))
        return out

    def scores(self, words: Sequence[str]) -> np.ndarray[Any, np.dtype[np.int64]]:
        """Each place's total score for the words (lower is better); ``-1`` for no match."""
        total = np.zeros(len(self.places), dtype=np.int64)
        matched = np.ones(len(self.places), dtype=bool)
        own_hit = np.zeros(len(self.places), dtype=bool)
        for word in words:
            own = self.own.scores(word).astype(np.int64)
            parent = self.parent.scores(word).astype(np.int64)
            hit = own < NO_MATCH
            via_parent = ~hit & (parent < NO_MATCH)
            own_hit |= hit
            matched &= hit | via_parent
            total += np.where(hit, own, 3 + parent)
        return np.where(matched & own_hit, total, -1)


def rank(gazetteer: Gazetteer, words: Sequence[str], limit: int) -> list[tuple[int, Place]]:
    """The best ``limit`` places for ``words`` with their scores, best first."""
    scores = gazetteer.scores(words)
    found = np.flatnonzero(scores >= 0)
    if not found.size:
        return []
    order = np.lexsort((found, gazetteer.name_length[found], gazetteer.level_rank[found],
                        scores[found]))
    best = found[order[:limit]]
    return [(int(scores[i]), gazetteer.places[i]) for i in best.tolist()]


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@dataclass(frozen=True, slots=True)
class _Files:
    """The shipped files of a gazetteer folder, read once."""

    units: dict[str, tuple[dict[str, Any], float]]  # code → (properties, area radius)
    admin: tuple[AdminName, ...]
    places: list[dict[str, str]]
    aliases: list[dict[str, str]]


@lru_cache(maxsize=8)
def _files(folder: Path) -> _Files:
    with (folder / "boundaries.geojson").open(encoding="utf-8") as fh:
        features = json.load(fh)["features"]
    units = {str(f["properties"]["code"]): (f["properties"], area_radius_m(shape(f["geometry"])))
             for f in features}
    alias_path = folder / "aliases.csv"
    return _Files(units, admin_names(folder / "admin_units.csv"),
                  _read_csv(folder / "places.csv"),
                  _read_csv(alias_path) if alias_path.exists() else [])


def _build(folder: Path, imported: tuple[AdminUnit, ...]) -> Gazetteer:
    files = _files(folder)
    seats = {r["district_code"]: r for r in files.places if r["kind"] == "district_seat"}
    city_seat = next((r for r in files.places if r["kind"] == "city_centre"), None)
    polygons = {u.code: u for u in imported}
    places: list[Place] = []
    own: list[tuple[str, ...]] = []
    parent: list[tuple[str, ...]] = []

    def add(place: Place, names: Sequence[str], ups: Sequence[str]) -> None:
        places.append(place)
        own.append(tuple(dict.fromkeys(k for n in names for k in (*keys_of(n), norm(n)))))
        parent.append(tuple(k for p in ups for k in keys_of(p)))

    districts: dict[str, Place] = {}
    for code, (props, radius) in files.units.items():
        level = "city" if props.get("level") == "city" else "district"
        seat = city_seat if level == "city" else seats.get(code)
        if seat is None:
            continue
        precision = max(radius, float(seat["precision_m"]))
        name, name_en = str(props["name_zh"]), str(props.get("name_en") or "")
        extra = [n.strip() for n in seat["name_zh"].split("/")] if level == "city" else []
        place = Place(f"u:{code}", name, name_en, level, level, float(seat["lon"]),
                      float(seat["lat"]), precision, _approximate(precision), (), code, "seat")
        if level == "district":
            districts[code] = place
        add(place, [name, name_en, *extra], ())
    for unit in files.admin:
        district = districts.get(unit.district_code)
        if unit.level not in ("subdistrict", "community") or district is None:
            continue
        ups: tuple[str, ...] = ((district.name,) if unit.level == "subdistrict"
                                else (district.name, unit.parent_name))
        key = unit_code(unit)
        polygon = polygons.get(key)
        if polygon is not None and polygon.level == unit.level:
            point = _centre(polygon.geometry)
            lon, lat, precision, basis = (float(point.x), float(point.y),
                                          area_radius_m(polygon.geometry), "polygon")
        else:
            lon, lat, precision, basis = (district.lon, district.lat, district.precision_m,
                                          "district_seat")
        add(Place(f"u:{key}", unit.name, pinyin(unit.name).capitalize(), unit.level,
                  unit.level, lon, lat, precision, _approximate(precision), ups,
                  unit.district_code, basis), [unit.name], ups)
    for mark in landmarks(folder):
        if mark.kind in _SEATS:
            continue
        seat_code = mark.district_code
        ups = (districts[seat_code].name,) if seat_code in districts else ()
        add(dataclasses.replace(mark, parents=ups), [*mark.name.split(" / "), mark.name_en],
            ups)
    aliases: dict[str, str] = {}
    for row in files.aliases:
        for key in (norm(row["alias"]), norm(pinyin(row["alias"]))):
            aliases.setdefault(key, norm(row["name"]))
    return Gazetteer(places, own, parent, aliases)


@lru_cache(maxsize=4)
def landmarks(folder: Path = GEODATA) -> tuple[Place, ...]:
    """Every cited point of ``places.csv`` (landmarks, district seats, the city centre) as a
    :class:`Place`, without building the search keys (pinyin of every unit, ~1 s): what the
    planner's settled area and site names need."""
    out = []
    for row in _files(folder).places:
        names = [n.strip() for n in row["name_zh"].split("/") if n.strip()]
        precision = float(row["precision_m"])
        out.append(Place(f"l:{names[0]}", " / ".join(names), row["name_en"], "landmark",
                         row["kind"], float(row["lon"]), float(row["lat"]), precision,
                         _approximate(precision), (), row["district_code"] or None, "cited"))
    return tuple(out)


_cache: dict[tuple[Path, tuple[Any, ...]], Gazetteer] = {}
_lock = threading.Lock()


def gazetteer(*, folder: Path = GEODATA, areas: Sequence[StoredAreas] = ()) -> Gazetteer:
    """The gazetteer of ``folder`` with imported ``areas`` (built once per import).

    Parameters
    ----------
    folder : Path
        Holds ``boundaries.geojson``, ``admin_units.csv``, ``places.csv``, ``aliases.csv``.
    areas : sequence of StoredAreas
        Imported subdistrict and community polygons (:func:`locator.areas.store.areas_for`).
    """
    key = (folder, tuple((s.level, s.stamp) for s in areas))
    with _lock:
        found = _cache.get(key)
    if found is None:
        found = _build(folder, tuple(u for s in areas for u in s.units))
        with _lock:
            while len(_cache) >= 8:
                _cache.pop(next(iter(_cache)))
            _cache[key] = found
    return found


def all_places(*, folder: Path = GEODATA, areas: Sequence[StoredAreas] = ()) -> list[Place]:
    """Every searchable place, in file order (city and districts, admin units, landmarks)."""
    return list(gazetteer(folder=folder, areas=areas).places)


def check_query(query: object, limit: object) -> None:
    """Raise :class:`QueryError` naming ``q`` or ``limit`` when either is out of bounds."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise QueryError("limit", f"limit must be a whole number 1-{MAX_LIMIT}, got {limit!r}")
    if not isinstance(query, str):
        raise QueryError("q", f"query must be text, got {query!r}")
    if len(query) > MAX_QUERY:
        raise QueryError("q", f"query must be at most {MAX_QUERY} characters, got "
                              f"{len(query)}: {query[:20]!r}...")


def search(query: str, *, limit: int = 10, areas: Sequence[StoredAreas] = ()) -> list[Place]:
    """Places matching ``query`` by hanzi, full pinyin, initials or alias, best first.

    Parameters
    ----------
    query : str
        What the visitor typed: ``盐场路``, ``yanchang``, ``yclj``, ``城关 盐场``, ``兰大``.
        Case, spaces and apostrophes between pinyin syllables do not matter.
    limit : int
        Most results returned, 1 to 50.
    areas : sequence of StoredAreas
        Imported subdistrict/community polygons, which give those units better points.

    Returns
    -------
    list of Place
        Ranked as described in the module docstring; empty for a blank query.

    Raises
    ------
    QueryError
        (param ``q``) for a query over :data:`MAX_QUERY` characters; (param ``limit``) for a
        limit outside 1-50.
    """
    check_query(query, limit)
    found = gazetteer(areas=areas)
    words = found.words(query)
    return [place for _, place in rank(found, words, limit)] if words else []
