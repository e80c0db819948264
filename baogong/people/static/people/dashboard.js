(function draw() {
  "use strict";
  var el = document.getElementById("by-type-chart");
  if (!el) { return; }
  if (!window.echarts) { setTimeout(draw, 100); return; }
  var data = JSON.parse(el.dataset.chart);
  echarts.init(el).setOption({
    grid: {left: 8, right: 8, top: 10, bottom: 8, containLabel: true},
    xAxis: {type: "category", data: data.labels, axisLabel: {interval: 0, rotate: 30}},
    yAxis: {type: "value"},
    series: [{type: "bar", data: data.values}]
  });
})();
