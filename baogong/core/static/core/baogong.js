// Behaviour every page shares. The content security policy allows no inline scripts and no
// on…= attributes: pages mark elements with data-* attributes and this file wires them up.
(function () {
  "use strict";

  // Keyboard users must be able to scroll a wide table: a .table-responsive that scrolls gets a tab stop.
  function markScrollableTables(root) {
    root.querySelectorAll(".table-responsive:not([tabindex])").forEach(function (el) {
      if (el.scrollWidth > el.clientWidth + 1) { el.setAttribute("tabindex", "0"); }
    });
  }

  // On a phone a list table becomes a stack of cards (baogong.css, .table-stack): each cell is
  // labelled with its column's heading here, once for every table, so no template has to.
  function stackTables(root) {
    root.querySelectorAll("table.table:not(.table-keep):not(.table-stack)").forEach(function (table) {
      var head = table.tHead && table.tHead.rows.length ? table.tHead.rows[table.tHead.rows.length - 1] : null;
      if (!head) { return; }
      var labels = [];
      Array.prototype.forEach.call(head.cells, function (th) {
        var span = th.colSpan || 1;
        for (var i = 0; i < span; i += 1) { labels.push(th.textContent.replace(/\s+/g, " ").trim()); }
      });
      Array.prototype.forEach.call(table.tBodies, function (body) {
        Array.prototype.forEach.call(body.rows, function (row) {
          var column = 0;
          Array.prototype.forEach.call(row.cells, function (cell) {
            if (!cell.hasAttribute("data-label") && (cell.colSpan || 1) === 1 && labels[column]) {
              cell.setAttribute("data-label", labels[column]);
            }
            column += cell.colSpan || 1;
          });
        });
      });
      table.classList.add("table-stack");
    });
  }

  // <select data-autosubmit> (and any other field) sends its form when changed.
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field instanceof Element && field.hasAttribute("data-autosubmit") && field.form) {
      if (field.form.requestSubmit) { field.form.requestSubmit(); } else { field.form.submit(); }
    }
  });

  // <form data-retry-submit="prefix"> survives a flaky network: every retry of the submission
  // carries the same token (the form's client_token, also sent as the Idempotency-Key), so the
  // server acts once and answers retries with the first answer. Messages come from the status
  // element's data-sending / data-retrying / data-failed attributes.
  function retrySubmit(form) {
    if (!window.fetch || !window.FormData) { return; }
    var key = form.querySelector("[name=client_token]").value;
    var prefix = form.getAttribute("data-retry-submit") || "";
    var status = document.getElementById(form.getAttribute("data-status") || "") || document.createElement("p");
    var button = form.querySelector("[type=submit]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (button) { button.disabled = true; }
      var body = new FormData(form);
      var attempt = 0;
      function send() {
        attempt += 1;
        status.textContent = status.getAttribute("data-sending") || "";
        fetch(form.action || window.location.href, {method: "POST", body: body, headers: {"Idempotency-Key": prefix + key}, credentials: "same-origin"})
          .then(function (response) {
            if (response.redirected) { window.location.href = response.url; return undefined; }
            return response.text().then(function (html) { document.open(); document.write(html); document.close(); });
          })
          .catch(function () {
            if (attempt < 5) { status.textContent = status.getAttribute("data-retrying") || ""; setTimeout(send, 1500 * attempt); }
            else { status.textContent = status.getAttribute("data-failed") || ""; if (button) { button.disabled = false; } }
          });
      }
      send();
    });
  }

  // <select data-search> becomes a select the user can type into (Tom Select, vendored). With
  // data-lookup it asks the server (core.lookups) as the user types instead of filtering the
  // rendered options: long lists of people, sites or items render only the chosen ones.
  function searchableSelects(root) {
    if (typeof window.TomSelect !== "function") { return; }
    var selects = root.querySelectorAll ? root.querySelectorAll("select[data-search]") : [];
    Array.prototype.forEach.call(selects, function (select) {
      if (select.tomselect || select.disabled) { return; }
      var noResults = select.getAttribute("data-no-results") || "";
      // The empty choice ("---------") is the placeholder, not an item; an optional single select
      // gets a button to clear the choice instead.
      var empty = select.querySelector("option[value='']");
      var plugins = {};
      if (select.multiple) { plugins.remove_button = {title: select.getAttribute("data-clear") || ""}; }
      else if (!select.required) { plugins.clear_button = {title: select.getAttribute("data-clear") || ""}; }
      var settings = {
        maxOptions: 500,
        allowEmptyOption: false,
        closeAfterSelect: !select.multiple,
        placeholder: empty ? empty.textContent : "",
        plugins: plugins,
        render: {
          no_results: function (data, escape) { return "<div class=\"no-results\">" + escape(noResults) + "</div>"; }
        }
      };
      var url = select.getAttribute("data-lookup");
      if (url) {
        settings.valueField = "value";
        settings.labelField = "text";
        settings.searchField = ["text"];  // the server matched code or name; the label holds both
        settings.preload = "focus";
        settings.shouldLoad = function () { return true; };
        settings.load = function (query, callback) {
          fetch(url + "&q=" + encodeURIComponent(query), {credentials: "same-origin", headers: {"Accept": "application/json"}})
            .then(function (response) { return response.ok ? response.json() : {results: []}; })
            .then(function (json) { callback(json.results || []); })
            .catch(function () { callback(); });
        };
      }
      // Tom Select points the <label> at its own input: the select it keeps (hidden, still the
      // form's field) keeps its name for assistive technology.
      var labelEl = select.labels && select.labels.length ? select.labels[0] : (select.parentElement ? select.parentElement.querySelector("label") : null);
      var label = labelEl ? labelEl.textContent.replace(/\s+/g, " ").replace(/\s*\*$/, "").trim() : "";
      new window.TomSelect(select, settings);
      if (label && !select.hasAttribute("aria-label") && !select.hasAttribute("aria-labelledby")) {
        select.setAttribute("aria-label", label);
      }
    });
  }

  // Bulk actions (core/_bulk_bar.html): row checkboxes belong to the bar's form (form="…");
  // "select all" ticks this page's rows; the buttons wait for at least one row.
  function bulkState(form) {
    var boxes = document.querySelectorAll("input[name=ids][form='" + form.id + "']");
    var chosen = Array.prototype.filter.call(boxes, function (box) { return box.checked; }).length;
    form.querySelectorAll("[data-bulk-needs-rows]").forEach(function (button) { button.disabled = chosen === 0; });
    var count = form.querySelector("[data-bulk-count]");
    if (count) { count.textContent = chosen ? (count.getAttribute("data-template") || "").replace("{n}", chosen) : ""; }
    var all = form.querySelector("[data-bulk-all]");
    if (all) { all.checked = chosen > 0 && chosen === boxes.length; }
  }
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (!(field instanceof Element)) { return; }
    var target = field.getAttribute("data-bulk-all") || (field.getAttribute("name") === "ids" ? field.getAttribute("form") : null);
    var form = target ? document.getElementById(target) : null;
    if (!form) { return; }
    if (field.hasAttribute("data-bulk-all")) {
      document.querySelectorAll("input[name=ids][form='" + form.id + "']").forEach(function (box) { box.checked = field.checked; });
    }
    bulkState(form);
  });

  // A progress bar's width from its data-pct (0–100): set through the CSSOM, which the content
  // security policy allows, where a style="width: …" attribute would be refused.
  function sizeBars(root) {
    root.querySelectorAll("[data-pct]").forEach(function (bar) {
      var pct = Math.max(0, Math.min(100, parseFloat(bar.getAttribute("data-pct")) || 0));
      bar.style.width = pct + "%";
    });
  }

  // Logging out on a phone: the pages kept for offline use (another person may use the phone next)
  // are dropped; records made offline and not sent yet stay in the phone's queue (core/field.js),
  // sent when the same login returns. The person is told first how many wait, and may stay.
  function unsentOfflineRecords(user) {
    if (!window.indexedDB || !indexedDB.databases) { return Promise.resolve(0); }
    return indexedDB.databases().then(function (list) {
      if (!list.some(function (d) { return d.name === "baogong-field"; })) { return 0; }
      return new Promise(function (resolve) {
        var open = indexedDB.open("baogong-field");  // no version: never creates or upgrades it
        open.onerror = function () { resolve(0); };
        open.onsuccess = function () {
          var d = open.result;
          if (!d.objectStoreNames.contains("events")) { d.close(); resolve(0); return; }
          var all = d.transaction("events", "readonly").objectStore("events").getAll();
          all.onsuccess = function () {
            d.close();
            resolve(all.result.filter(function (e) { return e.state === "pending" && e.user === user; }).length);
          };
          all.onerror = function () { d.close(); resolve(0); };
        };
      });
    }).catch(function () { return 0; });
  }

  function logoutKeepsUnsent(form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.checked) { return; }
      event.preventDefault();
      unsentOfflineRecords(form.dataset.user || "").then(function (n) {
        if (n && !window.confirm((form.dataset.tConfirm || "%(n)s").replace("%(n)s", String(n)))) { return; }
        var dropPages = window.caches ? caches.delete("baogong-pages").catch(function () {}) : Promise.resolve();
        return dropPages.then(function () { form.dataset.checked = "1"; form.submit(); });
      });
    });
  }

  function start() {
    sizeBars(document);
    document.querySelectorAll("form[data-logout]").forEach(logoutKeepsUnsent);
    searchableSelects(document);
    stackTables(document);
    markScrollableTables(document);
    document.querySelectorAll("form[data-retry-submit]").forEach(retrySubmit);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
  document.addEventListener("htmx:load", function (event) {
    var root = event.target.parentNode || document;
    sizeBars(root);
    searchableSelects(root);
    stackTables(root);
    markScrollableTables(root);
  });
})();
