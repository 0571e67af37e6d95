"""The finder map: stations, the user's point and the nearest few, drawn with Leaflet.

Everything the browser loads comes from the app itself (``static_url``), never a CDN:
folium's default jQuery/Bootstrap/Font-Awesome links are replaced by the vendored Leaflet
and Leaflet.markercluster (see ``scripts/vendor_assets.sh``) and ``css/map.css``.

Stations are emitted once as compact JSON and turned into markers by a short script, so a
map of 10,000 stations stays small and fast. Every piece of station text reaches the page
through ``textContent`` only, and the JSON is escaped so that no data can close the
``<script>`` element it sits in.

Markers are drawn in the datum of the tiles under them: WGS-84 for OpenStreetMap and
Tianditu (CGCS2000, equal to WGS-84 at map scale), GCJ-02 for Amap. Both coordinate sets
are computed here by :func:`locator.datum.wgs84_to_gcj02` and embedded, so the page's
layer switcher can move every marker to the new datum without any datum formula in
JavaScript. Coordinates are integers of 1e-6 degree (0.11 m).

The embedded JSON object (``StationLayer.payload``), columns of equal length per station:
``lat``/``lon`` WGS-84 in 1e-6° as deltas from the previous station (the first from 0);
``glat``/``glon`` the GCJ-02 minus WGS-84 offset in 1e-6°; ``kind`` an index into
``kinds``/``glyphs``; ``ids``; ``names`` and ``addresses`` only when no ``details`` URL is
given (else a popup fetches ``details`` with ``__ID__`` replaced by the id). Also:
``demo`` the positions of synthetic stations; ``datum`` of the initial tiles; ``base`` their
name; ``tiles`` the layers the switcher offers (``name``, ``url``, ``overlays``,
``attribution``, ``subdomains``, ``max_zoom``, ``datum``, ``tk``); ``labels``; ``user``
``{"wgs84": [lat, lon], "gcj02": [lat, lon]}``; ``nearest`` rows ``[position, metres,
text]``; ``has_synthetic`` (a page shows its demo banner when true).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import folium
import numpy as np
from branca.element import CssLink, Figure, JavascriptLink, MacroElement
from folium.template import Template
from markupsafe import Markup
from numpy.typing import NDArray

from locator import csp
from locator.datum import Datum, wgs84_to_gcj02
from locator.errors import ConfigError, QueryError
from locator.model import KIND_LABELS, N_, Kind, Station

__all__ = ["DEFAULT_LABELS", "KIND_GLYPHS", "TILES", "LocalAssetMap", "TileSpec", "finder_map",
           "format_distance", "local_map_parts", "map_parts", "safe_json", "tile_json"]

LEAFLET = "vendor/leaflet-1.9.4"
MARKERCLUSTER = "vendor/leaflet.markercluster-1.5.3"
_JS = (("leaflet", f"{LEAFLET}/leaflet.js"),
       ("markerclusterjs", f"{MARKERCLUSTER}/leaflet.markercluster.js"),
       ("locator_map_js", "js/finder-map.js"))
_CSS = (("leaflet_css", f"{LEAFLET}/leaflet.css"),
        ("markerclustercss", f"{MARKERCLUSTER}/MarkerCluster.css"),
        ("markerclusterdefaultcss", f"{MARKERCLUSTER}/MarkerCluster.Default.css"),
        ("locator_map_css", "css/map.css"))

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
#: ``you_are_here`` (the user's marker), ``legend_title``, ``distance`` (before a
#: distance in a popup), ``nearest`` (popup badge of the k nearest) and ``demo`` (popup
#: badge of a synthetic station). Keys missing from ``labels`` fall back to these.
DEFAULT_LABELS: Mapping[str, str] = MappingProxyType({
    **{kind.value: label for kind, label in KIND_LABELS.items()},
    "you_are_here": N_("You are here"), "legend_title": N_("Service stations"),
    "distance": N_("Distance"), "nearest": N_("Nearest"),
    "demo": N_("Demonstration data, not a real station"),
    "loading": N_("Loading…"), "details_failed": N_("Details could not be loaded."),
    "tiles_failed": N_("Map tiles could not be loaded; stations and the list still work."),
    "tiles_osm": N_("OpenStreetMap"), "tiles_amap": N_("Amap"),
    "tiles_tianditu": N_("Tianditu"),
})

_KEY_RE = re.compile(r"[A-Za-z0-9]{8,64}")
_UNSAFE_URL = re.compile(r"[\"'<>\s\\]")
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                 "\u2028": "\\u2028", "\u2029": "\\u2029"}


def safe_json(value: Any) -> str:
    """JSON safe inside ``<script>``: ``<>&``, U+2028 and U+2029 become ``\\u`` escapes."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return re.sub("[<>&\u2028\u2029]", lambda m: _JSON_ESCAPES[m.group()], text)


