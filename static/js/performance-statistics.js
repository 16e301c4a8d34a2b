/* Custom statistics: one Chart.js chart per <canvas data-stat-chart="ID">, its data in the
   json_script element ID (numbers as strings: exact decimals, the chart only draws them).
   No inline scripts; charts are drawn again after an htmx swap (the builder's preview). */
(function () {
  "use strict";

  function draw(root) {
    if (typeof Chart === "undefined") return;
    (root || document).querySelectorAll("canvas[data-stat-chart]").forEach(function (canvas) {
      if (canvas.dataset.drawn) return;
      var source = document.getElementById(canvas.dataset.statChart);
      if (!source) return;
      var spec = JSON.parse(source.textContent);
      canvas.dataset.drawn = "1";
      new Chart(canvas, {
        type: spec.type || "bar",
        data: {
          labels: spec.labels,
          datasets: spec.datasets.map(function (ds) {
            return {
              label: ds.label,
              data: ds.data.map(function (v) { return v === null ? null : Number(v); }),
              tension: 0.2,
            };
          }),
        },
        options: {
          responsive: true,
          aspectRatio: 2.5,
          plugins: { legend: { display: false } },
          scales: { y: { beginAtZero: true } },
        },
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (event) { draw(event.target); });
})();
