// The workspace's panels across runs rather than over steps, drawn by the sweep
// page's own chart code (sweep_charts.js): a scatter of one config or summary
// value against another, parallel coordinates, and parameter importance (the
// correlation of each numeric config value with a summary metric, over the runs
// shown). They read the runs table's rows: one request for the runs shown.
import * as cairn from "./api.js";
import { parallel, scatter } from "./sweep_charts.js";

const MAX_PARAMS = 30;

// The table rows of the runs shown, with the given columns: {run id: {column id: value}}.
export async function runValues(api, runs, columns) {
  if (!runs.length || !columns.length) return {};
  const ids = runs.map((r) => JSON.stringify(r.id)).join(", ");
  const body = await cairn.get(`${api}/table/rows?` + new URLSearchParams({
    filter: `id in (${ids})`, columns: columns.join(","), limit: String(runs.length) }));
  return Object.fromEntries(body.results.map((r) => [r.id, r.values]));
}

// The columns a panel reads: its keys; importance with none named reads every config key.
export function runsPanelColumns(panel, tableKeys) {
  const keys = panel.keys || [];
  if ((panel.type || "line") === "importance") {
    const params = keys.length ? keys : (tableKeys.config || []).map((c) => c.id).slice(0, MAX_PARAMS);
    return [panel.key, ...params];
  }
  return keys;
}

// Pearson's correlation of xs and ys (pairs where both are finite numbers); null with under 3 pairs.
export function correlation(xs, ys) {
  const pairs = xs.map((x, i) => [x, ys[i]]).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const n = pairs.length;
  if (n < 3) return null;
  const mx = pairs.reduce((s, p) => s + p[0], 0) / n, my = pairs.reduce((s, p) => s + p[1], 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (const [x, y] of pairs) { sxy += (x - mx) * (y - my); sxx += (x - mx) ** 2; syy += (y - my) ** 2; }
  return sxx && syy ? sxy / Math.sqrt(sxx * syy) : null;
}

function label(id) {
  return id.replace(/^(config|summary)\./, "");
}

// body: the panel's body element; runs: [{id, name, color}]; values: runValues' answer.
export function drawRunsPanel(body, panel, runs, values, columns) {
  body.replaceChildren();
  const rows = runs.filter((r) => values[r.id]).map((r) => ({ id: r.id, color: r.color,
    values: Object.fromEntries(columns.map((c) => [label(c), cairn.num(values[r.id][c]) ?? values[r.id][c] ?? null])) }));
  const type = panel.type;
  if (!rows.length || !columns.length) {
    body.append(cairn.el("div", { class: "chart-empty muted", text: columns.length ? "No runs" : "Name the keys in the ⋯ menu" }));
    return;
  }
  if (type === "scatter") {
    if (columns.length < 2) { body.append(cairn.el("div", { class: "chart-empty muted", text: "A scatter needs two keys" })); return; }
    scatter(body, rows, label(columns[0]), label(columns[1]));
  } else if (type === "parallel") {
    const box = cairn.el("div");
    body.append(box);
    parallel(box, rows, columns.map(label), () => {});
  } else if (type === "importance") {
    const metric = label(columns[0]);
    const ys = rows.map((r) => r.values[metric]);
    const out = columns.slice(1).map((c) => {
      const xs = rows.map((r) => r.values[label(c)]);
      return { param: label(c), corr: correlation(xs, ys) };
    }).filter((r) => r.corr !== null).sort((a, b) => Math.abs(b.corr) - Math.abs(a.corr));
    if (!out.length) { body.append(cairn.el("div", { class: "chart-empty muted", text: "Too few runs with numbers to correlate" })); return; }
    body.append(cairn.el("table", { class: "grid", "data-testid": "panel-importance" },
      cairn.el("thead", {}, cairn.el("tr", {}, cairn.el("th", { text: "Parameter" }), cairn.el("th", { text: `Correlation with ${metric}` }))),
      cairn.el("tbody", {}, ...out.map((r) => cairn.el("tr", { "data-param": r.param },
        cairn.el("td", { text: r.param }),
        cairn.el("td", {}, cairn.el("meter", { min: 0, max: 1, value: Math.abs(r.corr) }), ` ${r.corr.toFixed(3)}`))))));
  }
}
