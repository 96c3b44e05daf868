// Media panels: on the run page an image grid with a step slider (captions,
// boxes and masks), histograms over time, video and audio players, sortable and
// filterable tables, Plotly figures and sandboxed HTML; in the project
// workspace one key side by side across the selected runs.
//
// Everything a run logged (keys, captions, table cells, errors) is put on the
// page as text, never parsed as HTML. HTML panels live in an iframe with
// `sandbox="allow-scripts"` (an opaque origin: their scripts cannot reach this
// page or the API) loading a document served with a sandboxing CSP.
// Big runs stay fast: a panel asks for one step's page of items, and images
// load lazily from their thumbnails.
import * as cairn from "./api.js";
import { selection } from "./selection.js";
import { fileUrl, runUrl } from "./util.js";

const el = cairn.el;
// Plotly (a classic script, no ES module build) loads on the first figure.
const PLOTLY_SRC = new URL("../vendor/plotly.min.js", import.meta.url).href;
const IMAGE_PAGE = 24;
const OTHER_PAGE = 4;
const HIST_STEPS = 1000;
const TABLE_ROWS = 500;

// A path read from a logged file (a table cell, a mask) must stay a file of this run.
function runPath(path) {
  return typeof path === "string" && path !== "" && !path.startsWith("/") && !path.includes("\\")
    && !path.split("/").some((seg) => seg === "" || seg === "." || seg === "..");
}

// --- Colour map and heatmap -------------------------------------------------

// Viridis, 9 stops, interpolated to 256 entries.
const VIRIDIS = [[68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
  [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37]];
const LUT = (() => {
  const lut = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = (i / 255) * (VIRIDIS.length - 1), a = Math.floor(t), b = Math.min(a + 1, VIRIDIS.length - 1), f = t - a;
    for (let c = 0; c < 3; c++) lut[i * 3 + c] = Math.round(VIRIDIS[a][c] + (VIRIDIS[b][c] - VIRIDIS[a][c]) * f);
  }
  return lut;
})();
const PALETTE = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#46f0f0", "#f032e6", "#bcf60c",
  "#008080", "#9a6324", "#800000", "#808000", "#000075", "#e6beff", "#fabebe", "#ffe119"];

function fmt(v) {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(2);
  return String(+v.toPrecision(4));
}

// Draws a steps × bins matrix: columns are steps (left to right), rows bins
// (low values at the bottom); colour is the count on a square-root scale.
// One ImageData of steps × bins pixels, scaled up with smoothing off.
export function drawHeatmap(canvas, data, opts) {
  const t0 = performance.now();
  const W = opts.width, H = opts.height, dpr = window.devicePixelRatio || 1;
  const left = 56, right = 8, top = 6, bottom = 22;
  canvas.width = Math.round(W * dpr);
  canvas.height = Math.round(H * dpr);
  canvas.style.width = `${W}px`;
  canvas.style.height = `${H}px`;
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, W, H);
  const nSteps = data.steps.length, nBins = data.edges.length - 1;
  const plot = { x: left, y: top, w: Math.max(10, W - left - right), h: Math.max(10, H - top - bottom) };
  canvas._plot = plot;
  if (!nSteps || nBins < 1) return 0;
  const img = new ImageData(nSteps, nBins);
  const px = img.data, peak = data.max > 0 ? data.max : 1;
  for (let s = 0; s < nSteps; s++) {
    const row = data.counts[s];
    for (let b = 0; b < nBins; b++) {
      const c = row[b];
      const at = ((nBins - 1 - b) * nSteps + s) * 4;
      if (!(c > 0)) { px[at] = 255; px[at + 1] = 255; px[at + 2] = 255; px[at + 3] = 255; continue; }
      const i = Math.min(255, Math.round(Math.sqrt(c / peak) * 255)) * 3;
      px[at] = LUT[i]; px[at + 1] = LUT[i + 1]; px[at + 2] = LUT[i + 2]; px[at + 3] = 255;
    }
  }
  const off = document.createElement("canvas");
  off.width = nSteps;
  off.height = nBins;
  off.getContext("2d").putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(off, plot.x, plot.y, plot.w, plot.h);
  // Axes: value (bin edges) on the left, step below.
  ctx.fillStyle = "#667085";
  ctx.strokeStyle = "#e4e7ec";
  ctx.font = "11px system-ui, sans-serif";
  ctx.strokeRect(plot.x - 0.5, plot.y - 0.5, plot.w + 1, plot.h + 1);
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  const lo = data.edges[0], hi = data.edges[nBins];
  for (let k = 0; k <= 4; k++) {
    const v = lo + ((hi - lo) * k) / 4;
    ctx.fillText(fmt(v), plot.x - 4, plot.y + plot.h - (plot.h * k) / 4);
  }
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  const ticks = Math.min(nSteps, Math.max(2, Math.floor(plot.w / 90)));
  for (let k = 0; k < ticks; k++) {
    const s = ticks === 1 ? 0 : Math.round(((nSteps - 1) * k) / (ticks - 1));
    const x = plot.x + ((s + 0.5) * plot.w) / nSteps;
    ctx.textAlign = k === 0 ? "left" : k === ticks - 1 ? "right" : "center";
    ctx.fillText(String(data.steps[s]), k === 0 ? plot.x : k === ticks - 1 ? plot.x + plot.w : x, plot.y + plot.h + 4);
  }
  return performance.now() - t0;
}

