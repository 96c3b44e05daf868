// The run page, in tabs (run_tabs.js): the overview (state, duration, host,
// command, git, notes and tags, config and summary), metric charts and media,
// system charts, the console, files, artifacts and the code. Everything the run's author
// wrote (names, notes, config, console lines, file names and contents) is put
// on the page as text, never parsed as HTML.
import * as cairn from "./api.js";
import { alertsOverview } from "./run_alerts.js";
import { firstKeysRequest, mountRunMedia } from "./media.js";
import { runArtifacts } from "./run_artifacts.js";
import { runChartGrid } from "./run_charts.js";
import { consoleSection } from "./run_console_tabs.js";
import { runFiles } from "./run_files.js";
import { runFingerprint } from "./run_fingerprint.js";
import { sharedSystem } from "./run_system.js";
import { runTabs } from "./run_tabs.js";
import { writersOverview } from "./run_writers.js";
import { duration, groupUrl, pageData, runUrl } from "./util.js";

// The agent's first system sample comes about this long after the run starts
// (agent/_service.py), then every `system_interval` (10 s by default).
const FIRST_SAMPLE_S = 2;

function mountRunPage(root, page) {
  const API = page.api;
  const RUN = runUrl(API, page.run);
  const LIVE_MS = 3000;
  const el = cairn.el;

  let run = null;

  function section(title, testid, ...children) {
    return el("section", { class: "card run-section", "data-testid": testid }, el("h2", { text: title }), ...children);
  }

  // --- Header and overview ---------------------------------------------------

  const stateBadge = el("span", { class: "state", "data-testid": "run-state" });
  const title = el("h1", { class: "run-title", "data-testid": "run-title" });
  // The id once: beside the name when the run has one (the title is the id otherwise).
  const idText = el("code", { class: "muted", "data-testid": "run-id", text: page.run, hidden: "" });
  const overview = el("dl", { class: "kv", "data-testid": "overview" });
  const header = el("div", { class: "run-header" }, title, stateBadge, idText);
  if (page.canWrite) header.append(renameForm());

  // --- Rename ----------------------------------------------------------------

  function renameForm() {
    const input = el("input", { type: "text", maxlength: "200", "aria-label": "Run name", "data-testid": "rename-input" });
    const said = el("span", { class: "muted", "data-testid": "rename-status" });
    const form = el("form", { class: "rename-form", hidden: "", onsubmit: async (e) => {
      e.preventDefault();
      try {
        const updated = await cairn.patch(RUN, { name: input.value.trim() });
        run = updated;
        title.textContent = updated.name || updated.id;
        idText.hidden = !updated.name || updated.name === updated.id;
        document.title = document.title.replace(/^[^·]*·/, `${updated.name || updated.id} ·`);
        form.hidden = true;
        open.hidden = false;
        said.textContent = "";
      } catch (err) {
        said.textContent = `Not renamed: ${err.message}`;
      }
    } }, input, el("button", { class: "primary", text: "Save", "data-testid": "rename-save" }),
    el("button", { type: "button", text: "Cancel", onclick: () => { form.hidden = true; open.hidden = false; } }), said);
    const open = el("button", { type: "button", class: "link", text: "Rename", "data-testid": "rename",
      onclick: () => { input.value = run ? run.name || "" : ""; form.hidden = false; open.hidden = true; input.focus(); } });
    return el("span", { class: "rename" }, open, form);
  }

  function overviewRows(r) {
    const sys = r.system || {};
    const git = sys.git || {};
    const args = Array.isArray(sys.args) ? sys.args.map(String) : [];
    const stateText = r.state === "failed" && r.exit_code !== null && r.exit_code !== undefined
      ? `failed (exit code ${r.exit_code})` : r.state;
    const rows = [
      ["State", el("span", { class: `state ${r.state}`, "data-testid": "overview-state", text: stateText })],
      ["Started", cairn.moment(r.created_at)],
    ];
    if (r.finished_at) rows.push(["Ended", cairn.moment(r.finished_at)]);
    rows.push(
      [r.state === "running" ? "Running for" : "Duration", duration(r.runtime || 0) || "0s"],
      ["User", r.user || "—"],
      ["Host", sys.host || "—"],
      ["Command", sys.program ? [sys.program, ...args].join(" ") : "—"],
      ["Python", sys.python || "—"],
      ["Git remote", git.remote || "—"],
      ["Git branch", git.branch || "—"],
      ["Git commit", git.commit ? git.commit + (git.dirty ? " (uncommitted changes)" : "") : "—"],
    );
    const group = r.group && groupUrl(page.org, page.project, r.group);
    if (r.group) rows.push(["Group", group ? el("a", { href: group, text: r.group, "data-testid": "run-group" }) : r.group]);
    if (r.job_type) rows.push(["Job type", r.job_type]);
    return rows;
  }

  function showRun(r, gen) {
    run = r;
    title.textContent = r.name || r.id;
    idText.hidden = !r.name || r.name === r.id;
    if (systemEmpty) systemNote.textContent = noSystemWhy();
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

  // One smoothing and log-scale setting for all of the run's metric charts.
  const chartOpts = { smoothing: 0, log: false };
  const runName = () => (run ? run.name || run.id : page.run);
  const metrics = runChartGrid({ api: API, runId: page.run, stream: "history", testid: "run-charts", chartOpts, name: runName });
  const metricsNote = el("p", { class: "muted", text: "Loading…" });
  const smoothInput = el("input", { type: "range", min: "0", max: "0.99", step: "0.01", value: "0",
    class: "panel-smooth", "aria-label": "Smoothing", "data-testid": "run-smoothing", title: "Smoothing (EMA)" });
  const smoothValue = el("span", { class: "muted panel-smooth-val", text: "0.00" });
  const logInput = el("input", { type: "checkbox", "data-testid": "run-log" });
  smoothInput.oninput = () => {
    chartOpts.smoothing = +smoothInput.value;
    smoothValue.textContent = chartOpts.smoothing.toFixed(2);
    for (const c of metrics.charts.values()) c.setOptions({ smoothing: chartOpts.smoothing });
  };
  logInput.onchange = () => {
    chartOpts.log = logInput.checked;
    for (const c of metrics.charts.values()) c.setOptions({ log: chartOpts.log });
  };
  const chartTools = el("div", { class: "run-chart-tools" },
    el("label", { class: "panel-opt" }, "smoothing ", smoothInput, smoothValue),
    el("label", { class: "panel-opt" }, logInput, " log scale"));

  // System metrics: one grid, or in a shared run a group per writer.
  const systemNote = el("p", { class: "muted", text: "Loading…" });
  const system = page.shared
    ? sharedSystem({ api: API, runId: page.run, name: runName })
    : runChartGrid({ api: API, runId: page.run, stream: "system", testid: "system-charts", name: runName });

  async function loadMetrics() {
    const drawn = await metrics.load();
    metricsNote.textContent = drawn.length ? "" : "No metrics logged.";
  }

  // keys: a shared run's system keys, if known (the page brings them at first).
  async function loadSystem(writers, keys = null) {
    const drawn = page.shared ? await system.load(writers, keys) : (await system.load()).length;
    systemEmpty = !drawn;
    systemNote.textContent = drawn ? "" : noSystemWhy();
  }
  let systemEmpty = false;  // the note says why once the run is known (showRun)

  // Why a run has no system samples, as far as the page can tell.
  function noSystemWhy() {
    if (!run) return "No system metrics yet.";
    const lasted = run.runtime || 0;
    const sampling = `the agent takes its first sample about ${FIRST_SAMPLE_S} s after the run starts, then one every 10 s (settings system_interval)`;
    if (run.state === "running") return `No system metrics yet: ${sampling}.`;
    if (lasted < FIRST_SAMPLE_S + 1) {
      return `No system metrics: the run ${run.state === "crashed" ? "crashed" : "ended"} after ${duration(lasted) || "0s"}, before the first sample (${sampling}).`;
    }
    return `No system metrics: the run lasted ${duration(lasted)}, but none arrived. The agent may have had them switched off (settings capture_system_metrics=False)${run.state === "crashed" ? ", or its process died before sending them" : ""}.`;
  }

  // --- Page ------------------------------------------------------------------

  const consoleView = consoleSection(RUN, page.shared);
  const writersView = writersOverview();
  const alertsView = alertsOverview(RUN);
  // A shared run's writers: in the overview, and the system groups' and console tabs' names.
  const readWriters = () => (page.shared ? cairn.get(`${RUN}/writers`).then((b) => b.results) : Promise.resolve(null));
  const filesView = runFiles(RUN);
  const artifactsView = runArtifacts(RUN);
  const fingerprintView = runFingerprint(RUN);
  // The diff is one of the files: it shows once the list has it.
  const loadFiles = () => filesView.load().then((list) => filesView.loadDiff(list, run));
  const tabs = runTabs();
  tabs.panel("overview").append(
    el("div", { class: "two-col" },
      section("Overview", "overview-section", overview, writersView.box, alertsView.box),
      section("Notes and tags", "notes-section", tagsBox, notesBox)),
    el("div", { class: "two-col" },
      section("Config", "config-section", configTable),
      section("Summary", "summary-section", summaryTable)),
    section("Fingerprint", "fingerprint-section", fingerprintView.box));
  tabs.panel("charts").append(section("Charts", "charts-section", chartTools, metricsNote, metrics.grid));
  tabs.panel("system").append(section("System", "system-section", systemNote, page.shared ? system.box : system.grid));
  tabs.panel("logs").append(section("Console", "console-section", ...consoleView.nodes));
  tabs.panel("files").append(section("Files", "files-section", filesView.table, filesView.media, filesView.preview));
  tabs.panel("artifacts").append(section("Artifacts", "artifacts-section", artifactsView.box));
  tabs.panel("code").append(section("Code diff", "diff-section", filesView.diffBox));
  root.append(header, tabs.bar, ...[...tabs.bar.children].map((b) => tabs.panel(b.dataset.tab)));

  async function withWriters(read) {
    const writers = await read;
    if (writers) {
      writersView.show(writers);
      consoleView.showWriters(writers);
    }
    return writers;
  }

  async function refresh() {
    const gen = notesGen;
    const writersRead = withWriters(readWriters());
    writersRead.catch(() => {});  // reported by the Promise.all below, unless the run's read fails first
    showRun(await cairn.get(RUN), gen);
    await Promise.all([writersRead, loadMetrics(), loadSystem(writersRead), consoleView.load(run.streams.console), alertsView.load()]);
    if (run.state !== "running") return;
    loadFiles().catch(() => {});
    artifactsView.load().catch(() => {});
  }

  async function start() {
    // The charts and the console need nothing from the run object (the page
    // says how many console lines it has): ask for everything at once.
    const writersRead = withWriters(readWriters());
    const loaded = Promise.allSettled([loadMetrics(), loadSystem(writersRead, page.systemKeys), consoleView.load(page.consoleLines)]);
    try {
      const gen = notesGen;
      showRun(await cairn.get(RUN), gen);
    } catch (e) {
      root.replaceChildren(el("p", { class: "error", text: `Could not load the run: ${e.message}` }));
      return;
    }
    fingerprintView.load().catch((e) => console.error(e));
    const results = [...await Promise.allSettled([loadFiles(), writersRead, alertsView.load(), artifactsView.load()]), ...await loaded];
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
