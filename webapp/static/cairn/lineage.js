// A lineage graph (docs/artifacts.md, "The lineage graph"): runs, artifact
// versions and registered models' versions from the lineage API, drawn left to
// right as a layered DAG in SVG (dataset -> training run -> model -> evaluation
// run, model -> registered model). Every node links to
// its page. Names come from users: they go into text nodes, never markup.
import * as cairn from "./api.js";

const el = cairn.el;
const SVG = "http://www.w3.org/2000/svg";
const NODE_W = 200;
const NODE_H = 42;
const COL_GAP = 64;
const ROW_GAP = 14;
const PAD = 8;
const MAX_LABEL = 28;
export const MAX_DEPTH = 5;
let graphs = 0;  // marker ids are unique per page

function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "text") node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c) node.append(c);
  return node;
}

const enc = encodeURIComponent;

// A version's page, from its qualified name `org/project/name:vN` (it may be
// in another project than the page's).
export function versionUrl(v) {
  const [org, project, rest] = v.qualified_name.split("/");
  const name = rest.slice(0, rest.lastIndexOf(":"));
  return `/${enc(org)}/${enc(project)}/artifacts/${enc(name)}/${enc(v.version)}`;
}

function runPageUrl(r) {
  return `/${enc(r.org)}/${enc(r.project)}/runs/${enc(r.run_id)}`;
}

function short(text) {
  return text.length > MAX_LABEL ? `${text.slice(0, MAX_LABEL - 1)}…` : text;
}

// A registered model's page (the organisation's registry).
function registryUrl(m) {
  return `/${enc(m.org)}/-/registry/${enc(m.name)}/`;
}

// What a node says and where it leads.
function describe(node) {
  if (node.kind === "run") {
    const r = node.run;
    return { label: r.name || r.run_id, sub: `run · ${r.run_id}`, href: runPageUrl(r), full: r.path };
  }
  if (node.kind === "registry") {
    const m = node.registry;
    const aliases = m.aliases.filter((x) => x !== "latest");
    return {
      label: `${m.name}:${m.version}`, sub: ["registry", ...aliases].join(" · "), href: registryUrl(m),
      full: `${m.path}:${m.version}`,
    };
  }
  const a = node.artifact;
  const aliases = a.aliases.filter((x) => x !== "latest");
  return {
    label: a.name, sub: [a.type, ...aliases].join(" · "), href: versionUrl(a), full: a.qualified_name,
  };
}

// Layers by the longest path from a source, so every edge points right; a
// cycle (a run that used what it logged) is broken at the node with the
// fewest unplaced predecessors. Then each layer is ordered by the mean
// position of its predecessors, to keep edges from crossing.
export function layout(nodes, edges) {
  const ids = nodes.map((n) => n.id);
  const preds = new Map(ids.map((id) => [id, []]));
  const succs = new Map(ids.map((id) => [id, []]));
  for (const e of edges) {
    if (!preds.has(e.source) || !preds.has(e.target)) continue;
    succs.get(e.source).push(e.target);
    preds.get(e.target).push(e.source);
  }
  const waiting = new Map(ids.map((id) => [id, preds.get(id).length]));
  const layer = new Map();
  const queue = ids.filter((id) => waiting.get(id) === 0);
  while (layer.size < ids.length) {
    if (!queue.length) {
      let best = null;
      for (const id of ids) if (!layer.has(id) && (best === null || waiting.get(id) < waiting.get(best))) best = id;
      queue.push(best);
    }
    const id = queue.shift();
    if (layer.has(id)) continue;
    let l = 0;
    for (const p of preds.get(id)) if (layer.has(p)) l = Math.max(l, layer.get(p) + 1);
    layer.set(id, l);
    for (const s of succs.get(id)) {
      waiting.set(s, waiting.get(s) - 1);
      if (waiting.get(s) === 0) queue.push(s);
    }
  }
  const columns = [];
  for (const id of ids) {
    const l = layer.get(id);
    (columns[l] = columns[l] || []).push(id);
  }
  const row = new Map();
  columns.forEach((col) => col.forEach((id, i) => row.set(id, i)));
  for (const col of columns.slice(1)) {
    const mean = (id) => {
      const ps = preds.get(id).filter((p) => layer.get(p) < layer.get(id));
      return ps.length ? ps.reduce((s, p) => s + row.get(p), 0) / ps.length : row.get(id);
    };
    const keyed = new Map(col.map((id) => [id, mean(id)]));
    col.sort((a, b) => keyed.get(a) - keyed.get(b) || (a < b ? -1 : a > b ? 1 : 0));
    col.forEach((id, i) => row.set(id, i));
  }
  const tallest = Math.max(1, ...columns.map((c) => c.length));
  const height = tallest * NODE_H + (tallest - 1) * ROW_GAP;
  const at = new Map();
  columns.forEach((col, l) => {
    const top = (height - (col.length * NODE_H + (col.length - 1) * ROW_GAP)) / 2;
    col.forEach((id, i) => at.set(id, { x: PAD + l * (NODE_W + COL_GAP), y: PAD + top + i * (NODE_H + ROW_GAP) }));
  });
  return { at, width: 2 * PAD + columns.length * NODE_W + (columns.length - 1) * COL_GAP, height: height + 2 * PAD };
}