function histogramView(url, title) {
  const canvas = el("canvas", { class: "hist-canvas", "data-testid": "histogram-canvas" });
  const tip = el("div", { class: "hist-tip", hidden: "" });
  const note = el("p", { class: "muted", text: "Loading…" });
  const box = el("div", { class: "hist-box" }, canvas, tip);
  const view = el("div", { class: "hist-view" }, note, box);
  let data = null;
  async function load() {
    const t0 = performance.now();
    try {
      data = await cairn.get(url);
    } catch (e) {
      note.textContent = `Could not load: ${e.message}`;
      note.className = "error";
      return;
    }
    if (!data.steps.length) { note.textContent = "No histograms."; return; }
    note.textContent = data.sampled ? `${data.steps.length} of ${data.count} steps` : `${data.count} steps`;
    if (data.skipped) note.textContent += ` (${data.skipped} malformed skipped)`;
    draw();
    view.dataset.loadMs = String(performance.now() - t0);
  }
  function draw() {
    if (!data) return;
    const width = Math.max(240, box.clientWidth || 480);
    const ms = drawHeatmap(canvas, data, { width, height: 220 });
    view.dataset.drawMs = String(ms);
    view.dataset.drawnAt = String(performance.now());
    view.dataset.steps = String(data.steps.length);
    view.dataset.bins = String(data.edges.length - 1);
  }
  canvas.addEventListener("mousemove", (ev) => {
    const p = canvas._plot;
    if (!data || !p || !data.steps.length) return;
    const r = canvas.getBoundingClientRect();
    const x = ev.clientX - r.left - p.x, y = ev.clientY - r.top - p.y;
    if (x < 0 || y < 0 || x >= p.w || y >= p.h) { tip.hidden = true; return; }
    const nBins = data.edges.length - 1;
    const s = Math.min(data.steps.length - 1, Math.floor((x / p.w) * data.steps.length));
    const b = Math.min(nBins - 1, nBins - 1 - Math.floor((y / p.h) * nBins));
    tip.textContent = `${title ? title + " · " : ""}step ${data.steps[s]} · [${fmt(data.edges[b])}, ${fmt(data.edges[b + 1])}) · ${fmt(data.counts[s][b])}`;
    tip.hidden = false;
    tip.style.left = `${Math.min(ev.clientX - r.left + 12, r.width - 220)}px`;
    tip.style.top = `${ev.clientY - r.top + 12}px`;
  });
  canvas.addEventListener("mouseleave", () => { tip.hidden = true; });
  let resizeTimer = null;
  window.addEventListener("resize", () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(draw, 150); });
  return { el: view, load };
}

// --- Boxes and masks over an image ----------------------------------------------

const num = (v) => (typeof v === "number" && Number.isFinite(v) ? v : null);

// A box in one of the common spellings → {x0, y0, x1, y1} in its own units.
function boxCorners(b) {
  if (Array.isArray(b)) return b.length >= 4 ? { x0: num(b[0]), y0: num(b[1]), x1: num(b[2]), y1: num(b[3]) } : null;
  if (Array.isArray(b.box)) return boxCorners(b.box);  // the agent's {"box": [x0, y0, x1, y1]}, in pixels
  const p = b.position && typeof b.position === "object" ? b.position : b;
  if (Array.isArray(p.middle) && num(p.width) !== null && num(p.height) !== null) {
    const [cx, cy] = p.middle;
    return { x0: cx - p.width / 2, y0: cy - p.height / 2, x1: cx + p.width / 2, y1: cy + p.height / 2 };
  }
  const pick = (...names) => { for (const n of names) if (num(p[n]) !== null) return p[n]; return null; };
  const x0 = pick("x0", "minX", "xmin", "left", "x"), y0 = pick("y0", "minY", "ymin", "top", "y");
  let x1 = pick("x1", "maxX", "xmax", "right"), y1 = pick("y1", "maxY", "ymax", "bottom");
  const w = pick("w", "width"), h = pick("h", "height");
  if (x1 === null && x0 !== null && w !== null) x1 = x0 + w;
  if (y1 === null && y0 !== null && h !== null) y1 = y0 + h;
  return { x0, y0, x1, y1 };
}

