// One panel of the project workspace: its title (whole, wrapped; the full text
// on hover), its chart, and its controls in one "⋯" menu (x-axis, smoothing,
// log scale, ignore outliers, the keys it draws, size, order, copy to a report, remove).
// Readers who may not save still change what they see; writers' changes are saved.
import * as cairn from "./api.js";
import { X_AXES, metricX } from "./util.js";

const SIZES = { s: "S", m: "M", l: "L" };

// What a panel draws and is called: its keys, or /regex/, or what a non-line panel reads.
export function panelTitle(panel) {
  if (panel.regex) return `/${panel.regex}/`;
  const type = panel.type || "line";
  if (type === "scatter" && panel.keys && panel.keys.length === 2) return `${panel.keys[1]} against ${panel.keys[0]}`;
  if (type === "parallel") return "Parallel coordinates";
  if (type === "importance") return `Parameter importance for ${panel.key}`;
  return panel.keys && panel.keys.length > 1 ? panel.keys.join(", ") : panel.key;
}

// "a, b" or "/re/" typed into "Edit keys" → the panel's fields; an error's text if it is not one.
export function parseKeys(text) {
  const t = text.trim();
  const re = /^\/(.+)\/$/.exec(t);
  if (re) {
    try { new RegExp(re[1]); } catch (e) { return { error: `Not a regular expression: ${e.message}` }; }
    return { key: t, regex: re[1], keys: undefined };
  }
  const keys = [...new Set(t.split(",").map((k) => k.trim()).filter(Boolean))];
  if (!keys.length) return { error: "Name one key or more, or /a regular expression/." };
  if (keys.length > 20) return { error: "At most 20 keys: a /regular expression/ picks more." };
  return { key: keys[0], keys: keys.length > 1 ? keys : undefined, regex: undefined };
}

// ctx: {canWrite, numericKeys(), save(), move(panel, d), remove(panel), refetch(view), keysChanged(view), addToReport(panel)}
export function panelMenu(panel, view, ctx) {
  const menu = cairn.el("details", { class: "panel-menu" });
  const summary = cairn.el("summary", { text: "⋯", title: "Panel options", "aria-label": "Panel options", "data-testid": "panel-menu" });
  const body = cairn.el("div", { class: "panel-menu-body" });
  menu.append(summary, body);
  // Its controls are made on the first open: 20 panels of a section each listing 200 keys for the x-axis
  // would otherwise cost the section's opening thousands of elements nobody has asked for.
  let built = false;
  summary.addEventListener("click", () => { if (!built) { built = true; menuBody(panel, view, ctx, body); } });
  return menu;
}

function menuBody(panel, view, ctx, body) {
  const row = (...kids) => cairn.el("div", { class: "panel-menu-row" }, ...kids);
  const type = panel.type || "line";

  if (type === "line") {
    const xSel = cairn.el("select", { class: "panel-x", "aria-label": "x-axis", "data-testid": "panel-x" });
    const opts = [...X_AXES];
    for (const k of ctx.numericKeys()) if (k !== panel.key) opts.push([metricX(k), k]);
    for (const [v, label] of opts) xSel.append(cairn.el("option", { value: v, text: label }));
    xSel.value = panel.x;
    xSel.onchange = async () => {
      panel.x = xSel.value;
      ctx.save();
      view.chart.setOptions({ x: panel.x });
      await ctx.refetch(view);
    };
    const smooth = cairn.el("input", { type: "range", min: "0", max: "0.99", step: "0.01", value: String(panel.smoothing),
      class: "panel-smooth", "aria-label": "Smoothing", "data-testid": "panel-smoothing", title: "Smoothing (EMA)" });
    const smoothVal = cairn.el("span", { class: "muted panel-smooth-val", text: panel.smoothing.toFixed(2) });
    smooth.oninput = () => { panel.smoothing = +smooth.value; smoothVal.textContent = panel.smoothing.toFixed(2); view.chart.setOptions({ smoothing: panel.smoothing }); };
    smooth.onchange = ctx.save;
    const log = cairn.el("input", { type: "checkbox", "data-testid": "panel-log" });
    log.checked = panel.log;
    log.onchange = () => { panel.log = log.checked; ctx.save(); view.chart.setOptions({ log: panel.log }); };
    // Stored only when on (as the server keeps it): a layout saved before reads back as written.
    const outliers = cairn.el("input", { type: "checkbox", "data-testid": "panel-outliers" });
    outliers.checked = !!panel.ignore_outliers;
    outliers.onchange = () => {
      if (outliers.checked) panel.ignore_outliers = true; else delete panel.ignore_outliers;
      ctx.save();
      view.chart.setOptions({ ignoreOutliers: outliers.checked });
    };
    body.append(
      row(cairn.el("label", { class: "panel-opt" }, "x-axis ", xSel)),
      row(cairn.el("label", { class: "panel-opt", title: "Smoothing (EMA)" }, "Smoothing ", smooth, smoothVal)),
      row(cairn.el("label", { class: "panel-opt" }, log, " Log scale")),
      row(cairn.el("label", { class: "panel-opt", title: "Fit the y-axis to the 5th–95th percentile of the lines in view" },
        outliers, " Ignore outliers")));
  }

  if (ctx.canWrite) {
    // The keys: "train/loss, val/loss" or /loss$/ for a line; column ids for the others.
    const keysInput = cairn.el("input", { type: "text", "aria-label": "Keys", "data-testid": "panel-keys-input",
      value: panel.regex ? `/${panel.regex}/` : (panel.keys || [panel.key]).join(", ") });
    const keysNote = cairn.el("div", { class: "panel-error", "data-testid": "panel-keys-error" });
    const apply = cairn.el("button", { type: "button", text: "Apply", "data-testid": "panel-keys-apply",
      onclick: () => {
        const parsed = parseKeys(keysInput.value);
        const before = !panel.keys && !panel.regex && type === "line" ? panel.key : null;  // the key it drew alone
        if (parsed.error) { keysNote.textContent = parsed.error; return; }
        keysNote.textContent = "";
        if (type === "line") {
          panel.key = parsed.key;
          if (parsed.regex) panel.regex = parsed.regex; else delete panel.regex;
          if (parsed.keys) panel.keys = parsed.keys; else delete panel.keys;
        } else {
          if (parsed.regex) { keysNote.textContent = "List the keys: a regular expression draws line panels only."; return; }
          panel.keys = parsed.keys || [parsed.key];
          if (type !== "importance") panel.key = panel.keys[0];
        }
        view.setTitle(panelTitle(panel));
        ctx.keysChanged(view, before);
      } });
    body.append(row(cairn.el("label", { class: "panel-opt" }, "Keys ", keysInput), apply), keysNote);

    const sizes = cairn.el("span", { class: "seg" });
    for (const [s, label] of Object.entries(SIZES)) {
      sizes.append(cairn.el("button", { type: "button", text: label, class: panel.size === s ? "on" : "", title: `Width ${label}`,
        "data-testid": `panel-size-${s}`,
        onclick: () => {
          panel.size = s;
          view.el.className = `panel size-${s}`;
          for (const b of sizes.children) b.classList.toggle("on", b.textContent === label);
          ctx.save();
        } }));
    }
    body.append(row(cairn.el("span", { class: "panel-opt", text: "Width " }), sizes,
      cairn.el("button", { type: "button", text: "↑", title: "Move earlier", "data-testid": "panel-up", onclick: () => ctx.move(panel, -1) }),
      cairn.el("button", { type: "button", text: "↓", title: "Move later", "data-testid": "panel-down", onclick: () => ctx.move(panel, 1) })));
    if (type === "line") body.append(row(ctx.addToReport(panel)));
    body.append(row(cairn.el("button", { type: "button", text: "Remove panel", class: "danger", "data-testid": "panel-remove",
      onclick: () => ctx.remove(panel) })));
  }
}