// The SVG of one lineage answer ({root, nodes, edges}).
export function drawLineage(graph) {
  const { at, width, height } = layout(graph.nodes, graph.edges);
  const marker = `lineage-arrow-${++graphs}`;
  const root = svg("svg", {
    // A group, not an image: its nodes are links, which an image would hide (nested-interactive).
    class: "lineage", width, height, viewBox: `0 0 ${width} ${height}`, role: "group",
    "aria-label": "Lineage graph", "data-testid": "lineage-graph",
  }, svg("defs", {}, svg("marker", {
    id: marker, viewBox: "0 0 8 8", refX: 8, refY: 4, markerWidth: 8, markerHeight: 8, orient: "auto",
  }, svg("path", { d: "M0,0 L8,4 L0,8 z", class: "lineage-arrow" }))));
  const edgeLayer = svg("g", { class: "lineage-edges" });
  for (const e of graph.edges) {
    const a = at.get(e.source);
    const b = at.get(e.target);
    if (!a || !b) continue;
    const x1 = a.x + NODE_W;
    const y1 = a.y + NODE_H / 2;
    const x2 = b.x;
    const y2 = b.y + NODE_H / 2;
    const bend = Math.max(24, (x2 - x1) / 2);
    edgeLayer.append(svg("path", {
      class: `lineage-edge ${e.kind}`, d: `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`,
      "marker-end": `url(#${marker})`, "data-testid": "lineage-edge",
      "data-source": e.source, "data-target": e.target, "data-kind": e.kind,
    }, svg("title", { text: e.kind })));
  }
  const nodeLayer = svg("g", { class: "lineage-nodes" });
  for (const n of graph.nodes) {
    const p = at.get(n.id);
    const d = describe(n);
    const classes = ["lineage-node", n.kind];
    if (n.id === graph.root) classes.push("root");
    nodeLayer.append(svg("a", {
      href: d.href, class: classes.join(" "), "data-testid": "lineage-node", "data-id": n.id,
      "data-kind": n.kind, transform: `translate(${p.x},${p.y})`,
    },
    svg("title", { text: d.full }),
    svg("rect", { width: NODE_W, height: NODE_H, rx: { run: 4, registry: 0 }[n.kind] ?? 14 }),
    svg("text", { x: 10, y: 17, class: "lineage-label", text: short(d.label) }),
    svg("text", { x: 10, y: 33, class: "lineage-sub", text: short(d.sub) })));
  }
  root.append(edgeLayer, nodeLayer);
  return root;
}

// url: a lineage API URL (a version's or a run's), without a query. load()
// asks for the depth chosen (1..5) and redraws.
export function lineageGraph(url, { depth = 3 } = {}) {
  const select = el("select", { "data-testid": "lineage-depth", "aria-label": "Depth" });
  for (let d = 1; d <= MAX_DEPTH; d++) select.append(el("option", { value: String(d), text: String(d) }));
  select.value = String(depth);
  const note = el("span", { class: "muted", "data-testid": "lineage-note" });
  const canvas = el("div", { class: "lineage-canvas" });
  const box = el("div", { class: "lineage-box" },
    el("label", { class: "muted" }, "Depth ", select), " ", note, canvas);
  let asked = 0;
  async function load() {
    const mine = ++asked;
    const graph = await cairn.get(`${url}?depth=${select.value}`);
    if (mine !== asked) return;  // a later depth was chosen meanwhile
    note.textContent = graph.truncated ? "Too many nodes: the walk stopped early." : "";
    canvas.replaceChildren(drawLineage(graph));
  }
  select.addEventListener("change", () => load().catch((e) => { note.textContent = `Could not load: ${e.message}`; }));
  return { box, load };
}
