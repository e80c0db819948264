/* The camera scanner of core/_scanner.html.
 *
 * Frames of the back camera (getUserMedia) are drawn on a canvas and decoded with ZXing (the
 * vendored pure-JavaScript build: Android Chrome and iOS Safari alike, no WebAssembly, nothing
 * loaded from elsewhere). The decoded text goes to POST /api/v1/inventory/scan/, which parses GS1
 * element strings, EAN and drug traceability codes and names the item and lot; what it answers
 * fills the page. Typing or pasting the code into the manual field does the same. No inline
 * script: the strict CSP of the site holds.
 */
(function () {
  "use strict";
  if (window.baogongScanner) { return; }
  window.baogongScanner = true;

  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) { return decodeURIComponent(m[1]); }
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function hints(mode) {
    var Z = window.ZXing;
    var map = new Map();
    // A delivery note's link is only ever a QR code: looking for the five other symbologies in
    // every frame (the 1D readers scan row after row with TRY_HARDER) took most of each frame's
    // time, on a low-end phone as in the browser tests. Packs and trace codes may be any of them.
    map.set(Z.DecodeHintType.POSSIBLE_FORMATS, mode === "qr" ? [Z.BarcodeFormat.QR_CODE] : [
      Z.BarcodeFormat.QR_CODE, Z.BarcodeFormat.DATA_MATRIX, Z.BarcodeFormat.CODE_128,
      Z.BarcodeFormat.EAN_13, Z.BarcodeFormat.EAN_8, Z.BarcodeFormat.UPC_A
    ]);
    map.set(Z.DecodeHintType.TRY_HARDER, true);
    map.set(Z.DecodeHintType.ASSUME_GS1, true);  // GS1-128: FNC1 becomes "]C1" and the separator
    return map;
  }

  function Scanner(box) {
    this.box = box;
    this.mode = box.dataset.mode || "gs1";
    this.video = box.querySelector("video");
    this.status = box.querySelector("[data-scanner-status]");
    this.stream = null;
    this.timer = null;
    this.busy = false;
    this.last = "";
    var self = this;
    box.querySelector("[data-scanner-start]").addEventListener("click", function () { self.start(); });
    box.querySelector("[data-scanner-stop]").addEventListener("click", function () { self.stop(); });
    var manual = box.querySelector("[data-scanner-manual]");
    box.querySelector("[data-scanner-apply]").addEventListener("click", function () {
      self.handle(manual.value);
      manual.value = "";
    });
    manual.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { e.preventDefault(); self.handle(manual.value); manual.value = ""; }
    });
  }

  Scanner.prototype.say = function (text, bad) {
    this.status.textContent = text;
    this.status.className = "small mt-1 " + (bad ? "text-danger" : "text-success");
  };

  Scanner.prototype.start = function () {
    var self = this;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.ZXing) {
      this.say(this.box.dataset.msgNoCamera, true);
      return;
    }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (stream) {
      self.stream = stream;
      self.video.srcObject = stream;
      self.video.classList.remove("d-none");
      self.box.querySelector("[data-scanner-stop]").classList.remove("d-none");
      self.video.play();
      self.say(self.box.dataset.msgLooking, false);
      self.reader = new window.ZXing.MultiFormatReader();
      self.reader.setHints(hints(self.mode));
      self.canvas = document.createElement("canvas");
      self.timer = window.setInterval(function () { self.frame(); }, 250);
    }).catch(function () {
      self.say(self.box.dataset.msgNoCamera, true);
    });
  };

  Scanner.prototype.stop = function () {
    if (this.timer) { window.clearInterval(this.timer); this.timer = null; }
    if (this.stream) { this.stream.getTracks().forEach(function (t) { t.stop(); }); this.stream = null; }
    this.video.classList.add("d-none");
    this.box.querySelector("[data-scanner-stop]").classList.add("d-none");
  };

  Scanner.prototype.frame = function () {
    var v = this.video;
    if (this.busy || !v.videoWidth) { return; }
    var Z = window.ZXing;
    var scale = Math.min(1, 1280 / v.videoWidth);
    this.canvas.width = Math.round(v.videoWidth * scale);
    this.canvas.height = Math.round(v.videoHeight * scale);
    this.canvas.getContext("2d", { willReadFrequently: true }).drawImage(v, 0, 0, this.canvas.width, this.canvas.height);
    var text;
    try {
      var source = new Z.HTMLCanvasElementLuminanceSource(this.canvas);
      var result = this.reader.decodeWithState(new Z.BinaryBitmap(new Z.HybridBinarizer(source)));
      text = result.getText();
    } catch (e) {
      return;  // nothing readable in this frame
    }
    if (text && text !== this.last) {
      this.last = text;
      this.handle(text);
    }
  };

  Scanner.prototype.handle = function (raw) {
    var text = (raw || "").replace(/^\s+|\s+$/g, "");
    if (!text) { return; }
    if (this.mode === "qr") { this.qr(text); return; }
    var self = this;
    this.busy = true;
    fetch(this.box.dataset.scanUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(), "Accept": "application/json" },
      body: JSON.stringify({ text: text })
    }).then(function (r) {
      return r.json().then(function (body) { return { ok: r.ok, body: body }; });
    }).then(function (answer) {
      self.busy = false;
      if (!answer.ok) {
        var why = answer.body.details && answer.body.details.text ? answer.body.details.text.join(" ") : answer.body.message;
        self.say(self.box.dataset.msgFailed + " " + why, true);
        self.last = "";
        return;
      }
      if (self.mode === "trace") { self.trace(answer.body); } else { self.gs1(answer.body); }
    }).catch(function () {
      self.busy = false;
      self.last = "";
      self.say(self.box.dataset.msgFailed + " " + text, true);
    });
  };

  Scanner.prototype.target = function () {
    var sel = this.box.dataset.target;
    return sel ? document.querySelector(sel) : null;
  };

  Scanner.prototype.trace = function (body) {
    if (body.kind !== "trace_code") { this.say(this.box.dataset.msgNotTrace, true); this.last = ""; return; }
    var input = this.target();
    if (input) {
      if (this.box.dataset.append) {
        var have = input.value.split(/\s+/).filter(Boolean);
        if (have.indexOf(body.trace_code) < 0) { have.push(body.trace_code); }
        input.value = have.join("\n");
      } else {
        input.value = body.trace_code;
      }
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
    var item = document.querySelector("input[name='item']");
    if (item && !item.value && body.item) { item.value = body.item.code; }
    this.say(this.box.dataset.msgFound + " " + body.trace_code + (body.item ? " · " + body.item.name : ""), false);
    if (this.box.dataset.submit) { this.stop(); document.querySelector(this.box.dataset.submit).submit(); }
    var self = this;
    window.setTimeout(function () { self.last = ""; }, 1500);  // the next pack may be scanned
  };

  Scanner.prototype.line = function () {
    // The line with the focus, else the first line whose item is empty, else the last line.
    var form = this.box.closest("form") || document;
    var items = Array.prototype.slice.call(document.querySelectorAll("input[name$='-item']"));
    var focused = document.activeElement && document.activeElement.closest ? document.activeElement.closest(".line") : null;
    if (focused) { return focused; }
    for (var i = 0; i < items.length; i++) {
      if (!items[i].value) { return items[i].closest(".line") || items[i].form; }
    }
    return items.length ? (items[items.length - 1].closest(".line") || form) : form;
  };

  function put(scope, suffix, value) {
    var input = scope.querySelector("[name$='-" + suffix + "'], [name$='_" + suffix + "'], [name='" + suffix + "']");
    if (input && value) { input.value = value; input.dispatchEvent(new Event("change", { bubbles: true })); }
  }

  Scanner.prototype.gs1 = function (body) {
    var scope = this.line();
    var batch = body.lot ? body.lot.batch : body.lot_number;
    put(scope, "item", body.item ? body.item.code : "");
    put(scope, "batch", batch);
    put(scope, "lot", batch);
    put(scope, "expiry", body.expiry);
    var parts = [body.item ? body.item.code + " " + body.item.name : (body.gtin + " (" + this.box.dataset.msgUnknownItem + ")")];
    if (batch) { parts.push(this.box.dataset.msgLot + " " + batch); }
    if (body.expiry) { parts.push(this.box.dataset.msgExpiry + " " + body.expiry); }
    this.say(this.box.dataset.msgFound + " " + parts.join(" · "), !body.item);
    var self = this;
    window.setTimeout(function () { self.last = ""; }, 3000);
  };

  // A shipment's QR code is its proof-of-delivery link (/d/<token>/), printed with the site's public
  // address (which may differ from the one this phone uses): it opens the same path here, kept on
  // the phone for use without network. A shipment number typed by hand opens the link of the
  // list entry with that code (data-links: the list's links with data-code).
  Scanner.prototype.qr = function (text) {
    var here = window.location.origin;
    var delivery = text.match(/^(?:https?:\/\/[^\/]+)?\/d\/([A-Za-z0-9_-]{8,64})\/?(?:[?#].*)?$/);
    if (delivery) {
      var path = "/d/" + delivery[1] + "/";
      if (path === window.location.pathname) { this.stop(); this.say(this.box.dataset.msgSame, false); this.last = ""; return; }
      this.stop();
      window.location.assign(path);
      return;
    }
    if (text.indexOf(here + "/") === 0) { this.stop(); window.location.assign(text); return; }
    if (this.box.dataset.links) {
      var wanted = text.toUpperCase();
      var links = Array.prototype.filter.call(document.querySelectorAll(this.box.dataset.links), function (a) {
        return (a.getAttribute("data-code") || "").toUpperCase() === wanted;
      });
      if (links.length) { this.stop(); window.location.assign(links[0].href); return; }
      this.say(this.box.dataset.msgNotListed + " " + text, true);
      this.last = "";
      return;
    }
    var input = this.target();
    if (input) { input.value = text; input.dispatchEvent(new Event("change", { bubbles: true })); }
    this.say(this.box.dataset.msgFound + " " + text, false);
  };

  function init() {
    document.querySelectorAll("[data-scanner]").forEach(function (box) {
      if (!box.dataset.scannerReady) { box.dataset.scannerReady = "1"; new Scanner(box); }
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
