// A shared run's system metrics (docs/protocol.md, Writers): each writer's are
// stored under its label (`rank-3/cpu.percent`), so each writer gets a group
// of its own, titled with its label and host, that opens and closes. Only the
// first group is open at first, and a group's charts are made when it is first
// opened: a run on 64 hosts would otherwise build some 800 charts on load.
import * as cairn from "./api.js";
import { runChartGrid } from "./run_charts.js";
import { naturalCompare, writerName } from "./util.js";

const el = cairn.el;

// The writer a key belongs to: the label before its first "/", "" for a key
// of no writer (one logged by a process that did not join the run as shared).
function labelOf(key) {
  const i = key.indexOf("/");
  return i < 0 ? "" : key.slice(0, i);
}

// api: the project's API root; runId; name(): the run's name for the charts' legends.
export function sharedSystem({ api, runId, name }) {
  const box = el("div", { class: "sys-groups", "data-testid": "system-groups" });
  const groups = new Map();  // label → group

  function group(label) {
    const cut = label ? label.length + 1 : 0;
    const g = {
      label,
      keys: [],
      loading: null,
      grid: runChartGrid({ api, runId, stream: "system", testid: "system-charts", name, title: (k) => k.slice(cut) }),
      title: el("span", { class: "sys-group-title", text: label || "Not per writer" }),
      count: el("span", { class: "muted" }),
    };
    g.details = el("details", { class: "sys-group", "data-testid": "system-group", dataset: { writer: label } },
      el("summary", {}, g.title, g.count), g.grid.grid);
    g.details.addEventListener("toggle", () => {
      if (g.details.open) draw(g).catch((e) => console.error(e));
    });
    return g;
  }

  // One read at a time for a group: opening it while a refresh reads it asks once.
  function draw(g) {
    if (!g.loading) g.loading = g.grid.load(g.keys).finally(() => { g.loading = null; });
    return g.loading;
  }

  // writers: the run's writers (or a promise of them), for the groups' titles;
  // keys: the run's system keys as the keys API gives them, read if not given.
  // Draws the open groups; resolves with the number of groups.
  async function load(writers, keys = null) {
    if (!keys) keys = (await cairn.get(`${api}/keys?${new URLSearchParams({ runs: runId, stream: "system" })}`)).keys;
    const byLabel = new Map();
    for (const k of keys) {
      if (!k.numeric) continue;
      const label = labelOf(k.key);
      if (!byLabel.has(label)) byLabel.set(label, []);
      byLabel.get(label).push(k.key);
    }
    const first = groups.size === 0;
    let added = false;
    for (const [label, list] of byLabel) {
      if (!groups.has(label)) { groups.set(label, group(label)); added = true; }
      groups.get(label).keys = list;
    }
    for (const g of groups.values()) g.count.textContent = ` ${g.keys.length} ${g.keys.length === 1 ? "chart" : "charts"}`;
    if (added) {
      // In label order, unprefixed keys last; a group that joins later goes in its place, closed.
      const sorted = [...groups.values()].sort((a, b) => (a.label === "") - (b.label === "") || naturalCompare(a.label, b.label));
      box.replaceChildren(...sorted.map((g) => g.details));
      if (first) sorted[0].details.open = true;
    }
    // The open groups' charts need nothing from the writers: asked for before their titles are known.
    const drawn = Promise.all([...groups.values()].filter((g) => g.details.open).map(draw));
    const ws = await Promise.resolve(writers).catch(() => null);  // the overview says if they could not be read
    const hosts = new Map((ws || []).map((w) => [writerName(w), w.host]));
    for (const g of groups.values()) {
      const host = hosts.get(g.label);
      if (g.label) g.title.textContent = host ? `${g.label} · ${host}` : g.label;
    }
    await drawn;
    return groups.size;
  }

  return { box, load };
}
