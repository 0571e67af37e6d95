"""One registry record (a dict of fields) → a station's fields, with *every* problem found.

Readers of every format produce plain records; this module is the single place that
decides what each field of a valid station is, as people write it: kinds, amenities and
entry methods by any label the app shows or a common synonym (:mod:`.vocab`), opening
hours in OSM syntax or as Chinese offices write them (:mod:`.hours_zh`, the original text
kept), phone numbers (:mod:`.phones`), datums by the names of the maps (``高德``, ``百度``),
dates as ``2024-05-01``, ``2024/5/1`` or ``2024年5月1日``.

A problem is an *error* (the row cannot be a station: no name, an unknown kind or datum…)
or a *warning* (the station is kept: hours not understood are *unknown*, an unknown
amenity or a number that is no phone number is kept in the note). Coordinates, ids and
administrative units are the table's business (:mod:`.validate`). Imports and the station
form both come here, so a text field has the same limits on both paths: at most
:data:`~locator.text.MAX_TEXT` characters, no control characters and no invisible direction
overrides (:func:`locator.text.text_fault`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from typing import Any

from locator.errors import DatumError
from locator.files.problems import RowError
from locator.geo.datum import Datum
from locator.model import KIND_NAMES_ZH, Amenity, Entry, Kind, Station
from locator.registry import hours_zh, vocab
from locator.registry.messages import row_error, warning
from locator.registry.phones import parse_phones
from locator.stations import hours
from locator.text import MAX_TEXT, text_fault

__all__ = ["FIELDS", "GEOCODED_LEVELS", "parse_id", "parse_kind", "parse_record",
           "station_from_record", "text_of"]

FIELDS = ("id", "name", "kind", "amenities", "opening_hours", "entry", "address",
          "district_code", "subdistrict_code", "community_code", "source", "datum",
          "precision_m", "verified", "synthetic", "note", "phone", "hours_text", "geocoded")
GEOCODED_LEVELS = ("district", "subdistrict", "community")
#: how the note keeps what the importer could not use (Chinese: the union's own words)
UNUSED_AMENITIES = "未识别的设施："
UNUSED_PHONES = "未通过校验的电话："
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?")
_ACCEPTED_KINDS = ", ".join(f"{name} ({k.value})" for k, name in KIND_NAMES_ZH.items())


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (
        isinstance(value, float) and math.isnan(value))


def text_of(value: Any) -> str | None:
    """A cell as text: strings stripped, whole numbers without ``.0`` (XLSX gives ``1.0`` for
    a 序号 of 1); ``None`` for blanks and values that are not text or numbers."""
    if _blank(value) or isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str | int | float):
        return str(value).strip()
    return None


def _text(rec: Mapping[str, Any], column: str, problems: list[RowError], *,
          required: bool = False) -> str:
    value = rec.get(column)
    if type(value) is str:  # the common case first (14 fields a row)
        text = value.strip()
        if not text:
            if required:
                problems.append(row_error("required", column, value))
            return ""
    elif value is None and not required:
        return ""
    elif _blank(value):
        if required:
            problems.append(row_error("required", column, value))
        return ""
    else:
        found = text_of(value)
        if found is None:
            problems.append(row_error("not_text", column, value))
            return ""
        text = found
    if len(text) > MAX_TEXT:  # the station form's limit too: an imported station stays editable
        problems.append(row_error("too_long", column, value, length=f"{len(text):,}",
                                  limit=f"{MAX_TEXT:,}"))
        return ""
    fault = text_fault(text, single_line=column == "id")
    if fault is not None:
        code = "control_character" if fault.control else "direction_control"
        problems.append(row_error(code, column, value, char=fault.code, name=fault.name,
                                  position=fault.position))
        return ""
    return text


def parse_kind(value: Any) -> Kind:
    """A kind from its code, any label the app shows or a synonym.

    Raises
    ------
    RowError
        An unknown kind, with the closest known one suggested.
    """
    key = text_of(value) or ""
    found = vocab.kind_of(key)
    if found is not None:
        return found
    near = vocab.suggest(key, vocab.KIND_WORDS)  # type: ignore[arg-type]
    if near is None:
        raise row_error("unknown_kind_nohint", "kind", value, accepted=_ACCEPTED_KINDS)
    kind = vocab.KIND_WORDS[near]
    raise row_error("unknown_kind", "kind", value,
                    suggestion=f"{kind.value!r} ({KIND_NAMES_ZH[kind]})")


def _amenities(value: Any, problems: list[RowError], unused: list[str]) -> frozenset[Amenity]:
    if _blank(value):
        return frozenset()
    key = tuple(str(i) for i in value) if isinstance(value, list | tuple) else str(value)
    found, unknown = _read_amenities(key)
    for item, near in unknown:
        unused.append(item)
        if near is None:
            problems.append(warning("amenity_unknown_nohint", "amenities", value, item=item))
        else:
            problems.append(warning("amenity_unknown", "amenities", value, item=item,
                                    suggestion=near))
    return found


@lru_cache(maxsize=4096)
def _read_amenities(value: str | tuple[str, ...]
                    ) -> tuple[frozenset[Amenity], tuple[tuple[str, str | None], ...]]:
    """A cell's amenities and its unknown items with their suggestions (cached per cell
    text: a registry has few distinct amenity lists)."""
    items = list(value) if isinstance(value, tuple) else vocab.split_items(value)
    out: set[Amenity] = set()
    unknown: list[tuple[str, str | None]] = []
    for item in items:
        found = vocab.amenity_of(item)
        if found is not None:
            out.add(found)
        else:
            unknown.append((item, vocab.suggest(item, vocab.AMENITY_WORDS)))  # type: ignore[arg-type]
    return frozenset(out), tuple(unknown)


def _hours(rec: Mapping[str, Any], problems: list[RowError]) -> tuple[str | None, str]:
    """(OSM expression or None, the text as the file wrote it when it differs)."""
    given = _text(rec, "opening_hours", problems)
    original = _text(rec, "hours_text", problems)
    if not given:
        return None, original
    osm = hours_zh.to_osm(given)
    if osm is None:
        problems.append(warning("hours_unknown", "opening_hours", given))
        return None, original or given
    return osm, original or (given if given != osm else "")


def _entry(rec: Mapping[str, Any], problems: list[RowError]) -> Entry | None:
    text = _text(rec, "entry", problems)
    if not text:
        return None
    found = vocab.entry_of(text)
    if found is None:
        problems.append(warning("unknown_entry", "entry", text,
                                accepted="直接进入 (open), 扫码进入 (qr_code), 需先登记 "
                                         "(registration)"))
    return found


def _phones(rec: Mapping[str, Any], problems: list[RowError], unused: list[str]) -> str:
    text = _text(rec, "phone", problems)
    if not text:
        return ""
    found = parse_phones(text)
    for item in found.bad:
        unused.append(item)
        problems.append(warning("phone_invalid", "phone", text, item=item))
    for number in found.assumed_area:
        problems.append(warning("phone_area_code", "phone", text, item=number))
    return found.text


def _number(rec: Mapping[str, Any], column: str, problems: list[RowError]) -> float | None:
    value = rec.get(column)
    if value is None or _blank(value):
        return None
    if isinstance(value, bool):
        problems.append(row_error("not_number", column, value))
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        problems.append(row_error("not_number", column, value))
        return None
    if not math.isfinite(number) or number < 0:
        problems.append(row_error("negative", column, value))
        return None
    return number


def _bool(rec: Mapping[str, Any], column: str, problems: list[RowError]) -> bool:
    value = rec.get(column)
    if _blank(value):
        return False
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "是", "y"):
        return True
    if text in ("false", "0", "no", "否", "n"):
        return False
    problems.append(row_error("bad_bool", column, value))
    return False


def _date(rec: Mapping[str, Any], column: str, problems: list[RowError]) -> date | None:
    text = _text(rec, column, problems)
    if not text:
        return None
    found = _DATE.fullmatch(text)
    try:
        if found is None:
            raise ValueError(text)
        return date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
    except ValueError:
        problems.append(warning("bad_date", column, text))
        return None


@lru_cache(maxsize=256)
def _parse_datum(text: str) -> Datum:
    return Datum.parse(text)


def _datum(rec: Mapping[str, Any], problems: list[RowError]) -> Datum:
    text = _text(rec, "datum", problems)
    try:
        return _parse_datum(text) if text else Datum.WGS84
    except DatumError:
        problems.append(row_error("unknown_datum", "datum", text,
                                  accepted="WGS84 (GPS), GCJ02 (高德/腾讯), BD09 (百度)"))
        return Datum.WGS84


def _geocoded(rec: Mapping[str, Any], problems: list[RowError]) -> str | None:
    text = _text(rec, "geocoded", problems)
    if text and text not in GEOCODED_LEVELS:
        problems.append(row_error("unknown_entry", "geocoded", text,
                                  accepted=", ".join(GEOCODED_LEVELS)))
        return None
    return text or None


def parse_id(rec: Mapping[str, Any], problems: list[RowError]) -> str | None:
    """A record's ``id`` as text (``None`` when blank: the table makes one from the content),
    held to the same text rules as every field (one line, no control characters)."""
    return _text(rec, "id", problems) or None


def parse_record(rec: Mapping[str, Any]) -> tuple[dict[str, Any], list[RowError]]:
    """Every field of a record except ``id``, ``lon`` and ``lat`` → :class:`Station` keyword
    values, and every problem found (errors and warnings, in field order).

    The values are complete even when there are errors (a failed field gets its default),
    so callers can report every problem of a row at once.
    """
    problems: list[RowError] = []
    unused_amenities: list[str] = []
    unused_phones: list[str] = []
    name = _text(rec, "name", problems, required=True)
    kind = Kind.BOX_STATION
    if _blank(rec.get("kind")):
        problems.append(row_error("required", "kind", rec.get("kind")))
    else:
        try:
            kind = parse_kind(rec.get("kind"))
        except RowError as err:
            problems.append(err)
    amenities = _amenities(rec.get("amenities"), problems, unused_amenities)
    osm, hours_text = _hours(rec, problems)
    values: dict[str, Any] = {
        "name": name, "kind": kind, "amenities": amenities, "opening_hours": osm,
        "entry": _entry(rec, problems), "address": _text(rec, "address", problems),
        "district_code": _text(rec, "district_code", problems) or None,
        "subdistrict_code": _text(rec, "subdistrict_code", problems) or None,
        "community_code": _text(rec, "community_code", problems) or None,
        "source": _text(rec, "source", problems), "datum": _datum(rec, problems),
        "precision_m": _number(rec, "precision_m", problems),
        "verified": _date(rec, "verified", problems),
        "synthetic": _bool(rec, "synthetic", problems),
        "phone": _phones(rec, problems, unused_phones), "hours_text": hours_text,
        "geocoded": _geocoded(rec, problems),
    }
    note = _text(rec, "note", problems)
    extras = [label + "、".join(items) for label, items in
              ((UNUSED_AMENITIES, unused_amenities), (UNUSED_PHONES, unused_phones))
              if items and label + "、".join(items) not in note]
    values["note"] = "；".join(p for p in (note, *extras) if p)
    return values, problems


def _coordinate(value: Any, column: str, limit: float) -> float:
    if isinstance(value, bool) or _blank(value):
        raise row_error("coordinate_missing", column, value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise row_error("not_number", column, value) from None
    if not math.isfinite(number):
        raise row_error("not_finite", column, value)
    if abs(number) > limit:
        raise row_error("out_of_range", column, value, limit=f"{limit:g}")
    return number


def station_from_record(rec: Mapping[str, Any], *, lon: Any = None, lat: Any = None,
                        strict: bool = True) -> Station:
    """Build a Station from a record whose coordinates are WGS-84 (or both ``None``).

    For a form or a re-check of stored stations: the first problem is raised, warnings
    included unless ``strict`` is false (an editor who types hours the app cannot read is
    told so, not given a station with unknown hours).

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
    problems: list[RowError] = []
    station_id = _text(rec, "id", problems, required=True)
    values, found = parse_record(rec)
    for problem in problems + found:
        if strict or problem.severity == "error":
            raise problem
    if values["opening_hours"] is not None:
        values["opening_hours"] = hours.validate(values["opening_hours"])
    return Station(id=station_id, lon=x, lat=y, **values)
