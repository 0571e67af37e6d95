"""One registry record (a dict of fields) → a validated :class:`Station`, or a precise problem.

Readers of every format produce plain records; this module is the single place
that decides what a valid station is. A bad field raises :class:`RowError`
naming the column, the value and the reason; the loader turns it into a report
line with the row number. Imports and the station form both come here, so a text field
has the same limits on both paths: at most :data:`~locator.text.MAX_TEXT` characters, no
control characters and no invisible direction overrides (:func:`locator.text.text_problem`).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from datetime import date
from typing import Any

from locator.errors import DatumError
from locator.files.problems import RowError
from locator.geo.datum import Datum
from locator.model import KIND_NAMES_ZH, Amenity, Entry, Kind, Station
from locator.stations import hours
from locator.text import MAX_TEXT, text_problem

__all__ = ["FIELDS", "parse_kind", "station_from_record"]

FIELDS = ("id", "name", "kind", "amenities", "opening_hours", "entry", "address",
          "district_code", "subdistrict_code", "community_code", "source", "datum",
          "precision_m", "verified", "synthetic", "note")

_KIND_ALIASES: dict[str, Kind] = {k.value: k for k in Kind} | {
    v: k for k, v in KIND_NAMES_ZH.items()} | {"智能化工会驿站": Kind.SMART_STATION}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (
        isinstance(value, float) and math.isnan(value))


def _text(rec: Mapping[str, Any], column: str, *, required: bool = False) -> str:
    value = rec.get(column)
    if _blank(value):
        if required:
            raise RowError(column, value, "is required")
        return ""
    if not isinstance(value, str | int):
        raise RowError(column, value, "must be text")
    text = str(value).strip()
    if len(text) > MAX_TEXT:  # the same limit as the station form's: an import stays editable
        raise RowError(column, value, f"is {len(text):,} characters long; the limit is "
                                      f"{MAX_TEXT:,}")
    problem = text_problem(text, single_line=column == "id")
    if problem is not None:
        raise RowError(column, value, problem)
    return text


def parse_kind(value: Any) -> Kind:
    """A kind from its code or Chinese name; unknown kinds suggest the closest one."""
    key = str(value).strip() if value is not None else ""
    if key in _KIND_ALIASES:
        return _KIND_ALIASES[key]
    close = difflib.get_close_matches(key, list(_KIND_ALIASES), n=1, cutoff=0.4)
    hint = f"; did you mean {_KIND_ALIASES[close[0]].value!r}?" if close else ""
    raise RowError("kind", value, f"unknown kind{hint}")


def _amenities(value: Any) -> frozenset[Amenity]:
    if _blank(value):
        return frozenset()
    items = value if isinstance(value, list | tuple) else str(value).replace(",", ";").split(";")
    out = set()
    for item in items:
        name = str(item).strip()
        if not name:
            continue
        try:
            out.add(Amenity(name))
        except ValueError:
            raise RowError("amenities", item, "unknown amenity") from None
    return frozenset(out)


def _number(rec: Mapping[str, Any], column: str) -> float | None:
    value = rec.get(column)
    if value is None or _blank(value):
        return None
    if isinstance(value, bool):
        raise RowError(column, value, "must be a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RowError(column, value, "must be a number") from None
    if not math.isfinite(number) or number < 0:
        raise RowError(column, value, "must be a finite number ≥ 0")
    return number


def _bool(rec: Mapping[str, Any], column: str) -> bool:
    value = rec.get(column)
    if _blank(value):
        return False
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "是"):
        return True
    if text in ("false", "0", "no", "否"):
        return False
    raise RowError(column, value, "must be true or false")


def _coordinate(value: Any, column: str, limit: float) -> float:
    if isinstance(value, bool) or _blank(value):
        raise RowError(column, value, "is missing")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RowError(column, value, "must be a number") from None
    if not math.isfinite(number):
        raise RowError(column, value, "must be finite")
    if abs(number) > limit:
        raise RowError(column, value, f"out of range ±{limit:g}")
    return number


def station_from_record(rec: Mapping[str, Any], *, lon: Any = None, lat: Any = None) -> Station:
    """Build a Station from a record whose coordinates are WGS-84 (or both ``None``).

    Raises
    ------
    RowError
        Naming the first invalid column, its value and the reason.
    """
    if _blank(lon) and _blank(lat):
        x = y = None
    else:
        x = _coordinate(lon, "lon", 180.0)
        y = _coordinate(lat, "lat", 90.0)
    hours_text = _text(rec, "opening_hours") or None
    if hours_text is not None:
        try:
            hours_text = hours.validate(hours_text)
        except ValueError as exc:
            raise RowError("opening_hours", rec.get("opening_hours"), str(exc)) from None
    entry_text = _text(rec, "entry")
    try:
        entry = Entry(entry_text) if entry_text else None
    except ValueError:
        raise RowError("entry", entry_text, "must be one of open, qr_code, registration") from None
    try:
        datum = Datum.parse(_text(rec, "datum") or "wgs84")
    except DatumError as exc:
        raise RowError("datum", rec.get("datum"), exc.message) from None
    verified_text = _text(rec, "verified")
    try:
        verified = date.fromisoformat(verified_text) if verified_text else None
    except ValueError:
        raise RowError("verified", verified_text, "must be an ISO date YYYY-MM-DD") from None
    return Station(
        id=_text(rec, "id", required=True),
        name=_text(rec, "name", required=True),
        kind=parse_kind(rec.get("kind")),
        lon=x,
        lat=y,
        amenities=_amenities(rec.get("amenities")),
        opening_hours=hours_text,
        entry=entry,
        address=_text(rec, "address"),
        district_code=_text(rec, "district_code") or None,
        subdistrict_code=_text(rec, "subdistrict_code") or None,
        community_code=_text(rec, "community_code") or None,
        source=_text(rec, "source"),
        datum=datum,
        precision_m=_number(rec, "precision_m"),
        verified=verified,
        synthetic=_bool(rec, "synthetic"),
        note=_text(rec, "note"),
    )
