// The runs the project page's charts show, shared by the runs table (which
// toggles runs and feeds it its rows) and the charts and media workspaces
// (which listen for `change`). Until someone toggles a run, it follows the
// first 10 rows of the table. Each run's colour comes from its id (util.js
// hashColor), so sorting the table or loading it again does not repaint the
// charts. While the table is grouped, `groups` names its groups (the charts
// then draw each as its mean and min-max band).
import { hashColor } from "./util.js";

const DEFAULT_COUNT = 10;
class Selection extends EventTarget {
  constructor() {
    super();
    this.runs = new Map(); // id -> {id, name, color}, in selection order
    this.manual = false;
    this.groups = null; // [{name, filter}] while the table is grouped
  }
  get() { return [...this.runs.values()].map((r) => ({ ...r })); }
  has(id) { return this.runs.has(id); }
  colorOf(id) { const r = this.runs.get(id); return r ? r.color : null; }
  // A run keeps its colour while selected; a new one takes its own, or the next free one.
  _color(id) {
    return hashColor(id, new Set([...this.runs.values()].map((r) => r.color)));
  }
  _changed() { this.dispatchEvent(new Event("change")); }
  toggle(run) {
    this.manual = true;
    if (this.runs.has(run.id)) this.runs.delete(run.id);
    else this.runs.set(run.id, { id: run.id, name: run.name || run.id, color: this._color(run.id) });
    this._changed();
  }
  // The default: the first rows of the table's current order.
  follow(rows) {
    if (this.manual) return;
    const top = rows.slice(0, DEFAULT_COUNT);
    if (top.length === this.runs.size && top.every((r) => this.runs.has(r.id))) return;
    const used = new Set(top.filter((r) => this.runs.has(r.id)).map((r) => this.runs.get(r.id).color));
    // New runs take their colours in the order of their ids, not the table's: the same set, the same colours.
    const fresh = new Map();
    for (const r of [...top].filter((r) => !this.runs.has(r.id)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
      const color = hashColor(r.id, used);
      used.add(color);
      fresh.set(r.id, { id: r.id, name: r.name || r.id, color });
    }
    this.runs = new Map(top.map((r) => [r.id, this.runs.get(r.id) || fresh.get(r.id)]));
    this._changed();
  }
  // The table's groups (null: not grouped); a change only when they differ.
  setGroups(groups) {
    if (JSON.stringify(groups) === JSON.stringify(this.groups)) return;
    this.groups = groups;
    this._changed();
  }
  reset(rows) { this.manual = false; this.runs = new Map(); this.follow(rows); }
}

export const selection = new Selection();
