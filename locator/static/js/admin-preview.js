/* The upload preview's map: added, removed and moved stations (names as text only). */
(function () {
  var data = JSON.parse(document.getElementById("preview-data").textContent);
  var map = L.map("preview-map", {attributionControl: false}).setView([36.06, 103.83], 10);
  var bounds = L.latLngBounds([]);
  if (data.area) { var a = L.geoJSON(data.area, {style: {color: "#555", weight: 1, fill: false}}).addTo(map); bounds.extend(a.getBounds()); }
  function label(s, extra) {
    var el = document.createElement("span");
    el.textContent = s.name + " (" + s.id + ")" + (extra || "");
    return el;
  }
  function dot(s, color, extra) {
    var m = L.circleMarker([s.lat, s.lon], {radius: 5, color: color, fillOpacity: 0.8}).bindPopup(label(s, extra)).addTo(map);
    bounds.extend(m.getLatLng());
  }
  data.added.forEach(function (s) { dot(s, "#0b6b2b"); });
  data.removed.forEach(function (s) { dot(s, "#9b1c1c"); });
  data.moved.forEach(function (s) {
    L.polyline([[s.from[1], s.from[0]], [s.lat, s.lon]], {color: "#c96a00", weight: 2}).addTo(map);
    dot(s, "#c96a00", " · " + s.metres + " m");
  });
  if (bounds.isValid()) { map.fitBounds(bounds.pad(0.05), {animate: false}); }
})();
