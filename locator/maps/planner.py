"""The planner map: distance classes, gap polygons, suggested sites and stations, with folium.

Like the finder map (:mod:`locator.maps.finder`) every asset is the app's own file, and every
piece of text reaches the page through ``textContent`` from JSON made by
:func:`locator.maps.layers.safe_json`: candidate names from a file are untrusted.

The choropleth merges cells of one distance class into polygons
(``h3.cells_to_h3shape``) and simplifies them (about 30 m) for drawing only; the
figures always come from the cells. Coordinates are shifted to GCJ-02 for Amap tiles.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import folium
import numpy as np
import shapely
from branca.element import MacroElement
from folium.template import Template
from h3.api import numpy_int as h3n
from markupsafe import Markup
from shapely.geometry import MultiPolygon, Polygon, mapping
from shapely.geometry.base import BaseGeometry

from locator.geo.datum import Datum, wgs84_to_gcj02
from locator.maps import finder, layers
from locator.model import Station
from locator.planning.coverage import distance_class
from locator.planning.plan import Plan

__all__ = ["CLASS_COLOURS", "planner_map", "planner_parts"]

CLASS_COLOURS = ("#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027")
_SIMPLIFY_DEG = 0.0003
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
  L.geoJSON(d.classes, {interactive: false, style: function (f) {
    return {stroke: false, fillColor: d.colours[f.properties.c], fillOpacity: 0.45};
  }}).addTo(all);
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


def _class_polygons(plan: Plan) -> list[tuple[int, BaseGeometry]]:
    cov = plan.coverage
    out: list[tuple[int, BaseGeometry]] = []
    classes = distance_class(cov.distance_m)
    for c in range(5):
        cells = cov.grid.cells[classes == c]
        if cells.size == 0:
            continue
        shape = h3n.cells_to_h3shape(cells)
        polys = [Polygon([(x, y) for y, x in p.outer],
                         [[(x, y) for y, x in h] for h in p.holes])
                 for p in getattr(shape, "polys", [shape])]
        out.append((c, MultiPolygon(polys)))
    return out


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
        "labels": {k: str(labels.get(k, k)) for k in ("legend", "gap", "site")},
        "classes": {"type": "FeatureCollection", "features": [
            _feature(g, spec.datum, {"c": c}) for c, g in _class_polygons(plan)]},
        "gaps": {"type": "FeatureCollection", "features": [
            _feature(g.geometry, spec.datum, {"rank": g.rank,
                                              "km2": round(g.area_m2 / 1e6, 2)})
            for g in plan.gaps[:max_gaps]]},
        "sites": [], "stations": [],
        "bounds": [[round(y0, 6), round(x0, 6)], [round(y1, 6), round(x1, 6)]],
    }
    payload["stations"] = _rows([(s.lon or 0.0, s.lat or 0.0, s.name)
                                 for s in stations if s.located], spec.datum)
    if plan.suggestion is not None:
        payload["sites"] = _rows([(s.candidate.lon, s.candidate.lat, s.rank, s.candidate.name)
                                  for s in plan.suggestion.steps], spec.datum)
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
