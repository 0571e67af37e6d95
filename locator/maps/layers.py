"""What the finder map draws, in which datum and under which tiles — without folium.

The map itself is built by :mod:`locator.maps.finder` (folium, and with it pandas, load only
when a page draws a map: ~0.45 s and ~40 MB a server worker need not spend to answer the
API). This module holds what the pages and the map share: the tile layers
(:data:`TILES`, each with the datum its tiles are drawn in), the glyphs and labels of the
legend, :func:`safe_json` for data inside ``<script>``, and :func:`finder_payload`, the
stations as the map's script receives them.

Markers are drawn in the datum of the tiles under them: WGS-84 for OpenStreetMap and
Tianditu (CGCS2000, equal to WGS-84 at map scale), GCJ-02 for Amap. Both coordinate sets
are computed here by :func:`locator.geo.datum.wgs84_to_gcj02` and embedded, so the page's
layer switcher can move every marker to the new datum without any datum formula in
JavaScript. Coordinates are integers of 1e-6 degree (0.11 m).

The payload (:func:`finder_payload`), columns of equal length per station:
``lat``/``lon`` WGS-84 in 1e-6° as deltas from the previous station (the first from 0);
``glat``/``glon`` the GCJ-02 minus WGS-84 offset in 1e-6°; ``kind`` an index into
``kinds``/``glyphs``; ``ids``; ``names`` and ``addresses`` only when no ``details`` URL is
given (else a popup fetches ``details`` with ``__ID__`` replaced by the id). Also:
``demo`` the positions of synthetic stations; ``datum`` of the initial tiles; ``base`` their
name; ``tiles`` the layers the switcher offers (``name``, ``url``, ``overlays``,
``attribution``, ``subdomains``, ``max_zoom``, ``datum``, ``tk``); ``labels``; ``user``
``{"wgs84": [lat, lon], "gcj02": [lat, lon]}``; ``nearest`` rows ``[position, metres,
text]``; ``has_synthetic`` (a page shows its demo banner when true). Every piece of
station text reaches the page through ``textContent`` only.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from locator.errors import ConfigError, QueryError
from locator.geo.datum import Datum, wgs84_to_gcj02
from locator.model import KIND_LABELS, N_, Kind, Station

__all__ = ["DEFAULT_LABELS", "KIND_GLYPHS", "TILES", "TileSpec",
           "finder_payload", "format_distance", "offered", "safe_json", "tile_json", "tile_spec"]

_DECIMALS = 6


@dataclass(frozen=True, slots=True)
class TileSpec:
    """A base map: a Leaflet URL template and the datum its tiles are drawn in.

    ``url`` may contain ``{tk}``, filled with the key when ``needs_key`` is true.
    ``overlays`` are further URL templates drawn on top (Tianditu's label layer).
    """

    name: str
    url: str
    attribution: str
    datum: Datum
    subdomains: str
    max_zoom: int
    needs_key: bool
    overlays: tuple[str, ...] = ()


def _tianditu(layer: str) -> str:
    """Tianditu's WMTS KVP GetTile URL for a Web-Mercator (``_w``) layer."""
    return (f"https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
            f"&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
            "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={tk}")


TILES: Mapping[str, TileSpec] = MappingProxyType({
    "osm": TileSpec(
        "osm", "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> '
        "contributors", Datum.WGS84, "abc", 19, needs_key=False),
    "amap": TileSpec(
        "amap", "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1"
        "&style=8&x={x}&y={y}&z={z}", "&copy; 高德地图 AutoNavi", Datum.GCJ02, "1234", 18,
        needs_key=False),
    "tianditu": TileSpec(
        "tianditu", _tianditu("vec"), "&copy; 天地图 Tianditu", Datum.WGS84,
        "01234567", 18, needs_key=True, overlays=(_tianditu("cva"),)),
})

KIND_GLYPHS: Mapping[Kind, str] = MappingProxyType({
    Kind.SMART_STATION: "驿", Kind.BOX_STATION: "箱", Kind.GIG_MARKET: "零",
    Kind.LABOR_PARK: "园", Kind.DRIVERS_HOME: "司", Kind.SERVICE_COMPLEX: "综",
    Kind.TRAINING_BASE: "培", Kind.PARTNER: "伙",
})

#: UI strings of the map and their English message ids: every :class:`Kind` value, plus
#: ``you_are_here`` (the user's marker), ``legend_title``, ``distance`` (a popup's distance
#: line, ``%(distance)s`` filled in by the script), ``nearest`` (popup badge of the k
#: nearest) and ``demo`` (popup badge of a synthetic station). Keys missing from ``labels``
#: fall back to these.
DEFAULT_LABELS: Mapping[str, str] = MappingProxyType({
    **{kind.value: label for kind, label in KIND_LABELS.items()},
    "you_are_here": N_("You are here"), "legend_title": N_("Service stations"),
    "distance": N_("Distance: %(distance)s"), "nearest": N_("Nearest"),
    "demo": N_("Demonstration data, not a real station"),
    "loading": N_("Loading…"), "details_failed": N_("Details could not be loaded."),
    "tiles_failed": N_("Map tiles could not be loaded; stations and the list still work."),
    "tiles_osm": N_("OpenStreetMap"), "tiles_amap": N_("Amap"),
    "tiles_tianditu": N_("Tianditu"),
})

_KEY_RE = re.compile(r"[A-Za-z0-9]{8,64}")
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                 "\u2028": "\\u2028", "\u2029": "\\u2029"}