// meta.boxes: a list, or groups {name: list | {box_data: list, class_labels}}.
export function boxesOf(meta, width, height) {
  const raw = meta && meta.boxes;
  if (!raw) return [];
  const groups = Array.isArray(raw) ? [["", raw, meta.class_labels]] : Object.entries(raw).map(([g, v]) =>
    Array.isArray(v) ? [g, v, meta.class_labels] : [g, (v && v.box_data) || [], (v && v.class_labels) || meta.class_labels]);
  const out = [];
  groups.forEach(([group, list, labels], gi) => {
    if (!Array.isArray(list)) return;
    for (const b of list.slice(0, 500)) {
      if (!b || typeof b !== "object") continue;
      const c = boxCorners(b);
      if (!c || [c.x0, c.y0, c.x1, c.y1].some((v) => v === null)) continue;
      const domain = b.domain || (b.position && b.position.domain) || meta.box_domain;
      // Pixels unless said otherwise; a bare list of coordinates all within [0, 1] is taken as fractions.
      const pixel = domain === "pixel" || (!domain && (Array.isArray(b.box) || Math.max(c.x0, c.y0, c.x1, c.y1) > 1.0001));
      const sx = pixel ? (width ? 100 / width : null) : 100, sy = pixel ? (height ? 100 / height : null) : 100;
      if (sx === null || sy === null) continue;
      let label = b.label ?? b.box_caption ?? b.caption ?? b.class_name;
      if (label === undefined && b.class_id !== undefined && labels) label = labels[b.class_id] ?? labels[String(b.class_id)];
      if (label === undefined && b.class_id !== undefined) label = `class ${b.class_id}`;
      let score = num(b.score);
      if (score === null && b.scores && typeof b.scores === "object") score = num(Object.values(b.scores)[0]);
      const colorKey = b.class_id !== undefined ? Number(b.class_id) : gi;
      out.push({
        x: Math.min(c.x0, c.x1) * sx, y: Math.min(c.y0, c.y1) * sy,
        w: Math.abs(c.x1 - c.x0) * sx, h: Math.abs(c.y1 - c.y0) * sy,
        label: label === undefined || label === null ? (group || "") : String(label) + (score !== null ? ` ${fmt(score)}` : ""),
        color: PALETTE[(Number.isFinite(colorKey) ? Math.abs(colorKey) : gi) % PALETTE.length],
      });
    }
  });
  return out;
}

const SVG_NS = "http://www.w3.org/2000/svg";
function boxOverlay(boxes) {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("class", "media-boxes");
  svg.setAttribute("viewBox", "0 0 100 100");
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("data-testid", "media-boxes");
  const labels = el("div", { class: "media-box-labels" });
  for (const b of boxes) {
    const r = document.createElementNS(SVG_NS, "rect");
    r.setAttribute("x", String(b.x));
    r.setAttribute("y", String(b.y));
    r.setAttribute("width", String(b.w));
    r.setAttribute("height", String(b.h));
    r.setAttribute("stroke", b.color);
    r.setAttribute("class", "media-box");
    svg.append(r);
    if (b.label) {
      const tag = el("span", { class: "media-box-label", text: b.label });
      tag.style.left = `${b.x}%`;
      tag.style.top = `${b.y}%`;
      tag.style.background = b.color;
      labels.append(tag);
    }
  }
  return [svg, labels];
}

// meta.masks: a list of paths or {path, label} (or {_type: "image", path}), or
// groups {name: ...}. Class ids (the red channel) get palette colours, 0 is clear.
function masksOf(meta) {
  const raw = meta && meta.masks;
  if (!raw) return [];
  const list = Array.isArray(raw) ? raw : Object.entries(raw).map(([k, v]) => (typeof v === "string" ? { path: v, label: k } : { label: k, ...v }));
  return list.map((m) => (typeof m === "string" ? { path: m } : m)).filter((m) => m && runPath(m.path));
}

