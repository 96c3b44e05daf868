// The project workspace: chart panels over the selected runs, in sections made from the keys'
// prefixes (workspace_sections.js). Panels are saved per project (members); others see the saved
// layout and may look around (zoom, smoothing) without saving. Only open sections are read and
// drawn (one request per section opened); a zoom asks only for its panel's keys in the zoomed
// range. The runs are the selection's (selection.js); while the table is grouped, each group is
// drawn as its mean with a min-max band (chart_groups.js).

import * as cairn from "./api.js";
import { groupPoints } from "./chart_groups.js";
import { Chart, runPoints, timeMap } from "./charts.js";
import { selection } from "./selection.js";
import { hashColor, xMetric, xOrigin, xTimed } from "./util.js";
import { addPanelControls } from "./workspace_add.js";
import { addToReport, dragToReorder, panelMenu, panelTitle } from "./workspace_panel.js";
import { drawRunsPanel, runValues, runsPanelColumns } from "./workspace_runs_panels.js";
import { isOpen, keepLocalSections, localSections, sectionLabel, sectionOf, sectionsOf } from "./workspace_sections.js";

const SAMPLES = 1000;
const LIVE_MS = 3000;
const MAX_RUNS = 50;
const MAX_REGEX_KEYS = 20;
const DASHES = [null, [6, 3], [2, 3], [8, 3, 2, 3]];

