// The compare page: show only the keys whose values differ, or those matching a
// filter; the runs' shared metrics drawn overlaid.
import * as cairn from "./api.js";
import { Chart, runPoints } from "./charts.js";
import { hashColor, pageData } from "./util.js";

function mountCompare(table) {
  const onlyDiff = document.getElementById("cmp-only-diff");
  const filter = document.getElementById("cmp-filter");
  const params = new URLSearchParams(location.search);
  onlyDiff.checked = params.get("diff") === "1";
  function apply() {
    table.classList.toggle("only-diff", onlyDiff.checked);
    const q = filter.value.trim().toLowerCase();
    for (const tr of table.querySelectorAll("tr[data-key]")) {
      tr.hidden = q !== "" && !tr.dataset.key.toLowerCase().includes(q);
    }
    const p = new URLSearchParams(location.search);
    if (onlyDiff.checked) p.set("diff", "1"); else p.delete("diff");
    // Only when something changed, and with the run list's commas as typed: a
    // rewrite at load (to "runs=a%2Cb") changed the address under whoever had
    // just opened it, and anything waiting for that address waited forever.
    if (p.toString() !== new URLSearchParams(location.search).toString()) {
      history.replaceState(null, "", "?" + p.toString().replace(/%2C/gi, ","));
    }
  }
  onlyDiff.addEventListener("change", apply);
  filter.addEventListener("input", apply);
  apply();
}

const table = document.querySelector(".cmp-table");  // absent with fewer than two runs
if (table) mountCompare(table);

// The chosen runs' charts overlaid: a panel per numeric key every one of them logged (the first MAX_CHARTS).
const MAX_CHARTS = 24;
async function mountCompareCharts(grid, note, page) {
  const runs = page.runs.map((id) => ({ id, name: id, color: hashColor(id) }));
  const ids = runs.map((r) => r.id).join(",");
  try {
    const keys = (await cairn.get(`${page.api}/keys?` + new URLSearchParams({ runs: ids })))
      .keys.filter((k) => k.numeric && k.runs === runs.length).map((k) => k.key);
    const shown = keys.slice(0, MAX_CHARTS);
    note.textContent = !keys.length ? "No metric was logged by every one of these runs."
      : keys.length > shown.length ? `The first ${shown.length} of ${keys.length} metrics they all logged.` : `${keys.length} metric${keys.length === 1 ? "" : "s"} they all logged.`;
    if (!shown.length) return;
    const body = await cairn.get(`${page.api}/history?` + new URLSearchParams({ runs: ids, keys: shown.join(","), samples: "500" }));
    for (const key of shown) {
      const chartEl = cairn.el("div", { class: "panel-body" });
      grid.append(cairn.el("div", { class: "panel size-m", "data-testid": "compare-chart", dataset: { key } },
        cairn.el("div", { class: "panel-head" }, cairn.el("span", { class: "panel-title", text: key, title: key })), chartEl));
      const chart = new Chart(chartEl, { key, legend: true, height: 180 });
      chart.setRuns(runs.map((r) => {
        const h = body.runs[r.id];
        const pts = h && runPoints(h.series[key], { x: "step" });
        return pts && { ...r, name: (h && h.name) || r.name, ...pts };
      }).filter(Boolean));
    }
  } catch (e) {
    note.textContent = `Charts failed to load: ${e.message}`;
  }
}

const grid = document.querySelector("[data-testid=compare-charts]");
if (grid) mountCompareCharts(grid, document.querySelector("[data-testid=compare-charts-note]"), pageData());