function maskOverlay(src, label) {
  const canvas = el("canvas", { class: "media-mask", "data-testid": "media-mask", title: label || "" });
  const img = new Image();
  img.decoding = "async";
  img.onload = () => {
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const ctx = canvas.getContext("2d");
    ctx.drawImage(img, 0, 0);
    try {
      const d = ctx.getImageData(0, 0, canvas.width, canvas.height);
      const px = d.data;
      const rgb = PALETTE.map((h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)));
      for (let i = 0; i < px.length; i += 4) {
        const v = px[i];
        if (v === 0 || px[i + 3] === 0) { px[i + 3] = 0; continue; }
        const c = rgb[(v - 1) % rgb.length];
        px[i] = c[0]; px[i + 1] = c[1]; px[i + 2] = c[2]; px[i + 3] = 140;
      }
      ctx.putImageData(d, 0, 0);
    } catch {
      canvas.style.opacity = "0.45";  // another origin (object storage): shown as it is
    }
    canvas.dataset.drawn = "1";
  };
  img.src = src;
  return canvas;
}

// --- One item of each kind --------------------------------------------------------

function failedBox(m) {
  return el("div", { class: "media-failed", "data-testid": "media-failed" },
    el("strong", { text: "Failed" }), el("span", { text: m.error || "No reason recorded." }));
}

function captionOf(m) {
  return m.caption ? el("figcaption", { class: "media-caption", "data-testid": "media-caption", text: m.caption }) : null;
}

let lightbox = null;
function openLightbox(m, base) {
  if (!lightbox) {
    lightbox = el("div", { class: "media-lightbox", "data-testid": "media-lightbox", onclick: () => { lightbox.hidden = true; } });
    document.addEventListener("keydown", (e) => { if (e.key === "Escape" && lightbox) lightbox.hidden = true; });
    document.body.append(lightbox);
  }
  const frame = imageFrame(m, base, m.file_url, false);
  lightbox.replaceChildren(el("figure", {}, frame, captionOf(m)));
  lightbox.hidden = false;
}

function imageFrame(m, base, src, lazy) {
  const img = el("img", { src, alt: m.caption || m.key, class: "media-img", "data-testid": "media-img", decoding: "async" });
  if (lazy) img.setAttribute("loading", "lazy");
  const frame = el("div", { class: "media-frame" }, img);
  if (m.width && m.height) {
    img.setAttribute("width", String(m.width));
    img.setAttribute("height", String(m.height));
    frame.style.aspectRatio = `${m.width} / ${m.height}`;
  }
  const meta = m.meta || {};
  for (const mask of masksOf(meta)) frame.append(maskOverlay(fileUrl(base, mask.path), mask.label));
  const boxes = boxesOf(meta, m.width || meta.width, m.height || meta.height);
  if (boxes.length) frame.append(...boxOverlay(boxes));
  return frame;
}

function imageItem(m, base) {
  const fig = el("figure", { class: "media-item media-image", "data-testid": "media-item", dataset: { status: m.status, step: String(m.step) } });
  if (m.status === "failed") { fig.append(failedBox(m)); fig.append(captionOf(m) || ""); return fig; }
  const frame = imageFrame(m, base, m.thumbnail_url || m.file_url, true);
  frame.addEventListener("click", () => openLightbox(m, base));
  fig.append(frame);
  const cap = captionOf(m);
  if (cap) fig.append(cap);
  return fig;
}

function playerItem(m, kind) {
  const fig = el("figure", { class: `media-item media-${kind}`, "data-testid": "media-item", dataset: { status: m.status, step: String(m.step) } });
  if (m.status === "failed") { fig.append(failedBox(m), captionOf(m) || ""); return fig; }
  if (kind === "video" && (m.content_type === "image/gif" || (m.meta || {}).format === "gif" || /\.gif$/i.test(m.path))) {
    // An animated GIF (what the agent logs without PyAV) is an image, not something <video> plays.
    fig.append(el("img", { src: m.file_url, alt: m.caption || m.key, class: "media-img", loading: "lazy", "data-testid": "media-gif" }), captionOf(m) || "");
    return fig;
  }
  const player = el(kind, { controls: "", preload: "metadata", src: m.file_url, "data-testid": `media-${kind}` });
  if (kind === "video" && m.thumbnail_url) player.setAttribute("poster", m.thumbnail_url);
  if (kind === "video" && m.width && m.height) { player.setAttribute("width", String(m.width)); player.setAttribute("height", String(m.height)); }
  fig.append(player);
  const facts = [];
  if (m.duration) facts.push(`${fmt(m.duration)} s`);
  const meta = m.meta || {};
  if (meta.fps) facts.push(`${meta.fps} fps`);
  if (meta.sample_rate) facts.push(`${meta.sample_rate} Hz`);
  if (facts.length) fig.append(el("div", { class: "muted media-facts", text: facts.join(" · ") }));
  const cap = captionOf(m);
  if (cap) fig.append(cap);
  return fig;
}

