// Charts of the Spend pages, drawn with the vendored Chart.js (static/vendor/chartjs/), and the month select that
// shows its month when changed. A <canvas data-spend-chart="ID"> is drawn from the JSON of
// <script type="application/json" id="ID"> (Django's json_script; no inline script under the Content Security
// Policy), made by billing/rating/page_selectors.py:
//   {"kind": "daily" | "doughnut", "labels": ["2026-12-01", ...], "currency": "EUR",
//    "series": [{"label": "...", "type": "bar" | "line", "dashed": true, "values": ["12.30", null, ...]}]}
// Values come as decimal strings (money is never a float on the server); they become numbers only here, to be
// drawn. Amounts and days are written in the page's language (<html lang>), the value axis starts at zero. The
// tables beside each chart hold the same figures for screen readers and for copying.
(function () {
  "use strict";
  const COLOURS = ["#0f6cbd", "#1b2a41", "#ca5010", "#c4314b", "#107c10", "#8764b8", "#038387", "#986f0b", "#5c2e91"];
  const LINE_COLOURS = { cumulative: "#1b2a41", forecast: "#ca5010", budget: "#c4314b" };
  const BAR_COLOUR = "#0f6cbd";

  function dayLabel(text, lang) {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
    if (!match) return text;
    const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
    return date.toLocaleDateString(lang, { day: "numeric", month: "short", timeZone: "UTC" });
  }

  function moneyFormat(lang, currency) {
    try {
      return new Intl.NumberFormat(lang, { style: "currency", currency: currency });
    } catch (error) {
      return new Intl.NumberFormat(lang, { maximumFractionDigits: 2 });
    }
  }

  function numbers(values) {
    return values.map(function (value) { return value === null ? null : Number(value); });
  }

  function dailyConfig(spec, lang, money) {
    const datasets = spec.series.map(function (series, index) {
      if (series.type === "bar") {
        return { type: "bar", label: series.label, data: numbers(series.values), backgroundColor: "#9cc3e8",
                 borderColor: BAR_COLOUR, borderWidth: 1, order: 3, yAxisID: "daily" };
      }
      const key = index === 1 ? "cumulative" : (series.flat ? "budget" : "forecast");
      const colour = LINE_COLOURS[key];
      return { type: "line", label: series.label, data: numbers(series.values), borderColor: colour,
               backgroundColor: colour, borderDash: series.dashed ? [6, 4] : [], pointRadius: series.flat ? 0 : 2,
               borderWidth: 2, spanGaps: false, tension: 0, order: 1, yAxisID: "y" };
    });
    return {
      type: "bar",
      data: { labels: spec.labels.map(function (label) { return dayLabel(label, lang); }), datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { display: true, position: "bottom" },
          tooltip: { callbacks: { label: function (context) {
            if (context.parsed.y === null) return null;
            return context.dataset.label + ": " + money.format(context.parsed.y);
          } } },
        },
        // Two value axes, both from zero: the month to date, forecast and budget on the left, each day's spend
        // (an order of magnitude smaller by the month's end) on the right, so the bars stay readable. Each axis is
        // drawn in the colour of what it measures (the bars' blue on the right), so a bar is not read against the
        // month-to-date scale.
        scales: {
          y: { position: "left", beginAtZero: true, border: { color: LINE_COLOURS.cumulative },
               title: { display: true, text: spec.axes ? spec.axes.total : "", color: LINE_COLOURS.cumulative },
               ticks: { color: LINE_COLOURS.cumulative, callback: function (value) { return money.format(value); } } },
          daily: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false },
                   border: { color: BAR_COLOUR, width: 2 },
                   title: { display: true, text: spec.axes ? spec.axes.daily : "", color: BAR_COLOUR },
                   ticks: { color: BAR_COLOUR, callback: function (value) { return money.format(value); } } },
          x: { ticks: { autoSkip: true, maxRotation: 0 } },
        },
      },
    };
  }

  function doughnutConfig(spec, lang, money) {
    const values = numbers(spec.series[0].values);
    return {
      type: "doughnut",
      data: { labels: spec.labels, datasets: [{ label: spec.series[0].label, data: values,
              backgroundColor: spec.labels.map(function (_, i) { return COLOURS[i % COLOURS.length]; }) }] },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        plugins: {
          legend: { display: true, position: "right" },
          tooltip: { callbacks: { label: function (context) {
            return context.label + ": " + money.format(context.parsed);
          } } },
        },
      },
    };
  }

  function draw(canvas) {
    if (typeof window.Chart === "undefined" || canvas.dataset.drawn) return;
    const source = document.getElementById(canvas.getAttribute("data-spend-chart"));
    if (!source) return;
    const spec = JSON.parse(source.textContent);
    const lang = document.documentElement.lang || "en";
    const money = moneyFormat(lang, spec.currency);
    canvas.dataset.drawn = "true";
    const config = spec.kind === "doughnut" ? doughnutConfig(spec, lang, money) : dailyConfig(spec, lang, money);
    canvas.chart = new window.Chart(canvas, config);
  }

  function drawAll(root) { root.querySelectorAll("canvas[data-spend-chart]").forEach(draw); }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:afterSwap", function (event) { drawAll(event.target); });
  // The month select shows the chosen month at once (the Show button stays for keyboards and without script).
  document.addEventListener("change", function (event) {
    const select = event.target.closest("select[data-autosubmit]");
    if (select && select.form) select.form.submit();
  });
})();
