"""What a nearest query asks for (:class:`Filters`) and what each answer is (:class:`Hit`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from locator.model import Amenity, Entry, Kind, Station

__all__ = ["Filters", "Hit"]


@dataclass(frozen=True, slots=True)
class Filters:
    """What a station must satisfy. Empty filters accept every station.

    ``amenities`` means *all* of them; ``kinds`` and ``entries`` mean *any* of them (a
    station whose entry is unknown matches no ``entries``); with ``open_at`` a station
    without hours counts as not open (unknown).
    """

    kinds: frozenset[Kind] = frozenset()
    amenities: frozenset[Amenity] = frozenset()
    open_at: datetime | None = None
    only_24h: bool = False
    entries: frozenset[Entry] = frozenset()

    @property
    def empty(self) -> bool:
        """True when nothing is filtered."""
        return not (self.kinds or self.amenities or self.open_at or self.only_24h
                    or self.entries)

    def accepts(self, station: Station) -> bool:
        """Whether ``station`` has a wanted kind, every wanted amenity, a wanted entry and, if
        asked, 24 h.

        ``open_at`` is not checked here: for many stations :meth:`NearestIndex.mask`
        evaluates each distinct timetable once.
        """
        return ((not self.kinds or station.kind in self.kinds)
                and self.amenities <= station.amenities
                and (not self.only_24h or station.always_open)
                and (not self.entries or station.entry in self.entries))


class Hit(NamedTuple):
    """One result: the station, geodesic metres and travel minutes.

    A named tuple rather than a dataclass: results are built on the hot path of
    every query, and tuple construction is several times cheaper.
    """

    station: Station
    distance_m: float
    walk_min: float
    ebike_min: float
    #: the straight line to it crosses a river (the minutes may be far too low)
    crosses_river: bool = False
