""""Where am I" search: what a worker types, turned into a point to search from.

One box takes everything a worker might type, and :func:`lookup` tries, in order:

1. **coordinates** pasted from a map or a message (:mod:`locator.areas.coords`; the
   visitor says which map they came from, since Amap copies GCJ-02);
2. **kinds** of station by their Chinese or English name (``零工市场``, ``司机之家``,
   ``gig``): the page then lists the nearest of that kind;
3. **places** of the gazetteer (:mod:`locator.areas.places`) and **stations** of the served
   registry by name or address, ranked together.

Stations are indexed once per registry (their names' pinyin takes ~0.1 ms each to work
out, so 10,000 stations take about a second, on the first search after a registry swap);
a search then costs a few hundred microseconds at 10,000 stations (``bench/places.py``).
:func:`resolve` turns a result's ``id`` (in a shared link: ``?place=``) back into it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from locator.areas import places
from locator.areas.coords import parse_coordinates
from locator.areas.keys import keys_of, norm
from locator.areas.places import APPROXIMATE_M, Place
from locator.areas.store import StoredAreas
from locator.areas.textindex import NO_MATCH, TextIndex
from locator.errors import QueryError
from locator.geo.datum import Datum
from locator.model import KIND_LABELS, KIND_NAMES_ZH, Kind, Station

__all__ = ["Found", "lookup", "resolve", "station_place"]

COORDINATE_ID = "ll:"
STATION_ID = "st:"


@lru_cache(maxsize=1)
def _kind_words() -> dict[Kind, tuple[str, ...]]:
    """Each kind's keys: its Chinese name (hanzi, pinyin, initials), English label, value.

    Made on the first search, not at import: pinyin loads ~55 MB that an API-only worker
    never needs (``tests/test_serve.py``)."""
    return {kind: tuple(dict.fromkeys((*keys_of(KIND_NAMES_ZH[kind]), norm(KIND_LABELS[kind]),
                                       norm(kind.value))))
            for kind in Kind}


@dataclass(frozen=True, slots=True)
class Found:
    """What a query found: points to search from, and kinds of station it named.

    Attributes
    ----------
    places : list of Place
        Ranked: pasted coordinates first, then places and stations together.
    kinds : list of Kind
        Kinds of station the query names (``零工市场`` → ``gig_market``).
    """

    places: list[Place]
    kinds: list[Kind]


def station_place(station: Station) -> Place:
    """A located station as a point to search from (its own precision, 0 when unknown)."""
    if station.lon is None or station.lat is None:
        raise ValueError(f"station {station.id!r} has no location")
    precision = float(station.precision_m or 0.0)
    return Place(f"{STATION_ID}{station.id}", station.name, "", "station", station.kind.value,
                 station.lon, station.lat, precision, precision > APPROXIMATE_M,
                 (station.address,) if station.address else (), station.district_code,
                 "station")


class _StationIndex:
    """Station names (hanzi, pinyin, initials) and addresses (hanzi), for one registry."""

    def __init__(self, stations: Sequence[Station]) -> None:
        self.stations = tuple(s for s in stations if s.located)
        self.names = TextIndex([keys_of(s.name) for s in self.stations])
        self.addresses = TextIndex([(norm(s.address),) if s.address else ()
                                    for s in self.stations])
        self.by_id = {s.id: s for s in self.stations}
        self.name_length = np.array([len(s.name) for s in self.stations], dtype=np.int64)

    def rank(self, words: Sequence[str], limit: int) -> list[tuple[int, Place]]:
        """Stations whose name (or, one step worse, address) holds every word."""
        total = np.zeros(len(self.stations), dtype=np.int64)
        matched = np.ones(len(self.stations), dtype=bool)
        for word in words:
            name = self.names.scores(word).astype(np.int64)
            address = self.addresses.scores(word).astype(np.int64)
            best = np.minimum(name, address + 1)
            matched &= best < NO_MATCH
            total += best
        found = np.flatnonzero(matched)
        order = np.lexsort((found, self.name_length[found], total[found]))[:limit]
        return [(int(total[i]), station_place(self.stations[i])) for i in found[order].tolist()]


_indexes: dict[int, tuple[object, _StationIndex]] = {}
_lock = threading.Lock()


def _stations(stations: Sequence[Station]) -> _StationIndex:
    """The index of ``stations`` (one per registry: kept while the same sequence is served)."""
    key = id(stations)
    with _lock:
        cached = _indexes.get(key)
    if cached is not None and cached[0] is stations:
        return cached[1]
    built = _StationIndex(stations)
    with _lock:
        _indexes.clear()
        _indexes[key] = (stations, built)
    return built


def lookup(query: str, *, stations: Sequence[Station] = (), areas: Sequence[StoredAreas] = (),
           datum: Datum | str = Datum.WGS84, limit: int = 10) -> Found:
    """Everything ``query`` can mean as a point to search from, best first.

    Parameters
    ----------
    query : str
        What the visitor typed or pasted.
    stations : sequence of Station
        The served registry (its located stations are searched by name and address).
    areas : sequence of StoredAreas
        Imported subdistrict/community polygons (better points for those units).
    datum : Datum or str
        The datum of pasted coordinates: ``wgs84`` (GPS), ``gcj02`` (Amap, Tencent) or
        ``bd09`` (Baidu).
    limit : int
        Most places returned, 1 to 50.

    Raises
    ------
    QueryError
        (param ``q``, ``limit`` or ``datum``) for a query over 64 characters, a limit outside
        1-50 or an unknown datum.
    """
    places.check_query(query, limit)
    try:
        source = Datum.parse(datum)
    except ValueError:
        raise QueryError("datum", f"datum must be one of wgs84, gcj02, bd09, got {datum!r}"
                         ) from None
    point = parse_coordinates(query, datum=source)
    if point is not None:
        precision = point.precision_m
        pid = f"{COORDINATE_ID}{point.lat:.6f},{point.lon:.6f}~{precision:.0f}"
        return Found([_coordinates(pid)], [])
    gazetteer = places.gazetteer(areas=areas)
    words = gazetteer.words(query)
    if not words:
        return Found([], [])
    kinds = [kind for kind, keys in _kind_words().items()
             if all(any(w in k for k in keys) for w in words)]
    ranked = places.rank(gazetteer, words, limit)
    if stations:
        ranked += _stations(stations).rank(words, limit)
    ranked.sort(key=lambda pair: (pair[0], places.LEVEL_RANK.get(pair[1].level, 9),
                                  len(pair[1].name)))
    return Found([p for _, p in ranked[:limit]], kinds)


def _coordinates(pid: str) -> Place:
    """The place of a coordinate id ``ll:<lat>,<lon>~<precision m>`` (WGS-84)."""
    body = pid.removeprefix(COORDINATE_ID)
    text, _, precision_text = body.partition("~")
    try:
        lat_text, lon_text = text.split(",")
        lat, lon = float(lat_text), float(lon_text)
        precision = float(precision_text or 0)
    except ValueError:
        raise QueryError("place", f"no place has id {pid!r}") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180 and 0 <= precision <= 100_000):
        raise QueryError("place", f"no place has id {pid!r}")
    return Place(pid, f"{lat:.6f}, {lon:.6f}", "", "coordinates", "coordinates", lon, lat,
                 precision, precision > APPROXIMATE_M, (), None, "coordinates")


def resolve(pid: str, *, stations: Sequence[Station] = (),
            areas: Sequence[StoredAreas] = ()) -> Place:
    """The place a result ``id`` stands for (as :func:`lookup` gave it).

    Raises
    ------
    QueryError
        (param ``place``) when no place, station or coordinate has that id.
    """
    if pid.startswith(COORDINATE_ID):
        return _coordinates(pid)
    if pid.startswith(STATION_ID):
        station = _stations(stations).by_id.get(pid.removeprefix(STATION_ID))
        if station is None:
            raise QueryError("place", f"no located station has id "
                                      f"{pid.removeprefix(STATION_ID)!r}")
        return station_place(station)
    found = places.gazetteer(areas=areas).by_id.get(pid)
    if found is None:
        raise QueryError("place", f"no place has id {pid!r}")
    return found
