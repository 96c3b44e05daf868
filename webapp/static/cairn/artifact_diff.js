// Two versions of an artifact side by side (docs/artifacts.md, "Diffing two
// versions"): files added, removed and changed, the size change, and the
// metadata keys that differ. A Cairn addition: W&B has no diff. Paths, keys
// and values come from users: text only.
import * as cairn from "./api.js";
import { fileSize } from "./util.js";

const el = cairn.el;

function signed(n) {
  return n > 0 ? `+${fileSize(n)}` : n < 0 ? `−${fileSize(-n)}` : "±0 B";
}

function filesTable(files) {
  const body = el("tbody");
  const row = (change, path, sizeText, digestText) => body.append(el("tr", { class: `diff-${change}`, "data-change": change },
    el("td", { text: change }), el("td", { class: "mono", text: path }), el("td", { text: sizeText }),
    el("td", { class: "mono", text: digestText })));
  for (const f of files.added) row("added", f.path, fileSize(f.size), f.digest.slice(0, 12));
  for (const f of files.removed) row("removed", f.path, fileSize(f.size), f.digest.slice(0, 12));
  for (const f of files.changed) {
    row("changed", f.path, `${fileSize(f.old_size)} → ${fileSize(f.new_size)}`,
      `${f.old_digest.slice(0, 12)} → ${f.new_digest.slice(0, 12)}`);
  }
  if (!body.children.length) body.append(el("tr", {}, el("td", { colspan: "4", class: "muted", text: "The same files." })));
  return el("table", { class: "grid", "data-testid": "diff-files" },
    el("thead", {}, el("tr", {}, el("th", { text: "Change" }), el("th", { text: "Path" }), el("th", { text: "Size" }),
      el("th", { text: "SHA-256" }))), body);
}

function metadataTable(meta) {
  const body = el("tbody");
  const row = (change, key, before, after) => body.append(el("tr", { class: `diff-${change}`, "data-change": change },
    el("td", { text: change }), el("td", { class: "mono", text: key }),
    el("td", { class: "mono", text: before }), el("td", { class: "mono", text: after })));
  const text = (v) => JSON.stringify(v);
  for (const [k, v] of Object.entries(meta.added)) row("added", k, "", text(v));
  for (const [k, v] of Object.entries(meta.removed)) row("removed", k, text(v), "");
  for (const [k, v] of Object.entries(meta.changed)) row("changed", k, text(v.old), text(v.new));
  if (!body.children.length) body.append(el("tr", {}, el("td", { colspan: "4", class: "muted", text: "The same metadata." })));
  return el("table", { class: "grid", "data-testid": "diff-metadata" },
    el("thead", {}, el("tr", {}, el("th", { text: "Change" }), el("th", { text: "Key" }), el("th", { text: "Before" }),
      el("th", { text: "After" }))), body);
}

// url: this version's diff API URL; versions: the artifact's versions
// (["v0", ...]); current: this one. The base defaults to the previous version.
export function artifactDiff(url, versions, current) {
  const others = versions.filter((v) => v !== current);
  const select = el("select", { "data-testid": "diff-base", "aria-label": "Compare with" });
  for (const v of others) select.append(el("option", { value: v, text: v }));
  const index = (v) => Number(v.slice(1));
  const older = others.filter((v) => index(v) < index(current)).sort((a, b) => index(b) - index(a));
  if (older.length) select.value = older[0];
  const summary = el("p", { "data-testid": "diff-summary" });
  const out = el("div");
  const box = el("div", {}, el("label", { class: "muted" }, "Changes from ", select, ` to ${current}`), summary, out);
  async function load() {
    if (!others.length) {
      box.replaceChildren(el("p", { class: "muted", text: "The only version: nothing to compare with." }));
      return;
    }
    const base = select.value;
    const d = await cairn.get(`${url}?base=${encodeURIComponent(base)}`);
    if (select.value !== base) return;
    const f = d.files;
    summary.textContent = `${f.added.length} added, ${f.removed.length} removed, ${f.changed.length} changed, `
      + `${f.unchanged} unchanged; size ${signed(d.size_change)}.`;
    out.replaceChildren(el("h3", { text: "Files" }), filesTable(f), el("h3", { text: "Metadata" }), metadataTable(d.metadata));
  }
  select.addEventListener("change", () => load().catch((e) => { summary.textContent = `Could not compare: ${e.message}`; }));
  return { box, load };
}