async function fetchJson(url) {
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) throw new Error(response.statusText || String(response.status));
  return JSON.parse((await response.text()).replace(/\bNaN\b|-?\bInfinity\b/g, "null"));
}

function cellText(v) {
  if (v === null || v === undefined) return "";
  if (typeof v === "object") return v._type ? `[${v._type}] ${v.caption || v.path || ""}` : JSON.stringify(v);
  return cairn.show(v);
}

// cells: what the pipeline made of each image cell, by path ({thumbnail_url, status, error}).
function tableView(doc, base, cells) {
  const columns = Array.isArray(doc.columns) ? doc.columns.map(String) : [];
  const rows = Array.isArray(doc.data) ? doc.data.filter(Array.isArray) : [];
  const search = rows.map((r) => r.map(cellText).join("\u0001").toLowerCase());
  const filter = el("input", { type: "search", placeholder: "Filter rows", class: "media-table-filter", "data-testid": "media-table-filter", "aria-label": "Filter rows" });
  const count = el("span", { class: "muted", "data-testid": "media-table-count" });
  const table = el("table", { class: "grid media-table", "data-testid": "media-table" });
  let sortCol = -1, sortDir = 1;
  function cmp(a, b) {
    const an = typeof a === "number", bn = typeof b === "number";
    if (a === null || a === undefined) return b === null || b === undefined ? 0 : 1;
    if (b === null || b === undefined) return -1;
    if (an && bn) return a - b;
    if (an !== bn) return an ? -1 : 1;
    return cellText(a).localeCompare(cellText(b), undefined, { numeric: true });
  }
  function cell(v) {
    if (v && typeof v === "object" && v._type === "image" && runPath(v.path)) {
      const got = Object.prototype.hasOwnProperty.call(cells, v.path) ? cells[v.path] : null;
      if (got && got.status === "failed") {
        return el("td", {}, el("span", { class: "error media-cell-error", "data-testid": "media-cell-error", text: got.error || "Refused." }));
      }
      // The thumbnail once the worker made it; a pending cell shows its file meanwhile.
      const src = got && got.thumbnail_url ? got.thumbnail_url : fileUrl(base, v.path);
      return el("td", {}, el("img", { src, loading: "lazy", alt: v.caption ? String(v.caption) : "", class: "media-cell-img", "data-testid": "media-cell-img" }));
    }
    return el("td", { text: cellText(v) });
  }
  function render() {
    const q = filter.value.trim().toLowerCase();
    let idx = rows.map((_, i) => i).filter((i) => !q || search[i].includes(q));
    if (sortCol >= 0) idx.sort((a, b) => sortDir * cmp(rows[a][sortCol], rows[b][sortCol]) || a - b);
    const shown = idx.slice(0, TABLE_ROWS);
    count.textContent = `${idx.length} of ${rows.length} rows` + (idx.length > shown.length ? ` (first ${shown.length} shown)` : "");
    const head = el("tr", {}, ...columns.map((c, i) => el("th", {
      text: c + (i === sortCol ? (sortDir > 0 ? " ▲" : " ▼") : ""), "data-col": String(i), title: "Sort",
      onclick: () => { if (sortCol === i) sortDir = -sortDir; else { sortCol = i; sortDir = 1; } render(); },
    })));
    table.replaceChildren(el("thead", {}, head), el("tbody", {}, ...shown.map((i) => el("tr", {}, ...columns.map((_, c) => cell(rows[i][c]))))));
  }
  filter.addEventListener("input", render);
  render();
  return el("div", { class: "media-table-view" }, el("div", { class: "row" }, filter, count), el("div", { class: "media-table-scroll" }, table));
}

function tableItem(m, base) {
  const fig = el("figure", { class: "media-item media-tablebox", "data-testid": "media-item", dataset: { status: m.status } });
  if (m.status === "failed") { fig.append(failedBox(m)); return fig; }
  const body = el("div", {}, el("p", { class: "muted", text: "Loading…" }));
  fig.append(body, captionOf(m) || "");
  fetchJson(m.file_url).then((doc) => body.replaceChildren(tableView(doc || {}, base, m.cells || {})))
    .catch((e) => body.replaceChildren(el("p", { class: "error", text: `Could not load the table: ${e.message}` })));
  return fig;
}

