/* The station layer of the finder map (payload built by locator/maps/layers.py).
 *
 * Coordinates arrive in two datums computed on the server by locator.geo.datum: WGS-84 as
 * delta-encoded integers of 1e-6 degree (lat, lon) and, per station, the GCJ-02 offset in
 * the same unit (glat, glon). This script only adds integers; it knows no datum formula.
 * When the base map changes, every marker, line and the user's point move to the datum of
 * the new tiles (GCJ-02 on Amap, WGS-84 on OSM and Tianditu).
 *
 * Made for a phone held in one hand: the legend is a button on small maps, the view is fitted
 * with room for the controls so none covers a nearest marker, popups stay on screen, and
 * markers grow with the phone's text size. replace(payload) swaps the stations (a filter
 * change) without rebuilding the map.
 *
 * Station text reaches the page through textContent only. Events for the page:
 * "lz:pick" {lat, lon, datum} on a map click, "lz:tiles" {name, datum} on a layer switch.
 */
(function (global) {
  "use strict";
  var E6 = 1e6;
  var SMALL = 600;  /* px: below this map width the legend starts folded */

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

  /* markers as big as the phone's text: 26/34 px at the default 16 px, more for large text */
  function textScale() {
    var root = parseFloat(window.getComputedStyle(document.documentElement).fontSize) || 16;
    return Math.max(1, root / 16);
  }

  function stations(map, d, clustered) {
    var T = d.labels, datum = d.datum, user = d.user, userMarker, base = {}, failed = 0,
        top = L.featureGroup(), scale = textScale(), state;

    var GlyphIcon = L.DivIcon.extend({createIcon: function (old) {
      var div = L.DivIcon.prototype.createIcon.call(this, old);
      div.textContent = this.options.glyph; return div;
    }});
    var icons = {};
    function icon(k, big, isDemo) {
      var key = [k, big, isDemo].join(), s = Math.round((big ? 34 : 26) * scale);
      return icons[key] || (icons[key] = new GlyphIcon({html: "", glyph: state.d.glyphs[k],
        iconSize: [s, s], popupAnchor: [0, -s / 2], tooltipAnchor: [s / 2, 0],
        className: "lz-icon lz-kind-" + state.d.kinds[k] + (big ? " lz-nearest" : "") +
                   (isDemo ? " lz-synthetic" : "")}));
    }
    function link(href, text, cls) {
      var a = el("a", cls || "lz-popup-link", text);
      if (/^(https:\/\/|tel:|\/)/.test(href)) {
        a.href = href;
        if (/^https:/.test(href)) { a.rel = "noopener"; a.target = "_blank"; }
      }
      return a;
    }
    function fill(box, i, info) {
      var n = state.near[i], dd = state.d;
      box.textContent = "";
      box.appendChild(el("div", "lz-popup-name", info.name));
      box.appendChild(el("div", "lz-popup-kind", T[dd.kinds[dd.kind[i]]]));
      if (info.address) { box.appendChild(el("div", "lz-popup-address", info.address)); }
      if (info.status) {
        box.appendChild(el("div", "lz-popup-hours lz-state-" + info.state, info.status));
      }
      if (info.special) { box.appendChild(el("div", "lz-popup-note", info.special)); }
      if (info.hours_line) { box.appendChild(el("div", "lz-popup-hours-text", info.hours_line)); }
      if (info.approx) { box.appendChild(el("div", "lz-popup-precision", info.approx)); }
      if (n) {
        box.appendChild(el("div", "lz-popup-distance", T.distance.replace("%(distance)s", n[1])));
        box.appendChild(el("div", "lz-badge lz-badge-nearest", T.nearest + " " + n[0]));
      }
      if (info.freshness) {
        box.appendChild(el("div", "lz-popup-verified" + (info.stale ? " lz-stale" : ""),
                           info.freshness));
      }
      if (info.reported_text) { box.appendChild(el("div", "lz-popup-note", info.reported_text)); }
      if (state.demo[i]) { box.appendChild(el("div", "lz-badge lz-badge-demo", T.demo)); }
      var row;
      if ((info.phones && info.phones.length) || (info.links && info.links.length)) {
        row = box.appendChild(el("div", "lz-popup-links"));
        (info.phones || []).forEach(function (p) { row.appendChild(link(p.url, p.label)); });
        (info.links || []).forEach(function (l) { row.appendChild(link(l.url, l.label)); });
      }
      if (info.report_url || info.share_url) {
        row = box.appendChild(el("div", "lz-popup-actions"));
        if (info.report_url) { row.appendChild(link(info.report_url, info.report_label, "lz-popup-action")); }
        if (info.share_url) { row.appendChild(link(info.share_url, info.share_label, "lz-popup-action")); }
      }
    }
    function popup(i) {
      var box = el("div", "lz-popup"), dd = state.d;
      if (dd.names) {
        fill(box, i, {name: dd.names[i], address: dd.addresses ? dd.addresses[i] : ""});
        return box;
      }
      box.appendChild(el("div", "lz-popup-loading", T.loading));
      var url = dd.details.replace("__ID__", encodeURIComponent(dd.ids[i]));
      fetch(url, {headers: {Accept: "application/json"}}).then(function (r) {
        if (!r.ok) { throw new Error(String(r.status)); }
        return r.json();
      }).then(function (info) {
        fill(box, i, info);
        /* the filled box becomes the popup's content (no new fetch), laid out and panned
           again now that it is taller */
        var m = state.markers[i];
        if (m && m.getPopup()) { m.getPopup().setContent(box); }
      }, function () {
        box.textContent = ""; box.appendChild(el("div", "lz-popup-error", T.details_failed));
      });
      return box;
    }
    function tooltip(i) {  /* an element: Leaflet would parse a returned string as HTML */
      var dd = state.d;
      return el("span", "lz-tooltip", dd.names ? dd.names[i] : T[dd.kinds[dd.kind[i]]]);
    }
    /* popups stay inside the map, clear of the controls at its edges */
    function popupOptions() {
      var size = map.getSize();
      return {maxWidth: Math.max(160, Math.min(300, size.x - 56)), keepInView: true,
              autoPanPaddingTopLeft: L.point(16, 64), autoPanPaddingBottomRight: L.point(16, 40)};
    }

    function load(dd) {
      var near = {}, demo = {};
      (dd.demo || []).forEach(function (i) { demo[i] = true; });
      dd.nearest.forEach(function (n, rank) { near[n[0]] = [rank + 1, n[2]]; });
      state = {d: dd, pos: decode(dd), near: near, demo: demo, markers: [], others: [],
               lines: [], group: null};
    }

    function build() {
      var i, dd = state.d, n = dd.kind.length, at = state.pos[datum], near = state.near,
          options = popupOptions();
      for (i = 0; i < n; i++) {
        var m = L.marker(at[i], {icon: icon(dd.kind[i], !!near[i], state.demo[i]),
          riseOnHover: true, keyboard: !!near[i], zIndexOffset: near[i] ? 900 - near[i][0] : 0});
        m.bindPopup(popup.bind(null, i), options);
        state.markers[i] = m;
        if (near[i]) {
          (function (label) {
            m.bindTooltip(function () { return el("span", "lz-distance", label); },
              {permanent: true, direction: "right", className: "lz-distance-tooltip"});
          }(near[i][1]));
          state.lines.push([i, L.polyline([user[datum], at[i]], {className: "lz-nearest-line",
            weight: 3, dashArray: "6 6", interactive: false}).addTo(top)]);
          m.addTo(top);
        } else {
          m.bindTooltip(tooltip.bind(null, i), {direction: "top"});
          state.others.push(m);
        }
      }
      state.group = clustered ? L.markerClusterGroup({showCoverageOnHover: false,
        chunkedLoading: true, maxClusterRadius: 45}) : L.featureGroup(state.others);
      if (clustered) { state.group.addLayers(state.others); }
      state.group.addTo(map);
    }

    /* the user and the nearest in view, with room for the controls in each corner */
    function fit() {
      if (!state.d.nearest.length) { return; }
      var b = L.latLngBounds([user[datum]]);
      state.d.nearest.forEach(function (nn) { b.extend(state.pos[datum][nn[0]]); });
      var pad = Math.round(20 * scale);
      map.fitBounds(b, {paddingTopLeft: [48 + pad, 48 + pad],
                        paddingBottomRight: [48 + pad, 36 + pad], maxZoom: 16});
    }

    function move(to) {
      if (to === datum) { return; }
      var at = state.pos[to], c = map.getCenter(), u0 = user[datum], u1 = user[to];
      datum = to;
      if (clustered) { state.group.clearLayers(); }
      state.markers.forEach(function (m, i) { m.setLatLng(at[i]); });
      if (clustered) { state.group.addLayers(state.others); }
      state.lines.forEach(function (pair) { pair[1].setLatLngs([user[to], at[pair[0]]]); });
      userMarker.setLatLng(user[to]);
      /* keep the same ground under the screen: shift the view by the user's offset */
      map.panTo([c.lat + u1[0] - u0[0], c.lng + u1[1] - u0[1]], {animate: false});
    }

    load(d);
    top.addTo(map);
    /* the user's point: a dot under the stations (the legend names it), never in the way of
       a tap on a station next to it */
    userMarker = L.marker(user[datum], {icon: L.divIcon({className: "lz-user", html: "",
      iconSize: [Math.round(18 * scale), Math.round(18 * scale)]}), keyboard: false,
      interactive: false, zIndexOffset: -100, title: T.you_are_here}).addTo(map);
    if (d.user_label) {  /* (the widget: its small frame has no room for the legend) */
      userMarker.bindTooltip(function () { return el("span", "lz-user-label", T.you_are_here); },
        {permanent: true, direction: "bottom", offset: [0, 8]});
    }
    fit();

    /* base maps: Leaflet tile layers, each tagged with its datum; a switcher when > 1 */
    var notice = L.control({position: "bottomleft"});
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

    /* the legend: a button that opens it; folded at first on a small map */
    var legend = L.control({position: "bottomright"}), legendBody = el("div", "lz-legend-body");
    function fillLegend() {
      var seen = {}, dd = state.d;
      legendBody.textContent = "";
      dd.kind.forEach(function (k) { seen[k] = true; });
      dd.kinds.forEach(function (kind, k) {
        if (!seen[k]) { return; }
        var r = legendBody.appendChild(el("div", "lz-legend-row"));
        r.appendChild(el("span", "lz-icon lz-swatch lz-kind-" + kind, dd.glyphs[k]));
        r.appendChild(el("span", "lz-legend-label", T[kind]));
      });
      var you = legendBody.appendChild(el("div", "lz-legend-row"));
      you.appendChild(el("span", "lz-user lz-swatch"));
      you.appendChild(el("span", "lz-legend-label", T.you_are_here));
    }
    legend.onAdd = function () {
      var box = el("div", "lz-legend"), id = "lz-legend-" + L.Util.stamp(map),
          button = el("button", "lz-legend-toggle", T.legend_title), open = map.getSize().x >= SMALL;
      button.type = "button";
      button.setAttribute("aria-controls", id);
      legendBody.id = id;
      function show(yes) {
        open = yes;
        button.setAttribute("aria-expanded", String(yes));
        legendBody.hidden = !yes;
        box.classList.toggle("lz-legend-open", yes);
      }
      button.addEventListener("click", function () { show(!open); });
      box.appendChild(button); box.appendChild(legendBody);
      fillLegend(); show(open);
      L.DomEvent.disableClickPropagation(box); L.DomEvent.disableScrollPropagation(box);
      return box;
    };
    legend.addTo(map);

    /* markers after the first paint: the list and the map frame show at once */
    function later(work) {
      return new Promise(function (resolve) {
        /* after the next frame is painted, so 10,000 markers never delay the first paint */
        requestAnimationFrame(function () { setTimeout(function () { work(); resolve(); }, 0); });
      });
    }
    var api = {
      ready: later(build),
      datum: function () { return datum; },
      positions: function () {
        return state.markers.map(function (m) { var p = m.getLatLng(); return [p.lat, p.lng]; });
      },
      user: function () { var p = userMarker.getLatLng(); return [p.lat, p.lng]; },
      /* the nearest markers' elements, nearest first (tests check nothing covers them) */
      nearestIcons: function () {
        return state.d.nearest.map(function (n) { return state.markers[n[0]].getElement(); });
      },
      open: function (id) {
        var i = state.d.ids.indexOf(id), m = state.markers[i];
        if (i < 0 || !m) { return false; }
        if (clustered && !state.near[i]) {
          state.group.zoomToShowLayer(m, function () { m.openPopup(); });
        } else { m.openPopup(); }
        return true;
      },
      /* other stations (a filter change): same map, tiles, view datum and user point */
      replace: function (dd) {
        map.closePopup();
        scale = textScale(); icons = {};  /* the phone's text size may have changed */
        if (state.group) { map.removeLayer(state.group); }
        top.clearLayers();
        load(dd);
        fillLegend();
        api.ready = later(function () { build(); fit(); });
        return api.ready;
      }
    };
    map.getContainer().lzStations = api;
    return api;
  }

  global.LZ = {stations: stations};
}(window));
