// What the pages share besides the API: the data the server put in the page,
// the URLs of a run, its files and its group, the order of names, the colours
// of runs, the x-axis of a line chart, and how durations and dates read.

const parsed = new Map();

// A `{{ value|json_script:id }}` block, parsed once however many modules ask; null if absent.
export function jsonScript(id) {
  if (!parsed.has(id)) {
    const node = document.getElementById(id);
    parsed.set(id, node ? JSON.parse(node.textContent) : null);
  }
  return parsed.get(id);
}

// The page's own settings (`page-data`): its API root, what the user may do.
export function pageData() {
  return jsonScript("page-data");
}

// A run's API root, under a project's API root.
export function runUrl(api, runId) {
  return `${api}/runs/${encodeURIComponent(runId)}`;
}

// A group's page (apps/runs/views.group_page), or null for "." and "..": a
// browser drops those from a path, however encoded.
export function groupUrl(org, project, group) {
  if (group === "." || group === "..") return null;
  return `/${org}/${project}/groups/${encodeURIComponent(group)}/`;
}

// A run file's URL: each path segment encoded, the slashes kept.
export function fileUrl(run, path) {
  return `${run}/files/${String(path).split("/").map(encodeURIComponent).join("/")}`;
}

// Names with numbers in their numeric order: rank-2 before rank-10.
const natural = new Intl.Collator(undefined, { numeric: true });
export function naturalCompare(a, b) {
  return natural.compare(a, b);
}

// A size in bytes, for reading.
export function fileSize(n) {
  const abs = Math.abs(n);
  if (abs < 1024) return `${n} B`;
  if (abs < 1 << 20) return `${(n / 1024).toFixed(1)} KB`;
  if (abs < 1 << 30) return `${(n / (1 << 20)).toFixed(1)} MB`;
  return `${(n / (1 << 30)).toFixed(2)} GB`;
}

// A writer's name (docs/protocol.md, Writers): its label, else its id.
export function writerName(w) {
  return w.label || w.id;
}

// --- Run colours ------------------------------------------------------------------
// One palette for the charts and the runs table's selection.

export const PALETTE = ["#3559e0", "#e8590c", "#2b8a3e", "#c2255c", "#7048e8", "#0c8599", "#d9480f", "#5c940d",
  "#a61e4d", "#1864ab", "#f08c00", "#087f5b", "#862e9c", "#364fc7", "#e67700", "#2f9e44",
  "#c92a2a", "#1098ad", "#9c36b5", "#495057"];

export function color(i) {
  return PALETTE[i % PALETTE.length];
}

// A run's (or group's) own colour, from its id alone: the same whatever the
// table's order. FNV-1a, enough to spread ids over the palette.
export function hashColor(id, used) {
  let h = 0x811c9dc5;
  for (const ch of String(id)) h = Math.imul(h ^ ch.codePointAt(0), 0x01000193) >>> 0;
  const start = h % PALETTE.length;
  // Taken by another shown run: the next free one (the palette has 20; 50 runs share).
  for (let k = 0; used && k < PALETTE.length; k++) {
    const c = PALETTE[(start + k) % PALETTE.length];
    if (!used.has(c)) return c;
  }
  return PALETTE[start];
}

// --- The x-axis of a line chart --------------------------------------------------
// A panel's x is "step", "time" (wall clock), "relative" (time since the run's
// first step) or "metric:<key>" (another metric, read at each step); the server
// checks the same spellings (apps/runs/workspace.py, apps/reports/blocks.py).

export const X_AXES = [["step", "Step"], ["time", "Wall time"], ["relative", "Relative time"]];

// How a chart draws it: "step", "time", "relative" or "metric".
export function xMode(x) {
  if (!x) return "step";
  return x.startsWith("metric:") ? "metric" : x;
}

// The metric that an x of "metric:<key>" reads, else null.
export function xMetric(x) {
  return x && x.startsWith("metric:") ? x.slice(7) : null;
}

// The x of a panel drawn against another metric.
export function metricX(key) {
  return `metric:${key}`;
}

// Whether it reads the runs' step times (the hidden `_time` series).
export function xTimed(x) {
  return x === "time" || x === "relative";
}

// Where a time axis starts, in Unix seconds: the run's first step for "relative"
// (times: charts.js's timeMap of the run), the epoch for "time".
export function xOrigin(x, times) {
  return x === "relative" ? times.t0 : 0;
}

// The series it reads besides the panel's own: "_time", another metric's key, or null.
export function xSeriesKey(x) {
  return xTimed(x) ? "_time" : xMetric(x);
}

// Its name in the hover legend.
export function xLabel(x) {
  return xMetric(x) || (xTimed(x) ? "time" : "step");
}

// --- Durations and dates -------------------------------------------------------

// A run's duration: "42s", "5m 3s", "2h 5m", "3d 4h"; "" for none.
export function duration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "";
  const t = Math.round(seconds);
  if (t < 60) return `${t}s`;
  if (t < 3600) return `${Math.floor(t / 60)}m ${t % 60}s`;
  if (t < 86400) return `${Math.floor(t / 3600)}h ${Math.floor((t % 3600) / 60)}m`;
  return `${Math.floor(t / 86400)}d ${Math.floor((t % 86400) / 3600)}h`;
}

// The same, short enough for an axis tick, where a tenth of a second can matter: "12.3s", "5m03", "2h05".
export function durationTick(s) {
  const a = Math.abs(s);
  if (a < 60) return `${+s.toFixed(a < 10 ? 1 : 0)}s`;
  if (a < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}`;
}

// A moment (ISO text, or ms since the epoch) in the reader's locale; "—" for none.
export function when(t) {
  return t || t === 0 ? new Date(t).toLocaleString() : "—";
}

// The exact moment, for the hover of a date shown as how long ago: "2026-12-06 21:45:03 UTC+1".
export function exact(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  const off = -d.getTimezoneOffset();
  const zone = off === 0 ? "UTC" : `UTC${off > 0 ? "+" : "-"}${Math.floor(Math.abs(off) / 60)}${Math.abs(off) % 60 ? ":" + pad(Math.abs(off) % 60) : ""}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${zone}`;
}

// How long ago, for lists: "just now", "5m ago", "3h ago", "2d ago", then the date.
export function ago(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  const s = (Date.now() - d.getTime()) / 1000;
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  if (s < 7 * 86400) return `${Math.floor(s / 86400)}d ago`;
  return d.toISOString().slice(0, 10);
}

// An ISO time from the API to the minute, as written (UTC): "2026-01-02 13:45".
export function minute(iso) {
  return iso ? iso.slice(0, 16).replace("T", " ") : "";
}
