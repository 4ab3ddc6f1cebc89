// Dashboard charts and auto-refresh. Data comes from the page's json_script block and, every
// 60 s, from the page's JSON twin; no inline script (CSP script-src 'self').
"use strict";

(function () {
  // Okabe-Ito: distinguishable with the common forms of colour blindness.
  const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"];
  const REFRESH_MS = 60000;
  const charts = new Map();
  const dataNode = document.getElementById("dashboard-data");
  if (!dataNode) return;
  const payload = JSON.parse(dataNode.textContent);

  function find(sections, ref) {
    const [sectionKey, id] = ref.split(".");
    const section = sections.find((s) => s.key === sectionKey);
    return section ? [section, id] : [null, id];
  }

  function chartSpec(sections, ref) {
    const [section, id] = find(sections, ref);
    return section && (section.charts || []).find((c) => c.id === id);
  }

  function tableSpec(sections, ref) {
    const [section, id] = find(sections, ref);
    return section && (section.tables || []).find((t) => t.id === id);
  }

  const LABEL_CHARS = 18;

  // Count units are plural words ("calls", "items"): one of them reads "1 call", not "1 calls".
  function unitFor(value, unit, integer) {
    return integer && Math.abs(value) === 1 && unit.endsWith("s") ? unit.slice(0, -1) : unit;
  }

  function formatValue(value, unit, integer) {
    if (value === null || value === undefined) return "–";
    const digits = Math.abs(value) >= 100 || Number.isInteger(value) ? 0 : 2;
    const text = value.toLocaleString(undefined, { maximumFractionDigits: digits });
    if (unit === "USD") return "$" + value.toLocaleString(undefined, { maximumFractionDigits: 4 });
    return unit ? text + " " + unitFor(value, unit, integer) : text;
  }

  function shortLabel(label) {
    const text = String(label);
    return text.length > LABEL_CHARS ? text.slice(0, LABEL_CHARS - 1) + "…" : text;
  }

  function textColour() {
    return getComputedStyle(document.body).getPropertyValue("--body-fg").trim() || "#333";
  }

  function datasets(spec) {
    return spec.series.map((series, i) => {
      const colour = PALETTE[(series.colour ?? i) % PALETTE.length];
      return {
        label: series.label,
        data: series.data,
        borderColor: colour,
        backgroundColor: spec.kind === "line" ? colour + "33" : colour,
        borderWidth: 2,
        // Dots only where points are few: a lone bucket must still show up.
        pointRadius: series.data.filter((v) => v !== null).length > 60 ? 0 : 3,
        tension: 0.2,
        spanGaps: false,
        maxBarThickness: 56,
      };
    });
  }

  function options(spec) {
    const colour = textColour();
    const valueAxis = {
      beginAtZero: true,
      stacked: !!spec.stacked,
      title: { display: true, text: spec.axis || spec.unit, color: colour },
      // Counts have whole ticks only: "0.2 items" is not a thing. Chart.js still proposes 0.5
      // steps with precision 0 on small ranges, so fractional ticks are dropped outright.
      ticks: {
        color: colour,
        precision: spec.integer ? 0 : undefined,
        callback: (v) => (spec.integer && !Number.isInteger(v) ? null : formatValue(v, spec.unit, spec.integer)),
      },
    };
    // Time axes may skip labels (60 buckets); a category axis labels every bar, long names cut
    // short (the tooltip carries the whole name).
    const labelTicks = spec.categories
      ? {
          color: colour,
          autoSkip: false,
          maxRotation: spec.horizontal ? 0 : 50,
          callback: function (value) {
            return shortLabel(this.getLabelForValue(value));
          },
        }
      : { color: colour, maxRotation: 0, autoSkip: true, autoSkipPadding: 12 };
    const labelAxis = {
      stacked: !!spec.stacked,
      title: { display: !!spec.x_axis, text: spec.x_axis || "", color: colour },
      ticks: labelTicks,
    };
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      indexAxis: spec.horizontal ? "y" : "x",
      interaction: { mode: "index", intersect: false },
      scales: spec.horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis },
      plugins: {
        legend: { display: spec.series.length > 1, labels: { color: colour } },
        tooltip: {
          callbacks: {
            label: (ctx) => `${ctx.dataset.label}: ${formatValue(ctx.parsed[spec.horizontal ? "x" : "y"], spec.unit, spec.integer)}`,
          },
        },
      },
    };
  }

  function drawChart(canvas, spec) {
    const empty = !spec || spec.empty || !spec.labels.length;
    canvas.hidden = empty;
    canvas.parentElement.querySelector(".dash-chart-empty").hidden = !empty;
    const existing = charts.get(canvas);
    if (empty) return;
    if (existing) {
      existing.data.labels = spec.labels;
      existing.data.datasets = datasets(spec);
      existing.update("none");
      return;
    }
    const chart = new window.Chart(canvas, { type: spec.kind, data: { labels: spec.labels, datasets: datasets(spec) }, options: options(spec) });
    charts.set(canvas, chart);
    canvas.dataset.rendered = "true";
  }

  function cell(value) {
    const td = document.createElement("td");
    if (value === null || typeof value !== "object") {
      td.textContent = value ?? "";
      return td;
    }
    if (value.heat !== undefined && value.heat !== null) {
      td.className = "heat";
      td.style.setProperty("--heat", value.heat);
      td.title = value.title || "";
      td.textContent = value.text ?? "";
    } else if (value.href) {
      const link = document.createElement("a");
      link.href = value.href;
      link.textContent = value.text;
      td.appendChild(link);
    } else if (value.badge) {
      const badge = document.createElement("span");
      badge.className = "badge badge-" + String(value.badge).toLowerCase().replace(/[^a-z0-9]+/g, "-");
      badge.textContent = value.text;
      td.appendChild(badge);
    } else {
      td.textContent = value.text ?? "";
    }
    return td;
  }

  function fillTable(table, spec) {
    if (!spec) return;
    const body = document.createElement("tbody");
    for (const row of spec.rows) {
      const tr = document.createElement("tr");
      row.forEach((value) => tr.appendChild(cell(value)));
      body.appendChild(tr);
    }
    if (!spec.rows.length) {
      const tr = document.createElement("tr");
      tr.className = "dash-table-empty";
      const td = cell(spec.empty || "No data in this range");
      td.colSpan = spec.columns.length;
      tr.appendChild(td);
      body.appendChild(tr);
    }
    table.replaceChild(body, table.tBodies[0]);
  }

  function fillCards(sections) {
    for (const section of sections) {
      for (const card of section.cards || []) {
        const node = document.querySelector(`[data-card="${card.key}"]`);
        if (!node) continue;
        node.querySelector("[data-value]").textContent = card.display;
        const change = node.querySelector("[data-change]");
        change.textContent = card.change_display;
        change.className = "dash-card-change trend-" + card.trend + (card.direction ? " dir-" + card.direction : "");
        change.title = "previous period: " + card.previous_display;
      }
    }
  }

  function apply(sections) {
    fillCards(sections);
    document.querySelectorAll("canvas[data-chart]").forEach((canvas) => drawChart(canvas, chartSpec(sections, canvas.dataset.chart)));
    document.querySelectorAll("table[data-table]").forEach((table) => fillTable(table, tableSpec(sections, table.dataset.table)));
  }

  async function refresh() {
    if (document.hidden) return;
    const stamp = document.querySelector("[data-updated]");
    try {
      const response = await fetch(payload.data_url + window.location.search, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) throw new Error("HTTP " + response.status);
      const body = await response.json();
      apply(body.sections);
      stamp.textContent = new Date(body.generated_at).toISOString().slice(11, 19);
      stamp.parentElement.classList.remove("stale");
      document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed || 0) + 1);
    } catch (error) {
      stamp.parentElement.classList.add("stale");
      stamp.textContent = stamp.textContent.replace(/ \(.*$/, "") + " (refresh failed: " + error.message + ")";
    }
  }

  document.querySelectorAll("canvas[data-chart]").forEach((canvas) => drawChart(canvas, chartSpec(payload.sections, canvas.dataset.chart)));
  window.setInterval(refresh, REFRESH_MS);
  document.querySelector("[data-refresh]")?.addEventListener("click", refresh);
  document.addEventListener("visibilitychange", () => !document.hidden && refresh());
})();
