/* The embed widget: "Use my location" (and locate=1 on load) reloads the widget at the
   visitor's position. Inside an iframe this needs the host's allow="geolocation". */
(function () {
  "use strict";
  var button = document.querySelector(".embed-locate");
  var status = document.querySelector(".embed-status");
  function fail() { status.textContent = button.getAttribute("data-error"); }
  function locate() {
    if (!navigator.geolocation) { fail(); return; }
    navigator.geolocation.getCurrentPosition(function (pos) {
      var url = new URL(window.location.href);
      url.searchParams.set("lat", pos.coords.latitude.toFixed(6));
      url.searchParams.set("lon", pos.coords.longitude.toFixed(6));
      url.searchParams.set("here", "1");
      url.searchParams.delete("locate");
      window.location.replace(url.toString());
    }, fail, {enableHighAccuracy: true, timeout: 10000, maximumAge: 60000});
  }
  button.addEventListener("click", locate);
  if (document.body.getAttribute("data-locate") === "1") { locate(); }
}());
