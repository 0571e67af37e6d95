/* The finder page: geolocation, tap-to-set point, place search (a keyboard listbox),
 * filters applied in place (the list and the map's stations are swapped, the scroll
 * position stays), the tile choice kept in the URL, a shared station opened on the map, and
 * the results saved for use without signal (the service worker shows them offline).
 * Everything degrades: without this script the forms are plain GET forms.
 * Text from the server reaches the page through textContent only, or as whole elements of
 * a page the server rendered for the same site (a filter change). */
(function () {
  "use strict";
  var status = document.getElementById("locate-status");
  var finder = document.querySelector(".finder");

  function say(text) { status.textContent = text; }

  /* Go to the page for a point; points picked on GCJ-02/BD-09 tiles carry their datum,
     and the server converts them (locator.datum) and redirects to the WGS-84 URL. */
  function go(lat, lon, datum) {
    var url = new URL(window.location.href);
    url.searchParams.set("lat", lat.toFixed(6));
    url.searchParams.set("lon", lon.toFixed(6));
    url.searchParams.delete("q");
    url.searchParams.delete("place");  /* an exact point replaces an estimated place */
    if (datum && datum !== "wgs84") { url.searchParams.set("datum", datum); }
    else { url.searchParams.delete("datum"); }
    window.location.assign(url.toString());
  }

  /* Go to the page for a place the server resolves (?place=<id>): the page then says what
     point it searched from and how far off it may be, also on a shared link. */
  function goPlace(id) {
    var url = new URL(window.location.href);
    ["lat", "lon", "datum", "q", "q_datum"].forEach(function (k) { url.searchParams.delete(k); });
    url.searchParams.set("place", id);
    window.location.assign(url.toString());
  }

  function goKind(kind) {
    var url = new URL(window.location.href);
    url.searchParams.set("kind", kind);
    url.searchParams.delete("q");
    window.location.assign(url.toString());
  }

  /* --- where am I: geolocation with a clear fallback (the button at the top, and the one
     offered beside estimated distances) --- */
  var locate = document.getElementById("locate"), search = document.getElementById("place-q");
  function locateHere() {
    if (!navigator.geolocation) {
      say(locate.getAttribute("data-unavailable")); search.focus(); return;
    }
    say(locate.getAttribute("data-busy"));
    navigator.geolocation.getCurrentPosition(function (pos) {
      go(pos.coords.latitude, pos.coords.longitude, "wgs84");  /* GPS is WGS-84 */
    }, function (err) {
      say(locate.getAttribute(err && err.code === 1 ? "data-denied" : "data-unavailable"));
      search.focus();
    }, {enableHighAccuracy: true, timeout: 10000, maximumAge: 60000});
  }
  if (locate) {
    [locate].concat(Array.prototype.slice.call(document.querySelectorAll("[data-locate]")))
      .forEach(function (button) {
        button.hidden = false;
        button.addEventListener("click", locateHere);
      });
  }

  document.addEventListener("lz:pick", function (e) { go(e.detail.lat, e.detail.lon, e.detail.datum); });

  /* --- the tile choice lives in the URL and in the forms --- */
  document.addEventListener("lz:tiles", function (e) {
    var url = new URL(window.location.href);
    url.searchParams.set("tiles", e.detail.name);
    window.history.replaceState(null, "", url.toString());
    document.querySelectorAll("form").forEach(function (form) {
      var input = form.querySelector("input[name=tiles]");
      if (!input) {
        input = document.createElement("input");
        input.type = "hidden"; input.name = "tiles"; form.appendChild(input);
      }
      input.value = e.detail.name;
    });
  });

  /* --- filters: applied in place; the plain GET form is the fallback --- */
  var filters = document.getElementById("filters"), pending = 0, timer2 = null;
  function query() {
    var fd = new FormData(filters);
    if (!fd.get("open")) { fd.delete("open"); }
    if (fd.get("open") !== "at") { fd.delete("at"); }
    var url = new URL(filters.action, window.location.href);
    url.search = new URLSearchParams(fd).toString();
    return url.toString();
  }
  function same(selector, doc) {
    var here = document.querySelector(selector), there = doc.querySelector(selector);
    if (here && there) { here.replaceWith(document.importNode(there, true)); }
    return !!(here && there);
  }
  /* the form as the query of ``url`` says (after back/forward) */
  function sync(url) {
    var params = new URL(url, window.location.href).searchParams;
    Array.prototype.forEach.call(filters.elements, function (input) {
      if (!input.name || input.type === "hidden" || input.type === "submit") { return; }
      var values = params.getAll(input.name).join(",").split(",");
      if (input.type === "checkbox" || input.type === "radio") {
        input.checked = input.type === "radio" && input.value === "" ?
          !params.get(input.name) : values.indexOf(input.value) >= 0;
      } else if (params.get(input.name)) { input.value = params.get(input.name); }
    });
  }
  function apply(url, push) {
    var mine = ++pending, mapEl = document.querySelector(".folium-map");
    finder.setAttribute("aria-busy", "true");
    return fetch(url, {headers: {Accept: "text/html", "X-Locator-Update": "1"}}).then(function (r) {
      if (!r.ok) { throw new Error(String(r.status)); }
      return r.text();
    }).then(function (html) {
      if (mine !== pending) { return; }  /* a newer change is on its way */
      var doc = new DOMParser().parseFromString(html, "text/html");
      var payload = doc.querySelector("script.lz-payload"), ctl = mapEl && mapEl.lzStations;
      if (!same(".results", doc) || !payload || !ctl) { throw new Error("unexpected page"); }
      same(".filter-count", doc); same(".clear-filters", doc); same(".view-fields", doc);
      var banner = document.querySelector(".demo-banner"), theirs = doc.querySelector(".demo-banner");
      if (banner) { banner.hidden = !theirs; }
      ["data-nearest", "data-walk-in", "data-k", "data-shared"].forEach(function (name) {
        finder.setAttribute(name, doc.querySelector(".finder").getAttribute(name) || "");
      });
      if (!push) { sync(url); }
      else { window.history.pushState({lzFilters: true}, "", url); }
      ctl.replace(JSON.parse(payload.textContent));
      wireList();
      save();
    }).catch(function () { window.location.assign(url); }).then(function () {
      if (mine === pending) { finder.removeAttribute("aria-busy"); }
    });
  }
  if (filters && finder && window.fetch && window.DOMParser) {
    filters.addEventListener("change", function (e) {
      var at = filters.querySelector("input[name=open][value=at]");
      if (e.target.name === "at" && !at.checked) { at.checked = true; }
      clearTimeout(timer2);
      timer2 = setTimeout(function () { apply(query(), true); }, 150);
    });
    filters.addEventListener("submit", function (e) {
      e.preventDefault(); clearTimeout(timer2); apply(query(), true);
    });
    window.addEventListener("popstate", function () { apply(window.location.href, false); });
  }

  /* --- place search: an ARIA combobox over GET /places --- */
  var form = search && search.form, list = document.getElementById("place-list");
  var found = [], active = -1, timer = null, asked = "";
  function option(i) { return document.getElementById("place-opt-" + i); }
  function close() {
    list.hidden = true; search.setAttribute("aria-expanded", "false");
    search.removeAttribute("aria-activedescendant"); active = -1;
  }
  function mark(i) {
    if (active >= 0 && option(active)) { option(active).setAttribute("aria-selected", "false"); }
    active = i;
    if (i >= 0 && option(i)) {
      option(i).setAttribute("aria-selected", "true");
      search.setAttribute("aria-activedescendant", "place-opt-" + i);
      option(i).scrollIntoView({block: "nearest"});
    }
  }
  function choose(i) {
    var p = found[i];
    if (!p) { return; }
    close(); search.value = p.name;
    if (p.kindOption) { goKind(p.value); } else { goPlace(p.id); }
  }
  /* "about 300 m" / "about 10 km", as the server words a precision */
  function about(m) {
    var text = m < 1000 ? list.getAttribute("data-m") : list.getAttribute("data-km");
    return text.replace("{n}", m < 1000 ? Math.max(10, Math.round(m / 10) * 10)
                                        : Math.max(1, Math.round(m / 1000)));
  }
  function show(places, kinds) {
    places = (kinds || []).map(function (k) {
      return {kindOption: true, value: k.value, name: k.label, parents: [],
              hint: list.getAttribute("data-kind")};
    }).concat(places);
    found = places; list.textContent = ""; active = -1;
    if (!places.length) {
      var none = document.createElement("li");
      none.className = "place-none"; none.textContent = list.getAttribute("data-none");
      list.appendChild(none);
    }
    places.forEach(function (p, i) {
      var li = document.createElement("li"), name = document.createElement("span");
      li.id = "place-opt-" + i; li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      name.className = "place-name"; name.textContent = p.name; li.appendChild(name);
      var more = p.parents.slice();
      if (p.hint) { more.push(p.hint); }
      if (p.approximate) {
        more.push(list.getAttribute("data-approx").replace("{error}", about(p.precision_m)));
      }
      if (more.length) {
        var ctx = document.createElement("span");
        ctx.className = "place-context"; ctx.textContent = more.join(" · "); li.appendChild(ctx);
      }
      li.addEventListener("mousedown", function (ev) { ev.preventDefault(); choose(i); });
      list.appendChild(li);
    });
    list.hidden = false; search.setAttribute("aria-expanded", "true");
  }
  function lookup() {
    var q = search.value.trim();
    if (!q) { close(); return; }
    if (q === asked) { return; }
    asked = q;
    var datum = document.getElementById("q-datum");
    fetch(form.getAttribute("data-places") + "?q=" + encodeURIComponent(q) +
          "&datum=" + encodeURIComponent(datum ? datum.value : "wgs84"),
          {headers: {Accept: "application/json"}})
      .then(function (r) { return r.ok ? r.json() : {places: []}; })
      .then(function (body) { if (q === asked) { show(body.places || [], body.kinds); } },
            function () { close(); });
  }
  if (search && list) {
    search.addEventListener("input", function () {
      clearTimeout(timer); asked = ""; timer = setTimeout(lookup, 120);
    });
    search.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        if (list.hidden) { asked = ""; lookup(); return; }
        var n = found.length;
        if (n) { mark(e.key === "ArrowDown" ? (active + 1) % n : (active - 1 + n) % n); }
      } else if (e.key === "Enter" && !list.hidden && active >= 0) {
        e.preventDefault(); choose(active);
      } else if (e.key === "Escape") { close(); }
    });
    search.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  /* --- "show on map" per result (again after each filter change) --- */
  var mapEl = document.querySelector(".folium-map");
  function showOnMap(id) {
    var ctl = mapEl && mapEl.lzStations;
    if (!ctl) { return; }
    mapEl.scrollIntoView({block: "center"});
    ctl.ready.then(function () { ctl.open(id); });
  }
  function wireList() {
    document.querySelectorAll(".show-on-map").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { showOnMap(button.getAttribute("data-id")); });
    });
  }
  wireList();

  /* --- a shared station (?station=<id>): its popup open on the map --- */
  if (finder && finder.getAttribute("data-shared") && mapEl && mapEl.lzStations) {
    mapEl.lzStations.ready.then(function () {
      mapEl.lzStations.open(finder.getAttribute("data-shared"));
    });
  }

  /* --- offline: the service worker keeps the shell; the last results are kept here --- */
  function save() {
    if (!finder || !window.caches || !window.fetch) { return; }
    var note = document.querySelector(".offline-note");
    fetch(finder.getAttribute("data-nearest"), {headers: {Accept: "application/json"}})
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.text(); })
      .then(function (body) {
        return caches.open(finder.getAttribute("data-cache")).then(function (cache) {
          return cache.put(finder.getAttribute("data-saved"), new Response(body, {headers: {
            "Content-Type": "application/json", "X-Locator-Fetched": new Date().toISOString(),
            "X-Locator-Lang": finder.getAttribute("data-lang"),
            "X-Locator-Walk-In": finder.getAttribute("data-walk-in"),
            "X-Locator-K": finder.getAttribute("data-k")}}));
        });
      })
      .then(function () {
        if (note) { note.textContent = note.getAttribute("data-saved"); note.hidden = false; }
        finder.setAttribute("data-saved-at", String(Date.now()));
      }, function () { /* not kept this time; the last kept results stay */ });
  }
  if (finder && "serviceWorker" in navigator) {
    navigator.serviceWorker.register(finder.getAttribute("data-sw")).catch(function () {});
  }
  save();
}());
