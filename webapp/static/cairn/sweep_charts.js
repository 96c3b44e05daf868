// The sweep page's own charts, drawn as SVG: parallel coordinates (drag along an
// axis to brush a range; the brushes filter the runs table), and the metric
// against each parameter. Values that are not numbers take evenly spaced
// positions on their axis, in order of first appearance.
import { color } from "./util.js";

const NS = "http://www.w3.org/2000/svg";

export function svgEl(tag, attrs = {}, text = "") {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text) node.textContent = text;
  return node;
}

// An axis's scale: numbers linear between their extremes, anything else as categories.
export function axisScale(values) {
  const present = values.filter((v) => v !== null && v !== undefined);
  if (present.length && present.every((v) => typeof v === "number" && Number.isFinite(v))) {
    let lo = Math.min(...present), hi = Math.max(...present);
    if (lo === hi) { lo -= 1; hi += 1; }
    return { kind: "number", lo, hi, at: (v) => (typeof v === "number" ? (v - lo) / (hi - lo) : null), label: (t) => fmt(lo + t * (hi - lo)) };
  }
  const cats = [...new Set(present.map((v) => JSON.stringify(v)))];
  const n = Math.max(1, cats.length - 1);
  return { kind: "category", cats, at: (v) => (v === null || v === undefined ? null : cats.indexOf(JSON.stringify(v)) / n),
    label: (t) => { const i = Math.round(t * n); return cats[i] === undefined ? "" : cats[i].replace(/^"|"$/g, ""); } };
}

function fmt(v) {
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : String(Math.round(v * 1000) / 1000);
}

// rows: [{id, values: {axis: value}, color?}]; axes: [names]; onBrush(brushes) with brushes {axis: [lo, hi]} in 0..1 (0 at the bottom).
export function parallel(el, rows, axes, onBrush) {
  const W = Math.max(320, el.clientWidth || 800), H = 260, top = 24, bottom = 20, left = 40, right = 40;
  const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, width: "100%", "data-testid": "parallel-coordinates", role: "img", "aria-label": "parallel coordinates" });
  const scales = Object.fromEntries(axes.map((a) => [a, axisScale(rows.map((r) => r.values[a]))]));
  const x = (i) => left + (axes.length > 1 ? (i * (W - left - right)) / (axes.length - 1) : (W - left - right) / 2);
  const y = (t) => top + (1 - t) * (H - top - bottom);
  const lines = new Map();
  rows.forEach((r, k) => {
    const pts = axes.map((a, i) => { const t = scales[a].at(r.values[a]); return t === null ? null : `${x(i)},${y(t)}`; }).filter(Boolean);
    const line = svgEl("polyline", { points: pts.join(" "), fill: "none", stroke: r.color || color(k), "stroke-width": 1.5, "stroke-opacity": 0.8, "data-run": r.id });
    lines.set(r.id, line);
    svg.append(line);
  });
  const brushes = {};
  axes.forEach((a, i) => {
    const g = svgEl("g", { "data-axis": a });
    g.append(svgEl("line", { x1: x(i), x2: x(i), y1: y(0), y2: y(1), stroke: "#555" }));
    g.append(svgEl("text", { x: x(i), y: 14, "text-anchor": "middle", "font-size": 11 }, a));
    for (const t of [0, 0.5, 1]) g.append(svgEl("text", { x: x(i) + 4, y: y(t) + 4, "font-size": 9, fill: "#666" }, scales[a].label(t)));
    const band = svgEl("rect", { x: x(i) - 8, width: 16, y: 0, height: 0, fill: "#3559e0", "fill-opacity": 0.25, "data-brush": a });
    // A wide invisible target along the axis (a little past its ends) takes the drag.
    const target = svgEl("rect", { x: x(i) - 12, width: 24, y: y(1) - 6, height: y(0) - y(1) + 12, fill: "transparent", cursor: "ns-resize", "data-axis-target": a });
    g.append(band, target);
    svg.append(g);
    const toT = (ev) => {
      const box = svg.getBoundingClientRect();
      const py = ((ev.clientY - box.top) / box.height) * H;
      return Math.min(1, Math.max(0, 1 - (py - top) / (H - top - bottom)));
    };
    let start = null;
    target.addEventListener("pointerdown", (ev) => { start = toT(ev); target.setPointerCapture(ev.pointerId); });
    target.addEventListener("pointermove", (ev) => {
      if (start === null) return;
      const t = toT(ev), lo = Math.min(start, t), hi = Math.max(start, t);
      band.setAttribute("y", y(hi)); band.setAttribute("height", Math.max(0, y(lo) - y(hi)));
    });
    target.addEventListener("pointerup", (ev) => {
      if (start === null) return;
      const t = toT(ev), lo = Math.min(start, t), hi = Math.max(start, t);
      start = null;
      if (hi - lo < 0.01) { delete brushes[a]; band.setAttribute("height", 0); } else brushes[a] = [lo, hi];
      apply();
    });
  });
  function apply() {
    const keep = new Set();
    for (const r of rows) {
      const ok = Object.entries(brushes).every(([a, [lo, hi]]) => { const t = scales[a].at(r.values[a]); return t !== null && t >= lo - 1e-9 && t <= hi + 1e-9; });
      if (ok) keep.add(r.id);
      lines.get(r.id).setAttribute("stroke-opacity", ok ? 0.8 : 0.06);
    }
    onBrush(Object.keys(brushes).length ? keep : null);
  }
  el.replaceChildren(svg);
}

// The metric against one parameter: one dot a run.
export function scatter(el, rows, param, metric) {
  const W = 260, H = 180, pad = 30;
  const pts = rows.filter((r) => typeof r.values[metric] === "number");
  const sx = axisScale(pts.map((r) => r.values[param])), sy = axisScale(pts.map((r) => r.values[metric]));
  const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, width: W, "data-testid": "sweep-scatter", "data-param": param, role: "img", "aria-label": `${metric} against ${param}` });
  svg.append(svgEl("text", { x: W / 2, y: H - 4, "text-anchor": "middle", "font-size": 11 }, param));
  svg.append(svgEl("line", { x1: pad, x2: W - 8, y1: H - pad, y2: H - pad, stroke: "#999" }), svgEl("line", { x1: pad, x2: pad, y1: 8, y2: H - pad, stroke: "#999" }));
  pts.forEach((r, k) => {
    const tx = sx.at(r.values[param]), ty = sy.at(r.values[metric]);
    if (tx === null || ty === null) return;
    const c = svgEl("circle", { cx: pad + tx * (W - pad - 8), cy: H - pad - ty * (H - pad - 8), r: 4, fill: r.color || color(k), "data-run": r.id });
    c.append(svgEl("title", {}, `${r.id}: ${param}=${JSON.stringify(r.values[param])} ${metric}=${r.values[metric]}`));
    svg.append(c);
  });
  el.append(svg);
}
