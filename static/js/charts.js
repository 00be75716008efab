// Line charts of the Pricing pages, drawn with the vendored Chart.js (static/vendor/chartjs/).
// A <canvas data-chart="ID"> is drawn from the JSON of <script type="application/json" id="ID"> (Django's
// json_script; no inline script under the Content Security Policy):
//   {"labels": ["2026-11", ...], "series": [{"label": "...", "values": ["0.096", null, ...]}],
//    "unit": "USD", "stepped": true}
// Values come as decimal strings (money is never a float on the server); they become numbers only here, to be
// drawn. Numbers and months are written in the page's language (<html lang>). The table beside each chart
// holds the same figures for screen readers and for copying.
(function () {
  "use strict";
  const COLOURS = ["#0f6cbd", "#c4314b", "#107c10", "#8764b8", "#ca5010", "#038387"];

  function monthLabel(text, lang) {
    const match = /^(\d{4})-(\d{2})$/.exec(text);
    if (!match) return text;
    const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1));
    return date.toLocaleDateString(lang, { month: "short", year: "numeric", timeZone: "UTC" });
  }

  function draw(canvas) {
    if (typeof window.Chart === "undefined" || canvas.dataset.drawn) return;
    const source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source) return;
    const spec = JSON.parse(source.textContent);
    const lang = document.documentElement.lang || "en";
    const money = new Intl.NumberFormat(lang, { maximumFractionDigits: 8 });
    canvas.dataset.drawn = "true";
    const chart = new window.Chart(canvas, {
      type: "line",
      data: {
        labels: spec.labels.map(function (label) { return monthLabel(label, lang); }),
        datasets: spec.series.map(function (series, index) {
          const colour = COLOURS[index % COLOURS.length];
          return {
            label: series.label,
            data: series.values.map(function (value) { return value === null ? null : Number(value); }),
            borderColor: colour, backgroundColor: colour, stepped: spec.stepped ? "before" : false,
            pointRadius: 4, spanGaps: false, tension: 0,
          };
        }),
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { display: spec.series.length > 1 },
          tooltip: {
            callbacks: {
              label: function (context) {
                const value = context.parsed.y === null ? "—" : money.format(context.parsed.y);
                return context.dataset.label + ": " + value + (spec.unit ? " " + spec.unit : "");
              },
            },
          },
        },
        scales: {
          // From zero: a price that moved 2 % must not look as if it doubled.
          y: { beginAtZero: true, ticks: { callback: function (value) { return money.format(value); } },
               title: { display: Boolean(spec.unit), text: spec.unit || "" } },
        },
      },
    });
    canvas.chart = chart;
  }

  function drawAll(root) { root.querySelectorAll("canvas[data-chart]").forEach(draw); }
  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:afterSwap", function (event) { drawAll(event.target); });
})();
