// Dashboard charts and auto-refresh. Data comes from the page's json_script block and, every
// 60 s, from the page's JSON twin; no inline script (CSP script-src 'self').
"use strict";

(function () {
  // Okabe-Ito: distinguishable with the common forms of colour blindness.
  const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"];
  const REFRESH_MS = 60000;
  const charts = new Map();
  const markerStates = new Map(); // canvas -> {markers, hover} read by its eventMarkers plugin
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

  // Events (deploys, config changes, notes) as dashed vertical lines across a time chart; the one
  // under the mouse is labelled with its kind, title, version and time. A marker's `x` counts
  // buckets from the first bucket's start: a bar is centred on its bucket, a line point sits at its
  // start, and an event in the last (current) bucket of a line chart is drawn at the right edge.
  const MARKER_COLOURS = { deploy: "#CC79A7", config: "#E69F00", note: "#56B4E9" };
  const MARKER_HIT_PX = 6;

  function markerText(marker) {
    const version = marker.version ? ` (${marker.version})` : "";
    return `${marker.kind}: ${marker.title}${version}, ${marker.time} UTC`;
  }

  function markerPositions(chart, markers) {
    const scale = chart.scales.x;
    if (!scale || chart.options.indexAxis === "y" || !markers.length) return [];
    const { left, right } = chart.chartArea;
    const shift = scale.options.offset ? 0.5 : 0;
    return markers.map((marker) => {
      const px = scale.getPixelForValue(marker.x - shift);
      return { marker, px: Math.min(Math.max(px, left), right) };
    });
  }

  function drawMarkerLabel(chart, position) {
    const { ctx, chartArea } = chart;
    const text = markerText(position.marker);
    ctx.font = `12px ${window.Chart.defaults.font.family}`;
    const width = ctx.measureText(text).width + 12;
    const x = position.px + 6 + width <= chartArea.right ? position.px + 6 : Math.max(chartArea.left, position.px - 6 - width);
    ctx.setLineDash([]);
    ctx.fillStyle = getComputedStyle(document.body).getPropertyValue("--body-bg").trim() || "#fff";
    ctx.strokeStyle = MARKER_COLOURS[position.marker.kind] || textColour();
    ctx.lineWidth = 1;
    ctx.fillRect(x, chartArea.top + 2, width, 20);
    ctx.strokeRect(x, chartArea.top + 2, width, 20);
    ctx.fillStyle = textColour();
    ctx.textBaseline = "middle";
    ctx.fillText(text, x + 6, chartArea.top + 12);
  }

  function eventMarkers(state) {
    return {
      id: "eventMarkers",
      afterDatasetsDraw(chart) {
        const { ctx, chartArea } = chart;
        ctx.save();
        for (const position of markerPositions(chart, state.markers)) {
          ctx.strokeStyle = MARKER_COLOURS[position.marker.kind] || textColour();
          ctx.lineWidth = position.marker === state.hover ? 2.5 : 1.5;
          ctx.setLineDash([5, 3]);
          ctx.beginPath();
          ctx.moveTo(position.px, chartArea.top);
          ctx.lineTo(position.px, chartArea.bottom);
          ctx.stroke();
          if (position.marker === state.hover) drawMarkerLabel(chart, position);
        }
        ctx.restore();
      },
      afterEvent(chart, args) {
        const { x, y, type } = args.event;
        const { left, right, top, bottom } = chart.chartArea;
        let hit = null;
        if (type === "mousemove" && x >= left - MARKER_HIT_PX && x <= right + MARKER_HIT_PX && y >= top && y <= bottom) {
          let best = MARKER_HIT_PX + 1;
          for (const position of markerPositions(chart, state.markers)) {
            const distance = Math.abs(position.px - x);
            if (distance < best) [best, hit] = [distance, position.marker];
          }
        }
        if (hit !== state.hover) {
          state.hover = hit;
          chart.canvas.dataset.marker = hit ? markerText(hit) : "";
          args.changed = true;
        }
      },
      // The marker's label replaces the values tooltip while the mouse is on a marker.
      beforeTooltipDraw: () => !state.hover,
    };
  }

  function drawChart(canvas, spec) {
    const empty = !spec || spec.empty || !spec.labels.length;
    canvas.hidden = empty;
    canvas.parentElement.querySelector(".dash-chart-empty").hidden = !empty;
    const existing = charts.get(canvas);
    if (empty) return;
    canvas.dataset.markers = String((spec.markers || []).length);
    if (existing) {
      Object.assign(markerStates.get(canvas), { markers: spec.markers || [], hover: null });
      existing.data.labels = spec.labels;
      existing.data.datasets = datasets(spec);
      existing.update("none");
      return;
    }
    const state = { markers: spec.markers || [], hover: null };
    const chart = new window.Chart(canvas, {
      type: spec.kind,
      data: { labels: spec.labels, datasets: datasets(spec) },
      options: options(spec),
      plugins: [eventMarkers(state)],
    });
    markerStates.set(canvas, state);
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
