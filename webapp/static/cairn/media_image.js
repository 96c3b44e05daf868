// An image item: its thumbnail loaded lazily, boxes (an SVG overlay) and masks
// (a canvas per mask) drawn over it, and a lightbox with the full file.
import * as cairn from "./api.js";
import { captionOf, failedBox, fmt, runPath } from "./media_common.js";
import { fileUrl } from "./util.js";

const el = cairn.el;
// Class colours of boxes and masks.
const PALETTE = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#46f0f0", "#f032e6", "#bcf60c",
  "#008080", "#9a6324", "#800000", "#808000", "#000075", "#e6beff", "#fabebe", "#ffe119"];

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
        group: String(group),
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
    r.dataset.overlay = `box:${b.group}`;
    svg.append(r);
    if (b.label) {
      const tag = el("span", { class: "media-box-label", text: b.label, dataset: { overlay: `box:${b.group}` } });
      tag.style.left = `${b.x}%`;
      tag.style.top = `${b.y}%`;
      tag.style.background = b.color;
      labels.append(tag);
    }
  }
  return [svg, labels];
}

// meta.masks: a list of paths or {path, label} (or {_type: "image", path}), or
// groups {name: ...}. Class ids (the red channel) get the colours boxes of those
// classes get, 0 is clear.
function masksOf(meta) {
  const raw = meta && meta.masks;
  if (!raw) return [];
  const list = Array.isArray(raw) ? raw : Object.entries(raw).map(([k, v]) => (typeof v === "string" ? { path: v, label: k } : { label: k, ...v }));
  return list.map((m) => (typeof m === "string" ? { path: m } : m)).filter((m) => m && runPath(m.path));
}

function maskOverlay(src, label) {
  const canvas = el("canvas", { class: "media-mask", "data-testid": "media-mask", title: label || "", dataset: { overlay: `mask:${label || ""}` } });
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
        const c = rgb[v % rgb.length];
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

// --- Toggles of box and mask groups over a panel's images ------------------------

const overlayName = (id) => {
  const [kind, group] = [id.slice(0, id.indexOf(":")), id.slice(id.indexOf(":") + 1)];
  return `${kind === "box" ? "boxes" : "mask"}${group ? `: ${group}` : ""}`;
};

// One checkbox per box group and mask group found in `container` (W&B's
// per-group toggles), and a legend of the classes with their colours. Call
// sync() after the images change: a group switched off stays off.
export function overlayControls(container) {
  const hidden = new Set();
  const bar = el("div", { class: "media-overlays", "data-testid": "media-overlays", hidden: "" });
  function apply() {
    for (const n of container.querySelectorAll("[data-overlay]")) n.style.display = hidden.has(n.dataset.overlay) ? "none" : "";
  }
  function sync(items) {
    const groups = [...new Set([...container.querySelectorAll("[data-overlay]")].map((n) => n.dataset.overlay))].sort();
    const classes = new Map();
    // Classes named at the top (the agent gathers them there) or only in a box or mask group (other clients).
    const add = (labels) => {
      if (!labels || typeof labels !== "object") return;
      for (const [id, name] of Object.entries(labels)) if (Number.isFinite(Number(id))) classes.set(Number(id), String(name));
    };
    for (const m of items || []) {
      const meta = m.meta || {};
      for (const group of [meta.boxes, meta.masks]) {
        if (group && typeof group === "object" && !Array.isArray(group)) for (const g of Object.values(group)) add(g && g.class_labels);
      }
      add(meta.class_labels);
    }
    const toggles = groups.map((g) => {
      const box = el("input", { type: "checkbox", "data-testid": "overlay-toggle", dataset: { overlay: g } });
      box.checked = !hidden.has(g);
      box.addEventListener("change", () => { if (box.checked) hidden.delete(g); else hidden.add(g); apply(); });
      return el("label", { class: "media-overlay-toggle" }, box, overlayName(g));
    });
    const legend = [...classes.entries()].sort((a, b) => a[0] - b[0]).map(([id, name]) => {
      const swatch = el("span", { class: "media-class-swatch" });
      swatch.style.background = PALETTE[Math.abs(id) % PALETTE.length];
      return el("span", { class: "media-class", "data-testid": "media-class", dataset: { classId: String(id) } }, swatch, name);
    });
    bar.replaceChildren(...toggles, ...legend);
    bar.hidden = !toggles.length;
    apply();
  }
  return { el: bar, sync };
}

// --- The image and its lightbox ---------------------------------------------------

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

export function imageItem(m, base) {
  const fig = el("figure", { class: "media-item media-image", "data-testid": "media-item", dataset: { status: m.status, step: String(m.step) } });
  if (m.status === "failed") { fig.append(failedBox(m)); fig.append(captionOf(m) || ""); return fig; }
  const frame = imageFrame(m, base, m.thumbnail_url || m.file_url, true);
  frame.addEventListener("click", () => openLightbox(m, base));
  fig.append(frame);
  const cap = captionOf(m);
  if (cap) fig.append(cap);
  return fig;
}
