// How a value reads in a cell of the runs table: a state as its badge, tags
// as buttons that filter by the tag, dates as how long ago (the date itself
// on hover), runtimes as durations, numbers (non-finite ones arrive as
// strings) in "num" cells.
//
// Every value from a run goes into the page with textContent (cairn.el's
// `text`), never as HTML.
import * as cairn from "./api.js";
import { ago, duration, exact } from "./util.js";

const el = cairn.el;

function isNumber(v) { return typeof v === "number" || v === "NaN" || v === "Infinity" || v === "-Infinity"; }

// addFilter(clause): what a click on a tag does, with the clause that filters by it.
export function fillCell(td, col, v, addFilter) {
  td.replaceChildren();
  td.className = "";
  td.removeAttribute("title");
  if (col.id === "state") {
    td.append(el("span", { class: `state ${v}`, text: v || "" }));
  } else if (col.id === "tags") {
    for (const t of v || []) {
      td.append(el("button", { class: "tag rt-tag", type: "button", text: t, title: `Filter by tag ${t}`,
        onclick: (e) => { e.stopPropagation(); addFilter(`tags contains ${quote(t)}`); } }));
    }
  } else if (col.id === "created_at" || col.id === "finished_at") {
    td.textContent = ago(v);
    if (v) td.title = exact(v);
  } else if (col.id === "runtime") {
    td.textContent = duration(cairn.num(v));
    td.className = "num";
  } else if (col.id === "fingerprint" && v) {  // a hex SHA-256: its start tells runs apart
    td.textContent = v.slice(0, 12);
    td.title = v;
    td.className = "mono";
  } else if (isNumber(v)) {
    td.textContent = cairn.show(cairn.num(v) ?? v);
    td.className = "num";
  } else {
    const text = cairn.show(v);
    td.textContent = text;
    if (text.length > 40) td.title = text;
    if (v === null || v === undefined) td.className = "empty";
  }
}

// A string in the filter language.
function quote(s) { return '"' + String(s).replace(/\\/g, "\\\\").replace(/"/g, '\\"') + '"'; }
