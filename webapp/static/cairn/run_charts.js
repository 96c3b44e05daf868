// One run's line charts of one stream, in a grid: a panel per key with its
// sampled series (min-max band), and a drag zoom that reads the finer points.
// The run page draws its metrics with one, its system metrics with one (one
// per writer in a shared run, see run_system.js).
import * as cairn from "./api.js";
import { Chart, runPoints, timeMap } from "./charts.js";
import { color } from "./util.js";

const SAMPLES = 600;

// System keys by kind, then by name.
const SYSTEM_ORDER = ["cpu", "proc", "memory", "gpu", "disk", "net"];
function systemRank(key) {
  const i = SYSTEM_ORDER.indexOf(key.split(".")[0]);
  return i < 0 ? SYSTEM_ORDER.length : i;
}

// api: the project's API root; runId; stream: "history" or "system"; testid:
// the grid's data-testid; chartOpts: options for every chart made (smoothing,
// log); name(): the run's name for the hover legend; title(key): a panel's
// title, by which system keys are also ordered (a writer's prefix left out).
export function runChartGrid({ api, runId, stream, testid, chartOpts = {}, name, title = (k) => k }) {
  const grid = cairn.el("div", { class: "ws-grid", "data-testid": testid });
  const charts = new Map();  // key → Chart
  const x = stream === "system" ? "time" : "step";

  function order(keys) {
    if (stream !== "system") return keys.sort();
    const shown = new Map(keys.map((k) => [k, title(k)]));
    return keys.sort((a, b) => systemRank(shown.get(a)) - systemRank(shown.get(b)) || shown.get(a).localeCompare(shown.get(b)));
  }

  function chartOf(key, times) {
    const body = cairn.el("div", { class: "panel-body" });
    const head = title(key);
    grid.append(cairn.el("div", { class: "panel size-s", "data-testid": "panel", dataset: { key, stream } },
      cairn.el("div", { class: "panel-head" }, cairn.el("span", { class: "panel-title", text: head, title: head })), body));
    const chart = new Chart(body, { key, x, height: 180, ...chartOpts });
    chart.opts.onZoom = (lo, hi) => zoom(chart, key, lo, hi, chart.times);
    chart.full = null;
    chart.times = times;
    chart.opts.onReset = () => chart.setRuns(chart.full || []);
    charts.set(key, chart);
    return chart;
  }

  // keys: the keys to read, or null for every numeric key. Resolves with the keys drawn.
  async function load(keys = null) {
    // numeric=1: media references and histograms are the media panels' business, and costly to read here.
    const q = new URLSearchParams({ runs: runId, samples: String(SAMPLES), times: "1", numeric: "1", stream });
    if (keys) q.set("keys", keys.join(","));
    const body = await cairn.get(`${api}/history?${q}`);
    const h = body.runs[runId];
    if (!h) return [];
    const times = timeMap(h.series._time);
    const drawn = order(Object.keys(h.series).filter((k) => k !== "_time" && h.series[k].min));
    for (const key of drawn) {
      const chart = charts.get(key) || chartOf(key, times);
      chart.times = times;
      const pts = runPoints(h.series[key], { x, times });
      chart.full = pts ? [Object.assign({ id: runId, name: name(), color: color(0) }, pts)] : [];
      if (!chart.zoom) chart.setRuns(chart.full);
    }
    return drawn;
  }

  async function zoom(chart, key, lo, hi, times) {
    let a = lo, b = hi;
    if (stream === "system") {
      if (!times) return;
      a = times.stepAt(lo); b = times.stepAt(hi);
    }
    const seq = (chart.zoomSeq = (chart.zoomSeq || 0) + 1);
    const q = new URLSearchParams({ runs: runId, keys: key, stream, samples: String(SAMPLES),
      min_step: String(Math.max(0, Math.floor(a))), max_step: String(Math.max(0, Math.ceil(b))) });
    const body = await cairn.get(`${api}/history?${q}`);
    const h = body.runs[runId];
    if (!h || seq !== chart.zoomSeq || !chart.zoom) return;
    const pts = runPoints(h.series[key], { x, times });
    if (pts) chart.setRuns([Object.assign({}, chart.full[0], pts)], { keepZoom: true });
  }

  return { grid, charts, load };
}
