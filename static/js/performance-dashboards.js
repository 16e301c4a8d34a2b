/* Performance dashboards: Chart.js charts drawn from json_script elements named by each
   canvas's data-chart attribute. No inline scripts. Numbers arrive as strings (exact
   decimals); the chart only draws them; null is a gap. */
(function () {
  "use strict";

  function toNumber(v) {
    return v === null || v === undefined ? null : Number(v);
  }

  function initCharts() {
    if (typeof Chart === "undefined") return;
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var source = document.getElementById(canvas.dataset.chart);
      if (!source) return;
      var spec = JSON.parse(source.textContent);
      var valueAxis = (spec.indexAxis || "x") === "x" ? "y" : "x";
      var scales = {};
      scales[valueAxis] = { beginAtZero: true, ticks: spec.counts ? { precision: 0 } : {} };
      new Chart(canvas, {
        type: spec.type || "bar",
        data: {
          labels: spec.labels,
          datasets: spec.datasets.map(function (ds) {
            var out = { label: ds.label, data: ds.data.map(toNumber), spanGaps: true };
            if (ds.type) out.type = ds.type;
            if (ds.yAxisID) out.yAxisID = ds.yAxisID;
            return out;
          }),
        },
        options: {
          indexAxis: spec.indexAxis || "x",
          responsive: true,
          maintainAspectRatio: false,
          scales: spec.type === "doughnut" || spec.type === "pie" ? {} : scales,
          plugins: { legend: { display: spec.datasets.length > 1 } },
        },
      });
    });
  }

  document.addEventListener("DOMContentLoaded", initCharts);
})();
