// The load form's search boxes: typing narrows the options of the select named in
// data-filter-select (plate, driver name, company); the chosen option stays visible.
(function () {
  "use strict";
  function bind(box) {
    var select = document.getElementById(box.getAttribute("data-filter-select"));
    if (!select) { return; }
    box.addEventListener("input", function () {
      var words = box.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      var firstMatch = null;
      Array.prototype.forEach.call(select.options, function (option) {
        if (!option.value) { return; }
        var text = option.text.toLowerCase();
        var match = words.every(function (w) { return text.indexOf(w) !== -1; });
        option.hidden = !match && !option.selected;
        if (match && firstMatch === null) { firstMatch = option; }
      });
      if (firstMatch !== null && (!select.value || select.selectedOptions[0].hidden)) {
        select.value = firstMatch.value;
      }
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-filter-select]"), bind);
})();