let plotlyLoading = null;
function plotly() {
  if (globalThis.Plotly) return Promise.resolve(globalThis.Plotly);
  if (!plotlyLoading) {
    plotlyLoading = new Promise((resolve, reject) => {
      const s = el("script", { src: PLOTLY_SRC });
      s.onload = () => resolve(globalThis.Plotly);
      s.onerror = () => { plotlyLoading = null; reject(new Error("Plotly did not load")); };
      document.head.append(s);
    });
  }
  return plotlyLoading;
}

function plotlyItem(m) {
  const fig = el("figure", { class: "media-item media-plotlybox", "data-testid": "media-item", dataset: { status: m.status } });
  if (m.status === "failed") { fig.append(failedBox(m)); return fig; }
  const target = el("div", { class: "media-plotly", "data-testid": "media-plotly" }, el("p", { class: "muted", text: "Loading…" }));
  fig.append(target, captionOf(m) || "");
  Promise.all([fetchJson(m.file_url), plotly()]).then(([figure, Plotly]) => {
    target.replaceChildren();
    const layout = Object.assign({ autosize: true, height: 340, margin: { l: 48, r: 16, t: 32, b: 40 } }, (figure && figure.layout) || {});
    return Plotly.newPlot(target, (figure && figure.data) || [], layout, { displaylogo: false, responsive: true });
  }).then(() => { target.dataset.drawn = "1"; })
    .catch((e) => target.replaceChildren(el("p", { class: "error", text: `Could not draw the figure: ${e.message}` })));
  return fig;
}

function htmlItem(m) {
  const fig = el("figure", { class: "media-item media-htmlbox", "data-testid": "media-item", dataset: { status: m.status } });
  if (m.status === "failed" || !m.html_url) { fig.append(failedBox(m)); return fig; }
  // No allow-same-origin, ever: with it the document's scripts could remove the sandbox.
  fig.append(el("iframe", { src: m.html_url, sandbox: "allow-scripts", referrerpolicy: "no-referrer", loading: "lazy",
    class: "media-html", "data-testid": "media-html", title: m.caption || m.key }), captionOf(m) || "");
  return fig;
}

function itemView(m, base) {
  switch (m.kind) {
    case "image": return imageItem(m, base);
    case "video": return playerItem(m, "video");
    case "audio": return playerItem(m, "audio");
    case "table": return tableItem(m, base);
    case "plotly": return plotlyItem(m);
    case "html": return htmlItem(m);
    default: return el("figure", { class: "media-item", text: `Unknown kind: ${m.kind}` });
  }
}

// --- A step slider --------------------------------------------------------------

function stepSlider(onStep) {
  const input = el("input", { type: "range", min: "0", max: "0", value: "0", step: "1", class: "media-slider",
    "data-testid": "media-slider", "aria-label": "Step" });
  const label = el("span", { class: "media-step", "data-testid": "media-step" });
  const prev = el("button", { text: "‹", title: "Previous step", "aria-label": "Previous step" });
  const next = el("button", { text: "›", title: "Next step", "aria-label": "Next step" });
  let steps = [], timer = null;
  const current = () => steps[+input.value];
  function fire() { label.textContent = steps.length ? `step ${current()}` : ""; clearTimeout(timer); timer = setTimeout(() => onStep(current()), 60); }
  input.addEventListener("input", fire);
  prev.onclick = () => { if (+input.value > 0) { input.value = String(+input.value - 1); fire(); } };
  next.onclick = () => { if (+input.value < steps.length - 1) { input.value = String(+input.value + 1); fire(); } };
  return {
    el: el("div", { class: "media-slider-row" }, prev, input, next, label),
    set(list, at) {
      const atEnd = !steps.length || +input.value === steps.length - 1;
      const keep = at !== undefined ? at : atEnd ? list[list.length - 1] : current();
      steps = list;
      input.max = String(Math.max(0, list.length - 1));
      let i = list.indexOf(keep);
      if (i < 0) i = list.length - 1;
      input.value = String(Math.max(0, i));
      input.disabled = list.length < 2;
      label.textContent = list.length ? `step ${current()}` : "";
    },
    get: current,
    count: () => steps.length,
  };
}

// --- The run page ---------------------------------------------------------------

function panelHead(key, kind, ...controls) {
  return el("div", { class: "panel-head" }, el("span", { class: "panel-title", text: key, title: key }),
    el("span", { class: "muted media-kind", text: kind }), ...controls);
}

