(function () {
  var data = JSON.parse(document.getElementById("progress-data").textContent);
  var week = echarts.init(document.getElementById("chart-week"));
  week.setOption({
    tooltip: {renderMode: "richText",  trigger: "axis" },
    legend: { data: [data.labels.received, data.labels.approved] },
    grid: { left: 40, right: 10, bottom: 40 },
    xAxis: { type: "category", data: data.weeks },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: data.labels.received, type: "bar", data: data.received },
      { name: data.labels.approved, type: "bar", data: data.approved }
    ]
  });
  var area = echarts.init(document.getElementById("chart-area"));
  area.setOption({
    tooltip: {renderMode: "richText",  trigger: "axis" },
    grid: { left: 80, right: 10, bottom: 30 },
    xAxis: { type: "value", name: data.labels.amount },
    yAxis: { type: "category", data: data.areas },
    series: [{ name: data.labels.amount, type: "bar", data: data.area_amount.map(Number) }]
  });
  window.addEventListener("resize", function () { week.resize(); area.resize(); });
})();
