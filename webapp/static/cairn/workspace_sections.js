// The workspace's sections: panels grouped by their key's prefix (`train/loss`
// in "train", `loss` in the section of keys without one), in the order of the
// saved panels. Which sections are open is saved with the layout (members) and
// kept in this browser (everyone); at first only the first section is open, so
// a workspace of hundreds of keys draws one section's charts, not all.

export const NO_PREFIX = "";  // the section of keys without a prefix
// Scatter, parallel coordinates, importance. A prefix is what comes before a "/": this one would need a key ":runs/…".
export const RUNS_SECTION = ":runs";

export function sectionOf(panel) {
  if ((panel.type || "line") !== "line") return RUNS_SECTION;
  const key = panel.regex ? panel.regex.replace(/^\^/, "") : panel.key;
  const i = key.indexOf("/");
  return i > 0 ? key.slice(0, i) : NO_PREFIX;
}

export function sectionLabel(name) {
  if (name === NO_PREFIX) return "Charts";
  if (name === RUNS_SECTION) return "Runs compared";
  return name;
}

// [{name, panels}]: keys without a prefix first, then prefixes by name, panels across runs last.
export function sectionsOf(panels) {
  const by = new Map();
  for (const p of panels) {
    const s = sectionOf(p);
    if (!by.has(s)) by.set(s, []);
    by.get(s).push(p);
  }
  const rank = (n) => (n === NO_PREFIX ? 0 : n === RUNS_SECTION ? 2 : 1);
  return [...by.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)).map((name) => ({ name, panels: by.get(name) }));
}

// Open or not: what was chosen (saved, else this browser), else only the first section.
export function isOpen(name, index, chosen) {
  return name in chosen ? chosen[name] : index === 0;
}

function storageKey(page) {
  return `cairn:workspace-sections:${page.org}/${page.project}`;
}

export function localSections(page) {
  try {
    const v = JSON.parse(localStorage.getItem(storageKey(page)) || "{}");
    return v && typeof v === "object" && !Array.isArray(v) ? v : {};
  } catch { return {}; }
}

export function keepLocalSections(page, sections) {
  try { localStorage.setItem(storageKey(page), JSON.stringify(sections)); } catch { /* private mode: the saved layout still has it */ }
}
