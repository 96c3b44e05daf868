// The runs table of a project page: server-side filter, sort and paging, picked
// columns saved per project, groups (runs_table_groups.js), bulk edits, live
// cells, CSV export, and the selection of runs the charts show (selection.js).
//
// Every value from a run goes into the page with textContent (cairn.el's
// `text`), never as HTML.
import * as cairn from "./api.js";
import { fillCell } from "./runs_table_cells.js";
import { columnsPanel } from "./runs_table_columns.js";
import { groupedView } from "./runs_table_groups.js";
import { selection } from "./selection.js";

// initial: the first page of rows and the saved columns, in the HTML (runs-table-data).
export function mountRunsTable(root, pageData, initial) {
  const el = cairn.el;
  const tableApi = pageData.api + "/table";
  const runBase = `/${pageData.org}/${pageData.project}`;
  const canWrite = !!pageData.canWrite;
  const POLL_MS = 3000;
  const WIDTHS = { state: 86, tags: 170, created_at: 92, finished_at: 92, runtime: 84, user: 100, host: 100,
    group: 110, job_type: 100, notes: 200, id: 110 };
  // 50 rows: a page fills the scroller twice over, and a sort or filter redraws in one frame budget.
  const LIMIT = 50;

  const state = {
    filter: initial.filter || "",
    order: initial.order || "",
    groupBy: new URLSearchParams(location.search).get("group") || "",
    offset: 0,
    layout: initial.layout.slice(),
    columns: initial.page.columns, // [{id, label, source, sortable}]
    page: initial.page,
    keys: null, // {run, config, summary}: what the picker offers
    checked: new Set(),
    rowsById: new Map(), // id -> {tr, row, cells: Map(colId -> td)}
    seq: 0,
    failed: !!initial.error, // the filter was refused: no rows are shown
  };

  // --- The frame ----------------------------------------------------------------
  const filterInput = el("input", { type: "search", class: "rt-filter", name: "filter", spellcheck: "false",
    "aria-label": "Filter runs", "data-testid": "filter",
    placeholder: 'Filter, e.g. config.lr < 0.01 and state = "finished" and tags contains "baseline"' });
  filterInput.value = state.filter;
  const errorBox = el("div", { class: "rt-error error", role: "alert", "data-testid": "filter-error", hidden: "" });
  const groupSelect = el("select", { "aria-label": "Group by", class: "rt-groupby", "data-testid": "group-by",
    onchange: () => { state.groupBy = groupSelect.value; syncUrl(); reload(); } },
  el("option", { value: "", text: "No grouping" }), el("option", { value: "group", text: "Group by: group" }),
  el("option", { value: "fingerprint", text: "Group by: fingerprint" }));
  const colsButton = el("button", { type: "button", "data-testid": "columns-button", text: "Columns",
    onclick: () => columns.toggle() });
  const exportLink = el("a", { class: "button", "data-testid": "export-csv", text: "Export CSV", download: "" });
  const countText = el("span", { class: "muted rt-count", "data-testid": "run-count" });
  const bar = el("form", { class: "rt-bar", onsubmit: (e) => { e.preventDefault(); applyFilter(); } },
    filterInput, el("button", { class: "primary", type: "submit", text: "Filter" }),
    groupSelect, colsButton, exportLink, countText);

  const tagInput = el("input", { placeholder: "tag", "aria-label": "Tag", "data-testid": "bulk-tag-input", size: "12" });
  const selectedText = el("span", { "data-testid": "checked-count" });
  const compareButton = el("button", { type: "button", "data-testid": "compare-button", text: "Compare",
    onclick: () => { location.href = `${runBase}/compare/?runs=${[...state.checked].map(encodeURIComponent).join(",")}`; } });
  const actions = el("div", { class: "rt-actions", "data-testid": "bulk-actions", hidden: "" }, selectedText, compareButton);
  if (canWrite) {
    actions.append(
      tagInput,
      el("button", { type: "button", "data-testid": "bulk-tag", text: "Add tag", onclick: () => bulk("tag") }),
      el("button", { type: "button", "data-testid": "bulk-untag", text: "Remove tag", onclick: () => bulk("untag") }),
      el("button", { type: "button", class: "danger", "data-testid": "bulk-delete", text: "Delete",
        onclick: () => bulk("delete") }),
    );
  }
  actions.append(el("button", { type: "button", class: "link", text: "Clear", onclick: () => { state.checked.clear(); render(); } }));

  const chartsNote = el("span", { class: "muted rt-charts-note", "data-testid": "charts-note" });
  const followButton = el("button", { type: "button", class: "link", text: "show the first 10 again", hidden: "",
    onclick: () => { selection.reset(state.page.results); } });
  const table = el("table", { class: "grid rt", "data-testid": "runs-grid" });
  const scroller = el("div", { class: "rt-scroll" }, table);
  const prevButton = el("button", { type: "button", text: "‹ Prev", "data-testid": "prev-page", onclick: () => page(-1) });
  const nextButton = el("button", { type: "button", text: "Next ›", "data-testid": "next-page", onclick: () => page(1) });
  const pagerText = el("span", { class: "muted", "data-testid": "page-text" });
  const pager = el("div", { class: "rt-pager" }, prevButton, pagerText, nextButton, el("span", { class: "spacer" }),
    chartsNote, followButton);
  const columns = columnsPanel({ state, tableApi, canWrite, loadKeys, reload, showError });
  root.append(bar, errorBox, columns.el, actions, scroller, pager);

  // --- Rendering ----------------------------------------------------------------
  function headerRow(sortable) {
    const tr = el("tr");
    const all = el("input", { type: "checkbox", "aria-label": "Check all on this page", "data-testid": "check-all",
      onchange: () => {
        for (const r of state.page.results) all.checked ? state.checked.add(r.id) : state.checked.delete(r.id);
        render();
      } });
    const ids = state.page.results.map((r) => r.id);
    all.checked = ids.length > 0 && ids.every((id) => state.checked.has(id));
    tr.append(el("th", { class: "rt-check" }, all), el("th", { class: "rt-eye", title: "Shown in charts", text: "◉" }));
    const { key: sortKey, desc } = parseOrder();
    const cols = [{ id: "name", label: "Name", sortable: true }, ...state.columns];
    for (const col of cols) {
      const th = el("th", { "data-col": col.id, title: col.id });
      if (col.source === "summary" || col.id === "runtime") th.classList.add("num");
      th.append(el("span", { text: col.label }));
      if (sortable && col.sortable) {
        th.classList.add("sortable");
        if (sortKey === col.id) th.append(el("span", { class: "rt-sort", text: desc ? " ▼" : " ▲" }));
        th.addEventListener("click", () => sortBy(col.id));
      }
      tr.append(th);
    }
    return tr;
  }

  function runRow(row, extraClass, columns) {
    const cols = columns || state.columns;
    const tr = el("tr", { "data-run": row.id, class: extraClass || "" });
    const box = el("input", { type: "checkbox", "aria-label": "Check run", class: "rt-box",
      onchange: () => { box.checked ? state.checked.add(row.id) : state.checked.delete(row.id); updateActions(); } });
    box.checked = state.checked.has(row.id);
    const eye = el("button", { type: "button", class: "rt-eyebtn", "aria-label": "Show in charts",
      "data-testid": "show-in-charts", onclick: () => selection.toggle(row) });
    tr.append(el("td", { class: "rt-check" }, box), el("td", { class: "rt-eye" }, eye));
    const link = el("a", { href: `${runBase}/runs/${encodeURIComponent(row.id)}`, text: row.name || row.id, class: "rt-name" });
    if (row.name && row.name.length > 40) link.title = row.name;
    const nameCell = el("td", { class: "rt-namecell" }, link);
    if (row.duplicate_of) {  // the same experiment fingerprint as a finished run: this one repeats it
      nameCell.append(" ", el("a", { class: "rt-dup", "data-testid": "duplicate-flag", text: "duplicate",
        href: `${runBase}/runs/${encodeURIComponent(row.duplicate_of)}`,
        title: `Same experiment fingerprint as finished run ${row.duplicate_of}` }));
    }
    tr.append(nameCell);
    const cells = new Map();
    for (const col of cols) {
      const td = el("td");
      fillCell(td, col, row.values[col.id], addFilter);
      cells.set(col.id, td);
      tr.append(td);
    }
    state.rowsById.set(row.id, { tr, row, cells, eye });
    paintEye(row.id);
    return tr;
  }

  function paintEye(id) {
    const entry = state.rowsById.get(id);
    if (!entry) return;
    const color = selection.colorOf(id);
    entry.eye.classList.toggle("on", !!color);
    entry.eye.style.setProperty("--run-color", color || "transparent");
    entry.eye.setAttribute("aria-pressed", color ? "true" : "false");
  }

  function render() {
    state.rowsById.clear();
    const isGrouped = !!state.groupBy && state.groups;
    const thead = el("thead", {}, isGrouped ? grouped.header() : headerRow(true));
    // Fixed column widths: the browser lays 100 rows out without measuring
    // every cell, and columns do not jump when a sort brings other values.
    const widths = [30, 26, ...(isGrouped ? [220, 90, ...state.groups.metrics.map(() => 200)]
      : [220, ...state.columns.map((c) => WIDTHS[c.id] || 110)])];
    const colgroup = el("colgroup", {}, ...widths.map(colOfWidth));
    const body = el("tbody");
    const frag = document.createDocumentFragment();
    if (isGrouped) {
      frag.append(...grouped.rows());
      if (!state.groups.groups.length) frag.append(emptyRow("No runs match."));
    } else {
      for (const r of state.page.results) frag.append(runRow(r));
      if (!state.page.results.length) {
        frag.append(emptyRow(state.failed ? "No runs shown: the filter above has an error."
          : state.filter ? "No runs match the filter." : "No runs yet."));
      }
    }
    body.append(frag);
    table.replaceChildren(colgroup, thead, body);
    const count = isGrouped ? state.groups.groups.reduce((n, g) => n + g.count, 0) : state.page.count;
    countText.textContent = state.failed ? "" : `${count.toLocaleString()} run${count === 1 ? "" : "s"}`;
    const from = state.page.count ? state.offset + 1 : 0;
    const to = Math.min(state.offset + LIMIT, state.page.count);
    pagerText.textContent = isGrouped ? `${state.groups.groups.length} groups` : `${from}–${to} of ${state.page.count.toLocaleString()}`;
    prevButton.hidden = nextButton.hidden = !!isGrouped;
    prevButton.disabled = state.offset === 0;
    nextButton.disabled = state.offset + LIMIT >= state.page.count;
    exportLink.href = `${tableApi}/export.csv?` + new URLSearchParams({ filter: state.filter, order: state.order,
      columns: state.layout.join(",") });
    updateActions();
    updateChartsNote();
  }

  // Through the CSSOM, not a style attribute: a Content-Security-Policy
  // without 'unsafe-inline' for styles blocks the attribute but allows this.
  function colOfWidth(w) {
    const col = el("col");
    col.style.width = `${w}px`;
    return col;
  }

  function emptyRow(text) {
    const span = state.groups && state.groupBy ? state.groups.metrics.length + 4 : state.columns.length + 3;
    return el("tr", {}, el("td", { colspan: String(span), class: "muted rt-empty", text }));
  }

  function updateActions() {
    const n = state.checked.size;
    actions.hidden = n === 0;
    selectedText.textContent = `${n} checked`;
    compareButton.disabled = n < 2;
  }

  function updateChartsNote() {
    const n = selection.get().length;
    chartsNote.textContent = selection.manual ? `Charts show ${n} picked run${n === 1 ? "" : "s"}` :
      `Charts show the first ${n} runs`;
    followButton.hidden = !selection.manual;
  }

  selection.addEventListener("change", () => {
    for (const id of state.rowsById.keys()) paintEye(id);
    updateChartsNote();
  });

  // --- Groups -------------------------------------------------------------------
  function summaryColumns() { return state.columns.filter((c) => c.source === "summary"); }
  const grouped = groupedView({ state, tableApi, pageData, runRow, redraw: () => render(), showError,
    byLabel: () => (groupSelect.selectedOptions[0] ? groupSelect.selectedOptions[0].textContent.replace(/^Group by: /, "")
      : state.groupBy) });

  // --- Loading ------------------------------------------------------------------
  function showError(err) {
    if (!err) { errorBox.hidden = true; errorBox.textContent = ""; return; }
    errorBox.hidden = false;
    errorBox.textContent = err.field ? `${err.field}: ${err.error}` : err.error;
  }

  async function reload() {
    const seq = ++state.seq;
    const params = { filter: state.filter, order: state.order, limit: String(LIMIT), offset: String(state.offset),
      columns: state.layout.join(",") };
    root.classList.add("loading");
    try {
      if (state.groupBy) {
        const [loaded, page] = await Promise.all([
          grouped.load(summaryColumns().map((c) => c.id).join(",")),
          cairn.get(`${tableApi}/rows?` + new URLSearchParams(params)),
        ]);
        if (seq !== state.seq) return;
        grouped.apply(loaded);
        state.page = page;
      } else {
        const page = await cairn.get(`${tableApi}/rows?` + new URLSearchParams(params));
        if (seq !== state.seq) return;
        state.groups = null;
        state.page = page;
      }
      state.columns = state.page.columns;
      state.failed = false;
      showError(null);
      render();
      if (state.offset === 0) selection.follow(state.page.results);
      selection.setGroups(chartGroups());
    } catch (err) {
      if (seq !== state.seq) return;
      showError(err.data && err.data.error ? err.data : { error: err.message });
      // No rows of an earlier filter under the error: they would read as its answer.
      state.page = { ...state.page, results: [], count: 0 };
      state.groups = null;
      selection.setGroups(null);
      state.failed = true;
      render();
    } finally {
      if (seq === state.seq) root.classList.remove("loading");
    }
  }

  // What the charts draw as groups: the largest ten, each with the filter that reads its runs.
  function chartGroups() {
    if (!state.groupBy || !state.groups) return null;
    return state.groups.groups.filter((g) => g.filter).slice(0, 10).map((g) => ({
      name: g.value === null || g.value === undefined ? "(none)" : String(g.value),
      filter: state.filter.trim() ? `(${state.filter}) and ${g.filter}` : g.filter,
    }));
  }

  function syncUrl() {
    const p = new URLSearchParams(location.search);
    for (const [k, v] of [["filter", state.filter], ["order", state.order], ["group", state.groupBy]]) {
      if (v) p.set(k, v); else p.delete(k);
    }
    const q = p.toString();
    history.replaceState(null, "", location.pathname + (q ? "?" + q : ""));
  }

  function applyFilter() {
    state.filter = filterInput.value.trim();
    state.offset = 0;
    syncUrl();
    reload();
  }
  function addFilter(clause) {
    filterInput.value = filterInput.value.trim() ? `${filterInput.value.trim()} and ${clause}` : clause;
    applyFilter();
  }

  function parseOrder() {
    const o = state.order.trim();
    return o.startsWith("-") ? { key: o.slice(1), desc: true } : { key: o, desc: false };
  }
  function sortBy(id) {
    const { key, desc } = parseOrder();
    // Ascending, then descending, then the default (newest first).
    state.order = key !== id ? id : !desc ? "-" + id : "";
    state.offset = 0;
    syncUrl();
    reload();
  }
  function page(dir) {
    state.offset = Math.max(0, state.offset + dir * LIMIT);
    reload().then(() => scroller.scrollTo(0, 0));
  }

  async function bulk(action) {
    const runs = [...state.checked];
    if (!runs.length) return;
    const body = { action, runs };
    if (action !== "delete") {
      const tag = tagInput.value.trim();
      if (!tag) { tagInput.focus(); return; }
      body.tags = [tag];
    } else if (!confirm(`Delete ${runs.length} run${runs.length === 1 ? "" : "s"} and all their data?`)) {
      return;
    }
    try {
      await cairn.post(`${tableApi}/bulk`, body);
      if (action === "delete") state.checked.clear();
      showError(null);
      await reload();
    } catch (err) {
      showError({ error: err.message });
    }
  }

  // --- Live cells ---------------------------------------------------------------
  const LIVE = new Set(["state", "runtime", "finished_at"]);
  let groupTicks = 0;
  async function poll() {
    if (document.hidden) return;
    // Grouped, every other tick: the groups' statistics read every run the filter selects.
    if (state.groupBy) { if (++groupTicks % 2 === 0) pollGroups(); return; }
    if (!state.rowsById.size) return;
    const ids = [...state.rowsById.keys()];
    const seq = state.seq;
    // On the first page, runs started since (or newly matching the filter)
    // join the table: ask for the page itself, not just its rows' ids.
    const firstPage = state.offset === 0;
    const params = firstPage
      ? { filter: state.filter, order: state.order, limit: String(LIMIT), offset: "0", columns: state.layout.join(",") }
      : { ids: ids.join(","), columns: state.layout.join(",") };
    let data;
    try {
      data = await cairn.get(`${tableApi}/rows?` + new URLSearchParams(params));
    } catch {
      return; // the next poll tries again
    }
    if (seq !== state.seq) return;
    if (firstPage && (data.count !== state.page.count || data.results.map((r) => r.id).join() !== ids.join())) {
      state.page = data;
      state.columns = data.columns;
      render();
      selection.follow(data.results);
      return;
    }
    for (const row of data.results) {
      const entry = state.rowsById.get(row.id);
      if (!entry) continue;
      for (const col of state.columns) {
        if (!(LIVE.has(col.id) || col.source === "summary")) continue;
        const before = JSON.stringify(entry.row.values[col.id]);
        if (before === JSON.stringify(row.values[col.id])) continue;
        const td = entry.cells.get(col.id);
        if (td) fillCell(td, col, row.values[col.id], addFilter);
      }
      entry.row = row;
      entry.tr.dataset.state = row.state;
    }
  }
  // Grouped: the groups' counts and statistics, and the open groups' runs, redrawn when they change.
  let groupsPolling = false;  // one at a time: a slow read is not overtaken by the next
  async function pollGroups() {
    if (!state.groups || groupsPolling) return;
    const seq = state.seq;
    let loaded;
    groupsPolling = true;
    try {
      loaded = await grouped.load(summaryColumns().map((c) => c.id).join(","));
    } catch {
      return; // the next poll tries again
    } finally {
      groupsPolling = false;
    }
    if (seq !== state.seq || !state.groupBy || grouped.same(loaded)) return;
    grouped.apply(loaded);
    render();
  }
  setInterval(poll, POLL_MS);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) poll(); });

  // --- Keys: what the columns panel offers, and what to group by ------------------
  async function loadKeys() {
    if (state.keys) return state.keys;
    state.keys = await cairn.get(`${tableApi}/keys`);
    const have = new Set([...groupSelect.options].map((o) => o.value));
    for (const k of state.keys.config) {
      if (!have.has(k.id)) groupSelect.append(el("option", { value: k.id, text: `Group by: ${k.label}` }));
    }
    groupSelect.value = state.groupBy;
    return state.keys;
  }

  // --- Start --------------------------------------------------------------------
  render();
  if (initial.error) showError(initial.error);
  selection.follow(state.page.results);
  if (state.groupBy) loadKeys().then(reload, () => reload());
  else setTimeout(() => loadKeys().catch(() => {}), 0);
}
