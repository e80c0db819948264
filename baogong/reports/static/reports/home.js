(function () {
  var el = document.getElementById("chart-kinds");
  var data = document.getElementById("chart-kinds-data");
  if (!el || !data || !window.echarts) return;
  var d = JSON.parse(data.textContent);
  var chart = echarts.init(el);
  chart.setOption({
    tooltip: {trigger: "item"},
    series: [{type: "pie", radius: ["35%", "70%"], data: d.labels.map(function (l, i) { return {name: l, value: d.values[i]}; })}]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
