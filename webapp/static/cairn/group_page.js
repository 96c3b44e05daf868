// The group page's charts: for each numeric metric of the group's runs, the
// mean across the runs step by step over the band from their lowest to their
// highest value (aggregated by the server, apps/runs/groups.py), and on
// request each run's own line, faint. The runs list is in the HTML.
import * as cairn from "./api.js";
import { Chart, runPoints } from "./charts.js";
import { color, pageData } from "./util.js";

const SAMPLES = 400;
const LIVE_MS = 10_000;

function mountGroupCharts(root, page) {
  const el = cairn.el;
  const historyUrl = `${page.api}/groups/${encodeURIComponent(page.group)}/history?samples=${SAMPLES}`;
  const charts = new Map(); // key -> Chart
  const note = el("p", { class: "muted", "data-testid": "group-charts-note", text: "Loading…" });
  const eachInput = el("input", { type: "checkbox", "data-testid": "group-each-run", onchange: () => load() });
  const grid = el("div", { class: "ws-grid", "data-testid": "group-charts" });
  const runs = page.runs || [];
  root.append(el("div", { class: "run-chart-tools" },
    el("label", { class: "panel-opt" }, eachInput, runs.length < page.runCount ? ` each run's line (the first ${runs.length})`
      : " each run's line")),
  note, grid);

  function legend(agg) {
    const line = el("span", { class: "legend-line" });
    const band = el("span", { class: "legend-band" });
    line.style.background = band.style.background = color(0);
    const most = Math.max(0, ...agg.runs);
    return el("span", { class: "panel-legend muted", "data-testid": "group-legend" },
      line, " mean ", band, " min–max", ` · ${most} run${most === 1 ? "" : "s"}`);
  }

  function chartFor(key) {
    let chart = charts.get(key);
    if (chart) return chart;
    const head = el("div", { class: "panel-head" }, el("span", { class: "panel-title", text: key, title: key }));
    const body = el("div", { class: "panel-body" });
    grid.append(el("div", { class: "panel size-m", "data-testid": "panel", dataset: { key } }, head, body));
    chart = new Chart(body, { key, x: "step", height: 200 });
    chart.head = head;
    charts.set(key, chart);
    return chart;
  }

  // Each run's own series, for the faint lines: one multi-run read of every numeric key.
  async function runLines() {
    if (!eachInput.checked || !runs.length) return {};
    const q = new URLSearchParams({ runs: runs.map((r) => r.id).join(","), samples: String(SAMPLES), numeric: "1" });
    return (await cairn.get(`${page.api}/history?${q}`)).runs;
  }

  async function load() {
    const [body, lines] = await Promise.all([cairn.get(historyUrl), runLines()]);
    const keys = Object.keys(body.series).sort();
    note.textContent = !keys.length ? "No metrics logged."
      : body.aggregated < body.run_count ? `Aggregated over the first ${body.aggregated} of ${body.run_count} runs.` : "";
    for (const key of keys) {
      const agg = body.series[key];
      const chart = chartFor(key);
      chart.head.replaceChildren(chart.head.firstChild, legend(agg));
      const faint = [];
      for (const r of runs) {
        const pts = lines[r.id] && runPoints(lines[r.id].series[key], { x: "step" });
        if (pts) faint.push(Object.assign({ id: r.id, name: r.name || r.id, color: color(0), faint: true }, pts));
      }
      const mean = { id: "group-mean", name: "mean", color: color(0), xs: agg.steps, ys: agg.mean, mins: agg.min, maxs: agg.max };
      chart.setRuns([...faint, mean], { keepZoom: true });  // the mean last: drawn on top
    }
  }

  load().catch((e) => { note.textContent = `Could not load the charts: ${e.message}`; });
  if (page.live) {
    setInterval(() => { if (document.visibilityState === "visible") load().catch(() => {}); }, LIVE_MS);
  }
}

mountGroupCharts(document.getElementById("group-charts"), pageData());
