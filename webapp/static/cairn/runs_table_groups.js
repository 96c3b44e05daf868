// The runs table grouped (by `group`, the experiment fingerprint or a config key): a row per group with
// its number of runs and each metric's mean (min – max), a link to the page of
// a `group`, and groups expanded to their runs, fetched a page at a time with
// the table's filter and order. Which groups are open, and how many of their
// runs are shown, lasts across reloads and live refreshes.
//
// Every value from a run goes into the page with textContent (cairn.el's
// `text`), never as HTML.
import * as cairn from "./api.js";
import { groupUrl } from "./util.js";

const el = cairn.el;
const PAGE = 50;

// state: the table's ({filter, order, groupBy, groups}); runRow(row, class, columns):
// the table's row of a run; redraw(): the table's render; byLabel(): what the groups are by.
export function groupedView({ state, tableApi, pageData, runRow, redraw, byLabel, showError }) {
  // An open group's filter -> {rows, count}: what it shows, kept so a redraw needs no fetch.
  let open = new Map();
  const pending = new Set();

  function columns() { return [{ id: "state" }, ...state.groups.metrics]; }

  // metrics: the summary column ids the groups show, comma-separated.
  function runsOf(key, offset, limit, metrics) {
    const filter = state.filter.trim() ? `(${state.filter}) and ${key}` : key;
    return cairn.get(`${tableApi}/rows?` + new URLSearchParams({ filter, order: state.order,
      columns: metrics ? `state,${metrics}` : "state", limit: String(limit), offset: String(offset) }));
  }

  // The groups, and the runs of each open group (as many as it shows), read at once.
  async function load(metrics) {
    const groupsRead = cairn.get(`${tableApi}/groups?` + new URLSearchParams({ by: state.groupBy, filter: state.filter, metrics }));
    const wasOpen = [...open.entries()];
    const runs = await Promise.all(wasOpen.map(([key, entry]) =>
      runsOf(key, 0, Math.max(PAGE, entry.rows.length), metrics).catch(() => null)));
    const read = new Map();
    wasOpen.forEach(([key], i) => { if (runs[i]) read.set(key, { rows: runs[i].results, count: runs[i].count }); });
    return { groups: await groupsRead, read };
  }

  // What a load shows: the groups open now (someone may have opened or closed
  // one meanwhile) that are still there, with the runs read for them, unless
  // "more" was pressed meanwhile and the page shows more already.
  function merged(loaded) {
    const present = new Set(loaded.groups.groups.map((g) => g.filter));
    const next = new Map();
    for (const [key, shown] of open) {
      if (!present.has(key)) continue;
      const read = loaded.read.get(key);
      next.set(key, read && (read.rows.length >= shown.rows.length || read.rows.length === read.count) ? read : shown);
    }
    return next;
  }

  // Whether a load shows what is on the page already: a live refresh then leaves the page alone.
  function same(loaded) {
    return JSON.stringify(loaded.groups) === JSON.stringify(state.groups)
      && JSON.stringify([...merged(loaded)]) === JSON.stringify([...open]);
  }

  function apply(loaded) {
    open = merged(loaded);
    state.groups = loaded.groups;
  }

  async function toggle(g) {
    const key = g.filter;
    if (!key || pending.has(key)) return;
    if (open.has(key)) {
      open.delete(key);
      redraw();
      return;
    }
    await more(key, true);
  }

  // The next page of an open group's runs (the first, for one opening).
  async function more(key, opening) {
    const before = opening ? { rows: [], count: 0 } : open.get(key);
    if (!before) return;
    const seq = state.seq;
    pending.add(key);
    try {
      const data = await runsOf(key, before.rows.length, PAGE, state.groups.metrics.map((m) => m.id).join(","));
      if (seq !== state.seq || (!opening && open.get(key) !== before)) return;  // a reload came between
      open.set(key, { rows: [...before.rows, ...data.results], count: data.count });
      redraw();
    } catch (err) {
      showError({ error: err.message });
    } finally {
      pending.delete(key);
    }
  }

  function header() {
    const tr = el("tr", {}, el("th", { class: "rt-check" }), el("th", { class: "rt-eye" }),
      el("th", { text: byLabel() }), el("th", { text: "Runs" }));
    for (const m of state.groups.metrics) tr.append(el("th", { class: "num", text: m.label, title: "mean (min – max)" }));
    return tr;
  }

  function groupRow(g) {
    const label = g.value === null ? "(none)" : state.groups.by === "fingerprint" ? g.value.slice(0, 12) : cairn.show(g.value);
    const entry = g.filter ? open.get(g.filter) : null;
    const toggleButton = el("button", { type: "button", class: "link rt-expand", text: entry ? "▾" : "▸",
      "aria-label": entry ? "Collapse group" : "Expand group", "aria-expanded": entry ? "true" : "false" });
    if (!g.filter) toggleButton.disabled = true;
    const name = el("td", { class: "rt-group-name", text: label });
    const page = state.groups.by === "group" && g.value !== null ? groupUrl(pageData.org, pageData.project, g.value) : null;
    if (page) {
      name.append(el("a", { href: page, class: "rt-group-link", text: "group page ›", "data-testid": "group-page-link",
        title: `The charts of ${label}, aggregated across its runs` }));
    }
    const tr = el("tr", { class: "rt-group", "data-group": label }, el("td", { class: "rt-check" }, toggleButton),
      el("td"), name, el("td", { class: "num", text: String(g.count), "data-testid": "group-count" }));
    if (entry) tr.classList.add("open");
    for (const m of state.groups.metrics) {
      const s = g.metrics[m.id];
      const td = el("td", { class: "num rt-stat", "data-metric": m.id });
      if (s && s.n) {
        td.append(el("span", { class: "rt-mean", text: cairn.show(cairn.num(s.mean)) }),
          el("span", { class: "muted rt-range", text: ` (${cairn.show(cairn.num(s.min))} – ${cairn.show(cairn.num(s.max))})` }));
        td.dataset.mean = String(s.mean);
        td.dataset.min = String(s.min);
        td.dataset.max = String(s.max);
      }
      tr.append(td);
    }
    tr.addEventListener("click", (e) => { if (!(e.target instanceof HTMLAnchorElement)) toggle(g); });
    if (!entry) return [tr];
    // Group rows span only the metric columns; the runs inside use the same shape.
    const rows = [tr, ...entry.rows.map((r) => runRow(r, "rt-inner", columns()))];
    const left = entry.count - entry.rows.length;
    if (left > 0) {
      const button = el("button", { type: "button", class: "link", "data-testid": "group-more",
        text: `Show ${Math.min(left, PAGE)} more of the ${left.toLocaleString()} not shown`, onclick: () => more(g.filter, false) });
      rows.push(el("tr", { class: "rt-more" }, el("td", { colspan: String(state.groups.metrics.length + 4) }, button)));
    }
    return rows;
  }

  function rows() { return state.groups.groups.flatMap(groupRow); }

  return { load, same, apply, header, rows };
}
