{% autoescape off %}/* Baogong's service worker (served at /sw.js, scope "/").
   - installs the field pages' shell (static files and the offline page) into a versioned cache;
   - phone pages the server marks with the {{ field_header }} header are kept after every visit and
     answered from the cache when the network is down (network first, cache when it fails);
   - static files: cache first, refreshed in the background.
   POSTs are never touched: actions go through the page's own queue (core/field.js). */
"use strict";
var VERSION = "{{ version }}";
var SHELL = "baogong-shell-" + VERSION;
var PAGES = "baogong-pages";
var SHELL_URLS = [{% for url in shell %}"{{ url|escapejs }}", {% endfor %}"{{ offline|escapejs }}"];
var OFFLINE = "{{ offline|escapejs }}";

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) { return cache.addAll(SHELL_URLS); }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf("baogong-shell-") === 0 && n !== SHELL; }).map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

function pageKey(request) {
  var url = new URL(request.url);
  return url.origin + url.pathname + url.search;
}

function fromNetworkThenCache(request) {
  return fetch(request).then(function (response) {
    if (response.ok && response.headers.get("{{ field_header }}") === "1") {
      var copy = response.clone();
      caches.open(PAGES).then(function (cache) { cache.put(pageKey(request), copy); });
    }
    return response;
  }).catch(function () {
    return caches.open(PAGES).then(function (cache) { return cache.match(pageKey(request)); }).then(function (hit) {
      return hit || caches.match(OFFLINE);
    });
  });
}

// Static files are looked up in the shell cache only (a match ignoring the query string scans the
// whole cache: the pages cache holds hundreds of kept pages), and a cached one is refreshed in the
// background at most once while this worker runs, not on every page that uses it.
var refreshed = {};
function staticFile(request) {
  return caches.open(SHELL).then(function (cache) { return cache.match(request, {ignoreSearch: true}); }).then(function (hit) {
    var fetchAndKeep = function () {
      return fetch(request).then(function (response) {
        if (response.ok) { var copy = response.clone(); caches.open(SHELL).then(function (c) { c.put(request, copy); }); }
        return response;
      });
    };
    if (!hit) { return fetchAndKeep(); }
    if (!refreshed[request.url]) { refreshed[request.url] = true; fetchAndKeep().catch(function () {}); }
    return hit;
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate") { event.respondWith(fromNetworkThenCache(request)); return; }
  if (url.pathname.indexOf("/static/") === 0) { event.respondWith(staticFile(request)); }
});

self.addEventListener("message", function (event) {
  // a page asks to keep pages for offline use (the driver's list keeps each delivery page)
  var data = event.data || {};
  if (data.type === "keep" && Array.isArray(data.urls)) {
    event.waitUntil(caches.open(PAGES).then(function (cache) {
      return Promise.all(data.urls.map(function (u) {
        return fetch(u, {credentials: "same-origin"}).then(function (r) {
          if (r.ok && r.headers.get("{{ field_header }}") === "1") { return cache.put(new URL(u, self.location.origin).href, r); }
          return undefined;
        }).catch(function () {});
      }));
    }).then(function () { if (event.source) { event.source.postMessage({type: "kept", count: data.urls.length}); } }));
  }
});
{% endautoescape %}
