// The route plan's map. The plan body is reloaded by htmx while the solver runs, so the map is
// drawn whenever a #plan-map without a chart appears (on load and after every htmx swap).
(function () {
  "use strict";
  function draw() {
    var el = document.getElementById("plan-map");
    var source = document.getElementById("plan-map-data");
    if (!el || !source || el.getAttribute("data-drawn")) { return; }
    if (!window.echarts) { setTimeout(draw, 100); return; }
    el.setAttribute("data-drawn", "1");
    var d = JSON.parse(source.textContent);
    var names = d.labels || {};
    var series = [
      {type: "line", name: names.outline, data: d.outline, symbol: "none", lineStyle: {color: "#adb5bd", type: "dashed"}, areaStyle: null, silent: true},
      {type: "scatter", name: names.areas, data: d.areas, symbolSize: 4, itemStyle: {color: "#ced4da"}, label: {show: true, formatter: function (p) { return p.value[2]; }, color: "#868e96", fontSize: 10, position: "right"}},
      {type: "scatter", name: names.depots, data: d.depots, symbol: "rect", symbolSize: 12, itemStyle: {color: "#212529"}, label: {show: true, formatter: function (p) { return p.value[2]; }, position: "top"}}
    ];
    d.routes.forEach(function (r) {
      series.push({type: "line", name: r.name, data: r.line, symbol: "none", lineStyle: {width: 2}});
      series.push({type: "scatter", name: r.name, data: r.stops, symbolSize: 8, tooltip: {renderMode: "richText", formatter: function (p) { return r.name + " " + p.value[2]; }}});
    });
    if (d.unassigned.length) { series.push({type: "scatter", name: names.unassigned, data: d.unassigned, symbol: "triangle", symbolSize: 10, itemStyle: {color: "#dc3545"}}); }
    var chart = echarts.init(el);
    chart.setOption({
      animation: false, tooltip: {renderMode: "richText", trigger: "item", formatter: function (p) { return p.seriesName + (p.value && p.value[2] ? " " + p.value[2] : ""); }},
      legend: {type: "scroll", top: 0, data: d.routes.map(function (r) { return r.name; })},
      grid: {left: 40, right: 10, top: 30, bottom: 30},
      xAxis: {type: "value", scale: true, name: names.lon}, yAxis: {type: "value", scale: true, name: names.lat},
      series: series
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
  document.addEventListener("htmx:load", draw);
})();
