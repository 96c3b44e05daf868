// The workspace's "Add panel": a type, then only what that type can draw. A line
// draws numbers over steps, so it lists the numeric keys (not the images and
// histograms, whose panels are the media panels); the panels across runs list
// the runs table's config and summary columns.
import * as cairn from "./api.js";

const PANEL_TYPES = { line: "Line", scatter: "Scatter", parallel: "Parallel coordinates", importance: "Importance" };

// numericKeys(): the metrics; tableKeys(): the table's columns (a promise); onAdd({type, key, keys}); onError(text).
export function addPanelControls({ numericKeys, tableKeys, onAdd, onError }) {
  const type = cairn.el("select", { "aria-label": "Panel type", "data-testid": "add-panel-type" },
    ...Object.entries(PANEL_TYPES).map(([v, text]) => cairn.el("option", { value: v, text })));
  const first = cairn.el("select", { "aria-label": "Metric for a new panel", "data-testid": "add-panel-key" });
  const second = cairn.el("select", { "aria-label": "Second key", "data-testid": "add-panel-key2", hidden: "" });
  const opt = (id) => cairn.el("option", { value: id, text: id });

  async function fill() {
    const t = type.value;
    first.multiple = t === "parallel";
    second.hidden = t !== "scatter";
    if (t === "line") { first.replaceChildren(...numericKeys().map(opt)); return; }
    let cols;
    try { cols = await tableKeys(); } catch (e) { onError(e.message); return; }
    const summary = (cols.summary || []).map((c) => c.id);
    const config = (cols.config || []).map((c) => c.id);
    first.replaceChildren(...(t === "importance" ? summary : [...config, ...summary]).map(opt));  // importance: the metric
    second.replaceChildren(...[...summary, ...config].map(opt));
  }
  type.onchange = fill;

  const button = cairn.el("button", { text: "Add panel", "data-testid": "add-panel", onclick: () => {
    const t = type.value, key = first.value;
    if (!key) return;
    if (t === "scatter") onAdd({ type: t, key, keys: [key, second.value || key] });
    else if (t === "parallel") onAdd({ type: t, key, keys: [...first.selectedOptions].map((o) => o.value).slice(0, 20) });
    else onAdd({ type: t, key });
  } });
  return { els: [type, first, second, button], fill, showsMetrics: () => type.value === "line" };
}
