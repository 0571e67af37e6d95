"""Offline place search: districts, subdistricts, communities and landmarks of Lanzhou.

A rider types hanzi (``盐场路``), full pinyin (``yanchang``, ``yanchanglu``) or initials
(``yclj``) and gets ranked places to use as "my point". Everything comes from
``geodata/lanzhou`` and is read once per process; no network.

Where the points come from (and how good they are):

* ``places.csv`` rows (district seats from GeoNames, landmarks from cited pages): their
  own WGS-84 point and ``precision_m``.
* Districts (``boundaries.geojson``): a **label point**, shapely's
  ``representative_point()`` of the district polygon — a point guaranteed to lie *inside*
  the polygon, not its centroid and not the seat of government. ``precision_m`` is the
  radius of a circle of the district's area: the point says "somewhere in this district".
* Subdistricts and communities (``admin_units.csv``) have **no public coordinates**. They
  are placed at their district's label point with the district's precision, and
  ``approximate`` says the point only locates the district. No coordinate is invented.
  Units of 兰州新区 (620171), which has no polygon, are left out.

Ranking, best first: a whole-key match, then a prefix, then a substring; a name match
beats a match on a parent's name; then districts, landmarks, subdistricts, communities;
then shorter names. Each whitespace-separated query word must match the place's own name
or a parent's (``城关 盐场`` narrows to 盐场路街道 in 城关区).
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pyproj import Geod
from shapely.geometry import shape

from locator import resources
from locator.errors import QueryError

__all__ = ["GEODATA", "MAX_QUERY", "Place", "all_places", "landmarks", "search"]

GEODATA = resources.geodata_dir() / "lanzhou"
MAX_QUERY = 64  #: longest query accepted, in characters
MAX_LIMIT = 50

_GEOD = Geod(ellps="WGS84")
_LEVEL_RANK = {"district": 0, "landmark": 1, "subdistrict": 2, "community": 3}
_SPACES = re.compile(r"[\s'’·,，、/]+")


@dataclass(frozen=True, slots=True)
class Place:
    """A named place a visitor can pick as their point.

    Attributes
    ----------
    name : str
        Chinese name as written locally (``盐场路街道``).
    name_en : str
        English or pinyin name (``Yanchanglu Jiedao``).
    level : str
        ``district``, ``subdistrict``, ``community`` or ``landmark``.
    kind : str
        Finer type: the ``places.csv`` kind (``district_seat``, ``square`` ...) or ``level``.
    lon, lat : float
        WGS-84 degrees.
    precision_m : float
        How far the place may be from the point, in metres.
    approximate : bool
        True when the point only locates the *district* the place lies in.
    parents : tuple of str
        Enclosing units, outermost first (``("城关区",)`` for a subdistrict).
    district_code : str or None
        6-digit code of the district or county.
    """

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

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (coordinates rounded to 1e-6°, precision to whole metres)."""
        return {"name": self.name, "name_en": self.name_en, "level": self.level,
                "kind": self.kind, "lon": round(self.lon, 6), "lat": round(self.lat, 6),
                "precision_m": round(self.precision_m), "approximate": self.approximate,
                "parents": list(self.parents), "district_code": self.district_code}


@dataclass(frozen=True, slots=True)
class _Entry:
    place: Place
    own: tuple[str, ...]  # normalised keys of the place's names
    parent: tuple[str, ...]  # keys of its parents' names


def _norm(text: str) -> str:
    return _SPACES.sub("", text).lower()


def _pinyin(hanzi: str, *, initials: bool = False) -> str:
    """Toneless pinyin of ``hanzi``, syllables joined (or only their initials).

    pypinyin is imported here, on the first search, not with the app: loading its phrase
    dictionary takes ~0.25 s that a worker need not spend before it can answer.
    """
    from pypinyin import Style, lazy_pinyin

    style = Style.FIRST_LETTER if initials else Style.NORMAL
    return "".join(lazy_pinyin(hanzi, style=style, v_to_u=False))


def _keys(name: str) -> tuple[str, ...]:
    """Hanzi, full pinyin and initials of a name (all lower case, no spaces)."""
    hanzi = _norm(name)
    full = _norm(_pinyin(hanzi))
    initials = _norm(_pinyin(hanzi, initials=True))
    return tuple(dict.fromkeys(k for k in (hanzi, full, initials) if k))


def _label_point(geometry: dict[str, Any]) -> tuple[float, float, float]:
    """A point inside the polygon and the radius (m) of a circle of its area."""
    geom = shape(geometry)
    point = geom.representative_point()
    area, _ = _GEOD.geometry_area_perimeter(geom)
    return float(point.x), float(point.y), math.sqrt(abs(area) / math.pi)


