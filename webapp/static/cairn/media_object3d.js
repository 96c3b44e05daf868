// A 3-D point cloud (agent.Object3D, W&B's "lidar/beta" JSON) as a Plotly 3-D
// scatter: points coloured by their RGB (N×6) or category (N×4), 3-D boxes as
// their 12 edges with their label; a 3-D model file (obj, glb, ...) and a
// molecule (agent.Molecule: pdb, sdf, ...) are offered for download.
import * as cairn from "./api.js";
import { captionOf, failedBox, fetchJson, fmt } from "./media_common.js";
import { loadPlotly } from "./media_embeds.js";

const el = cairn.el;
const PALETTE = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#46f0f0", "#f032e6", "#bcf60c",
  "#008080", "#9a6324", "#800000", "#808000", "#000075", "#e6beff", "#fabebe", "#ffe119"];
const MAX_POINTS = 200000;

const isNum = (v) => typeof v === "number" && Number.isFinite(v);
const sub = (a, b) => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const near = (a, b, tol) => Math.abs(a[0] - b[0]) <= tol && Math.abs(a[1] - b[1]) <= tol && Math.abs(a[2] - b[2]) <= tol;

// The 12 edges of a box given by its 8 corners in any order: the three edge
// vectors from corner 0 are the differences that are not the sum of two others.
export function boxEdges(corners) {
  const p0 = corners[0];
  const v = corners.slice(1).map((c) => sub(c, p0));
  const scale = Math.max(1e-9, ...v.map((d) => Math.hypot(...d)));
  const tol = scale * 1e-6;
  const isSum = (i) => v.some((a, j) => j !== i && v.some((b, k) => k !== i && k !== j && near([a[0] + b[0], a[1] + b[1], a[2] + b[2]], v[i], tol)));
  const axes = v.filter((_, i) => !isSum(i));
  if (axes.length !== 3) return corners.map((_, i) => [i, (i + 1) % corners.length]);  // not a box: its outline in order
  const edges = [];
  for (let a = 0; a < 8; a++) {
    for (let b = a + 1; b < 8; b++) {
      const d = sub(corners[b], corners[a]);
      if (axes.some((e) => near(d, e, tol) || near(d, [-e[0], -e[1], -e[2]], tol))) edges.push([a, b]);
    }
  }
  return edges;
}

function pointTrace(points) {
  const shown = points.length > MAX_POINTS ? points.filter((_, i) => i % Math.ceil(points.length / MAX_POINTS) === 0) : points;
  const x = [], y = [], z = [], color = [];
  for (const p of shown) {
    if (!Array.isArray(p) || !isNum(p[0]) || !isNum(p[1]) || !isNum(p[2])) continue;
    x.push(p[0]); y.push(p[1]); z.push(p[2]);
    if (p.length >= 6) color.push(`rgb(${p[3]},${p[4]},${p[5]})`);
    else if (p.length === 4) color.push(PALETTE[Math.abs(Math.round(p[3])) % PALETTE.length]);
    else color.push("#4363d8");
  }
  return { type: "scatter3d", mode: "markers", name: "points", x, y, z, marker: { size: 2, color }, hoverinfo: "x+y+z" };
}

function boxTraces(boxes) {
  const traces = [];
  for (const [i, b] of boxes.slice(0, 500).entries()) {
    if (!b || !Array.isArray(b.corners) || b.corners.length !== 8) continue;
    const c = b.corners;
    if (!c.every((p) => Array.isArray(p) && p.length === 3 && p.every(isNum))) continue;
    const x = [], y = [], z = [];
    for (const [a, e] of boxEdges(c)) { x.push(c[a][0], c[e][0], null); y.push(c[a][1], c[e][1], null); z.push(c[a][2], c[e][2], null); }
    const color = Array.isArray(b.color) && b.color.length === 3 ? `rgb(${b.color.join(",")})` : PALETTE[i % PALETTE.length];
    const label = [b.label, isNum(b.score) ? fmt(b.score) : null].filter((s) => s !== null && s !== undefined).join(" ");
    traces.push({ type: "scatter3d", mode: "lines", name: label || `box ${i}`, x, y, z, line: { color, width: 4 }, hoverinfo: "name" });
    if (label) traces.push({ type: "scatter3d", mode: "text", x: [c[0][0]], y: [c[0][1]], z: [c[0][2]], text: [label], textfont: { color }, showlegend: false, hoverinfo: "skip" });
  }
  return traces;
}

export function downloadItem(m, what) {
  const fig = el("figure", { class: "media-item", "data-testid": "media-item", dataset: { status: m.status } });
  if (m.status === "failed") { fig.append(failedBox(m)); return fig; }
  const format = String((m.meta || {}).format || "");
  fig.append(el("p", {}, el("a", { href: m.file_url, download: "", "data-testid": "media-download", text: `Download the ${format} ${what}` })),
    captionOf(m) || "");
  return fig;
}

export function object3dItem(m) {
  const meta = m.meta || {};
  if (meta.format && meta.format !== "pts.json") return downloadItem(m, "model");
  const fig = el("figure", { class: "media-item media-plotlybox", "data-testid": "media-item", dataset: { status: m.status } });
  if (m.status === "failed") { fig.append(failedBox(m)); return fig; }
  const target = el("div", { class: "media-plotly", "data-testid": "media-object3d" }, el("p", { class: "muted", text: "Loading…" }));
  fig.append(target, captionOf(m) || "");
  Promise.all([fetchJson(m.file_url), loadPlotly()]).then(([cloud, Plotly]) => {
    target.replaceChildren();
    const data = [pointTrace((cloud && cloud.points) || []), ...boxTraces((cloud && cloud.boxes) || [])];
    target.dataset.points = String(data[0].x.length);
    target.dataset.boxes = String(data.filter((t) => t.mode === "lines").length);
    const layout = { autosize: true, height: 360, margin: { l: 0, r: 0, t: 8, b: 0 }, showlegend: data.length > 1,
      scene: { aspectmode: "data" } };
    return Plotly.newPlot(target, data, layout, { displaylogo: false, responsive: true });
  }).then(() => { target.dataset.drawn = "1"; })
    .catch((e) => target.replaceChildren(el("p", { class: "error", text: `Could not draw the point cloud: ${e.message}` })));
  return fig;
}
