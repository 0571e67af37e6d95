/* The offline page: shows the last /api/v1/nearest answer the finder saved in this browser
   (cache data-cache, key data-saved; headers X-Locator-Fetched, -Walk-In, -K), with the time
   it was fetched. Station text reaches the page through textContent only. */
(function () {
  "use strict";
  var root = document.querySelector(".offline-page");
  var banner = document.getElementById("offline-banner");
  var list = document.getElementById("offline-hits");
  var L = JSON.parse(document.getElementById("offline-labels").textContent);
  var lang = root.getAttribute("data-lang").replace("_", "-");
  var zone = {timeZone: "Asia/Shanghai"};

  function fill(text, values) {
    return text.replace(/%\((\w+)\)[sd]/g, function (_, key) { return String(values[key]); });
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function format(date, options) {
    return new Intl.DateTimeFormat(lang, Object.assign({}, zone, options)).format(date);
  }
  function day(date) { return format(date, {year: "numeric", month: "2-digit", day: "2-digit"}); }
  function when(iso, fetched) {
    var at = new Date(iso), time = format(at, {hour: "2-digit", minute: "2-digit", hourCycle: "h23"});
    if (day(at) === day(fetched)) { return time; }
    return format(at, {weekday: "short", month: "numeric", day: "numeric"}) + " " + time;
  }
  function distance(m) { return m < 999.5 ? Math.round(m) + " m" : (m / 1000).toFixed(1) + " km"; }

  function show(body, fetched, walkIn, k) {
    var features = body.features || [];
    if (walkIn) {
      features = features.filter(function (f) {
        return f.properties.entry === "open" || f.properties.entry === "qr_code";
      });
    }
    features = features.slice(0, k || features.length);
    list.textContent = "";
    features.forEach(function (f) {
      var p = f.properties, li = el("li", "hit");
      li.setAttribute("data-station-id", p.id);
      li.appendChild(el("h3", "", p.name));
      var kind = el("p", "kind", L.kinds[p.kind] || p.kind);
      if (p.synthetic) { kind.appendChild(document.createTextNode(" · ")); kind.appendChild(el("span", "demo-tag", L.text.demo)); }
      li.appendChild(kind);
      li.appendChild(el("p", "distance", distance(p.distance_m) + " · " +
        fill(L.text.walk, {min: Math.round(p.walk_min)}) + " · " + fill(L.text.ebike, {min: Math.round(p.ebike_min)})));
      var state = p.open_state || "unknown", hours = L.text[state];
      if (p.next_change && state !== "unknown") {
        hours += " · " + fill(L.text[state === "open" ? "closes" : "opens"], {time: when(p.next_change, fetched)});
      }
      li.appendChild(el("p", "hours state-" + state, hours));
      if (p.amenities && p.amenities.length) {
        var ul = el("ul", "amenities");
        p.amenities.forEach(function (a) { ul.appendChild(el("li", "amenity amenity-" + a, L.amenities[a] || a)); });
        li.appendChild(ul);
      }
      if (p.entry) { li.appendChild(el("p", "entry", fill(L.text.entry, {how: L.entries[p.entry] || p.entry}))); }
      if (p.address) { li.appendChild(el("p", "address", p.address)); }
      var verified = p.verified_on ? fill(L.text.verified, {date: p.verified_on}) : L.text.never;
      li.appendChild(el("p", "verified" + (p.stale ? " stale" : ""), verified + (p.stale ? " · " + L.text.stale : "")));
      list.appendChild(li);
    });
    document.getElementById("offline-demo").hidden = !features.some(function (f) { return f.properties.synthetic; });
    banner.textContent = fill(banner.getAttribute("data-fetched"),
      {when: format(fetched, {month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23"})});
  }

  function none() { banner.textContent = banner.getAttribute("data-none"); }
  if (!window.caches) { none(); return; }
  caches.open(root.getAttribute("data-cache")).then(function (cache) {
    return cache.match(root.getAttribute("data-saved"));
  }).then(function (saved) {
    if (!saved) { none(); return null; }
    return saved.json().then(function (body) {
      show(body, new Date(saved.headers.get("X-Locator-Fetched")),
           saved.headers.get("X-Locator-Walk-In") === "1",
           parseInt(saved.headers.get("X-Locator-K") || "0", 10));
    });
  }).catch(none);
}());
