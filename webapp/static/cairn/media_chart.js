// A chart item (agent.plot.*, W&B's wandb.plot.*): the logged table drawn with
// Plotly as its `chart` says, columns picked by its `fields`: lines (one per
// `stroke` value or series key), points, bars, a histogram, a confusion
// matrix as a heatmap of counts, PR and ROC curves with one line per class.
// A preset this page does not know is shown as its table.
import * as cairn from "./api.js";
import { loadPlotly } from "./media_embeds.js";
import { captionOf, failedBox, fetchJson } from "./media_common.js";
import { tableItem } from "./media_table.js";

const el = cairn.el;
const CURVES = new Set(["pr_curve", "roc_curve", "curve"]);

// Plotly reads a subset of HTML in titles, names and category labels: what the
// run logged is escaped, so it shows as the text it is.
const esc = (v) => String(v).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

// Rows grouped by the value of one column (in order of first appearance); one group when there is none.
function groups(rows, col) {
  const out = new Map();
  for (const r of rows) {
    const g = col < 0 ? "" : esc(r[col]);
    if (!out.has(g)) out.set(g, []);
    out.get(g).push(r);
  }
  return out;
}

function linesOf(rows, x, y, by, mode) {
  const traces = [];
  for (const [name, rs] of groups(rows, by)) {
    const sorted = mode === "markers" ? rs : rs.slice().sort((a, b) => (a[x] > b[x]) - (a[x] < b[x]));
    traces.push({ type: "scatter", mode, name: name || undefined, x: sorted.map((r) => r[x]), y: sorted.map((r) => r[y]) });
  }
  return traces;
}

function confusion(rows, actual, predicted, count) {
  const names = [];
  for (const r of rows) for (const v of [r[actual], r[predicted]]) if (!names.includes(esc(v))) names.push(esc(v));
  const z = names.map(() => names.map(() => 0));
  for (const r of rows) z[names.indexOf(esc(r[actual]))][names.indexOf(esc(r[predicted]))] += Number(r[count]) || 0;
  return [{ type: "heatmap", x: names, y: names, z, colorscale: "Blues", texttemplate: "%{z}", hovertemplate: "actual %{y}<br>predicted %{x}<br>%{z}<extra></extra>" }];
}

// The traces and axis titles of a chart, or a reason it cannot be drawn.
export function chartFigure(meta, doc) {
  const columns = Array.isArray(doc.columns) ? doc.columns.map(String) : [];
  const rows = Array.isArray(doc.data) ? doc.data.filter((r) => Array.isArray(r) && r.length === columns.length) : [];
  const fields = meta.fields || {};
  const strings = meta.string_fields || {};
  const col = (f) => (fields[f] === null || fields[f] === undefined ? -1 : columns.indexOf(String(fields[f])));
  const need = (...fs) => { const missing = fs.filter((f) => col(f) < 0); return missing.length ? `No column for ${missing.join(", ")} in the chart's table.` : ""; };
  const axes = (x, y) => ({ xaxis: { title: { text: esc(x) } }, yaxis: { title: { text: esc(y) } } });
  let problem, data = [], layout = {};
  switch (meta.chart) {
    case "line":
      problem = need("x", "y");
      if (!problem) { data = linesOf(rows, col("x"), col("y"), col("stroke"), "lines"); layout = axes(fields.x, fields.y); }
      break;
    case "line_series":
      problem = need("step", "lineKey", "lineVal");
      if (!problem) { data = linesOf(rows, col("step"), col("lineVal"), col("lineKey"), "lines"); layout = axes(strings.xname || "x", ""); }
      break;
    case "scatter":
      problem = need("x", "y");
      if (!problem) { data = linesOf(rows, col("x"), col("y"), -1, "markers"); layout = axes(fields.x, fields.y); }
      break;
    case "bar":
      problem = need("label", "value");
      if (!problem) { data = [{ type: "bar", x: rows.map((r) => esc(r[col("label")])), y: rows.map((r) => r[col("value")]) }]; layout = axes(fields.label, fields.value); }
      break;
    case "histogram":
      problem = need("value");
      if (!problem) { data = [{ type: "histogram", x: rows.map((r) => r[col("value")]) }]; layout = axes(fields.value, "count"); }
      break;
    case "confusion_matrix":
      problem = need("Actual", "Predicted", "nPredictions");
      if (!problem) { data = confusion(rows, col("Actual"), col("Predicted"), col("nPredictions")); layout = { ...axes("Predicted", "Actual"), yaxis: { title: { text: "Actual" }, autorange: "reversed" } }; }
      break;
    default:
      if (CURVES.has(meta.chart)) {
        problem = need("x", "y");
        if (!problem) {
          data = linesOf(rows, col("x"), col("y"), col("class"), "lines");
          layout = axes(strings["x-axis-title"] || fields.x, strings["y-axis-title"] || fields.y);
          layout.xaxis.range = [0, 1]; layout.yaxis.range = [0, 1.05];
        }
      } else problem = `A chart of kind ${meta.chart} is not drawn here.`;
  }
  if (strings.title) layout.title = { text: esc(strings.title) };
  return { problem, data, layout };
}

export function chartItem(m, base) {
  const meta = m.meta || {};
  if (m.status !== "failed" && (meta.chart === "custom" || !meta.chart)) return tableItem(m, base);  // a preset we cannot draw
  const fig = el("figure", { class: "media-item media-plotlybox media-chartbox", "data-testid": "media-item", dataset: { status: m.status, chart: String(meta.chart || "") } });
  if (m.status === "failed") { fig.append(failedBox(m)); return fig; }
  const target = el("div", { class: "media-plotly", "data-testid": "media-chart" }, el("p", { class: "muted", text: "Loading…" }));
  fig.append(target, captionOf(m) || "");
  Promise.all([fetchJson(m.file_url), loadPlotly()]).then(([doc, Plotly]) => {
    const { problem, data, layout } = chartFigure(meta, doc || {});
    if (problem) { target.replaceChildren(el("p", { class: "error", text: problem })); return null; }
    target.replaceChildren();
    const full = Object.assign({ autosize: true, height: 340, margin: { l: 56, r: 16, t: layout.title ? 40 : 16, b: 48 }, showlegend: data.length > 1 }, layout);
    return Plotly.newPlot(target, data, full, { displaylogo: false, responsive: true }).then(() => { target.dataset.drawn = "1"; });
  }).catch((e) => target.replaceChildren(el("p", { class: "error", text: `Could not draw the chart: ${e.message}` })));
  return fig;
}
