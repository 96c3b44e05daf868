// The report editor: blocks added, edited, reordered and deleted in place, the
// draft autosaved a moment after each change, publication with a visibility
// and an optional freeze. Text from users only goes into value/textContent;
// previews come from the reader page, whose HTML the server sanitised.
import * as cairn from "./api.js";
import { minute, pageData } from "./util.js";

const KINDS = { line: "Line chart", bar: "Bar chart", scatter: "Scatter", parallel: "Parallel coordinates", table: "Runs table", media: "Media", importance: "Parameter importance" };
const SAVE_DELAY = 800;

const page = pageData();
const root = document.getElementById("report-editor");
let state = null;  // {title, description, blocks}
let timer = null, saving = null, dirty = false;
const keyCache = {};

const status = cairn.el("span", { class: "re-status", "data-testid": "save-status", text: "" });
const error = cairn.el("div", { class: "re-error", "data-testid": "save-error" });
const blocksBox = cairn.el("div", { class: "re-blocks" });
const versionsBox = cairn.el("div", { class: "re-versions" });
const publishedLink = cairn.el("a", { "data-testid": "published-link" });

function newId() { return "b" + Math.random().toString(36).slice(2, 10); }
function csv(text) { return text.split(",").map((s) => s.trim()).filter(Boolean); }

function changed() {
  dirty = true;
  status.textContent = "Unsaved changes";
  clearTimeout(timer);
  timer = setTimeout(save, SAVE_DELAY);
}

async function save() {
  clearTimeout(timer);
  if (saving) await saving;
  if (!dirty) return;
  dirty = false;
  status.textContent = "Saving…";
  saving = cairn.patch(page.api, { title: state.title, description: state.description, blocks: state.blocks })
    .then((r) => {
      status.textContent = dirty ? "Unsaved changes" : "Saved";
      error.textContent = "";
      showBlockErrors(r.draft.blocks);
    },
      (e) => { status.textContent = "Not saved"; error.textContent = e.message + (e.data && e.data.field ? ` (${e.data.field})` : ""); throw e; })
    .finally(() => { saving = null; });
  return saving;
}

// A panel still being set up is saved with what it lacks; say it on its card.
function showBlockErrors(blocks) {
  for (const b of blocks) {
    const card = blocksBox.querySelector(`.re-block[data-id="${CSS.escape(b.id)}"] .re-block-error`);
    if (card) card.textContent = b.error ? `Incomplete: ${b.error.message} (${b.error.field})` : "";
  }
}

async function projectKeys(project) {
  if (!keyCache[project]) {
    keyCache[project] = cairn.get(`${page.projectApi}${encodeURIComponent(project)}/keys`)
      .then((d) => d.keys.filter((k) => k.numeric).map((k) => k.key), () => []);
  }
  return keyCache[project];
}

function field(label, input) {
  return [cairn.el("label", { text: label }), input];
}

function textInput(value, onInput, attrs) {
  const input = cairn.el("input", Object.assign({ type: "text" }, attrs || {}));
  input.value = value === undefined || value === null ? "" : String(value);
  input.addEventListener("input", () => { onInput(input.value); changed(); });
  return input;
}

function panelDefaults(kind, old) {
  const p = { kind, title: old ? old.title : "", runset: old ? old.runset : { filter: "" } };
  if (kind === "line") Object.assign(p, { keys: (old && old.keys) || [], smoothing: 0, log: false });
  if (kind === "bar") p.field = (old && old.field) || "summary.";
  if (kind === "scatter") Object.assign(p, { x: "config.", y: "summary." });
  if (kind === "parallel" || kind === "table") p.fields = (old && old.fields) || [];
  if (kind === "media") Object.assign(p, { key: "", step: null });
  if (kind === "importance") Object.assign(p, { metric: (old && old.metric) || "summary.", fields: (old && old.fields) || [] });
  return p;
}

