/* Baogong field kit: phone pages that keep working without network.
 *
 * - registers the service worker (/sw.js), which keeps the field pages and their static files;
 * - <form data-offline> is not posted directly: the submission becomes an event in a local queue
 *   (IndexedDB "baogong-field"), with a device-generated id (sent as the Idempotency-Key), the
 *   version of the record it was based on (the form's "based_on" field) and the time it was made;
 *   a one-off form (a delivery, a check-in) is then replaced by its "recorded" note, also in every
 *   form of its [data-offline-group]; a form marked data-repeat (a count, a fuel sale) stays for
 *   the next entry (data-reset empties it);
 * - the queue is sent by itself, in order, whenever the network is there (on load, when the
 *   browser says it is back online, and every few seconds while events wait); a photo goes first,
 *   on its own, with its SHA-256 (the server checks it), and is retried until it arrives;
 * - an event the server took is kept a few days as "sent" (no photo), so a copy of its page kept
 *   before shows it received rather than the form again; a form with data-refresh names the page
 *   (a list) whose kept copy is fetched again once the queue has run;
 * - the element #field-queue shows "待同步 N 条" until the queue is empty, and the events the
 *   server kept for review (conflicts) or refused, until the person dismisses them; dismissing
 *   asks first when unsent events would be lost, and never touches another login's events;
 * - the pages kept for offline use belong to one login: when another person logs in on the phone
 *   they are dropped (logging out drops them too, see baogong.js); unsent events stay, each sent
 *   only under the login that made it.
 * No framework; strings come from the #field-queue element's data-* attributes (translated).
 */
