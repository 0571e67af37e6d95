"""The station form: what an editor typed → a validated :class:`Station`, or errors per field.

Validation is the registry's own (:func:`locator.registry.records.station_from_record`,
the rules every import follows, opening hours through :mod:`locator.stations.hours`), plus the
declared datum of typed or dragged coordinates (converted with :mod:`locator.geo.datum`)
and the service-area check. Nothing here writes; the raw input is kept so a refused
form is shown again exactly as typed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from flask_babel import gettext as _
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from werkzeug.datastructures import MultiDict

from locator.errors import DatumError
from locator.files.problems import RowError
from locator.geo.datum import Datum, convert
from locator.model import Station
from locator.registry.messages import MESSAGES, render
from locator.registry.records import station_from_record
from locator.text import MAX_TEXT, is_ascii_number

__all__ = ["TEXT_FIELDS", "Parsed", "form_values", "parse_station"]

#: Form fields copied as text into the record (amenities come as checkboxes).
TEXT_FIELDS = ("id", "name", "kind", "opening_hours", "entry", "address", "district_code",
               "subdistrict_code", "community_code", "source", "precision_m", "note")


@dataclass
class Parsed:
    """A parsed form: the station when valid, else ``errors`` by field name."""

    station: Station | None
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)


def form_values(s: Station, *, datum: Datum = Datum.WGS84) -> dict[str, Any]:
    """A station as form values (coordinates shown in ``datum``)."""
    values: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        value = getattr(s, name)
        values[name] = "" if value is None else getattr(value, "value", value)
    values["precision_m"] = "" if s.precision_m is None else f"{s.precision_m:g}"
    values["amenities"] = sorted(a.value for a in s.amenities)
    values["coord_datum"] = datum.value
    if s.located and s.lon is not None and s.lat is not None:
        x, y = convert(s.lon, s.lat, src=Datum.WGS84, dst=datum)
        values["lon"], values["lat"] = f"{float(x):.7f}", f"{float(y):.7f}"
    else:
        values["lon"] = values["lat"] = ""
    return values


def _raw(form: MultiDict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {name: form.get(name, "") for name in TEXT_FIELDS}
    values["amenities"] = form.getlist("amenities")
    for name in ("lon", "lat", "coord_datum"):
        values[name] = form.get(name, "")
    return values


def parse_station(form: MultiDict[str, str], *, station_id: str | None,
                  base: Station | None, boundary: BaseGeometry | None) -> Parsed:
    """Validate an add/edit/move form.

    Parameters
    ----------
    form : MultiDict
        The request form.
    station_id : str, optional
        The edited station's id (``None`` when adding: the form's ``id`` is used).
    base : Station, optional
        The station being edited: ``synthetic`` and ``verified`` are kept from it
        (they have their own actions), as is everything for a move-only form.
    boundary : shapely geometry, optional
        The service area new locations must lie in (``None``: no check).
    """
    values = _raw(form)
    parsed = Parsed(None, values=values)
    too_long = [name for name, v in values.items() if isinstance(v, str) and len(v) > MAX_TEXT]
    if too_long:
        parsed.errors[too_long[0]] = _("At most %(n)d characters.", n=MAX_TEXT)
        return parsed
    precision = str(values["precision_m"]).strip()
    if precision and not is_ascii_number(precision):  # not float(): it takes ３６ and 3_6
        parsed.errors["precision_m"] = _("%(value)s is not a number.", value=repr(precision))
        return parsed
    lon, lat = _coordinates(values, parsed)
    if parsed.errors:
        return parsed
    record: dict[str, Any] = {name: values[name] for name in TEXT_FIELDS}
    record["amenities"] = values["amenities"]
    record["id"] = station_id if station_id is not None else values["id"]
    record["datum"] = values["coord_datum"] or "wgs84"
    try:
        station = station_from_record(record, lon=lon, lat=lat)
    except RowError as exc:
        reason = render(exc.code, exc.params, _) if exc.code in MESSAGES else exc.reason
        parsed.errors[_field(exc.column)] = _("%(value)s: %(reason)s", value=repr(exc.value),
                                              reason=reason)
        return parsed
    if (boundary is not None and station.lon is not None and station.lat is not None
            and not boundary.covers(Point(station.lon, station.lat))):
        parsed.errors["lon"] = _("lon=%(lon).6f, lat=%(lat).6f is outside the service area.",
                                 lon=station.lon, lat=station.lat)
        return parsed
    if base is not None:
        station = replace(station, synthetic=base.synthetic, verified=base.verified)
    parsed.station = station
    return parsed


def _field(column: str) -> str:
    return column if column in (*TEXT_FIELDS, "amenities", "lon", "lat") else "coord_datum"


def _coordinates(values: Mapping[str, Any], parsed: Parsed) -> tuple[float | None,
                                                                      float | None]:
    """WGS-84 lon/lat from the typed ones in their declared datum (both blank: unknown)."""
    lon_text, lat_text = str(values["lon"]).strip(), str(values["lat"]).strip()
    if not lon_text and not lat_text:
        return None, None
    numbers: dict[str, float] = {}
    for name, text, limit in (("lon", lon_text, 180.0), ("lat", lat_text, 90.0)):
        if not is_ascii_number(text):  # ASCII digits only: float() also takes ３６ and 3_6
            parsed.errors[name] = _("%(value)s is not a number.", value=repr(text))
            continue
        number = float(text)
        if not math.isfinite(number) or abs(number) > limit:
            parsed.errors[name] = _("%(value)s is out of range ±%(limit)d.", value=repr(text),
                                    limit=int(limit))
            continue
        numbers[name] = number
    try:
        datum = Datum.parse(str(values["coord_datum"]) or "wgs84")
    except DatumError:
        parsed.errors["coord_datum"] = _("Unknown datum %(value)s.",
                                         value=repr(values["coord_datum"]))
        return None, None
    if parsed.errors:
        return None, None
    x, y = convert(numbers["lon"], numbers["lat"], src=datum, dst=Datum.WGS84)
    return float(x), float(y)
