// A shared run's writers in the run page's overview (docs/protocol.md,
// Writers): how many, how many still running, and a compact table of each
// one's label, host, pid, role and state, in label order (rank-2 before rank-10).
import * as cairn from "./api.js";
import { naturalCompare, writerName } from "./util.js";

const el = cairn.el;

export function writersOverview() {
  const count = el("p", { class: "writers-count", "data-testid": "writers-count" });
  const body = el("tbody");
  const table = el("table", { class: "grid writers", "data-testid": "writers" },
    el("thead", {}, el("tr", {}, ...["Writer", "Host", "PID", "State"].map((t) => el("th", { text: t })))), body);
  const box = el("div", { class: "writers-box", hidden: "" }, count, el("div", { class: "writers-scroll" }, table));

  function show(writers) {
    const list = [...writers].sort((a, b) => naturalCompare(writerName(a), writerName(b)));
    const running = list.filter((w) => w.state === "running").length;
    count.textContent = `${list.length} ${list.length === 1 ? "writer" : "writers"}, ${running} running`;
    body.replaceChildren(...list.map((w) => {
      const who = el("td", { class: "mono", text: writerName(w) });
      if (w.primary) who.append(" ", el("span", { class: "tag", text: "primary", title: "Finishes the run" }));
      return el("tr", { "data-testid": "writer-row", dataset: { writer: writerName(w) } },
        who,
        el("td", { text: w.host || "—" }),
        el("td", { class: "mono", text: w.pid === null || w.pid === undefined ? "—" : String(w.pid) }),
        el("td", {}, el("span", { class: `state ${w.state}`, text: w.state })));
    }));
    box.hidden = false;
  }

  return { box, show };
}
