// The report reader: line charts from the report's own data endpoint (never the
// project's), math with KaTeX, and comments for members. Other panels arrive
// drawn in the HTML. Panel data is asked for in a few requests at once (the
// first screen's panels alone), so the first panels draw while later ones are in flight.
import * as cairn from "./api.js";
import { Chart, runPoints, timeMap } from "./charts.js";
import { earlyData } from "./report_data.js";
import { color, minute, pageData, xMetric, xTimed } from "./util.js";

const page = pageData();

function chartRuns(data, panel) {
  const runs = [];
  const keys = panel.keys;
  const x = panel.x || "step";
  data.runs.forEach((run, i) => {
    // The x-axis's own series: the time of each step, or the metric it is drawn against.
    const times = xTimed(x) ? timeMap(run.series._time) : null;
    const xSeries = xMetric(x) ? run.series[xMetric(x)] : null;
    keys.forEach((key, j) => {
      const pts = runPoints(run.series[key], { x, times, xSeries });
      if (!pts) return;
      runs.push(Object.assign({ id: `${run.id}:${key}`, name: keys.length > 1 ? `${run.name} · ${key}` : run.name,
        color: color(i * keys.length + j) }, pts));
    });
  });
  return runs;
}

function draw(panel, data) {
  const fig = document.querySelector(`figure[data-block="${CSS.escape(panel.id)}"] .report-figure`);
  if (!fig) return;
  const t0 = performance.now();
  const chart = new Chart(fig, { key: panel.id, height: 240, log: panel.log, smoothing: panel.smoothing,
    ignoreOutliers: !!panel.ignore_outliers, x: panel.x || "step" });
  chart.setRuns(chartRuns(data, panel));
  fig.closest("figure").dataset.drawn = "1";
  fig.closest("figure").dataset.drawMs = String(Math.round(performance.now() - t0));  // for the benchmark
}

function fail(panel, err) {
  const fig = document.querySelector(`figure[data-block="${CSS.escape(panel.id)}"] .report-figure`);
  if (fig) fig.replaceChildren(cairn.el("div", { class: "panel-error", text: "Could not load: " + err.message }));
}

// Arrived data waits here; charts are drawn one a task, the first in page order
// first, so the first screen's charts never wait behind ones further down.
const ready = new Map();
let draining = false;
function drain() {
  if (draining) return;
  draining = true;
  const step = () => {
    const next = page.panels.find((p) => ready.has(p.id));
    if (!next) { draining = false; return; }
    const data = ready.get(next.id);
    ready.delete(next.id);
    if (data instanceof Error) fail(next, data); else draw(next, data);
    setTimeout(step, 0);  // let the browser paint between charts
  };
  step();
}

async function groupData(index, ids, q) {
  return earlyData[index] || cairn.get(`${page.api}/data?blocks=${ids}${q}`);
}

function loadPanels() {
  const q = page.draft ? "&draft=1" : "";
  page.groups.forEach((indexes, n) => {
    const group = indexes.map((i) => page.panels[i]);
    const ids = group.map((p) => encodeURIComponent(p.id)).join(",");
    groupData(n, ids, q).then((data) => {
      for (const p of group) ready.set(p.id, data.panels[p.id] || new Error("no data"));
      drain();
    }, (err) => { for (const p of group) ready.set(p.id, err); drain(); });
  });
}

function renderMath() {
  const katex = globalThis.katex;  // a classic script, before this module on pages with math
  if (!katex) return;
  for (const el of document.querySelectorAll(".md .math")) {
    try {
      katex.render(el.textContent, el, { displayMode: el.classList.contains("block"), throwOnError: false });
    } catch { /* the TeX source stays as text */ }
  }
}

async function loadComments() {
  const box = document.getElementById("comments");
  if (!box) return;
  const list = cairn.el("div", { class: "report-comment-list" });
  const text = cairn.el("textarea", { placeholder: "Add a comment (Markdown)", "data-testid": "comment-text" });
  const err = cairn.el("span", { class: "re-error" });
  const add = (c) => {
    const body = cairn.el("div", { class: "md" });
    body.innerHTML = c.html;  // sanitised by the server (nh3)
    list.append(cairn.el("div", { class: "report-comment", "data-testid": "comment" },
      cairn.el("div", { class: "who", text: `${c.author || "someone"} · ${minute(c.created_at)}` }), body));
  };
  const send = cairn.el("button", { text: "Comment", "data-testid": "comment-send", onclick: async () => {
    if (!text.value.trim()) return;
    try {
      add(await cairn.post(`${page.api}/comments`, { body: text.value }));
      text.value = "";
      err.textContent = "";
    } catch (e) { err.textContent = e.message; }
  } });
  box.append(list, text, cairn.el("div", {}, send, err));
  try {
    (await cairn.get(`${page.api}/comments`)).results.forEach(add);
  } catch (e) { err.textContent = e.message; }
}

loadPanels();
if (document.querySelector(".md .math")) renderMath();
if (page.member) loadComments();
