"""Station edits: add, edit, move, verify and retire, each saved as one new store version.

Why a whole new version per save rather than updating one row in place: the store's
promises stay true for edits too — every state the registry was ever in is in
``history`` and ``rollback`` undoes the last change, edit or import alike — and a save
is exactly one ``Store.write`` transaction, so a crash or a full disk leaves the old
version or the new one, never a mix. The cost is copying the registry's rows per save
(a few milliseconds for Lanzhou's hundreds of stations).

Concurrency is optimistic at two levels:

* each station has an ETag (:func:`station_etag`, a hash of all its fields); a form or
  an ``If-Match`` carries the one it was loaded with, and a save is refused with
  :class:`~locator.errors.EditConflict` when the station changed meanwhile — edits of
  *other* stations do not conflict;
* the write itself is a compare-and-swap on the active version
  (``Store.write(expected_active=...)``): if an import or another edit landed between
  reading and writing, the save is re-applied to the newer version (and refused if
  that version changed this station).

The audit record of a save (who, action, station id, before and after) is stored in
the version's report, in the same transaction: no change without its audit row.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import Any

from locator.errors import DuplicateStation, EditConflict, NotFound, StoreWriteFailed
from locator.model import Station
from locator.registry.store import (
    COLUMNS,
    ImportMeta,
    Store,
    Version,
    encode_station,
    fingerprint,
)
from locator.stations import hours

__all__ = ["EDIT_SOURCE", "Action", "Saved", "Verified", "apply_edit", "save", "station_dict",
           "station_etag", "verify_many"]

#: ``Version.source`` of versions made by edits (imports carry a file name).
EDIT_SOURCE = "edit:"
_ATTEMPTS = 5


class Action(StrEnum):
    """What a save did to a station."""

    ADD = "add"
    EDIT = "edit"
    MOVE = "move"
    VERIFY = "verify"
    RETIRE = "retire"


def station_dict(s: Station | None) -> dict[str, Any] | None:
    """A station as a JSON-ready dict in the store's column order (``None`` stays ``None``)."""
    return None if s is None else dict(zip(COLUMNS, encode_station(s), strict=True))


