/* The service worker (served at /sw.js by locator/web/pages/offline.py, which puts the
 * settings object self.LZ before this text: precache, results and saved (the cache and key
 * of the finder's last results), offline, default_lang, finder, version).
 *
 * It keeps the app shell (hashed static files, icons) and the offline page of each language,
 * and answers:
 *  - a navigation to the finder: from the network; without one, the offline page, whose
 *    script shows the last results the finder saved (one entry: self.LZ.saved);
 *  - the kept static files: from the cache (their names change with their content).
 * Everything else goes to the network untouched: no page with a session, account or form
 * token is ever stored. */
"use strict";
var SHELL = "locator-shell-" + self.LZ.version;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) {
    return cache.addAll(self.LZ.precache);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("locator-shell-") === 0 && name !== SHELL;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

/* the offline page in the language the finder was asked in (?lang=), else the saved
   results' language */
function offlinePage(url) {
  var lang = url.searchParams.get("lang");
  var pick = function (code) {
    var page = self.LZ.offline[code] || self.LZ.offline[self.LZ.default_lang];
    return caches.open(SHELL).then(function (cache) { return cache.match(page); });
  };
  if (lang && self.LZ.offline[lang]) { return pick(lang); }
  return caches.open(self.LZ.results).then(function (cache) {
    return cache.match(self.LZ.saved);
  }).then(function (saved) {
    return pick(saved ? saved.headers.get("X-Locator-Lang") : self.LZ.default_lang);
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate" && url.pathname === self.LZ.finder) {
    event.respondWith(fetch(request).catch(function () {
      return offlinePage(url).then(function (page) {
        return page || Response.error();
      });
    }));
    return;
  }
  if (self.LZ.precache.indexOf(url.pathname + url.search) >= 0 ||
      self.LZ.precache.indexOf(url.pathname) >= 0) {
    event.respondWith(caches.open(SHELL).then(function (cache) {
      return cache.match(request).then(function (hit) { return hit || fetch(request); });
    }));
  }
});
