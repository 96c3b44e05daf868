// The project workspace: a chart panel per metric over the selected runs.
// Panels are saved per project (members); others see the saved layout and may
// look around (zoom, smoothing) without saving. One request draws every panel;
// a zoom asks only for its panel's key in the zoomed step range. The runs are
// the selection's (selection.js): the runs table's first rows or those picked.
import * as cairn from "./api.js";
import { Chart, runPoints, timeMap } from "./charts.js";
import { selection } from "./selection.js";
import { X_AXES, color, metricX, xMetric, xOrigin, xSeriesKey, xTimed } from "./util.js";

export function mountWorkspace(root, page) {
  const API = page.api;
  const SAMPLES = 1000;
  const LIVE_MS = 3000;
  const SIZES = { s: "S", m: "M", l: "L" };

  const state = {
    runs: [],          // [{id, name, color}] shown
    keys: [],          // [{key, numeric, runs}]
    panels: [],        // [{id, key, x, smoothing, log, size}]
    hidden: [],        // keys whose automatic panel was removed
    saved: false,
    canWrite: !!page.canWrite,
    history: {},       // run id → {state, series}
    views: new Map(),  // panel id → {panel, el, chart}
  };

  // --- Which runs ----------------------------------------------------------

  function selectionRuns() {
    return selection.get().slice(0, 50).map((r, i) => ({ id: r.id, name: r.name || r.id, color: r.color || color(i) }));
  }

  async function recentRuns() {
    const body = await cairn.get(`${API}/runs/?limit=10&order=-created_at`);
    return body.results.map((r, i) => ({ id: r.id, name: r.name || r.id, color: color(i), state: r.state }));
  }

  // The table's selection; while nobody has picked runs by hand, runs started
  // after the page loaded are shown too (the table lists what it loaded).
  let knownAtLoad = null;
  async function loadRuns(first) {
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
    let k = 0;
    for (const r of fresh) {
      while (used.has(color(k)) && k < 40) k++;
      r.color = color(k++);
    }
    state.runs = [...fresh, ...sel].slice(0, 50);
  }

  // --- Panels --------------------------------------------------------------

  let counter = 0;
  function newId() { return `p${Date.now().toString(36)}${(counter++).toString(36)}`; }

  // Saved panels, then one for each numeric key not shown and not removed.
  function autoPanels() {
    const have = new Set(state.panels.map((p) => p.key));
    const hidden = new Set(state.hidden);
    let added = false;
    for (const k of state.keys) {
      if (!k.numeric || have.has(k.key) || hidden.has(k.key)) continue;
      state.panels.push({ id: newId(), key: k.key, x: "step", smoothing: 0, log: false, size: "m" });
      added = true;
    }
    return added;
  }

  let saveTimer = null;
  function save() {
    if (!state.canWrite) return;
    clearTimeout(saveTimer);
    saveTimer = setTimeout(async () => {
      try {
        await cairn.put(`${API}/workspace`, { panels: state.panels, hidden: state.hidden });
        status.textContent = "Layout saved";
      } catch (e) {
        status.textContent = `Not saved: ${e.message}`;
      }
    }, 400);
  }

  const toolbar = cairn.el("div", { class: "ws-toolbar" });
  const grid = cairn.el("div", { class: "ws-grid", "data-testid": "panels" });
  const status = cairn.el("span", { class: "muted ws-status", "data-testid": "workspace-status" });
  const runsNote = cairn.el("span", { class: "muted" });
  root.append(cairn.el("div", { class: "ws-head" }, cairn.el("h2", { text: "Charts" }), runsNote, toolbar), grid);

  const addSelect = cairn.el("select", { "aria-label": "Metric for a new panel", "data-testid": "add-panel-key" });
  if (state.canWrite) {
    toolbar.append(addSelect, cairn.el("button", {
      text: "Add panel", "data-testid": "add-panel",
      onclick: () => {
        if (!addSelect.value) return;
        state.panels.push({ id: newId(), key: addSelect.value, x: "step", smoothing: 0, log: false, size: "m" });
        state.hidden = state.hidden.filter((k) => k !== addSelect.value);
        save();
        layout();
        drawPanel(state.views.get(state.panels[state.panels.length - 1].id));
      },
    }));
  }
  toolbar.append(status);

  function fillAddSelect() {
    // A line chart draws numbers: media keys (images, histograms) have panels of their own below.
    addSelect.replaceChildren(...state.keys.filter((k) => k.numeric)
      .map((k) => cairn.el("option", { value: k.key, text: k.key })));
  }

  function xOptions(panel) {
    const opts = [...X_AXES];
    for (const k of state.keys) if (k.numeric && k.key !== panel.key) opts.push([metricX(k.key), k.key]);
    return opts;
  }

  function panelView(panel) {
    const title = cairn.el("span", { class: "panel-title", text: panel.key, title: panel.key });
    const xSel = cairn.el("select", { class: "panel-x", "aria-label": "x-axis", "data-testid": "panel-x" });
    for (const [v, label] of xOptions(panel)) xSel.append(cairn.el("option", { value: v, text: label }));
    xSel.value = panel.x;
    const smooth = cairn.el("input", { type: "range", min: "0", max: "0.99", step: "0.01", value: String(panel.smoothing),
      class: "panel-smooth", "aria-label": "Smoothing", "data-testid": "panel-smoothing", title: "Smoothing (EMA)" });
    const smoothVal = cairn.el("span", { class: "muted panel-smooth-val", text: panel.smoothing.toFixed(2) });
    const log = cairn.el("input", { type: "checkbox", "data-testid": "panel-log" });
    log.checked = panel.log;
    const controls = cairn.el("div", { class: "panel-controls" },
      xSel, cairn.el("label", { class: "panel-opt", title: "Smoothing (EMA)" }, "smooth", smooth, smoothVal),
      cairn.el("label", { class: "panel-opt" }, log, "log"));
    const head = cairn.el("div", { class: "panel-head" }, title, controls);
    const body = cairn.el("div", { class: "panel-body" });
    const el = cairn.el("div", { class: `panel size-${panel.size}`, "data-testid": "panel", dataset: { key: panel.key, panelId: panel.id } }, head, body);
    const view = { panel, el, body, chart: null, zoomSeq: 0 };

    xSel.onchange = async () => {
      panel.x = xSel.value;
      save();
      view.chart.setOptions({ x: panel.x });
      if (!hasData(panel)) await fetchAll();
      drawPanel(view);
    };
    smooth.oninput = () => { panel.smoothing = +smooth.value; smoothVal.textContent = panel.smoothing.toFixed(2); view.chart.setOptions({ smoothing: panel.smoothing }); };
    smooth.onchange = save;
    log.onchange = () => { panel.log = log.checked; save(); view.chart.setOptions({ log: panel.log }); };

    if (state.canWrite) {
      const sizes = cairn.el("span", { class: "seg" });
      for (const [s, label] of Object.entries(SIZES)) {
        sizes.append(cairn.el("button", { text: label, class: panel.size === s ? "on" : "", title: `Width ${label}`,
          "data-testid": `panel-size-${s}`,
          onclick: () => {
            panel.size = s;
            el.className = `panel size-${s}`;
            for (const b of sizes.children) b.classList.toggle("on", b.textContent === label);
            save();
          } }));
      }
      const move = (d) => {
        const i = state.panels.indexOf(panel), j = i + d;
        if (j < 0 || j >= state.panels.length) return;
        [state.panels[i], state.panels[j]] = [state.panels[j], state.panels[i]];
        save();
        layout();
      };
      controls.append(sizes, addToReport(panel),
        cairn.el("button", { text: "↑", title: "Move earlier", "data-testid": "panel-up", onclick: () => move(-1) }),
        cairn.el("button", { text: "↓", title: "Move later", "data-testid": "panel-down", onclick: () => move(1) }),
        cairn.el("button", { text: "×", title: "Remove panel", class: "danger", "data-testid": "panel-remove",
          onclick: () => {
            state.panels = state.panels.filter((p) => p !== panel);
            if (!state.panels.some((p) => p.key === panel.key) && !state.hidden.includes(panel.key)) state.hidden.push(panel.key);
            view.chart.destroy();
            state.views.delete(panel.id);
            el.remove();
            save();
          } }));
      // Drag a panel by its title onto another to put it there.
      head.draggable = true;
      head.addEventListener("dragstart", (e) => { e.dataTransfer.setData("text/x-cairn-panel", panel.id); el.classList.add("dragging"); });
      head.addEventListener("dragend", () => el.classList.remove("dragging"));
      el.addEventListener("dragover", (e) => { if (e.dataTransfer.types.includes("text/x-cairn-panel")) e.preventDefault(); });
      el.addEventListener("drop", (e) => {
        const from = state.panels.findIndex((p) => p.id === e.dataTransfer.getData("text/x-cairn-panel"));
        if (from < 0 || state.panels[from] === panel) return;
        e.preventDefault();
        const [moved] = state.panels.splice(from, 1);
        state.panels.splice(state.panels.indexOf(panel), 0, moved);
        save();
        layout();
      });
    }

    view.chart = new Chart(body, {
      key: panel.key, x: panel.x, log: panel.log, smoothing: panel.smoothing,
      onZoom: (min, max) => zoomPanel(view, min, max),
      onReset: () => drawPanel(view),
    });
    return view;
  }

  // "Add to report…": the project's reports the user edits; the chosen one gets a line panel
  // of this key, x-axis, smoothing and log, over the runs shown now (a hand-picked run set).
  function addToReport(panel) {
    const box = cairn.el("span", { class: "add-report" });
    const menu = cairn.el("div", { class: "add-report-menu", hidden: true, "data-testid": "add-report-menu" });
    const note = cairn.el("span", { class: "muted", "data-testid": "add-report-done" });
    const button = cairn.el("button", { text: "Add to report…", title: "Copy this chart into a report", "data-testid": "panel-add-report",
      onclick: async () => {
        if (!menu.hidden) { menu.hidden = true; return; }
        menu.replaceChildren(cairn.el("div", { class: "muted", text: "Loading…" }));
        menu.hidden = false;
        try {
          const list = (await cairn.get(`${API}/reports`)).results;
          menu.replaceChildren(...(list.length ? list.map((r) => cairn.el("button", {
            text: `${r.title}${r.visibility === "draft" ? " (draft)" : ""}`, "data-testid": "add-report-item",
            onclick: () => append(r) })) : [cairn.el("div", { class: "muted", text: "No reports yet: make one under Reports." })]));
        } catch (e) { menu.replaceChildren(cairn.el("div", { class: "panel-error", text: e.message })); }
      } });
    async function append(report) {
      menu.hidden = true;
      const runs = state.runs.map((r) => r.id);
      const line = { kind: "line", title: panel.key, keys: [panel.key], smoothing: panel.smoothing, log: panel.log,
        x: panel.x, runset: { runs } };
      try {
        await cairn.post(`/api/v1/reports/${encodeURIComponent(report.id)}/blocks`, { block: { type: "panel", panel: line } });
        note.replaceChildren("Added to ", cairn.el("a", { href: `/${page.org}/${page.project}/reports/${encodeURIComponent(report.id)}/edit`, text: report.title }));
      } catch (e) { note.textContent = e.message; }
    }
    box.append(button, menu, note);
    return box;
  }

  // Put the panels' elements in order, creating the missing ones.
  function layout() {
    const keep = new Set(state.panels.map((p) => p.id));
    for (const [id, v] of state.views) if (!keep.has(id)) { v.chart.destroy(); v.el.remove(); state.views.delete(id); }
    const els = state.panels.map((p) => {
      let v = state.views.get(p.id);
      if (!v) { v = panelView(p); state.views.set(p.id, v); }
      return v.el;
    });
    grid.replaceChildren(...els);
    if (!state.panels.length) grid.append(cairn.el("p", { class: "muted", text: state.runs.length ? "No metrics logged yet." : "No runs to chart yet." }));
  }

  // --- Data ----------------------------------------------------------------

  function wantedKeys() {
    const keys = new Set();
    for (const p of state.panels) {
      keys.add(p.key);
      if (xMetric(p.x)) keys.add(xMetric(p.x));
    }
    return [...keys];
  }

  function historyUrl(keys, extra) {
    const q = new URLSearchParams({ runs: state.runs.map((r) => r.id).join(","), samples: String(SAMPLES) });
    if (keys.length) q.set("keys", keys.join(","));
    for (const [k, v] of Object.entries(extra || {})) q.set(k, String(v));
    return `${API}/history?${q}`;
  }

  function chartRuns(panel, history) {
    const out = [];
    for (const r of state.runs) {
      const h = history[r.id];
      if (!h) continue;
      const full = state.history[r.id];
      const times = timeMap((full && full.series._time) || h.series._time);
      const xKey = xMetric(panel.x);
      const pts = runPoints(h.series[panel.key], {
        x: panel.x, times, xSeries: xKey ? (h.series[xKey] || (full && full.series[xKey])) : null,
      });
      if (pts) out.push(Object.assign({ id: r.id, name: r.name, color: r.color }, pts));
    }
    return out;
  }

  // Whether the fetched history has what the panel's x-axis needs.
  function hasData(panel) {
    const need = xSeriesKey(panel.x);
    if (!need) return true;
    return Object.values(state.history).every((h) => need in h.series);
  }

  function drawPanel(view, keepZoom) {
    if (!view) return;
    view.chart.setRuns(chartRuns(view.panel, state.history), { keepZoom: !!keepZoom });
  }

  let fetchSeq = 0;
  async function fetchAll() {
    if (!state.runs.length) { state.history = {}; return; }
    const keys = wantedKeys();
    if (!keys.length) { state.history = {}; return; }
    const times = state.panels.some((p) => xTimed(p.x));
    const body = await cairn.get(historyUrl(keys, times ? { times: 1 } : {}));
    state.history = body.runs;
  }

  function drawAll() {
    for (const v of state.views.values()) {
      if (v.chart.zoom) v.zoomStale = true; else drawPanel(v);
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
    const keys = [panel.key];
    const body = await cairn.get(historyUrl(keys, { min_step: Math.max(0, Math.floor(lo)), max_step: Math.max(0, Math.ceil(hi)) }));
    if (seq !== view.zoomSeq || !view.chart.zoom) return;
    view.chart.setRuns(chartRuns(panel, body.runs), { keepZoom: true });
  }

  // --- Live ----------------------------------------------------------------

  function anyRunning() {
    return state.runs.some((r) => (state.history[r.id] || r).state === "running");
  }

  async function refreshKeys() {
    const body = await cairn.get(`${API}/keys`);
    const before = state.keys.map((k) => k.key).join();
    state.keys = body.keys;
    if (state.keys.map((k) => k.key).join() !== before) fillAddSelect();
    if (autoPanels()) layout();
  }

  function describeRuns() {
    runsNote.textContent = state.runs.length ? `${state.runs.length} run${state.runs.length === 1 ? "" : "s"} selected` : "";
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
        await fetchAll();
        describeRuns();
        drawAll();
      }
    } catch (e) {
      status.textContent = `Refresh failed: ${e.message}`;
    } finally {
      ticking = false;
    }
  }

  async function start() {
    try {
      await loadRuns(true);
      // The layout and every numeric series at once: most panels show those.
      const [ws, first] = await Promise.all([
        cairn.get(`${API}/workspace`),
        state.runs.length ? cairn.get(historyUrl([], { numeric: 1 })) : null,
      ]);
      state.panels = ws.panels;
      state.hidden = ws.hidden;
      state.saved = ws.saved;
      state.canWrite = ws.can_write;
      state.keys = ws.keys;
      fillAddSelect();
      autoPanels();
      describeRuns();
      layout();
      state.history = first ? first.runs : {};
      if (!state.panels.every(hasData) || !wantedKeys().every((k) => Object.values(state.history).every((h) => k in h.series))) {
        await fetchAll();
      }
      drawAll();
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
        await fetchAll();
        if (seq === fetchSeq) drawAll();
      }, 30);
    });
  }
  start();
}