def safe_json(value: Any) -> str:
    """JSON safe inside ``<script>``: ``<>&``, U+2028 and U+2029 become ``\\u`` escapes."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return re.sub("[<>&\u2028\u2029]", lambda m: _JSON_ESCAPES[m.group()], text)


def format_distance(metres: float, *, precision_m: float = 0.0) -> str:
    """A distance for people: ``"320 m"``, ``"1.2 km"``, ``"12 km"``; ValueError if < 0.

    ``precision_m``: how far the origin may be off. Over 500 m the distance is rounded to
    what that allows — 100 m steps up to 2 km of error, whole kilometres beyond — so a
    page never shows "289 m" from a point known to ±10 km (the caller says "about").
    """
    if not (math.isfinite(metres) and metres >= 0):
        raise ValueError(f"distance must be a finite number of metres >= 0, got {metres!r}")
    if precision_m > 2000:
        return f"{max(1, round(metres / 1000)):d} km"
    if precision_m > 500:
        metres = max(100.0, round(metres, -2))
    if metres < 999.5:
        return f"{round(metres):d} m"
    km = metres / 1000.0
    return f"{km:.1f} km" if km < 9.95 else f"{round(km):d} km"


def offered(tianditu_key: str | None) -> tuple[str, ...]:
    """Names of the layers a server can draw: those needing a key only with a usable one."""
    return tuple(name for name, spec in TILES.items()
                 if not spec.needs_key or _KEY_RE.fullmatch(tianditu_key or ""))


def tile_spec(tiles: str, tianditu_key: str | None) -> TileSpec:
    """The tile layer named ``tiles``, its key checked.

    Raises
    ------
    QueryError
        For an unknown name.
    ConfigError
        For a layer that needs a key (Tianditu) without a usable one.
    """
    try:
        spec = TILES[tiles]
    except (KeyError, TypeError):
        raise QueryError("tiles", f"unknown tile layer {tiles!r}; expected one of "
                         f"{', '.join(sorted(TILES))}") from None
    if spec.needs_key and not _KEY_RE.fullmatch(tianditu_key or ""):
        raise ConfigError(f"the {tiles!r} tiles need a key (the 'tk' from console.tianditu"
                          f".gov.cn, 8-64 letters or digits), got {tianditu_key!r}")
    return spec


def _micro(values: NDArray[np.float64]) -> NDArray[np.int64]:
    """Degrees as integers of 1e-6 degree."""
    out: NDArray[np.int64] = np.round(values * 10**_DECIMALS).astype(np.int64)
    return out


def tile_json(spec: TileSpec, key: str | None = None) -> dict[str, Any]:
    """A base map for the page's switcher (``tk`` only for layers that need a key)."""
    out: dict[str, Any] = {"name": spec.name, "url": spec.url, "overlays": list(spec.overlays),
                           "attribution": spec.attribution, "subdomains": spec.subdomains,
                           "max_zoom": spec.max_zoom, "datum": spec.datum.value}
    if spec.needs_key:
        out["tk"] = key
    return out


