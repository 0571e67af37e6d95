"""The finder map: stations, the user's point and the nearest few, drawn with Leaflet.

Everything the browser loads comes from the app itself (``static_url``), never a CDN:
folium's default jQuery/Bootstrap/Font-Awesome links are replaced by the vendored Leaflet
and Leaflet.markercluster (see ``scripts/vendor_assets.sh``) and ``css/map.css``.

Stations are emitted once as compact JSON and turned into markers by a short script, so a
map of 10,000 stations stays small and fast. Every piece of station text reaches the page
through ``textContent`` only, and the JSON is escaped so that no data can close the
``<script>`` element it sits in.

Markers are drawn in the datum of the tiles under them: WGS-84 for OpenStreetMap and
Tianditu (CGCS2000, equal to WGS-84 at map scale), GCJ-02 for Amap; the shift is done by
:func:`locator.datum.wgs84_to_gcj02`. Coordinates are rounded to 1e-6 degree (0.11 m).

The embedded JSON object (``StationLayer.payload``): ``datum`` of the coordinates;
``fields`` naming the columns of each ``stations`` row ``[lat, lon, kind, name, address,
synthetic, id]`` (``kind`` an index into ``kinds``/``glyphs``, ``synthetic`` 0 or 1);
``labels``; ``user`` ``[lat, lon]``; ``nearest`` rows ``[station index, metres, text]``;
``has_synthetic`` (a page shows its demo banner when true).
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

from locator.datum import Datum, wgs84_to_gcj02
from locator.errors import ConfigError, QueryError
from locator.model import KIND_LABELS, N_, Kind, Station

__all__ = ["DEFAULT_LABELS", "KIND_GLYPHS", "TILES", "TileSpec", "finder_map",
           "format_distance", "map_parts", "safe_json"]

LEAFLET = "vendor/leaflet-1.9.4"
MARKERCLUSTER = "vendor/leaflet.markercluster-1.5.3"
_JS = (("leaflet", f"{LEAFLET}/leaflet.js"),
       ("markerclusterjs", f"{MARKERCLUSTER}/leaflet.markercluster.js"))
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
    """Markers, the user's point, lines to the nearest and a legend, built in the browser.

    ``payload`` is the JSON object described in the module docstring; ``cluster`` groups
    the markers in a ``L.markerClusterGroup`` (else a plain ``L.featureGroup``).
    """

    _template = Template("""
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = (function (map, d, clustered) {
  "use strict";
  var T = d.labels, icons = {}, near = {}, markers = [], user = d.user, top = L.featureGroup();
  function el(tag, cls, text) {  /* data reaches the page through textContent only */
    var e = document.createElement(tag);
    e.className = cls; if (text !== undefined) { e.textContent = String(text); } return e;
  }
  var GlyphIcon = L.DivIcon.extend({createIcon: function (old) {
    var div = L.DivIcon.prototype.createIcon.call(this, old);
    div.textContent = this.options.glyph; return div;
  }});
  function icon(k, big, demo) {
    var key = [k, big, demo].join(), s = big ? 34 : 26;
    return icons[key] || (icons[key] = new GlyphIcon({html: "", glyph: d.glyphs[k],
      iconSize: [s, s], popupAnchor: [0, -s / 2], tooltipAnchor: [s / 2, 0],
      className: "lz-icon lz-kind-" + d.kinds[k] + (big ? " lz-nearest" : "") +
                 (demo ? " lz-synthetic" : "")}));
  }
  d.nearest.forEach(function (n, rank) { near[n[0]] = [rank + 1, n[2]]; });
  function popup(i) {
    var s = d.stations[i], n = near[i], box = el("div", "lz-popup");
    box.appendChild(el("div", "lz-popup-name", s[3]));
    box.appendChild(el("div", "lz-popup-kind", T[d.kinds[s[2]]]));
    if (s[4]) { box.appendChild(el("div", "lz-popup-address", s[4])); }
    if (n) {
      box.appendChild(el("div", "lz-popup-distance", T.distance + ": " + n[1]));
      box.appendChild(el("div", "lz-badge lz-badge-nearest", T.nearest + " " + n[0]));
    }
    if (s[5]) { box.appendChild(el("div", "lz-badge lz-badge-demo", T.demo)); }
    return box;
  }
  d.stations.forEach(function (s, i) {
    var n = near[i], m = L.marker([s[0], s[1]], {icon: icon(s[2], !!n, s[5]),
      riseOnHover: true, zIndexOffset: n ? 900 - n[0] : 0});
    m.bindPopup(function () { return popup(i); });
    if (n) {
      m.bindTooltip(function () { return el("span", "lz-distance", n[1]); },
        {permanent: true, direction: "right", className: "lz-distance-tooltip"});
      L.polyline([user, [s[0], s[1]]], {className: "lz-nearest-line", weight: 3,
        dashArray: "6 6", interactive: false}).addTo(top);
      m.addTo(top);
    } else {
      m.bindTooltip(function () { return el("span", "lz-tooltip", s[3]); }, {direction: "top"});
      markers.push(m);
    }
  });
  var group = clustered ? L.markerClusterGroup({showCoverageOnHover: false,
    chunkedLoading: true, maxClusterRadius: 45}) : L.featureGroup(markers);
  if (clustered) { group.addLayers(markers); }
  group.addTo(map);
  top.addTo(map);
  L.marker(user, {icon: L.divIcon({className: "lz-user", html: "", iconSize: [18, 18]}),
    keyboard: false, zIndexOffset: 1000}).bindTooltip(function () {
    return el("span", "lz-user-label", T.you_are_here);
  }, {permanent: true, direction: "top", offset: [0, -10]}).addTo(map);
  if (d.nearest.length) {
    map.fitBounds(top.getBounds().extend(user), {padding: [40, 40], maxZoom: 16});
  }
  var legend = L.control({position: "bottomright"});
  legend.onAdd = function () {
    var box = el("div", "lz-legend"), seen = {};
    function row(swatch, text) {
      var r = box.appendChild(el("div", "lz-legend-row"));
      r.appendChild(swatch); r.appendChild(el("span", "lz-legend-label", text));
    }
    box.appendChild(el("div", "lz-legend-title", T.legend_title));
    d.stations.forEach(function (s) { seen[s[2]] = true; });
    d.kinds.forEach(function (kind, k) {
      if (seen[k]) { row(el("span", "lz-icon lz-swatch lz-kind-" + kind, d.glyphs[k]), T[kind]); }
    });
    row(el("span", "lz-user lz-swatch"), T.you_are_here);
    L.DomEvent.disableClickPropagation(box); return box;
  };
  legend.addTo(map);
  return group;
})({{ this._parent.get_name() }}, {{ this.payload_json }}, {{ this.cluster|tojson }});
{% endmacro %}
""")

    def __init__(self, payload: Mapping[str, Any], *, cluster: bool = True) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "StationLayer"
        self.payload = payload
        self.payload_json = safe_json(payload)
        self.cluster = cluster


class _FinderMap(folium.Map):
    """A folium map whose only assets are the app's own files."""

    asset_urls: frozenset[str] = frozenset()


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
    if spec.datum is Datum.GCJ02:
        xs, ys = wgs84_to_gcj02(xs, ys)
    xs, ys = np.round(xs, _DECIMALS), np.round(ys, _DECIMALS)

    kinds = list(Kind)
    kind_index = {k: i for i, k in enumerate(kinds)}
    payload: dict[str, Any] = {
        "datum": spec.datum.value,
        "fields": ["lat", "lon", "kind", "name", "address", "synthetic", "id"],
        "kinds": [k.value for k in kinds],
        "glyphs": [KIND_GLYPHS[k] for k in kinds],
        "labels": {key: str(labels.get(key, default)) for key, default in
                   DEFAULT_LABELS.items()},
        "user": [float(ys[0]), float(xs[0])],
        "stations": [[float(ys[i + 1]), float(xs[i + 1]), kind_index[s.kind], s.name,
                      s.address, 1 if s.synthetic else 0, s.id] for i, s in enumerate(drawn)],
        "nearest": [[i, round(m, 1), format_distance(m)] for i, m in near],
        "has_synthetic": any(s.synthetic for s in drawn),
    }

    m = _FinderMap(location=[payload["user"][0], payload["user"][1]], tiles=None,
                   zoom_start=zoom, max_zoom=spec.max_zoom, control_scale=True)
    m.default_js, m.default_css = js, css
    m.asset_urls = frozenset(url for _, url in js + css)
    key: dict[str, Any] = {"tk": tianditu_key} if spec.needs_key else {}
    for n, url in enumerate((spec.url, *spec.overlays)):
        folium.TileLayer(url, attr=spec.attribution, name=f"{spec.name}{n}",
                         subdomains=spec.subdomains, max_zoom=spec.max_zoom,
                         overlay=n > 0, control=False, **key).add_to(m)
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
    root = m.get_root()
    if not isinstance(root, Figure):
        raise TypeError("map_parts needs the map inside its folium Figure")
    root.render()
    for child in root.header._children.values():
        if isinstance(child, JavascriptLink | CssLink) and child.url not in m.asset_urls:
            raise ConfigError(f"the map links a foreign asset {child.url!r}")
    return {"header": Markup(root.header.render()),  # noqa: S704 - rendered by folium
            "html": Markup(root.html.render()),  # noqa: S704
            "script": Markup(root.script.render())}  # noqa: S704
