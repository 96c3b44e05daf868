// The runs table's columns panel: the columns shown, in order (moved up or
// down, removed), and the run, config and summary keys to add, found by a
// search. Members save the layout for everyone in the project; for readers it
// lasts until they leave the page.
import * as cairn from "./api.js";

const el = cairn.el;

// state: the table's ({layout, columns, keys}); loadKeys, reload and
// showError: the table's, which this panel shares.
export function columnsPanel({ state, tableApi, canWrite, loadKeys, reload, showError }) {
  const panel = el("div", { class: "rt-cols", hidden: "", "data-testid": "columns-panel" });
  let query = "";  // what the search box held: it stays when the panel redraws

  async function saveLayout(ids) {
    state.layout = ids;
    if (canWrite) {
      try {
        await cairn.put(`${tableApi}/view`, { columns: ids });
      } catch (err) {
        showError({ error: `Columns not saved: ${err.message}` });
      }
    }
    await reload();
    if (!panel.hidden) render();
  }

  function toggle() {
    panel.hidden = !panel.hidden;
    if (!panel.hidden) loadKeys().then(render, (err) => showError({ error: err.message }));
  }

  function render() {
    const keys = state.keys;
    if (!keys) return;
    const byId = new Map([...keys.run, ...keys.config, ...keys.summary, ...state.columns].map((c) => [c.id, c]));
    const current = el("ol", { class: "rt-cols-current", "data-testid": "columns-current" });
    state.layout.forEach((id, i) => {
      const col = byId.get(id) || { id, label: id };
      const move = (d) => { const ids = state.layout.slice(); ids.splice(i, 1); ids.splice(i + d, 0, id); saveLayout(ids); };
      const up = el("button", { type: "button", class: "link", text: "↑", "aria-label": `Move ${col.label} left`, onclick: () => move(-1) });
      const down = el("button", { type: "button", class: "link", text: "↓", "aria-label": `Move ${col.label} right`, onclick: () => move(1) });
      up.disabled = i === 0;
      down.disabled = i === state.layout.length - 1;
      const src = col.source || "run";
      current.append(el("li", { "data-col": id },
        el("span", { class: `rt-src rt-src-${src}`, text: src[0].toUpperCase() }),
        el("span", { class: "rt-cols-label", text: col.label }), up, down,
        el("button", { type: "button", class: "link danger", text: "✕", "aria-label": `Remove ${col.label}`,
          "data-testid": "remove-column", onclick: () => saveLayout(state.layout.filter((x) => x !== id)) })));
    });
    const search = el("input", { type: "search", placeholder: "Add a column: search config and summary keys", value: query,
      "data-testid": "columns-search", "aria-label": "Search keys",
      oninput: () => { query = search.value; fillAvail(); } });
    const avail = el("ul", { class: "rt-cols-avail", "data-testid": "columns-available" });
    const fillAvail = () => {
      const q = query.trim().toLowerCase();
      const taken = new Set(state.layout);
      const frag = document.createDocumentFragment();
      let n = 0;
      for (const [source, list] of [["summary", keys.summary], ["config", keys.config], ["run", keys.run]]) {
        for (const k of list) {
          if (taken.has(k.id) || (q && !k.id.toLowerCase().includes(q) && !k.label.toLowerCase().includes(q))) continue;
          if (++n > 200) break;
          frag.append(el("li", {}, el("button", { type: "button", class: "link", "data-col": k.id, title: k.id,
            onclick: () => saveLayout([...state.layout, k.id]) },
          el("span", { class: `rt-src rt-src-${source}`, text: source[0].toUpperCase() }),
          el("span", { text: " " + k.label }))));
        }
      }
      if (!n) frag.append(el("li", { class: "muted", text: "No more keys." }));
      avail.replaceChildren(frag);
    };
    fillAvail();
    const note = canWrite ? el("p", { class: "muted", text: "Saved for everyone in the project." })
      : el("p", { class: "muted", text: "Read-only: your changes last until you leave the page." });
    panel.replaceChildren(
      el("div", { class: "rt-cols-head" }, el("strong", { text: "Columns" }), note,
        el("button", { type: "button", class: "link", text: "Close", onclick: () => { panel.hidden = true; } })),
      el("div", { class: "rt-cols-body" }, current, el("div", {}, search, avail)));
  }

  return { el: panel, toggle };
}
