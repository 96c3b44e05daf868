// Line charts over uPlot for sampled history: several runs overlaid, each drawn
// as its mean line over a light min-max band (so a one-step spike stays
// visible) or as a faint line, with smoothing, log scale, drag zoom, shift-drag
// pan, double-click reset and a hover legend. Text from users only ever goes
// into textContent.
//
// uPlot is a classic script (globalThis.uPlot) that pages with charts load
// before their modules (templates/includes/charts_head.html): its only ES
// module build is unminified, three times the bytes.
//
// window.cairnCharts lists every live chart ({key, el, chart, u}) so tests and
// benchmarks can read what is drawn (u.data) and when (el.dataset.drawnAt).
import * as cairn from "./api.js";
import { color, durationTick, when, xLabel, xMode, xOrigin, xTimed } from "./util.js";

const registry = [];
window.cairnCharts = registry;  // eslint-disable-line no-restricted-syntax -- the hook for tests and benchmarks

function alpha(hex, a) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${n >> 16},${(n >> 8) & 255},${n & 255},${a})`;
}

// A number to draw, or null (NaN, ±Infinity, strings, and ≤ 0 on a log scale).
function drawable(v, log) {
  const n = typeof v === "number" ? v : cairn.num(v);
  if (n === null || !Number.isFinite(n) || (log && n <= 0)) return null;
  return n;
}

// Debiased exponential moving average (TensorBoard's), skipping gaps.
function smooth(ys, weight) {
  if (!weight) return ys;
  const out = new Array(ys.length);
  let last = 0, debias = 0;
  for (let i = 0; i < ys.length; i++) {
    const y = ys[i];
    if (y === null) { out[i] = null; continue; }
    last = last * weight + (1 - weight) * y;
    debias = debias * weight + (1 - weight);
    out[i] = last / debias;
  }
  return out;
}

// Every run's x values, merged: uPlot wants one shared, sorted x array.
function alignedX(runs) {
  const first = runs[0].xs;
  const same = runs.every((r) => r.xs.length === first.length && r.xs.every((x, i) => x === first[i]));
  if (same) return { xs: Array.from(first), index: null };
  const all = new Float64Array(runs.reduce((n, r) => n + r.xs.length, 0));
  let k = 0;
  for (const r of runs) for (const x of r.xs) all[k++] = x;
  all.sort();
  const xs = [];
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[i - 1]) xs.push(all[i]);
  return { xs, index: true };
}

function spread(xs, runXs, values) {
  // Both sorted: walk them together.
  const out = new Array(xs.length).fill(null);
  let j = 0;
  for (let i = 0; i < runXs.length; i++) {
    while (j < xs.length && xs[j] < runXs[i]) j++;
    if (j < xs.length && xs[j] === runXs[i]) out[j] = values[i];
  }
  return out;
}

function nearest(xs, x) {
  let lo = 0, hi = xs.length - 1;
  if (hi < 0) return -1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < x) lo = mid + 1; else hi = mid;
  }
  if (lo > 0 && Math.abs(xs[lo - 1] - x) <= Math.abs(xs[lo] - x)) return lo - 1;
  return lo;
}

// The q-quantile (0..1) of sorted numbers, interpolated.
function quantile(sorted, q) {
  const at = (sorted.length - 1) * q, lo = Math.floor(at);
  return lo + 1 < sorted.length ? sorted[lo] + (at - lo) * (sorted[lo + 1] - sorted[lo]) : sorted[lo];
}

// "Ignore outliers" (W&B's panel option): the y-axis spans the 5th to 95th
// percentile of the lines drawn in view (after smoothing, on the panel's x-axis
// and zoom), so one spike does not flatten the rest; the spike runs off the top.
// Called by uPlot as it ranges y, when series[0].idxs holds the points in view.
function outlierRange(u, dataMin, dataMax) {
  const uPlot = globalThis.uPlot, log = u.scales.y.distr === 3;
  const fallback = () => (log ? uPlot.rangeLog(dataMin, dataMax, 10, true) : uPlot.rangeNum(dataMin, dataMax, 0.1, true));
  if (dataMin === null || dataMax === null) return [dataMin, dataMax];
  const [i0, i1] = u.series[0].idxs || [0, u.data[0].length - 1];
  const vals = [];
  for (let s = 1; s < u.data.length; s += 3) {  // each run's line (its band's min and max are what gets clipped)
    const ys = u.data[s];
    for (let i = i0; i <= i1; i++) if (ys[i] !== null && ys[i] !== undefined) vals.push(ys[i]);
  }
  if (vals.length < 3) return fallback();
  const sorted = Float64Array.from(vals).sort();
  const lo = quantile(sorted, 0.05), hi = quantile(sorted, 0.95);
  if (!(hi > lo)) return fallback();
  return log ? uPlot.rangeLog(lo, hi, 10, false) : uPlot.rangeNum(lo, hi, 0.1, true);
}

function compact(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1e9) return +(v / 1e9).toPrecision(3) + "G";
  if (a >= 1e6) return +(v / 1e6).toPrecision(3) + "M";
  if (a >= 1e4) return +(v / 1e3).toPrecision(3) + "k";
  return String(+v.toPrecision(4));
}
function xFormat(mode) {
  if (mode === "time") return (v) => when(v * 1000);
  if (mode === "relative") return durationTick;
  return compact;
}

export class Chart {
  // opts: key, title, height, legend (a compact one under the plot), x (a panel's x-axis, see util.js: "step", "time", "relative", "metric:<key>"),
  // log, smoothing, ignoreOutliers (y from the 5th to 95th percentile), onZoom(min, max) (x units), onReset().
  constructor(el, opts) {
    this.el = el;
    this.opts = Object.assign({ height: 220, x: "step", log: false, smoothing: 0, ignoreOutliers: false }, opts);
    this.runs = [];
    this.u = null;
    this.zoom = null;
    el.classList.add("chart");
    this.plot = cairn.el("div", { class: "chart-plot" });
    this.tip = cairn.el("div", { class: "chart-tip", hidden: "" });
    this.empty = cairn.el("div", { class: "chart-empty muted", text: "No data" });
    el.append(this.plot, this.tip, this.empty);
    // A compact legend under the plot (opts.legend): who each colour is, without hovering.
    this.legend = this.opts.legend ? cairn.el("div", { class: "chart-legend", "data-testid": "chart-legend" }) : null;
    if (this.legend) el.append(this.legend);
    this.entry = { key: this.opts.key, el, chart: this, get u() { return this.chart.u; } };
    registry.push(this.entry);
    this.resizer = new ResizeObserver(() => this.resize());
    this.resizer.observe(el);
  }

  // runs: [{id, name, color, xs, ys, mins, maxs, faint, dash}], each sorted by x (dash: uPlot's, e.g. [6, 3]).
  setRuns(runs, { keepZoom = false } = {}) {
    this.runs = runs.filter((r) => r.xs.length);
    if (!keepZoom) this.zoom = null;
    this.render();
  }

  // The key it is listed under in window.cairnCharts (a panel's keys were edited).
  setKey(key) {
    this.opts.key = key;
    this.entry.key = key;
  }

  setOptions(changes) {
    Object.assign(this.opts, changes);
    if ("x" in changes) this.zoom = null;
    this.rebuild();
  }

  data() {
    const log = this.opts.log;
    const { xs, index } = alignedX(this.runs);
    const data = [xs];
    for (const r of this.runs) {
      const put = (vals) => {
        const clean = vals.map((v) => drawable(v, log));
        return index ? spread(xs, r.xs, clean) : clean;
      };
      const ys = put(r.ys);
      data.push(this.opts.smoothing ? smooth(ys, this.opts.smoothing) : ys, put(r.mins), put(r.maxs));
    }
    return data;
  }

  signature() {
    return [this.opts.x, this.opts.log, ...this.runs.map((r) => r.id + r.color + !!r.faint + (r.dash || ""))].join("|");
  }

  drawLegend() {
    if (!this.legend) return;
    const MAX = 12;
    const shown = this.runs.filter((r) => !r.faint);
    const items = shown.slice(0, MAX).map((r, i) => {
      const sw = cairn.el("span", { class: "swatch" });
      sw.style.background = r.color || color(i);
      if (r.dash) sw.classList.add("dashed");
      const name = r.name || r.id;
      return cairn.el("span", { class: "chart-legend-item", title: name, "data-run": r.id }, sw,
        cairn.el("span", { class: "chart-legend-name", text: name }));
    });
    if (shown.length > MAX) items.push(cairn.el("span", { class: "muted", text: `+${shown.length - MAX}` }));
    this.legend.replaceChildren(...items);
  }

  render() {
    this.empty.hidden = this.runs.length > 0;
    this.drawLegend();
    if (!this.runs.length) { this.destroyPlot(); return; }
    const data = this.data();
    if (this.u && this.sig === this.signature()) {
      this.u.setData(data, !this.zoom);
      if (this.zoom) this.u.setScale("x", this.zoom);
    } else {
      this.build(data);
    }
  }

  rebuild() { this.destroyPlot(); this.render(); }

  destroyPlot() {
    if (this.u) { this.u.destroy(); this.u = null; }
  }

  build(data) {
    this.destroyPlot();
    this.sig = this.signature();
    const series = [{}];
    const bands = [];
    this.runs.forEach((r, i) => {
      const c = r.color || color(i);
      // A faint run is a thin, pale line without a band: context behind the runs that matter.
      series.push({ label: r.name || r.id, stroke: r.faint ? alpha(c, 0.3) : c, width: r.faint ? 1 : 1.5, spanGaps: true,
        points: { show: false }, ...(r.dash ? { dash: r.dash } : {}) });
      series.push({ stroke: "transparent", width: 0, spanGaps: true, points: { show: false } });
      series.push({ stroke: "transparent", width: 0, spanGaps: true, points: { show: false } });
      if (!r.faint) bands.push({ series: [3 * i + 3, 3 * i + 2], fill: alpha(c, 0.14) });
    });
    const mode = xMode(this.opts.x);
    const fmt = xFormat(mode);
    const chart = this;
    const axisStyle = { stroke: "#667085", grid: { stroke: "#eef0f3", width: 1 }, ticks: { stroke: "#e4e7ec", width: 1 } };
    const opts = {
      width: Math.max(200, this.plot.clientWidth || this.el.clientWidth || 400),
      height: this.opts.height,
      legend: { show: false },
      padding: [8, 20, 0, 4],
      cursor: {
        drag: { x: true, y: false, setScale: true },
        bind: { dblclick: () => null },
        points: { size: 5 },
      },
      scales: {
        x: { time: mode === "time" },
        y: { distr: this.opts.log ? 3 : 1, ...(this.opts.ignoreOutliers ? { range: outlierRange } : {}) },
      },
      axes: [
        Object.assign({}, axisStyle, mode === "time" ? {} : { values: (u, vals) => vals.map(fmt) }),
        Object.assign({}, axisStyle, {
          // A log scale passes null for the ticks it leaves unlabelled: no label, not "null".
          values: (u, vals) => vals.map((v) => (v === null || v === undefined ? "" : compact(v))),
          // Wide enough for the longest label (0.00075), no wider.
          size: (u, vals) => (vals && vals.length ? Math.max(...vals.map((v) => String(v).length)) * 7 + 18 : 40),
        }),
      ],
      series,
      bands,
      hooks: {
        draw: [() => {
          if (!chart.el.dataset.drawnAt) chart.el.dataset.drawnAt = String(performance.now());
          chart.el.dataset.points = String(chart.u ? chart.u.data[0].length : data[0].length);
        }],
        setSelect: [(u) => {
          if (u.select.width < 3) return;
          const min = u.posToVal(u.select.left, "x");
          const max = u.posToVal(u.select.left + u.select.width, "x");
          chart.zoomed(min, max);
        }],
        setCursor: [(u) => chart.hover(u)],
      },
    };
    this.u = new globalThis.uPlot(opts, data, this.plot);
    if (this.zoom) this.u.setScale("x", this.zoom);
    this.bindPan();
  }

  zoomed(min, max) {
    this.zoom = { min, max };
    // The sampled points are on screen already; finer ones follow.
    if (this.opts.onZoom) queueMicrotask(() => this.opts.onZoom(min, max));
  }

  bindPan() {
    const over = this.u.over;
    over.addEventListener("dblclick", () => {
      this.zoom = null;
      if (this.opts.onReset) this.opts.onReset(); else this.render();
    });
    over.addEventListener("mousedown", (e) => {
      if (!e.shiftKey || !this.u) return;
      e.stopPropagation();
      e.preventDefault();
      const u = this.u;
      const x0 = e.clientX;
      const { min, max } = u.scales.x;
      const per = (max - min) / u.over.clientWidth;
      const move = (m) => {
        const dv = (m.clientX - x0) * per;
        u.setScale("x", { min: min - dv, max: max - dv });
      };
      const up = () => {
        window.removeEventListener("mousemove", move);
        window.removeEventListener("mouseup", up);
        this.zoomed(u.scales.x.min, u.scales.x.max);
      };
      window.addEventListener("mousemove", move);
      window.addEventListener("mouseup", up);
    }, true);
  }

  hover(u) {
    const left = u.cursor.left;
    if (left === undefined || left < 0 || !this.runs.length) { this.tip.hidden = true; return; }
    const x = u.posToVal(left, "x");
    const fmt = xFormat(xMode(this.opts.x));
    const rows = [cairn.el("div", { class: "chart-tip-x", text: xLabel(this.opts.x) + " " + fmt(x) })];
    let shown = 0;
    // Faint runs last: the runs drawn boldly are the ones the tip must name.
    const order = this.runs.map((r, i) => [r, i]).sort((a, b) => !!a[0].faint - !!b[0].faint);
    // A run with no data at the cursor (on a wall-time axis, one that ran at
    // another time) is not named: its nearest point would read as its value then.
    const reach = ((u.scales.x.max - u.scales.x.min) / Math.max(1, u.over.clientWidth)) * 6;  // 6 px
    order.forEach(([r, i]) => {
      if (!r.xs.length || x < r.xs[0] - reach || x > r.xs[r.xs.length - 1] + reach) return;
      const j = nearest(r.xs, x);
      if (j < 0 || shown >= 20) return;
      shown++;
      const v = cairn.num(r.ys[j]);
      const sw = cairn.el("span", { class: "swatch" });
      sw.style.background = r.color || color(i);
      rows.push(cairn.el("div", { class: "chart-tip-row" }, sw,
        cairn.el("span", { class: "chart-tip-name", text: r.name || r.id }),
        cairn.el("span", { class: "chart-tip-val", text: cairn.show(v) })));
    });
    this.tip.replaceChildren(...rows);
    this.tip.hidden = false;
    const w = this.el.clientWidth;
    const onRight = left > w / 2;
    this.tip.style.left = onRight ? "" : `${left + 64}px`;
    this.tip.style.right = onRight ? `${w - left - 40}px` : "";
  }

  resize() {
    // Hidden (a closed group of the run page): keep the size it will be shown at again.
    if (!this.u || !this.plot.clientWidth) return;
    const width = Math.max(200, this.plot.clientWidth);
    if (Math.abs(width - this.u.width) > 1) this.u.setSize({ width, height: this.opts.height });
  }

  destroy() {
    this.resizer.disconnect();
    this.destroyPlot();
    const i = registry.indexOf(this.entry);
    if (i >= 0) registry.splice(i, 1);
  }
}

// --- Turning API series into chart runs ----------------------------------

// Linear interpolation of (xs, ys) at x; xs sorted. Outside: the end values.
function interp(xs, ys, x) {
  const n = xs.length;
  if (!n) return null;
  if (x <= xs[0]) return ys[0];
  if (x >= xs[n - 1]) return ys[n - 1];
  let lo = 0, hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= x) lo = mid; else hi = mid;
  }
  const t = (x - xs[lo]) / (xs[hi] - xs[lo] || 1);
  return ys[lo] + t * (ys[hi] - ys[lo]);
}

// step → Unix time, from the hidden _time series: each point's min is the
// time of its first step (times grow with steps).
export function timeMap(timeSeries) {
  if (!timeSeries || !timeSeries.steps.length) return null;
  const steps = timeSeries.steps;
  const times = (timeSeries.min || timeSeries.values).map(cairn.num);
  return {
    t0: times[0],
    at: (step) => interp(steps, times, step),
    stepAt: (t) => interp(times, steps, t),
  };
}

// One run's points for a panel: x per its x-axis (times: timeMap of the run's
// _time; xSeries: the other metric's), y the series' mean, band min/max.
export function runPoints(series, { x, times, xSeries }) {
  if (!series || !series.steps.length || !series.min) return null;
  const ys = series.values, mins = series.min, maxs = series.max;
  if (xMode(x) === "step") return { xs: series.steps, ys, mins, maxs };
  if (xTimed(x)) {
    if (!times) return null;
    const off = xOrigin(x, times);
    return { xs: series.steps.map((s) => times.at(s) - off), ys, mins, maxs };
  }
  // Another metric: its value at each step, points ordered by it.
  if (!xSeries || !xSeries.steps.length) return null;
  const xv = xSeries.values.map(cairn.num);
  const pts = [];
  series.steps.forEach((s, i) => {
    const v = interp(xSeries.steps, xv, s);
    if (v !== null && Number.isFinite(v)) pts.push([v, ys[i], mins[i], maxs[i]]);
  });
  pts.sort((a, b) => a[0] - b[0]);
  return { xs: pts.map((p) => p[0]), ys: pts.map((p) => p[1]), mins: pts.map((p) => p[2]), maxs: pts.map((p) => p[3]) };
}