function runStepPanel(page, base, k) {
  const pageSize = k.kind === "image" ? IMAGE_PAGE : OTHER_PAGE;
  const grid = el("div", { class: `media-grid media-grid-${k.kind}`, "data-testid": "media-grid" });
  const more = el("button", { text: "Show more", hidden: "", "data-testid": "media-more" });
  const note = el("p", { class: "muted media-note" });
  let seq = 0, nextOffset = null, shownStep = null, stepsCount = -1;
  const slider = stepSlider((step) => show(step, 0));
  const node = el("div", { class: `panel media-panel size-l`, "data-testid": "media-panel", dataset: { key: k.key, kind: k.kind } },
    panelHead(k.key, k.kind, slider.el), el("div", { class: "panel-body" }, note, grid, more));

  async function show(step, offset) {
    const my = ++seq;
    const q = new URLSearchParams({ key: k.key, limit: String(pageSize), offset: String(offset) });
    if (step !== undefined && step !== null) q.set("step", String(step));
    const body = await cairn.get(`${base}/media?${q}`);
    if (my !== seq) return;
    render(body, offset);
  }
  function render(body, offset) {
    const nodes = body.results.map((m) => itemView(m, base));
    if (offset) grid.append(...nodes); else grid.replaceChildren(...nodes);
    shownStep = body.step;
    nextOffset = body.next_offset;
    more.hidden = nextOffset === null || nextOffset === undefined;
    note.textContent = body.count ? `${body.count} item${body.count === 1 ? "" : "s"} at step ${body.step}` : "Nothing at this step.";
    node.dataset.step = String(body.step);
    node.dataset.drawnAt = String(performance.now());
  }
  more.onclick = () => { if (nextOffset !== null) { const my = seq; cairn.get(`${base}/media?${new URLSearchParams({ key: k.key, step: String(shownStep), limit: String(pageSize), offset: String(nextOffset) })}`).then((b) => { if (my === seq) render(b, nextOffset); }); } };

  async function load() {
    // The newest step's items came with the keys: drawn before the slider's steps arrive.
    const first = k.first || await cairn.get(`${base}/media?${new URLSearchParams({ key: k.key, limit: String(pageSize) })}`);
    render(first, 0);
    slider.set(first.step === null ? [] : [first.step], first.step);
    const stepsBody = await cairn.get(`${base}/media/steps?${new URLSearchParams({ key: k.key })}`);
    stepsCount = stepsBody.count;
    slider.set(stepsBody.steps, shownStep);
  }
  async function refresh(k2) {
    if (k2.steps === stepsCount) return;
    const stepsBody = await cairn.get(`${base}/media/steps?${new URLSearchParams({ key: k.key })}`);
    stepsCount = stepsBody.count;
    slider.set(stepsBody.steps);  // a slider at the newest step follows new steps
    if (slider.get() !== shownStep) await show(slider.get(), 0);
  }
  return { el: node, load, refresh };
}

function runHistogramPanel(base, k) {
  const view = histogramView(`${base}/histograms?${new URLSearchParams({ key: k.key, steps: String(HIST_STEPS) })}`, "");
  const node = el("div", { class: "panel media-panel size-l", "data-testid": "histogram-panel", dataset: { key: k.key, kind: "histogram" } },
    panelHead(k.key, "histogram"), el("div", { class: "panel-body" }, view.el));
  let count = k.count;
  return { el: node, load: view.load, refresh: (k2) => { if (k2.count !== count) { count = k2.count; return view.load(); } return null; } };
}

// The first read of the keys (each with its newest page): the run page sends it
// before its own requests, and hands it to mountRunMedia.
export function firstKeysRequest(page) {
  return cairn.get(`${runUrl(page.api, page.run)}/media/keys?first=${IMAGE_PAGE}`);
}

export function mountRunMedia(root, page, early) {
  const base = runUrl(page.api, page.run);
  const note = el("p", { class: "muted", text: "Loading…" });
  const grid = el("div", { class: "ws-grid media-panels" });
  const section = el("section", { class: "card run-section", "data-testid": "media-section", hidden: "" }, el("h2", { text: "Media" }), note, grid);
  const charts = root.querySelector("[data-testid=charts-section]");
  if (charts) charts.after(section); else root.append(section);
  const byKey = new Map();

  async function sync(first) {
    const body = first ? await (early || firstKeysRequest(page)) : await cairn.get(`${base}/media/keys`);
    section.hidden = !body.keys.length && !byKey.size;
    note.textContent = body.keys.length ? "" : "No media logged.";
    const loads = [];
    for (const k of body.keys) {
      const have = byKey.get(k.key);
      if (have) { loads.push(have.refresh(k)); continue; }
      const panel = k.kind === "histogram" ? runHistogramPanel(base, k) : runStepPanel(page, base, k);
      byKey.set(k.key, panel);
      grid.append(panel.el);
      loads.push(panel.load());
    }
    const results = await Promise.allSettled(loads);
    for (const r of results) if (r.status === "rejected") console.error(r.reason);
    if (first) performance.mark("cairn:media-drawn");
  }
  sync(true).catch((e) => { section.hidden = false; note.textContent = `Could not load media: ${e.message}`; note.className = "error"; });
  let busy = false;
  setInterval(async () => {
    if (busy || document.visibilityState !== "visible") return;
    busy = true;
    try { await sync(false); } catch (e) { console.error(e); } finally { busy = false; }
  }, 10000);
}