def _check_center(center: tuple[float, float]) -> tuple[float, float]:
    """``center`` as a WGS-84 ``(lon, lat)`` of finite floats (QueryError otherwise)."""
    try:
        lon, lat = (float(v) for v in center)
        ok = math.isfinite(lon) and math.isfinite(lat) and abs(lon) <= 180 and abs(lat) <= 90
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise QueryError("center", f"center must be a WGS-84 (lon, lat), got {center!r}")
    return lon, lat


def finder_payload(stations: Sequence[Station], *, center: tuple[float, float],
                   nearest: Sequence[tuple[Station, float]], spec: TileSpec,
                   tianditu_key: str | None, labels: Mapping[str, str],
                   details_url: str | None, precision_m: float = 0.0,
                   user_label: bool = False) -> dict[str, Any]:
    """The JSON object the finder map's script draws (see the module docstring).

    ``stations`` without a location are skipped; a ``nearest`` station missing from them
    is added. ``spec`` gives the initial tiles; ``labels`` fall back to
    :data:`DEFAULT_LABELS`. ``precision_m``: how far the point may be off; over 500 m the
    distance labels are rounded to it and say so (``≈ 1 km``).
    :data:`DEFAULT_LABELS`. ``user_label``: the user's point carries its label on the map
    (the widget's small frame has no legend); else only the legend names it.
    """
    lon, lat = _check_center(center)
    drawn: list[Station] = [s for s in stations if s.located]
    index = {s.id: i for i, s in enumerate(drawn)}
    near: list[tuple[int, float]] = []
    for station, metres in (pair for pair in nearest if pair[0].located):
        if station.id not in index:  # a nearest station missing from ``stations``
            index[station.id] = len(drawn)
            drawn.append(station)
        near.append((index[station.id], float(metres)))

    xs = np.array([lon] + [s.lon for s in drawn], dtype=np.float64)
    ys = np.array([lat] + [s.lat for s in drawn], dtype=np.float64)
    gxs, gys = wgs84_to_gcj02(xs, ys)
    wx, wy = _micro(xs), _micro(ys)
    gx, gy = _micro(gxs), _micro(gys)

    kinds = list(Kind)
    kind_index = {k: i for i, k in enumerate(kinds)}
    payload: dict[str, Any] = {
        "datum": spec.datum.value, "base": spec.name,
        "tiles": [tile_json(TILES[name], tianditu_key) for name in offered(tianditu_key)],
        "kinds": [k.value for k in kinds],
        "glyphs": [KIND_GLYPHS[k] for k in kinds],
        "labels": {key: str(labels.get(key, default)) for key, default in
                   DEFAULT_LABELS.items()},
        "user": {"wgs84": [wy[0] / 1e6, wx[0] / 1e6], "gcj02": [gy[0] / 1e6, gx[0] / 1e6]},
        "lat": np.diff(wy[1:], prepend=0).tolist(),
        "lon": np.diff(wx[1:], prepend=0).tolist(),
        "glat": (gy[1:] - wy[1:]).tolist(), "glon": (gx[1:] - wx[1:]).tolist(),
        "kind": [kind_index[s.kind] for s in drawn],
        "ids": [s.id for s in drawn],
        "demo": [i for i, s in enumerate(drawn) if s.synthetic],
        "details": details_url,
        "nearest": [[i, round(m, 1), ("≈ " if precision_m > 500 else "")
                     + format_distance(m, precision_m=precision_m)] for i, m in near],
        "has_synthetic": any(s.synthetic for s in drawn),
        "user_label": user_label,
    }
    if details_url is None:
        payload["names"] = [s.name for s in drawn]
        payload["addresses"] = [s.address for s in drawn]
    return payload
