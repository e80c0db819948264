(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("value-data").textContent);
  var daysEl = document.getElementById("chart-days");
  var items = daysEl.getAttribute("data-items-label") || "Items";
  var days = echarts.init(daysEl);
  days.setOption({tooltip: {renderMode: "richText", trigger: "axis"}, legend: {}, xAxis: {type: "category", data: data.days},
    yAxis: [{type: "value", name: "¥"}, {type: "value", name: items}],
    series: [{name: "¥", type: "bar", data: data.day_values}, {name: items, type: "line", yAxisIndex: 1, data: data.day_items}]});
  var kinds = echarts.init(document.getElementById("chart-kinds"));
  kinds.setOption({tooltip: {renderMode: "richText", trigger: "item"}, series: [{type: "pie", radius: "60%", data: data.kinds}]});
  window.addEventListener("resize", function () { days.resize(); kinds.resize(); });
})();