// --- The project workspace ----------------------------------------------------------

export function mountWorkspaceMedia(root, page) {
  const API = page.api;
  const keySelect = el("select", { "data-testid": "ws-media-key", "aria-label": "Media key" });
  const note = el("p", { class: "muted" });
  const body = el("div", { class: "ws-media-body", "data-testid": "ws-media-body" });
  let runs = [], keys = [], seq = 0;
  const slider = stepSlider((step) => showStep(step));
  root.append(el("div", { class: "ws-head" }, el("h2", { text: "Media" }), keySelect, slider.el), note, body);
  root.hidden = true;

  function pickRuns() {
    return selection.get().slice(0, 20).map((r) => ({ id: r.id, name: r.name || r.id, color: r.color }));
  }
  function currentKey() { return keys.find((k) => k.key === keySelect.value); }

  function runHead(r) {
    const dot = el("span", { class: "ws-media-dot" });
    if (r.color) dot.style.background = r.color;
    return el("div", { class: "ws-media-run-head" }, dot, el("span", { class: "ws-media-run", text: r.name, title: r.id }));
  }

  async function showStep(step) {
    const k = currentKey();
    if (!k || k.kind === "histogram") return;
    const my = ++seq;
    const q = new URLSearchParams({ key: k.key, runs: runs.map((r) => r.id).join(","), limit: "8" });
    if (step !== undefined && step !== null) q.set("step", String(step));
    const data = await cairn.get(`${API}/media?${q}`);
    if (my !== seq) return;
    if (step === undefined) slider.set(data.steps, data.steps[data.steps.length - 1]);
    const cols = runs.map((r) => {
      const got = data.runs[r.id];
      const base = runUrl(API, r.id);
      const items = got && got.items.length ? got.items.map((m) => itemView(m, base)) : [el("p", { class: "muted", text: "Nothing at or before this step." })];
      return el("div", { class: "ws-media-col", "data-testid": "ws-media-col", dataset: { run: r.id, step: got && got.step !== null ? String(got.step) : "" } },
        runHead(r), got && got.step !== null ? el("div", { class: "muted", text: `step ${got.step}` }) : "",
        el("div", { class: `media-grid media-grid-${k.kind}` }, ...items));
    });
    body.replaceChildren(el("div", { class: "ws-media-cols" }, ...cols));
  }

  function showHistograms() {
    const k = currentKey();
    const cols = runs.map((r) => {
      const view = histogramView(`${runUrl(API, r.id)}/histograms?${new URLSearchParams({ key: k.key, steps: String(HIST_STEPS) })}`, r.name);
      const col = el("div", { class: "ws-media-col", "data-testid": "ws-histogram-col", dataset: { run: r.id } }, runHead(r), view.el);
      return { col, view };
    });
    body.replaceChildren(el("div", { class: "ws-media-cols ws-media-hists" }, ...cols.map((c) => c.col)));
    for (const c of cols) c.view.load();
  }

  function showKey() {
    const k = currentKey();
    slider.el.hidden = !k || k.kind === "histogram";
    if (!k) { body.replaceChildren(); return; }
    if (k.kind === "histogram") showHistograms(); else showStep(undefined).catch((e) => { note.textContent = e.message; });
  }
  keySelect.addEventListener("change", showKey);

  async function reload() {
    runs = pickRuns();
    if (!runs.length) { root.hidden = true; return; }
    const b = await cairn.get(`${API}/media/keys?${new URLSearchParams({ runs: runs.map((r) => r.id).join(",") })}`);
    keys = b.keys;
    root.hidden = !keys.length;
    if (!keys.length) return;
    const was = keySelect.value;
    keySelect.replaceChildren(...keys.map((k) => el("option", { value: k.key, text: `${k.key} (${k.kind})` })));
    if (keys.some((k) => k.key === was)) keySelect.value = was;
    note.textContent = `${runs.length} run${runs.length === 1 ? "" : "s"}`;
    showKey();
  }
  reload().catch((e) => console.error(e));
  let t = null;
  selection.addEventListener("change", () => { clearTimeout(t); t = setTimeout(() => reload().catch(console.error), 150); });
}