def format_distance(metres: float) -> str:
    """A distance for people: ``"320 m"``, ``"1.2 km"``, ``"12 km"``; ValueError if < 0."""
    if not (math.isfinite(metres) and metres >= 0):
        raise ValueError(f"distance must be a finite number of metres >= 0, got {metres!r}")
    if metres < 999.5:
        return f"{round(metres):d} m"
    km = metres / 1000.0
    return f"{km:.1f} km" if km < 9.95 else f"{round(km):d} km"


class StationLayer(MacroElement):
    """Markers, the user's point, lines to the nearest, a legend and the base maps.

    The work is done by ``js/finder-map.js`` (``LZ.stations``); this element only passes
    it the map, the ``payload`` (see the module docstring) and ``cluster``.
    """

    _template = Template("""
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = LZ.stations({{ this._parent.get_name() }},
  {{ this.payload_json }}, {{ this.cluster|tojson }});
{% endmacro %}
""")

    def __init__(self, payload: Mapping[str, Any], *, cluster: bool = True) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "StationLayer"
        self.payload = payload
        self.payload_json = safe_json(payload)
        self.cluster = cluster


_FOLIUM_VIEWPORT = re.compile(r'<meta name="viewport"[^>]*>')


class LocalAssetMap(folium.Map):
    """A folium base map whose only assets are the app's own files (the finder's, the planner's).

    Give it its assets with :meth:`use_assets`; :func:`local_map_parts` renders it and
    refuses any other asset link.
    """

    asset_urls: frozenset[str] = frozenset()

    def use_assets(self, js: Sequence[tuple[str, str]], css: Sequence[tuple[str, str]]) -> None:
        """Make ``js`` and ``css`` (name, URL) the map's only script and style links."""
        self.default_js, self.default_css = list(js), list(css)
        self.asset_urls = frozenset(url for _, url in [*js, *css])


class _FinderMap(LocalAssetMap):
    """The finder's map."""


def _resolve(items: Sequence[tuple[str, str]], static_url: Callable[[str], str],
             ) -> list[tuple[str, str]]:
    """Resolve asset paths through ``static_url``, refusing URLs unsafe in an attribute."""
    urls = [(name, static_url(path)) for name, path in items]
    for (_, path), (_, url) in zip(items, urls, strict=True):
        if not url or _UNSAFE_URL.search(url):
            raise ConfigError(f"static_url({path!r}) gave an unusable URL {url!r}")
    return urls


def _tile_spec(tiles: str, tianditu_key: str | None) -> TileSpec:
    """Look up ``tiles`` and check its key."""
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
    try:
        lon, lat = (float(v) for v in center)
        ok = math.isfinite(lon) and math.isfinite(lat) and abs(lon) <= 180 and abs(lat) <= 90
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise QueryError("center", f"center must be a WGS-84 (lon, lat), got {center!r}")
    return lon, lat


