"""The finder's map as folium draws it: the app's own Leaflet assets, one layer of stations.

Everything the browser loads comes from the app itself (``static_url``), never a CDN:
folium's default jQuery/Bootstrap/Font-Awesome links are replaced by the vendored Leaflet
and Leaflet.markercluster (see ``scripts/vendor_assets.sh``) and ``css/map.css``.

Stations are emitted once as compact JSON (:func:`locator.maps.layers.finder_payload`) and turned
into markers by a short script, so a map of 10,000 stations stays small and fast. Every
piece of station text reaches the page through ``textContent`` only, and the JSON is
escaped so that no data can close the ``<script>`` element it sits in.

Importing this module imports folium, and folium imports pandas when it is installed
(~0.45 s, ~40 MB): the web views import it when they first draw a map, so a server
worker starts, and answers the API, without it (``bench/serve_memory.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import folium
from branca.element import CssLink, Figure, JavascriptLink, MacroElement
from folium.template import Template
from markupsafe import Markup

from locator.errors import ConfigError, QueryError
from locator.maps import layers
from locator.model import Station

__all__ = ["LEAFLET", "LocalAssetMap", "MapChrome", "StationLayer", "finder_map",
           "local_map_parts", "map_parts", "payload_json"]

_UNSAFE_URL = re.compile(r"[\"'<>\s\\]")

LEAFLET = "vendor/leaflet-1.9.4"
MARKERCLUSTER = "vendor/leaflet.markercluster-1.5.3"
_JS = (("leaflet", f"{LEAFLET}/leaflet.js"),
       ("markerclusterjs", f"{MARKERCLUSTER}/leaflet.markercluster.js"),
       ("locator_map_js", "js/finder-map.js"))
_CSS = (("leaflet_css", f"{LEAFLET}/leaflet.css"),
        ("markerclustercss", f"{MARKERCLUSTER}/MarkerCluster.css"),
        ("markerclusterdefaultcss", f"{MARKERCLUSTER}/MarkerCluster.Default.css"),
        ("locator_map_css", "css/map.css"))


class StationLayer(MacroElement):
    """Markers, the user's point, lines to the nearest, a legend and the base maps.

    The work is done by ``js/finder-map.js`` (``LZ.stations``); this element only passes
    it the map, the ``payload`` (:func:`locator.maps.layers.finder_payload`, in a JSON data
    block beside the map, where a page fetched for a filter change finds it too) and
    ``cluster``.
    """

    _template = Template("""
{% macro html(this, kwargs) %}
<script type="application/json" class="lz-payload" id="{{ this.get_name() }}-data">
{{- this.payload_json -}}
</script>
{% endmacro %}
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = LZ.stations({{ this._parent.get_name() }},
  JSON.parse(document.getElementById("{{ this.get_name() }}-data").textContent),
  {{ this.cluster|tojson }});
{% endmacro %}
""")

    def __init__(self, payload: Mapping[str, Any], *, cluster: bool = True) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "StationLayer"
        self.payload = payload
        self.payload_json = layers.safe_json(payload)
        self.cluster = cluster


_FOLIUM_VIEWPORT = re.compile(r'<meta name="viewport"[^>]*>')


class MapChrome(MacroElement):
    """Leaflet's attribution prefix without its flag, and a metric-only scale (folium's
    ``control_scale`` draws feet and miles too)."""

    _template = Template("""
{% macro script(this, kwargs) %}
if ({{ this._parent.get_name() }}.attributionControl) {
  {{ this._parent.get_name() }}.attributionControl.setPrefix({{ this.prefix|tojson }});
}
{% if this.scale %}
L.control.scale({imperial: false}).addTo({{ this._parent.get_name() }});
{% endif %}
{% endmacro %}
""")

    def __init__(self, *, scale: bool) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "MapChrome"
        self.scale = scale
        self.prefix = '<a href="https://leafletjs.com" rel="noopener">Leaflet</a>'


class LocalAssetMap(folium.Map):
    """A folium base map whose only assets are the app's own files (the finder's, the planner's).

    Give it its assets with :meth:`use_assets`; :func:`local_map_parts` renders it and
    refuses any other asset link. Its attribution has no flag prefix and its scale (when
    ``control_scale`` was asked for) is metric only (:class:`MapChrome`).
    """

    asset_urls: frozenset[str] = frozenset()

    def use_assets(self, js: Sequence[tuple[str, str]], css: Sequence[tuple[str, str]]) -> None:
        """Make ``js`` and ``css`` (name, URL) the map's only script and style links."""
        self.default_js, self.default_css = list(js), list(css)
        self.asset_urls = frozenset(url for _, url in [*js, *css])
        if not any(isinstance(child, MapChrome) for child in self._children.values()):
            MapChrome(scale=bool(self.control_scale)).add_to(self)
            self.control_scale = False  # (folium's own would add feet and miles)


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
    precision_m: float = 0.0,
    user_label: bool = False,
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
        The base map (a key of :data:`locator.maps.layers.TILES`); ``tianditu`` needs
        ``tianditu_key`` (tk).
    labels : mapping of str to str
        Translated UI strings keyed as :data:`locator.maps.layers.DEFAULT_LABELS` (every Kind value,
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
    precision_m : float
        How far the point may be off (a place known only to its district, say): over
        500 m the distance labels are rounded to it and read ``≈ 1 km`` (give
        ``labels["you_are_here"]`` that says so too).
    user_label : bool
        Label the user's point on the map (the widget, whose small frame hides the
        legend); else the legend names it and nothing covers the stations beside it.

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
    spec = layers.tile_spec(tiles, tianditu_key)
    if isinstance(zoom, bool) or not isinstance(zoom, int) or not 0 <= zoom <= spec.max_zoom:
        raise QueryError("zoom", f"zoom must be an integer 0-{spec.max_zoom}, got {zoom!r}")
    js, css = _resolve(_JS, static_url), _resolve(_CSS, static_url)
    payload = layers.finder_payload(stations, center=center, nearest=nearest, spec=spec,
                                  tianditu_key=tianditu_key, labels=labels,
                                  details_url=details_url, precision_m=precision_m,
                                  user_label=user_label)
    m = _FinderMap(location=payload["user"][spec.datum.value], tiles=None,
                   zoom_start=zoom, max_zoom=spec.max_zoom, control_scale=True)
    m.use_assets(js, css)
    StationLayer(payload, cluster=cluster).add_to(m)
    return m


def payload_json(m: folium.Map) -> Markup:
    """The stations' JSON of a map from :func:`finder_map` (safe inside ``<script>``), as the
    page's data block holds it: what a page updated in place hands to ``replace``."""
    for child in m._children.values():
        if isinstance(child, StationLayer):
            return Markup(child.payload_json)  # noqa: S704 - escaped by layers.safe_json
    raise TypeError(f"payload_json needs a map from finder_map, got {type(m).__name__}")


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
    # the page gives the header's tags their CSP nonce (the with_nonce template filter)
    return {"header": Markup(header),  # noqa: S704 - HTML folium rendered from our assets
            "html": Markup(root.html.render()),  # noqa: S704
            "script": Markup(root.script.render())}  # noqa: S704
