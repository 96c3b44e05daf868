// The run page: overview, notes and tags, code diff, config and summary,
// metric and system charts, console and files. Everything the run's author
// wrote (names, notes, config, console lines, file names and contents) is put
// on the page as text, never parsed as HTML.
import * as cairn from "./api.js";
import { Chart, runPoints, timeMap } from "./charts.js";
import { firstKeysRequest, mountRunMedia } from "./media.js";
import { color, duration, fileUrl as runFileUrl, pageData, runUrl, when } from "./util.js";

function mountRunPage(root, page) {
  const API = page.api;
  const RUN = runUrl(API, page.run);
  const LIVE_MS = 3000;
  const SAMPLES = 600;
  const PREVIEW_BYTES = 100 * 1024;
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
    if (r.group) rows.push(["Group", r.group]);
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
      kids.push(el("dt", { text: k }), el("dd", { text: v, class: k === "Command" || k.startsWith("Git") ? "mono" : "" }));
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

  // --- Console ---------------------------------------------------------------

  const CONSOLE_TAIL = 5000;
  const consoleBox = el("pre", { class: "console", "data-testid": "console" });
  const consoleFilter = el("input", { type: "search", placeholder: "Filter lines", "data-testid": "console-filter", "aria-label": "Filter console lines" });
  const consoleNote = el("span", { class: "muted" });
  const consoleEarlier = el("button", { type: "button", class: "link", hidden: "", "data-testid": "console-earlier",
    text: `Show ${CONSOLE_TAIL} earlier lines`, onclick: () => loadEarlierConsole() });
  let consoleFirst = 0;  // offset of the first line shown

  async function loadEarlierConsole() {
    consoleEarlier.disabled = true;
    const from = Math.max(0, consoleFirst - CONSOLE_TAIL);
    const nodes = [];
    let offset = from;
    while (offset < consoleFirst) {
      const body = await cairn.get(`${RUN}/console?offset=${offset}&limit=${Math.min(5000, consoleFirst - offset)}`);
      if (!body.lines.length) break;
      for (const rec of body.lines) if (rec.offset < consoleFirst) nodes.push(consoleLine(rec));
      offset = body.next_offset;
    }
    applyFilter(nodes);
    const keep = consoleBox.scrollHeight - consoleBox.scrollTop;  // stay on the line being read
    consoleBox.prepend(...nodes);
    consoleBox.scrollTop = consoleBox.scrollHeight - keep;
    consoleFirst = from;
    consoleNote.textContent = from > 0 ? `Showing lines ${from + 1}–${consoleOffset} of ${consoleOffset}.` : "";
    consoleEarlier.hidden = from === 0;
    consoleEarlier.disabled = false;
  }
  let consoleOffset = null;

  // ANSI SGR colour codes → [{text, cls, style}] segments; other escapes dropped.
  const ANSI_COLORS = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"];
  function ansiSegments(line) {
    const out = [];
    const sgr = { fg: null, bg: null, bold: false, dim: false, italic: false, underline: false };
    const re = /\x1b\[([0-9;]*)([A-Za-z])/g;  // eslint-disable-line no-control-regex -- ESC starts each code
    let at = 0, m;
    const push = (text) => { if (text) out.push({ text, sgr: Object.assign({}, sgr) }); };
    while ((m = re.exec(line))) {
      push(line.slice(at, m.index));
      at = re.lastIndex;
      if (m[2] !== "m") continue;
      const codes = m[1] === "" ? [0] : m[1].split(";").map((c) => parseInt(c || "0", 10));
      for (let i = 0; i < codes.length; i++) {
        const c = codes[i];
        if (c === 0) Object.assign(sgr, { fg: null, bg: null, bold: false, dim: false, italic: false, underline: false });
        else if (c === 1) sgr.bold = true;
        else if (c === 2) sgr.dim = true;
        else if (c === 3) sgr.italic = true;
        else if (c === 4) sgr.underline = true;
        else if (c === 22) { sgr.bold = false; sgr.dim = false; }
        else if (c === 23) sgr.italic = false;
        else if (c === 24) sgr.underline = false;
        else if (c >= 30 && c <= 37) sgr.fg = `ansi-${ANSI_COLORS[c - 30]}`;
        else if (c >= 90 && c <= 97) sgr.fg = `ansi-bright-${ANSI_COLORS[c - 90]}`;
        else if (c === 39) sgr.fg = null;
        else if (c >= 40 && c <= 47) sgr.bg = `ansi-bg-${ANSI_COLORS[c - 40]}`;
        else if (c >= 100 && c <= 107) sgr.bg = `ansi-bg-${ANSI_COLORS[c - 100]}`;
        else if (c === 49) sgr.bg = null;
        else if ((c === 38 || c === 48) && codes[i + 1] === 5) {
          const n = codes[i + 2];
          if (n >= 0 && n < 16) (c === 38 ? (sgr.fg = `ansi-${n >= 8 ? "bright-" : ""}${ANSI_COLORS[n % 8]}`) : (sgr.bg = `ansi-bg-${ANSI_COLORS[n % 8]}`));
          i += 2;
        } else if ((c === 38 || c === 48) && codes[i + 1] === 2) {
          const rgb = codes.slice(i + 2, i + 5).map((v) => Math.max(0, Math.min(255, v || 0)));
          if (c === 38) sgr.fg = `rgb(${rgb.join(",")})`; else sgr.bg = `rgb(${rgb.join(",")})`;
          i += 4;
        }
      }
    }
    push(line.slice(at));
    return out;
  }

  function consoleLine(rec) {
    const node = el("div", { class: rec.stream === "stderr" ? "line stderr" : "line" });
    for (const seg of ansiSegments(rec.line)) {
      const s = seg.sgr;
      if (!s.fg && !s.bg && !s.bold && !s.dim && !s.italic && !s.underline) { node.append(document.createTextNode(seg.text)); continue; }
      const span = document.createElement("span");
      span.textContent = seg.text;
      for (const [v, bg] of [[s.fg, false], [s.bg, true]]) {
        if (!v) continue;
        if (v.startsWith("rgb(")) span.style[bg ? "backgroundColor" : "color"] = v; else span.classList.add(v);
      }
      if (s.bold) span.classList.add("ansi-bold");
      if (s.dim) span.classList.add("ansi-dim");
      if (s.italic) span.classList.add("ansi-italic");
      if (s.underline) span.classList.add("ansi-underline");
      node.append(span);
    }
    node.dataset.search = rec.line.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "").toLowerCase();  // eslint-disable-line no-control-regex
    return node;
  }

  function applyFilter(nodes) {
    const q = consoleFilter.value.trim().toLowerCase();
    for (const n of nodes) n.hidden = q !== "" && !n.dataset.search.includes(q);
  }
  consoleFilter.addEventListener("input", () => applyFilter(consoleBox.children));

  async function loadConsole() {
    if (consoleOffset === null) {
      const total = (run && run.streams && run.streams.console) || 0;
      consoleOffset = Math.max(0, total - CONSOLE_TAIL);
      consoleFirst = consoleOffset;
      if (consoleOffset > 0) consoleNote.textContent = `Showing the last ${CONSOLE_TAIL} lines of ${total}.`;
      consoleEarlier.hidden = consoleOffset === 0;
    }
    for (let pages = 0; pages < 10; pages++) {
      const body = await cairn.get(`${RUN}/console?offset=${consoleOffset}&limit=1000`);
      if (!body.lines.length) break;
      const atBottom = consoleBox.scrollHeight - consoleBox.scrollTop - consoleBox.clientHeight < 24;
      const nodes = body.lines.map(consoleLine);
      applyFilter(nodes);
      consoleBox.append(...nodes);
      consoleOffset = body.next_offset;
      if (atBottom) consoleBox.scrollTop = consoleBox.scrollHeight;
      if (body.lines.length < 1000) break;
    }
    if (!consoleBox.children.length) consoleNote.textContent = "No console output.";
    else if (consoleNote.textContent === "No console output.") consoleNote.textContent = "";
  }

  // --- Files -----------------------------------------------------------------

  const filesTable = el("table", { class: "grid", "data-testid": "files" });
  const preview = el("div", { class: "preview", "data-testid": "file-preview" });
  let filesSig = "";
  const TEXT_EXT = /\.(txt|log|md|py|json|jsonl|ya?ml|toml|cfg|ini|csv|tsv|patch|diff|sh|js|ts|html|css|xml|rst)$/i;
  const IMAGE_EXT = /\.(png|jpe?g|gif|webp|bmp|svg)$/i;

  function fileUrl(path) { return runFileUrl(RUN, path); }
  function size(n) {
    if (n < 1024) return `${n} B`;
    if (n < 1 << 20) return `${(n / 1024).toFixed(1)} KB`;
    if (n < 1 << 30) return `${(n / (1 << 20)).toFixed(1)} MB`;
    return `${(n / (1 << 30)).toFixed(2)} GB`;
  }

  async function textHead(path) {
    const response = await fetch(fileUrl(path), { credentials: "same-origin" });
    if (!response.ok) throw new Error(response.statusText);
    const reader = response.body.getReader();
    const parts = [];
    let got = 0;
    while (got < PREVIEW_BYTES) {
      const { value, done } = await reader.read();
      if (done) break;
      parts.push(value);
      got += value.length;
    }
    reader.cancel().catch(() => {});
    const bytes = new Uint8Array(Math.min(got, PREVIEW_BYTES));
    let at = 0;
    for (const p of parts) { const take = p.subarray(0, bytes.length - at); bytes.set(take, at); at += take.length; if (at >= bytes.length) break; }
    return { text: new TextDecoder().decode(bytes), cut: got > PREVIEW_BYTES };
  }

  async function showPreview(f) {
    const head = el("div", { class: "preview-head" }, el("strong", { text: f.path }), " ",
      el("a", { href: fileUrl(f.path), download: "", text: "Download" }));
    if (IMAGE_EXT.test(f.path) || (f.content_type || "").startsWith("image/")) {
      preview.replaceChildren(head, el("img", { src: fileUrl(f.path), alt: f.path, class: "preview-img" }));
      return;
    }
    if (TEXT_EXT.test(f.path) || (f.content_type || "").startsWith("text/") || f.size < 4096) {
      preview.replaceChildren(head, el("p", { class: "muted", text: "Loading…" }));
      try {
        const { text, cut } = await textHead(f.path);
        const body = f.path.endsWith(".patch") || f.path.endsWith(".diff") ? diffView(text) : el("pre", { class: "file-text", text });
        preview.replaceChildren(head, body, cut ? el("p", { class: "muted", text: "Showing the first 100 KB." }) : "");
      } catch (e) {
        preview.replaceChildren(head, el("p", { class: "error", text: `Could not load: ${e.message}` }));
      }
      return;
    }
    preview.replaceChildren(head, el("p", { class: "muted", text: "No preview for this file type." }));
  }

  async function loadFiles() {
    const body = await cairn.get(`${RUN}/files/`);
    const sig = body.results.map((f) => f.path + f.sha256).join();
    if (sig === filesSig) return body.results;
    filesSig = sig;
    if (!body.results.length) {
      filesTable.replaceChildren(el("tr", {}, el("td", { class: "muted", text: "No files." })));
      return body.results;
    }
    filesTable.replaceChildren(
      el("tr", {}, el("th", { text: "Path" }), el("th", { text: "Size" }), el("th", { text: "Updated" }), el("th", { text: "" })),
      ...body.results.map((f) => el("tr", {},
        el("td", {}, el("button", { class: "link", text: f.path, onclick: () => showPreview(f) })),
        el("td", { text: size(f.size) }),
        el("td", { text: when(f.updated_at) }),
        el("td", {}, el("a", { href: fileUrl(f.path), download: "", text: "Download" })))));
    return body.results;
  }

  // --- Code diff -------------------------------------------------------------

  const diffBox = el("div", { "data-testid": "diff" });
  function diffView(text) {
    const pre = el("pre", { class: "diff" });
    for (const line of text.split("\n")) {
      let cls = "";
      if (line.startsWith("+++") || line.startsWith("---") || line.startsWith("diff ") || line.startsWith("index ")) cls = "d-file";
      else if (line.startsWith("+")) cls = "d-add";
      else if (line.startsWith("-")) cls = "d-del";
      else if (line.startsWith("@@")) cls = "d-hunk";
      pre.append(el("span", { class: `d-line ${cls}`, text: line + "\n" }));
    }
    return pre;
  }
  let diffShown = false;
  async function loadDiff(files) {
    if (diffShown) return;
    const f = files.find((x) => x.path === "code/diff.patch");
    if (!f) { diffBox.replaceChildren(el("p", { class: "muted", text: run && run.system && run.system.git && run.system.git.dirty === false ? "No uncommitted changes." : "No diff recorded." })); return; }
    diffShown = true;
    const { text, cut } = await textHead(f.path);
    diffBox.replaceChildren(diffView(text), cut ? el("p", { class: "muted", text: "Showing the first 100 KB." }) : "");
  }

  // --- Page ------------------------------------------------------------------

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
    section("Console", "console-section", el("div", { class: "row" }, consoleFilter, consoleNote, consoleEarlier), consoleBox),
    section("Files", "files-section", filesTable, preview),
    section("Code diff", "diff-section", diffBox),
  );

  async function refresh() {
    const gen = notesGen;
    showRun(await cairn.get(RUN), gen);
    await Promise.all([loadCharts("history"), loadCharts("system"), loadConsole()]);
    if (run.state !== "running") return;
    loadFiles().then(loadDiff).catch(() => {});
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
    const results = [...await Promise.allSettled([loadConsole(), loadFiles().then(loadDiff)]), ...await chartsLoaded];
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