def station_etag(s: Station) -> str:
    """A short hash of every field of ``s``: changes whenever anything about it changes."""
    text = json.dumps(encode_station(s), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _find(stations: Sequence[Station], station_id: str) -> int:
    for i, s in enumerate(stations):
        if s.id == station_id:
            return i
    raise NotFound(f"no station with id {station_id!r} in the registry")


def apply_edit(stations: Sequence[Station], action: Action, station_id: str,
               new: Station | None, etag: str | None, *,
               verified_on: date | None = None) -> tuple[list[Station], dict[str, Any]]:
    """The registry after one edit, and its audit record (pure; nothing is written).

    Parameters
    ----------
    stations : sequence of Station
        The registry the edit is based on.
    action : Action
        ``add`` (``new`` is appended), ``edit``/``move`` (``new`` replaces the station
        in place), ``verify`` (the station's ``verified`` becomes ``verified_on``, by
        default today in Lanzhou) or
        ``retire`` (the station is removed; its rows stay in older versions).
    station_id : str
        The station edited.
    new : Station, optional
        The station's new state for ``add``, ``edit`` and ``move``.
    etag : str, optional
        :func:`station_etag` of the station as the editor saw it; required except for ``add``.

    Raises
    ------
    EditConflict
        When the station changed since ``etag`` (or ``add`` names an existing id).
    NotFound
        When the station does not exist.
    """
    rows = list(stations)
    if action is Action.ADD:
        if new is None or new.id != station_id:
            raise ValueError(f"add needs the new station {station_id!r}, got {new!r}")
        if any(s.id == station_id for s in rows):
            raise DuplicateStation(f"a station with id {station_id!r} already exists")
        rows.append(new)
        return rows, _record(action, station_id, None, new)
    i = _find(rows, station_id)
    before = rows[i]
    current = station_etag(before)
    if etag is None or etag != current:
        raise EditConflict(f"station {station_id!r} was changed by someone else since it was "
                           f"loaded (ETag {etag!r}, now {current!r})", current_etag=current)
    if action is Action.RETIRE:
        del rows[i]
        return rows, _record(action, station_id, before, None)
    if action is Action.VERIFY:
        after = replace(before, verified=verified_on or hours.now().date())
    elif new is None or new.id != station_id:
        raise ValueError(f"{action.value} needs the new state of {station_id!r}, got {new!r}")
    else:
        after = new
    rows[i] = after
    return rows, _record(action, station_id, before, after)


def _record(action: Action, station_id: str, before: Station | None,
            after: Station | None) -> dict[str, Any]:
    return {"action": action.value, "station_id": station_id,
            "before": station_dict(before), "after": station_dict(after)}


@dataclass(frozen=True, slots=True)
class Saved:
    """A committed edit: the new version, its stations and the edited station's new state."""

    version: Version
    stations: tuple[Station, ...]
    station: Station | None

    @property
    def etag(self) -> str | None:
        """The station's ETag after the save (``None`` once retired)."""
        return None if self.station is None else station_etag(self.station)


def save(store: Store, action: Action, station_id: str, new: Station | None,
         etag: str | None, *, user: str, base: Callable[[], Sequence[Station]],
         verified_on: date | None = None,
         served: tuple[int, Sequence[Station]] | None = None,
         report: int | None = None) -> Saved:
    """Apply one edit to the store's active version and write it as a new version.

    ``base`` gives the registry to start from when the store is still empty (the
    registry being served, e.g. the shipped data): the first edit copies it into the
    store. ``served`` is the store version the caller serves and its stations: when that
    is still the active version the edit starts from them instead of reading the version
    back (~1 s at 200,000 stations). The save is retried on a newer version when one
    landed meanwhile. ``report`` is the worker's report the edit answers (kept in the
    audit record).

    Raises
    ------
    EditConflict
        When the station changed since ``etag``, or the registry kept changing.
    NotFound
        When the station does not exist.
    StoreWriteFailed
        When the store cannot be written (disk full…); nothing was changed.
    """
    def apply(stations: Sequence[Station]) -> tuple[list[Station], list[dict[str, Any]]]:
        rows, record = apply_edit(stations, action, station_id, new, etag,
                                  verified_on=verified_on)
        if report is not None:
            record["report"] = report
        return rows, [record]

    version, rows = _write(store, apply, f"{EDIT_SOURCE} {action.value} {station_id}",
                           user=user, base=base, served=served, subject=station_id)
    if version is None:  # pragma: no cover - one edit always makes one audit record
        raise ValueError(f"the edit of {station_id!r} changed nothing")
    after = None if action is Action.RETIRE else rows[_find(rows, station_id)]
    return Saved(version, tuple(rows), after)


@dataclass(frozen=True, slots=True)
class Verified:
    """A committed bulk verification: the new version and its stations, which stations were
    verified, and which were skipped because they changed since the list was loaded."""

    version: Version | None
    stations: tuple[Station, ...]
    verified: tuple[str, ...]
    skipped: tuple[str, ...]


def verify_many(store: Store, etags: Mapping[str, str], day: date, *, user: str,
                base: Callable[[], Sequence[Station]],
                served: tuple[int, Sequence[Station]] | None = None) -> Verified:
    """Mark several stations verified on ``day`` in one new version (one audit record each).

    ``etags`` maps each station id to the ETag it was listed with; a station changed or
    retired since then is skipped (and named in :attr:`Verified.skipped`), the others are
    verified. Nothing is written when every one is skipped.

    Raises
    ------
    EditConflict
        When the registry kept changing.
    StoreWriteFailed
        When the store cannot be written; nothing was changed.
    """
    skipped: list[str] = []

    def apply(stations: Sequence[Station]) -> tuple[list[Station], list[dict[str, Any]]]:
        skipped.clear()
        rows, records = list(stations), []
        for station_id, etag in etags.items():
            try:
                rows, record = apply_edit(rows, Action.VERIFY, station_id, None, etag,
                                          verified_on=day)
            except (EditConflict, NotFound):
                skipped.append(station_id)
                continue
            records.append(record)
        return rows, records

    if not etags:
        return Verified(None, (), (), ())
    version, rows = _write(store, apply, f"{EDIT_SOURCE} verify {len(etags)} stations",
                           user=user, base=base, served=served, subject=None)
    done = tuple(i for i in etags if i not in skipped)
    return Verified(version, tuple(rows), done, tuple(skipped))


Apply = Callable[[Sequence[Station]], tuple[list[Station], list[dict[str, Any]]]]


def _write(store: Store, apply: Apply, source: str, *, user: str,
           base: Callable[[], Sequence[Station]],
           served: tuple[int, Sequence[Station]] | None,
           subject: str | None) -> tuple[Version | None, list[Station]]:
    """Apply ``apply`` to the active version and write the result as a new version
    (compare-and-swap, retried on a newer version); ``None`` when it changed nothing."""
    for _attempt in range(_ATTEMPTS):
        active = store.active()
        if active is None:
            stations: Sequence[Station] = list(base())
        elif served is not None and served[0] == active.id:
            stations = served[1]
        else:
            stations = store.stations(active.id)
        rows, records = apply(stations)
        if not records:
            return None, list(stations)
        meta = ImportMeta(user=user, source=source, sha256=fingerprint(rows), rows=len(rows),
                          rejected=0, datum="wgs84",
                          report={"problems": [], "audit": records,
                                  "base_version": None if active is None else active.id})
        try:
            version = store.write(rows, meta, expected_active=0 if active is None else active.id)
        except EditConflict:
            continue  # another version landed: re-apply (and re-check the ETags) on it
        except (sqlite3.Error, OSError) as exc:  # (PostGIS failures arrive as OSError)
            raise StoreWriteFailed(
                f"the registry store {store.location!r} could not be written ({exc}); "
                "nothing was changed — is the disk full or the file read-only?") from None
        return version, rows
    what = repr(subject) if subject is not None else "the stations"
    raise EditConflict(f"the registry kept changing while saving {what}; try again")
