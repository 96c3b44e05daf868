// The shared view of a leaderboard entry: charts of the run's metrics, read
// from the submission's own endpoint (never the private project's).
import * as cairn from "./api.js";
import { Chart, runPoints } from "./charts.js";
import { color, pageData } from "./util.js";

const grid = document.getElementById("entry-charts");
const page = pageData();
const note = document.getElementById("charts-note");
const el = cairn.el;

async function load() {
  let body;
  try {
    body = await cairn.get(`${page.api}/history?samples=600`);
  } catch (e) {
    note.textContent = `Charts could not be loaded: ${e.message}`;
    return;
  }
  const keys = Object.keys(body.series).sort();
  note.textContent = keys.length ? "" : "No metrics logged.";
  for (const key of keys) {
    const box = el("div", { class: "panel-body" });
    grid.append(el("div", { class: "panel size-s", "data-testid": "panel", dataset: { key } },
      el("div", { class: "panel-head" }, el("span", { class: "panel-title", text: key, title: key })), box));
    const chart = new Chart(box, { key, x: "step", height: 180 });
    const pts = runPoints(body.series[key], { x: "step" });
    const full = pts ? [Object.assign({ id: String(page.entry), name: key, color: color(0) }, pts)] : [];
    chart.opts.onReset = () => chart.setRuns(full);
    chart.setRuns(full);
  }
}
load();
