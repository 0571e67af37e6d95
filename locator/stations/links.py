"""Links that open another app: directions (Amap, Baidu, OpenStreetMap, each in the datum it
declares) and ``tel:`` links for a station's phone numbers.

On a phone the Amap and Baidu web URIs open the installed app (``callnative=1`` for Amap;
Baidu's page offers its app), elsewhere the web map. Formats, from the providers' URI
documentation:

* **Amap** URI API, route planning (lbs.amap.com/api/uri-api/guide/travel/route):
  ``https://uri.amap.com/navigation?from=lon,lat,name&to=lon,lat,name&mode=walk|ride|car|bus
  &src=...&coordinate=gaode|wgs84&callnative=1``; ``lon,lat`` order. We send
  ``coordinate=gaode`` and GCJ-02 coordinates.
* **Baidu** URI API, web directions (lbsyun.baidu.com/faq/api?title=webapi/uri/web):
  ``https://api.map.baidu.com/direction?origin=latlng:lat,lng|name:..&destination=latlng:
  lat,lng|name:..&mode=walking|riding|driving|transit&region=..&output=html&src=..
  &coord_type=bd09ll|gcj02|wgs84``; ``lat,lng`` order. We send ``coord_type=bd09ll`` and
  BD-09 coordinates.
* **OpenStreetMap** directions: ``https://www.openstreetmap.org/directions?engine=
  fossgis_osrm_foot|fossgis_osrm_bike&route=lat,lon;lat,lon``, WGS-84.

Every shift goes through :mod:`locator.geo.datum`; nothing here knows a formula.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from urllib.parse import urlencode

from locator.errors import QueryError
from locator.geo.datum import Datum, wgs84_to_bd09, wgs84_to_gcj02

__all__ = ["MODES", "SOURCE", "DirectionLink", "directions"]

SOURCE = "locator.lanzhou.union"  #: ``src`` sent to Amap and Baidu (who is calling)
REGION = "兰州"

#: Our travel modes and each provider's name for them.
MODES = {"walk": {"amap": "walk", "baidu": "walking", "osm": "fossgis_osrm_foot"},
         "ride": {"amap": "ride", "baidu": "riding", "osm": "fossgis_osrm_bike"}}


@dataclass(frozen=True, slots=True)
class DirectionLink:
    """One provider's directions URL and the datum of the coordinates inside it."""

    provider: str  # "amap", "baidu" or "osm"
    url: str
    datum: Datum


def _point(lon: float, lat: float, what: str) -> tuple[float, float]:
    if not (isinstance(lon, int | float) and isinstance(lat, int | float)
            and math.isfinite(lon) and math.isfinite(lat) and abs(lon) <= 180
            and abs(lat) <= 90):
        raise QueryError(what, f"{what} must be a finite WGS-84 (lon, lat), got {(lon, lat)!r}")
    return float(lon), float(lat)


def _name(text: str) -> str:
    """A name safe inside the providers' ``,``/``|``/``:``-separated fields."""
    cleaned = "".join(" " if ch in ",|;:\r\n\t" else ch for ch in text).strip()
    return cleaned[:60]


def directions(origin: tuple[float, float] | None, destination: tuple[float, float], *,
               name: str, mode: str = "walk") -> list[DirectionLink]:
    """Directions links from ``origin`` (optional) to ``destination`` for three map apps.

    Parameters
    ----------
    origin : (lon, lat) or None
        WGS-84 start; ``None`` lets each app start from the phone's own position.
    destination : (lon, lat)
        WGS-84 station location.
    name : str
        The destination's name, shown by the app (separators ``, | ; :`` become spaces).
    mode : {"walk", "ride"}
        On foot, or by (e-)bike.

    Returns
    -------
    list of DirectionLink
        Amap (GCJ-02), Baidu (BD-09) and OpenStreetMap (WGS-84), in that order.

    Raises
    ------
    QueryError
        For a point that is not a finite lon/lat or an unknown ``mode``.
    """
    if mode not in MODES:
        raise QueryError("mode", f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    to = _point(*destination, "destination")
    start = None if origin is None else _point(*origin, "origin")
    label = _name(name)
    names = MODES[mode]

    gx, gy = wgs84_to_gcj02(*to)
    amap: dict[str, str] = {}
    if start is not None:
        sx, sy = wgs84_to_gcj02(*start)
        amap["from"] = f"{sx:.6f},{sy:.6f},"
    amap.update({"to": f"{gx:.6f},{gy:.6f},{label}", "mode": names["amap"], "src": SOURCE,
                 "coordinate": "gaode", "callnative": "1"})

    bx, by = wgs84_to_bd09(*to)
    baidu: dict[str, str] = {}
    if start is not None:
        ox, oy = wgs84_to_bd09(*start)
        baidu["origin"] = f"latlng:{oy:.6f},{ox:.6f}"
    baidu.update({"destination": f"latlng:{by:.6f},{bx:.6f}|name:{label}",
                  "mode": names["baidu"], "region": REGION, "output": "html", "src": SOURCE,
                  "coord_type": "bd09ll"})

    route = (f"{start[1]:.6f},{start[0]:.6f}" if start else "") + f";{to[1]:.6f},{to[0]:.6f}"
    osm = {"engine": names["osm"], "route": route}
    return [
        DirectionLink("amap", "https://uri.amap.com/navigation?" + urlencode(amap),
                      Datum.GCJ02),
        DirectionLink("baidu", "https://api.map.baidu.com/direction?" + urlencode(baidu),
                      Datum.BD09),
        DirectionLink("osm", "https://www.openstreetmap.org/directions?" + urlencode(osm),
                      Datum.WGS84),
    ]
