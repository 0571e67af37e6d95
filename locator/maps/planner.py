"""The planner map: distance classes, gap polygons, suggested sites and stations, with folium.

Like the finder map (:mod:`locator.maps.finder`) every asset is the app's own file, and every
piece of text reaches the page through ``textContent`` from JSON made by
:func:`locator.maps.layers.safe_json`: candidate names from a file are untrusted.

The choropleth merges cells of one distance class into polygons
(``h3.cells_to_h3shape``) and simplifies them (about 30 m) for drawing only; the
figures always come from the cells. With a demand layer its people per km² are a second,
switchable layer. Coordinates are shifted to GCJ-02 for Amap tiles.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import folium
import numpy as np
import shapely
from branca.element import MacroElement
from folium.template import Template
from markupsafe import Markup
from numpy.typing import NDArray
from shapely.geometry import MultiPolygon, mapping
from shapely.geometry.base import BaseGeometry

from locator.geo.datum import Datum, wgs84_to_gcj02
from locator.maps import finder, layers
from locator.model import Station
from locator.planning.coverage import distance_class
from locator.planning.gaps import cell_polygons
from locator.planning.plan import Plan

__all__ = ["CLASS_COLOURS", "planner_map", "planner_parts"]

CLASS_COLOURS = ("#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027")
#: people per km² classes of the demand layer (lower bounds) and their colours
PEOPLE_CLASSES = (1.0, 100.0, 1000.0, 5000.0, 20000.0)
PEOPLE_COLOURS = ("#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f")
_SIMPLIFY_DEG = 0.0003
_lock = threading.Lock()
#: drawn distance classes, per distance array (one per registry version and kinds) and datum
_DRAWN: dict[tuple[int, str], tuple[object, list[dict[str, Any]]]] = {}
_JS = (("leaflet", f"{finder.LEAFLET}/leaflet.js"),)
_CSS = (("leaflet_css", f"{finder.LEAFLET}/leaflet.css"), ("locator_map_css", "css/map.css"))


class _PlannerMap(finder.LocalAssetMap):
    """The planner's map."""


class PlanLayer(MacroElement):
    """Draws the payload: ``classes``/``gaps`` GeoJSON, ``sites`` and ``stations`` rows."""

    _template = Template("""
{% macro script(this, kwargs) %}
(function (map, d) {
  "use strict";
  function el(tag, cls, text) {
    var e = document.createElement(tag); e.className = cls;
    if (text !== undefined) { e.textContent = String(text); } return e;
  }
  var all = L.featureGroup().addTo(map);
  var classes = L.geoJSON(d.classes, {interactive: false, style: function (f) {
    return {stroke: false, fillColor: d.colours[f.properties.c], fillOpacity: 0.45};
  }}).addTo(all);
  if (d.people) {
    var people = L.geoJSON(d.people, {interactive: false, style: function (f) {
      return {stroke: false, fillColor: d.people_colours[f.properties.c], fillOpacity: 0.6};
    }});
    var overlays = {};
    overlays[d.labels.distance] = classes;
    overlays[d.labels.people] = people;
    L.control.layers(null, overlays, {collapsed: false}).addTo(map);
  }
  L.geoJSON(d.gaps, {style: {color: "#7b3294", weight: 2, fill: false, dashArray: "4 4"},
    onEachFeature: function (f, layer) {
      layer.bindTooltip(function () {
        return el("span", "lz-gap-tip", d.labels.gap + " " + f.properties.rank + ": " +
                  f.properties.km2 + " km²");
      });
    }}).addTo(all);
  d.stations.forEach(function (s) {
    L.circleMarker([s[0], s[1]], {radius: 3, color: "#333", weight: 1, fillOpacity: 0.9,
      className: "lz-plan-station"}).bindTooltip(function () {
        return el("span", "lz-tooltip", s[2]); }).addTo(map);
  });
  d.sites.forEach(function (s) {
    L.marker([s[0], s[1]], {icon: L.divIcon({className: "lz-site", html: "",
      iconSize: [26, 26]}), zIndexOffset: 1000,
      title: d.labels.site + " " + s[2]}).bindTooltip(function () {
        return el("span", "lz-site-tip", d.labels.site + " " + s[2] + (s[3] ? " · " + s[3] : ""));
      }, {permanent: true, direction: "right"}).addTo(all);
  });
  var legend = L.control({position: "bottomright"});
  legend.onAdd = function () {
    var box = el("div", "lz-legend");
    box.appendChild(el("div", "lz-legend-title", d.labels.legend));
    d.class_labels.forEach(function (text, i) {
      var r = box.appendChild(el("div", "lz-legend-row")), sw = el("span", "lz-swatch");
      sw.style.background = d.colours[i]; r.appendChild(sw);
      r.appendChild(el("span", "lz-legend-label", text));
    });
    return box;
  };
  legend.addTo(map);
  if (d.bounds) { map.fitBounds(d.bounds); }
})({{ this._parent.get_name() }}, {{ this.payload_json }});
{% endmacro %}
""")

    def __init__(self, payload: Mapping[str, Any]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "PlanLayer"
        self.payload_json = layers.safe_json(payload)


def _shift(geom: BaseGeometry, datum: Datum) -> BaseGeometry:
    if datum is not Datum.GCJ02:
        return geom
    return shapely.transform(geom, lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0],
                                                                             xy[:, 1])))


def _feature(geom: BaseGeometry, datum: Datum, props: dict[str, Any]) -> dict[str, Any]:
    g = shapely.set_precision(_shift(geom.simplify(_SIMPLIFY_DEG), datum), 1e-6)
    return {"type": "Feature", "geometry": mapping(g), "properties": props}


