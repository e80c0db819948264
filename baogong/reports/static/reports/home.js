(function () {
  function pie() {
    var el = document.getElementById("chart-kinds");
    var data = document.getElementById("chart-kinds-data");
    if (!el || !data || !window.echarts) return;
    var d = JSON.parse(data.textContent);
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: {renderMode: "richText", trigger: "item"},
      series: [{type: "pie", radius: ["35%", "70%"], data: d.labels.map(function (l, i) { return {name: l, value: d.values[i]}; })}]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  var charts = {};
  function draw(box, c) {
    var el = document.getElementById("live-" + c.key);
    if (!el) {
      var col = document.createElement("div");
      col.className = "col-12 col-lg-6";
      col.innerHTML = '<div class="card"><div class="card-body"><h2 class="h6"></h2><div class="chart"></div></div></div>';
      col.querySelector("h2").textContent = c.title;
      el = col.querySelector(".chart");
      el.id = "live-" + c.key;
      box.appendChild(col);
    }
    if (!c.available) {
      el.classList.remove("chart");
      el.className = "text-muted small";
      el.textContent = box.dataset.unavailable;
      return;
    }
    var empty = !c.series.some(function (s) { return s.values.some(function (v) { return Number(v) !== 0; }); });
    var chart = charts[c.key] || echarts.init(el);
    charts[c.key] = chart;
    if (empty) {
      chart.setOption({title: {text: box.dataset.empty, left: "center", top: "middle", textStyle: {color: "#6c757d", fontSize: 14, fontWeight: "normal"}}}, true);
      return;
    }
    chart.setOption({
      tooltip: {renderMode: "richText", trigger: "axis"},
      legend: {top: 0},
      grid: {left: 48, right: 12, top: 28, bottom: 28},
      xAxis: {type: "category", data: c.labels},
      yAxis: {type: "value"},
      series: c.series.map(function (s) { return {name: s.name, type: c.type, data: s.values}; })
    }, true);
    chart.off("click");
    chart.on("click", function (p) { var url = c.links && c.links[p.dataIndex]; if (url) window.location.href = url; });
  }

  function refresh() {
    var box = document.getElementById("live-charts");
    if (!box || !window.echarts) return;
    fetch(box.dataset.src, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) {
        if (!d) return;
        d.charts.forEach(function (c) { draw(box, c); });
        var at = document.getElementById("live-at");
        if (at) at.textContent = d.day_label + " · " + d.at;
      });
  }

  pie();
  refresh();
  setInterval(refresh, 60000);
  window.addEventListener("resize", function () { Object.keys(charts).forEach(function (k) { charts[k].resize(); }); });
})();