function panelEditor(block) {
  const p = block.panel;
  const grid = cairn.el("div", { class: "re-grid" });
  const kind = cairn.el("select", { "data-testid": "panel-kind" });
  for (const [k, label] of Object.entries(KINDS)) kind.append(cairn.el("option", { value: k, text: label }));
  kind.value = p.kind;
  kind.addEventListener("change", () => { block.panel = panelDefaults(kind.value, p); changed(); render(); });
  const project = cairn.el("select", { "data-testid": "runset-project" });
  for (const slug of page.projects) project.append(cairn.el("option", { value: slug, text: slug }));
  project.value = p.runset.project || page.project;
  project.addEventListener("change", () => { p.runset.project = project.value; changed(); });
  const mode = cairn.el("select", { "data-testid": "runset-mode" },
    cairn.el("option", { value: "filter", text: "Runs matching a filter" }), cairn.el("option", { value: "runs", text: "These runs" }));
  mode.value = "runs" in p.runset ? "runs" : "filter";
  const which = mode.value === "runs"
    ? textInput((p.runset.runs || []).join(", "), (v) => { p.runset.runs = csv(v); }, { placeholder: "run ids, comma-separated", "data-testid": "runset-runs" })
    : textInput(p.runset.filter || "", (v) => { p.runset.filter = v; }, { placeholder: 'e.g. state = "finished" and config.lr < 0.01', "data-testid": "runset-filter" });
  mode.addEventListener("change", () => {
    p.runset = mode.value === "runs" ? { project: p.runset.project, runs: [] } : { project: p.runset.project, filter: "" };
    changed(); render();
  });
  grid.append(...field("Chart", kind), ...field("Title", textInput(p.title, (v) => { p.title = v; }, { "data-testid": "panel-title" })),
    ...field("Runs from", project), ...field("Run set", mode), ...field("", which));
  if (p.kind === "line") {
    const list = `keys-${block.id}`;
    const datalist = cairn.el("datalist", { id: list });
    projectKeys(p.runset.project || page.project).then((keys) => keys.forEach((k) => datalist.append(cairn.el("option", { value: k }))));
    const keys = textInput(p.keys.join(", "), (v) => { p.keys = csv(v); }, { list, placeholder: "metric keys, comma-separated", "data-testid": "panel-keys" });
    const smoothing = cairn.el("input", { type: "number", min: "0", max: "0.99", step: "0.05" });
    smoothing.value = p.smoothing;
    smoothing.addEventListener("input", () => { p.smoothing = Math.min(0.99, Math.max(0, +smoothing.value || 0)); changed(); });
    const log = cairn.el("input", { type: "checkbox" });
    log.checked = p.log;
    log.addEventListener("change", () => { p.log = log.checked; changed(); });
    const outliers = cairn.el("input", { type: "checkbox", "aria-label": "Ignore outliers", "data-testid": "panel-outliers" });
    outliers.checked = !!p.ignore_outliers;
    outliers.addEventListener("change", () => { if (outliers.checked) p.ignore_outliers = true; else delete p.ignore_outliers; changed(); });
    grid.append(...field("Keys", cairn.el("div", {}, keys, datalist)), ...field("Smoothing", smoothing), ...field("Log scale", log),
      ...field("Ignore outliers", outliers));
  } else if (p.kind === "bar") {
    grid.append(...field("Field", textInput(p.field, (v) => { p.field = v; }, { placeholder: "summary.acc", "data-testid": "panel-field" })));
  } else if (p.kind === "media") {
    // The step: a number, or empty for each run's newest.
    const step = textInput(p.step === null || p.step === undefined ? "" : p.step, (v) => {
      const t = v.trim();
      p.step = t === "" ? null : (/^\d+$/.test(t) ? Number(t) : t);
    }, { placeholder: "newest", inputmode: "numeric", "data-testid": "panel-media-step" });
    grid.append(...field("Media key", textInput(p.key, (v) => { p.key = v.trim(); },
      { placeholder: "images, video, audio or histograms: e.g. samples", "data-testid": "panel-media-key" })),
      ...field("Step", step));
  } else if (p.kind === "importance") {
    grid.append(...field("Metric", textInput(p.metric, (v) => { p.metric = v; }, { placeholder: "summary.val/loss", "data-testid": "panel-metric" })),
      ...field("Parameters", textInput(p.fields.join(", "), (v) => { p.fields = csv(v); },
        { placeholder: "config.lr, config.dropout", "data-testid": "panel-fields" })));
  } else if (p.kind === "scatter") {
    grid.append(...field("x", textInput(p.x, (v) => { p.x = v; }, { placeholder: "config.lr" })),
      ...field("y", textInput(p.y, (v) => { p.y = v; }, { placeholder: "summary.acc" })));
  } else {
    grid.append(...field("Fields", textInput(p.fields.join(", "), (v) => { p.fields = csv(v); },
      { placeholder: "config.lr, summary.acc", "data-testid": "panel-fields" })));
  }
  return grid;
}