export function mountWorkspace(root, page) {
  const API = page.api;
  const state = {
    runs: [],          // [{id, name, color}] whose history is read (the groups' runs too)
    groups: null,      // [{name, color, runs: [ids]}] while the table is grouped
    keys: [],          // [{key, numeric, runs}]
    tableKeys: null,   // the runs table's config and summary columns, for panels across runs
    panels: [],        // [{id, type?, key, keys?, regex?, x, smoothing, log, ignore_outliers?, size}]
    hidden: [],        // keys whose automatic panel was removed
    sections: {},      // section name → open
    canWrite: !!page.canWrite,
    history: {},       // run id → {state, series}: the keys of open sections
    loaded: new Set(), // keys read into history for the runs shown
    views: new Map(),  // panel id → {panel, el, body, chart, setTitle}
  };

  // --- Which runs ----------------------------------------------------------

  const selectionRuns = () => selection.get().slice(0, MAX_RUNS).map((r) => ({ id: r.id, name: r.name || r.id, color: r.color || hashColor(r.id) }));

  async function recentRuns() {
    const body = await cairn.get(`${API}/runs/?limit=10&order=-created_at`);
    return body.results.map((r) => ({ id: r.id, name: r.name || r.id, state: r.state }));
  }

  // The groups' runs: a share of MAX_RUNS each, read through the runs table with each group's filter.
  async function loadGroups(groups) {
    const per = Math.max(1, Math.min(20, Math.floor(MAX_RUNS / groups.length)));
    const read = await Promise.all(groups.map((g) => cairn.get(`${API}/table/rows?` + new URLSearchParams({
      filter: g.filter, columns: "state", limit: String(per) })).catch(() => ({ results: [] }))));
    state.groups = groups.map((g, i) => ({ name: g.name, color: hashColor(`group:${g.name}`), runs: read[i].results.map((r) => r.id) }));
    state.runs = read.flatMap((b) => b.results.map((r) => ({ id: r.id, name: r.name || r.id, color: hashColor(r.id), state: r.values && r.values.state })));
  }

  // The table's selection; while nobody has picked runs by hand, runs started
  // after the page loaded are shown too (the table lists what it loaded).
  let knownAtLoad = null;
  async function loadRuns(first) {
    if (selection.groups && selection.groups.length) { await loadGroups(selection.groups); return; }
    state.groups = null;
    const sel = selectionRuns();
    if (selection.manual) { state.runs = sel; return; }
    if (first) {
      // The first charts need no wait: what exists now is the table's business.
      state.runs = sel;
      recentRuns().then((recent) => { knownAtLoad = new Set(recent.map((r) => r.id)); }).catch(() => {});
      return;
    }
    const recent = await recentRuns();
    if (knownAtLoad === null) knownAtLoad = new Set(recent.map((r) => r.id));
    const have = new Set(sel.map((r) => r.id));
    const used = new Set(sel.map((r) => r.color));
    const fresh = recent.filter((r) => !knownAtLoad.has(r.id) && !have.has(r.id));
    for (const r of fresh) { r.color = hashColor(r.id, used); used.add(r.color); }
    state.runs = [...fresh, ...sel].slice(0, MAX_RUNS);
  }

  // --- Panels and sections -------------------------------------------------

  let counter = 0;
  const newId = () => `p${Date.now().toString(36)}${(counter++).toString(36)}`;
  const linePanel = (key) => ({ id: newId(), key, x: "step", smoothing: 0, log: false, size: "m" });
  const numericKeys = () => state.keys.filter((k) => k.numeric).map((k) => k.key);

  // Saved panels, then one for each numeric key not shown and not removed.
  function autoPanels() {
    const have = new Set(state.panels.filter((p) => !p.keys && !p.regex).map((p) => p.key));
    const hidden = new Set(state.hidden);
    let added = false;
    for (const k of numericKeys()) {
      if (have.has(k) || hidden.has(k)) continue;
      state.panels.push(linePanel(k));
      added = true;
    }
    return added;
  }

  // The keys a line panel draws: its list, or the numeric keys its regex matches.
  function panelKeys(panel) {
    if (panel.regex) {
      let re;
      try { re = new RegExp(panel.regex); } catch { return []; }
      return numericKeys().filter((k) => re.test(k)).slice(0, MAX_REGEX_KEYS);
    }
    return panel.keys || [panel.key];
  }

  const openSection = (name) => {
    const names = sectionsOf(state.panels).map((s) => s.name);
    return isOpen(name, names.indexOf(name), state.sections);
  };
  const panelShown = (panel) => openSection(sectionOf(panel));

  let saveTimer = null;
  function save() {
    keepLocalSections(page, state.sections);
    if (!state.canWrite) return;
    clearTimeout(saveTimer);
    saveTimer = setTimeout(async () => {
      try {
        await cairn.put(`${API}/workspace`, { panels: state.panels, hidden: state.hidden, sections: state.sections });
        status.textContent = "Layout saved";
      } catch (e) {
        status.textContent = `Not saved: ${e.message}`;
      }
    }, 400);
  }

  const toolbar = cairn.el("div", { class: "ws-toolbar" });
  const grid = cairn.el("div", { class: "ws-sections", "data-testid": "panels" });
  const status = cairn.el("span", { class: "muted ws-status", "data-testid": "workspace-status" });
  const runsNote = cairn.el("span", { class: "muted" });
  root.append(cairn.el("div", { class: "ws-head" }, cairn.el("h2", { text: "Charts" }), runsNote, toolbar), grid);

  // "Add panel" (workspace_add.js).
  const adder = addPanelControls({ numericKeys, tableKeys, onAdd: addPanel, onError: (text) => { status.textContent = text; } });
  if (state.canWrite) toolbar.append(...adder.els);
  toolbar.append(status);

  async function tableKeys() {
    if (!state.tableKeys) state.tableKeys = await cairn.get(`${API}/table/keys`);
    return state.tableKeys;
  }

  async function addPanel({ type, key, keys }) {
    const panel = { ...linePanel(key), ...(type !== "line" ? { type } : {}), ...(keys ? { keys } : {}) };
    if (type === "line") state.hidden = state.hidden.filter((k) => k !== key);
    state.panels.push(panel);
    state.sections[sectionOf(panel)] = true;
    save();
    layout();
    await showSection(sectionOf(panel));
  }

  function move(panel, d) {
    // Within its section: the next panel of the same section, before or after.
    const s = sectionOf(panel);
    const same = state.panels.filter((p) => sectionOf(p) === s);
    const j = same.indexOf(panel) + d;
    if (j < 0 || j >= same.length) return;
    const a = state.panels.indexOf(panel), b = state.panels.indexOf(same[j]);
    [state.panels[a], state.panels[b]] = [state.panels[b], state.panels[a]];
    save();
    layout();
  }

  function remove(panel) {
    state.panels = state.panels.filter((p) => p !== panel);
    if (!panel.keys && !panel.regex && (panel.type || "line") === "line"
        && !state.panels.some((p) => p.key === panel.key) && !state.hidden.includes(panel.key)) state.hidden.push(panel.key);
    save();
    layout();
  }

  function panelView(panel) {
    const title = cairn.el("span", { class: "panel-title", "data-testid": "panel-title" });
    const setTitle = (t) => { title.textContent = t; title.title = t; };
    setTitle(panelTitle(panel));
    const head = cairn.el("div", { class: "panel-head" }, title);
    const body = cairn.el("div", { class: "panel-body" });
    const el = cairn.el("div", { class: `panel size-${panel.size}`, "data-testid": "panel",
      dataset: { key: panel.key, panelId: panel.id, type: panel.type || "line" } }, head, body);
    const view = { panel, el, body, chart: null, zoomSeq: 0, setTitle };
    head.append(panelMenu(panel, view, { canWrite: state.canWrite, numericKeys, save, move, remove,
      refetch: (v) => showPanel(v), keysChanged,
      addToReport: (p) => addToReport(p, { page, runIds: () => state.runs.map((r) => r.id), keys: () => panelKeys(p) }) }));
    if (state.canWrite) dragToReorder(() => state.panels, panel, head, el, () => { save(); layout(); });
    if ((panel.type || "line") === "line") {
      view.chart = new Chart(body, {
        key: panel.key, x: panel.x, log: panel.log, smoothing: panel.smoothing, ignoreOutliers: !!panel.ignore_outliers, legend: true,
        onZoom: (min, max) => zoomPanel(view, min, max),
        onReset: () => drawPanel(view),
      });
    }
    return view;
  }

  // The sections in order, each a header (open or closed) and, when open, its panels.
  const sectionEls = new Map();  // name → {el, head, grid}
  function layout() {
    const keep = new Set(state.panels.map((p) => p.id));
    for (const [id, v] of state.views) if (!keep.has(id)) { if (v.chart) v.chart.destroy(); v.el.remove(); state.views.delete(id); }
    const sections = sectionsOf(state.panels);
    const els = sections.map(({ name, panels }, i) => {
      let s = sectionEls.get(name);
      if (!s) {
        const count = cairn.el("span", { class: "muted ws-section-count" });
        const toggle = cairn.el("button", { type: "button", class: "ws-section-toggle", "data-testid": "section-toggle",
          onclick: () => toggleSection(name) }, cairn.el("span", { class: "ws-caret", "aria-hidden": "true" }),
          cairn.el("span", { class: "ws-section-name", text: sectionLabel(name) }), count);
        s = { el: cairn.el("section", { class: "ws-section", "data-testid": "section", dataset: { section: name } },
          cairn.el("h3", { class: "ws-section-head" }, toggle), cairn.el("div", { class: "ws-grid" })), toggle, count };
        s.grid = s.el.lastChild;
        sectionEls.set(name, s);
      }
      const open = isOpen(name, i, state.sections);
      s.el.classList.toggle("closed", !open);
      s.toggle.setAttribute("aria-expanded", String(open));
      s.count.textContent = `${panels.length} panel${panels.length === 1 ? "" : "s"}`;
      // A closed section's panels are not made: a workspace of hundreds of keys costs its open sections only.
      s.grid.replaceChildren(...(open ? panels.map((p) => {
        let v = state.views.get(p.id);
        if (!v) { v = panelView(p); state.views.set(p.id, v); }
        return v.el;
      }) : []));
      if (!open) for (const p of panels) dropView(p.id);
      return s.el;
    });
    grid.replaceChildren(...els);
    for (const name of [...sectionEls.keys()]) if (!sections.some((s) => s.name === name)) sectionEls.delete(name);
    if (!state.panels.length) grid.append(cairn.el("p", { class: "muted", text: state.runs.length ? "No metrics logged yet." : "No runs to chart yet." }));
  }

  function dropView(id) {
    const v = state.views.get(id);
    if (!v) return;
    if (v.chart) v.chart.destroy();
    v.el.remove();
    state.views.delete(id);
  }

  async function toggleSection(name) {
    const open = !openSection(name);
    state.sections[name] = open;
    // Its keys asked for before its panels are made: the request runs while they are.
    const reading = open ? ensureKeys(state.panels.filter((p) => sectionOf(p) === name)) : null;
    save();
    layout();
    if (open) { await reading; await showSection(name); }
  }

  // Read what an opened section's panels need and draw them.
  async function showSection(name) {
    const t0 = performance.now();
    const views = state.panels.filter((p) => sectionOf(p) === name).map((p) => state.views.get(p.id)).filter(Boolean);
    await ensureKeys(views.map((v) => v.panel));
    const t1 = performance.now();
    for (const v of views) drawPanel(v);
    const s = sectionEls.get(name);
    // For benchmarks: reading its keys, then drawing its panels.
    if (s) Object.assign(s.el.dataset, { readMs: String(t1 - t0), drawMs: String(performance.now() - t1) });
  }

  // Its keys edited: it may belong to another section now.
  async function keysChanged(view, before) {
    // The key it drew alone, if no panel draws it alone now, stays away: no automatic panel brings it back.
    const alone = (p) => !p.keys && !p.regex && (p.type || "line") === "line";
    if (before && !state.panels.some((p) => alone(p) && p.key === before) && !state.hidden.includes(before)) state.hidden.push(before);
    view.el.dataset.key = view.panel.key;
    if (view.chart) view.chart.setKey(view.panel.key);
    state.sections[sectionOf(view.panel)] = true;  // the panel just edited stays in sight, in its new section
    save();
    layout();
    await showPanel(view);
  }

  async function showPanel(view) {
    await ensureKeys([view.panel]);
    drawPanel(view);
  }

  // --- Data ----------------------------------------------------------------

  function keysOf(panels) {
    const keys = new Set();
    for (const p of panels) {
      if ((p.type || "line") !== "line") continue;
      for (const k of panelKeys(p)) keys.add(k);
      if (xMetric(p.x)) keys.add(xMetric(p.x));
    }
    return keys;
  }

  function historyUrl(keys, extra) {
    const q = new URLSearchParams({ runs: state.runs.map((r) => r.id).join(","), samples: String(SAMPLES) });
    if (keys.length) q.set("keys", keys.join(","));
    for (const [k, v] of Object.entries(extra || {})) q.set(k, String(v));
    return `${API}/history?${q}`;
  }

  const needTimes = (panels) => panels.some((p) => xTimed(p.x));
  const timesLoaded = () => Object.values(state.history).every((h) => "_time" in h.series);

  // Read the keys of `panels` not read yet (one request), into history.
  async function ensureKeys(panels) {
    if (!state.runs.length) return;
    const missing = [...keysOf(panels)].filter((k) => !state.loaded.has(k));
    const times = needTimes(panels) && !timesLoaded();
    if (!missing.length && !times) return;
    const keys = missing.length ? missing : [...keysOf(panels)].slice(0, 1);
    const body = await cairn.get(historyUrl(keys, times ? { times: 1 } : {}));
    for (const [id, h] of Object.entries(body.runs)) {
      if (!state.history[id]) state.history[id] = h;
      else { Object.assign(state.history[id].series, h.series); state.history[id].state = h.state; }
    }
    for (const k of missing) state.loaded.add(k);
  }

  // Everything the open sections show, read again (a live tick, other runs).
  async function fetchOpen() {
    const panels = state.panels.filter(panelShown);
    const keys = [...keysOf(panels)];
    if (!state.runs.length || !keys.length) { state.history = {}; state.loaded = new Set(); return; }
    const body = await cairn.get(historyUrl(keys, needTimes(panels) ? { times: 1 } : {}));
    state.history = body.runs;
    state.loaded = new Set(keys);
  }

  // The open sections read again and drawn, with whatever a section opened meanwhile needs.
  async function refreshOpen(seq) {
    await fetchOpen();
    await ensureKeys(state.panels.filter(panelShown));
    if (seq === undefined || seq === fetchSeq) drawAll();
  }

  // One chart line per run and key (a key's dash tells keys apart), or per group and key.
  function chartRuns(panel, history) {
    const keys = panelKeys(panel);
    const xKey = xMetric(panel.x);
    const points = (id, key) => {
      const h = history[id];
      if (!h) return null;
      const full = state.history[id];
      const times = timeMap((full && full.series._time) || h.series._time);
      return runPoints(h.series[key], { x: panel.x, times, xSeries: xKey ? (h.series[xKey] || (full && full.series[xKey])) : null });
    };
    const out = [];
    keys.forEach((key, k) => {
      const suffix = keys.length > 1 ? ` · ${key}` : "";
      const dash = DASHES[k % DASHES.length];
      if (state.groups) {
        for (const g of state.groups) {
          const pts = groupPoints(g.runs.map((id) => points(id, key)));
          if (pts) out.push({ id: `group:${g.name}:${key}`, name: `${g.name}${suffix}`, color: g.color, dash, group: g.name, n: g.runs.length, ...pts });
        }
        return;
      }
      for (const r of state.runs) {
        const pts = points(r.id, key);
        if (pts) out.push({ id: keys.length > 1 ? `${r.id}:${key}` : r.id, name: `${r.name}${suffix}`, color: r.color, dash, ...pts });
      }
    });
    return out;
  }

  async function drawPanel(view, keepZoom) {
    if (!view) return;
    if (view.chart) { view.chart.setRuns(chartRuns(view.panel, state.history), { keepZoom: !!keepZoom }); return; }
    // Across runs: the table's values of the runs shown.
    try {
      if (view.panel.type === "importance" && !(view.panel.keys || []).length) await tableKeys();
      const columns = runsPanelColumns(view.panel, state.tableKeys || {});
      drawRunsPanel(view.body, view.panel, state.runs, await runValues(API, state.runs, columns), columns);
      view.el.dataset.drawnAt = String(performance.now());
    } catch (e) {
      view.body.replaceChildren(cairn.el("div", { class: "panel-error", text: e.message }));
    }
  }

  function drawAll() {
    for (const v of state.views.values()) {
      if (v.chart && v.chart.zoom) v.zoomStale = true; else drawPanel(v);
    }
  }

  // Finer points for a zoomed panel. x is a step, a time, or another metric
  // (whose zoom stays visual: steps do not map onto it).
  async function zoomPanel(view, min, max) {
    const panel = view.panel;
    let lo = min, hi = max;
    if (xTimed(panel.x)) {
      lo = Infinity; hi = -Infinity;
      for (const r of state.runs) {
        const h = state.history[r.id];
        const times = h && timeMap(h.series._time);
        if (!times) continue;
        const off = xOrigin(panel.x, times);
        lo = Math.min(lo, times.stepAt(min + off));
        hi = Math.max(hi, times.stepAt(max + off));
      }
      if (!Number.isFinite(lo)) return;
    } else if (panel.x !== "step") {
      return;
    }
    const seq = ++view.zoomSeq;
    const body = await cairn.get(historyUrl(panelKeys(panel), { min_step: Math.max(0, Math.floor(lo)), max_step: Math.max(0, Math.ceil(hi)) }));
    if (seq !== view.zoomSeq || !view.chart.zoom) return;
    view.chart.setRuns(chartRuns(panel, body.runs), { keepZoom: true });
  }

  // --- Live ----------------------------------------------------------------

  const anyRunning = () => state.runs.some((r) => (state.history[r.id] || r).state === "running");

  async function refreshKeys() {
    const body = await cairn.get(`${API}/keys`);
    const before = state.keys.map((k) => k.key).join();
    state.keys = body.keys;
    if (state.keys.map((k) => k.key).join() !== before && adder.showsMetrics()) adder.fill();
    if (autoPanels()) layout();
  }

  function describeRuns() {
    const n = state.groups ? state.groups.length : state.runs.length;
    const what = state.groups ? "group" : "run";
    runsNote.textContent = n ? `${n} ${what}${n === 1 ? "" : "s"} ${state.groups ? "shown" : "selected"}` : "";
  }

  let ticking = false;
  async function tick() {
    if (ticking || document.visibilityState !== "visible") return;
    ticking = true;
    try {
      const ids = state.runs.map((r) => r.id).join();
      await loadRuns();
      const changed = state.runs.map((r) => r.id).join() !== ids;
      if (changed || anyRunning()) {
        await refreshKeys();
        describeRuns();
        await refreshOpen();
      }
    } catch (e) {
      status.textContent = `Refresh failed: ${e.message}`;
    } finally {
      ticking = false;
    }
  }

  let fetchSeq = 0;
  async function start() {
    try {
      const [ws] = await Promise.all([cairn.get(`${API}/workspace`), loadRuns(true)]);
      state.panels = ws.panels;
      state.hidden = ws.hidden;
      state.sections = { ...(ws.sections || {}), ...localSections(page) };
      state.canWrite = ws.can_write;
      state.keys = ws.keys;
      adder.fill();
      autoPanels();
      describeRuns();
      layout();
      await refreshOpen();
      performance.mark("cairn:workspace-drawn");  // for benchmarks
      if (!state.canWrite && ws.saved) status.textContent = "Saved layout (read-only)";
    } catch (e) {
      status.textContent = `Charts failed to load: ${e.message}`;
    }
    setInterval(tick, LIVE_MS);
    // Toggling many runs fires many events: one refresh, after the last.
    let pending = null;
    selection.addEventListener("change", () => {
      clearTimeout(pending);
      pending = setTimeout(async () => {
        const seq = ++fetchSeq;
        await loadRuns();
        describeRuns();
        await refreshOpen(seq);
      }, 30);
    });
  }
  start();
}
