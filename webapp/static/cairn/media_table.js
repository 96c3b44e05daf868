// A table item: the logged table's rows, sortable by a column and filtered by
// their text, the first TABLE_ROWS shown; image cells show their thumbnails.
import * as cairn from "./api.js";
import { captionOf, failedBox, fetchJson, runPath } from "./media_common.js";
import { fileUrl } from "./util.js";

const el = cairn.el;
const TABLE_ROWS = 500;

function cellText(v) {
  if (v === null || v === undefined) return "";
  if (typeof v === "object") return v._type ? `[${v._type}] ${v.caption || v.path || ""}` : JSON.stringify(v);
  return cairn.show(v);
}

// cells: what the pipeline made of each image cell, by path ({thumbnail_url, status, error}).
function tableView(doc, base, cells) {
  const columns = Array.isArray(doc.columns) ? doc.columns.map(String) : [];
  const rows = Array.isArray(doc.data) ? doc.data.filter(Array.isArray) : [];
  const search = rows.map((r) => r.map(cellText).join("\u0001").toLowerCase());
  const filter = el("input", { type: "search", placeholder: "Filter rows", class: "media-table-filter", "data-testid": "media-table-filter", "aria-label": "Filter rows" });
  const count = el("span", { class: "muted", "data-testid": "media-table-count" });
  const table = el("table", { class: "grid media-table", "data-testid": "media-table" });
  let sortCol = -1, sortDir = 1;
  function cmp(a, b) {
    const an = typeof a === "number", bn = typeof b === "number";
    if (a === null || a === undefined) return b === null || b === undefined ? 0 : 1;
    if (b === null || b === undefined) return -1;
    if (an && bn) return a - b;
    if (an !== bn) return an ? -1 : 1;
    return cellText(a).localeCompare(cellText(b), undefined, { numeric: true });
  }
  function cell(v) {
    if (v && typeof v === "object" && v._type === "image" && runPath(v.path)) {
      const got = Object.prototype.hasOwnProperty.call(cells, v.path) ? cells[v.path] : null;
      if (got && got.status === "failed") {
        return el("td", {}, el("span", { class: "error media-cell-error", "data-testid": "media-cell-error", text: got.error || "Refused." }));
      }
      // The thumbnail once the worker made it; a pending cell shows its file meanwhile.
      const src = got && got.thumbnail_url ? got.thumbnail_url : fileUrl(base, v.path);
      return el("td", {}, el("img", { src, loading: "lazy", alt: v.caption ? String(v.caption) : "", class: "media-cell-img", "data-testid": "media-cell-img" }));
    }
    return el("td", { text: cellText(v) });
  }
  function render() {
    const q = filter.value.trim().toLowerCase();
    let idx = rows.map((_, i) => i).filter((i) => !q || search[i].includes(q));
    if (sortCol >= 0) idx.sort((a, b) => sortDir * cmp(rows[a][sortCol], rows[b][sortCol]) || a - b);
    const shown = idx.slice(0, TABLE_ROWS);
    count.textContent = `${idx.length} of ${rows.length} rows` + (idx.length > shown.length ? ` (first ${shown.length} shown)` : "");
    const head = el("tr", {}, ...columns.map((c, i) => el("th", {
      text: c + (i === sortCol ? (sortDir > 0 ? " ▲" : " ▼") : ""), "data-col": String(i), title: "Sort",
      onclick: () => { if (sortCol === i) sortDir = -sortDir; else { sortCol = i; sortDir = 1; } render(); },
    })));
    table.replaceChildren(el("thead", {}, head), el("tbody", {}, ...shown.map((i) => el("tr", {}, ...columns.map((_, c) => cell(rows[i][c]))))));
  }
  filter.addEventListener("input", render);
  render();
  return el("div", { class: "media-table-view" }, el("div", { class: "row" }, filter, count), el("div", { class: "media-table-scroll" }, table));
}

export function tableItem(m, base) {
  const fig = el("figure", { class: "media-item media-tablebox", "data-testid": "media-item", dataset: { status: m.status } });
  if (m.status === "failed") { fig.append(failedBox(m)); return fig; }
  const body = el("div", {}, el("p", { class: "muted", text: "Loading…" }));
  fig.append(body, captionOf(m) || "");
  fetchJson(m.file_url).then((doc) => body.replaceChildren(tableView(doc || {}, base, m.cells || {})))
    .catch((e) => body.replaceChildren(el("p", { class: "error", text: `Could not load the table: ${e.message}` })));
  return fig;
}