function move(i, by) {
  const j = i + by;
  if (j < 0 || j >= state.blocks.length) return;
  const [b] = state.blocks.splice(i, 1);
  state.blocks.splice(j, 0, b);
  changed(); render();
}

function render() {
  blocksBox.replaceChildren(...state.blocks.map((block, i) => {
    const head = cairn.el("div", { class: "re-block-head" },
      cairn.el("span", { text: block.type === "text" ? "Text" : KINDS[block.panel.kind] }),
      cairn.el("span", { class: "spacer" }),
      cairn.el("button", { text: "↑", title: "Move up", "data-testid": "block-up", onclick: () => move(i, -1) }),
      cairn.el("button", { text: "↓", title: "Move down", "data-testid": "block-down", onclick: () => move(i, 1) }),
      cairn.el("button", { class: "danger", text: "Delete", "data-testid": "block-delete", onclick: () => {
        state.blocks.splice(i, 1); changed(); render();
      } }));
    let body;
    if (block.type === "text") {
      body = cairn.el("textarea", { class: "re-text", placeholder: "Markdown: # headings, lists, `code`, $math$, [links](https://…)", "data-testid": "text-block" });
      body.value = block.text;
      body.addEventListener("input", () => { block.text = body.value; changed(); });
    } else {
      body = panelEditor(block);
    }
    return cairn.el("div", { class: "re-block", "data-testid": "block", dataset: { id: block.id } }, head, body,
      cairn.el("div", { class: "re-error re-block-error", text: block.error ? `Incomplete: ${block.error.message}` : "" }));
  }));
}

async function copyFromWorkspace(select) {
  const ws = await cairn.get(`${page.projectApi}${encodeURIComponent(page.project)}/workspace`);
  const panels = ws.panels.length ? ws.panels : ws.keys.filter((k) => k.numeric).map((k) => ({ key: k.key, smoothing: 0, log: false }));
  select.replaceChildren(cairn.el("option", { value: "", text: "Copy a workspace chart…" }),
    ...panels.map((p, i) => cairn.el("option", { value: String(i), text: p.key })));
  select.onchange = () => {
    const p = panels[+select.value];
    if (!p) return;
    state.blocks.push({ id: newId(), type: "panel", panel: { kind: "line", title: p.key, keys: [p.key],
      smoothing: p.smoothing || 0, log: !!p.log, runset: { filter: "" } } });
    select.value = "";
    changed(); render();
  };
}

async function loadVersions() {
  try {
    const v = await cairn.get(`${page.api}/versions`);
    versionsBox.replaceChildren(cairn.el("h3", { text: "Published versions" }), ...(v.results.length ? v.results.map((x) =>
      cairn.el("div", { "data-testid": "version", text: `v${x.number} · ${minute(x.published_at)} · ${x.published_by || ""}${x.frozen ? " · frozen" : ""}${x.current ? " · current" : ""}` }))
      : [cairn.el("div", { class: "muted", text: "Not published yet." })]));
  } catch (e) { versionsBox.textContent = e.message; }
}

