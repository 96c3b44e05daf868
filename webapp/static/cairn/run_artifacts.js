// The run page's artifacts: the versions the run used (inputs) and logged
// (outputs), each linking to its version page. Names come from the server and
// are put on the page as text.
import * as cairn from "./api.js";

const el = cairn.el;

function versionUrl(v) {
  // qualified_name: org/project/name:vN (an input may come from another project)
  const [org, project, rest] = v.qualified_name.split("/");
  const name = rest.slice(0, rest.lastIndexOf(":"));
  return `/${encodeURIComponent(org)}/${encodeURIComponent(project)}/artifacts/${encodeURIComponent(name)}/${encodeURIComponent(v.version)}`;
}

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

// runApi: the run's API URL. load() redraws the two lists.
export function runArtifacts(runApi) {
  const box = el("div", { class: "two-col" });
  async function load() {
    const body = await cairn.get(`${runApi}/artifacts`);
    box.replaceChildren(
      el("div", {}, el("h3", { text: "Used (inputs)" }), versionList(body.inputs, "artifact-inputs", "None.")),
      el("div", {}, el("h3", { text: "Logged (outputs)" }), versionList(body.outputs, "artifact-outputs", "None.")));
  }
  return { box, load };
}
