/* The station form's small map: drag the marker (or click the map) to move the station.
 * The marker's position is written into the form's longitude/latitude fields and the
 * "picked on" select is set to the datum of the tiles (GCJ-02 on Amap), so the server
 * converts it to WGS-84 like any typed coordinate. Tiles that fail to load leave a grey
 * map: the marker and the fields still work. No inline script: CSP-friendly. For an account
 * that may only look (data.readonly) the marker stays where it is. */
(function () {
  "use strict";
  var holder = document.getElementById("edit-map");
  var source = document.getElementById("edit-map-data");
  if (!holder || !source || typeof L === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var lon = document.getElementById("f-lon");
  var lat = document.getElementById("f-lat");
  var datum = document.getElementById("f-datum");
  var start = data.point || data.center;
  var map = L.map(holder).setView([start[1], start[0]], data.point ? 16 : 12);
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  L.control.scale({imperial: false}).addTo(map);
  L.tileLayer(data.tiles.url, {subdomains: data.tiles.subdomains, maxZoom: data.tiles.max_zoom,
                               attribution: data.tiles.attribution}).addTo(map);
  var marker = null;

  function write(latlng) {
    lon.value = latlng.lng.toFixed(7);
    lat.value = latlng.lat.toFixed(7);
    datum.value = data.tiles.datum;
    holder.setAttribute("data-moved", "1");
  }

  function place(latlng) {
    if (marker) { marker.setLatLng(latlng); return; }
    marker = L.marker(latlng, {draggable: !data.readonly, autoPan: true,
                               keyboard: !data.readonly}).addTo(map);
    marker.on("dragend", function () { write(marker.getLatLng()); });
  }

  if (data.point) { place(L.latLng(data.point[1], data.point[0])); }
  if (!data.readonly) { map.on("click", function (e) { place(e.latlng); write(e.latlng); }); }

  function typed() {
    var x = parseFloat(lon.value), y = parseFloat(lat.value);
    if (datum.value === data.tiles.datum && isFinite(x) && isFinite(y) && Math.abs(y) <= 90 && Math.abs(x) <= 180) {
      place(L.latLng(y, x));
      map.panTo([y, x]);
    }
  }
  lon.addEventListener("change", typed);
  lat.addEventListener("change", typed);
  holder.setAttribute("data-ready", "1");
})();