function showPublished(r) {
  if (!r.published) { publishedLink.textContent = ""; return; }
  publishedLink.href = r.url;
  publishedLink.textContent = `Published v${r.published.number} (${r.visibility}) ↗`;
}

async function start() {
  const r = await cairn.get(page.api);
  state = { title: r.draft.title, description: r.draft.description, blocks: r.draft.blocks.map((b) => {
    const copy = Object.assign({}, b);
    delete copy.html;
    return copy;  // `error` stays until the next save says the panel is complete
  }) };
  const title = textInput(state.title, (v) => { state.title = v; }, { class: "re-title", "data-testid": "report-title-input", "aria-label": "Report title" });
  const desc = cairn.el("textarea", { class: "re-desc", placeholder: "Description (Markdown)", "aria-label": "Description (Markdown)" });
  desc.value = state.description;
  desc.addEventListener("input", () => { state.description = desc.value; changed(); });
  const visibility = cairn.el("select", { "data-testid": "publish-visibility", "aria-label": "Who may read the published report" },
    cairn.el("option", { value: "org", text: "Organisation" }), cairn.el("option", { value: "public", text: "Public (anyone with the link)" }));
  if (r.visibility === "public") visibility.value = "public";
  const frozen = cairn.el("input", { type: "checkbox", "data-testid": "publish-frozen" });
  const publish = cairn.el("button", { class: "primary", text: "Publish", "data-testid": "publish", onclick: async () => {
    try {
      await save();
      const out = await cairn.post(`${page.api}/publish`, { visibility: visibility.value, frozen: frozen.checked });
      status.textContent = `Published v${out.published.number}`;
      showPublished(out);
      loadVersions();
    } catch (e) { error.textContent = e.message; }
  } });
  const indexing = cairn.el("input", { type: "checkbox", "data-testid": "allow-indexing" });
  indexing.checked = !!r.allow_indexing;
  indexing.addEventListener("change", () => cairn.patch(page.api, { allow_indexing: indexing.checked })
    .then(() => { status.textContent = "Saved"; }, (e) => { error.textContent = e.message; }));
  const copy = cairn.el("select", { "data-testid": "copy-workspace", "aria-label": "Copy a workspace chart" }, cairn.el("option", { value: "", text: "Copy a workspace chart…" }));
  copy.addEventListener("focus", () => { if (copy.options.length < 2) copyFromWorkspace(copy); }, { once: true });
  copyFromWorkspace(copy).catch(() => {});
  const preview = cairn.el("a", { href: `${page.readUrl}?draft=1`, target: "_blank", text: "Preview draft ↗", "data-testid": "preview" });
  root.append(
    cairn.el("div", { class: "re-bar" }, preview, publishedLink, status),
    title, desc, error, blocksBox,
    cairn.el("div", { class: "re-add" },
      cairn.el("button", { text: "+ Text", "data-testid": "add-text", onclick: () => {
        state.blocks.push({ id: newId(), type: "text", text: "" }); changed(); render();
        const areas = blocksBox.querySelectorAll("textarea"); if (areas.length) areas[areas.length - 1].focus();
      } }),
      cairn.el("button", { text: "+ Chart", "data-testid": "add-chart", onclick: () => {
        state.blocks.push({ id: newId(), type: "panel", panel: panelDefaults("line") }); changed(); render();
      } }),
      copy),
    cairn.el("div", { class: "re-bar" }, cairn.el("span", { text: "Publish as" }), visibility,
      cairn.el("label", {}, frozen, " Freeze the data"), publish,
      cairn.el("label", { title: "Public reports only; otherwise they carry noindex" }, indexing, " Search engines may index it")),
    versionsBox);
  showPublished(r);
  render();
  loadVersions();
  window.addEventListener("beforeunload", (e) => { if (dirty || saving) { save(); e.preventDefault(); } });
}

start().catch((e) => { root.textContent = e.message; });
