// The run page's tabs: one panel each, deep-linkable as #charts or ?tab=charts,
// and reachable from the keyboard (arrow keys move between tabs, as WAI-ARIA's
// tabs pattern has it).
import * as cairn from "./api.js";

const el = cairn.el;

export const TABS = [
  ["overview", "Overview"], ["charts", "Charts"], ["system", "System"], ["logs", "Logs"],
  ["files", "Files"], ["artifacts", "Artifacts"], ["code", "Code"],
];
const IDS = new Set(TABS.map(([id]) => id));

// The tab an address asks for: ?tab= first, then the fragment; else the overview.
export function tabFromAddress(loc) {
  const asked = new URLSearchParams(loc.search).get("tab") || decodeURIComponent(loc.hash.slice(1));
  return IDS.has(asked) ? asked : "overview";
}

export function runTabs() {
  const bar = el("div", { role: "tablist", class: "run-tabs", "aria-label": "Run sections", "data-testid": "run-tabs" });
  const buttons = new Map();
  const panels = new Map();
  for (const [id, label] of TABS) {
    const button = el("button", { type: "button", role: "tab", id: `tab-${id}`, "aria-controls": `panel-${id}`,
      "data-tab": id, "data-testid": `tab-${id}`, text: label, onclick: () => show(id, true) });
    button.addEventListener("keydown", (e) => {
      const order = TABS.map(([t]) => t);
      const at = order.indexOf(id);
      const next = e.key === "ArrowRight" ? order[(at + 1) % order.length]
        : e.key === "ArrowLeft" ? order[(at + order.length - 1) % order.length]
          : e.key === "Home" ? order[0] : e.key === "End" ? order[order.length - 1] : null;
      if (!next) return;
      e.preventDefault();
      show(next, true);
      buttons.get(next).focus();
    });
    buttons.set(id, button);
    panels.set(id, el("div", { role: "tabpanel", id: `panel-${id}`, "aria-labelledby": `tab-${id}`,
      class: "run-panel", "data-testid": `panel-${id}`, hidden: "" }));
    bar.append(button);
  }
  let current = null;

  // byUser: a click or a key, which the address then records (without a new history entry).
  function show(id, byUser = false) {
    if (!IDS.has(id) || id === current) return;
    current = id;
    for (const [t, button] of buttons) {
      const on = t === id;
      button.setAttribute("aria-selected", on ? "true" : "false");
      button.tabIndex = on ? 0 : -1;
      panels.get(t).hidden = !on;
    }
    if (byUser) {
      const p = new URLSearchParams(location.search);
      p.delete("tab");
      const q = p.toString();
      history.replaceState(null, "", location.pathname + (q ? `?${q}` : "") + (id === "overview" ? "" : `#${id}`));
    }
  }
  window.addEventListener("hashchange", () => show(tabFromAddress(location)));
  show(tabFromAddress(location));
  return { bar, panel: (id) => panels.get(id), show, current: () => current };
}
