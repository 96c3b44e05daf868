// The run page's fingerprint (docs/artifacts.md): its four parts, the runs of
// the project with the same one, and which parts differ from another run's
// (the config keys and packages that differ, the inputs only one used).
// Everything from the server is put on the page as text.
import * as cairn from "./api.js";

const el = cairn.el;
const PARTS = [["code", "code"], ["config", "config"], ["data", "data"], ["env", "environment"]];
const short = (v) => (v === null || v === undefined ? "—" : typeof v === "string" ? v : JSON.stringify(v));

function partLine(key, label, part) {
  const what = [];
  if (key === "code" && !part.same) {
    const a = part.a.commit, b = part.b.commit;
    if (a !== b) what.push(`commit ${(a || "none").slice(0, 10)} → ${(b || "none").slice(0, 10)}`);
    else if (a) what.push("uncommitted changes differ");
    if (part.files.length) what.push(`files ${part.files.join(", ")}`);
  }
  if (key === "config") for (const k of part.keys) what.push(`${k.key}: ${short(k.a)} → ${short(k.b)}`);
  if (key === "data") {
    if (part.only_a.length) what.push(`only this run: ${part.only_a.join(", ")}`);
    if (part.only_b.length) what.push(`only the other: ${part.only_b.join(", ")}`);
  }
  if (key === "env") {
    if (part.python) what.push(`python ${part.python[0]} → ${part.python[1]}`);
    for (const p of part.packages) what.push(`${p.name} ${p.a || "(none)"} → ${p.b || "(none)"}`);
  }
  const verdict = part.same ? "same" : "differs";
  return el("li", { "data-part": key, class: part.same ? "" : "changed" },
    el("strong", { text: `${label}: ${verdict}` }),
    what.length ? el("span", { class: "muted", text: ` (${what.join("; ")})` }) : null);
}

// runApi: the run's API URL. load() reads the fingerprint and draws the box.
export function runFingerprint(runApi) {
  const box = el("div", { "data-testid": "fingerprint" });
  const result = el("ul", { "data-testid": "fingerprint-compare" });
  const other = el("input", { type: "text", placeholder: "another run's id", "aria-label": "Run to compare with",
    "data-testid": "fingerprint-other", maxlength: "64" });

  async function compare(ev) {
    if (ev) ev.preventDefault();
    const id = other.value.trim();
    if (!id) return;
    try {
      const body = await cairn.get(`${runApi}/fingerprint/compare?other=${encodeURIComponent(id)}`);
      result.replaceChildren(...PARTS.map(([key, label]) => partLine(key, label, body.parts[key])));
    } catch (e) {
      result.replaceChildren(el("li", { class: "error", text: e.status === 404 ? `No fingerprint for run ${id}.` : e.message }));
    }
  }

  async function load() {
    let fp;
    try {
      fp = await cairn.get(`${runApi}/fingerprint`);
    } catch (e) {
      if (e.status !== 404) throw e;
      box.replaceChildren(el("p", { class: "muted", text: "No fingerprint: the agent that logged this run sent none." }));
      return;
    }
    const dupes = fp.duplicates || [];
    box.replaceChildren(...[  // no duplicates: null, which replaceChildren would write as "null"
      el("p", {}, el("span", { class: "muted", text: "fingerprint " }),
        el("code", { "data-testid": "fingerprint-whole", text: fp.whole.slice(0, 12) })),
      dupes.length
        ? el("p", { "data-testid": "fingerprint-duplicates" }, el("span", { class: "tag", text: "duplicate" }),
          ` Same fingerprint as ${dupes.map((r) => `${r.name || r.run_id} (${r.state})`).join(", ")}.`)
        : null,
      el("form", { class: "inline", onsubmit: compare }, el("label", { text: "Compare with run " }), other,
        el("button", { type: "submit", text: "Compare" })),
      result].filter(Boolean));
    if (!other.value && dupes.length) other.value = dupes[0].run_id;
  }
  return { box, load };
}
