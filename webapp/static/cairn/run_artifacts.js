// The run page's artifacts: the versions the run used (inputs) and logged
// (outputs), each linking to its version page, and the run's lineage graph.
// Names come from the server and are put on the page as text.
import * as cairn from "./api.js";
import { lineageGraph, versionUrl } from "./lineage.js";

const el = cairn.el;

function versionList(versions, testid, none) {
  const list = el("ul", { "data-testid": testid });
  if (!versions.length) list.append(el("li", { class: "muted", text: none }));
  for (const v of versions) {
    list.append(el("li", {},
      el("a", { href: versionUrl(v), text: v.name }),
      el("span", { class: "muted", text: ` ${v.type} · ${v.file_count} file${v.file_count === 1 ? "" : "s"}` }),
      ...v.aliases.map((a) => el("span", { class: "tag", text: a }))));
  }
  return list;
}

// runApi: the run's API URL. load() redraws the two lists, and the graph
// when the run has artifacts.
export function runArtifacts(runApi) {
  const lists = el("div", { class: "two-col" });
  const graph = lineageGraph(`${runApi}/artifacts/lineage`, { depth: 2 });
  const graphBox = el("div", { hidden: "" }, el("h3", { text: "Lineage" }), graph.box);
  const box = el("div", {}, lists, graphBox);
  async function load() {
    const body = await cairn.get(`${runApi}/artifacts`);
    lists.replaceChildren(
      el("div", {}, el("h3", { text: "Used (inputs)" }), versionList(body.inputs, "artifact-inputs", "None.")),
      el("div", {}, el("h3", { text: "Logged (outputs)" }), versionList(body.outputs, "artifact-outputs", "None.")));
    graphBox.hidden = !(body.inputs.length || body.outputs.length);
    if (!graphBox.hidden) await graph.load();
  }
  return { box, load };
}