@lru_cache(maxsize=4)
def _load(folder: Path) -> tuple[_Entry, ...]:
    with (folder / "boundaries.geojson").open(encoding="utf-8") as fh:
        features = json.load(fh)["features"]
    districts: dict[str, tuple[str, str, float, float, float]] = {}
    for feature in features:
        props = feature["properties"]
        if props.get("level") == "district":
            lon, lat, radius = _label_point(feature["geometry"])
            districts[str(props["code"])] = (props["name_zh"], props.get("name_en") or "",
                                             lon, lat, radius)
    entries: list[_Entry] = []
    for code, (name, name_en, lon, lat, radius) in districts.items():
        place = Place(name, name_en, "district", "district", lon, lat, radius, False, (), code)
        entries.append(_Entry(place, _keys(name) + ((_norm(name_en),) if name_en else ()), ()))
    with (folder / "admin_units.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            code = row["district_code"]
            if row["level"] not in ("subdistrict", "community") or code not in districts:
                continue
            dname, _, lon, lat, radius = districts[code]
            parents = ((dname,) if row["level"] == "subdistrict"
                       else (dname, row["parent_name_zh"]))
            pinyin = _pinyin(row["name_zh"]).capitalize()
            place = Place(row["name_zh"], pinyin, row["level"], row["level"], lon, lat,
                          radius, True, parents, code)
            entries.append(_Entry(place, _keys(row["name_zh"]),
                                  tuple(k for p in parents for k in _keys(p))))
    for mark in landmarks(folder):
        seat = mark.district_code
        up: tuple[str, ...] = (districts[seat][0],) if seat in districts else ()
        own = (*(k for n in mark.name.split(" / ") for k in _keys(n)), _norm(mark.name_en))
        entries.append(_Entry(dataclasses.replace(mark, parents=up), tuple(dict.fromkeys(own)),
                              tuple(k for p in up for k in _keys(p))))
    return tuple(entries)


@lru_cache(maxsize=4)
def landmarks(folder: Path = GEODATA) -> tuple[Place, ...]:
    """The cited settlements and landmarks of ``places.csv`` alone, without building the
    search keys (pinyin of every unit, ~1 s): what the planner's settled area and site
    names need."""
    out = []
    with (folder / "places.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            names = [n.strip() for n in row["name_zh"].split("/") if n.strip()]
            out.append(Place(" / ".join(names), row["name_en"], "landmark", row["kind"],
                             float(row["lon"]), float(row["lat"]), float(row["precision_m"]),
                             False, (), row["district_code"] or None))
    return tuple(out)


def all_places(*, folder: Path = GEODATA) -> list[Place]:
    """Every searchable place, in file order (districts, admin units, then places.csv)."""
    return [e.place for e in _load(folder)]


def _word_score(word: str, keys: tuple[str, ...]) -> int | None:
    """0 whole key, 1 prefix, 2 substring, ``None`` no match."""
    best: int | None = None
    for key in keys:
        score = 0 if key == word else 1 if key.startswith(word) else 2 if word in key else None
        if score is not None and (best is None or score < best):
            best = score
    return best


def search(query: str, *, limit: int = 10) -> list[Place]:
    """Places matching ``query`` by hanzi, full pinyin or pinyin initials, best first.

    Parameters
    ----------
    query : str
        What the visitor typed: ``盐场路``, ``yanchang``, ``yclj``, ``城关 盐场``. Case,
        spaces and apostrophes between pinyin syllables do not matter.
    limit : int
        Most results returned, 1 to 50.

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
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise QueryError("limit", f"limit must be a whole number 1-{MAX_LIMIT}, got {limit!r}")
    if not isinstance(query, str):
        raise QueryError("q", f"query must be text, got {query!r}")
    if len(query) > MAX_QUERY:
        raise QueryError("q", f"query must be at most {MAX_QUERY} characters, got "
                              f"{len(query)}: {query[:20]!r}...")
    words = [_norm(w) for w in query.split() if _norm(w)]
    if not words:
        return []
    ranked: list[tuple[tuple[int, int, int, int, str], Place]] = []
    for order, entry in enumerate(_load(GEODATA)):
        total = own_hits = 0
        for word in words:
            own = _word_score(word, entry.own)
            if own is not None:
                total += own
                own_hits += 1
                continue
            parent = _word_score(word, entry.parent)
            if parent is None:
                break
            total += 3 + parent
        else:
            if own_hits:
                place = entry.place
                ranked.append(((total, _LEVEL_RANK.get(place.level, 9), len(place.name),
                                order, place.name), place))
    ranked.sort(key=lambda pair: pair[0])
    return [place for _, place in ranked[:limit]]