(function () {
  "use strict";
  var DB_NAME = "baogong-field";
  var STORE = "events";
  var PAGES = "baogong-pages";
  var RETRY_MS = 3000;
  var box = null;
  var syncing = false;
  var timer = null;

  function text(name, n) {
    var el = box || document.getElementById("field-queue");
    var value = (el && el.getAttribute("data-t-" + name)) || name;
    return value.replace("%(n)s", String(n === undefined ? "" : n));
  }

  function currentUser() {
    var meta = document.querySelector("meta[name=baogong-user]");
    return meta ? meta.getAttribute("content") : "anon";
  }

  // ------------------------------------------------------------------ IndexedDB
  var dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var open = indexedDB.open(DB_NAME, 1);
        open.onupgradeneeded = function () {
          var store = open.result.createObjectStore(STORE, {keyPath: "seq", autoIncrement: true});
          store.createIndex("id", "id", {unique: true});
        };
        open.onsuccess = function () { resolve(open.result); };
        open.onerror = function () { reject(open.error); };
      });
    }
    return dbPromise;
  }
  function tx(mode, work) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var t = d.transaction(STORE, mode);
        var result;
        t.oncomplete = function () { resolve(result); };
        t.onerror = function () { reject(t.error); };
        t.onabort = function () { reject(t.error); };
        result = work(t.objectStore(STORE));
      });
    });
  }
  function allEvents() {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var req = d.transaction(STORE, "readonly").objectStore(STORE).getAll();
        req.onsuccess = function () { resolve(req.result.sort(function (a, b) { return a.seq - b.seq; })); };
        req.onerror = function () { reject(req.error); };
      });
    });
  }
  function saveEvent(ev) { return tx("readwrite", function (s) { s.put(ev); }); }
  function addEvent(ev) { return tx("readwrite", function (s) { s.add(ev); }); }
  function dropEvent(seq) { return tx("readwrite", function (s) { s.delete(seq); }); }

  // ------------------------------------------------------------------ helpers
  function newId() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID().replace(/-/g, ""); }
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function sha256(buffer) { return crypto.subtle.digest("SHA-256", buffer).then(hex); }
  function csrfToken(fields) {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) { return decodeURIComponent(m[1]); }
    for (var i = 0; i < fields.length; i++) { if (fields[i][0] === "csrfmiddlewaretoken") { return fields[i][1]; } }
    return "";
  }
  function pathOf(url) { return new URL(url, window.location.href).pathname; }
  function mine(ev) { return ev.user === "anon" || ev.user === currentUser(); }

  // ------------------------------------------------------------------ the queue panel
  function render() {
    if (!box) { return Promise.resolve(); }
    return allEvents().then(function (events) {
      var pending = events.filter(function (e) { return e.state === "pending" && mine(e); });
      var kept = events.filter(function (e) { return (e.state === "conflict" || e.state === "rejected") && mine(e); });
      box.textContent = "";
      box.setAttribute("data-pending", String(pending.length));
      box.setAttribute("data-kept", String(kept.length));
      if (!pending.length && !kept.length) { box.classList.add("d-none"); return; }
      box.classList.remove("d-none");
      if (pending.length) {
        var line = document.createElement("div");
        line.className = "fw-bold";
        line.id = "field-pending";
        line.textContent = text("pending", pending.length) + (navigator.onLine ? "" : " · " + text("offline"));
        box.appendChild(line);
      }
      if (kept.length) {
        var list = document.createElement("ul");
        list.className = "mb-1 small";
        kept.forEach(function (e) {
          var li = document.createElement("li");
          li.className = e.state === "conflict" ? "field-conflict" : "field-rejected";
          li.textContent = (e.label ? e.label + ": " : "") + text(e.state) + (e.message ? " — " + e.message : "");
          list.appendChild(li);
        });
        box.appendChild(list);
      }
      var clear = document.createElement("button");
      clear.type = "button";
      clear.className = "btn btn-sm btn-outline-secondary mt-1";
      clear.id = "field-clear";
      clear.textContent = text("clear");
      clear.addEventListener("click", function () { clearQueue(pending.length); });
      box.appendChild(clear);
    });
  }

  function clearQueue(pendingCount) {
    if (pendingCount && !window.confirm(text("confirm-clear", pendingCount))) {
      return Promise.resolve(false);
    }
    return allEvents().then(function (events) {
      var gone = events.filter(function (e) { return mine(e) && (pendingCount || e.state !== "pending"); });
      return Promise.all(gone.map(function (e) { return dropEvent(e.seq); }));
    }).then(render).then(function () { return true; });
  }

  // ------------------------------------------------------------------ recording
  function record(form, submitter) {
    var fields = [];
    var photos = [];
    var data = new FormData(form);
    if (submitter && submitter.name) { data.append(submitter.name, submitter.value || ""); }  // "save and submit"
    var reads = [];
    data.forEach(function (value, key) {
      if (typeof value === "string") { fields.push([key, value]); return; }
      if (value && value.size) {
        var slot = photos.length;
        photos.push(null);
        reads.push(value.arrayBuffer().then(function (buf) {
          return sha256(buf).then(function (sum) {
            photos[slot] = {field: key, sha256: sum, type: value.type || "application/octet-stream", blob: new Blob([buf], {type: value.type}), done: false};
          });
        }));
      }
    });
    return Promise.all(reads).then(function () {
      var ev = {
        id: newId(),
        url: form.getAttribute("action") || window.location.pathname,
        photoUrl: form.getAttribute("data-photo-url") || "",
        refresh: form.getAttribute("data-refresh") || "",
        label: form.getAttribute("data-offline") || "",
        fields: fields,
        photos: photos,
        basedOn: data.get("based_on") || "",
        user: currentUser(),
        madeAt: new Date().toISOString(),
        state: "pending",
      };
      return addEvent(ev).then(function () { return ev; });
    });
  }

  function groupOf(form) {
    var group = form.closest("[data-offline-group]");
    return group ? Array.prototype.slice.call(group.querySelectorAll("form[data-offline]")) : [form];
  }

  function showRecorded(form) {
    var note = document.getElementById(form.getAttribute("data-recorded") || "");
    if (note) { note.classList.remove("d-none"); }
    if (form.hasAttribute("data-repeat")) {
      if (form.hasAttribute("data-reset")) { form.reset(); }
      var button = form.querySelector("[type=submit]");
      if (button) { button.disabled = false; }
      return;
    }
    groupOf(form).forEach(function (f) { f.classList.add("d-none"); });
  }

  // the forms an event was made with (its action), on this page
  function formsFor(ev) {
    var here = pathOf(ev.url);
    return Array.prototype.filter.call(document.querySelectorAll("form[data-offline]"), function (form) {
      return pathOf(form.getAttribute("action") || window.location.pathname) === here;
    });
  }

  function offlineForm(form) {
    var button = form.querySelector("[type=submit]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (button) { button.disabled = true; }
      record(form, event.submitter).then(function () {
        showRecorded(form);
        return render();
      }).then(function () { sync(); }).catch(function () {
        if (button) { button.disabled = false; }
        window.alert(text("store-failed"));
      });
    });
    // already recorded on this phone (the page came from the cache): do not offer it twice
    if (form.hasAttribute("data-repeat")) { return; }
    var here = pathOf(form.getAttribute("action") || window.location.pathname);
    allEvents().then(function (events) {
      var mineHere = events.filter(function (e) { return mine(e) && pathOf(e.url) === here; });
      if (mineHere.some(function (e) { return e.state === "pending"; })) { showRecorded(form); return; }
      // sent from this phone after this copy of the page was kept: show it received, not the form
      var sent = mineHere.filter(function (e) { return e.state === "sent"; });
      if (sent.length) { showSent(sent[sent.length - 1]); }
    });
  }

  // ------------------------------------------------------------------ sending
  function post(url, body, headers) {
    return fetch(url, {method: "POST", body: body, headers: headers, credentials: "same-origin", redirect: "manual"});
  }
  function readJson(response) { return response.json().catch(function () { return {}; }); }
  function messageOf(body) {
    if (!body) { return ""; }
    var parts = [];
    if (body.message) { parts.push(body.message); }
    var details = body.details || body.errors || {};
    Object.keys(details).forEach(function (k) {
      var v = details[k];
      if (Array.isArray(v)) { parts.push(v.join(" ")); }
    });
    return parts.join(" ");
  }

  // One event: "sent", "kept" (conflict or refused, shown to the person) or "wait" (try later).
  function sendOne(ev) {
    return sendEvent(ev).then(function (outcome) {
      if (outcome === "kept") { showKept(ev); toRefresh[ev.refresh || ev.url] = true; }
      return outcome;
    });
  }

  function sendEvent(ev) {
    var token = csrfToken(ev.fields);
    var base = {"X-Baogong-Queue": "1", "X-CSRFToken": token};
    // photos first, one by one (an event kept by an older page has one ``photo``)
    if (ev.photo && !ev.photos) { ev.photos = [Object.assign({done: !!ev.photoDone}, ev.photo)]; }
    var first = Promise.resolve("ok");
    (ev.photos || []).forEach(function (photo) {
      first = first.then(function (step) {
        if (step !== "ok" || photo.done) { return step; }
        return post(ev.photoUrl, photo.blob, Object.assign({"X-Photo-SHA256": photo.sha256, "Content-Type": photo.type}, base))
          .then(function (r) {
            if (r.type === "opaqueredirect") { return "login"; }
            if (r.ok) { photo.done = true; return saveEvent(ev).then(function () { return "ok"; }); }
            if (r.status === 400 || r.status === 413 || r.status === 422) {
              return readJson(r).then(function (b) {
                if (b.code === "photo_checksum_mismatch") { return "wait"; }
                ev.state = "rejected"; ev.message = messageOf(b); return saveEvent(ev).then(function () { return "kept"; });
              });
            }
            return "wait";
          });
      });
    });
    return first.then(function (step) {
      if (step !== "ok") { return step; }
      // url-encoded, not multipart: the same event gives the same bytes on every retry (a
      // multipart boundary would differ, and the server would take a retry for another request)
      var body = new URLSearchParams();
      ev.fields.forEach(function (pair) { if (pair[0] !== "csrfmiddlewaretoken" && pair[0] !== "client_token") { body.append(pair[0], pair[1]); } });
      body.append("event_id", ev.id);
      if (ev.madeAt) { body.append("made_at", ev.madeAt); }
      body.append("client_token", ev.id);
      (ev.photos || []).forEach(function (photo) { body.append("photo_sha256", photo.sha256); });
      return post(ev.url, body, Object.assign({"Idempotency-Key": ev.id}, base)).then(function (r) {
        if (r.type === "opaqueredirect") { return "login"; }  // queued submissions answer JSON: a redirect is the login form
        if (r.ok) {
          // kept a while as "sent" (without its photo): a copy of the page kept before it was sent
          // then shows it received instead of offering the form again; list pages are refreshed
          if (ev.refresh) { toRefresh[ev.refresh] = true; }
          ev.state = "sent"; ev.sentAt = Date.now(); ev.photo = ev.photo ? {sha256: ev.photo.sha256} : null;
          return saveEvent(ev).then(function () { showSent(ev); return "sent"; });
        }
        return readJson(r).then(function (b) {
          if (r.status === 409 && b.code === "field_conflict") {
            ev.state = "conflict"; ev.message = messageOf(b); return saveEvent(ev).then(function () { return "kept"; });
          }
          if (r.status === 400 || r.status === 404 || r.status === 422 || (r.status === 409 && b.code !== "idempotency_retry")) {
            ev.state = "rejected"; ev.message = messageOf(b); return saveEvent(ev).then(function () { return "kept"; });
          }
          if (r.status === 403 || r.status === 401) { return "login"; }
          return "wait";
        });
      });
    }).catch(function () { return "wait"; });
  }

  // The server kept the event for review (conflict) or refused it: the page no longer says it waits;
  // a refused form is offered again to be corrected, a conflict is left to the reviewer.
  function showKept(ev) {
    formsFor(ev).forEach(function (form) {
      var recorded = document.getElementById(form.getAttribute("data-recorded") || "");
      if (recorded) { recorded.classList.add("d-none"); }
      if (ev.state === "rejected") {
        groupOf(form).forEach(function (f) { f.classList.remove("d-none"); });
        var button = form.querySelector("[type=submit]");
        if (button) { button.disabled = false; }
      }
    });
  }

  // A page whose forms say data-reload-after-sync (a list: the station's queue, a count sheet) is
  // reloaded once what it sent has gone out, to show the server's state — unless the person is
  // typing the next entry, or has already left it: a form posted the usual way (found stock on the
  // count sheet) or a link followed while the queue was sending would be cancelled by the reload,
  // and what was posted lost (seen under load, when the queue's answer came after the click).
  var reloadWanted = false;
  var leaving = false;
  window.addEventListener("beforeunload", function () { leaving = true; });
  window.addEventListener("pageshow", function () { leaving = false; });  // back from the cache
  function reloadIfIdle() {
    if (!reloadWanted || leaving || !navigator.onLine) { return; }
    var active = document.activeElement;
    if (active && (active.tagName === "INPUT" || active.tagName === "TEXTAREA") && active.value) { return; }
    reloadWanted = false;
    window.location.reload();
  }

  function showSent(ev) {
    formsFor(ev).forEach(function (form) {
      if (form.hasAttribute("data-reload-after-sync")) { reloadWanted = true; }
      var recorded = document.getElementById(form.getAttribute("data-recorded") || "");
      var sent = document.getElementById(form.getAttribute("data-sent") || "");
      if (recorded) { recorded.classList.add("d-none"); }
      if (sent) {
        sent.classList.remove("d-none");
        if (!form.hasAttribute("data-repeat")) { groupOf(form).forEach(function (f) { f.classList.add("d-none"); }); }
      }
    });
  }

  // pages whose kept copy is refreshed once the queue has run (not once per event)
  var toRefresh = {};
  function refreshKept() {
    var urls = Object.keys(toRefresh);
    toRefresh = {};
    urls.forEach(refreshPage);
  }

  function refreshPage(url) {
    // the page's kept copy now shows the recorded state, for the next time it opens offline
    if (!window.caches) { return; }
    var href = new URL(url, window.location.href).href;
    fetch(href, {credentials: "same-origin"}).then(function (r) {
      if (r.ok && r.headers.get("X-Baogong-Field") === "1") { return caches.open(PAGES).then(function (c) { return c.put(href, r); }); }
      return undefined;
    }).catch(function () {});
  }

  function runQueue() {
    return allEvents().then(function (events) {
      var queue = events.filter(function (e) { return e.state === "pending" && mine(e); });
      var i = 0;
      function next() {
        if (i >= queue.length) { return "done"; }
        var ev = queue[i];
        i += 1;
        return sendOne(ev).then(function (outcome) {
          if (outcome === "wait" || outcome === "login") { return outcome; }  // keep the order: stop here
          return render().then(next);
        });
      }
      return next();
    });
  }

  function sync() {
    if (syncing) { return Promise.resolve(); }
    syncing = true;
    var run = function () { return runQueue(); };
    var work = navigator.locks ? navigator.locks.request("baogong-field-sync", {ifAvailable: true}, function (lock) { return lock ? run() : "busy"; }) : run();
    return work.then(function (outcome) {
      syncing = false;
      refreshKept();
      if (outcome === "done") { allEvents().then(function (events) { if (!events.some(function (e) { return e.state === "pending" && mine(e); })) { reloadIfIdle(); } }); }
      if (outcome === "login" && box) { box.setAttribute("data-login", "1"); }
      return render().then(function () { schedule(); });
    }, function () { syncing = false; schedule(); });
  }

  function schedule() {
    if (timer) { clearTimeout(timer); timer = null; }
    allEvents().then(function (events) {
      if (events.some(function (e) { return e.state === "pending" && mine(e); })) { timer = setTimeout(sync, RETRY_MS); }
    });
  }

  // ------------------------------------------------------------------ keeping pages for offline use
  function keepLinks() {
    var links = Array.prototype.map.call(document.querySelectorAll("a[data-keep-offline]"), function (a) { return a.href; });
    if (!links.length || !navigator.serviceWorker) { return; }
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.active) { registration.active.postMessage({type: "keep", urls: links}); }
    });
  }

  // The kept pages show one login's work: another login on this phone drops them (not the events).
  function forgetOtherLogin() {
    var who = currentUser();
    var before = null;
    try { before = window.localStorage.getItem("baogong-field-user"); window.localStorage.setItem("baogong-field-user", who); } catch (e) { return; }
    if (before && before !== who && who !== "anon" && window.caches) { caches.delete(PAGES).catch(function () {}); }
  }

  // Sent events are kept three days (what a kept page may still show), then forgotten.
  var SENT_DAYS = 3;
  function forgetOldSent() {
    var before = Date.now() - SENT_DAYS * 864e5;
    return allEvents().then(function (events) {
      return Promise.all(events.filter(function (e) { return e.state === "sent" && (e.sentAt || 0) < before; }).map(function (e) { return dropEvent(e.seq); }));
    }).catch(function () {});
  }

  function start() {
    box = document.getElementById("field-queue");
    forgetOtherLogin();
    forgetOldSent();
    if (navigator.serviceWorker && window.isSecureContext) {
      navigator.serviceWorker.register("/sw.js", {scope: "/"}).catch(function () {});
      navigator.serviceWorker.addEventListener("message", function (event) {
        if (event.data && event.data.type === "kept") { document.documentElement.setAttribute("data-kept-offline", String(event.data.count)); }
      });
      keepLinks();
    }
    if (navigator.storage && navigator.storage.persist) { navigator.storage.persist().catch(function () {}); }
    document.querySelectorAll("form[data-offline]").forEach(offlineForm);
    window.addEventListener("online", function () { render(); sync(); });
    window.addEventListener("offline", function () { render(); });
    // the forms are wired: a submission from now on goes to the queue (tests and scripts wait on it)
    document.documentElement.setAttribute("data-field-ready", "1");
    render().then(sync);
  }
  window.baogongField = {sync: sync, events: allEvents, clear: clearQueue};
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
