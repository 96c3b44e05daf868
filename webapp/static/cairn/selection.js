// The runs the project page's charts show, shared by the runs table (which
// toggles runs and feeds it its rows) and the charts and media workspaces
// (which listen for `change`). Until someone toggles a run, it follows the
// first 10 rows of the table.
import { PALETTE } from "./util.js";

const DEFAULT_COUNT = 10;
class Selection extends EventTarget {
  constructor() {
    super();
    this.runs = new Map(); // id -> {id, name, color}, in selection order
    this.manual = false;
  }
  get() { return [...this.runs.values()].map((r) => ({ ...r })); }
  has(id) { return this.runs.has(id); }
  colorOf(id) { const r = this.runs.get(id); return r ? r.color : null; }
  // A run keeps its colour while selected; a new one takes the first free colour.
  _color() {
    const used = new Set([...this.runs.values()].map((r) => r.color));
    return PALETTE.find((c) => !used.has(c)) || PALETTE[this.runs.size % PALETTE.length];
  }
  _changed() { this.dispatchEvent(new Event("change")); }
  toggle(run) {
    this.manual = true;
    if (this.runs.has(run.id)) this.runs.delete(run.id);
    else this.runs.set(run.id, { id: run.id, name: run.name || run.id, color: this._color() });
    this._changed();
  }
  // The default: the first rows of the table's current order.
  follow(rows) {
    if (this.manual) return;
    const top = rows.slice(0, DEFAULT_COUNT);
    if (top.length === this.runs.size && top.every((r) => this.runs.has(r.id))) return;
    const used = new Set(top.filter((r) => this.runs.has(r.id)).map((r) => this.runs.get(r.id).color));
    const next = new Map();
    for (const r of top) {
      let entry = this.runs.get(r.id);
      if (!entry) {
        const color = PALETTE.find((c) => !used.has(c)) || PALETTE[next.size % PALETTE.length];
        used.add(color);
        entry = { id: r.id, name: r.name || r.id, color };
      }
      next.set(r.id, entry);
    }
    this.runs = next;
    this._changed();
  }
  reset(rows) { this.manual = false; this.runs = new Map(); this.follow(rows); }
}

export const selection = new Selection();
