/* The station layer of the finder map (payload built by locator/maps.py).
 *
 * Coordinates arrive in two datums computed on the server by locator.datum: WGS-84 as
 * delta-encoded integers of 1e-6 degree (lat, lon) and, per station, the GCJ-02 offset in
 * the same unit (glat, glon). This script only adds integers; it knows no datum formula.
 * When the base map changes, every marker, line and the user's point move to the datum of
 * the new tiles (GCJ-02 on Amap, WGS-84 on OSM and Tianditu).
 *
 * Station text reaches the page through textContent only. Events for the page:
 * "lz:pick" {lat, lon, datum} on a map click, "lz:tiles" {name, datum} on a layer switch.
 */
(function (global) {
  "use strict";
  var E6 = 1e6;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }

  function decode(d) {
    var n = d.lat.length, wgs = new Array(n), gcj = new Array(n), y = 0, x = 0, i;
    for (i = 0; i < n; i++) {
      y += d.lat[i]; x += d.lon[i];
      wgs[i] = [y / E6, x / E6];
      gcj[i] = [(y + d.glat[i]) / E6, (x + d.glon[i]) / E6];
    }
    return {wgs84: wgs, gcj02: gcj};
  }

  function stations(map, d, clustered) {
    var T = d.labels, pos = decode(d), datum = d.datum, icons = {}, near = {},
        markers = new Array(d.kind.length), others = [], top = L.featureGroup(),
        lines = [], demo = {}, user = d.user, userMarker, group, base = {}, failed = 0;
    (d.demo || []).forEach(function (i) { demo[i] = true; });
    d.nearest.forEach(function (n, rank) { near[n[0]] = [rank + 1, n[2]]; });

    var GlyphIcon = L.DivIcon.extend({createIcon: function (old) {
      var div = L.DivIcon.prototype.createIcon.call(this, old);
      div.textContent = this.options.glyph; return div;
    }});
    function icon(k, big, isDemo) {
      var key = [k, big, isDemo].join(), s = big ? 34 : 26;
      return icons[key] || (icons[key] = new GlyphIcon({html: "", glyph: d.glyphs[k],
        iconSize: [s, s], popupAnchor: [0, -s / 2], tooltipAnchor: [s / 2, 0],
        className: "lz-icon lz-kind-" + d.kinds[k] + (big ? " lz-nearest" : "") +
                   (isDemo ? " lz-synthetic" : "")}));
    }
    function link(href, text) {
      var a = el("a", "lz-popup-link", text);
      if (/^https:\/\//.test(href)) { a.href = href; a.rel = "noopener"; a.target = "_blank"; }
      return a;
    }
    function fill(box, i, info) {
      var n = near[i];
      box.textContent = "";
      box.appendChild(el("div", "lz-popup-name", info.name));
      box.appendChild(el("div", "lz-popup-kind", T[d.kinds[d.kind[i]]]));
      if (info.address) { box.appendChild(el("div", "lz-popup-address", info.address)); }
      if (info.hours) { box.appendChild(el("div", "lz-popup-hours", info.hours)); }
      if (info.approx) { box.appendChild(el("div", "lz-popup-precision", info.approx)); }
      if (info.phones && info.phones.length) {
        var phones = box.appendChild(el("div", "lz-popup-phones", ""));
        info.phones.forEach(function (p) {
          var a = el("a", "lz-popup-phone", p.number);
          if (/^tel:[0-9+,\-]+$/.test(p.href)) { a.href = p.href; }
          phones.appendChild(a);
        });
      }
      if (n) {
        box.appendChild(el("div", "lz-popup-distance", T.distance + ": " + n[1]));
        box.appendChild(el("div", "lz-badge lz-badge-nearest", T.nearest + " " + n[0]));
      }
      if (demo[i]) { box.appendChild(el("div", "lz-badge lz-badge-demo", T.demo)); }
      if (info.links && info.links.length) {
        var row = box.appendChild(el("div", "lz-popup-links"));
        info.links.forEach(function (l) { row.appendChild(link(l.url, l.label)); });
      }
    }
    function popup(i) {
      var box = el("div", "lz-popup");
      if (d.names) {
        fill(box, i, {name: d.names[i], address: d.addresses ? d.addresses[i] : ""});
        return box;
      }
      box.appendChild(el("div", "lz-popup-loading", T.loading));
      var url = d.details.replace("__ID__", encodeURIComponent(d.ids[i]));
      fetch(url, {headers: {Accept: "application/json"}}).then(function (r) {
        if (!r.ok) { throw new Error(String(r.status)); }
        return r.json();
      }).then(function (info) { fill(box, i, info); }, function () {
        box.textContent = ""; box.appendChild(el("div", "lz-popup-error", T.details_failed));
      });
      return box;
    }
    function tooltip(i) {  /* an element: Leaflet would parse a returned string as HTML */
      return el("span", "lz-tooltip", d.names ? d.names[i] : T[d.kinds[d.kind[i]]]);
    }

    function build() {
      var i, n = d.kind.length, at = pos[datum];
      for (i = 0; i < n; i++) {
        var m = L.marker(at[i], {icon: icon(d.kind[i], !!near[i], demo[i]),
          riseOnHover: true, keyboard: !!near[i], zIndexOffset: near[i] ? 900 - near[i][0] : 0});
        m.bindPopup(popup.bind(null, i));
        markers[i] = m;
        if (near[i]) {
          (function (label) {
            m.bindTooltip(function () { return el("span", "lz-distance", label); },
              {permanent: true, direction: "right", className: "lz-distance-tooltip"});
          }(near[i][1]));
          lines.push([i, L.polyline([user[datum], at[i]], {className: "lz-nearest-line",
            weight: 3, dashArray: "6 6", interactive: false}).addTo(top)]);
          m.addTo(top);
        } else {
          m.bindTooltip(tooltip.bind(null, i), {direction: "top"});
          others.push(m);
        }
      }
      group = clustered ? L.markerClusterGroup({showCoverageOnHover: false,
        chunkedLoading: true, maxClusterRadius: 45}) : L.featureGroup(others);
      if (clustered) { group.addLayers(others); }
      group.addTo(map);
    }

    function move(to) {
      if (to === datum) { return; }
      var at = pos[to], c = map.getCenter(), u0 = user[datum], u1 = user[to];
      datum = to;
      if (clustered) { group.clearLayers(); }
      markers.forEach(function (m, i) { m.setLatLng(at[i]); });
      if (clustered) { group.addLayers(others); }
      lines.forEach(function (pair) { pair[1].setLatLngs([user[to], at[pair[0]]]); });
      userMarker.setLatLng(user[to]);
      /* keep the same ground under the screen: shift the view by the user's offset */
      map.panTo([c.lat + u1[0] - u0[0], c.lng + u1[1] - u0[1]], {animate: false});
    }

    top.addTo(map);
    userMarker = L.marker(user[datum], {icon: L.divIcon({className: "lz-user", html: "",
      iconSize: [18, 18]}), keyboard: false, zIndexOffset: 1000}).bindTooltip(function () {
      return el("span", "lz-user-label", T.you_are_here);
    }, {permanent: true, direction: "top", offset: [0, -10]}).addTo(map);
    if (d.nearest.length) {
      var b = L.latLngBounds([user[datum]]);
      d.nearest.forEach(function (nn) { b.extend(pos[datum][nn[0]]); });
      map.fitBounds(b, {padding: [40, 40], maxZoom: 16});
    }

    /* base maps: Leaflet tile layers, each tagged with its datum; a switcher when > 1 */
    var notice = L.control({position: "topleft"});
    notice.onAdd = function () { return el("div", "lz-tile-notice", T.tiles_failed); };
    (d.tiles || []).forEach(function (t) {
      var layers = [t.url].concat(t.overlays || []).map(function (url) {
        var opts = {attribution: t.attribution, subdomains: t.subdomains, maxZoom: t.max_zoom};
        if (t.tk) { opts.tk = t.tk; }
        var layer = L.tileLayer(url, opts);
        layer.on("tileerror", function () {
          failed += 1;
          if (failed === 4) { notice.addTo(map); }
        });
        layer.on("tileload", function () {
          if (failed) { failed = 0; notice.remove(); }
        });
        return layer;
      });
      var one = layers.length === 1 ? layers[0] : L.layerGroup(layers);
      one.lzDatum = t.datum; one.lzName = t.name;
      base[T["tiles_" + t.name] || t.name] = one;
      if (t.name === d.base) { one.addTo(map); }
    });
    if (Object.keys(base).length > 1) {
      L.control.layers(base, null, {collapsed: true, position: "topright"}).addTo(map);
    }
    map.on("baselayerchange", function (e) {
      failed = 0; notice.remove();
      move(e.layer.lzDatum);
      document.dispatchEvent(new CustomEvent("lz:tiles", {detail: {name: e.layer.lzName,
        datum: datum}}));
    });
    map.on("click", function (e) {
      document.dispatchEvent(new CustomEvent("lz:pick", {detail: {lat: e.latlng.lat,
        lon: e.latlng.lng, datum: datum}}));
    });

    var legend = L.control({position: "bottomright"});
    legend.onAdd = function () {
      var box = el("div", "lz-legend"), seen = {};
      function row(swatch, text) {
        var r = box.appendChild(el("div", "lz-legend-row"));
        r.appendChild(swatch); r.appendChild(el("span", "lz-legend-label", text));
      }
      box.appendChild(el("div", "lz-legend-title", T.legend_title));
      d.kind.forEach(function (k) { seen[k] = true; });
      d.kinds.forEach(function (kind, k) {
        if (seen[k]) { row(el("span", "lz-icon lz-swatch lz-kind-" + kind, d.glyphs[k]), T[kind]); }
      });
      row(el("span", "lz-user lz-swatch"), T.you_are_here);
      L.DomEvent.disableClickPropagation(box); return box;
    };
    legend.addTo(map);

    /* markers after the first paint: the list and the map frame show at once */
    var ready = new Promise(function (resolve) {
      /* after the next frame is painted, so 10,000 markers never delay the first paint */
      requestAnimationFrame(function () { setTimeout(function () { build(); resolve(); }, 0); });
    });
    var api = {
      ready: ready,
      datum: function () { return datum; },
      positions: function () {
        return markers.map(function (m) { var p = m.getLatLng(); return [p.lat, p.lng]; });
      },
      user: function () { var p = userMarker.getLatLng(); return [p.lat, p.lng]; },
      open: function (id) {
        var i = d.ids.indexOf(id);
        if (i < 0 || !markers[i]) { return false; }
        if (clustered && !near[i]) {
          group.zoomToShowLayer(markers[i], function () { markers[i].openPopup(); });
        } else { markers[i].openPopup(); }
        return true;
      }
    };
    map.getContainer().lzStations = api;
    return api;
  }

  global.LZ = {stations: stations};
}(window));
