// The sweep page: its controls (pause, resume, stop, cancel), its runs table, the
// metric over time for its runs, parallel coordinates whose brushes filter the
// runs table, the metric against each parameter, and parameter importance.
import * as cairn from "./api.js";
import { Chart, runPoints } from "./charts.js";
import { color, pageData } from "./util.js";
import { parallel, scatter } from "./sweep_charts.js";

const page = pageData();
const MAX_CHART_RUNS = 50;  // the project history API's limit

function flatten(obj, prefix = "", out = {}) {
  for (const [k, v] of Object.entries(obj || {})) {
    if (v && typeof v === "object" && !Array.isArray(v)) flatten(v, `${prefix}${k}.`, out); else out[`${prefix}${k}`] = v;
  }
  return out;
}

function controls() {
  const box = document.querySelector('[data-testid="sweep-controls"]');
  if (!box) return;
  const error = document.getElementById("sweep-control-error");
  box.addEventListener("click", async (ev) => {
    const action = ev.target.closest("button[data-action]")?.dataset.action;
    if (!action) return;
    error.textContent = "";
    try {
      const sweep = await cairn.post(`${page.api}/control/${action}`);
      document.querySelector('h1 [data-testid="sweep-state"]').textContent = sweep.state;
    } catch (err) {
      error.textContent = err.message;
    }
  });
}

// Stop one run early: its agent stops it at its next heartbeat.
function stopButton(t) {
  if (!["assigned", "running"].includes(t.state) || t.stop_requested) return cairn.el("span", { class: "muted", text: t.stop_requested ? "stopping" : "" });
  const b = cairn.el("button", { type: "button", "data-stop": t.run_id, text: "Stop" });
  b.addEventListener("click", async () => {
    try {
      await cairn.post(`${page.api}/runs/${encodeURIComponent(t.run_id)}/stop`);
      b.replaceWith(cairn.el("span", { class: "muted", text: "stopping" }));
    } catch (err) {
      document.getElementById("sweep-control-error").textContent = err.message;
    }
  });
  return b;
}

function runsTable(trials, paramNames) {
  const section = document.getElementById("sweep-runs");
  const head = cairn.el("tr", {}, cairn.el("th", { text: "Run" }), cairn.el("th", { text: "State" }),
    ...paramNames.map((p) => cairn.el("th", { text: p })), cairn.el("th", { text: page.metric || "metric" }),
    ...(page.can_write ? [cairn.el("th", { text: "" })] : []));
  const body = cairn.el("tbody");
  for (const t of trials) {
    const params = flatten(t.params);
    body.append(cairn.el("tr", { "data-run": t.run_id },
      cairn.el("td", {}, cairn.el("a", { href: page.run_base + encodeURIComponent(t.run_id), text: t.run_id })),
      cairn.el("td", { text: t.state + (t.stop_reason ? ` (${t.stop_reason})` : "") }),
      ...paramNames.map((p) => cairn.el("td", { text: cairn.show(params[p]) })),
      cairn.el("td", { text: cairn.show(t.metric) }),
      ...(page.can_write ? [cairn.el("td", {}, stopButton(t))] : [])));
  }
  const count = cairn.el("p", { class: "muted", "data-testid": "sweep-runs-count", text: `${trials.length} runs` });
  section.replaceChildren(cairn.el("h2", { text: "Runs" }), count,
    cairn.el("table", { class: "grid", "data-testid": "sweep-runs-table" }, cairn.el("thead", {}, head), body));
  return (keep) => {
    let shown = 0;
    for (const row of body.rows) {
      const visible = !keep || keep.has(row.dataset.run);
      row.hidden = !visible;
      shown += visible ? 1 : 0;
    }
    count.textContent = keep ? `${shown} of ${trials.length} runs` : `${trials.length} runs`;
  };
}

async function metricOverTime(el, trials) {
  if (!page.metric) return;
  const ids = trials.filter((t) => t.run_state).slice(-MAX_CHART_RUNS).map((t) => t.run_id);
  if (!ids.length) return;
  const q = new URLSearchParams({ runs: ids.join(","), keys: page.metric, samples: "300" });
  const data = await cairn.get(`${page.history_api}?${q}`);
  const box = cairn.el("div", { class: "sweep-chart", "data-testid": "sweep-metric-chart" });
  el.append(cairn.el("h2", { text: `${page.metric} over steps` }), box);
  const chart = new Chart(box, { key: "sweep-metric", height: 240 });
  chart.setRuns(ids.map((id, i) => {
    const run = data.runs[id];
    const pts = run && runPoints(run.series[page.metric], { x: "step" });
    return pts ? Object.assign({ id, name: id, color: color(i) }, pts) : null;
  }).filter(Boolean));
}

