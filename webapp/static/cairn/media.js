// Media panels: on the run page an image grid with a step slider (captions,
// boxes and masks), histograms over time, video and audio players, sortable and
// filterable tables, Plotly figures, charts (agent.plot) and sandboxed HTML; in the project
// workspace one key side by side across the selected runs.
//
// Everything a run logged (keys, captions, table cells, errors) is put on the
// page as text, never parsed as HTML. HTML panels live in an iframe with
// `sandbox="allow-scripts"` (an opaque origin: their scripts cannot reach this
// page or the API) loading a document served with a sandboxing CSP.
// Big runs stay fast: a panel asks for one step's page of items, and images
// load lazily from their thumbnails.
import * as cairn from "./api.js";
import { chartItem } from "./media_chart.js";
import { htmlItem, playerItem, plotlyItem } from "./media_embeds.js";
import { histogramView } from "./media_histogram.js";
import { imageItem, overlayControls } from "./media_image.js";
import { downloadItem, object3dItem } from "./media_object3d.js";
import { tableItem } from "./media_table.js";
import { selection } from "./selection.js";
import { runUrl } from "./util.js";

const el = cairn.el;
const IMAGE_PAGE = 24;
const OTHER_PAGE = 4;
const HIST_STEPS = 1000;

// --- One item of each kind --------------------------------------------------------

function itemView(m, base) {
  switch (m.kind) {
    case "image": return imageItem(m, base);
    case "video": return playerItem(m, "video");
    case "audio": return playerItem(m, "audio");
    case "table": return tableItem(m, base);
    case "plotly": return plotlyItem(m);
    case "html": return htmlItem(m);
    case "chart": return chartItem(m, base);
    case "object3d": return object3dItem(m);
    case "molecule": return downloadItem(m, "molecule");
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
  const overlays = overlayControls(grid);
  const node = el("div", { class: `panel media-panel size-l`, "data-testid": "media-panel", dataset: { key: k.key, kind: k.kind } },
    panelHead(k.key, k.kind, slider.el), el("div", { class: "panel-body" }, note, overlays.el, grid, more));
  let shown = [];

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
    shown = offset ? shown.concat(body.results) : body.results;
    overlays.sync(shown);
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
  const overlays = overlayControls(body);
  let runs = [], keys = [], seq = 0;
  const slider = stepSlider((step) => showStep(step));
  root.append(el("div", { class: "ws-head" }, el("h2", { text: "Media" }), keySelect, slider.el), note, overlays.el, body);
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
    overlays.sync(Object.values(data.runs).flatMap((got) => (got ? got.items : [])));
  }

  function showHistograms() {
    const k = currentKey();
    const cols = runs.map((r) => {
      const view = histogramView(`${runUrl(API, r.id)}/histograms?${new URLSearchParams({ key: k.key, steps: String(HIST_STEPS) })}`, r.name);
      const col = el("div", { class: "ws-media-col", "data-testid": "ws-histogram-col", dataset: { run: r.id } }, runHead(r), view.el);
      return { col, view };
    });
    body.replaceChildren(el("div", { class: "ws-media-cols ws-media-hists" }, ...cols.map((c) => c.col)));
    overlays.sync([]);
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
