// The run page's console section. A run that is not shared has one console
// (run_console.js). A shared run (docs/protocol.md, Writers) has tabs: "All",
// every writer's lines merged, each marked with its writer, and a tab per
// writer with its lines only (`?writer=`), each paged and followed live like
// the merged view. The tabs wrap, so with 64 writers each is still one click
// away; a writer's view is made when its tab is first opened.
import * as cairn from "./api.js";
import { runConsole } from "./run_console.js";
import { naturalCompare, writerName } from "./util.js";

const el = cairn.el;

// runApi: the run's API URL; shared: whether the run is shared.
// load(lines) reads what is new in the view shown (lines: how many the run
// has, `streams.console`); showWriters(writers) makes the tabs of a shared
// run's writers, and keeps their counts of lines.
export function consoleSection(runApi, shared) {
  const all = runConsole(runApi, { marked: shared });
  const holder = el("div", { class: "console-view" }, all.bar, all.box);
  if (!shared) return { nodes: [holder], load: (lines) => all.load(lines), showWriters() {} };

  const strip = el("div", { class: "console-tabs", role: "tablist", "data-testid": "console-tabs" });
  const views = new Map([["", all]]);  // writer's name → its view; "": every writer's lines
  const tabs = new Map();  // the same → its tab
  let active = "";
  let runLines = 0;
  let writers = new Map();  // name → writer

  // The lines there are in a view, for where its first read starts.
  function total(name) {
    if (name === "") return runLines;
    const w = writers.get(name);
    return w && w.streams ? w.streams.console : 0;
  }

  function tab(name, text) {
    const b = el("button", { type: "button", role: "tab", class: "console-tab", text, "aria-selected": String(name === active),
      "data-testid": "console-tab", dataset: { writer: name } });
    b.addEventListener("click", () => select(name).catch((e) => console.error(e)));
    tabs.set(name, b);
    return b;
  }

  function select(name) {
    active = name;
    for (const [n, b] of tabs) b.setAttribute("aria-selected", String(n === name));
    if (!views.has(name)) views.set(name, runConsole(runApi, { writer: name }));
    const view = views.get(name);
    holder.replaceChildren(view.bar, view.box);
    return view.load(total(name));
  }

  function showWriters(list) {
    writers = new Map(list.map((w) => [writerName(w), w]));
    let added = false;
    for (const [name, w] of writers) {
      if (!tabs.has(name)) { tab(name, name); added = true; }
      tabs.get(name).title = [w.host, w.pid === null || w.pid === undefined ? "" : `pid ${w.pid}`].filter(Boolean).join(" · ");
    }
    if (added) {
      const names = [...tabs.keys()].filter((n) => n !== "").sort(naturalCompare);
      strip.replaceChildren(tabs.get(""), ...names.map((n) => tabs.get(n)));
    }
  }

  tab("", "All");
  strip.append(tabs.get(""));
  return {
    nodes: [strip, holder],
    load(lines) {
      runLines = lines;
      return views.get(active).load(total(active));
    },
    showWriters,
  };
}