function importance(el, imp) {
  const rows = (imp && imp.params) || [];
  const table = cairn.el("table", { class: "grid", "data-testid": "sweep-importance" },
    cairn.el("thead", {}, cairn.el("tr", {}, ...["Parameter", "Importance", `Correlation with ${page.metric}`].map((t) => cairn.el("th", { text: t })))),
    cairn.el("tbody", {}, ...rows.map((r) => cairn.el("tr", {}, cairn.el("td", { text: r.name }),
      cairn.el("td", {}, cairn.el("meter", { min: 0, max: 1, value: r.importance }), ` ${r.importance.toFixed(3)}`),
      cairn.el("td", { text: r.correlation === null ? "—" : r.correlation.toFixed(3) })))));
  el.append(cairn.el("h2", { text: "Parameter importance" }),
    rows.length ? table : cairn.el("p", { class: "muted", text: "Computed once three runs have ended with the metric." }));
}

// A draft report of this sweep: the reports' own panels (parallel coordinates, parameter
// importance, the metric against each parameter, the metric over steps) over its newest 50 runs, live.
function field(root, path) {
  const seg = (s) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(s) ? s : "`" + s + "`");
  return [root, ...path.map(seg)].join(".");
}

function reportButton(paramNames) {
  const button = document.getElementById("sweep-report");
  if (!button) return;
  button.addEventListener("click", async () => {
    const params = paramNames.filter((p) => !p.includes("`")).slice(0, page.metric ? 19 : 20);
    const fields = params.map((p) => field("config", p.split(".")));
    const metric = page.metric ? field("summary", [page.metric]) : null;
    // Live: the runs the sweep hands out from now on join the report's panels too.
    const runset = { filter: `sweep = "${page.sweep_id}"`, order: "-created_at", limit: 50 };
    const axes = metric ? [...fields, metric] : fields;
    const blocks = axes.length >= 2 ? [{ type: "panel", panel: { kind: "parallel", title: "Parameters", runset, fields: axes } }] : [];
    if (metric) {
      if (fields.length) blocks.push({ type: "panel", panel: { kind: "importance", title: "Parameter importance", runset, metric, fields } });
      fields.slice(0, 10).forEach((f, i) => blocks.push({ type: "panel", panel: { kind: "scatter", title: `${page.metric} against ${params[i]}`, runset, x: f, y: metric } }));
      blocks.push({ type: "panel", panel: { kind: "line", title: page.metric, runset, keys: [page.metric] } });
    }
    blocks.forEach((b, i) => { b.id = `s${i}`; });
    try {
      const report = await cairn.post(page.reports_api, { title: `Sweep ${document.title.split(" · ")[0].replace(/^Sweep /, "")}`, blocks });
      location.href = `${page.reports_base}${report.id}/edit`;
    } catch (err) {
      document.getElementById("sweep-control-error").textContent = err.message;
    }
  });
}

async function main() {
  controls();
  const [trials, imp] = await Promise.all([cairn.get(`${page.api}/runs`), cairn.get(`${page.api}/importance`)]);
  const list = trials.results;
  const paramNames = [...new Set(list.flatMap((t) => Object.keys(flatten(t.params))))];
  const filter = runsTable(list, paramNames);
  reportButton(paramNames);
  const charts = document.getElementById("sweep-charts");
  const rows = list.map((t) => ({ id: t.run_id, values: Object.assign(flatten(t.params), page.metric ? { [page.metric]: t.metric } : {}) }));
  const axes = page.metric ? [...paramNames, page.metric] : paramNames;
  const pc = cairn.el("div", { class: "sweep-parallel" });
  charts.append(cairn.el("h2", { text: "Parameters" }), cairn.el("p", { class: "muted", text: "Drag along an axis to keep the runs in that range." }), pc);
  parallel(pc, rows, axes, filter);
  if (page.metric) {
    const grid = cairn.el("div", { class: "sweep-scatters" });
    charts.append(cairn.el("h2", { text: `${page.metric} against each parameter` }), grid);
    for (const p of paramNames) scatter(grid, rows, p, page.metric);
    importance(charts, imp);
  }
  await metricOverTime(charts, list);
  document.body.dataset.sweepReady = "1";
}

main().catch((err) => {
  document.getElementById("sweep-charts").append(cairn.el("div", { class: "panel-error", text: "Could not load: " + err.message }));
});