def _class_features(cells: NDArray[np.uint64], classes: NDArray[np.intp], n: int,
                    datum: Datum) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for c in range(n):
        polys = cell_polygons(cells[classes == c])
        if polys:
            out.append(_feature(MultiPolygon(polys), datum, {"c": c}))
    return out


def _distance_features(plan: Plan, datum: Datum) -> list[dict[str, Any]]:
    """The distance classes drawn, kept per distance array: a new radius, ``n`` or demand
    layer draws the same classes (``bench/planner.py``: the page's largest part)."""
    dist = plan.coverage.distance_m
    key = (id(dist), datum.value)
    with _lock:
        hit = _DRAWN.get(key)
    if hit is not None and hit[0] is dist:
        return hit[1]
    grid = plan.coverage.grid
    features = _class_features(grid.cells, distance_class(dist), len(CLASS_COLOURS), datum)
    if not dist.flags.writeable:  # a kept array (coverage.cell_distances): keep the drawing
        with _lock:
            if len(_DRAWN) >= 8:
                _DRAWN.pop(next(iter(_DRAWN)))
            _DRAWN[key] = (dist, features)
    return features


def _people_features(plan: Plan, datum: Datum) -> list[dict[str, Any]] | None:
    if plan.people is None:
        return None
    grid = plan.coverage.grid
    density = plan.people / (grid.area_m2 / 1e6)
    classes = np.searchsorted(np.asarray(PEOPLE_CLASSES), density, side="right") - 1
    keep = classes >= 0
    return _class_features(grid.cells[keep], classes[keep], len(PEOPLE_CLASSES), datum)


def _rows(pts: list[tuple[Any, ...]], datum: Datum) -> list[list[Any]]:
    """``[lat, lon, *rest]`` rows in the tiles' datum, rounded to 1e-6°."""
    if not pts:
        return []
    xs = np.array([p[0] for p in pts], dtype=np.float64)
    ys = np.array([p[1] for p in pts], dtype=np.float64)
    if datum is Datum.GCJ02:
        xs, ys = wgs84_to_gcj02(xs, ys)
    return [[round(float(y), 6), round(float(x), 6), *p[2:]]
            for x, y, p in zip(xs, ys, pts, strict=True)]


def planner_map(plan: Plan, stations: Sequence[Station], *, tiles: str,
                labels: Mapping[str, str], class_labels: list[str],
                static_url: Callable[[str], str], tianditu_key: str | None = None,
                max_gaps: int = 30) -> folium.Map:
    """The planner's folium map of ``plan`` and ``stations``; render with :func:`planner_parts`.

    ``labels`` holds translated ``legend``, ``gap`` and ``site``; ``class_labels`` one
    text per distance class (5).
    """
    spec = layers.TILES[tiles] if tiles in layers.TILES else layers.TILES["osm"]
    if spec.needs_key and not tianditu_key:
        spec = layers.TILES["osm"]
    js = [(n, static_url(p)) for n, p in _JS]
    css = [(n, static_url(p)) for n, p in _CSS]
    area = plan.boundaries.area.geometry
    x0, y0, x1, y1 = _shift(area, spec.datum).bounds
    payload: dict[str, Any] = {
        "colours": list(CLASS_COLOURS), "class_labels": class_labels,
        "labels": {k: str(labels.get(k, k)) for k in ("legend", "gap", "site", "people",
                                                       "distance")},
        "classes": {"type": "FeatureCollection",
                    "features": _distance_features(plan, spec.datum)},
        "people_colours": list(PEOPLE_COLOURS),
        "gaps": {"type": "FeatureCollection", "features": [
            _feature(g.geometry, spec.datum, {"rank": g.rank,
                                              "km2": round(g.area_m2 / 1e6, 2)})
            for g in plan.gaps[:max_gaps]]},
        "sites": [], "stations": [],
        "bounds": [[round(y0, 6), round(x0, 6)], [round(y1, 6), round(x1, 6)]],
    }
    people = _people_features(plan, spec.datum)
    if people is not None:
        payload["people"] = {"type": "FeatureCollection", "features": people}
    payload["stations"] = _rows([(s.lon or 0.0, s.lat or 0.0, s.name)
                                 for s in stations if s.located], spec.datum)
    if plan.suggestion is not None:
        payload["sites"] = _rows([(s.candidate.lon, s.candidate.lat, s.rank,
                                   " · ".join(x for x in (w.district, w.subdistrict,
                                                          s.candidate.name) if x))
                                  for s, w in zip(plan.suggestion.steps, plan.sites,
                                                  strict=True)], spec.datum)
    m = _PlannerMap(location=[(y0 + y1) / 2, (x0 + x1) / 2], tiles=None, zoom_start=10,
                    max_zoom=spec.max_zoom, control_scale=True)
    m.use_assets(js, css)
    key: dict[str, Any] = {"tk": tianditu_key} if spec.needs_key else {}
    folium.TileLayer(spec.url, attr=spec.attribution, name=spec.name,
                     subdomains=spec.subdomains, max_zoom=spec.max_zoom, control=False,
                     **key).add_to(m)
    PlanLayer(payload).add_to(m)
    return m


def planner_parts(m: folium.Map) -> dict[str, Markup]:
    """``header``/``html``/``script`` of a :func:`planner_map`, refusing foreign assets."""
    if not isinstance(m, _PlannerMap):
        raise TypeError(f"planner_parts needs a map from planner_map, got {type(m).__name__}")
    return finder.local_map_parts(m)
