// The run page: overview, notes and tags, code diff, config and summary,
// metric and system charts, console and files. Everything the run's author
// wrote (names, notes, config, console lines, file names and contents) is put
// on the page as text, never parsed as HTML.
import * as cairn from "./api.js";
import { Chart, runPoints, timeMap } from "./charts.js";
import { firstKeysRequest, mountRunMedia } from "./media.js";
import { runConsole } from "./run_console.js";
import { runFiles } from "./run_files.js";
import { color, duration, groupUrl, pageData, runUrl, when } from "./util.js";

function mountRunPage(root, page) {
  const API = page.api;
  const RUN = runUrl(API, page.run);
  const LIVE_MS = 3000;
  const SAMPLES = 600;
  const el = cairn.el;

  let run = null;
  const charts = new Map();  // "stream:key" → Chart

  function section(title, testid, ...children) {
    return el("section", { class: "card run-section", "data-testid": testid }, el("h2", { text: title }), ...children);
  }

  // --- Header and overview ---------------------------------------------------

  const stateBadge = el("span", { class: "state", "data-testid": "run-state" });
  const title = el("h1", { class: "run-title" });
  const overview = el("dl", { class: "kv", "data-testid": "overview" });
  const header = el("div", { class: "run-header" }, title, stateBadge, el("code", { class: "muted", text: page.run }));

  function overviewRows(r) {
    const sys = r.system || {};
    const git = sys.git || {};
    const args = Array.isArray(sys.args) ? sys.args.map(String) : [];
    const rows = [
      ["Created", when(r.created_at)],
      ["Finished", r.finished_at ? when(r.finished_at) : (r.state === "running" ? "running" : "—")],
      ["Duration", duration(r.runtime || 0)],
      ["User", r.user || "—"],
      ["Host", sys.host || "—"],
      ["Command", sys.program ? [sys.program, ...args].join(" ") : "—"],
      ["Python", sys.python || "—"],
      ["Git remote", git.remote || "—"],
      ["Git branch", git.branch || "—"],
      ["Git commit", git.commit ? git.commit + (git.dirty ? " (uncommitted changes)" : "") : "—"],
    ];
    const group = r.group && groupUrl(page.org, page.project, r.group);
    if (r.group) rows.push(["Group", group ? el("a", { href: group, text: r.group, "data-testid": "run-group" }) : r.group]);
    if (r.job_type) rows.push(["Job type", r.job_type]);
    if (r.exit_code !== null && r.exit_code !== undefined) rows.push(["Exit code", String(r.exit_code)]);
    return rows;
  }

  function showRun(r, gen) {
    run = r;
    title.textContent = r.name || r.id;
    stateBadge.textContent = r.state;
    stateBadge.className = `state ${r.state}`;
    const kids = [];
    for (const [k, v] of overviewRows(r)) {
      const dd = el("dd", { class: k === "Command" || k.startsWith("Git") ? "mono" : "" }, v);  // text, or a link
      kids.push(el("dt", { text: k }), dd);
    }
    overview.replaceChildren(...kids);
    fillTable(configTable, r.config);
    fillTable(summaryTable, r.summary);
    showNotes(r, gen);
  }

  // --- Notes and tags --------------------------------------------------------

  const notesBox = el("div", { class: "notes" });
  const tagsBox = el("div", { class: "tags" });
  // The editor is built once; a refresh refills only the fields the user has
  // not changed since they were last filled (what they type is never replaced),
  // and a run read that overlapped a save is too old to fill them at all.
  let form = null;
  let notesGen = 0;  // bumped when a save starts and when it ends

  function notesForm() {
    const tagInput = el("input", { type: "text", placeholder: "tag, another tag", "data-testid": "tags-edit", "aria-label": "Tags" });
    const area = el("textarea", { rows: "3", placeholder: "Notes about this run", "data-testid": "notes-edit", "aria-label": "Notes" });
    const said = el("span", { class: "muted", "data-testid": "notes-status" });
    const saveBtn = el("button", { class: "primary", text: "Save", "data-testid": "notes-save" });
    const f = { area, tagInput, said, shown: { notes: "", tags: "" } };
    const dirty = () => area.value !== f.shown.notes || tagInput.value !== f.shown.tags;
    for (const input of [area, tagInput]) input.addEventListener("input", () => { said.textContent = "Unsaved changes"; });
    saveBtn.onclick = async () => {
      const notes = area.value, tagText = tagInput.value;  // what is in the fields now is what gets saved
      const tagList = tagText.split(",").map((t) => t.trim()).filter(Boolean);
      saveBtn.disabled = true;
      notesGen++;
      try {
        const updated = await cairn.patch(RUN, { notes, tags: tagList });
        run = updated;
        const shown = { notes: updated.notes || "", tags: (updated.tags || []).join(", ") };
        // Text typed while the save was on its way is newer than what was saved: it stays.
        if (area.value === notes) area.value = shown.notes;
        if (tagInput.value === tagText) tagInput.value = shown.tags;
        f.shown = shown;
        said.textContent = dirty() ? "Unsaved changes" : "Saved";
      } catch (e) {
        said.textContent = `Not saved: ${e.message}`;
      } finally {
        notesGen++;
        saveBtn.disabled = false;
      }
    };
    tagsBox.replaceChildren(el("label", { class: "field" }, "Tags", tagInput));
    notesBox.replaceChildren(el("label", { class: "field" }, "Notes", area), el("div", { class: "row" }, saveBtn, said));
    return f;
  }

  function showNotes(r, gen) {
    if (gen !== notesGen) return;  // read before a save ended: older than what was saved
    if (!page.canWrite) {
      const tags = (r.tags || []).map((t) => el("span", { class: "tag", text: String(t) }));
      tagsBox.replaceChildren(...(tags.length ? tags : [el("span", { class: "muted", text: "No tags" })]));
      notesBox.replaceChildren(el("p", { class: r.notes ? "notes-text" : "muted", "data-testid": "notes", text: r.notes || "No notes" }));
      return;
    }
    if (!form) form = notesForm();
    const shown = { notes: r.notes || "", tags: (r.tags || []).join(", ") };
    if (form.area.value === form.shown.notes) form.area.value = shown.notes;
    if (form.tagInput.value === form.shown.tags) form.tagInput.value = shown.tags;
    form.shown = shown;
  }

  // --- Config and summary ----------------------------------------------------

  const configTable = el("table", { class: "grid kv-table", "data-testid": "config" });
  const summaryTable = el("table", { class: "grid kv-table", "data-testid": "summary" });

  function flatten(obj, prefix, out) {
    for (const [k, v] of Object.entries(obj || {})) {
      const key = prefix ? `${prefix}.${k}` : k;
      if (v && typeof v === "object" && !Array.isArray(v) && !("_type" in v)) flatten(v, key, out);
      else out.push([key, v]);
    }
    return out;
  }

  function fillTable(table, obj) {
    const rows = flatten(obj, "", []).sort((a, b) => a[0].localeCompare(b[0]));
    if (!rows.length) { table.replaceChildren(el("tr", {}, el("td", { class: "muted", text: "Empty" }))); return; }
    table.replaceChildren(...rows.map(([k, v]) => el("tr", {}, el("th", { text: k }), el("td", { text: cairn.show(v) }))));
  }

  // --- Charts ----------------------------------------------------------------

  const metricsGrid = el("div", { class: "ws-grid", "data-testid": "run-charts" });
  const systemGrid = el("div", { class: "ws-grid", "data-testid": "system-charts" });
  const metricsNote = el("p", { class: "muted", text: "Loading…" });
  // One smoothing and log-scale setting for all of the run's metric charts.
  const chartOpts = { smoothing: 0, log: false };
  const smoothInput = el("input", { type: "range", min: "0", max: "0.99", step: "0.01", value: "0",
    class: "panel-smooth", "aria-label": "Smoothing", "data-testid": "run-smoothing", title: "Smoothing (EMA)" });
  const smoothValue = el("span", { class: "muted panel-smooth-val", text: "0.00" });
  const logInput = el("input", { type: "checkbox", "data-testid": "run-log" });
  function metricCharts() { return [...charts.entries()].filter(([id]) => id.startsWith("history:")).map(([, c]) => c); }
  smoothInput.oninput = () => {
    chartOpts.smoothing = +smoothInput.value;
    smoothValue.textContent = chartOpts.smoothing.toFixed(2);
    for (const c of metricCharts()) c.setOptions({ smoothing: chartOpts.smoothing });
  };
  logInput.onchange = () => {
    chartOpts.log = logInput.checked;
    for (const c of metricCharts()) c.setOptions({ log: chartOpts.log });
  };
  const chartTools = el("div", { class: "run-chart-tools" },
    el("label", { class: "panel-opt" }, "smoothing ", smoothInput, smoothValue),
    el("label", { class: "panel-opt" }, logInput, " log scale"));
  const systemNote = el("p", { class: "muted", text: "Loading…" });

  const SYSTEM_ORDER = ["cpu", "proc", "memory", "gpu", "disk", "net"];
  function systemRank(key) {
    const i = SYSTEM_ORDER.indexOf(key.split(".")[0]);
    return i < 0 ? SYSTEM_ORDER.length : i;
  }

  async function loadCharts(stream) {
    // numeric=1: media references and histograms are the media panels' business, and costly to read here.
    const q = new URLSearchParams({ runs: page.run, samples: String(SAMPLES), times: "1", numeric: "1", stream });
    const body = await cairn.get(`${API}/history?${q}`);
    const h = body.runs[page.run];
    if (!h) return;
    const grid = stream === "system" ? systemGrid : metricsGrid;
    const note = stream === "system" ? systemNote : metricsNote;
    const times = timeMap(h.series._time);
    let keys = Object.keys(h.series).filter((k) => k !== "_time" && h.series[k].min);
    keys = stream === "system" ? keys.sort((a, b) => systemRank(a) - systemRank(b) || a.localeCompare(b)) : keys.sort();
    note.textContent = keys.length ? "" : (stream === "system" ? "No system metrics." : "No metrics logged.");
    const x = stream === "system" ? "time" : "step";
    for (const key of keys) {
      const id = `${stream}:${key}`;
      let chart = charts.get(id);
      if (!chart) {
        const body = el("div", { class: "panel-body" });
        grid.append(el("div", { class: "panel size-s", "data-testid": "panel", dataset: { key, stream } },
          el("div", { class: "panel-head" }, el("span", { class: "panel-title", text: key, title: key })), body));
        const opts = stream === "system" ? {} : { ...chartOpts };
        chart = new Chart(body, { key, x, height: 180, ...opts, onZoom: (lo, hi) => zoom(chart, stream, key, lo, hi, times) });
        chart.full = null;
        chart.opts.onReset = () => chart.setRuns(chart.full || []);
        charts.set(id, chart);
      }
      const pts = runPoints(h.series[key], { x, times });
      chart.full = pts ? [Object.assign({ id: page.run, name: run ? run.name || run.id : page.run, color: color(0) }, pts)] : [];
      if (!chart.zoom) chart.setRuns(chart.full);
    }
  }

  async function zoom(chart, stream, key, lo, hi, times) {
    let a = lo, b = hi;
    if (stream === "system") {
      if (!times) return;
      a = times.stepAt(lo); b = times.stepAt(hi);
    }
    const seq = (chart.zoomSeq = (chart.zoomSeq || 0) + 1);
    const q = new URLSearchParams({ runs: page.run, keys: key, stream, samples: String(SAMPLES),
      min_step: String(Math.max(0, Math.floor(a))), max_step: String(Math.max(0, Math.ceil(b))) });
    const body = await cairn.get(`${API}/history?${q}`);
    const h = body.runs[page.run];
    if (!h || seq !== chart.zoomSeq || !chart.zoom) return;
    const pts = runPoints(h.series[key], { x: stream === "system" ? "time" : "step", times });
    if (pts) chart.setRuns([Object.assign({}, chart.full[0], pts)], { keepZoom: true });
  }

  // --- Page ------------------------------------------------------------------

  const consoleView = runConsole(RUN);
  const filesView = runFiles(RUN);
  // The diff is one of the files: it shows once the list has it.
  const loadFiles = () => filesView.load().then((list) => filesView.loadDiff(list, run));
  const grid2 = el("div", { class: "two-col" },
    section("Config", "config-section", configTable),
    section("Summary", "summary-section", summaryTable));
  root.append(
    header,
    el("div", { class: "two-col" },
      section("Overview", "overview-section", overview),
      section("Notes and tags", "notes-section", tagsBox, notesBox)),
    grid2,
    section("Charts", "charts-section", chartTools, metricsNote, metricsGrid),
    section("System", "system-section", systemNote, systemGrid),
    section("Console", "console-section", consoleView.bar, consoleView.box),
    section("Files", "files-section", filesView.table, filesView.preview),
    section("Code diff", "diff-section", filesView.diffBox),
  );

  async function refresh() {
    const gen = notesGen;
    showRun(await cairn.get(RUN), gen);
    await Promise.all([loadCharts("history"), loadCharts("system"), consoleView.load(run)]);
    if (run.state !== "running") return;
    loadFiles().catch(() => {});
  }

  async function start() {
    // The charts need nothing from the run object: ask for everything at once.
    const chartsLoaded = Promise.allSettled([loadCharts("history"), loadCharts("system")]);
    try {
      const gen = notesGen;
      showRun(await cairn.get(RUN), gen);
    } catch (e) {
      root.replaceChildren(el("p", { class: "error", text: `Could not load the run: ${e.message}` }));
      return;
    }
    const results = [...await Promise.allSettled([consoleView.load(run), loadFiles()]), ...await chartsLoaded];
    performance.mark("cairn:run-page-drawn");  // for benchmarks
    for (const r of results) if (r.status === "rejected") console.error(r.reason);
    let busy = false;
    const timer = setInterval(async () => {
      if (busy || document.visibilityState !== "visible") return;
      if (run.state !== "running") { clearInterval(timer); return; }
      busy = true;
      try { await refresh(); } catch (e) { console.error(e); } finally { busy = false; }
    }, LIVE_MS);
  }
  start();
}

const page = pageData();
const root = document.getElementById("run-page");
// The media keys first: the slowest section, and its request waits on nothing.
const earlyMedia = firstKeysRequest(page);
earlyMedia.catch(() => {});  // mountRunMedia reports a failure
mountRunPage(root, page);
mountRunMedia(root, page, earlyMedia);  // after the charts section, which the run page has put in place
