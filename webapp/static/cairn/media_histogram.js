// Histograms over time: a heatmap of steps × bins on a canvas, with a tooltip
// that names the step, the bin and its count.
import * as cairn from "./api.js";
import { fmt } from "./media_common.js";

const el = cairn.el;

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

// Draws a steps × bins matrix: columns are steps (left to right), rows bins
// (low values at the bottom); colour is the count on a square-root scale.
// One ImageData of steps × bins pixels, scaled up with smoothing off.
// About `n` ticks between lo and hi at round steps (1, 2 or 5 times a power of
// ten), each labelled with the decimals its step needs.
export function niceTicks(lo, hi, n) {
  if (!(hi > lo) || !Number.isFinite(lo) || !Number.isFinite(hi)) return [{ v: lo, label: fmt(lo) }];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((st) => st >= raw);
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const out = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) {
    const a = Math.abs(v);
    const label = a !== 0 && (a >= 1e5 || a < 1e-3) ? v.toExponential(1) : (Math.abs(v) < step / 2 ? 0 : v).toFixed(decimals);
    out.push({ v, label });
  }
  return out;
}

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
  // Round values at their place on the axis (0.5, 1, 1.5), not the edges' quarters (0.5426).
  const yTicks = niceTicks(lo, hi, 4);
  for (const t of yTicks) {
    ctx.fillText(t.label, plot.x - 4, plot.y + plot.h - (plot.h * (t.v - lo)) / (hi - lo || 1));
  }
  canvas.dataset.yTicks = yTicks.map((t) => t.label).join(" ");
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

export function histogramView(url, title) {
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
