"""Coordinates as people paste them: either order, decimal degrees or 度分秒, any datum.

A worker copies a point from a map app or a message: ``36.0575, 103.8227``,
``103.822690,36.057520`` (Amap and Baidu copy longitude first), ``36°03′27″N 103°49′22″E``
or ``北纬36度3分27秒 东经103度49分22秒``. :func:`parse_coordinates` finds the two numbers,
decides which is the latitude (hemisphere letters or 北纬/东经 when given; else the number
above 90 is the longitude; else the order that falls in the service area; else latitude
first, as ISO 6709 writes it), converts the datum the visitor says it came in (Amap and
Tencent copy GCJ-02, Baidu BD-09) with :mod:`locator.geo.datum`, and says how precise the
text was (its last decimal or its smallest unit).
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

from locator.geo.datum import Datum, convert

__all__ = ["Coordinates", "parse_coordinates"]

_M_PER_DEGREE = 111_320.0
# one coordinate: optional hemisphere word before, degrees with optional minutes and seconds
# (or a decimal), optional hemisphere letter after
_PART = re.compile(
    r"(?P<pre>北纬|南纬|东经|西经|[NSEW])?\s*"
    r"(?P<sign>[-+])?(?P<deg>\d{1,3}(?:\.\d+)?)\s*(?:°|度|º|\s(?=\d+\s*['′分]))?\s*"
    r"(?:(?P<min>\d{1,2}(?:\.\d+)?)\s*(?:['′]|分)\s*)?"
    r"(?:(?P<sec>\d{1,2}(?:\.\d+)?)\s*(?:[\"″]|''|′′|秒)\s*)?"
    r"(?P<post>[NSEW](?![A-Za-z]))?", re.IGNORECASE)
_SPLIT = re.compile(r"\s*[,;，；、/]\s*|\s+(?=[-+]?\d|北纬|南纬|东经|西经|[NSEW]\s*\d)",
                    re.IGNORECASE)
_LAT_WORDS = {"北纬": 1, "南纬": -1, "N": 1, "S": -1}
_LON_WORDS = {"东经": 1, "西经": -1, "E": 1, "W": -1}
#: a generous box around Lanzhou: decides the order of two numbers that could be either
SERVICE_BOX = (102.0, 35.0, 105.0, 38.0)


@dataclass(frozen=True, slots=True)
class Coordinates:
    """A pasted point, read and converted to WGS-84.

    Attributes
    ----------
    lon, lat : float
        WGS-84 degrees.
    precision_m : float
        Half the step of the text's last digit, in metres (``36.06`` → ~560 m).
    datum : Datum
        The datum the text was taken to be in.
    text : str
        The text as read.
    """

    lon: float
    lat: float
    precision_m: float
    datum: Datum
    text: str


@dataclass(frozen=True, slots=True)
class _Part:
    value: float
    axis: str  # "lat", "lon" or "" (not said)
    step: float  # degrees of the last digit given


def _read(text: str) -> _Part | None:
    m = _PART.fullmatch(text.strip())
    if m is None:
        return None
    word = (m["pre"] or m["post"] or "").upper() if (m["pre"] or m["post"]) else ""
    word = {"北纬": "N", "南纬": "S", "东经": "E", "西经": "W"}.get(m["pre"] or "", word)
    if m["pre"] and m["post"]:
        return None
    value = float(m["deg"])
    step = 10.0 ** -len(m["deg"].partition(".")[2]) if "." in m["deg"] else 1.0
    if m["min"] is not None:
        if "." in m["deg"] or float(m["min"]) >= 60:
            return None
        value += float(m["min"]) / 60
        decimals = len(m["min"].partition(".")[2])
        step = 10.0 ** -decimals / 60
    if m["sec"] is not None:
        if m["min"] is None or float(m["sec"]) >= 60:
            return None
        value += float(m["sec"]) / 3600
        step = 10.0 ** -len(m["sec"].partition(".")[2]) / 3600
    sign = -1 if m["sign"] == "-" else 1
    axis = ""
    if word in _LAT_WORDS:
        axis, sign = "lat", sign * _LAT_WORDS[word]
    elif word in _LON_WORDS:
        axis, sign = "lon", sign * _LON_WORDS[word]
    return _Part(sign * value, axis, step)


def _inside(lon: float, lat: float) -> bool:
    west, south, east, north = SERVICE_BOX
    return west <= lon <= east and south <= lat <= north


def parse_coordinates(text: str, *, datum: Datum | str = Datum.WGS84) -> Coordinates | None:
    """The point in ``text`` if it is a pair of coordinates, else ``None``.

    Parameters
    ----------
    text : str
        What was typed or pasted (full-width digits and punctuation are folded first).
    datum : Datum or str
        The datum the numbers are in: ``wgs84`` (GPS), ``gcj02`` (Amap, Tencent) or
        ``bd09`` (Baidu).

    Returns
    -------
    Coordinates or None
        ``None`` when the text is not two coordinates or they are off the globe.
    """
    source = Datum.parse(datum)
    folded = unicodedata.normalize("NFKC", text).strip()
    if not folded or not any(ch.isdigit() for ch in folded):
        return None
    pieces = [p for p in _SPLIT.split(folded) if p.strip()]
    if len(pieces) != 2:
        return None
    first, second = _read(pieces[0]), _read(pieces[1])
    if first is None or second is None:
        return None
    if first.axis and first.axis == second.axis:
        return None
    lat: _Part
    lon: _Part
    if first.axis == "lon" or second.axis == "lat":
        lat, lon = second, first
    elif first.axis == "lat" or second.axis == "lon":
        lat, lon = first, second
    elif abs(first.value) > 90 >= abs(second.value):
        lat, lon = second, first
    elif abs(second.value) > 90 >= abs(first.value):
        lat, lon = first, second
    elif _inside(first.value, second.value) and not _inside(second.value, first.value):
        lat, lon = second, first
    else:
        lat, lon = first, second
    if not (-90 <= lat.value <= 90 and -180 <= lon.value <= 180):
        return None
    x, y = convert(lon.value, lat.value, src=source, dst=Datum.WGS84)
    step = max(lat.step, lon.step * math.cos(math.radians(lat.value)))
    return Coordinates(float(x), float(y), max(1.0, step * _M_PER_DEGREE / 2), source, text)