// "Add to report…": the project's reports the user edits; the chosen one gets a line panel
// of this panel's keys, x-axis, smoothing, log and outliers, over the runs shown now (a hand-picked run set).
export function addToReport(panel, { page, runIds, keys }) {
  const box = cairn.el("span", { class: "add-report" });
  const menu = cairn.el("div", { class: "add-report-menu", hidden: true, "data-testid": "add-report-menu" });
  const note = cairn.el("span", { class: "muted", "data-testid": "add-report-done" });
  const button = cairn.el("button", { type: "button", text: "Add to report…", title: "Copy this chart into a report", "data-testid": "panel-add-report",
    onclick: async () => {
      if (!menu.hidden) { menu.hidden = true; return; }
      menu.replaceChildren(cairn.el("div", { class: "muted", text: "Loading…" }));
      menu.hidden = false;
      try {
        const list = (await cairn.get(`${page.api}/reports`)).results;
        menu.replaceChildren(...(list.length ? list.map((r) => cairn.el("button", { type: "button",
          text: `${r.title}${r.visibility === "draft" ? " (draft)" : ""}`, "data-testid": "add-report-item",
          onclick: () => append(r) })) : [cairn.el("div", { class: "muted", text: "No reports yet: make one under Reports." })]));
      } catch (e) { menu.replaceChildren(cairn.el("div", { class: "panel-error", text: e.message })); }
    } });
  async function append(report) {
    menu.hidden = true;
    const runs = runIds();
    const line = { kind: "line", title: panelTitle(panel), keys: keys(), smoothing: panel.smoothing, log: panel.log,
      x: panel.x, ...(panel.ignore_outliers ? { ignore_outliers: true } : {}), runset: { runs } };
    try {
      await cairn.post(`/api/v1/reports/${encodeURIComponent(report.id)}/blocks`, { block: { type: "panel", panel: line } });
      note.replaceChildren("Added to ", cairn.el("a", { href: `/${page.org}/${page.project}/reports/${encodeURIComponent(report.id)}/edit`, text: report.title }));
    } catch (e) { note.textContent = e.message; }
  }
  box.append(button, menu, note);
  return box;
}

// One menu open at a time; a click elsewhere or Escape closes it.
document.addEventListener("click", (e) => {
  for (const d of document.querySelectorAll("details.panel-menu[open]")) if (!d.contains(e.target)) d.open = false;
});
document.addEventListener("keydown", (e) => {
  if (e.key !== "Escape") return;
  for (const d of document.querySelectorAll("details.panel-menu[open]")) {
    d.open = false;
    if (d.contains(document.activeElement)) d.querySelector("summary").focus();
  }
});

// Drag a panel by its title onto another of its section to put it there: `list()` gives the
// workspace's panels, reordered in place; `moved` runs after (save and lay out again).
export function dragToReorder(list, panel, head, el, moved) {
  head.draggable = true;
  head.addEventListener("dragstart", (e) => { e.dataTransfer.setData("text/x-cairn-panel", panel.id); el.classList.add("dragging"); });
  head.addEventListener("dragend", () => el.classList.remove("dragging"));
  el.addEventListener("dragover", (e) => { if (e.dataTransfer.types.includes("text/x-cairn-panel")) e.preventDefault(); });
  el.addEventListener("drop", (e) => {
    const panels = list();
    const from = panels.findIndex((p) => p.id === e.dataTransfer.getData("text/x-cairn-panel"));
    if (from < 0 || panels[from] === panel) return;
    e.preventDefault();
    const [dragged] = panels.splice(from, 1);
    panels.splice(panels.indexOf(panel), 0, dragged);
    moved();
  });
}
