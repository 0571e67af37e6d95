"""How one query value is read: ASCII numbers, flags, comma-separated lists, moments and
bounding boxes, each an ``Annotated`` type the parameter declarations of
:mod:`locator.web.api.queries` use (pydantic runs the validators; the JSON Schema each type
states goes into the OpenAPI document). Every message names the parameter and the value."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, ValidationInfo, WithJsonSchema

from locator.files.problems import RowError
from locator.model import Amenity, Entry, Kind
from locator.registry.records import parse_kind
from locator.stations import hours
from locator.text import is_ascii_number, parse_number, parse_whole
from locator.web.api.schemas import AMENITIES, KINDS
from locator.web.params import parse_amenity

__all__ = ["Amenities", "BBox", "Entries", "Flag", "Kinds", "Latitude", "Longitude", "Moment",
           "Number", "Whole", "parse_ascii_number"]

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _name(info: ValidationInfo) -> str:
    return info.field_name or "parameter"


def parse_ascii_number(value: Any, info: ValidationInfo) -> Any:
    """ASCII decimal text only (Python's float() would take ``３６`` and ``3_6``)."""
    return parse_number(value, _name(info)) if isinstance(value, str) else value


def _whole(value: Any, info: ValidationInfo) -> Any:
    return parse_whole(value, _name(info)) if isinstance(value, str) else value


def _flag(value: Any, info: ValidationInfo) -> Any:
    if isinstance(value, str):
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise ValueError(f"{_name(info)} must be true or false, got {value!r}")
    return value


def _items(value: Any, info: ValidationInfo, parse: Any) -> Any:
    """A comma-separated list, each item parsed; errors name the parameter and the item."""
    if not isinstance(value, str):
        return value
    out = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        try:
            parsed = parse(item)
        except ValueError as exc:
            reason = exc.reason if isinstance(exc, RowError) else str(exc)
            raise ValueError(f"{_name(info)}: {item!r}: {reason}") from None
        if parsed not in out:
            out.append(parsed)
    return out


def _entry(text: str) -> Entry:
    try:
        return Entry(text)
    except ValueError:
        known = ", ".join(e.value for e in Entry)
        raise ValueError(f"unknown entry (known: {known})") from None


def _moment(value: Any, info: ValidationInfo) -> Any:
    """``now`` (the request's moment, from the validation context) or an ISO date-time."""
    if not isinstance(value, str):
        return value
    if value.lower() == "now":
        return (info.context or {}).get("now") or hours.now()
    try:
        return hours.local(datetime.fromisoformat(value))
    except ValueError:
        raise ValueError(f"{_name(info)} must be 'now' or an ISO date-time like "
                         f"2026-11-29T22:30, got {value!r}") from None


def _bbox(value: Any, info: ValidationInfo) -> Any:
    """``min_lon,min_lat,max_lon,max_lat``; a west above the east crosses the antimeridian."""
    if not isinstance(value, str):
        return value
    name, parts = _name(info), value.split(",")
    if len(parts) != 4:
        raise ValueError(f"{name} must be four comma-separated numbers "
                         f"min_lon,min_lat,max_lon,max_lat, got {value!r}")
    values: list[float] = []
    for part, limit in zip(parts, (180, 90, 180, 90), strict=True):
        text = part.strip()
        if not is_ascii_number(text):
            raise ValueError(f"{name}: {text!r} is not a number (in {value!r})")
        number = float(text)
        if not (math.isfinite(number) and -limit <= number <= limit):
            raise ValueError(f"{name}: {text!r} must be between {-limit} and {limit} "
                             f"(in {value!r})")
        values.append(number)
    south, north = values[1], values[3]
    if south > north:
        raise ValueError(f"{name}: min lat {south:g} is above max lat {north:g} (in {value!r})")
    return tuple(values)


Number = Annotated[float, BeforeValidator(parse_ascii_number)]
# (constraints before the validator: pydantic then states them in the schema)
Latitude = Annotated[float, Field(ge=-90, le=90), BeforeValidator(parse_ascii_number)]
Longitude = Annotated[float, Field(ge=-180, le=180), BeforeValidator(parse_ascii_number)]
Whole = Annotated[int, BeforeValidator(_whole)]
Flag = Annotated[bool, BeforeValidator(_flag)]
Kinds = Annotated[frozenset[Kind], BeforeValidator(lambda v, i: _items(v, i, parse_kind)),
                  WithJsonSchema({"type": "array", "items": {"type": "string", "enum": KINDS}})]
Amenities = Annotated[frozenset[Amenity], BeforeValidator(lambda v, i: _items(v, i, parse_amenity)),
                      WithJsonSchema({"type": "array",
                                      "items": {"type": "string", "enum": AMENITIES}})]
Entries = Annotated[frozenset[Entry], BeforeValidator(lambda v, i: _items(v, i, _entry)),
                    WithJsonSchema({"type": "array",
                                    "items": {"type": "string", "enum": [e.value for e in Entry]}})]
Moment = Annotated[datetime | None, BeforeValidator(_moment),
                   WithJsonSchema({"anyOf": [{"const": "now"},
                                             {"type": "string", "format": "date-time"}]})]
BBox = Annotated[tuple[float, float, float, float] | None, BeforeValidator(_bbox),
                 WithJsonSchema({"type": "array",
                                 "prefixItems": [{"type": "number", "minimum": -180,
                                                  "maximum": 180},
                                                 {"type": "number", "minimum": -90,
                                                  "maximum": 90}] * 2,
                                 "items": {"type": "number"}, "minItems": 4, "maxItems": 4})]