def finder_map(
    stations: Sequence[Station],
    *,
    center: tuple[float, float],
    nearest: Sequence[tuple[Station, float]] = (),
    tiles: str = "amap",
    tianditu_key: str | None = None,
    labels: Mapping[str, str],
    static_url: Callable[[str], str],
    zoom: int = 13,
    cluster: bool = True,
    details_url: str | None = None,
) -> folium.Map:
    """Build the finder map.

    Parameters
    ----------
    stations : sequence of Station
        Stations to draw; those without a location are skipped.
    center : (float, float)
        The user's point, WGS-84 ``(lon, lat)``; the map centres on it.
    nearest : sequence of (Station, float)
        The k nearest and their geodesic distances in metres, nearest first: a bigger
        marker, a line from the user and a distance label each, never clustered.
    tiles : {"amap", "osm", "tianditu"}
        The base map (a key of :data:`TILES`); ``tianditu`` needs ``tianditu_key`` (tk).
    labels : mapping of str to str
        Translated UI strings keyed as :data:`DEFAULT_LABELS` (every Kind value,
        ``you_are_here``, ``legend_title``, ``distance``, ``nearest``, ``demo``); missing
        keys fall back to the English defaults, other keys are ignored.
    static_url : callable
        Maps a path under ``locator/static`` to its URL, e.g.
        ``lambda p: url_for("static", filename=p)``.
    zoom : int
        Initial zoom, 0 to the tile layer's ``max_zoom``.
    cluster : bool
        Cluster the markers that are not among the nearest.
    details_url : str, optional
        URL of a station's details (JSON ``name``, ``address``, ``hours``, ``links``) with
        ``__ID__`` where the id goes. Given, names stay out of the page and popups fetch
        them (a light page for thousands of stations); ``None`` embeds names and addresses.

    Returns
    -------
    folium.Map
        Render it with :func:`map_parts`.

    Raises
    ------
    QueryError
        For an unknown ``tiles`` name, a bad ``center`` or ``zoom``.
    ConfigError
        For Tianditu without a usable key, or a ``static_url`` giving unsafe URLs.
    """
    spec = _tile_spec(tiles, tianditu_key)
    lon, lat = _check_center(center)
    if isinstance(zoom, bool) or not isinstance(zoom, int) or not 0 <= zoom <= spec.max_zoom:
        raise QueryError("zoom", f"zoom must be an integer 0-{spec.max_zoom}, got {zoom!r}")
    js, css = _resolve(_JS, static_url), _resolve(_CSS, static_url)

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
    user = {"wgs84": [wy[0] / 1e6, wx[0] / 1e6], "gcj02": [gy[0] / 1e6, gx[0] / 1e6]}
    payload: dict[str, Any] = {
        "datum": spec.datum.value, "base": spec.name,
        "tiles": [tile_json(t, tianditu_key) for t in TILES.values()
                  if not t.needs_key or _KEY_RE.fullmatch(tianditu_key or "")],
        "kinds": [k.value for k in kinds],
        "glyphs": [KIND_GLYPHS[k] for k in kinds],
        "labels": {key: str(labels.get(key, default)) for key, default in
                   DEFAULT_LABELS.items()},
        "user": user,
        "lat": np.diff(wy[1:], prepend=0).tolist(),
        "lon": np.diff(wx[1:], prepend=0).tolist(),
        "glat": (gy[1:] - wy[1:]).tolist(), "glon": (gx[1:] - wx[1:]).tolist(),
        "kind": [kind_index[s.kind] for s in drawn],
        "ids": [s.id for s in drawn],
        "demo": [i for i, s in enumerate(drawn) if s.synthetic],
        "details": details_url,
        "nearest": [[i, round(m, 1), format_distance(m)] for i, m in near],
        "has_synthetic": any(s.synthetic for s in drawn),
    }
    if details_url is None:
        payload["names"] = [s.name for s in drawn]
        payload["addresses"] = [s.address for s in drawn]

    centre = user[spec.datum.value]
    m = _FinderMap(location=centre, tiles=None,
                   zoom_start=zoom, max_zoom=spec.max_zoom, control_scale=True)
    m.use_assets(js, css)
    StationLayer(payload, cluster=cluster).add_to(m)
    return m


def map_parts(m: folium.Map) -> dict[str, Markup]:
    """Render a map from :func:`finder_map` into parts for a page template.

    Returns
    -------
    dict
        ``header`` (``<link>``/``<script src>``/``<style>`` for ``<head>``), ``html``
        (the map's ``<div>``) and ``script`` (JavaScript *without* ``<script>`` tags; put it
        in a ``<script>`` element after ``html`` and after the header's scripts).

    Raises
    ------
    TypeError
        When ``m`` was not made by :func:`finder_map`.
    ConfigError
        When anything added an asset link other than the app's own files.
    """
    if not isinstance(m, _FinderMap):
        raise TypeError(f"map_parts needs a map from finder_map, got {type(m).__name__}")
    return local_map_parts(m)


def local_map_parts(m: LocalAssetMap) -> dict[str, Markup]:
    """``header``/``html``/``script`` of any :class:`LocalAssetMap` (see :func:`map_parts`).

    Raises
    ------
    TypeError
        When ``m`` is not inside its folium Figure.
    ConfigError
        When anything added an asset link other than the map's own files.
    """
    root = m.get_root()
    if not isinstance(root, Figure):
        raise TypeError("map_parts needs the map inside its folium Figure")
    root.render()
    for child in root.header._children.values():
        if isinstance(child, JavascriptLink | CssLink) and child.url not in m.asset_urls:
            raise ConfigError(f"the map links a foreign asset {child.url!r}")
    # folium's <meta viewport> forbids pinch-zoom (WCAG 1.4.4); the page has its own
    header = _FOLIUM_VIEWPORT.sub("", root.header.render())
    return {"header": csp.with_nonce(header),  # rendered by folium; nonces for the CSP
            "html": Markup(root.html.render()),  # noqa: S704
            "script": Markup(root.script.render())}  # noqa: S704
